"""Fitting and predicting where the rows live: dask arrays and DataFrames.

A fit on dask input replaces the in-memory data term
(:class:`~skfuzzy_ce._fused_objective.FusedLinearObjective`) by :class:`DaskDataTerm`, and
nothing else: the penalty, the solver and its convergence checks are the in-memory ones,
running on the client. The data term holds one ``FusedLinearObjective`` per row chunk,
built once where the chunk is (a dask worker, or this process under the default local
scheduler); an evaluation sends only the coefficients ``w`` to every chunk (in the task),
runs the compiled kernel there, and adds the chunks' ``(loss, gradient[, Hessian])`` on the
client in chunk order, so that the result does not depend on where or when each chunk ran.

The chunks go through these steps, one task per chunk each (``_load``, ``_scan``,
``_validate``, ``_build``), every one a pure function of the previous step's result, so that
dask can recompute any of them from the source after losing a worker:

1. load: the chunk of X checked (``check_array``, X's dtype), y and sample_weight as given;
2. scan: rows, and what the client needs to read y as a whole: the labels present (hard
   labels), whether any value is fractional (1-D floats), non-finite or out-of-range flags;
3. validate: the in-memory target checks (:func:`~skfuzzy_ce._targets.check_soft_targets`)
   on the chunk with the global classes and the chunk's first row, so a bad row is reported
   by its global index, with the in-memory message; the column totals the class weights and
   the normalizer need;
4. build: the chunk's ``FusedLinearObjective`` (class weights known by then).

dask is imported only here, and this module only when a dask collection is passed.
"""

import sys
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import _check_sample_weight, check_array, validate_data

from ._base import compute_soft_class_weight, same_index_dtype
from ._fused_objective import FusedLinearObjective, block_rows_for_cache
from ._objective import RemembersLastEvaluation
from ._solvers import fit_linear, resolve_solver
from ._targets import check_soft_targets, weight_exponent

__all__ = [
    "DaskCVRows",
    "DaskDataTerm",
    "dask_predict",
    "fit_continuous_bernoulli",
    "fit_soft_logistic",
    "is_dask_collection",
    "is_dask_input",
]


def is_dask_collection(x):
    """Whether ``x`` is a dask collection, without importing dask (none exists before)."""
    dask = sys.modules.get("dask")
    return dask is not None and x is not None and bool(dask.is_dask_collection(x))


def is_dask_input(*objs):
    """Whether any of ``objs`` is a dask collection."""
    return any(is_dask_collection(x) for x in objs)


# ----------------------------------------------------------------- runners
class _LocalRunner:
    """The default local scheduler: the chunks computed into this process, the steps run
    here one chunk after the other (each kernel call with the estimator's threads)."""

    distributed = False

    def __init__(self):
        self.n_threads_default = None

    def materialize(self, blocks):
        import dask

        return list(dask.compute(*blocks, optimize_graph=True))

    def map(self, fn, *lists, **kwargs):
        out = []
        for args in zip(*lists):
            out.append(fn(*args, **kwargs))
        return out

    def results(self, handles, prefer=None):
        return list(handles)

    def release(self, handles):
        pass

    def cancel(self, handles):
        pass


class _ClientRunner:
    """A ``dask.distributed`` client: the steps are tasks on the workers that hold the
    chunks; only small results (summaries, per-chunk sums) come back to the client."""

    distributed = True

    def __init__(self, client):
        self.client = client
        # A worker's threads run one chunk each: one OpenMP thread per kernel call.
        self.n_threads_default = 1

    def materialize(self, blocks):
        return self.client.compute(list(blocks), optimize_graph=True)

    def map(self, fn, *lists, **kwargs):
        # One batch of tasks (one message); pure=False: fresh keys, no hashing of w.
        if not lists or not lists[0]:
            return []
        if kwargs:
            return self.client.map(lambda *a: fn(*a, **kwargs), *lists, pure=False,
                                   key=[f"{fn.__name__.lstrip('_')}-{_token()}"
                                        for _ in lists[0]])  # fmt: skip
        return self.client.map(fn, *lists, pure=False)

    def results(self, handles, prefer=None):
        """The results in chunk order; on failure the error of the first failing chunk
        (of the first chunk flagged in ``prefer`` that failed, when given)."""
        from distributed import wait

        try:
            return self.client.gather(handles)
        except Exception:  # an erred or cancelled chunk: find the first, in chunk order
            try:
                wait(handles)
            except Exception:  # cancelled futures (a restarted cluster) raise here
                pass
        failed = [i for i, f in enumerate(handles) if f.status != "finished"]
        if prefer is not None:
            flagged = [i for i in failed if prefer[i]]
            failed = flagged or failed
        future = handles[failed[0]]
        if future.status == "error":
            exc = future.exception()
            if isinstance(exc, (ValueError, TypeError)):
                raise exc.with_traceback(future.traceback())
            raise RuntimeError(
                f"A task of the dask fit failed on chunk {failed[0]}: {exc!r}. If a worker "
                "died, dask retries it elsewhere up to its allowed-failures limit; fit again "
                "once the cluster is stable."
            ) from exc
        raise RuntimeError(
            f"The dask cluster lost chunk {failed[0]} of this fit (status "
            f"{future.status!r}: the cluster was restarted, or the client lost its "
            "connection). No model was fitted: fit again."
        )

    def release(self, handles):
        """Drop the client's hold on ``handles``; dask keeps what later steps depend on
        (and can recompute it). Never ``cancel``: that would also cancel a collection the
        user persisted, whose chunks are the first step's keys."""
        for h in handles:
            if h is not None:
                h.release()

    def cancel(self, handles):
        """Stop the fit's own tasks (fresh keys that nothing else depends on)."""
        handles = [h for h in handles if h is not None and not h.cancelled()]
        if handles:
            self.client.cancel(handles)


_LOCAL_SCHEDULERS = {
    "sync", "synchronous", "single-threaded", "threads", "threading", "processes",
    "multiprocessing",
}


