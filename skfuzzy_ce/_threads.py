"""Thread settings of the linear models' kernels: OpenMP threads, BLAS held to one thread.

(The solvers are in :mod:`skfuzzy_ce._solvers`, the data term in
:mod:`skfuzzy_ce._fused_objective`.)
"""

import contextlib
import os
import threading

__all__ = ["available_cores", "blas_single_thread", "effective_n_threads"]


# Multiply-adds (rows x features x outputs) per evaluation below which one more thread costs
# more than it gains: measured on 2 cores, a second thread paid off from about 5e5.
_WORK_PER_THREAD = 2**18


def available_cores():
    """Cores this process may run on (its CPU affinity), capped by ``OMP_NUM_THREADS``."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) > 0:
        available = min(available, int(omp))
    return max(1, available)


def effective_n_threads(n_threads, work=None):
    """Threads for the compiled kernels.

    ``n_threads`` given: that many, but never more than the available cores (see
    :func:`available_cores`): more threads than cores cannot run at once, and each thread gets
    its own buffers, so ``n_threads=100000`` would crash OpenMP and ``2**31`` would try to
    allocate hundreds of GiB. ``None``: every available core, but no more than one thread per
    ``_WORK_PER_THREAD`` multiply-adds of ``work`` (the size of one evaluation), so that small
    problems do not pay for waking threads that have nothing to do.
    """
    available = available_cores()
    if n_threads is not None:
        return max(1, min(int(n_threads), available))
    if work is not None:
        available = min(available, int(work) // _WORK_PER_THREAD)
    return max(1, available)


# BLAS is held to one thread while at least one fit runs, in any thread of the process: the
# first fit to start saves the limits and sets them to 1, the last one to end restores them.
# Each fit saving and restoring on its own is not thread-safe (a fit started while another
# holds BLAS at 1 saves 1, and restores 1 after the other restored the user's limit). Every
# change is made by one dedicated thread: threadpoolctl (>= 3.8) lets only the thread that
# first set an OpenBLAS (pthreads) limit change it while that thread is alive, so a restore
# from another thread than the one that set the limit would be ignored, and the limit leak.
# That thread gives the control back after each restore, so that the user's own
# threadpool_limits work between fits.
_BLAS_LOCK = threading.Lock()
_BLAS_STATE = {"controller": None, "limiter": None, "users": 0, "executor": None}


def _in_blas_thread(fn):
    """Run ``fn()`` in the thread that makes every change of the BLAS limits."""
    if _BLAS_STATE["executor"] is None:
        from concurrent.futures import ThreadPoolExecutor

        _BLAS_STATE["executor"] = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="skfuzzy_ce-blas-limits"
        )
    try:
        future = _BLAS_STATE["executor"].submit(fn)
    except RuntimeError:  # interpreter shutting down: no new thread, do it here
        return fn()
    return future.result()


def _blas_controller():
    if _BLAS_STATE["controller"] is None:  # made once, after the BLAS are loaded
        from threadpoolctl import ThreadpoolController

        _BLAS_STATE["controller"] = ThreadpoolController().select(user_api="blas")
    return _BLAS_STATE["controller"]


def _blas_on_one_thread():
    """Whether every loaded BLAS runs on one thread already (a read, allowed from any
    thread: about 2 us, where setting and restoring a limit through the BLAS thread takes
    about 170 us, a few percent of a 3 ms evaluation called on its own)."""
    return all(lib.num_threads == 1 for lib in _blas_controller().lib_controllers)


def _set_blas_single_thread():
    _BLAS_STATE["limiter"] = _blas_controller().limit(limits=1)


def _restore_blas_limits():
    limiter, _BLAS_STATE["limiter"] = _BLAS_STATE["limiter"], None
    limiter.restore_original_limits()
    for lib in _BLAS_STATE["controller"].lib_controllers:
        release = getattr(type(lib), "clear_controlling_thread", None)
        if release is not None:
            release()  # only if this thread holds the control


@contextlib.contextmanager
def blas_single_thread():
    """Context manager that keeps every loaded BLAS on one thread.

    During a fit the threads are the kernels' (OpenMP); BLAS runs inside them (one gemm per
    row block of dense X). Idle BLAS threads spin-waiting beside the OpenMP ones
    oversubscribe the cores: measured on 2 cores, default threads made a 150-row fit 100 times
    slower and a 20,000 x 50 fit 2 to 10 times slower than with BLAS held to one thread, which
    was also the fastest setting at 100,000 x 100.

    Reentrant and thread-safe: nested uses and fits running concurrently in several threads
    share one limit, set when the first enters and restored when the last leaves, so that
    the process's BLAS limits afterwards are what they were before. When every BLAS is on
    one thread already (``threadpool_limits(1)``, ``OPENBLAS_NUM_THREADS=1``), nothing is
    set or restored.
    """
    with _BLAS_LOCK:
        if _BLAS_STATE["users"] == 0 and not _blas_on_one_thread():
            _in_blas_thread(_set_blas_single_thread)
        _BLAS_STATE["users"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_STATE["users"] -= 1
            if _BLAS_STATE["users"] == 0 and _BLAS_STATE["limiter"] is not None:
                _in_blas_thread(_restore_blas_limits)


def _blas_state_after_fork():
    """In a forked child no fit is running: a fresh lock and thread, BLAS limits given back."""
    global _BLAS_LOCK
    _BLAS_LOCK = threading.Lock()
    limiter = _BLAS_STATE["limiter"]
    _BLAS_STATE.update(limiter=None, users=0, executor=None)
    if limiter is not None:
        limiter.restore_original_limits()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_blas_state_after_fork)
