"""
=========================================
Speed: the direct fit against duplication
=========================================

Two ways to fit a logistic regression on soft labels give the same model (see
:ref:`duplicated_data`): :class:`~skfuzzy_ce.SoftLabelLogisticRegression` on the ``n``
original rows, or scikit-learn's ``LogisticRegression`` on the duplicated data set of
``n * K`` weighted rows. This example times both side by side on a small problem, then
plots the committed results of the full kernel benchmark (``benchmarks/bench_kernels.py``),
which times one loss-and-gradient evaluation against scikit-learn's and against numpy's two
matrix products alone.

Timings depend on the machine and on what else runs on it: compare the ratios within one
run, not the seconds across machines.
"""

# %%
# A small problem, both routes, one run
# -------------------------------------
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression

from skfuzzy_ce import SoftLabelLogisticRegression, to_weighted_hard

rng = np.random.default_rng(0)
n, d, K = 20_000, 50, 5
X = rng.standard_normal((n, d))
Y = softmax(X @ rng.standard_normal((d, K)) / np.sqrt(d), axis=1)  # soft labels


def best_of(fit, repeat=3):
    """Best wall time of ``repeat`` calls of ``fit()`` and its last result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return min(times), model


t_ours, ours = best_of(lambda: SoftLabelLogisticRegression(C=1.0).fit(X, Y))
X_rep, y_rep, w_rep = to_weighted_hard(X, Y)
t_dup, dup = best_of(lambda: LogisticRegression(C=1.0).fit(X_rep, y_rep, sample_weight=w_rep))

print(f"rows: {n} original, {X_rep.shape[0]} duplicated")
print(f"SoftLabelLogisticRegression: {t_ours * 1e3:7.1f} ms  ({ours.n_iter_[0]} iterations)")
print(f"LogisticRegression, dup.   : {t_dup * 1e3:7.1f} ms  ({dup.n_iter_[0]} iterations)")
print(f"time ratio, ours / duplicated: {t_ours / t_dup:.3f}")
print("largest coefficient difference:", f"{np.abs(ours.coef_ - dup.coef_).max():.1e}")

# %%
# The full kernel benchmark
# -------------------------
# ``benchmarks/bench_kernels.py`` times one evaluation of the loss and its gradient at
# ``n = 100,000`` rows for several numbers of features ``d`` and classes ``K``, float64 and
# float32, one thread and all. Its CSV is committed with the repository; each bar below is
# a ratio from one row of it (below 1: ours is faster). "GEMMs" is numpy computing only the
# two matrix products ``X @ W`` and ``G.T @ X`` that any such evaluation needs, with no
# softmax at all: our kernel reads ``X`` once per evaluation instead of twice.
try:
    here = Path(__file__).resolve().parent
except NameError:  # run interactively
    here = Path.cwd()
csv = here.parent / "benchmarks" / "results" / "bench_kernels.csv"

if csv.exists():
    import pandas as pd

    df = pd.read_csv(csv)
    df = df[(df["dtype"] == "float64") & (df["threads"] == df["threads"].max())]
    labels = [
        f"{kind} d={d} K={K}" for kind, d, K in zip(df["kind"], df["d"], df["K"], strict=True)
    ]
    pos = np.arange(len(df))
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.barh(pos - 0.2, df["ours_over_sklearn"], height=0.4, label="ours / scikit-learn")
    ax.barh(pos + 0.2, df["ours_over_gemm"], height=0.4, label="ours / numpy's two GEMMs")
    ax.axvline(1.0, color="k", lw=1)
    ax.set_yticks(pos, labels)
    ax.set_xscale("log")
    ax.set_xticks([0.1, 0.2, 0.5, 1, 2, 5], ["0.1", "0.2", "0.5", "1", "2", "5"])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("time ratio per evaluation (log scale; < 1: ours is faster)")
    ax.set_title(f"float64, {int(df['threads'].max())} threads, n = 100,000")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2)
    fig.tight_layout()
    print(df[["kind", "d", "K", "ours_over_sklearn", "ours_over_gemm"]].to_string(index=False))
else:
    print(f"{csv} not found: run benchmarks/bench_kernels.py from the repository root.")

# %%
# Where the time goes
# -------------------
# For the duplicated data set, every L-BFGS iteration computes the matrix products on
# ``n * K`` rows instead of ``n``, so the direct fit is about ``K`` times faster per
# iteration before any kernel work, and the duplicated ``X`` never exists in memory. On top
# of that, our kernel computes the softmax, the loss and the gradient of a block of rows
# while that block is still in the CPU cache, so ``X`` is read once per evaluation.