def _token():
    import uuid

    return uuid.uuid4().hex


def _runner():
    """The distributed client when one is the default (and no local scheduler was chosen
    with ``dask.config.set(scheduler=...)``), else the local scheduler."""
    import dask

    if dask.config.get("scheduler", None) in _LOCAL_SCHEDULERS:
        return _LocalRunner()
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        try:
            return _ClientRunner(distributed.default_client())
        except ValueError:  # no client
            pass
    return _LocalRunner()


# ------------------------------------------------------------ input blocks
def _is_frame(x):
    return hasattr(x, "divisions")  # dask DataFrame or Series (arrays have no divisions)


def _row_chunks(x, name):
    """``(blocks, lengths or None)``: one delayed per row chunk of dask array or frame ``x``."""
    if _is_frame(x):
        return list(x.to_delayed()), None
    if x.ndim == 2 and x.numblocks[1] != 1:
        raise ValueError(
            f"{name} is chunked along its columns ({x.numblocks[1]} column chunks, chunks="
            f"{x.chunks[1]}); the fit needs whole rows in each chunk. Rechunk it along rows "
            f"only: {name} = {name}.rechunk({{1: -1}})."
        )
    if x.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D; got a dask array of shape {x.shape}.")
    blocks = x.to_delayed()
    blocks = list(blocks[:, 0] if blocks.ndim == 2 else blocks)
    lengths = x.chunks[0]
    if any(np.isnan(n) for n in lengths):
        lengths = None
    return blocks, lengths


def _align(x, X, X_lengths, name):
    """Row chunks of ``y`` or ``sample_weight`` matching X's: ``(blocks or None)``."""
    import dask.array as da

    if x is None:
        return None
    if not is_dask_collection(x):
        if X_lengths is None:
            raise ValueError(
                f"X is a dask collection with unknown chunk sizes and {name} is not a dask "
                f"collection: pass {name} as a dask collection partitioned like X (e.g. a "
                "column of the same dask DataFrame), or give X known chunk sizes "
                "(X.to_dask_array(lengths=True) / X.compute_chunk_sizes())."
            )
        x = x.to_numpy() if hasattr(x, "to_numpy") else np.asarray(x)
        if x.shape[0] != sum(X_lengths):
            return [x]  # one chunk: the length check reports the mismatch
        x = da.from_array(x, chunks=(X_lengths,) + x.shape[1:])
    elif not _is_frame(x) and X_lengths is not None:
        known = not any(np.isnan(n) for n in x.chunks[0])
        if known and x.chunks[0] != tuple(X_lengths) and x.shape[0] == sum(X_lengths):
            x = x.rechunk({0: tuple(X_lengths)})
    blocks, _ = _row_chunks(x, name)
    return blocks


def _x_dtype(X):
    """X's dtype after validation: float32 stays float32, anything else becomes float64."""
    if _is_frame(X):
        dtypes = list(X.dtypes) if hasattr(X, "columns") else [X.dtype]
        try:
            dtype = np.result_type(*dtypes)
        except TypeError:
            return np.dtype(np.float64)
    else:
        dtype = X.dtype
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _x_meta(X, dtype):
    """An empty stand-in for X with its columns: what ``validate_data`` needs to set or
    check ``n_features_in_`` and ``feature_names_in_``."""
    if _is_frame(X):
        meta = X._meta
        if not hasattr(meta, "columns"):  # a Series
            raise ValueError(
                "Expected a 2D X, got a dask Series: use X.to_frame() for one feature."
            )
        return meta
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D X, got a dask array of shape {X.shape}: reshape it to "
            "(n_samples, n_features)."
        )
    return np.empty((0, X.shape[1]), dtype=dtype)


# ------------------------------------------------------------ chunk steps
class _Resident:
    """A chunk's arrays (or objective) kept on its worker. ``__sizeof__`` reports the
    arrays' bytes, so that dask runs the evaluations where the chunk is rather than move
    it (a plain object would count as a few bytes)."""

    def __init__(self, nbytes, **fields):
        self.nbytes = int(nbytes)
        self.__dict__.update(fields)

    def __sizeof__(self):
        return self.nbytes + 64


def _nbytes(a):
    if a is None:
        return 0
    if sp.issparse(a):
        return a.data.nbytes + a.indices.nbytes + a.indptr.nbytes
    return getattr(a, "nbytes", 0)


def _load(x, y, sw, dtype):
    X = same_index_dtype(
        check_array(x, accept_sparse="csr", dtype=dtype, order="C", ensure_min_samples=0)
    )
    if sw is not None:
        sw = sw.to_numpy() if hasattr(sw, "to_numpy") else np.asarray(sw)
    return _Resident(_nbytes(X) + _nbytes(np.asarray(y)), X=X, y=y, sw=sw)


def _scan(chunk):
    """What the client needs to read the target as a whole (small)."""
    y = chunk.y
    yv = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    info = {
        "n": chunk.X.shape[0],
        "ny": yv.shape[0] if yv.ndim else 0,
        "nsw": None if chunk.sw is None else (chunk.sw.shape[0] if chunk.sw.ndim else 0),
        "ndim": yv.ndim,
        "ncols": yv.shape[1] if yv.ndim == 2 else None,
        "kind": yv.dtype.kind,
        "labels": None,
        "fraction": None,
        "nonfinite": False,
        "out_of_range": False,
        "min": None,
        "max": None,
        "sw_max": 0.0,
    }
    if chunk.sw is not None and chunk.sw.size and chunk.sw.dtype.kind in "biuf":
        finite = chunk.sw[np.isfinite(chunk.sw)]
        info["sw_max"] = float(finite.max()) if finite.size else 0.0
    if yv.ndim == 2 and yv.shape[1] == 1:
        yv = yv[:, 0]
    if yv.dtype.kind in "biuf" and yv.size:
        finite = np.isfinite(yv)
        info["nonfinite"] = not bool(finite.all())
        info["out_of_range"] = bool(((yv < 0) | (yv > 1)).any())
        if yv.ndim == 1 and yv.dtype.kind == "f" and finite.any():
            vals = yv[finite]
            info["min"], info["max"] = float(vals.min()), float(vals.max())
            frac = np.mod(vals, 1) != 0
            if frac.any():
                info["fraction"] = float(vals[np.argmax(frac)])
    if yv.ndim == 1 and info["fraction"] is None and not info["nonfinite"]:
        try:
            info["labels"] = np.unique(yv)
        except TypeError:  # mixed or missing labels: the validation step names them
            info["labels"] = None
    return info


