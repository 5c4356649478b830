"""The data term of every linear model of the package, evaluated in one blocked pass over X.

A linear model here has raw predictions ``Z = X @ W.T + b`` (``W`` of shape
``(n_outputs, n_features)``) and a per-row loss of ``Z``. :class:`FusedLinearObjective` holds
the rows in memory and computes the data term ``sum_i s_i loss_i(Z_i)`` (unscaled, no
penalty: :class:`~skfuzzy_ce._objective.PenalizedObjective` adds those) of a parameter
vector ``w = [W.ravel(), b]`` (the intercept last): its value and gradient, its Hessian, the
per-row curvature, and X by columns for coordinate descent. The raw predictions, the per-row
loss and gradient, and ``G.T @ X`` are computed block by block in the compiled kernels of
``_fused`` (see that file for the algorithm), in the CPU variant chosen at import
(``_cpu_dispatch``; an object keeps the variant it was made with): X is read once per
evaluation, and no
``(n_samples, n_outputs)`` array is made. Its result does not depend on the number of
threads: the work is split into chunks by the problem's shape alone and the chunks are added
in a fixed order.
"""

import os

import numpy as np
import scipy.sparse as sp

from . import _cpu_dispatch
from ._objective import RemembersLastEvaluation
from ._threads import blas_single_thread, effective_n_threads

__all__ = ["FusedLinearObjective", "block_rows_for_cache", "cache_size_bytes"]

_KINDS = {
    "softmax": _cpu_dispatch.active().fused.SOFTMAX,
    "sigmoids": _cpu_dispatch.active().fused.SIGMOIDS,
    "continuous_bernoulli": _cpu_dispatch.active().fused.CONTINUOUS_BERNOULLI,
}

_L2_FALLBACK = 256 * 1024
_MAX_CHUNKS = 64
# Chunk counts used: each shares out evenly among 2 and 4 threads (and from 6 on, 3 and 6),
# so that no thread is left with one chunk more than the others (5 chunks on 2 threads
# cost a fifth of the time on the sparse benchmark).
_CHUNK_COUNTS = (1, 2, 3, 4, 6, 12, 24, 48, 64)
_CHUNK_BUDGET = 4 * 1024 * 1024  # bytes of per-chunk gradient accumulators, at least 4 chunks
# CSR rows per block: each phase of a block (gathering W^T rows, scattering into the
# accumulator) then runs long enough to keep its own d * n_out working set in cache.
_CSR_BLOCK_ROWS = 1024
# Hessian: bytes of per-chunk float64 accumulators (as many chunks as fit, at least one), and
# of each thread's densified block of CSR rows.
_HESSIAN_BUDGET = 64 * 1024 * 1024
_HESSIAN_CSR_BLOCK_BYTES = 4 * 1024 * 1024
_HESSIAN_BLOCK_ROWS = 256
# Dense blocks (block_rows_for_cache): kept within [_MIN_BLOCK_ROWS, _MAX_BLOCK_ROWS] rows,
# and their gemms within OpenBLAS's small-matrix kernels (rows * d * K multiply-adds).
_MIN_BLOCK_ROWS = 128
_MAX_BLOCK_ROWS = 256
_GEMM_SMALL_MNK = 1_000_000


def cache_size_bytes(level=2):
    """Size of one core's cache at ``level`` (bytes), from sysconf or sysfs; 256 KiB if unknown."""
    name = {1: "SC_LEVEL1_DCACHE_SIZE", 2: "SC_LEVEL2_CACHE_SIZE", 3: "SC_LEVEL3_CACHE_SIZE"}
    try:
        size = os.sysconf(name[level])
        if size and size > 0:
            return int(size)
    except (ValueError, OSError, KeyError, AttributeError):
        pass
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in sorted(os.listdir(base)):
            path = os.path.join(base, entry)
            with open(os.path.join(path, "level")) as f:
                if int(f.read()) != level:
                    continue
            with open(os.path.join(path, "type")) as f:
                if f.read().strip() == "Instruction":
                    continue
            with open(os.path.join(path, "size")) as f:
                text = f.read().strip().upper()
            units = {"K": 1024, "M": 1024**2, "G": 1024**3}
            if text[-1] in units:
                return int(text[:-1]) * units[text[-1]]
            return int(text)
    except (OSError, ValueError, IndexError):
        pass
    return _L2_FALLBACK


