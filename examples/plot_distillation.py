"""
==============================================
Distillation: learning from 3% of the labels
==============================================

Hinton, Vinyals and Dean (2015, "Distilling the knowledge in a neural network", Table 5)
trained a speech model on 3% of its training data: with hard labels it overfitted badly,
with the soft targets of a large teacher it recovered most of the teacher's accuracy. The
teacher's probabilities tell the student not only which class a sample belongs to, but also
which other classes it resembles, and a temperature ``T > 1`` makes those small
probabilities large enough to learn from.

This example repeats that experiment in miniature on the handwritten digits. The teacher is
a small neural network fitted on the full training half; the student is a
:class:`~skfuzzy_ce.SoftLabelLogisticRegression` that sees the features of only 3% of the
training rows, fitted through :class:`~skfuzzy_ce.DistillationClassifier`:

* on their hard labels (``alpha=0``);
* on the teacher's probabilities softened at several temperatures (``alpha=1``);
* on the same, plus the other 97% of the training rows as an unlabeled *transfer set*
  (label ``-1``), which get the teacher's soft targets only.
"""

# %%
# The teacher
# -----------
# A one-hidden-layer MLP fitted on half of the digits; the other half is the test set. It
# is already fitted, so it is passed wrapped in :class:`sklearn.frozen.FrozenEstimator`:
# the distillation uses it as it is.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from skfuzzy_ce import DistillationClassifier, soften

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.5, random_state=0, stratify=y
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    mlp = MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=0)
    mlp.fit(X_train, y_train)
teacher = FrozenEstimator(mlp)
print(f"teacher: accuracy {mlp.score(X_test, y_test):.3f}")

# %%
# The teacher is confident: on most rows it gives the predicted digit a probability close to
# 1. Softening shows what else it sees. Here is one training "3" at several temperatures
# (:func:`~skfuzzy_ce.soften` computes ``softmax(log(p) / T)``).
row = np.flatnonzero(y_train == 3)[0]
p = mlp.predict_proba(X_train[row : row + 1])
print(
    pd.DataFrame(
        np.vstack([soften(p, T) for T in (1, 2, 4, 8)]).round(3),
        index=[f"T={T}" for T in (1, 2, 4, 8)],
        columns=mlp.classes_,
    )
)

# %%
# The students
# ------------
# Every student sees the same 3% of the training rows (27 rows, about 3 per digit); the
# results are averaged over five draws of those rows. ``alpha=0`` uses only the hard labels;
# ``alpha=1`` (the default) only the teacher's soft targets. With ``y == -1`` on the other
# training rows, they become the transfer set.
temperatures = [1, 2, 4, 8, 16]
n_labeled = int(0.03 * y_train.shape[0])


def evaluate(clf):
    """Test accuracy and log loss of a fitted classifier."""
    return clf.score(X_test, y_test), log_loss(y_test, clf.predict_proba(X_test))


results = {}
for seed in range(5):
    labeled = np.zeros(y_train.shape[0], dtype=bool)
    labeled[np.random.default_rng(seed).choice(y_train.shape[0], n_labeled, replace=False)] = True
    X_few, y_few = X_train[labeled], y_train[labeled]
    y_partial = np.where(labeled, y_train, -1)

    runs = {"hard labels (3%)": DistillationClassifier(teacher, alpha=0.0).fit(X_few, y_few)}
    for T in temperatures:
        clf = DistillationClassifier(teacher, temperature=T)
        runs[f"soft targets (3%), T={T}"] = clf.fit(X_few, y_few)
    for T in (1, 4):
        clf = DistillationClassifier(teacher, temperature=T)
        runs[f"soft targets + transfer set, T={T}"] = clf.fit(X_train, y_partial)
    for name, clf in runs.items():
        results.setdefault(name, []).append(evaluate(clf))

table = pd.DataFrame(
    {name: np.mean(scores, axis=0) for name, scores in results.items()},
    index=["accuracy", "log loss"],
).T
table.loc["teacher (MLP, 100%)"] = evaluate(mlp)
print(table.round(3).to_string())

# %%
# With hard labels, 27 rows are too few: the student reaches about 65% accuracy with a log
# loss above 2. The teacher's probabilities at ``T=1`` are almost one-hot, so accuracy hardly
# moves, although the log loss already drops; at ``T=4`` to ``16`` the student learns how
# the teacher ranks the wrong digits and, from the same 27 rows, gains five to eight points
# of accuracy and roughly halves its log loss. The transfer set, rows without any label,
# brings the student within about one point of the teacher's accuracy.
#
# The student predicts at temperature 1: its logits are multiplied back by ``T``, so its
# probabilities imitate the teacher's rather than the flattened targets it was fitted on
# (see :class:`~skfuzzy_ce.DistillationClassifier` for the math).

# %%
# The effect of the temperature
# -----------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
soft = table.loc[[f"soft targets (3%), T={T}" for T in temperatures]]
for ax, metric in zip(axes, ["accuracy", "log loss"]):
    ax.plot(temperatures, soft[metric], "o-", label="soft targets (3%)")
    hard = table.loc["hard labels (3%)", metric]
    ax.axhline(hard, color="C1", ls="--", label="hard labels (3%)")
    ax.axhline(
        table.loc["soft targets + transfer set, T=4", metric],
        color="C2", ls="-.", label="soft + transfer set, T=4",
    )
    ax.axhline(table.loc["teacher (MLP, 100%)", metric], color="k", ls=":", label="teacher")
    ax.set_xscale("log", base=2)
    ax.set_xticks(temperatures, [str(T) for T in temperatures])
    ax.set_xlabel("temperature T")
    ax.set_title(f"test {metric}")
axes[0].legend(loc="center right")  # the empty band between the students and the teacher
plt.show()
