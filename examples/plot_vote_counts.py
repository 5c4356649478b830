"""
====================================
Soft labels from annotator votes
====================================

Crowd-labeled data sets record, for each row, how many annotators chose each class, and
rows were often seen by different numbers of annotators. This example turns such vote
counts into soft labels and sample weights with
:func:`~skfuzzy_ce.soft_labels_from_counts`, and compares three ways of using them:

* the majority vote (one hard label per row);
* the vote shares as soft labels, every row counting once;
* the vote shares weighted by the number of votes, which is the same as one training row
  per individual vote (checked below against scikit-learn).
"""

# %%
# Simulated annotators
# --------------------
# Two features, three classes, a known linear softmax model. Each row is labeled by between
# 1 and 9 annotators, each of whom draws a class from the true probabilities.
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from skfuzzy_ce import SoftLabelLogisticRegression, soft_labels_from_counts

rng = np.random.default_rng(42)
coef_true = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])


def true_proba(X):
    return softmax(X @ coef_true.T, axis=1)


X = rng.normal(size=(400, 2))
n_annotators = rng.integers(1, 10, size=len(X))
votes = np.array([rng.multinomial(m, p) for m, p in zip(n_annotators, true_proba(X))])
print("first rows of vote counts:\n", votes[:5])

Y, weight = soft_labels_from_counts(votes)
print("soft labels:\n", Y[:5].round(3))
print("weights (votes per row):", weight[:5])

# %%
# Three fits
# ----------
# Majority-vote ties are broken at random.
tie_break = rng.random(votes.shape) * 1e-3
y_majority = np.argmax(votes + tie_break, axis=1)

models = {
    "majority vote": SoftLabelLogisticRegression().fit(X, y_majority),
    "vote shares, unweighted": SoftLabelLogisticRegression().fit(X, Y),
    "vote shares, weighted by votes": SoftLabelLogisticRegression().fit(
        X, Y, sample_weight=weight
    ),
}

# %%
# The weighted soft fit is the fit on one row per vote
# ----------------------------------------------------
# Expanding every row into one hard-labeled row per individual vote, and fitting scikit-learn's
# ``LogisticRegression`` on that, gives the same coefficients: vote shares times vote counts
# are the counts, so the two log-likelihoods are the same function.
rows = np.repeat(np.arange(len(X)), n_annotators)
labels = np.concatenate([np.repeat(np.arange(3), v) for v in votes])
expanded = LogisticRegression(tol=1e-10).fit(X[rows], labels)
weighted = SoftLabelLogisticRegression(tol=1e-10).fit(X, Y, sample_weight=weight)
print(f"{len(rows)} individual votes from {len(X)} rows")
print("max |coef difference| vs one row per vote:",
      f"{np.abs(expanded.coef_ - weighted.coef_).max():.2e}")

# %%
# Held-out quality
# ----------------
# Score each model against outcomes drawn from the true probabilities on new rows, and
# against the true probabilities themselves (cross-entropy; the entropy of the truth is the
# floor).
X_test = rng.normal(size=(20000, 2))
P_test = true_proba(X_test)
y_test = (rng.random((len(X_test), 1)) > np.cumsum(P_test, axis=1)).sum(axis=1)

results = {}
for name, model in models.items():
    proba = model.predict_proba(X_test)
    results[name] = log_loss(y_test, proba)
    print(f"{name:<32} held-out log loss {results[name]:.4f}   "
          f"accuracy {model.score(X_test, y_test):.4f}")
print(f"{'true probabilities':<32} held-out log loss {log_loss(y_test, P_test):.4f}")

# %%
# The majority vote repeats the mistake of :ref:`sphx_glr_auto_examples_plot_soft_vs_argmax.py`:
# it makes the labels look certain and the model overconfident. The vote shares fix that;
# weighting them by the number of votes lets the rows seen by many annotators (whose shares
# are less noisy) count for more.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
axes[0].scatter(X[:, 0], X[:, 1], c=Y, s=12 + 6 * weight, edgecolors="none")
axes[0].set_title("Training rows: color = vote shares (RGB),\nsize = number of votes")
axes[0].set_xlabel("feature 0")
axes[0].set_ylabel("feature 1")

names = list(results)
axes[1].barh(names, [results[n] for n in names], color=["C3", "C0", "C2"])
axes[1].axvline(log_loss(y_test, P_test), color="k", ls=":", label="true probabilities")
axes[1].set_xlim(0.9 * log_loss(y_test, P_test), 1.05 * max(results.values()))
axes[1].set_xlabel("held-out log loss (nats)")
axes[1].legend(loc="lower right")
fig.tight_layout()
plt.show()