def _soft_targets(y, dtype, n, offset, spec):
    """A chunk of a classifier's targets as a matrix (check_soft_targets, global rows)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Y, _ = check_soft_targets(
            y, classes=spec["classes"], multilabel=spec["multilabel"], dtype=dtype,
            n_samples=n, min_classes=1, row_offset=offset, soft_1d=spec["soft_1d"],
        )  # fmt: skip
    return Y


def _validate(chunk, offset, spec):
    """The in-memory checks on this chunk (row numbers from ``offset``): its targets as a
    matrix in X's dtype, label smoothing applied, and its sample weights."""
    X = chunk.X
    n = X.shape[0]
    if spec["kind"] == "continuous_bernoulli":
        from ._continuous_bernoulli import _check_unit_interval_target

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # column vector: warned once on the client
            y = _check_unit_interval_target(chunk.y, X.dtype, spec["name"], row_offset=offset)
        Y = np.ascontiguousarray(y, dtype=X.dtype).reshape(-1, 1)
    else:
        Y = _soft_targets(chunk.y, X.dtype, n, offset, spec)
    sw = chunk.sw
    if sw is None:
        sw = np.ones(n, dtype=np.float64)
    else:
        try:
            sw = _check_sample_weight(sw, X, dtype=np.float64, ensure_non_negative=True)
        except ValueError:
            # A chunk may have only zero weights; the whole fit may not (checked after).
            if not (sw.shape == (n,) and np.all(sw == 0)):
                raise
            sw = np.zeros(n, dtype=np.float64)
    if spec["weight_exp"]:  # the whole fit's weights divided by 2**e (scale_weights)
        sw = np.ldexp(sw, -spec["weight_exp"])
    mass = Y.sum(axis=0, dtype=np.float64)  # before smoothing, as check_soft_targets
    extra = {}
    if spec.get("keep_y"):  # a CV fit: the held-out rows are scored against y as given
        # The splitter's input: each row's most probable class (first on ties), read in
        # float64 as SoftStratifiedKFold reads y in memory.
        Y64 = Y if Y.dtype == np.float64 else _soft_targets(chunk.y, np.float64, n, offset, spec)
        extra = {"y": chunk.y, "codes": np.argmax(Y64, axis=1)}
    eps = spec.get("label_smoothing", 0.0)
    if eps > 0:
        Y = (1 - eps) * Y + eps / Y.shape[1]
    Y = np.ascontiguousarray(Y, dtype=X.dtype)
    stats = _chunk_stats(Y, sw)
    stats["mass"] = mass
    nbytes = _nbytes(X) + _nbytes(Y) + _nbytes(sw) + (_nbytes(np.asarray(chunk.y)) if extra else 0)
    return _Resident(nbytes, X=X, Y=Y, sw=sw, stats=stats, **extra)


def _chunk_stats(Y, sw):
    """The column totals and the total weight of rows (the normalizer's ingredients)."""
    return {"totals": sw @ Y.astype(np.float64, copy=False), "sw": sw.sum()}


def _stats(chunk):
    return chunk.stats


def _build(chunk, rows, spec, class_weight):
    """The data term of the chunk's rows ``rows`` (local indices; None: all), a
    ``FusedLinearObjective`` as the in-memory fit builds it, and their stats."""
    X, Y, sw, cw = chunk.X, chunk.Y, chunk.sw, class_weight
    if rows is not None:  # a cross-validation fold's training rows of this chunk
        X, Y, sw = X[rows], Y[rows], sw[rows]
    stats = _chunk_stats(Y, sw)
    if spec["ovr"]:  # one-vs-rest sigmoids on labels, as _make_data_term
        sw = sw * (Y @ cw)
        cw = np.ones_like(cw)
    obj = FusedLinearObjective(
        X, Y, sw, cw, n_outputs=spec["n_outputs"],
        fit_intercept=spec["fit_intercept"], n_threads=spec["n_threads"],
        block_rows=spec["block_rows"], kind=spec["fused_kind"],
        weight_exp=spec["weight_exp"],
    )  # fmt: skip
    nbytes = chunk.nbytes if rows is None else _nbytes(X) + _nbytes(Y) + _nbytes(sw)
    return _Resident(nbytes, obj=obj, stats=stats)


def _evaluate(term, method, w):
    if method == "hessian":
        return term.obj.hessian(w)
    return term.obj.loss_gradient(w)


class _ChunkEvaluator:
    """A dask actor on one worker holding that worker's chunk data terms: an evaluation
    is one call from the client to the worker and one reply (no scheduler in between),
    the results per chunk, in the order given. The chunks run on as many threads as the
    worker has (the kernel releases the GIL), each kernel call with the fit's threads."""

    def __init__(self, *terms):
        from distributed import get_worker

        self.terms = terms
        self.n_threads = max(1, min(len(terms), int(get_worker().state.nthreads)))
        self.pool = None

    def threads(self):
        """``(threads the chunks run on, whether that pool has started)``."""
        return self.n_threads, self.pool is not None

    def evaluate(self, method, w):
        if self.n_threads == 1:
            return [_evaluate(t, method, w) for t in self.terms]
        if self.pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(self.n_threads)
        return list(self.pool.map(lambda t: _evaluate(t, method, w), self.terms))


