"""Scaling benchmark (issue 16): fit time and peak memory against n, d and K, side by side.

Three sweeps from the reference problem (dense float32, n=1e5, d=100, K=10, soft labels,
C=1, tol=1e-4, max_iter=100), one parameter varied at a time:

- n from 1e4 to 1e7 (d=100, K=10);
- d from 10 to 1000 (n=1e5, K=10);
- K from 2 to 200 (n=1e5, d=100).

Contenders, each where its data fits within ``--mem-gb`` (and a run time of a few minutes):

- ours: ``SoftLabelLogisticRegression`` (float32 kernels, every core);
- numpy: a hand-written L-BFGS (scipy's L-BFGS-B on the same objective, its loss and
  gradient by numpy: ``X @ W.T``, a softmax, ``G.T @ X``, in X's precision);
- duplicated: ``LogisticRegression`` on the duplicated weighted data set (K x n rows).

Per point: fit time (best of two when under a second; without tracemalloc), iterations,
time per iteration, and the peak memory traced (tracemalloc, in a further fit: numpy's and
Python's allocations) during the fit beyond the data already in memory. Slopes are least-squares fits of log(time) and log(time per iteration) against
log(parameter), over the points with the parameter at or above the sweep's reference
value (below it fixed costs dominate); a slope of 1 is linear.

Writes ``benchmarks/results/bench_scaling.csv`` and ``bench_scaling.png`` (log-log, slopes
in the legend). Run: ``python benchmarks/bench_scaling.py`` (a few minutes on 2 cores;
``--quick``: n up to 1e5, seconds).
"""

import argparse
import csv
import gc
import os
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # see bench_kernels.py

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from skfuzzy_ce import SoftLabelLogisticRegression, show_config  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
C, TOL, MAX_ITER = 1.0, 1e-4, 100
SETTLE_S = 0.2
N_THREADS = None  # --threads: ours' n_threads, and BLAS's threads for the references


