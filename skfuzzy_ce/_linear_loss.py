"""The L-BFGS-B driver of the linear models, and their thread settings.

The objective itself (raw predictions ``Z = X @ W.T + b``, a per-row loss, the scaling) is
:class:`~skfuzzy_ce._fused_objective.FusedLinearObjective`. The parameter vector handed to
L-BFGS-B is ``[W.ravel(), b]``: the intercept last.
"""

import os

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

__all__ = ["minimize_lbfgs", "effective_n_threads", "blas_single_thread"]


# Multiply-adds (rows x features x outputs) per evaluation below which one more thread costs
# more than it gains: measured on 2 cores, a second thread paid off from about 5e5.
_WORK_PER_THREAD = 2**18


def effective_n_threads(n_threads, work=None):
    """Threads for the compiled kernels.

    ``n_threads`` given: exactly that many. ``None``: every core this process may use
    (``OMP_NUM_THREADS`` caps it), but no more than one thread per ``_WORK_PER_THREAD``
    multiply-adds of ``work`` (the size of one evaluation), so that small problems do not pay
    for waking threads that have nothing to do.
    """
    if n_threads is not None:
        return int(n_threads)
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) > 0:
        available = min(available, int(omp))
    if work is not None:
        available = min(available, int(work) // _WORK_PER_THREAD)
    return max(1, available)


_BLAS = None


def blas_single_thread():
    """Context manager that keeps every loaded BLAS on one thread.

    During a fit the threads are the kernels' (OpenMP); BLAS runs inside them (one gemm per
    row block of dense X). Idle BLAS threads spin-waiting beside the OpenMP ones
    oversubscribe the cores: measured on 2 cores, default threads made a 150-row fit 100 times
    slower and a 20,000 x 50 fit 2 to 10 times slower than with BLAS held to one thread, which
    was also the fastest setting at 100,000 x 100.
    """
    global _BLAS
    if _BLAS is None:  # made once, after scipy's and numpy's BLAS are loaded
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController().select(user_api="blas")
    return _BLAS.limit(limits=1)


def minimize_lbfgs(objective, w0, *, max_iter, tol, verbose=0, solver_name="lbfgs"):
    """Run scipy's L-BFGS-B with scikit-learn's ``LogisticRegression`` options.

    Returns ``(w, n_iter, result)``. A ``ConvergenceWarning`` is emitted when L-BFGS-B
    stops without converging.
    """
    callback = None
    if verbose:

        def callback(intermediate_result):
            callback.k += 1
            x = intermediate_result.x
            if objective.last_w is not None and np.array_equal(objective.last_w, x):
                g = objective.last_grad
            else:
                g = objective(x)[1]
            print(
                f"[{solver_name}] iteration {callback.k:4d}  objective {intermediate_result.fun:.10g}"
                f"  |grad|_inf {np.max(np.abs(g)) if g.size else 0.0:.4g}",
                flush=True,
            )

        callback.k = 0

    with blas_single_thread():
        result = minimize(
            objective,
            w0,
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={
                "maxiter": max_iter,
                "maxls": 50,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
    n_iter = min(result.nit, max_iter)
    if result.status != 0:
        import warnings

        warnings.warn(
            f"L-BFGS-B failed to converge after {n_iter} iteration(s) (status={result.status}: "
            f"{result.message}). Increase max_iter, scale the data (e.g. StandardScaler), or "
            "increase regularization (smaller C).",
            ConvergenceWarning,
            stacklevel=3,
        )
    return result.x, n_iter, result