class _Evaluators:
    """One :class:`_ChunkEvaluator` per worker that holds chunks of a data term.

    The actors are created on the workers that hold the chunks (who_has), so no chunk
    moves. They are a shortcut, not the source of truth: the data term keeps its chunk
    futures, and if an actor fails (its worker died, the cluster restarted) the data term
    goes back to tasks, which dask recomputes from their source."""

    def __init__(self, client, terms):
        holders = client.who_has(terms)
        groups = {}
        for i, t in enumerate(terms):
            where = holders.get(t.key) or ("",)
            groups.setdefault(sorted(where)[0], []).append(i)
        self.client = client
        self.order = [i for idx in groups.values() for i in idx]
        self.futures = [
            client.submit(_ChunkEvaluator, *[terms[i] for i in idx], actor=True,
                          workers=[addr] if addr else None, allow_other_workers=True,
                          pure=False)  # fmt: skip
            for addr, idx in groups.items()
        ]
        self.sizes = [len(idx) for idx in groups.values()]
        self.actors = client.gather(self.futures)

    def evaluate(self, method, w):
        calls = [a.evaluate(method, w) for a in self.actors]  # all sent, then awaited
        flat = [r for c in calls for r in c.result()]
        out = [None] * len(flat)
        for i, r in zip(self.order, flat):
            out[i] = r
        return out

    def close(self):
        self.client.cancel(self.futures)
        self.futures, self.actors = [], []


# -------------------------------------------------------------- data term
class DaskDataTerm(RemembersLastEvaluation):
    """The data term of the chunks of a dask collection (the protocol of
    :mod:`skfuzzy_ce._objective`): unscaled sums over every row, added in chunk order.

    On a distributed cluster an evaluation is one call to an actor per worker
    (:class:`_Evaluators`); on the local scheduler, or after an actor failed, the chunk
    steps run as tasks."""

    split = FusedLinearObjective.split

    def __init__(
        self, runner, terms, *, n_outputs, n_features, fit_intercept, kind, n_samples, weight_exp
    ):
        self.runner = runner
        self.weight_exp = int(weight_exp)
        self.terms = terms
        self.n_outputs = n_outputs
        self.n_features = n_features
        self.n_coef = n_outputs * n_features
        self.n_params = self.n_coef + (n_outputs if fit_intercept else 0)
        self.fit_intercept = fit_intercept
        self.kind = kind
        self.n_samples = n_samples
        self.n_evaluations = 0
        self.evaluators = None
        if runner.distributed and terms:
            try:
                self.evaluators = _Evaluators(runner.client, terms)
            except Exception:  # a worker lost meanwhile: tasks it is
                pass

    def _run(self, method, w):
        self.n_evaluations += 1
        w = np.ascontiguousarray(w, dtype=np.float64)
        if self.evaluators is not None:
            try:
                return self.evaluators.evaluate(method, w)
            except (ValueError, TypeError):
                raise
            except Exception:  # the actor's worker was lost: from now on, tasks
                self._drop_evaluators()
        handles = self.runner.map(_evaluate, self.terms, method=method, w=w)
        try:
            return self.runner.results(handles)
        finally:
            self.runner.release(handles)

    def _drop_evaluators(self):
        if self.evaluators is not None:
            try:
                self.evaluators.close()
            except Exception:
                pass
            self.evaluators = None

    def _loss_gradient(self, w):
        parts = self._run("loss_gradient", w)
        loss = 0.0
        grad = np.zeros(self.n_params, dtype=np.float64)
        for value, g in parts:  # in chunk order
            loss += float(value)
            grad += g
        return loss, grad

    def hessian(self, w):
        parts = self._run("hessian", w)
        H = np.zeros((self.n_params, self.n_params), dtype=np.float64)
        for h in parts:
            H += h
        return H

    def row_curvature(self, w):
        raise NotImplementedError(_NEWTON_CD_MESSAGE)

    def columns(self):
        raise NotImplementedError(_NEWTON_CD_MESSAGE)

    def close(self):
        self._drop_evaluators()
        self.runner.cancel(self.terms)
        self.terms = []


_NEWTON_CD_MESSAGE = (
    'solver="newton-cd" (the solver of l1_ratio > 0) runs coordinate descent over the '
    "columns of X and the per-row curvature, which need every row on one machine: it is "
    "not available on dask input. Fit in memory (X.compute(), y.compute()) for an L1 or "
    'elastic-net penalty, or use l1_ratio=0 with solver="lbfgs" or "newton-cholesky".'
)


def _check_solver(estimator):
    if resolve_solver(estimator.solver, estimator.l1_ratio) == "newton-cd":
        raise ValueError(_NEWTON_CD_MESSAGE)


