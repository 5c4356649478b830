"""WeightedHardClassifier(LogisticRegression()) against SoftLabelLogisticRegression, side by side.

Problem (issue 2's): dense float64, n=100,000, d=100, K=10, soft labels, same C and tol.

The duplicated weighted data set has one row per non-zero soft label: here every label is
non-zero, so ``WeightedHardClassifier`` fits ``LogisticRegression`` on K * n = 1,000,000 rows
(a copy of X ten times over), where ``SoftLabelLogisticRegression`` reads the n rows once.

Prints, for both, the fit time, the L-BFGS iterations, the final objective (the same formula
for both: mean soft cross-entropy plus ``||W||^2 / (2 C n)``) and the peak memory traced by
tracemalloc during fit (a second fit, untimed), then the ratios. With ``--top-k k`` each soft
label keeps only its k largest entries (renormalized), and the duplicated set has k * n rows.

Run: ``python benchmarks/bench_weighted_hard.py`` (a few minutes), ``--quick`` (n=10,000).
"""

import tracemalloc

import numpy as np
from bench_core import make_problem, objective_value, problem_parser, timed
from sklearn.linear_model import LogisticRegression

from skfuzzy_ce import SoftLabelLogisticRegression, WeightedHardClassifier


def top_k(Y, k):
    """Keep the k largest entries of each row, renormalized (k=None: Y unchanged)."""
    if k is None or k >= Y.shape[1]:
        return Y
    keep = np.argsort(Y, axis=1)[:, -k:]
    out = np.zeros_like(Y)
    np.put_along_axis(out, keep, np.take_along_axis(Y, keep, axis=1), axis=1)
    return out / out.sum(axis=1, keepdims=True)


def fit_time_and_peak(estimator, X, Y):
    _, seconds = timed(lambda: estimator.fit(X, Y))
    tracemalloc.start()
    estimator.fit(X, Y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak


def main():
    parser = problem_parser(__doc__)
    parser.add_argument("--top-k", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="n=10,000")
    args = parser.parse_args()
    n = 10_000 if args.quick else args.n
    X, Y = make_problem(n, args.d, args.K)
    Y = top_k(Y, args.top_k)
    params = dict(C=args.C, tol=args.tol, max_iter=args.max_iter)
    rows = np.count_nonzero(Y)
    print(
        f"n={n} d={args.d} K={args.K} C={args.C} tol={args.tol} top_k={args.top_k} "
        f"X: {X.nbytes / 1e6:.0f} MB; duplicated set: {rows} rows ({rows / n:.1f} per sample)"
    )

    ours = SoftLabelLogisticRegression(**params)
    ours.fit(X[:1000], Y[:1000])  # warm up the extension and BLAS once
    meta = WeightedHardClassifier(LogisticRegression(**params))
    t_ours, peak_ours = fit_time_and_peak(ours, X, Y)
    t_meta, peak_meta = fit_time_and_peak(meta, X, Y)

    f_ours = objective_value(X, Y, ours.coef_, ours.intercept_, args.C)
    inner = meta.estimator_
    f_meta = objective_value(X, Y, inner.coef_, inner.intercept_, args.C)

    print(f"{'model':<46}{'fit s':>9}{'iters':>7}{'peak MB':>10}{'objective':>16}")
    for name, t, it, peak, f in [
        ("SoftLabelLogisticRegression", t_ours, ours.n_iter_[0], peak_ours, f_ours),
        ("WeightedHardClassifier(LogisticRegression())", t_meta, inner.n_iter_[0], peak_meta, f_meta),
    ]:
        print(f"{name:<46}{t:9.2f}{it:7d}{peak / 1e6:10.1f}{f:16.10f}")
    print()
    print(f"fit time, WeightedHardClassifier / SoftLabelLogisticRegression: {t_meta / t_ours:.2f}")
    print(f"peak memory, WeightedHardClassifier / SoftLabelLogisticRegression: {peak_meta / peak_ours:.2f}")
    print(f"peak memory / X bytes: {peak_meta / X.nbytes:.2f} and {peak_ours / X.nbytes:.2f}")
    print(f"objective, WeightedHardClassifier - SoftLabelLogisticRegression: {f_meta - f_ours:+.3e}")


if __name__ == "__main__":
    main()