def block_rows_for_cache(n_features, n_outputs, itemsize, cache_bytes=None):
    """Rows per block: a block of X and its two raw/gradient buffers take about an eighth
    of one core's L2 cache, then kept within [128, 256] rows as far as the gemms allow.

    The rest of L2 holds the coefficients, the gradient accumulator and BLAS's packed
    copies; the block must still be in cache when the second gemm reads it again. (An
    eighth measured as fast as or faster than a half on the benchmark problems: the
    ``G.T @ X`` gemm slows down once its packed operands no longer fit.)

    Measured on the benchmark machine (1 MiB L2, OpenBLAS SkylakeX kernels, n = 1e5, one
    thread), against the eighth of L2 alone:

    - at most 256 rows: at small d the row math's passes over the block's (K, rows)
      buffers then stay in L1 (d = 20, K = 3: 624 -> 256 rows, 2.6 -> 2.1 ms; K = 10:
      408 -> 256, 4.0 -> 3.7 ms);
    - rows * d * K <= _GEMM_SMALL_MNK, where it matters: OpenBLAS's small-matrix gemm
      kernels (no packing) take products up to 1e6 multiply-adds, and beyond the packing
      doubled the time (d = 500, K = 10: 39 ms at 192 rows, 78 at 256; d = 100, K = 100:
      58 at 96, 75 at 128);
    - at least 128 rows when that bound allows (large K: d = 20, K = 100, 72 -> 128 rows,
      27.2 -> 26.1 ms; d = 100, K = 100: 48 -> 96, 63 -> 58 ms): fewer, larger calls of the
      second gemm, whose inner dimension is the block's rows.

    Returns a multiple of 8 in [16, 4096].
    """
    if cache_bytes is None:
        cache_bytes = cache_size_bytes(2)
    per_row = itemsize * (n_features + 2 * n_outputs)
    rows = (cache_bytes // 8) // max(per_row, 1)
    gemm_rows = _GEMM_SMALL_MNK // max(n_features * n_outputs, 1)
    rows = max(rows, min(_MIN_BLOCK_ROWS, gemm_rows))
    rows = min(rows, _MAX_BLOCK_ROWS, gemm_rows)
    return int(min(4096, max(16, rows - rows % 8)))


def _n_chunks(n_units, acc_size, budget=_CHUNK_BUDGET, min_chunks=4):
    """Chunks of the row range, from the problem's shape only (never the thread count):
    per-chunk float64 accumulators of ``acc_size`` entries within ``budget`` bytes, but at
    least ``min_chunks`` chunks (when there are as many units)."""
    by_memory = budget // max(8 * acc_size, 1)
    cap = max(1, min(n_units, _MAX_CHUNKS, max(min_chunks, by_memory)))
    return int(max(c for c in _CHUNK_COUNTS if c <= cap))


class FusedLinearObjective(RemembersLastEvaluation):
    """The data term ``sum_i s_i loss_i(Z_i)`` of a linear model on rows held in memory.

    Parameters
    ----------
    X : {ndarray, CSR matrix} of shape (n_samples, n_features), float32 or float64
        C-contiguous when dense. Never copied nor modified.
    Y : ndarray of shape (n_samples, n_classes), same dtype as X, C-contiguous
        Targets: soft labels (rows are distributions) for ``"softmax"``; one probability
        per column for ``"sigmoids"``; one value in [0, 1] (``n_classes = 1``) for
        ``"continuous_bernoulli"``.
    sample_weight : ndarray of shape (n_samples,), float64
    class_weight : ndarray of shape (n_classes,), float64
        Weight of each class (``"softmax"``) or column (``"sigmoids"``); unused by
        ``"continuous_bernoulli"``.
    n_outputs : int
        ``"softmax"``: 1 (single logit, exactly two classes) or ``n_classes``. The other
        kinds: ``n_classes``.
    fit_intercept : bool
    n_threads : int or None
        OpenMP threads of the kernel; ``None``: as many as the work of one evaluation
        keeps busy, up to every available core (see ``effective_n_threads``).
    block_rows : int, default=None
        Rows per block (dense X); ``None`` derives it from the L2 cache size.
    weight_exp : int, default=0
        The sample weights were divided by ``2**weight_exp`` to keep their sum finite
        (:func:`~skfuzzy_ce._targets.scale_weights`): the data term is unchanged up to that
        factor once divided by its normalizer, but the penalty's strength, ``1 / (C S)``,
        must use the true total ``S * 2**weight_exp`` (read by
        :func:`~skfuzzy_ce._objective.make_objective`).
    kind : {"softmax", "sigmoids", "continuous_bernoulli"}, default="softmax"
        The per-row loss: soft-label cross-entropy of a softmax (or of a single logit);
        binary cross-entropy of one independent sigmoid per column, entry ``(i, k)``
        weighted ``sample_weight[i] * class_weight[k]``; or the continuous Bernoulli
        negative log-likelihood of a single logit.
    """

    def __init__(
        self,
        X,
        Y,
        sample_weight,
        class_weight,
        *,
        n_outputs,
        fit_intercept,
        n_threads=1,
        block_rows=None,
        kind="softmax",
        weight_exp=0,
    ):
        n_samples, n_features = X.shape
        n_classes = Y.shape[1]
        if kind not in _KINDS:
            raise ValueError(f"kind={kind!r}: expected one of {sorted(_KINDS)}.")
        if kind == "softmax":
            if n_outputs not in (1, n_classes) or (n_outputs == 1 and n_classes != 2):
                raise ValueError(
                    f"n_outputs={n_outputs} does not fit {n_classes} classes: use 1 for "
                    f"exactly two classes (single logit) or {n_classes}."
                )
        elif n_outputs != n_classes or (kind == "continuous_bernoulli" and n_classes != 1):
            raise ValueError(
                f"kind={kind!r} with n_outputs={n_outputs} and {n_classes} target columns: "
                "one output per target column (a single one for the continuous Bernoulli)."
            )
        self.kind = kind
        self._kind = _KINDS[kind]
        self.X = X
        self.Y = Y
        self.sample_weight = sample_weight
        self.class_weight = class_weight
        self.n_outputs = n_outputs
        self.fit_intercept = fit_intercept
        self.weight_exp = int(weight_exp)
        # Work of one evaluation, in multiply-adds: the two products with X, plus a few
        # transcendental functions per entry of Z (about 32 multiply-adds) for the kinds whose
        # row math is per entry rather than per row.
        work = (X.nnz if sp.issparse(X) else X.size) * n_outputs
        if kind != "softmax":
            work += 32 * n_samples * n_outputs
        self.n_threads = effective_n_threads(n_threads, work=work)
        self.n_samples = n_samples
        self.n_features = n_features
        self.n_coef = n_outputs * n_features
        self.n_params = self.n_coef + (n_outputs if fit_intercept else 0)
        self._sparse = sp.issparse(X)
        dtype = X.dtype
        T = self.n_threads
        # The compiled kernels (one CPU variant: _fused, _hessian, _cd), fixed for this object.
        self._kernels = _cpu_dispatch.active()

        # Every buffer is allocated here, once per fit.
        self._intercept = np.zeros(n_outputs, dtype=np.float64)
        if self._sparse:
            if block_rows is None:
                block_rows = _CSR_BLOCK_ROWS
            self.block_rows = int(max(1, min(block_rows, n_samples)))
            n_units = n_samples
            self._coef = np.empty((n_features, n_outputs), dtype=dtype)  # W transposed
            self._gi = np.empty((T, n_outputs), dtype=np.float64)
        else:
            if block_rows is None:
                block_rows = block_rows_for_cache(n_features, n_outputs, dtype.itemsize)
            self.block_rows = int(max(1, min(block_rows, n_samples)))
            n_units = -(-n_samples // self.block_rows)
            self._coef = np.empty((n_features, n_outputs), dtype=dtype)  # W transposed
            tmp_shape = (T, self.n_coef) if dtype == np.float32 else (T, 1)
            self._tmp = np.empty(tmp_shape, dtype=dtype)
        self._work = np.empty(
            (T, max(6 * self.block_rows, 2 * n_outputs)), dtype=np.float64
        )
        # Per-row sums of the weighted targets, s_i sum_k cw_k y_ik (a softmax over several
        # outputs only): data only, once per fit.
        self._tsum = np.zeros(
            n_samples if n_outputs > 1 and kind == "softmax" else 1, dtype=np.float64
        )
        if n_outputs > 1 and kind == "softmax":
            self._kernels.fused.row_target_sums(Y, sample_weight, class_weight, self._tsum, T)
        self._z = np.empty((T, self.block_rows, n_outputs), dtype=dtype)
        self._g = np.empty((T, self.block_rows, n_outputs), dtype=dtype)
        self.n_chunks = _n_chunks(n_units, self.n_coef)
        self._chunk_acc = np.empty((self.n_chunks, self.n_coef), dtype=np.float64)
        self._chunk_gint = np.empty((self.n_chunks, n_outputs), dtype=np.float64)
        self._chunk_loss = np.empty(self.n_chunks, dtype=np.float64)
        self._acc = np.empty(self.n_coef, dtype=np.float64)
        self._gint = np.empty(n_outputs, dtype=np.float64)
        self._columns = None  # X by columns (coordinate descent): made by columns()
        self._hess = None  # the Hessian's buffers: made by the first hessian() call

    def split(self, w):
        """Views of ``w`` as (coef of shape (n_outputs, n_features), intercept or None)."""
        coef = w[: self.n_coef].reshape(self.n_outputs, self.n_features)
        intercept = w[self.n_coef :] if self.fit_intercept else None
        return coef, intercept

    def _set_coefficients(self, w):
        """Copy ``w`` into the kernels' coefficient inputs (W transposed, intercept)."""
        coef, intercept = self.split(w)
        self._coef[...] = coef.T
        if intercept is not None:
            self._intercept[...] = intercept

    def _hessian_buffers(self):
        """The Hessian kernel's buffers, made on the first :meth:`hessian` call (a fit that
        never asks for the Hessian never pays for them)."""
        if self._hess is not None:
            return self._hess
        n, d, K, T = self.X.shape[0], self.n_features, self.n_outputs, self.n_threads
        dtype = self.X.dtype
        p = d + (1 if self.fit_intercept else 0)
        full = self.kind == "softmax" and K > 1
        pairs = [(k, l) for k in range(K) for l in (range(k, K) if full else [k])]
        m = _HESSIAN_BLOCK_ROWS
        if self._sparse:  # the densified block stays modest whatever d
            m = min(m, _HESSIAN_CSR_BLOCK_BYTES // (max(d, 1) * dtype.itemsize))
        m = int(max(1, min(m, n)))
        n_acc = len(pairs) * p * p
        n_chunks = _n_chunks(-(-n // m), n_acc, budget=_HESSIAN_BUDGET, min_chunks=1)
        # Augmented index k * p + j of each parameter, in the order [W.ravel(), b].
        order = [k * p + np.arange(d) for k in range(K)]
        if self.fit_intercept:
            order.append(np.arange(K) * p + d)
        self._hess = {
            "p": p,
            "pairs": pairs,
            "block_rows": m,
            "order": np.concatenate(order),
            "z": np.empty((T, m * K), dtype=dtype),
            "work": np.empty((T, 3 * K * m + K + m), dtype=np.float64),
            "scaled": np.empty((T, m * p), dtype=dtype),
            "tmp": np.empty((T, p * p) if dtype == np.float32 else (1, 1), dtype=np.float32),
            "dense": np.empty((T, m * d) if self._sparse else (1, 1), dtype=dtype),
            "chunk_acc": np.empty((n_chunks, n_acc), dtype=np.float64),
            "acc": np.empty(n_acc, dtype=np.float64),
        }
        return self._hess

    def hessian(self, w):
        """Hessian of the data term ``sum_i loss_i`` at ``w`` (not divided by ``sw_sum``,
        no penalty).

        Parameters
        ----------
        w : ndarray of shape (n_params,), float64
            ``[W.ravel(), b]``.

        Returns
        -------
        H : ndarray of shape (n_params, n_params), float64
            Symmetric, rows and columns in the order of ``w``. Computed in one pass over X
            (see ``_hessian.pyx``); bitwise the same for every ``n_threads``.
        """
        h = self._hessian_buffers()
        self._set_coefficients(w)
        X, p = self.X, h["p"]
        with blas_single_thread():  # BLAS inside the OpenMP threads: see _run_kernel
            if self._sparse:
                self._kernels.hessian.csr_hessian(
                    X.data, X.indices, X.indptr, self.Y, self.sample_weight,
                    self.class_weight, self._tsum, self._coef, self._intercept, h["dense"],
                    h["z"], h["work"], h["scaled"], h["tmp"], h["chunk_acc"],
                    h["block_rows"], self.fit_intercept, self.n_threads, self._kind,
                )  # fmt: skip
            else:
                self._kernels.hessian.dense_hessian(
                    X, self.Y, self.sample_weight, self.class_weight, self._tsum, self._coef,
                    self._intercept, h["z"], h["work"], h["scaled"], h["tmp"],
                    h["chunk_acc"], h["block_rows"], self.fit_intercept, self.n_threads,
                    self._kind,
                )  # fmt: skip
        self._kernels.fused.reduce_chunks(h["chunk_acc"], h["acc"], self.n_threads)
        # Each block is stored column-major with its upper triangle filled: read row-major,
        # its lower triangle.
        blocks = h["acc"].reshape(len(h["pairs"]), p, p)
        K = self.n_outputs
        H_aug = np.zeros((K * p, K * p))
        for block, (k, l) in zip(blocks, h["pairs"]):
            full = np.tril(block)
            full += np.tril(block, -1).T
            H_aug[k * p : (k + 1) * p, l * p : (l + 1) * p] = full
            if l != k:
                H_aug[l * p : (l + 1) * p, k * p : (k + 1) * p] = full
        order = h["order"]
        return H_aug[np.ix_(order, order)]

    def row_curvature(self, w):
        """Per-row Hessians of the loss with respect to the raw predictions at ``w``:
        ``diag(A_i) - Cc_i Cc_i^T`` (sample and class weights included).

        Returns
        -------
        A : ndarray of shape (n_outputs, n_samples), float64
        Cc : ndarray of shape (n_outputs, n_samples), float64, or None
            None for the kinds whose per-row Hessian is diagonal (a single logit, sigmoids,
            the continuous Bernoulli); ``sqrt(T_i) * softmax(Z_i)`` for a softmax over
            several outputs (``A_i = T_i * softmax(Z_i)``).
        """
        self._set_coefficients(w)
        n, K, T, X = self.X.shape[0], self.n_outputs, self.n_threads, self.X
        m = self.block_rows
        A = np.empty((K, n))
        Cc = np.empty((K, n)) if self.kind == "softmax" and K > 1 else None
        z = np.empty((T, m * K), dtype=X.dtype)
        zrow = np.empty((T, K))
        with blas_single_thread():
            if self._sparse:
                self._kernels.hessian.csr_row_curvature(
                    X.data, X.indices, X.indptr, self.Y, self.sample_weight,
                    self.class_weight, self._tsum, self._coef, self._intercept, z, zrow, A, Cc,
                    m, T, self._kind,
                )  # fmt: skip
            else:
                self._kernels.hessian.dense_row_curvature(
                    X, self.Y, self.sample_weight, self.class_weight, self._tsum, self._coef,
                    self._intercept, z, zrow, A, Cc, m, T, self._kind,
                )  # fmt: skip
        return A, Cc

    def _run_kernel(self):
        """Fill the chunk accumulators, then reduce them in chunk order."""
        X = self.X
        # One gemm per block inside the OpenMP threads: BLAS's own threads would oversubscribe the
        # cores and make the sums depend on its splitting (a no-op inside a fit, which already
        # holds BLAS to one thread).
        with blas_single_thread():
            if self._sparse:
                self._kernels.fused.csr_loss_gradient(
                    X.data, X.indices, X.indptr, self.Y, self.sample_weight,
                    self.class_weight, self._tsum, self._coef, self._intercept, self._gi,
                    self._z, self._g, self._work, self._chunk_acc,
                    self._chunk_gint, self._chunk_loss, self.block_rows, self.n_threads,
                    self._kind,
                )  # fmt: skip
            else:
                self._kernels.fused.dense_loss_gradient(
                    X, self.Y, self.sample_weight, self.class_weight, self._tsum, self._coef,
                    self._intercept, self._z, self._g, self._work, self._tmp,
                    self._chunk_acc, self._chunk_gint, self._chunk_loss, self.block_rows,
                    self.n_threads, self._kind,
                )  # fmt: skip
        self._kernels.fused.reduce_chunks(self._chunk_acc, self._acc, self.n_threads)
        self._kernels.fused.reduce_chunks(self._chunk_gint, self._gint, 1)
        loss = 0.0
        for value in self._chunk_loss:  # in chunk order
            loss += float(value)
        return loss

    def _loss_gradient(self, w):
        self._set_coefficients(w)
        loss = self._run_kernel()
        grad = np.empty(self.n_params, dtype=np.float64)
        acc = self._acc.reshape(
            (self.n_features, self.n_outputs) if self._sparse else (self.n_outputs, self.n_features)
        )
        grad[: self.n_coef].reshape(self.n_outputs, self.n_features)[...] = (
            acc.T if self._sparse else acc
        )
        if self.fit_intercept:
            grad[self.n_coef :] = self._gint
        return loss, grad

    def columns(self):
        """X by columns, for coordinate descent (:func:`skfuzzy_ce._cd.cd_quadratic`).

        Returns ``(columns, offsets)``. Dense X with an intercept: a Fortran-ordered copy
        of ``X - offsets``, ``offsets`` the sample-weighted column means. Coordinate descent
        converges slowly along a feature that is nearly collinear with the intercept (a
        large mean beside a small spread); centered columns decouple the two, as glmnet
        centers. Otherwise ``offsets`` is None and the columns are X's own: a
        Fortran-ordered copy of dense X, or ``(data, indices, indptr)`` of sparse X's CSC
        form (centering would make it dense). Made on the first call (a copy of X, in X's
        precision), then kept.
        """
        if self._columns is None:
            if self._sparse:
                csc = self.X.tocsc()
                csc.sort_indices()
                self._columns = ((csc.data, csc.indices, csc.indptr), None)
            elif self.fit_intercept:
                offsets = np.average(self.X, axis=0, weights=self.sample_weight)
                cols = np.array(self.X, order="F", copy=True)  # never X itself: centered here
                cols -= offsets.astype(cols.dtype)
                self._columns = (cols, offsets)
            else:
                self._columns = (np.asfortranarray(self.X), None)
        return self._columns