class _Fit:
    """The chunks of one fit on the runner, released when the fit ends (or fails)."""

    def __init__(self, estimator, X, y, sample_weight):
        self.runner = _runner()
        self.handles = []
        self.dtype = _x_dtype(X) if is_dask_collection(X) else None
        if not is_dask_collection(X):
            raise ValueError(
                "y or sample_weight is a dask collection but X is not: pass X as a dask "
                "array or DataFrame too (rows chunked as y's), or compute y."
            )
        self.meta = _x_meta(X, self.dtype)
        validate_data(estimator, self.meta, skip_check_array=True, reset=True)
        x_blocks, x_lengths = _row_chunks(X, "X")
        y_blocks = _align(y, X, x_lengths, "y")
        sw_blocks = _align(sample_weight, X, x_lengths, "sample_weight")
        n = len(x_blocks)
        for name, blocks in (("y", y_blocks), ("sample_weight", sw_blocks)):
            if blocks is not None and len(blocks) != n:
                raise ValueError(
                    f"{name} has {len(blocks)} row chunks and X has {n}: partition them "
                    f"alike, e.g. {name} = {name}.rechunk({{0: X.chunks[0]}}) for dask "
                    "arrays, or take X and y from the same dask DataFrame."
                )
        self.n_features = self.meta.shape[1]
        source = list(x_blocks) + list(y_blocks) + (list(sw_blocks) if sw_blocks else [])
        parts = self.runner.materialize(source)
        self.parts = list(parts)
        xs, ys = parts[:n], parts[n : 2 * n]
        sws = parts[2 * n :] if sw_blocks else [None] * n
        self.loaded = self._keep(self.runner.map(_load, xs, ys, sws, dtype=self.dtype))
        scans = self.runner.map(_scan, self.loaded)
        infos = self.runner.results(scans)
        self.runner.release(scans)
        # The source chunks are referenced by the loaded ones now.
        self.runner.release(self.parts)
        self.parts = []
        self.infos = infos
        lengths = [info["n"] for info in infos]
        n_total, ny = sum(lengths), sum(info["ny"] for info in infos)
        if n_total == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape=(0, {self.n_features})) while a "
                "minimum of 1 is required."
            )
        if ny != n_total:
            raise ValueError(
                f"y has {ny} rows but X has {n_total} samples: pass one label (or one row "
                "of soft labels) per sample."
            )
        bad = [i for i, info in enumerate(infos) if info["ny"] != info["n"]] + [
            i for i, info in enumerate(infos) if info["nsw"] not in (None, info["n"])
        ]
        if bad:
            i = bad[0]
            raise ValueError(
                f"Row chunk {i} of X has {infos[i]['n']} rows but y or sample_weight has "
                f"{infos[i]['ny']} / {infos[i]['nsw']} there: partition X, y and "
                "sample_weight alike (same chunks along rows)."
            )
        if sum(info["nsw"] or 0 for info in infos) not in (0, n_total) or (
            sw_blocks is not None and any(info["nsw"] is None for info in infos)
        ):
            raise ValueError("sample_weight must have one weight per sample of X.")
        self.offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int).tolist()
        self.n_samples = n_total
        # Empty chunks (a DataFrame's partitions can be) carry nothing: left out.
        self.keep = [i for i, m in enumerate(lengths) if m > 0]

    def _keep(self, handles):
        self.handles += list(handles)
        return handles

    def validate(self, spec):
        """Validate every chunk's targets; returns the summed stats."""
        idx = self.keep
        loaded = [self.loaded[i] for i in idx]
        offsets = [self.offsets[i] for i in idx]
        self.validated = self._keep(self.runner.map(_validate, loaded, offsets, spec=spec))
        # The error of the first chunk whose values fail the earliest in-memory check.
        infos = [self.infos[i] for i in idx]
        stats_h = self.runner.map(_stats, self.validated)
        for flag in ("nonfinite", "out_of_range", None):
            prefer = [bool(info[flag]) for info in infos] if flag else None
            if prefer is None or any(prefer):
                break
        stats = self.runner.results(stats_h, prefer=prefer)
        self.runner.release(stats_h)
        self.runner.release(self.loaded)
        self.loaded = []
        return {
            "mass": np.sum([s["mass"] for s in stats], axis=0),
            "totals": _ordered_sum([s["totals"] for s in stats]),
            "sw": float(_ordered_sum([s["sw"] for s in stats])),
        }

    def data_term(self, spec, class_weight, rows=None, release=True):
        """``(data, stats)``: the :class:`DaskDataTerm` of every row, or of the rows
        ``rows`` (one array of local indices per kept chunk), and those rows' summed stats.
        ``release=False`` keeps the validated chunks for more data terms (CV folds)."""
        validated = self.validated
        if rows is None:
            rows = [None] * len(validated)
        else:  # chunks without rows in the subset carry nothing: left out
            validated, rows = zip(*[(v, r) for v, r in zip(validated, rows) if len(r)])
        terms = self._keep(self.runner.map(_build, validated, rows, spec=spec,
                                           class_weight=class_weight))  # fmt: skip
        # Built (or the build's error) before the solver starts: only the stats come back,
        # the terms (which hold the chunk's rows) stay where they are.
        stats_h = self.runner.map(_stats, terms)
        stats = self.runner.results(stats_h)
        self.runner.release(stats_h)
        if release:
            self.runner.release(self.validated)
        n_rows = self.n_samples if rows[0] is None else sum(len(r) for r in rows)
        data = DaskDataTerm(
            self.runner, terms, n_outputs=spec["n_outputs"], n_features=self.n_features,
            fit_intercept=spec["fit_intercept"], kind=spec["fused_kind"],
            n_samples=n_rows, weight_exp=spec["weight_exp"],
        )  # fmt: skip
        return data, {
            "totals": _ordered_sum([st["totals"] for st in stats]),
            "sw": float(_ordered_sum([st["sw"] for st in stats])),
        }

    def close(self):
        self.runner.release(getattr(self, "parts", []))
        self.runner.cancel(self.handles)
        self.handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _ordered_sum(parts):
    total = 0.0
    for p in parts:
        total = total + p
    return total


def _spec(estimator, fit, **fields):
    d = fit.n_features
    spec = {
        "fit_intercept": estimator.fit_intercept,
        "n_threads": estimator.n_threads
        if estimator.n_threads is not None
        else fit.runner.n_threads_default,
        # The in-memory fit's block size (the client's cache), so that float32 blocks of
        # rows are summed alike wherever the chunk runs.
        "block_rows": None,
        "name": type(estimator).__name__,
        "d": d,
        # The weights' scaling of the in-memory fit (scale_weights), from the largest weight.
        "weight_exp": weight_exponent(
            max(fit.infos[i]["sw_max"] for i in fit.keep), fit.n_samples
        ),
    }
    spec.update(fields)
    return spec


def _block_rows(fit, n_outputs):
    return block_rows_for_cache(fit.n_features, n_outputs, fit.dtype.itemsize)


