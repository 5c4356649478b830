"""Kernel benchmark (issue 7): one loss-and-gradient evaluation, side by side in one run.

For each problem and each setting (float64 / float32, 1 thread / all), one evaluation of

- ours: ``FusedLinearObjective`` (one blocked pass over X, the objective of
  ``SoftLabelLogisticRegression(loss="cross_entropy")``) on soft labels;
- numpy's two GEMMs alone: ``X @ W.T`` and ``G.T @ X`` (no softmax at all);
- scikit-learn's loss and gradient (``LinearModelLoss`` with ``HalfMultinomialLoss``, what
  ``LogisticRegression`` evaluates) on the same rows with hard (argmax) labels;

timed in turn (the three interleaved, best of ``--repeat``), so that the ratios come from the
same moments of a noisy machine. Problems: dense n=1e5 with d in {20, 100, 500} and K in
{3, 10, 100}; CSR n=1e5, d=1e4, 0.5% density, K=10.

End to end, on the headline problem only (dense n=1e5, d=100, K=10, all threads; the
duplicated fit takes a while, so it runs once): fit time of ours / ``LogisticRegression``
on the duplicated weighted data set (K x n rows), the objective each reaches, and the peak
memory traced (tracemalloc) during our fit / the bytes of X.

Ours runs in the CPU variant of the kernels chosen at import (``skfuzzy_ce.show_config()``,
printed in the header); ``--variants baseline,avx512`` times ours in each of the variants
named, as further contenders of the same interleaving (columns ``t_<variant>_ms`` and
``<variant>_over_gemm``), so that the effect of the dispatch is a ratio of one run.
``--issue-table`` runs the problems of issue 16's table only. Every row records the load
average at its start.

Writes ``benchmarks/results/bench_kernels.csv`` and ``bench_kernels.png``.
Run: ``python benchmarks/bench_kernels.py`` (``--quick`` for a small smoke run).
"""

import argparse
import csv
import importlib.util
import os
import time
import tracemalloc
from pathlib import Path

# The contenders take turns, and with several threads OpenBLAS's idle workers spin for about
# 0.1 s after each numpy gemm (its default THREAD_TIMEOUT): they took a core from whichever
# contender ran next (measured on 2 cores: ours 5 -> 8 to 33 ms, scikit-learn's float32
# 20 -> 40 ms). Let them sleep at once, unless the caller chose a timeout (28 is OpenBLAS's
# default). Read when OpenBLAS loads: set before numpy is imported.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn._loss.loss import HalfMultinomialLoss  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.linear_model._linear_loss import LinearModelLoss  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from skfuzzy_ce import SoftLabelLogisticRegression, _cpu_dispatch, show_config  # noqa: E402
from skfuzzy_ce._fused_objective import FusedLinearObjective  # noqa: E402
from skfuzzy_ce._objective import make_objective  # noqa: E402
from skfuzzy_ce._threads import effective_n_threads  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

# The core benchmark's problem generator and objective formula (one definition of each).
_spec = importlib.util.spec_from_file_location("bench_core", HERE / "bench_core.py")
bench_core = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_core)


def soft_labels(X, K, seed):
    """Soft labels from a random linear model, as in the core benchmark (works for CSR)."""
    rng = np.random.RandomState(seed)
    W = rng.randn(K, X.shape[1]) / np.sqrt(max(X.shape[1] * (X.nnz / np.prod(X.shape) if sp.issparse(X) else 1), 1)) * 2
    Z = np.asarray(X @ W.T)
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    return rng.dirichlet(np.ones(K), size=X.shape[0]) * 0.2 + 0.8 * P


def make_problem(kind, n, d, K, seed=0):
    if kind == "dense":
        return bench_core.make_problem(n, d, K, seed=seed)
    rng = np.random.RandomState(seed)
    X = sp.random(n, d, density=0.005, format="csr", random_state=rng, dtype=np.float64)
    X.data = rng.randn(X.nnz)
    return X, soft_labels(X, K, seed)


