"""
==========================================================
Any classifier on soft labels with WeightedHardClassifier
==========================================================

Cross-entropy on soft labels is weighted maximum likelihood on a duplicated data set: every
row copied once per class, labeled with that class, weighted by its soft probability (see
the user guide, :ref:`duplicated_data`). Any scikit-learn classifier whose ``fit`` takes
``sample_weight`` can therefore learn from soft labels.
:class:`~skfuzzy_ce.WeightedHardClassifier` builds that data set inside ``fit``.

Here the true class probability is a non-linear function of two features, so a linear model
cannot follow it, and we wrap a gradient-boosting classifier instead.
"""

# %%
# Soft labels with a non-linear truth
# -----------------------------------
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from skfuzzy_ce import SoftLabelLogisticRegression, WeightedHardClassifier, to_weighted_hard
from skfuzzy_ce.metrics import soft_log_loss

rng = np.random.default_rng(0)


def true_p1(X):
    """P(class 1 | x): a wavy boundary, sharp in places and blurred in others."""
    return expit(2.5 * (np.sin(2.0 * X[:, 0]) - X[:, 1]) * (1 + 0.5 * X[:, 0] ** 2))


def make_data(n):
    X = rng.uniform(-2.5, 2.5, size=(n, 2))
    p1 = true_p1(X)
    return X, np.column_stack([1 - p1, p1])


X, Y = make_data(1500)
X_test, P_test = make_data(20000)

# %%
# The duplicated data set
# -----------------------
# :func:`~skfuzzy_ce.to_weighted_hard` makes it explicitly: one block of rows per class,
# each with the hard label of its block and the weight ``Y[i, k]``.
X_rep, y_rep, w_rep, index = to_weighted_hard(X, Y, return_index=True)
print("original rows:", X.shape[0], " duplicated rows:", X_rep.shape[0])
print("row 0 soft label:", Y[0].round(3))
print("its copies:", [(int(c), round(float(w), 3)) for c, w in zip(y_rep[index == 0],
                                                                     w_rep[index == 0])])

# %%
# Same model, two routes
# ----------------------
# For logistic regression, wrapping scikit-learn's estimator and fitting the soft
# cross-entropy directly reach the same coefficients.
wrapped = WeightedHardClassifier(LogisticRegression(C=1.0, tol=1e-10)).fit(X, Y)
direct = SoftLabelLogisticRegression(C=1.0, tol=1e-10).fit(X, Y)
print("wrapped LogisticRegression coef_:", wrapped.estimator_.coef_.round(5))
print("SoftLabelLogisticRegression coef_:", direct.coef_.round(5))

# %%
# A non-linear model on the soft labels
# -------------------------------------
# Gradient boosting fitted three ways: on the soft labels through the wrapper, on the
# argmax of the soft labels, and, for reference, the linear soft-label model.
models = {
    "linear, soft labels": direct,
    "boosting, argmax labels": HistGradientBoostingClassifier(random_state=0).fit(
        X, Y.argmax(axis=1)
    ),
    "boosting, soft labels": WeightedHardClassifier(
        HistGradientBoostingClassifier(random_state=0)
    ).fit(X, Y),
}
floor = soft_log_loss(P_test, P_test, base=2)
print(f"\nheld-out cross-entropy against the true probabilities (bits; floor {floor:.4f})")
for name, model in models.items():
    ce = soft_log_loss(P_test, model.predict_proba(X_test), base=2)
    print(f"  {name:<26}{ce:.4f}")

# %%
# The linear model cannot bend its boundary; boosting on the argmax bends it but learns
# probabilities that jump from 0 to 1, losing the blur where the truth is uncertain; boosting
# on the soft labels follows both the shape and the uncertainty.
grid = np.linspace(-2.5, 2.5, 150)
xx, yy = np.meshgrid(grid, grid)
X_grid = np.column_stack([xx.ravel(), yy.ravel()])
panels = {"truth": true_p1(X_grid)}
panels.update({name: m.predict_proba(X_grid)[:, 1] for name, m in models.items()})

fig, axes = plt.subplots(1, 4, figsize=(13, 3.6), sharey=True, layout="constrained")
for ax, (name, p1) in zip(axes, panels.items()):
    im = ax.imshow(p1.reshape(xx.shape), origin="lower", extent=(-2.5, 2.5, -2.5, 2.5),
                   vmin=0, vmax=1, cmap="RdBu_r")
    ax.set_title(name)
    ax.set_xlabel("feature 0")
axes[0].set_ylabel("feature 1")
fig.colorbar(im, ax=axes, label="P(class 1)", shrink=0.9, pad=0.02)
plt.show()
