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
# given probability 0.8, 80% turn out to be that class. The soft and drawn-label models do.
# The argmax model does not: it pushes its probabilities to the ends, and its curve is flat
# in between. Its most confident bin says about 0.99 where the observed frequency is about
# 0.74, its least confident one about 0.01 where the truth is about 0.13, and predictions
# anywhere from 0.2 to 0.8 all come true about 35 to 50% of the time (the printed bins).
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
onehot_test = np.eye(n_classes)[y_test]
calibration = {}
for name, model in models.items():
    proba = model.predict_proba(X_test)
    frac_pos, mean_pred = calibration_curve(onehot_test.ravel(), proba.ravel(), n_bins=12)
    calibration[name] = (mean_pred, frac_pos)
    ax.plot(mean_pred, frac_pos, "o-", label=name)
ax.set_xlabel("predicted probability")
ax.set_ylabel("observed frequency")
ax.set_title("Calibration on held-out data (all classes pooled)")
ax.legend()
fig.tight_layout()

mean_pred, frac_pos = calibration["argmax of soft labels"]
print("argmax model, predicted -> observed, per bin:")
print("  " + ", ".join(f"{p:.2f} -> {f:.2f}" for p, f in zip(mean_pred, frac_pos)))

# %%
# Log loss against the number of training rows
# --------------------------------------------
# The same three fits on training sets of growing size, with the same ``C``.
sizes = [50, 100, 200, 500, 1000, 2000, 5000]
curves = {name: [] for name in targets}  # held-out log loss
excess = {name: [] for name in targets}  # cross-entropy to the true p minus its entropy
argmax_norms = []
for n in sizes:
    X_n, Y_n, y_n = make_data(n)
    for name, y in zip(targets, [Y_n, Y_n.argmax(axis=1), y_n]):
        model = SoftLabelLogisticRegression(C=1.0).fit(X_n, y)
        proba = model.predict_proba(X_test)
        curves[name].append(log_loss(y_test, proba))
        excess[name].append(cross_entropy(P_test, proba) - entropy)
        if name == "argmax of soft labels":
            argmax_norms.append(float(np.linalg.norm(model.coef_)))

print(f"\n{'rows':>6}" + "".join(f"{name:>26}" for name in targets) + f"{'|coef_| argmax':>16}")
for i, n in enumerate(sizes):
    print(
        f"{n:>6}" + "".join(f"{curves[name][i]:>26.3f}" for name in targets)
        + f"{argmax_norms[i]:>16.1f}"
    )

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

# %%
# More data makes the argmax model *worse*: its held-out log loss grows with the number of
# rows (from about 0.83 at 50 rows to about 2.3 at 5,000, in the table above), while the
# other two fall towards the entropy of the true probabilities. The argmax labels are a
# deterministic function of X (the class regions of a linear model), so the classes are
# linearly separable and an unpenalized fit would send the coefficients to infinity; only
# the L2 penalty holds them. That penalty is ``||W||^2 / (2C)`` against a loss *summed* over
# the rows (as in scikit-learn), so at a fixed ``C`` it counts less and less as rows are
# added: the coefficients grow (the last column of the table), the probabilities move
# towards 0 and 1, and every confident mistake costs more. A smaller ``C`` would only slow
# this down: the argmax target itself is wrong, not the amount of data.
#
# Soft labels against drawn labels
# --------------------------------
# At this scale the soft and drawn-label curves look alike. Both estimate the right target,
# but one drawn class per row carries less information than the whole distribution. Their
# difference shows in the excess loss over the true probabilities (the cross-entropy to the
# true ``p`` minus its entropy, i.e. the KL divergence from the truth), on a log scale: the
# drawn labels' curve lies well above, and ten times as many drawn rows are mostly not enough
# to get as close to the true probabilities as the soft ones (in the printed table: 1,000
# drawn rows against 100 soft, 2,000 against 200, 5,000 against 500).
fig, ax = plt.subplots(figsize=(6, 4.5))
for name in ("soft labels", "one drawn label per row"):
    ax.plot(sizes, excess[name], "o-", label=name)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("training rows")
ax.set_ylabel("excess held-out loss over the true p (nats)")
ax.set_title("Soft against drawn labels")
ax.legend()
fig.tight_layout()

print(f"\n{'rows':>6}{'excess, soft':>16}{'excess, drawn':>16}")
for i, n in enumerate(sizes):
    print(f"{n:>6}{excess['soft labels'][i]:>16.2e}{excess['one drawn label per row'][i]:>16.2e}")

# %%
# Seeing the figures
# ------------------
# In the documentation the figures are shown above. Run as a script with a display,
# ``plt.show()`` opens them; on a machine without one (matplotlib's non-interactive "agg"
# backend, as over SSH or in CI), ``plt.show()`` would show nothing, so they are saved as PNG
# files in ``soft_vs_argmax_figures/`` under the current directory, and their paths printed.
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib  # noqa: E402

_NON_INTERACTIVE = {"agg", "pdf", "ps", "svg", "pgf", "cairo", "template"}
if "sphinx_gallery" not in sys.modules and matplotlib.get_backend().lower() in _NON_INTERACTIVE:
    out_dir = Path.cwd() / "soft_vs_argmax_figures"
    out_dir.mkdir(exist_ok=True)
    names = ["calibration", "learning_curves", "soft_vs_drawn"]
    for number, name in zip(plt.get_fignums(), names):
        path = out_dir / f"{name}.png"
        plt.figure(number).savefig(path, dpi=100)
        print(f"saved {path}")
    print("(no display: open the PNG files above to see the figures)")
else:
    plt.show()
