"""Issue 15, process state: n_threads beyond the machine, BLAS limits under concurrent
fits in threads, forked children after a threaded fit (the documented remedies)."""

import os
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import ROOT
from conftest import run_python as _run_python
from conftest import small_problem as _problem
from hypothesis import given, settings
from hypothesis import strategies as st

from skfuzzy_ce import (
    ContinuousBernoulliRegression,
    SoftLabelLogisticRegression,
)
from skfuzzy_ce._threads import available_cores, blas_single_thread, effective_n_threads


# ------------------------------------------------------------------ threads and process state
def test_n_threads_is_capped_to_the_available_cores():
    cores = available_cores()
    assert effective_n_threads(100000) == cores
    assert effective_n_threads(2**31) == cores
    assert effective_n_threads(1) == 1
    X, y = _problem()
    for estimator, target in [
        (SoftLabelLogisticRegression(n_threads=2**31), y),
        (SoftLabelLogisticRegression(n_threads=2**31, loss="binary_cross_entropy"), y),
        (ContinuousBernoulliRegression(n_threads=2**31), (y + 0.5) / 3),
    ]:
        reference = type(estimator)(**{**estimator.get_params(), "n_threads": 1})
        # 2**31 threads used to allocate hundreds of GiB; the model is the one of 1 thread.
        np.testing.assert_allclose(
            estimator.fit(X, target).coef_, reference.fit(X, target).coef_, rtol=1e-12
        )


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=2**62))
def test_property_effective_n_threads_never_exceeds_the_cores(n_threads):
    assert 1 <= effective_n_threads(n_threads) <= available_cores()


def test_n_threads_far_beyond_the_machine_does_not_crash():
    # It segfaulted (in a fresh process, so that a crash fails this test, not the suite).
    code = """
        import numpy as np
        from skfuzzy_ce import ContinuousBernoulliRegression, SoftLabelLogisticRegression
        rng = np.random.default_rng(0)
        X = rng.normal(size=(200, 4)); y = np.arange(200) % 3
        SoftLabelLogisticRegression(n_threads=100000).fit(X, y)
        ContinuousBernoulliRegression(n_threads=100000).fit(X, (y + 0.5) / 3)
        print("ok")
    """
    rc, out, err = _run_python(code, timeout=120)
    assert rc == 0 and out.strip() == "ok", err


def _blas_num_threads():
    from threadpoolctl import threadpool_info

    return [m["num_threads"] for m in threadpool_info() if m["user_api"] == "blas"]


def test_concurrent_fits_in_threads_leave_the_blas_limit_as_it_was():
    before = _blas_num_threads()
    X, y = _problem(n=400, n_features=10)

    def fit(seed):
        rng = np.random.default_rng(seed)
        Y = rng.dirichlet(np.ones(3), size=X.shape[0])
        return SoftLabelLogisticRegression(n_threads=1, max_iter=30).fit(X, Y).coef_

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fit, range(32)))
    assert len(results) == 32
    assert _blas_num_threads() == before
    # And the user's own limits still take effect afterwards, from this thread.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        assert set(_blas_num_threads()) <= {1}
    assert _blas_num_threads() == before


def test_blas_single_thread_is_reentrant_and_restores_when_the_last_user_leaves():
    before = _blas_num_threads()
    if not before:
        pytest.skip("no BLAS found by threadpoolctl")
    inside = threading.Event()
    release = threading.Event()

    def hold():
        with blas_single_thread():
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(10)
    with blas_single_thread():
        with blas_single_thread():
            assert set(_blas_num_threads()) == {1}
    # The worker still holds its limit: leaving ours must not restore the user's limit yet.
    assert set(_blas_num_threads()) == {1}
    release.set()
    worker.join()
    assert _blas_num_threads() == before


def test_blas_single_thread_sets_nothing_when_blas_is_on_one_thread_already(monkeypatch):
    from threadpoolctl import threadpool_limits

    from skfuzzy_ce import _threads

    before = _blas_num_threads()
    if not before:
        pytest.skip("no BLAS found by threadpoolctl")

    def no_change(fn):
        raise AssertionError("the BLAS limits were changed")

    with threadpool_limits(limits=1, user_api="blas"):
        monkeypatch.setattr(_threads, "_in_blas_thread", no_change)
        with blas_single_thread():
            assert set(_blas_num_threads()) == {1}
        X, y = _problem(n=200, n_features=5)
        SoftLabelLogisticRegression(max_iter=20).fit(X, y)  # a whole fit, no change either
        monkeypatch.undo()
        assert set(_blas_num_threads()) == {1}
    assert _blas_num_threads() == before


_FORK_SCRIPT = """
    import multiprocessing as mp
    import numpy as np
    from skfuzzy_ce import SoftLabelLogisticRegression

    def fit(n_threads):
        rng = np.random.default_rng(1)
        X = rng.normal(size=(3000, 20)); y = rng.integers(0, 3, 3000)
        clf = SoftLabelLogisticRegression(n_threads=n_threads, max_iter=5)
        return int(clf.fit(X, y).n_iter_[0])

    if __name__ == "__main__":
        rng = np.random.default_rng(0)
        X = rng.normal(size=(3000, 20)); y = rng.integers(0, 3, 3000)
        # The parent's fit: threaded (OpenMP's thread pool is then alive in the parent).
        SoftLabelLogisticRegression(n_threads={parent_threads}, max_iter=5).fit(X, y)
        if "{method}" == "loky":
            from joblib import Parallel, delayed
            print(Parallel(n_jobs=1 + 1, backend="loky", timeout=60)([delayed(fit)(2)])[0])
        else:
            with mp.get_context("{method}").Pool(1) as pool:
                print(pool.apply_async(fit, (2,)).get(timeout=60))
"""


@pytest.mark.parametrize(
    "method, parent_threads",
    [("forkserver", 2), ("spawn", 2), ("fork", 1), ("loky", 2)],
    ids=["forkserver", "spawn", "fork-after-n_threads=1", "loky"],
)
def test_the_documented_fork_remedies_work(tmp_path, method, parent_threads):
    """A "fork" child fitting after a threaded fit in the parent hangs in libgomp (documented
    on the performance page and in the ``n_threads`` docstrings); the remedies do not."""
    if method != "loky" and method not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip(f"start method {method!r} not available here")
    script = tmp_path / "fork_child.py"  # a file: spawn and forkserver re-import __main__
    script.write_text(
        textwrap.dedent(_FORK_SCRIPT).format(method=method, parent_threads=parent_threads)
    )
    code = f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')"
    rc, out, err = _run_python(code, timeout=90)
    assert rc == 0, err
    assert int(out.strip().splitlines()[-1]) >= 1


def test_fork_hang_is_documented_with_its_remedies():
    page = open(os.path.join(ROOT, "docs", "performance.rst")).read()
    for word in ("fork", "forkserver", "spawn", "loky", "n_threads=1"):
        assert word in page
    for estimator in (SoftLabelLogisticRegression, ContinuousBernoulliRegression):
        doc = estimator.__doc__
        assert "fork" in doc and "forkserver" in doc and "n_threads=1" in doc


