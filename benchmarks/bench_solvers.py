"""Solvers benchmark (issue 12): newton-cholesky and newton-cd against scikit-learn, side by side.

Three problems, each printed as a table and ratios (never asserted anywhere):

1. newton-cholesky on hard labels (n=1e5, d=50, K=5): time per Newton iteration of ours /
   scikit-learn's ``LogisticRegression(solver="newton-cholesky")`` on the same rows, and both
   iteration counts (tol=1e-8).
2. newton-cholesky on soft labels (same shape): the whole fit / our lbfgs, both at tol=1e-8,
   and how close each gets to the optimum (lbfgs may stop short, and then warns); on
   standardized features and on features whose scales span two orders of magnitude.
3. Elastic net on soft labels (n=1e5, d=100, K=10, ``l1_ratio=0.5``): our newton-cd / scikit-
   learn's saga on the duplicated weighted data set (each row once per class, weighted by its
   probability: the same objective), with the objective each reaches and the zero patterns;
   then CSR (d=2e4, 0.5% density) against saga the same way.

Run: ``python benchmarks/bench_solvers.py`` (several minutes: saga is slow); ``--quick`` for
n=2e4 and a small CSR problem.
"""

import argparse
import os
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info

from skfuzzy_ce import SoftLabelLogisticRegression, to_weighted_hard


def soft_problem(n, d, K, *, seed=0, sparse_density=None):
    """X (dense, or CSR at ``sparse_density``) and soft labels from a noisy linear model."""
    rng = np.random.RandomState(seed)
    if sparse_density is None:
        X = rng.randn(n, d)
        W = rng.randn(K, d) / np.sqrt(d) * 2
    else:
        # Random positions through COO (scipy.sparse.random takes minutes at 1e5 x 2e4).
        nnz = int(n * d * sparse_density)
        X = sp.coo_matrix((rng.randn(nnz), (rng.randint(0, n, nnz), rng.randint(0, d, nnz))),
                          shape=(n, d)).tocsr()  # fmt: skip
        X.sum_duplicates()
        W = rng.randn(K, d) * (rng.rand(K, d) < 0.05) / np.sqrt(d * sparse_density) * 4
    W[:, d // 2 :] = 0.0  # half the features carry no signal: something for L1 to zero
    Z = np.asarray(X @ W.T)
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Y = rng.dirichlet(np.ones(K), size=n) * 0.2 + 0.8 * P
    return X, Y


def objective(X, Y, coef, intercept, C, l1_ratio):
    """The objective both sides minimize, evaluated by one formula (numpy, float64)."""
    Z = np.asarray(X @ coef.T) + intercept
    m = Z.max(axis=1, keepdims=True)
    log_p = Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))
    n = X.shape[0]
    pen = (1 - l1_ratio) * 0.5 * (coef**2).sum() + l1_ratio * np.abs(coef).sum()
    return -(Y * log_p).sum() / n + pen / (C * n)


def timed(fn):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always", ConvergenceWarning)
        t0 = time.perf_counter()
        out = fn()
        elapsed = time.perf_counter() - t0
    return out, elapsed, [str(r.message)[:60] for r in rec]


def header():
    blas = [(i.get("internal_api"), i.get("version"), i.get("num_threads"))
            for i in threadpool_info() if i.get("user_api") == "blas"]  # fmt: skip
    print(f"cores: {len(os.sched_getaffinity(0))}, load average: {os.getloadavg()}, BLAS: {blas}")


