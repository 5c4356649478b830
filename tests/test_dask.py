"""Fits and predictions on dask collections, on a real LocalCluster (2 worker processes)
and on the default local scheduler: the model equals the in-memory fit."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import softmax

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from skfuzzy_ce import (  # noqa: E402
    ContinuousBernoulliRegression,
    SoftLabelLogisticRegression,
    to_weighted_hard,
)
from skfuzzy_ce import _dask as skdask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1", protocol="tcp",
    )  # fmt: skip
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _scheduler_tasks(client):
    """Tasks the scheduler still holds (this test module's client is the only one)."""
    for _ in range(50):
        n = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))
        if n == 0:
            return 0
        time.sleep(0.05)
    return n


def _problem(kind, n=1200, d=4, K=3, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    Z = X @ rng.standard_normal((d, K)) + 0.5 * rng.standard_normal((n, K))
    sw = rng.uniform(0.2, 2.0, n)
    if kind == "soft":
        y = softmax(Z, axis=1).astype(dtype)
    elif kind == "labels":
        y = np.array(["ant", "bee", "cat"])[np.argmax(Z, axis=1)]
    elif kind == "binary":
        y = (Z[:, 0] > 0).astype(int)
    elif kind == "multilabel":
        y = (1 / (1 + np.exp(-Z))).astype(dtype)
    else:  # continuous Bernoulli targets
        y = np.clip(1 / (1 + np.exp(-Z[:, 0])) + 0.1 * rng.standard_normal(n), 0, 1)
    return X, y, sw


def _chunked(a, rows):
    return da.from_array(a, chunks=(rows,) + a.shape[1:])


def _sparse_chunks(X, rows):
    meta = sp.csr_matrix((0, X.shape[1]), dtype=X.dtype)
    return _chunked(X, rows).map_blocks(sp.csr_matrix, dtype=X.dtype, meta=meta)


CASES = [
    # (estimator params, target kind)
    (dict(), "soft"),
    (dict(class_weight="balanced"), "labels"),
    (dict(class_weight={1: 3.0}), "binary"),
    (dict(loss="binary_cross_entropy"), "multilabel"),
    (dict(loss="binary_cross_entropy", class_weight={"bee": 2.0}), "labels"),
    (dict(label_smoothing=0.1, fit_intercept=False), "soft"),
    ("cb", "cb"),
]


def _make(params, **kw):
    if params == "cb":
        return ContinuousBernoulliRegression(**kw)
    return SoftLabelLogisticRegression(**params, **kw)


def _assert_same_model(dist, ref, rtol=1e-10):
    coef, ref_coef = np.asarray(dist.coef_), np.asarray(ref.coef_)
    assert coef.dtype == ref_coef.dtype
    scale = np.abs(ref_coef).max()
    np.testing.assert_allclose(coef, ref_coef, rtol=0, atol=rtol * scale)
    np.testing.assert_allclose(dist.intercept_, ref.intercept_, rtol=0, atol=rtol * max(scale, 1))
    np.testing.assert_array_equal(dist.n_iter_, ref.n_iter_)
    if hasattr(ref, "classes_"):
        np.testing.assert_array_equal(dist.classes_, ref.classes_)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
@pytest.mark.parametrize("params, kind", CASES)
def test_distributed_fit_equals_in_memory(client, params, kind, solver):
    X, y, sw = _problem(kind)
    ref = _make(params, solver=solver).fit(X, y, sample_weight=sw)
    dist = _make(params, solver=solver).fit(_chunked(X, 350), _chunked(y, 350), _chunked(sw, 350))
    _assert_same_model(dist, ref)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("params, kind", [CASES[0], CASES[3], CASES[6]])
def test_sparse_chunks_and_float32(client, params, kind, dtype, solver):
    X, y, sw = _problem(kind, dtype=dtype)
    X[np.abs(X) < 0.6] = 0
    ref = _make(params, solver=solver).fit(sp.csr_matrix(X), y, sample_weight=sw)
    dist = _make(params, solver=solver).fit(
        _sparse_chunks(X, 400), _chunked(y, 400), _chunked(sw, 400)
    )
    # float32 CSR: the kernels sum parts of each block in float (the softmax's intercept
    # gradient, the Hessian of a densified block), and blocks start at each chunk's first
    # row: agreement to float32 rounding (the coefficients a float32 ulp apart or so).
    _assert_same_model(dist, ref, rtol=1e-5 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
def test_float32_dense_chunks(client, solver):
    """float32 rows are summed block by block in float by the kernel: chunks that are whole
    blocks (the in-memory fit's block size) give the in-memory sums up to float64
    rounding; other chunkings agree to float32 rounding."""
    from skfuzzy_ce._fused_objective import block_rows_for_cache

    X, y, sw = _problem("soft", n=2400, dtype=np.float32)
    ref = SoftLabelLogisticRegression(solver=solver).fit(X, y, sample_weight=sw)
    rows = 2 * block_rows_for_cache(X.shape[1], y.shape[1], 4)
    dist = SoftLabelLogisticRegression(solver=solver).fit(
        _chunked(X, rows), _chunked(y, rows), _chunked(sw, rows)
    )
    assert dist.coef_.dtype == np.float32
    _assert_same_model(dist, ref)
    odd = SoftLabelLogisticRegression(solver=solver).fit(
        _chunked(X, 777), _chunked(y, 777), _chunked(sw, 777)
    )
    _assert_same_model(odd, ref, rtol=1e-4)


def test_dask_dataframe_feature_names_and_string_labels(client):
    X, y, sw = _problem("labels", n=900)
    pdf = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    pdf["label"] = y
    pdf["w"] = sw
    ref = SoftLabelLogisticRegression().fit(pdf.iloc[:, :4], pdf["label"], sample_weight=pdf["w"])
    ddf = dd.from_pandas(pdf, npartitions=3).clear_divisions()  # unknown divisions
    assert not ddf.known_divisions
    dist = SoftLabelLogisticRegression().fit(ddf.iloc[:, :4], ddf["label"], sample_weight=ddf["w"])
    np.testing.assert_array_equal(dist.feature_names_in_, ref.feature_names_in_)
    assert list(dist.classes_) == ["ant", "bee", "cat"]
    _assert_same_model(dist, ref)
    # Soft labels in a DataFrame: its column names are the classes, as with pandas.
    Y = pd.DataFrame(softmax(X @ np.ones((4, 2)) * [1, -1], axis=1), columns=["no", "yes"])
    ref = SoftLabelLogisticRegression().fit(pdf.iloc[:, :4], Y)
    dist = SoftLabelLogisticRegression().fit(
        dd.from_pandas(pdf.iloc[:, :4], npartitions=3), dd.from_pandas(Y, npartitions=3)
    )
    assert list(dist.classes_) == ["no", "yes"]
    _assert_same_model(dist, ref)
    proba = dist.predict_proba(dd.from_pandas(pdf.iloc[:, :4], npartitions=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        computed = proba.compute(scheduler="sync")
    np.testing.assert_allclose(computed, ref.predict_proba(pdf.iloc[:, :4]), rtol=1e-9)
    with pytest.raises(ValueError, match="feature names"):
        dist.predict(dd.from_pandas(pdf.iloc[:, [1, 0, 2, 3]], npartitions=3))


def _in_memory_error(fit, *args):
    with pytest.raises(ValueError) as info:
        fit(*args)
    return str(info.value)


@pytest.mark.parametrize("fault", ["nan", "row_sum", "above_one", "unknown_label", "cb"])
def test_bad_targets_on_a_worker_same_error_nothing_left(client, fault):
    X, y, sw = _problem("labels" if fault == "unknown_label" else "soft", n=1000)
    est = SoftLabelLogisticRegression(classes=["ant", "bee"]) if fault == "unknown_label" else (
        SoftLabelLogisticRegression()
    )
    if fault == "nan":
        y[737, 1] = np.nan
        y[900, 0] = 2.0  # a later fault of a later check: in memory the NaN is reported
    elif fault == "row_sum":
        y[612] *= 1.1
    elif fault == "above_one":
        y[301, 0] = 1.5
        y[950] *= 1.1
    elif fault == "cb":
        est = ContinuousBernoulliRegression()
        y = np.full(1000, 0.5)
        y[523] = 1.25
    message = _in_memory_error(est.fit, X, y)
    row = re.search(r"[Rr]ow (\d+)", message)
    assert row is None or int(row.group(1)) >= 250  # a global row, not one of chunk 0
    with pytest.raises(ValueError, match=re.escape(message)):
        est.fit(_chunked(X, 250), _chunked(y, 250))
    assert _scheduler_tasks(client) == 0


def test_worker_killed_mid_fit_recomputes_or_fails_clearly(client, monkeypatch):
    X, y, sw = _problem("soft", n=3000)
    ref = SoftLabelLogisticRegression().fit(X, y, sample_weight=sw)
    pids = client.run(os.getpid)
    calls = []
    original = skdask.DaskDataTerm.loss_gradient

    def killing(self, w):
        calls.append(self.evaluators is not None)
        if len(calls) == 3:  # mid-fit: kill one worker process; its nanny starts another
            os.kill(next(iter(pids.values())), signal.SIGKILL)
        return original(self, w)

    monkeypatch.setattr(skdask.DaskDataTerm, "loss_gradient", killing)
    args = (_chunked(X, 500), _chunked(y, 500), _chunked(sw, 500))
    dist = SoftLabelLogisticRegression().fit(*args)
    assert len(calls) > 3
    # The evaluations went through the workers' actors until one died, then through tasks.
    assert calls[:3] == [True] * 3 and not calls[-1]
    _assert_same_model(dist, ref)  # the lost chunks were recomputed from their source
    client.wait_for_workers(2, timeout=60)

    calls.clear()

    def restarting(self, w):
        calls.append(1)
        if len(calls) == 3:
            client.restart()
        return original(self, w)

    monkeypatch.setattr(skdask.DaskDataTerm, "loss_gradient", restarting)
    try:
        dist = SoftLabelLogisticRegression().fit(*args)
    except RuntimeError as exc:
        assert "fit again" in str(exc)
    else:
        _assert_same_model(dist, ref)
    client.wait_for_workers(2, timeout=60)
    assert _scheduler_tasks(client) == 0


@contextlib.contextmanager
def _fit_data_term(args):
    """The DaskDataTerm of a plain soft-label fit of ``args`` (X, y, sample_weight)."""
    est = SoftLabelLogisticRegression()
    with skdask._Fit(est, *args) as fit:
        spec, _, class_weight, _, _ = skdask._prepare_classifier(est, fit, args[1])
        data, _ = fit.data_term(spec, class_weight)
        try:
            yield data
        finally:
            data.close()


def _assert_actors_equal_tasks(data):
    """Loss and gradient through the actors bitwise equal to one task per chunk."""
    w = np.linspace(-1, 1, data.n_params)
    by_actor = data._loss_gradient(w)  # not the remembered last evaluation
    ev, data.evaluators = data.evaluators, None
    by_task = data._loss_gradient(w)
    data.evaluators = ev
    assert by_actor[0] == by_task[0]
    np.testing.assert_array_equal(by_actor[1], by_task[1])


def test_evaluations_run_in_actors_where_the_chunks_are(client):
    X, y, sw = _problem("soft", n=2000)
    with _fit_data_term((_chunked(X, 250), _chunked(y, 250), _chunked(sw, 250))) as data:
        ev = data.evaluators
        holders = client.who_has(data.terms)
        where = client.who_has(ev.futures)
        assert len(ev.actors) == len({h[0] for h in holders.values()}) == 2
        start = 0
        for f, n in zip(ev.futures, ev.sizes):  # each actor where its chunks are
            mine = ev.order[start : start + n]
            start += n
            assert all(where[f.key][0] in holders[data.terms[i].key] for i in mine)
        _assert_actors_equal_tasks(data)
    assert _scheduler_tasks(client) == 0


def test_actor_runs_its_chunks_on_the_workers_threads(client):
    # One worker with 2 threads holds all 6 chunks: its actor evaluates them on 2 threads
    # (each kernel call with one), and the model is the in-memory one.
    X, y, sw = _problem("soft", n=1500)
    ref = SoftLabelLogisticRegression().fit(X, y, sample_weight=sw)
    args = (_chunked(X, 250), _chunked(y, 250), _chunked(sw, 250))
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster, set_as_default=False) as other:
        with other.as_current():
            with _fit_data_term(args) as data:
                assert len(data.evaluators.actors) == 1
                _assert_actors_equal_tasks(data)
                assert data.evaluators.actors[0].threads().result() == (2, True)
            dist = SoftLabelLogisticRegression().fit(*args)
    _assert_same_model(dist, ref)


def test_grid_search_on_joblib_dask_backend_equals_local(client):
    import joblib
    from sklearn.model_selection import GridSearchCV

    X, y, _ = _problem("labels", n=400)
    grid = {"C": [0.01, 1.0, 100.0]}
    local = GridSearchCV(SoftLabelLogisticRegression(), grid, cv=3).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = GridSearchCV(SoftLabelLogisticRegression(), grid, cv=3, n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.best_estimator_.coef_, local.best_estimator_.coef_)


@pytest.mark.parametrize("params, kind", [CASES[0], CASES[1], CASES[3], CASES[6]])
def test_prediction_is_lazy_with_the_same_chunks(client, params, kind):
    X, y, sw = _problem(kind)
    model = _make(params).fit(X, y, sample_weight=sw)
    Xd = _chunked(X, 300)
    methods = ["predict", "predict_lambda"] if params == "cb" else [
        "predict", "predict_proba", "predict_log_proba", "decision_function"
    ]
    for name in methods:
        out = getattr(model, name)(Xd)
        expected = getattr(model, name)(X)
        assert isinstance(out, da.Array)
        assert out.chunks[0] == Xd.chunks[0]
        assert out.dtype == expected.dtype and out.ndim == expected.ndim
        assert type(out._meta) is np.ndarray and out._meta.dtype == expected.dtype
        np.testing.assert_array_equal(out.compute(), expected)


def test_default_local_scheduler_gives_the_same_model(client):
    X, y, sw = _problem("soft")
    args = (_chunked(X, 350), _chunked(y, 350), _chunked(sw, 350))
    on_cluster = SoftLabelLogisticRegression().fit(*args)
    with dask.config.set(scheduler="threads"):
        assert isinstance(skdask._runner(), skdask._LocalRunner)
        local = SoftLabelLogisticRegression().fit(*args)
    np.testing.assert_array_equal(local.coef_, on_cluster.coef_)
    np.testing.assert_array_equal(local.n_iter_, on_cluster.n_iter_)
    _assert_same_model(local, SoftLabelLogisticRegression().fit(X, y, sample_weight=sw))


def test_to_weighted_hard_lazy_chunk_by_chunk(client):
    X, y, sw = _problem("soft", n=600)
    y[y < 0.2] = 0
    y /= y.sum(axis=1, keepdims=True)
    out = to_weighted_hard(_chunked(X, 200), _chunked(y, 200), _chunked(sw, 200), return_index=True)
    assert all(isinstance(o, da.Array) for o in out)
    X_rep, y_rep, w_rep, index = dask.compute(*out)
    ref = to_weighted_hard(X, y, sw, return_index=True)
    # The same weighted rows; order: class-major within each chunk.
    a, b = np.lexsort((index, y_rep)), np.lexsort((ref[3], ref[1]))
    np.testing.assert_array_equal(X_rep[a], ref[0][b])
    np.testing.assert_array_equal(w_rep[a], ref[2][b])
    np.testing.assert_array_equal(index[a], ref[3][b])
    labels = np.array(["x", "y", "z"])[np.argmax(y, axis=1)]
    _, y_lab, _ = to_weighted_hard(_chunked(X, 200), _chunked(labels, 200))
    assert set(y_lab.compute()) == {"x", "y", "z"}


def test_clear_errors(client):
    X, y, _ = _problem("soft", n=300)
    with pytest.raises(ValueError, match=r"rechunk\(\{1: -1\}\)"):
        SoftLabelLogisticRegression().fit(da.from_array(X, chunks=(100, 2)), _chunked(y, 100))
    with pytest.raises(ValueError, match="newton-cd.*not available on dask input"):
        SoftLabelLogisticRegression(l1_ratio=0.5).fit(_chunked(X, 100), _chunked(y, 100))
    with pytest.raises(ValueError, match="partition them alike"):
        dx = dd.from_pandas(pd.DataFrame(X), npartitions=3)
        dy = dd.from_pandas(pd.DataFrame(y), npartitions=2)
        SoftLabelLogisticRegression().fit(dx, dy)
    # y chunked differently from X (known chunks): rechunked to X's, same model.
    ref = SoftLabelLogisticRegression().fit(X, y)
    _assert_same_model(SoftLabelLogisticRegression().fit(_chunked(X, 100), _chunked(y, 70)), ref)
    assert _scheduler_tasks(client) == 0


def test_dask_is_imported_only_for_dask_input():
    code = (
        "import sys, numpy as np\n"
        "from skfuzzy_ce import SoftLabelLogisticRegression, ContinuousBernoulliRegression\n"
        "X = np.random.default_rng(0).standard_normal((50, 3))\n"
        "m = SoftLabelLogisticRegression().fit(X, (X[:, 0] > 0).astype(int))\n"
        "m.predict_proba(X)\n"
        "ContinuousBernoulliRegression().fit(X, np.full(50, 0.3)).predict(X)\n"
        "bad = [k for k in sys.modules if k.split('.')[0] in ('dask', 'distributed')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_huge_weights_are_scaled_as_in_memory(client):
    X, y, sw = _problem("soft", n=800)
    sw = sw * 1e305  # their sum overflows float64 unless scaled (scale_weights)
    ref = SoftLabelLogisticRegression().fit(X, y, sample_weight=sw)
    dist = SoftLabelLogisticRegression().fit(_chunked(X, 200), _chunked(y, 200), _chunked(sw, 200))
    _assert_same_model(dist, ref)


def test_missing_nullable_label_in_a_partition_names_its_global_row(client):
    X, y, _ = _problem("binary", n=400)
    labels = pd.Series(y, dtype="Int64")
    labels[333] = pd.NA
    message = _in_memory_error(SoftLabelLogisticRegression().fit, X, labels)
    assert "333" in message
    with pytest.raises(ValueError, match=re.escape(message)):
        SoftLabelLogisticRegression().fit(
            dd.from_pandas(pd.DataFrame(X), npartitions=4), dd.from_pandas(labels, npartitions=4)
        )


# ------------------------------------------------------- SoftLabelLogisticRegressionCV
def _assert_same_cv(dist, ref):
    assert dist.C_ == ref.C_ and dist.l1_ratio_ == ref.l1_ratio_
    np.testing.assert_allclose(dist.scores_, ref.scores_, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(dist.n_iter_, ref.n_iter_)
    scale = np.abs(ref.coefs_paths_).max()
    np.testing.assert_allclose(dist.coefs_paths_, ref.coefs_paths_, rtol=0, atol=1e-10 * scale)
    _assert_same_model(dist, ref)


def _no_rows_gathered(monkeypatch):
    """Record what the client gathers: small results only, never a chunk's rows."""
    gathered = []
    original = skdask._ClientRunner.results

    def results(self, handles, prefer=None):
        out = original(self, handles, prefer)
        gathered.extend(out)
        return out

    monkeypatch.setattr(skdask._ClientRunner, "results", results)
    return gathered


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
@pytest.mark.parametrize("kind", ["soft", "labels"])
def test_cv_fit_equals_in_memory(client, monkeypatch, kind, solver):
    from skfuzzy_ce import SoftLabelLogisticRegressionCV
    from skfuzzy_ce.metrics import soft_log_loss
    from skfuzzy_ce.model_selection import SoftStratifiedKFold

    X, y, sw = _problem(kind, n=400)
    params = dict(Cs=[0.01, 0.3, 10.0], solver=solver)
    if kind == "soft":  # shuffled folds: every fold's rows spread over all the chunks
        params["cv"] = SoftStratifiedKFold(3, shuffle=True, random_state=0)
        fit_sw = None
    else:  # hard labels, sample and class weights, folds as an iterable, unsorted rows
        order = np.random.default_rng(1).permutation(400)
        params.update(class_weight="balanced", cv=[
            (np.setdiff1d(np.arange(400), order[f::3]), order[f::3]) for f in range(3)
        ])  # fmt: skip
        fit_sw = sw
    seen = []

    def recording(estimator, X_test, y_test, sample_weight=None):
        """The soft cross-entropy; records what it got, row by row."""
        proba = estimator.predict_proba(X_test)
        seen.append((np.asarray(y_test), proba, sample_weight))
        return -soft_log_loss(y_test, proba, sample_weight=sample_weight,
                              labels=estimator.classes_)  # fmt: skip

    params["scoring"] = recording
    ref = SoftLabelLogisticRegressionCV(**params).fit(X, y, sample_weight=fit_sw)
    seen_in_memory, seen[:] = list(seen), []
    gathered = _no_rows_gathered(monkeypatch)
    dist = SoftLabelLogisticRegressionCV(**params).fit(
        _chunked(X, 130), _chunked(y, 130), None if fit_sw is None else _chunked(fit_sw, 130)
    )
    _assert_same_cv(dist, ref)
    # The scorer got the held-out rows in the splitter's order, as in memory.
    assert len(seen) == len(seen_in_memory) == 9
    for (y1, p1, w1), (y0, p0, w0) in zip(seen, seen_in_memory):
        np.testing.assert_array_equal(y1, y0)
        np.testing.assert_allclose(p1, p0, rtol=1e-9)
        np.testing.assert_array_equal(w1, w0)
    assert gathered and not any(isinstance(g, skdask._Resident) for g in gathered)
    assert max(np.size(g) for g in gathered if isinstance(g, np.ndarray)) <= 400 * 3
    assert _scheduler_tasks(client) == 0


def test_cv_fit_on_the_local_scheduler(client):
    from skfuzzy_ce import SoftLabelLogisticRegressionCV

    X, y, sw = _problem("binary", n=300)
    params = dict(Cs=[0.01, 1.0, 100.0], cv=4, solver="newton-cholesky")
    ref = SoftLabelLogisticRegressionCV(**params).fit(X, y, sample_weight=sw)
    with dask.config.set(scheduler="sync"):
        assert isinstance(skdask._runner(), skdask._LocalRunner)
        dist = SoftLabelLogisticRegressionCV(**params).fit(
            _chunked(X, 70), _chunked(y, 70), _chunked(sw, 70)
        )
    _assert_same_cv(dist, ref)


def test_cv_fit_on_a_dask_dataframe_any_scorer(client):
    from skfuzzy_ce import SoftLabelLogisticRegressionCV

    X, y, sw = _problem("labels", n=360)
    pdf = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    pdf["label"], pdf["w"] = y, sw
    ddf = dd.from_pandas(pdf, npartitions=3)
    # A scikit-learn scorer on hard labels (accuracy needs predict, log loss the labels).
    for scoring in ["neg_log_loss", "accuracy"]:
        params = dict(Cs=[0.001, 0.1, 10.0], cv=3, scoring=scoring)
        ref = SoftLabelLogisticRegressionCV(**params).fit(
            pdf.iloc[:, :4], pdf["label"], sample_weight=pdf["w"]
        )
        dist = SoftLabelLogisticRegressionCV(**params).fit(
            ddf.iloc[:, :4], ddf["label"], sample_weight=ddf["w"]
        )
        _assert_same_cv(dist, ref)
        np.testing.assert_array_equal(dist.feature_names_in_, ref.feature_names_in_)
        assert list(dist.classes_) == ["ant", "bee", "cat"]
    # Soft labels in a DataFrame, label smoothing: the default soft scorer.
    Y = pd.DataFrame(softmax(X[:, :2] * 2, axis=1), columns=["no", "yes"])
    params = dict(Cs=[0.01, 1.0], cv=3, label_smoothing=0.1)
    ref = SoftLabelLogisticRegressionCV(**params).fit(pdf.iloc[:, :4], Y)
    dist = SoftLabelLogisticRegressionCV(**params).fit(
        ddf.iloc[:, :4], dd.from_pandas(Y, npartitions=3)
    )
    assert list(dist.classes_) == ["no", "yes"]
    _assert_same_cv(dist, ref)


@pytest.mark.parametrize("fault", ["row_sum", "unknown_label"])
def test_cv_fit_bad_targets_same_error(client, fault):
    from skfuzzy_ce import SoftLabelLogisticRegressionCV

    X, y, _ = _problem("labels" if fault == "unknown_label" else "soft", n=400)
    est = SoftLabelLogisticRegressionCV(Cs=2, cv=2)
    if fault == "row_sum":
        y[333] *= 1.1
    else:
        est.set_params(classes=["ant", "bee"])
    message = _in_memory_error(est.fit, X, y)
    with pytest.raises(ValueError, match=re.escape(message)):
        est.fit(_chunked(X, 100), _chunked(y, 100))
    with pytest.raises(ValueError, match="newton-cd.*not available on dask input"):
        SoftLabelLogisticRegressionCV(Cs=2, l1_ratios=(0.0, 0.5)).fit(
            _chunked(X, 100), _chunked(y, 100)
        )
    assert _scheduler_tasks(client) == 0