def ours_objective(X, Y, n_threads):
    n, K = Y.shape
    sw = np.ones(n)
    cw = np.ones(K)
    data = FusedLinearObjective(
        X, np.ascontiguousarray(Y, dtype=X.dtype), sw, cw, n_outputs=K, fit_intercept=True,
        n_threads=n_threads,
    )  # fmt: skip
    return make_objective(data, float(n), C=1.0, l1_ratio=0.0)  # C=1: l2 = 1 / n


def evaluations(objective, w):
    """A call that evaluates ``objective`` afresh each time: the data term returns its
    remembered result when ``w`` repeats bitwise, so the calls alternate between ``w`` and
    the next float64 above it (a different point, the same work)."""
    points = [w, np.nextafter(w, np.inf)]
    calls = [0]

    def evaluate():
        calls[0] += 1
        return objective(points[calls[0] % 2])

    return evaluate


SETTLE_S = 0.02


def time_interleaved(fns, repeat):
    """Best time of each function, running them in turn ``repeat`` times (after a warm-up).

    Each timed call starts after a pause of SETTLE_S: OpenMP workers spin a few ms after a
    parallel region, and without it they took a core from the next contender (measured on 2
    cores: numpy's float32 GEMMs 11 ms after a pause, 18 ms right after our kernel).
    """
    for fn in fns:
        fn()
    best = [np.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            time.sleep(SETTLE_S)
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def bench_evaluation(kind, X64, Y, n_threads, repeat, variants=()):
    """Rows of per-evaluation timings for float64 and float32 at one thread setting.

    variants: CPU variants in which ours is also timed, in the same interleaving."""
    rows = []
    n, K = Y.shape
    d = X64.shape[1]
    y_hard = Y.argmax(axis=1).astype(np.float64)
    for dtype in (np.float64, np.float32):
        X = X64.astype(dtype) if dtype != X64.dtype else X64
        load1 = os.getloadavg()[0]
        ours = ours_objective(X, Y, n_threads)
        ours_variants = []
        for variant in variants:
            with _cpu_dispatch.use_variant(variant):
                ours_variants.append(ours_objective(X, Y, n_threads))
        rng = np.random.RandomState(1)
        w = rng.randn(ours.n_params) * 0.01
        W = np.ascontiguousarray(w[: K * d].reshape(K, d), dtype=dtype)
        G = rng.randn(n, K).astype(dtype)
        Z = np.empty((n, K), dtype=dtype)
        GW = np.empty((K, d), dtype=dtype)

        if sp.issparse(X):

            def gemms():
                X @ W.T
                X.T @ G

        else:

            def gemms():
                np.matmul(X, W.T, out=Z)
                np.matmul(G.T, X, out=GW)

        sk = LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=K), fit_intercept=True)
        coef_sk = np.zeros((K, d + 1), dtype=dtype)
        coef_sk[:, :d] = W
        y_sk = y_hard.astype(dtype)
        sw_sk = np.ones(n, dtype=dtype)

        def sklearn_eval():
            sk.loss_gradient(
                coef_sk, X, y_sk, sample_weight=sw_sk, l2_reg_strength=1.0 / n,
                n_threads=n_threads,
            )  # fmt: skip

        fns = [evaluations(ours, w), gemms, sklearn_eval]
        fns += [evaluations(o, w) for o in ours_variants]
        with threadpool_limits(limits=n_threads, user_api="blas"):
            t_ours, t_gemm, t_sk, *t_var = time_interleaved(fns, repeat)
        row = dict(
            kind=kind, n=n, d=d, K=K, dtype=np.dtype(dtype).name, threads=n_threads,
            block_rows=ours.data.block_rows, variant=ours.data._kernels.name, load1=load1,
            t_ours_ms=1e3 * t_ours, t_gemm_ms=1e3 * t_gemm, t_sklearn_ms=1e3 * t_sk,
            ours_over_gemm=t_ours / t_gemm, ours_over_sklearn=t_ours / t_sk,
        )  # fmt: skip
        for variant, t in zip(variants, t_var):
            row[f"t_{variant}_ms"] = 1e3 * t
            row[f"{variant}_over_gemm"] = t / t_gemm
            row[f"{variant}_over_sklearn"] = t / t_sk
        rows.append(row)
    rows[1]["f32_over_f64"] = rows[1]["t_ours_ms"] / rows[0]["t_ours_ms"]
    return rows


