"""Dask benchmark: the fit on a LocalCluster against the in-memory fit, side by side in one run.

Problem (issue 14): dense float32, n=2e6, d=100, K=10 soft labels (800 MB of X), on a
LocalCluster of 2 worker processes x 1 thread against the in-memory fit with 2 threads.

Prints, for each n: the whole fit (dask / in memory and the ratio), the time per evaluation
of the objective (median over the fit's evaluations; dask includes the round trip), the
iterations of each (equal) and the largest relative difference of the coefficients; then
the per-evaluation overhead at n=2e4 (dask minus in memory: the latency floor), and how the
fit time grows from the smallest n to the largest (10x the rows: 10 is linear).

Run: ``python benchmarks/bench_dask.py`` (about 1.6 GB per copy of X: one on the client,
one on the workers); ``--quick``: n up to 2e5, seconds.
"""

import argparse
import os
import time

import numpy as np


def make_chunk(seed, rows, d, K, W):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, d), dtype=np.float32)
    Z = X @ W.T
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Y = (0.8 * P + 0.2 * rng.dirichlet(np.ones(K), size=rows)).astype(np.float32)
    Y /= Y.sum(axis=1, keepdims=True)
    return X, Y


def make_problem(n, d, K, chunk_rows):
    """The problem as dask arrays made on the workers (seeded per chunk)."""
    import dask
    import dask.array as da

    W = np.random.default_rng(0).standard_normal((K, d)).astype(np.float32) / np.sqrt(d) * 2
    Xs, Ys = [], []
    for i, start in enumerate(range(0, n, chunk_rows)):
        rows = min(chunk_rows, n - start)
        part = dask.delayed(make_chunk, pure=True, nout=2)(i, rows, d, K, W)
        Xs.append(da.from_delayed(part[0], (rows, d), dtype=np.float32))
        Ys.append(da.from_delayed(part[1], (rows, K), dtype=np.float32))
    return da.concatenate(Xs), da.concatenate(Ys)


class EvalTimer:
    """Times every evaluation (``cls._loss_gradient``) while active: ``loss_gradient``
    answers a repeated point from memory without evaluating."""

    def __init__(self, cls):
        self.cls, self.times = cls, []

    def __enter__(self):
        self.original = self.cls._loss_gradient
        timer = self

        def timed(obj, w):
            t0 = time.perf_counter()
            out = timer.original(obj, w)
            timer.times.append(time.perf_counter() - t0)
            return out

        self.cls._loss_gradient = timed
        return self

    def __exit__(self, *exc):
        self.cls._loss_gradient = self.original


def run(n, args, client, quiet=False):
    import distributed

    from skfuzzy_ce import SoftLabelLogisticRegression
    from skfuzzy_ce._dask import DaskDataTerm
    from skfuzzy_ce._fused_objective import FusedLinearObjective

    chunk_rows = max(1, -(-n // args.chunks))
    Xd, Yd = make_problem(n, args.d, args.K, chunk_rows)
    Xd, Yd = client.persist([Xd, Yd])  # on the workers, as a user's data would be
    distributed.wait([Xd, Yd])
    X, Y = client.compute([Xd, Yd], sync=True)  # the in-memory copy
    params = dict(C=args.C, tol=args.tol, max_iter=args.max_iter)
    with EvalTimer(FusedLinearObjective) as mem_t:
        t0 = time.perf_counter()
        ref = SoftLabelLogisticRegression(n_threads=2, **params).fit(X, Y)
        t_mem = time.perf_counter() - t0
    with EvalTimer(DaskDataTerm) as dask_t:
        t0 = time.perf_counter()
        dist = SoftLabelLogisticRegression(**params).fit(Xd, Yd)
        t_dask = time.perf_counter() - t0
    if quiet:
        client.cancel([Xd, Yd])
        return None
    diff = np.abs(dist.coef_ - ref.coef_).max() / np.abs(ref.coef_).max()
    e_mem, e_dask = np.median(mem_t.times), np.median(dask_t.times)
    print(
        f"n={n:>9,}  fit: dask {t_dask:7.2f} s  in-memory {t_mem:7.2f} s  ratio "
        f"{t_dask / t_mem:5.2f}  | per evaluation: dask {1e3 * e_dask:8.1f} ms  in-memory "
        f"{1e3 * e_mem:8.1f} ms  ratio {e_dask / e_mem:5.2f}  | n_iter {dist.n_iter_[0]} / "
        f"{ref.n_iter_[0]}  evaluations {len(dask_t.times)} / {len(mem_t.times)}  coef rel. "
        f"diff {diff:.1e}",
        flush=True,
    )
    del X, Y
    client.cancel([Xd, Yd])
    return t_dask, t_mem, e_dask, e_mem


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, nargs="+", default=[2e5, 2e6])
    parser.add_argument("--overhead-n", type=float, default=2e4)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--K", type=int, default=10)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--chunks", type=int, default=8, help="row chunks of X")
    parser.add_argument("--quick", action="store_true", help="n in (2e4, 2e5)")
    args = parser.parse_args()
    if args.quick:
        args.n = [2e4, 2e5]
    sizes = sorted({int(n) for n in args.n})

    from distributed import Client, LocalCluster

    from bench_core import openblas_settings

    print(f"load average {os.getloadavg()}, {os.cpu_count()} CPUs; {openblas_settings()}",
          flush=True)  # fmt: skip
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1", memory_limit=0,
    )  # fmt: skip
    with cluster, Client(cluster) as client:
        print(f"LocalCluster: 2 workers x 1 thread; in memory: 2 threads; {args.chunks} "
              "row chunks", flush=True)  # fmt: skip
        run(2000, args, client, quiet=True)  # warm-up: imports on the workers
        over = run(int(args.overhead_n), args, client)
        print(f"per-evaluation overhead at n={int(args.overhead_n):,}: "
              f"{1e3 * (over[2] - over[3]):.1f} ms", flush=True)  # fmt: skip
        results = {n: run(n, args, client) for n in sizes if n != int(args.overhead_n)}
        results[int(args.overhead_n)] = over
        lo, hi = min(sizes), max(sizes)
        if lo != hi:
            print(
                f"growth n={lo:,} -> {hi:,} ({hi / lo:.0f}x the rows): dask fit "
                f"{results[hi][0] / results[lo][0]:.1f}x, in-memory fit "
                f"{results[hi][1] / results[lo][1]:.1f}x; per evaluation dask "
                f"{results[hi][2] / results[lo][2]:.1f}x, in-memory "
                f"{results[hi][3] / results[lo][3]:.1f}x",
                flush=True,
            )
    print(f"load average {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