def make_problem(n, d, K, seed=0, dtype=np.float32):
    """X (float32) and soft labels from a random linear model (as bench_core.make_problem),
    made block by block so that n=1e7 needs no float64 copy of X."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((K, d)) / np.sqrt(d) * 2
    X = np.empty((n, d), dtype=dtype)
    Y = np.empty((n, K), dtype=dtype)
    step = 200_000
    for i in range(0, n, step):
        Xb = rng.standard_normal((min(step, n - i), d), dtype=np.float32)
        Z = Xb @ W.T.astype(np.float32)
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        X[i : i + len(Xb)] = Xb
        Y[i : i + len(Xb)] = rng.dirichlet(np.ones(K), size=len(Xb)) * 0.2 + 0.8 * P
    return X, Y


def fit_ours(X, Y):
    model = SoftLabelLogisticRegression(C=C, tol=TOL, max_iter=MAX_ITER, n_threads=N_THREADS)
    model.fit(X, Y)
    return int(model.n_iter_[0])


def fit_numpy(X, Y):
    """L-BFGS-B on mean soft cross-entropy + ||W||^2 / (2 C n), loss and gradient by numpy."""
    n, d = X.shape
    K = Y.shape[1]
    dtype = X.dtype

    def fun(w):
        W = w[: K * d].reshape(K, d).astype(dtype)
        b = w[K * d :].astype(dtype)
        Z = X @ W.T + b
        Z -= Z.max(axis=1, keepdims=True)
        E = np.exp(Z)
        S = E.sum(axis=1, keepdims=True)
        log_p = Z - np.log(S)
        loss = -float((Y * log_p).sum(dtype=np.float64)) / n
        G = (E / S) * Y.sum(axis=1, keepdims=True) - Y
        gW = (G.T @ X).astype(np.float64) / n + w[: K * d].reshape(K, d) / (C * n)
        gb = G.sum(axis=0, dtype=np.float64) / n
        loss += float(w[: K * d] @ w[: K * d]) / (2 * C * n)
        return loss, np.concatenate([gW.ravel(), gb])

    res = minimize(
        fun, np.zeros(K * (d + 1)), jac=True, method="L-BFGS-B",
        options={"maxiter": MAX_ITER, "gtol": TOL},
    )  # fmt: skip
    return int(res.nit)


def fit_duplicated(X, Y):
    n, K = Y.shape
    X_rep = np.vstack([X] * K)
    y_rep = np.repeat(np.arange(K), n)
    w_rep = Y.T.ravel().astype(np.float64)
    model = LogisticRegression(C=C, tol=TOL, max_iter=MAX_ITER)
    model.fit(X_rep, y_rep, sample_weight=w_rep)
    return int(model.n_iter_[0])


# Bytes each contender needs beyond X and Y (its own copies and temporaries), to skip a
# point that would not fit in --mem-gb; and its rough cost in multiply-adds per iteration,
# to skip a point that would take too long (--max-madds).
def need_bytes(name, n, d, K):
    if name == "ours":
        return 0
    if name == "numpy":
        return 6 * 4 * n * K  # Z, E, log_p, G, products: (n, K) float32 temporaries
    return 8 * K * n * (d + 3)  # X duplicated K times (float64 in scikit-learn), y, weights


def cost(name, n, d, K):
    return (K if name == "duplicated" else 1) * 2 * n * d * K


FITS = {"ours": fit_ours, "numpy": fit_numpy, "duplicated": fit_duplicated}


def measure(name, X, Y):
    """Fit time (best of two below 1 s, else one), iterations, peak traced memory."""
    fit = FITS[name]
    gc.collect()
    time.sleep(SETTLE_S)
    with threadpool_limits(limits=N_THREADS, user_api="blas"):
        # Timed without tracemalloc (it slows every allocation), then traced once.
        t0 = time.perf_counter()
        n_iter = fit(X, Y)
        t = time.perf_counter() - t0
        if t < 1.0:  # best of two
            gc.collect()
            time.sleep(SETTLE_S)
            t0 = time.perf_counter()
            fit(X, Y)
            t = min(t, time.perf_counter() - t0)
        gc.collect()
        tracemalloc.start()
        fit(X, Y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return t, n_iter, peak


def slope(xs, ys):
    xs, ys = np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float))
    if len(xs) < 2:
        return np.nan
    return float(np.polyfit(xs, ys, 1)[0])


def plot(rows, slopes, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    styles = {"ours": "o-", "numpy": "s--", "duplicated": "^:"}
    labels = {"ours": "ours", "numpy": "numpy L-BFGS", "duplicated": "LogisticRegression (dup.)"}
    for col, sweep in enumerate(["n", "d", "K"]):
        for name in FITS:
            sel = [r for r in rows if r["sweep"] == sweep and r["solver"] == name]
            if not sel:
                continue
            x = [r[sweep] for r in sel]
            s_t = slopes.get((sweep, name, "time_s"), np.nan)
            s_m = slopes.get((sweep, name, "peak_mb"), np.nan)
            axes[0, col].loglog(x, [r["time_s"] for r in sel], styles[name],
                                label=f"{labels[name]} (slope {s_t:.2f})")  # fmt: skip
            axes[1, col].loglog(x, [max(r["peak_mb"], 1e-3) for r in sel], styles[name],
                                label=f"{labels[name]} (slope {s_m:.2f})")  # fmt: skip
        axes[0, col].set_title(f"fit time against {sweep}")
        axes[1, col].set_title(f"peak traced memory against {sweep}")
        axes[1, col].set_xlabel(sweep)
        for ax in axes[:, col]:
            ax.legend(fontsize=7)
            ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].set_ylabel("fit time (s)")
    axes[1, 0].set_ylabel("peak traced memory beyond X, Y (MB)")
    fig.suptitle("Scaling, float32, soft labels (defaults n=1e5, d=100, K=10)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sweeps (seconds)")
    parser.add_argument("--mem-gb", type=float, default=8.0,
                        help="skip a contender whose data would need more (default 8)")
    parser.add_argument("--max-madds", type=float, default=4e10,
                        help="skip a reference contender above this many multiply-adds per "
                             "iteration (default 4e10: a few seconds per iteration)")
    parser.add_argument("--max-n", type=int, default=10_000_000)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of every contender (default: all cores)")
    args = parser.parse_args()
    global N_THREADS
    N_THREADS = args.threads
    ref = dict(n=100_000, d=100, K=10)
    sweeps = {
        "n": [10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000],
        "d": [10, 30, 100, 300, 1000],
        "K": [2, 5, 10, 20, 50, 100, 200],
    }
    if args.quick:
        ref = dict(n=20_000, d=50, K=5)
        sweeps = {"n": [5_000, 20_000, 100_000], "d": [10, 50, 200], "K": [2, 5, 20]}
    sweeps["n"] = [n for n in sweeps["n"] if n <= args.max_n]

    print("load average (1, 5, 15 min):", " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(f"threads: {'all' if N_THREADS is None else N_THREADS}")
    show_config()
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            print(f"BLAS: {lib['internal_api']} {lib['version']} "
                  f"kernel={lib.get('architecture')} threads={lib['num_threads']}")  # fmt: skip
    print(f"{'sweep':<6}{'n':>10}{'d':>6}{'K':>5}  {'solver':<11}{'load':>6}{'time s':>9}"
          f"{'iter':>6}{'ms/iter':>10}{'peak MB':>10}{'X MB':>9}")  # fmt: skip
    rows = []
    for sweep, values in sweeps.items():
        for v in values:
            p = dict(ref, **{sweep: v})
            X, Y = make_problem(p["n"], p["d"], p["K"])
            for name in FITS:
                skip = None
                if need_bytes(name, **p) + X.nbytes + Y.nbytes > args.mem_gb * 1e9:
                    skip = "memory"
                elif name != "ours" and cost(name, **p) > args.max_madds:
                    skip = "time"
                if skip:
                    print(f"{sweep:<6}{p['n']:>10}{p['d']:>6}{p['K']:>5}  {name:<11}"
                          f"  skipped ({skip})")  # fmt: skip
                    continue
                load1 = os.getloadavg()[0]
                t, n_iter, peak = measure(name, X, Y)
                row = dict(sweep=sweep, **p, solver=name, load1=load1, time_s=t,
                           n_iter=n_iter, ms_per_iter=1e3 * t / max(n_iter, 1),
                           peak_mb=peak / 1e6, x_mb=X.nbytes / 1e6)  # fmt: skip
                rows.append(row)
                print(f"{sweep:<6}{p['n']:>10}{p['d']:>6}{p['K']:>5}  {name:<11}{load1:6.2f}"
                      f"{t:9.3f}{n_iter:6d}{row['ms_per_iter']:10.2f}{row['peak_mb']:10.1f}"
                      f"{row['x_mb']:9.1f}", flush=True)  # fmt: skip
            del X, Y
            gc.collect()

    slopes = {}
    print("\nslopes of log(value) against log(parameter), parameter >= its reference value:")
    for sweep in sweeps:
        for name in FITS:
            sel = [r for r in rows if r["sweep"] == sweep and r["solver"] == name
                   and r[sweep] >= ref[sweep]]  # fmt: skip
            if len(sel) < 2:
                continue
            parts = []
            for key in ("time_s", "ms_per_iter", "peak_mb"):
                slopes[(sweep, name, key)] = slope([r[sweep] for r in sel], [r[key] for r in sel])
                parts.append(f"{key} {slopes[(sweep, name, key)]:.2f}")
            print(f"  {sweep}: {name:<11}" + ", ".join(parts)
                  + f"  ({sel[0][sweep]} to {sel[-1][sweep]})")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    suffix = "_quick" if args.quick else ""
    with open(RESULTS / f"bench_scaling{suffix}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, slopes, RESULTS / f"bench_scaling{suffix}.png")
    print("load average (1, 5, 15 min):", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