def bench_fit(n, d, K, repeat_fit=2):
    """Headline end-to-end: ours / LogisticRegression on the duplicated data set; memory."""
    X, Y = bench_core.make_problem(n, d, K)
    params = dict(C=1.0, tol=1e-4, max_iter=100)
    ours = SoftLabelLogisticRegression(**params)
    ours.fit(X[:1000], Y[:1000])
    t_ours = min(bench_core.timed(lambda: ours.fit(X, Y))[1] for _ in range(repeat_fit))
    tracemalloc.start()
    ours.fit(X, Y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    X_rep = np.vstack([X] * K)
    y_rep = np.repeat(np.arange(K), n)
    w_rep = Y.T.ravel()
    dup = LogisticRegression(**params)
    _, t_dup = bench_core.timed(lambda: dup.fit(X_rep, y_rep, sample_weight=w_rep))
    del X_rep
    f_ours = bench_core.objective_value(X, Y, ours.coef_, ours.intercept_, params["C"])
    f_dup = bench_core.objective_value(X, Y, dup.coef_, dup.intercept_, params["C"])
    return dict(
        t_ours_s=t_ours, t_dup_s=t_dup, iter_ours=int(ours.n_iter_[0]),
        iter_dup=int(dup.n_iter_[0]), f_ours=f_ours, f_dup=f_dup,
        peak_over_X=peak / X.nbytes, peak_mb=peak / 1e6,
    )  # fmt: skip


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    all_threads = max(r["threads"] for r in rows)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, dtype in zip(axes, ["float64", "float32"]):
        sel = [r for r in rows if r["dtype"] == dtype]
        labels = []
        for r in sel:
            label = f"{'CSR ' if r['kind'] == 'sparse' else ''}d={r['d']} K={r['K']}"
            if label not in labels:
                labels.append(label)
        x = np.arange(len(labels))
        width = 0.2
        bars = [
            ("ours_over_gemm", 1, "ours / numpy 2 GEMMs, 1 thread"),
            ("ours_over_gemm", all_threads, f"ours / numpy 2 GEMMs, {all_threads} threads"),
            ("ours_over_sklearn", 1, "ours / scikit-learn, 1 thread"),
            ("ours_over_sklearn", all_threads, f"ours / scikit-learn, {all_threads} threads"),
        ]
        for i, (key, threads, name) in enumerate(bars):
            vals = []
            for label in labels:
                match = [
                    r[key] for r in sel
                    if r["threads"] == threads
                    and f"{'CSR ' if r['kind'] == 'sparse' else ''}d={r['d']} K={r['K']}" == label
                ]  # fmt: skip
                vals.append(match[0] if match else np.nan)
            ax.bar(x + (i - 1.5) * width, vals, width, label=name)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xticks(x, labels, rotation=45, ha="right")
        ax.set_title(f"One loss + gradient evaluation, {dtype}, n=1e5")
        ax.set_yscale("log")
    axes[0].set_ylabel("time ratio (lower is better; < 1: ours faster)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="n=5000, fewer problems, no fit")
    parser.add_argument("--no-fit", action="store_true", help="skip the end-to-end fit")
    parser.add_argument(
        "--headline", action="store_true", help="only dense d=100 K=10 (results *_headline)"
    )
    parser.add_argument(
        "--issue-table", action="store_true",
        help="only the problems of issue 16's table (results *_issue16)",
    )  # fmt: skip
    parser.add_argument(
        "--variants", default="",
        help="comma-separated CPU variants in which ours is also timed (e.g. baseline,avx512)",
    )  # fmt: skip
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    for v in variants:
        if v not in _cpu_dispatch.supported_variants():
            parser.error(f"CPU variant {v!r} is not supported here: "
                         f"{', '.join(_cpu_dispatch.supported_variants())}")
    n = 5000 if args.quick else args.n
    all_threads = effective_n_threads(None)
    print("load average (1, 5, 15 min):", " ".join(f"{v:.2f}" for v in os.getloadavg()))
    show_config()
    print(bench_core.openblas_settings())
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            print(
                f"BLAS: {lib['internal_api']} {lib['version']} kernel={lib.get('architecture')}"
                f" threads={lib['num_threads']} ({os.path.basename(lib['filepath'])})"
            )

    problems = [("dense", d, K) for d in (20, 100, 500) for K in (3, 10, 100)]
    problems.append(("sparse", 10_000, 10))
    if args.quick:
        problems = [("dense", 100, 10), ("sparse", 10_000, 10)]
    if args.headline:
        problems = [("dense", 100, 10)]
    if args.issue_table:
        problems = [("dense", 20, 3), ("dense", 20, 10), ("dense", 20, 100), ("dense", 100, 10),
                    ("dense", 100, 100), ("sparse", 10_000, 10)]  # fmt: skip
    rows = []
    header = (
        f"{'problem':<22}{'dtype':>8}{'thr':>4}{'block':>6}{'load':>6}{'ours ms':>10}"
        f"{'2 GEMMs':>10}{'sklearn':>10}{'ours/GEMMs':>11}{'ours/sk':>9}{'f32/f64':>9}"
        + "".join(f"{v + '/GEMMs':>15}" for v in variants)
    )
    print(header)
    for kind, d, K in problems:
        X, Y = make_problem(kind, n, d, K)
        for threads in sorted({1, all_threads}):
            for r in bench_evaluation(kind, X, Y, threads, args.repeat, variants):
                rows.append(r)
                name = f"{'CSR' if kind == 'sparse' else 'dense'} d={d} K={K}"
                f32 = r.get("f32_over_f64")
                print(
                    f"{name:<22}{r['dtype']:>8}{threads:>4}{r['block_rows']:>6}"
                    f"{r['load1']:6.2f}"
                    f"{r['t_ours_ms']:10.2f}{r['t_gemm_ms']:10.2f}{r['t_sklearn_ms']:10.2f}"
                    f"{r['ours_over_gemm']:11.3f}{r['ours_over_sklearn']:9.3f}"
                    f"{'' if f32 is None else format(f32, '9.3f'):>9}"
                    + "".join(f"{r[v + '_over_gemm']:15.3f}" for v in variants),
                    flush=True,
                )
        del X, Y

    RESULTS.mkdir(exist_ok=True)
    suffix = "_quick" if args.quick else (
        "_headline" if args.headline else ("_issue16" if args.issue_table else ""))
    fields = list(rows[0]) + ["f32_over_f64"]
    with open(RESULTS / f"bench_kernels{suffix}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, RESULTS / f"bench_kernels{suffix}.png")

    head = [
        r for r in rows
        if r["kind"] == "dense" and r["d"] == 100 and r["K"] == 10 and r["threads"] == all_threads
    ]  # fmt: skip
    if head:
        h64, h32 = head
        print(f"\nHeadline (dense n={n}, d=100, K=10, {all_threads} threads):")
        print(f"  evaluation, ours / numpy's two GEMMs: {h64['ours_over_gemm']:.3f} (target <= 0.8)")
        print(f"  evaluation, ours / scikit-learn: {h64['ours_over_sklearn']:.3f} (target <= 0.5)")
        print(f"  evaluation, float32 / float64: {h32['f32_over_f64']:.3f} (target <= 0.6)")
    if not (args.quick or args.no_fit):
        fit = bench_fit(n, 100, 10)
        print(
            f"  fit, ours / LogisticRegression on the duplicated set: "
            f"{fit['t_ours_s']:.2f} s / {fit['t_dup_s']:.2f} s = "
            f"{fit['t_ours_s'] / fit['t_dup_s']:.3f} (target <= 0.05); iterations "
            f"{fit['iter_ours']} / {fit['iter_dup']}"
        )
        print(
            f"  objective, ours - duplicated: {fit['f_ours'] - fit['f_dup']:+.3e} (target <= 0)"
        )
        print(
            f"  peak traced memory during fit / X bytes: {fit['peak_over_X']:.3f} "
            f"({fit['peak_mb']:.1f} MB; target <= 0.2)"
        )
        with open(RESULTS / f"bench_kernels_fit{suffix}.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(fit))
            writer.writeheader()
            writer.writerow(fit)
    print("load average (1, 5, 15 min):", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