def _classes_of(fit, estimator, multilabel):
    """Global classes and how to read 1-D floats: ``(classes or None, soft_1d)``."""
    infos = [fit.infos[i] for i in fit.keep]
    ndims = {info["ndim"] for info in infos}
    if ndims == {2} and not all(info["ncols"] == 1 for info in infos):
        return estimator.classes, None  # a matrix: columns, DataFrame names or arange
    if any(info["fraction"] is not None for info in infos):
        if not any(info["nonfinite"] for info in infos):
            low = min(info["min"] for info in infos if info["min"] is not None)
            high = max(info["max"] for info in infos if info["max"] is not None)
            if low < 0 or high > 1:  # the in-memory message, with the global range
                frac = next(i["fraction"] for i in infos if i["fraction"] is not None)
                check_soft_targets(np.array([low, high, frac]), soft_1d=True)
        classes = estimator.classes if estimator.classes is not None else np.arange(2)
        return classes, True
    if estimator.classes is not None:
        return estimator.classes, None
    if any(info["labels"] is None for info in infos):
        return None, None  # the validation step raises the in-memory error
    return np.unique(np.concatenate([info["labels"] for info in infos])), None


# ---------------------------------------------------------------- fitting
def _prepare_classifier(estimator, fit, y, keep_y=False):
    """Validate the chunks of a classifier's fit: ``(spec, classes, class_weight, sw_sum,
    soft)`` as the in-memory ``_check_fit_data`` and data term compute them on all rows
    (``soft``: the targets are soft labels, not hard ones). ``keep_y``: the chunks keep
    the targets as given and their most probable class (a CV fit)."""
    from ._soft_logistic import _check_total_weight, _is_label_vector, _output_layout

    multilabel = estimator.loss == "binary_cross_entropy" and not _is_label_vector(y)
    classes, soft_1d = _classes_of(fit, estimator, multilabel)
    spec = _spec(estimator, fit, kind="classifier", classes=classes,
                 multilabel=multilabel, soft_1d=soft_1d, keep_y=keep_y,
                 label_smoothing=estimator.label_smoothing)  # fmt: skip
    stats = fit.validate(spec)
    K = stats["totals"].shape[0]
    if classes is None:  # a matrix: the DataFrame's column names, or arange
        columns = _frame_columns(y)
        classes = columns if columns is not None else np.arange(K)
    classes = np.asarray(classes)
    if len(classes) != K:  # pragma: no cover (the chunks' checks refuse it first)
        raise ValueError(f"The chunks of y disagree on the classes ({K} columns).")
    if not multilabel:
        # The one-class check of check_soft_targets, on the classes that have mass.
        has_mass = np.flatnonzero(stats["mass"] > 0)
        if K < 2 or has_mass.size < 2:
            check_soft_targets(np.eye(K)[has_mass[:1] if has_mass.size else [0]],
                               classes=classes)  # fmt: skip
    if stats["sw"] == 0:
        _check_sample_weight(np.zeros(1), np.empty((1, 0)), ensure_non_negative=True)
    # The class weights from the soft class totals, as compute_soft_class_weight
    # computes them from (Y, sample_weight) in memory.
    S = stats["sw"]
    Ys = (stats["totals"] / S)[None, :] if S > 0 else np.zeros((1, K))
    class_weight = compute_soft_class_weight(
        estimator.class_weight, classes, Ys, np.array([S])
    )
    sw_sum = _check_total_weight(S if multilabel else stats["totals"] @ class_weight,
                                 class_weight)  # fmt: skip
    n_outputs, kind, one_vs_rest = _output_layout(estimator.loss, K, multilabel)
    spec.update(
        n_outputs=n_outputs, ovr=one_vs_rest, fused_kind=kind,
        block_rows=_block_rows(fit, n_outputs),
    )  # fmt: skip
    soft = multilabel or not _is_label_vector(y) or bool(soft_1d)
    return spec, classes, class_weight, sw_sum, soft


def fit_soft_logistic(estimator, X, y, sample_weight):
    """:meth:`SoftLabelLogisticRegression.fit` on dask input (see the module docstring)."""
    _check_solver(estimator)
    if y is None:
        check_soft_targets(y)
    with _Fit(estimator, X, y, sample_weight) as fit:
        spec, classes, class_weight, sw_sum, _ = _prepare_classifier(estimator, fit, y)
        data, _ = fit.data_term(spec, class_weight)
        w, n_iter = fit_linear(
            data, sw_sum, C=estimator.C, l1_ratio=estimator.l1_ratio, solver=estimator.solver,
            max_iter=estimator.max_iter, tol=estimator.tol, verbose=estimator.verbose,
            w0=estimator._initial_w(data),
        )  # fmt: skip
        data.close()
    return estimator._set_fitted(data, w, n_iter, classes, y, fit.dtype)


def _frame_columns(y):
    """Column names of a 2-D dask DataFrame ``y`` (its classes, as with pandas)."""
    if y is not None and _is_frame(y) and hasattr(y, "columns"):
        return np.asarray(y.columns)
    return None


def fit_continuous_bernoulli(estimator, X, y, sample_weight):
    """:meth:`ContinuousBernoulliRegression.fit` on dask input."""
    _check_solver(estimator)
    if y is None:
        from ._continuous_bernoulli import _check_unit_interval_target

        _check_unit_interval_target(y, np.float64, type(estimator).__name__)
    with _Fit(estimator, X, y, sample_weight) as fit:
        spec = _spec(estimator, fit, kind="continuous_bernoulli", n_outputs=1, ovr=False,
                     fused_kind="continuous_bernoulli",
                     block_rows=_block_rows(fit, 1))  # fmt: skip
        stats = fit.validate(spec)
        if stats["sw"] == 0:
            _check_sample_weight(np.zeros(1), np.empty((1, 0)), ensure_non_negative=True)
            raise ValueError("Sample weights must contain at least one non-zero number.")
        data, _ = fit.data_term(spec, np.ones(1))
        w, n_iter = fit_linear(
            data, stats["sw"], C=estimator.C, l1_ratio=estimator.l1_ratio,
            solver=estimator.solver, max_iter=estimator.max_iter, tol=estimator.tol,
            verbose=estimator.verbose,
        )  # fmt: skip
        data.close()
    coef, intercept = data.split(w)
    estimator.coef_ = coef[0].astype(fit.dtype)
    estimator.intercept_ = fit.dtype.type(intercept[0] if intercept is not None else 0.0)
    estimator.n_iter_ = int(n_iter)
    return estimator


