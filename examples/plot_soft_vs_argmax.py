"""
=================================
Soft labels versus their argmax
=================================

Many data sets come with *soft* labels: for every row, a probability for each class (the
share of annotators who picked it, the output of a labeling model, a teacher's prediction).
The usual shortcut is to keep only the most probable class and fit an ordinary classifier.
This example measures what that shortcut throws away.

We simulate a 3-class problem whose true class probabilities are known, give the training
rows those probabilities as soft labels, and fit
:class:`~skfuzzy_ce.SoftLabelLogisticRegression` three ways:

* on the soft labels themselves;
* on the argmax of each soft label (the shortcut);
* on one class drawn at random from each soft label (what an ordinary labeled data set holds).

All three are scored on held-out rows whose outcomes are drawn from the true probabilities.
"""

# %%
# Data: a linear softmax model with known coefficients
# -----------------------------------------------------
# The true coefficients are centered across classes (each column sums to zero): the softmax
# does not change when the same vector is added to every class, and the L2 penalty picks this
# centered representative, so the fitted ``coef_`` can be compared with them directly.
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import softmax
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score, log_loss

from skfuzzy_ce import SoftLabelLogisticRegression

rng = np.random.default_rng(0)
n_classes, n_features = 3, 4
coef_true = rng.normal(scale=1.2, size=(n_classes, n_features))
coef_true -= coef_true.mean(axis=0)
intercept_true = np.array([0.4, 0.0, -0.4])


def make_data(n_samples):
    """Features, true class probabilities, and one outcome drawn from them."""
    X = rng.normal(size=(n_samples, n_features))
    proba = softmax(X @ coef_true.T + intercept_true, axis=1)
    u = rng.random((n_samples, 1))
    outcome = (u > np.cumsum(proba, axis=1)).sum(axis=1)
    return X, proba, outcome


X_train, Y_train, y_drawn = make_data(2000)
X_test, P_test, y_test = make_data(20000)

print("first soft labels:\n", Y_train[:3].round(3))
print("their argmax:", Y_train[:3].argmax(axis=1))

# %%
# Three fits of the same model
# ----------------------------
# Same estimator, same regularization; only the targets differ.
targets = {
    "soft labels": Y_train,
    "argmax of soft labels": Y_train.argmax(axis=1),
    "one drawn label per row": y_drawn,
}
models = {
    name: SoftLabelLogisticRegression(C=1.0).fit(X_train, y) for name, y in targets.items()
}


def cross_entropy(P, proba):
    """Mean cross-entropy (nats) of predicted ``proba`` against true distributions ``P``."""
    return float(np.mean(-np.sum(P * np.log(proba), axis=1)))


entropy = cross_entropy(P_test, P_test)
print(f"\n{'training target':<26}{'log loss':>10}{'CE vs true p':>14}{'accuracy':>10}")
for name, model in models.items():
    proba = model.predict_proba(X_test)
    print(
        f"{name:<26}{log_loss(y_test, proba):>10.4f}{cross_entropy(P_test, proba):>14.4f}"
        f"{accuracy_score(y_test, model.predict(X_test)):>10.4f}"
    )
print(f"{'true probabilities':<26}{log_loss(y_test, P_test):>10.4f}{entropy:>14.4f}"
      f"{accuracy_score(y_test, P_test.argmax(axis=1)):>10.4f}")

# %%
# The accuracies are close: all three models learn nearly the same decision boundaries,
# because the argmax of a probability does not move when the probability is sharpened. The
# log loss is another story. The argmax model was told that every training row belongs to
# one class with certainty, so it learned probabilities that are far too confident, and pays
# for every confident mistake on held-out data. The soft-label model is close to the
# entropy of the true probabilities, the lowest log loss any model can reach here.
#
# The coefficients tell the same story: the soft fit recovers the true ones, the argmax fit
# inflates them (sharper probabilities are larger logits).
np.set_printoptions(precision=2, suppress=True)
print("true coef_:\n", coef_true)
print("fitted on soft labels:\n", models["soft labels"].coef_)
print("fitted on argmax labels:\n", models["argmax of soft labels"].coef_)
norms = {name: np.linalg.norm(model.coef_) for name, model in models.items()}
print("coefficient norms:", {name: round(float(v), 2) for name, v in norms.items()},
      f"(true: {np.linalg.norm(coef_true):.2f})")

# %%
# Calibration curves
# ------------------
# For every class, pool the held-out pairs (predicted probability of the class, whether the
# outcome was that class) and bin them. A calibrated model sits on the diagonal: among rows
# given probability 0.8, 80% turn out to be that class. The argmax model bends into an S:
# it says 0.95 where the truth is 0.8, and 0.05 where the truth is 0.2.
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
onehot_test = np.eye(n_classes)[y_test]
for name, model in models.items():
    proba = model.predict_proba(X_test)
    frac_pos, mean_pred = calibration_curve(onehot_test.ravel(), proba.ravel(), n_bins=12)
    ax.plot(mean_pred, frac_pos, "o-", label=name)
ax.set_xlabel("predicted probability")
ax.set_ylabel("observed frequency")
ax.set_title("Calibration on held-out data (all classes pooled)")
ax.legend()
fig.tight_layout()

# %%
# Log loss against the number of training rows
# --------------------------------------------
# More data does not rescue the argmax model: its log loss stays above the others whatever
# the sample size, because it is fitted to a different target (the probability that a row's
# *most likely* class is k, not the probability of k). The drawn labels estimate the right
# target, but one draw carries less information than the whole distribution: for the same
# log loss they need several times more rows than the soft labels.
sizes = [50, 100, 200, 500, 1000, 2000, 5000]
curves = {name: [] for name in targets}
for n in sizes:
    X_n, Y_n, y_n = make_data(n)
    for name, y in zip(targets, [Y_n, Y_n.argmax(axis=1), y_n]):
        model = SoftLabelLogisticRegression(C=1.0).fit(X_n, y)
        curves[name].append(log_loss(y_test, model.predict_proba(X_test)))

fig, ax = plt.subplots(figsize=(6, 4.5))
for name, losses in curves.items():
    ax.plot(sizes, losses, "o-", label=name)
ax.axhline(log_loss(y_test, P_test), color="k", ls=":", label="true probabilities")
ax.set_xscale("log")
ax.set_xlabel("training rows")
ax.set_ylabel("held-out log loss (nats)")
ax.set_title("Learning curves")
ax.legend()
fig.tight_layout()
plt.show()