def newton_cholesky(n, K=5, d=50):
    X, Y = soft_problem(n, d, K, seed=1)
    y = Y.argmax(axis=1)
    params = dict(solver="newton-cholesky", C=1.0, tol=1e-8, max_iter=100)
    print(f"\n1. newton-cholesky, hard labels: n={n} d={d} K={K}, tol={params['tol']}")
    ours, t_ours, w1 = timed(lambda: SoftLabelLogisticRegression(**params).fit(X, y))
    ref, t_ref, w2 = timed(lambda: LogisticRegression(**params).fit(X, y))
    it_ours, it_ref = int(ours.n_iter_[0]), int(ref.n_iter_[0])
    for name, t, it, w in (("ours:        ", t_ours, it_ours, w1),
                           ("scikit-learn:", t_ref, it_ref, w2)):  # fmt: skip
        print(f"  {name} {t:7.2f} s, {it} iterations, {t / it:.3f} s/iter {w}")
    print(f"  largest coefficient difference: {np.abs(ours.coef_ - ref.coef_).max():.2e}")
    print(f"  time per iteration, ours / scikit-learn: {(t_ours / it_ours) / (t_ref / it_ref):.3f}"
          " (target <= 0.5)")  # fmt: skip

    for scaling in ("standardized", "scales 1 to 100"):
        Xs = X if scaling == "standardized" else X * np.logspace(0, 2, d)
        print(f"\n2. newton-cholesky against our lbfgs, soft labels, {scaling} features: n={n} "
              f"d={d} K={K}, tol=1e-8")  # fmt: skip
        newton, t_n, w1 = timed(lambda: SoftLabelLogisticRegression(**params).fit(Xs, Y))
        lbfgs, t_l, w2 = timed(
            lambda: SoftLabelLogisticRegression(C=1.0, tol=1e-8, max_iter=10_000).fit(Xs, Y)
        )
        f_n = objective(Xs, Y, newton.coef_, newton.intercept_, 1.0, 0.0)
        f_l = objective(Xs, Y, lbfgs.coef_, lbfgs.intercept_, 1.0, 0.0)
        for name, t, est, f, w in (("newton-cholesky:", t_n, newton, f_n, w1),
                                   ("lbfgs:          ", t_l, lbfgs, f_l, w2)):  # fmt: skip
            print(f"  {name} {t:7.2f} s, {est.n_iter_[0]} iterations, objective {f:.12f} {w}")
        print(f"  whole fit, newton-cholesky / lbfgs: {t_n / t_l:.3f} (target <= 0.5)")


def elastic_net(n, d, K, C, *, sparse_density=None, saga_tol=1e-4, saga_max_iter=100):
    X, Y = soft_problem(n, d, K, seed=2, sparse_density=sparse_density)
    kind = "dense" if sparse_density is None else f"CSR {100 * sparse_density:g}%"
    print(f"\n3. elastic net, soft labels, {kind}: n={n} d={d} K={K}, C={C}, l1_ratio=0.5")
    ours, t_ours, w1 = timed(
        lambda: SoftLabelLogisticRegression(C=C, l1_ratio=0.5, tol=1e-6, max_iter=100).fit(X, Y)
    )
    X_rep, y_rep, w_rep = to_weighted_hard(X, Y)
    saga = LogisticRegression(C=C, l1_ratio=0.5, solver="saga", tol=saga_tol,
                              max_iter=saga_max_iter)  # fmt: skip
    _, t_saga, w2 = timed(lambda: saga.fit(X_rep, y_rep, sample_weight=w_rep))
    f_ours = objective(X, Y, ours.coef_, ours.intercept_, C, 0.5)
    f_saga = objective(X, Y, saga.coef_, saga.intercept_, C, 0.5)
    z_ours, z_saga = (ours.coef_ == 0).mean(), (saga.coef_ == 0).mean()
    print(f"  ours (newton-cd): {t_ours:8.2f} s, {ours.n_iter_[0]} Newton steps, objective "
          f"{f_ours:.10f}, zeros {z_ours:.1%} {w1}")  # fmt: skip
    print(f"  saga, duplicated: {t_saga:8.2f} s, {saga.n_iter_[0]} epochs,      objective "
          f"{f_saga:.10f}, zeros {z_saga:.1%} {w2}")  # fmt: skip
    print(f"  objective, ours - saga: {f_ours - f_saga:+.2e} (<= 0: ours at least as good)")
    print(f"  fit time, ours / saga: {t_ours / t_saga:.3f} (target <= 0.2)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problems (seconds)")
    parser.add_argument("--part", choices=["all", "newton", "dense", "csr"], default="all",
                        help="run one part only (1-2: newton; 3: dense or csr)")  # fmt: skip
    parser.add_argument("--csr-saga-epochs", type=int, default=30,
                        help="saga's max_iter on the CSR problem (about a minute each)")
    args = parser.parse_args()
    header()
    n = 20_000 if args.quick else 100_000
    if args.part in ("all", "newton"):
        newton_cholesky(n)
    if args.part in ("all", "dense"):
        elastic_net(n, 100, 10, C=0.05)
    if args.part in ("all", "csr"):
        if args.quick:
            elastic_net(20_000, 2_000, 10, C=0.5, sparse_density=0.005)
        else:
            elastic_net(100_000, 20_000, 10, C=0.5, sparse_density=0.005,
                        saga_max_iter=args.csr_saga_epochs)  # fmt: skip


if __name__ == "__main__":
    main()
