"""Thread settings of the linear models' kernels: OpenMP threads, BLAS held to one thread.

(The solvers are in :mod:`skfuzzy_ce._solvers`, the data term in
:mod:`skfuzzy_ce._fused_objective`.)
"""

import os

__all__ = ["effective_n_threads", "blas_single_thread"]


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
