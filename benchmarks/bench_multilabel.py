"""Multi-label benchmark: binary cross-entropy on soft targets against scikit-learn, one run.

``SoftLabelLogisticRegression(loss="binary_cross_entropy")`` fits one independent sigmoid per
column. The penalty is separable, so the same model is K separate binary fits; scikit-learn's
``LogisticRegression`` takes only hard labels, so each column's soft target ``y_k`` becomes
the duplicated binary data set (every row twice: label 1 with weight ``y_k``, label 0 with
weight ``1 - y_k``), exactly as for the softmax case.

Prints the fit time of both routes, their ratio, the largest difference between the fitted
probabilities, and the peak memory traced during our fit against the bytes of X.

Run: ``python benchmarks/bench_multilabel.py`` (``--n 20000`` for a quicker run).
"""

import tracemalloc

import numpy as np
from bench_core import problem_parser, timed
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from skfuzzy_ce import SoftLabelLogisticRegression


def make_problem(n, d, K, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    W = rng.randn(K, d) / np.sqrt(d) * 2
    # Soft multi-label targets: noisy versions of the true independent probabilities.
    Y = np.clip(expit(X @ W.T) + 0.1 * rng.randn(n, K), 0.0, 1.0)
    return X, Y


def fit_columns_separately(X, Y, C, tol, max_iter):
    """K binary LogisticRegression fits, each on its column's duplicated data set."""
    n = X.shape[0]
    X2 = np.vstack([X, X])
    y2 = np.r_[np.ones(n), np.zeros(n)]
    models = []
    for k in range(Y.shape[1]):
        w2 = np.r_[Y[:, k], 1.0 - Y[:, k]]
        lr = LogisticRegression(C=C, tol=tol, max_iter=max_iter)
        models.append(lr.fit(X2, y2, sample_weight=w2))
    return models


def main():
    args = problem_parser(__doc__, tol=1e-6, max_iter=1000).parse_args()

    X, Y = make_problem(args.n, args.d, args.K)
    common = dict(C=args.C, tol=args.tol, max_iter=args.max_iter)
    print(
        f"n={args.n} d={args.d} K={args.K} C={args.C} tol={args.tol} "
        f"X: {X.nbytes / 1e6:.0f} MB"
    )

    ours = SoftLabelLogisticRegression(loss="binary_cross_entropy", **common)
    ours.fit(X[:1000], Y[:1000])  # warm-up: thread pools, page faults
    _, t_ours = timed(lambda: ours.fit(X, Y))
    models, t_sk = timed(lambda: fit_columns_separately(X, Y, **common))

    tracemalloc.start()
    SoftLabelLogisticRegression(loss="binary_cross_entropy", **common).fit(X, Y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    P_sk = np.column_stack([m.predict_proba(X)[:, 1] for m in models])
    diff = np.abs(ours.predict_proba(X) - P_sk).max()
    iters = sum(int(m.n_iter_[0]) for m in models)
    print(f"{'model':<52}{'fit s':>8}{'iters':>8}")
    print(f"{'ours, binary_cross_entropy (one fit, K sigmoids)':<52}{t_ours:>8.2f}"
          f"{int(ours.n_iter_[0]):>8}")
    print(f"{'LogisticRegression x K, duplicated binary rows':<52}{t_sk:>8.2f}{iters:>8}")
    print()
    print(f"fit time ratio, ours / K LogisticRegression fits: {t_ours / t_sk:.3f}")
    print(f"largest difference of the fitted probabilities: {diff:.1e}")
    print(f"peak traced memory during our fit / X bytes: {peak / X.nbytes:.3f} "
          f"({peak / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
