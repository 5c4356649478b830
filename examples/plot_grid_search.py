"""
=====================================
Grid search on soft labels
=====================================

``GridSearchCV`` works on soft labels with two replacements (see :ref:`evaluation`):

* a **scorer** that compares predicted probabilities with the soft targets
  (``neg_soft_log_loss_scorer``), instead of the default accuracy, which only checks the
  argmax;
* a **splitter** that accepts 2-D soft targets: scikit-learn's ``StratifiedKFold`` refuses
  them; :class:`~skfuzzy_ce.model_selection.SoftStratifiedKFold` stratifies on their argmax.

We tune the regularization ``C`` of :class:`~skfuzzy_ce.SoftLabelLogisticRegression` on a
small, noisy data set where it matters.
"""

# %%
# Data: few rows, many features, soft labels
# ------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import softmax
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skfuzzy_ce import SoftLabelLogisticRegression
from skfuzzy_ce.metrics import kl_divergence, neg_soft_log_loss_scorer
from skfuzzy_ce.model_selection import SoftStratifiedKFold

rng = np.random.default_rng(0)
n_features, n_classes = 30, 4
coef_true = np.zeros((n_classes, n_features))
coef_true[:, :5] = rng.normal(scale=1.5, size=(n_classes, 5))  # 5 informative features


def make_data(n):
    X = rng.normal(size=(n, n_features))
    return X, softmax(X @ coef_true.T, axis=1)


# Training soft labels are the vote shares of 4 annotators (noisy estimates of the truth);
# the held-out rows keep the true probabilities, to measure how far each model is from them.
X, P = make_data(150)
Y = np.array([rng.multinomial(4, p) for p in P]) / 4
X_test, P_test = make_data(10000)

# %%
# scikit-learn's stratified splitter refuses soft targets
# -------------------------------------------------------
try:
    next(StratifiedKFold(5).split(X, Y))
except ValueError as exc:
    print("StratifiedKFold:", exc)

cv = SoftStratifiedKFold(n_splits=4, shuffle=True, random_state=0)
print("SoftStratifiedKFold test-fold class counts (by argmax):")
for _, test in cv.split(X, Y):
    print("  ", np.bincount(Y[test].argmax(axis=1), minlength=n_classes))

# %%
# Search ``C`` with the soft log loss, and with accuracy
# ------------------------------------------------------
Cs = np.logspace(-2, 2, 7)
searches = {}
for name, scoring in [("soft log loss", neg_soft_log_loss_scorer), ("accuracy", None)]:
    searches[name] = GridSearchCV(
        SoftLabelLogisticRegression(), {"C": Cs}, scoring=scoring, cv=cv
    ).fit(X, Y)
    best = searches[name]
    kl = kl_divergence(P_test, best.predict_proba(X_test))
    print(f"selected by {name:<14} C = {best.best_params_['C']:<8.3g} "
          f"held-out KL to the truth = {kl:.4f} nats")

# %%
# The log-loss curve has a clear optimum: too little regularization overfits the 150 rows
# (confident, wrong probabilities), too much flattens everything towards the class
# frequencies. Accuracy is flat over a wide range of ``C`` and noisy from fold to fold, since
# it only sees which class is ranked first, so it is a poor guide to the quality of the
# probabilities.
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (name, search) in zip(axes, searches.items()):
    mean = search.cv_results_["mean_test_score"]
    std = search.cv_results_["std_test_score"]
    ax.semilogx(Cs, mean, "o-")
    ax.fill_between(Cs, mean - std, mean + std, alpha=0.2)
    ax.axvline(search.best_params_["C"], color="k", ls=":", label="selected C")
    ax.set_xlabel("C")
    ax.set_ylabel("negative soft log loss" if name == "soft log loss" else "accuracy")
    ax.set_title(f"4-fold CV, scoring = {name}")
    ax.legend()
fig.tight_layout()
plt.show()