# -------------------------------------------------------- cross-validation
def _codes(chunk):
    return chunk.codes


def _take(chunk, rows):
    """Held-out rows of the chunk: their targets as given and their (scaled) weights."""
    from sklearn.utils import _safe_indexing

    return _safe_indexing(chunk.y, rows), chunk.sw[rows]


def _decision(chunk, rows, model):
    """The scoring model's ``decision_function`` on held-out rows of the chunk."""
    return model.decision_function(chunk.X[rows])


def _concat(parts):
    if hasattr(parts[0], "iloc"):  # pandas partitions: pandas, their index kept
        import pandas as pd

        return pd.concat(parts)
    return np.concatenate(parts)


class DaskCVRows:
    """The rows of a :class:`~skfuzzy_ce.SoftLabelLogisticRegressionCV` fit on dask input,
    with the interface of the in-memory ``_logistic_cv._InMemoryRows``.

    The chunks are validated once, where they are (:class:`_Fit`), and kept there with their
    targets as given. The splitter gets a placeholder X and, as y, the hard labels or each
    row's most probable class (n values, brought to the client). A data term of a set of
    rows (a fold's training rows, or all) is one ``FusedLinearObjective`` per chunk over its
    rows in the set, built where the chunk is; the class weights are those of all rows, as
    in memory. A fold's held-out rows stay too: their targets and weights come to the
    client, and for each point of the path the scoring model's decision values, computed
    on the chunks, so that the scorer runs on the client on the in-memory predictions.
    """

    def __init__(self, estimator, X, y, sample_weight, solvers):
        if "newton-cd" in solvers:
            raise ValueError(_NEWTON_CD_MESSAGE)
        if y is None:
            check_soft_targets(y)
        self.fit = fit = _Fit(estimator, X, y, sample_weight)
        self.runner = fit.runner
        try:
            self.spec, self.classes, self.class_weight, _, self.soft = _prepare_classifier(
                estimator, fit, y, keep_y=True
            )
            handles = self.runner.map(_codes, fit.validated)
            codes = np.concatenate(self.runner.results(handles))
            self.runner.release(handles)
        except BaseException:
            fit.close()
            raise
        self.multilabel = self.spec["multilabel"]
        self.n_features, self.dtype = fit.n_features, fit.dtype
        self.n_samples = fit.n_samples
        self.weighted = sample_weight is not None
        # What the splitter reads of y: the labels themselves for hard labels.
        self.y_split = codes if self.soft else self.classes[codes]
        self.starts = np.array([fit.offsets[i] for i in fit.keep], dtype=np.intp)

    def split(self, cv):
        return list(cv.split(np.zeros((self.n_samples, 1)), self.y_split))

    def _by_chunk(self, rows):
        """``(local, order)``: the local indices of ``rows`` in each kept chunk (in the order
        of ``rows``), and the permutation of ``rows`` that lists them chunk after chunk."""
        rows = np.arange(self.n_samples)[rows]  # any index X[rows] takes, as positions
        chunk = np.searchsorted(self.starts, rows, side="right") - 1
        order = np.argsort(chunk, kind="stable")
        local = rows[order] - self.starts[chunk[order]]
        counts = np.bincount(chunk, minlength=len(self.starts))
        return np.split(local, np.cumsum(counts)[:-1]), order

    def path_jobs(self, n_jobs, n_paths):
        """One path at a time: each evaluation is spread over the chunks already."""
        return 1, None

    def data_term(self, rows=None):
        """``(data, sw_sum)``: the :class:`DaskDataTerm` of the rows ``rows`` (global
        indices; None: all) and its normalizer, as ``_build_data_term`` in memory."""
        from ._soft_logistic import _check_total_weight

        local = None
        if rows is not None:
            local, _ = self._by_chunk(rows)
            if not any(len(r) for r in local):
                _check_total_weight(0.0, self.class_weight)  # nothing to fit: its error
        data, stats = self.fit.data_term(self.spec, self.class_weight, rows=local,
                                         release=False)  # fmt: skip
        try:
            S = stats["sw"] if self.multilabel else stats["totals"] @ self.class_weight
            return data, _check_total_weight(S, self.class_weight)
        except BaseException:
            data.close()
            raise

    def held_out(self, test):
        local, order = self._by_chunk(test)
        where = [(v, r) for v, r in zip(self.fit.validated, local) if len(r)]
        handles = self.runner.map(_take, *zip(*where))
        taken = self.runner.results(handles)
        self.runner.release(handles)
        back = np.empty_like(order)  # from chunk after chunk back to the order of test
        back[order] = np.arange(len(order))
        from sklearn.utils import _safe_indexing

        y = _safe_indexing(_concat([t[0] for t in taken]), back)
        sw = np.concatenate([t[1] for t in taken])[back] if self.weighted else None
        return _DaskHeldOut(self, where, back, y, sw)

    def is_soft(self):
        return self.soft

    def release(self, data):
        data.close()

    def close(self):
        self.fit.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _DaskHeldOut:
    """A fold's held-out rows on the chunks: targets and weights on the client."""

    def __init__(self, rows, where, back, y, sample_weight):
        self.rows, self.where, self.back = rows, where, back
        self.y, self.sample_weight = y, sample_weight
        from ._logistic_cv import _DefaultScores

        self.default_scores = _DefaultScores(y, sample_weight)

    def scores(self, cv_estimator, scorer, models):
        """The score of each model (the points of a path)."""
        return np.array([self._score(cv_estimator, scorer, model) for model in models])

    def _score(self, cv_estimator, scorer, model):
        from ._logistic_cv import _RemoteScores

        runner = self.rows.runner
        handles = runner.map(_decision, *zip(*self.where), model=model)
        values = np.concatenate(runner.results(handles))[self.back]
        runner.release(handles)
        if self.default_scores.applies(cv_estimator, model):
            Zt = np.ascontiguousarray(values.reshape(len(values), -1).T)
            score = self.default_scores(model, Zt)
            if score is not None:
                return score
        # The held-out rows' shape, no values: the rows stay on the workers.
        X = np.broadcast_to(np.zeros((), dtype=self.rows.dtype),
                            (len(self.back), self.rows.n_features))  # fmt: skip
        kwargs = {} if self.sample_weight is None else {"sample_weight": self.sample_weight}
        return scorer(_RemoteScores.of(model, X, values), X, self.y, **kwargs)


# -------------------------------------------------------------- prediction
class _NamesChecked:
    """A prediction method on the blocks of a DataFrame whose column names were checked
    on the client: scikit-learn's "X does not have valid feature names" is not raised."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, block):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            return self.fn(block)

def dask_predict(estimator, method, X):
    """``estimator.<method>`` on dask ``X``, lazily: one task per row chunk (``map_blocks``),
    the same chunks along rows, the dtype and shape of the in-memory result."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    dtype = _x_dtype(X)
    meta_in = _x_meta(X, dtype)
    validate_data(estimator, meta_in, skip_check_array=True, reset=False)
    fn = getattr(estimator, method)
    if _is_frame(X):
        X = X.to_dask_array()  # chunk sizes unknown, not computed
        fn = _NamesChecked(fn)  # the names were checked above; the blocks have none
    else:
        _row_chunks(X, "X")  # rows only
    sample = fn(np.zeros((1, X.shape[1]), dtype=dtype))
    meta = sample[:0]
    if sample.ndim == 1:
        return X.map_blocks(fn, drop_axis=1, dtype=sample.dtype, meta=meta, chunks=(X.chunks[0],))
    return X.map_blocks(
        fn, dtype=sample.dtype, meta=meta, chunks=(X.chunks[0], (sample.shape[1],))
    )


# ------------------------------------------------------- duplicated data set
def _y_summary(y):
    """Labels present and a fractional value, if any, of a chunk of 1-D targets."""
    y = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    fraction = None
    if y.dtype.kind == "f":
        vals = y[np.isfinite(y)]
        frac = np.mod(vals, 1) != 0
        if frac.any():
            fraction = float(vals[np.argmax(frac)])
    try:
        labels = np.unique(y) if fraction is None else None
    except TypeError:
        labels = None
    return labels, fraction


def _expand_chunk(x, y, sw, offset, classes, drop_zero, soft_1d):
    from ._weighted_hard import _expand

    X_rep, y_rep, w_rep, index, _ = _expand(
        x, y, sw, classes, drop_zero, row_offset=offset, soft_1d=soft_1d, min_classes=1
    )
    return X_rep, y_rep, w_rep, index + offset


def dask_to_weighted_hard(X, y, sample_weight, *, classes, drop_zero):
    """:func:`~skfuzzy_ce.to_weighted_hard` on a dask array X: lazy dask arrays
    ``(X_rep, y_rep, w_rep, index)``, each chunk of X expanded on its own."""
    from operator import getitem

    import dask
    import dask.array as da

    if not is_dask_collection(X) or _is_frame(X):
        raise ValueError(
            "to_weighted_hard on dask input needs X as a dask array chunked along rows "
            "(for a dask DataFrame: X.to_dask_array(lengths=True))."
        )
    x_blocks, lengths = _row_chunks(X, "X")
    if lengths is None:
        raise ValueError(
            "X has unknown chunk sizes: call X.compute_chunk_sizes() (or "
            "to_dask_array(lengths=True)) before to_weighted_hard."
        )
    y_blocks = _align(y, X, lengths, "y")
    sw_blocks = _align(sample_weight, X, lengths, "sample_weight") or [None] * len(x_blocks)
    if len(y_blocks) != len(x_blocks) or len(sw_blocks) != len(x_blocks):
        raise ValueError("y and sample_weight must be chunked along rows as X.")
    y_ndim = y.ndim if hasattr(y, "ndim") else np.ndim(y)
    soft_1d = None
    if y_ndim == 1 or (y_ndim == 2 and y.shape[1] == 1):
        # The classes and the reading of 1-D floats are properties of the whole of y.
        summaries = dask.compute(*[dask.delayed(_y_summary)(b) for b in y_blocks])
        if any(f is not None for _, f in summaries):
            soft_1d = True
            classes = np.arange(2) if classes is None else classes
        elif classes is None and all(lab is not None for lab, _ in summaries):
            classes = np.unique(np.concatenate([lab for lab, _ in summaries]))
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int).tolist()
    meta_x = X._meta[:0]
    label_dtype = np.asarray(classes).dtype if classes is not None else np.dtype(np.int64)
    outs = ([], [], [], [])
    expand = dask.delayed(_expand_chunk, pure=True)
    for xb, yb, swb, off, m in zip(x_blocks, y_blocks, sw_blocks, offsets, lengths):
        part = expand(xb, yb, swb, off, classes, drop_zero, soft_1d)
        n_out = np.nan if drop_zero else m * (len(classes) if classes is not None else np.nan)
        specs = (
            ((n_out, X.shape[1]), X.dtype, meta_x),
            ((n_out,), label_dtype, np.empty(0, dtype=label_dtype)),
            ((n_out,), np.float64, np.empty(0)),
            ((n_out,), np.intp, np.empty(0, dtype=np.intp)),
        )
        for j, (shape, dtype, meta) in enumerate(specs):
            piece = dask.delayed(getitem, pure=True)(part, j)
            outs[j].append(da.from_delayed(piece, shape=shape, dtype=dtype, meta=meta))
    return tuple(da.concatenate(pieces, axis=0) for pieces in outs)
