# The Hessian of a linear model's data term sum_i loss_i(Z_i), Z_i = x_i W^T + b, in one
# blocked pass over X, and the per-row curvatures it is made of.
#
# With the augmented rows x~_i = [x_i, 1] (without the 1 when no intercept is fitted) and the
# per-row Hessian H_i = diag(A_i) - Cc_i Cc_i^T of the loss with respect to Z_i
# (_loss_rows.pxd), the Hessian with respect to [W_k, b_k]_k is made of the blocks
#
#   H_(k, l) = sum_i w_ikl x~_i x~_i^T,      w_ikl = A_ik delta_kl - Cc_ik Cc_il,
#
# each symmetric, of size p = d (+ 1). For each block of rows of X (cut into chunks as in
# _fused.pyx), in one sweep:
#
#   1. Z_blk = X_blk @ W.T               (BLAS gemm, "N", "N" as in _fused)
#   2. the row weights                   (class-major, (n_out, block), in double)
#   3. for each pair k <= l: the block's rows scaled by sqrt(|w_ikl|), then one BLAS syrk
#      of them, with alpha the sign of w_kl, into the chunk's accumulator of block (k, l).
#
# A softmax over K > 1 outputs has w_ikk = T_i p_ik (1 - p_ik) >= 0 and w_ikl = -T_i p_ik p_il
# <= 0 (k != l): each block's weights keep one sign, so every syrk adds terms of one sign (no
# cancellation within a block of H), and w_ikk is computed from 1 - p_ik as the sum of the
# other probabilities (accurate for confident rows). This layout (K (K + 1) / 2 syrks of
# width p per block of rows) was measured against one syrk of width K p of
# [Cc_1 x~, ..., Cc_K x~], subtracted, plus K syrks of sqrt(A_k) x~, which does twice the
# flops (BLAS computes the off-diagonal blocks of a syrk in full) and subtracts nearly equal
# Grams: at n = 1e5, d = 50, K = 5 it took 20 to 40 % less time in float64, as much in
# float32. Rows per block: 64 to 1024 measured within noise of each other (256 is used).
# The diagonal kinds (a single logit, sigmoids, continuous Bernoulli) only have the K blocks
# (k, k), w_ikk = A_ik >= 0.
#
# Weights: sqrt of w assumes non-negative sample weights, class weights and targets (the
# estimators validate them); a negative weight gives NaN, not a silently wrong Hessian.
#
# Determinism: the chunk count comes from the problem's shape only; each chunk is reduced by
# one thread, block after block, into its own float64 accumulators, which the caller adds
# in chunk order (_fused.reduce_chunks). BLAS is held to one thread by the caller.
#
# float32 X: the gemm and the syrks run in float32 (sgemm, ssyrk on the scaled block, into
# a per-thread float32 buffer), each block's Gram then added into the float64 accumulator;
# the weights are computed in double and rounded once, to float, as scales of the rows.
#
# CSR X: each block of rows is densified into a per-thread (block, d) buffer and takes the
# dense path (the syrk needs the dense rows anyway).

from cython.parallel cimport prange, threadid

from libc.math cimport sqrt

from _kernel_utils cimport csr_logits, gemm, index_t, syrk
from _loss_rows cimport (
    KIND_CB, KIND_SIGMOIDS, KIND_SOFTMAX, binary_curvature, cb_variance, floating,
    logistic_variance, softmax_curvature, softmax_probabilities,
)


cdef inline void block_curvature(
    const floating *z, const double *b, const floating *y, const double *sw, const double *cw,
    const double *ts, double *A, double *Cc, double *zrow, Py_ssize_t m, Py_ssize_t ld,
    Py_ssize_t n_out, int kind,
) noexcept nogil:
    """A (and, for a softmax over several outputs, Cc) of m rows, class-major: entry (k, i)
    at k * ld + i.

    z (m, n_out), row-major: the raw predictions without the intercept b (NULL: in z
    already; added in X's precision, as the gradient kernels add it). y, sw, ts: the rows'
    targets, sample weights and (softmax over several outputs) target sums T_i. zrow:
    n_out doubles.
    """
    cdef Py_ssize_t i, k
    cdef floating zk
    for i in range(m):
        for k in range(n_out):
            zk = z[i * n_out + k]
            if b != NULL:
                zk = zk + <floating> b[k]
            zrow[k] = zk
        if kind == KIND_SIGMOIDS:
            for k in range(n_out):
                A[k * ld + i] = sw[i] * cw[k] * logistic_variance(zrow[k])
        elif kind == KIND_CB:
            A[i] = sw[i] * cb_variance(zrow[0])
        elif n_out == 1:  # a softmax of two classes: a single logit
            A[i] = binary_curvature(zrow[0], y[2 * i], y[2 * i + 1], sw[i], cw[0], cw[1])
        else:
            softmax_curvature(zrow, n_out, ts[i], &A[i], &Cc[i], ld)


cdef inline void block_scales(
    const floating *z, const double *b, const floating *y, const double *sw, const double *cw,
    const double *ts, double *work, Py_ssize_t m, Py_ssize_t n_out, int kind,
) noexcept nogil:
    """Square roots of the row weights of the Hessian blocks, class-major (n_out, m) each.

    Softmax over several outputs: R = sqrt(T p) at work[0], SP = sqrt(p) at work[K m],
    SQ = sqrt(1 - p) at work[2 K m], so that block (k, k) scales row i by R_ik SQ_ik and
    block (k, l), k < l, by R_ik SP_il. The diagonal kinds: R = sqrt(A). work: 3 K m + K
    doubles (the last K: a row's logits).
    """
    cdef Py_ssize_t i, k, K = n_out, n = n_out * m
    cdef double *R = work
    cdef double *SP = &work[n]
    cdef double *SQ = &work[2 * n]
    cdef double *zrow = &work[3 * n]
    cdef double rt
    cdef floating zk
    if kind != KIND_SOFTMAX or K == 1:
        block_curvature(z, b, y, sw, cw, ts, R, NULL, zrow, m, m, K, kind)
        for i in range(n):
            R[i] = sqrt(R[i])
        return
    for i in range(m):
        for k in range(K):
            zk = z[i * K + k]
            if b != NULL:
                zk = zk + <floating> b[k]
            zrow[k] = zk
        softmax_probabilities(zrow, K, &SP[i], &SQ[i], m)
        rt = sqrt(ts[i])
        for k in range(K):
            SP[k * m + i] = sqrt(SP[k * m + i])
            SQ[k * m + i] = sqrt(SQ[k * m + i])
            R[k * m + i] = rt * SP[k * m + i]


cdef inline void scale_rows(
    const floating *xb, const double *sc, floating *S, Py_ssize_t m, Py_ssize_t d,
    Py_ssize_t lds, bint ones,
) noexcept nogil:
    """S[i, :] = sc[i] * [x_i, 1] (without the 1 unless ones), row-major with row stride
    lds; the scale rounded to X's precision once, the products in X's precision."""
    cdef Py_ssize_t i, j
    cdef floating f
    cdef floating *s
    cdef const floating *x
    for i in range(m):
        f = <floating> sc[i]
        s = &S[i * lds]
        x = &xb[i * d]
        for j in range(d):
            s[j] = f * x[j]
        if ones:
            s[d] = f


cdef inline void add_upper(
    const float *tmp, double *acc, Py_ssize_t n, Py_ssize_t ld
) noexcept nogil:
    """acc += tmp on the upper triangle of a column-major (n, n) matrix (leading dim ld)."""
    cdef Py_ssize_t r, c
    for c in range(n):
        for r in range(c + 1):
            acc[c * ld + r] += tmp[c * ld + r]


cdef void hessian_block(
    const floating *xb, Py_ssize_t m, Py_ssize_t d, const floating *coef_t,
    const double *intercept, const floating *y, const double *sw, const double *cw,
    const double *ts, Py_ssize_t n_out, bint fit_intercept, int kind, floating *z,
    double *work, floating *S, float *tmp, double *acc,
) noexcept nogil:
    """Add the Hessian blocks of m dense rows xb (m, d), row-major, to acc.

    acc: the pairs k <= l in order ((0, 0), (0, 1), ..., (1, 1), ...; the diagonal kinds:
    (k, k) only), each a column-major (p, p) upper triangle, p = d + fit_intercept.
    z: m * n_out; work: 3 * n_out * m + n_out + m doubles; S: m * p; tmp (float32 X): p * p.
    """
    cdef Py_ssize_t p = d + (1 if fit_intercept else 0), nm = n_out * m
    cdef Py_ssize_t i, k, l, q = 0
    cdef bint full = kind == KIND_SOFTMAX and n_out > 1
    cdef double *R = work
    cdef double *SP = &work[nm]
    cdef double *SQ = &work[2 * nm]
    cdef double *sc = &work[3 * nm + n_out]
    cdef floating alpha
    cdef double *c
    gemm(b"N", b"N", <int> n_out, <int> m, <int> d, coef_t, <int> n_out, xb, <int> d, 0.0,
         z, <int> n_out)
    block_scales(z, intercept, y, sw, cw, ts, work, m, n_out, kind)
    for k in range(n_out):
        for l in range(k, n_out if full else k + 1):
            if not full:
                for i in range(m):
                    sc[i] = R[k * m + i]
                alpha = 1.0
            elif l == k:
                for i in range(m):
                    sc[i] = R[k * m + i] * SQ[k * m + i]
                alpha = 1.0
            else:
                for i in range(m):
                    sc[i] = R[k * m + i] * SP[l * m + i]
                alpha = -1.0
            scale_rows(xb, sc, S, m, d, p, fit_intercept)
            c = &acc[q * p * p]
            if floating is double:
                syrk(<int> p, <int> m, alpha, S, <int> p, 1.0, c, <int> p)
            else:
                syrk(<int> p, <int> m, alpha, S, <int> p, 0.0, tmp, <int> p)
                add_upper(tmp, c, p, p)
            q += 1


def dense_hessian(
    const floating[:, ::1] X,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    const double[::1] target_sums,
    const floating[:, ::1] coef_t,
    const double[::1] intercept,
    floating[:, ::1] z_buf,
    double[:, ::1] work_buf,
    floating[:, ::1] scaled_buf,
    float[:, ::1] tmp_buf,
    double[:, ::1] chunk_acc,
    Py_ssize_t block_rows,
    bint fit_intercept,
    int n_threads=1,
    int kind=KIND_SOFTMAX,
):
    """Fill the per-chunk Hessian accumulators for dense C-contiguous X, loss ``kind``.

    Shapes: X (n, d), Y (n, n_classes), target_sums (n,) (softmax over several outputs;
    any length >= 1 otherwise), coef_t (d, n_out), intercept (n_out,) (zeros when not
    fitted), z_buf (n_threads, block_rows * n_out), work_buf (n_threads,
    3 * n_out * block_rows + n_out + block_rows), scaled_buf (n_threads, block_rows * p),
    tmp_buf (n_threads, p * p) (float32 X; any shape for float64), chunk_acc (n_chunks,
    n_pairs * p * p), p = d + fit_intercept, n_pairs = n_out (n_out + 1) / 2 for a softmax
    over several outputs, n_out otherwise (see hessian_block for the layout).
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], n_out = coef_t.shape[1]
    cdef Py_ssize_t n_chunks = chunk_acc.shape[0], n_acc = chunk_acc.shape[1]
    cdef Py_ssize_t n_blocks = (n + block_rows - 1) // block_rows
    cdef Py_ssize_t c, t, j, r0, r_stop, m
    cdef float *tmp = NULL
    for c in prange(n_chunks, nogil=True, schedule="dynamic", num_threads=n_threads):
        t = threadid()
        if floating is float:
            tmp = &tmp_buf[t, 0]
        for j in range(n_acc):
            chunk_acc[c, j] = 0.0
        r0 = (c * n_blocks // n_chunks) * block_rows
        r_stop = min(((c + 1) * n_blocks // n_chunks) * block_rows, n)
        while r0 < r_stop:
            m = min(block_rows, r_stop - r0)
            hessian_block(
                &X[r0, 0], m, d, &coef_t[0, 0], &intercept[0], &Y[r0, 0], &sample_weight[r0],
                &class_weight[0], &target_sums[r0 if target_sums.shape[0] > 1 else 0], n_out,
                fit_intercept, kind, &z_buf[t, 0], &work_buf[t, 0], &scaled_buf[t, 0], tmp,
                &chunk_acc[c, 0],
            )
            r0 = r0 + m


cdef inline void densify_rows(
    const floating *data, const index_t *indices, const index_t *indptr, floating *out,
    Py_ssize_t i0, Py_ssize_t m, Py_ssize_t d,
) noexcept nogil:
    """out (m, d), row-major: the CSR rows [i0, i0 + m) (duplicate entries summed)."""
    cdef Py_ssize_t ii, p, j
    for j in range(m * d):
        out[j] = 0
    for ii in range(m):
        for p in range(indptr[i0 + ii], indptr[i0 + ii + 1]):
            out[ii * d + indices[p]] += data[p]


def csr_hessian(
    const floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    const double[::1] target_sums,
    const floating[:, ::1] coef_t,
    const double[::1] intercept,
    floating[:, ::1] dense_buf,
    floating[:, ::1] z_buf,
    double[:, ::1] work_buf,
    floating[:, ::1] scaled_buf,
    float[:, ::1] tmp_buf,
    double[:, ::1] chunk_acc,
    Py_ssize_t block_rows,
    bint fit_intercept,
    int n_threads=1,
    int kind=KIND_SOFTMAX,
):
    """Fill the per-chunk Hessian accumulators for CSR X, loss ``kind``: as dense_hessian,
    each block of rows densified into dense_buf (n_threads, block_rows * d) first."""
    cdef Py_ssize_t n = indptr.shape[0] - 1, d = coef_t.shape[0], n_out = coef_t.shape[1]
    cdef Py_ssize_t n_chunks = chunk_acc.shape[0], n_acc = chunk_acc.shape[1]
    cdef Py_ssize_t n_blocks = (n + block_rows - 1) // block_rows
    cdef Py_ssize_t c, t, j, r0, r_stop, m
    cdef float *tmp = NULL
    for c in prange(n_chunks, nogil=True, schedule="dynamic", num_threads=n_threads):
        t = threadid()
        if floating is float:
            tmp = &tmp_buf[t, 0]
        for j in range(n_acc):
            chunk_acc[c, j] = 0.0
        r0 = (c * n_blocks // n_chunks) * block_rows
        r_stop = min(((c + 1) * n_blocks // n_chunks) * block_rows, n)
        while r0 < r_stop:
            m = min(block_rows, r_stop - r0)
            densify_rows(&data[0], &indices[0], &indptr[0], &dense_buf[t, 0], r0, m, d)
            hessian_block(
                &dense_buf[t, 0], m, d, &coef_t[0, 0], &intercept[0], &Y[r0, 0],
                &sample_weight[r0], &class_weight[0],
                &target_sums[r0 if target_sums.shape[0] > 1 else 0], n_out, fit_intercept,
                kind, &z_buf[t, 0], &work_buf[t, 0], &scaled_buf[t, 0], tmp, &chunk_acc[c, 0],
            )
            r0 = r0 + m


def dense_row_curvature(
    const floating[:, ::1] X,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    const double[::1] target_sums,
    const floating[:, ::1] coef_t,
    const double[::1] intercept,
    floating[:, ::1] z_buf,
    double[:, ::1] zrow_buf,
    double[:, ::1] A,
    double[:, ::1] Cc,
    Py_ssize_t block_rows,
    int n_threads=1,
    int kind=KIND_SOFTMAX,
):
    """A (n_out, n) and, for a softmax over several outputs, Cc (n_out, n) (None
    otherwise) at the coefficients coef_t (d, n_out) and intercept, for dense X.

    Elementwise in the rows: any split of them gives the same result. z_buf (n_threads,
    block_rows * n_out), zrow_buf (n_threads, n_out).
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], n_out = coef_t.shape[1]
    cdef Py_ssize_t n_blocks = (n + block_rows - 1) // block_rows
    cdef Py_ssize_t blk, t, r0, m
    cdef double *cc = &Cc[0, 0] if Cc is not None else NULL
    for blk in prange(n_blocks, nogil=True, schedule="static", num_threads=n_threads):
        t = threadid()
        r0 = blk * block_rows
        m = min(block_rows, n - r0)
        gemm(b"N", b"N", <int> n_out, <int> m, <int> d, &coef_t[0, 0], <int> n_out,
             &X[r0, 0], <int> d, 0.0, &z_buf[t, 0], <int> n_out)
        block_curvature(
            &z_buf[t, 0], &intercept[0], &Y[r0, 0], &sample_weight[r0], &class_weight[0],
            &target_sums[r0 if target_sums.shape[0] > 1 else 0], &A[0, r0],
            &cc[r0] if cc != NULL else NULL, &zrow_buf[t, 0], m, n, n_out, kind,
        )


def csr_row_curvature(
    const floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    const double[::1] target_sums,
    const floating[:, ::1] coef_t,
    const double[::1] intercept,
    floating[:, ::1] z_buf,
    double[:, ::1] zrow_buf,
    double[:, ::1] A,
    double[:, ::1] Cc,
    Py_ssize_t block_rows,
    int n_threads=1,
    int kind=KIND_SOFTMAX,
):
    """As dense_row_curvature for CSR X, the raw predictions from each row's non-zeros
    (_kernel_utils.csr_logits, as the CSR gradient kernel computes them)."""
    cdef Py_ssize_t n = indptr.shape[0] - 1, n_out = coef_t.shape[1]
    cdef Py_ssize_t n_blocks = (n + block_rows - 1) // block_rows
    cdef Py_ssize_t blk, t, r0, m
    cdef double *cc = &Cc[0, 0] if Cc is not None else NULL
    for blk in prange(n_blocks, nogil=True, schedule="static", num_threads=n_threads):
        t = threadid()
        r0 = blk * block_rows
        m = min(block_rows, n - r0)
        csr_logits(&data[0], &indices[0], &indptr[0], &coef_t[0, 0], &intercept[0],
                   &z_buf[t, 0], r0, m, n_out)
        block_curvature(
            &z_buf[t, 0], NULL, &Y[r0, 0], &sample_weight[r0], &class_weight[0],
            &target_sums[r0 if target_sums.shape[0] > 1 else 0], &A[0, r0],
            &cc[r0] if cc != NULL else NULL, &zrow_buf[t, 0], m, n, n_out, kind,
        )


def _cb_variance(const double[::1] eta, double[::1] out):
    """Test hook: the kernels' continuous Bernoulli variance (cb_variance) on an array."""
    cdef Py_ssize_t i
    for i in range(eta.shape[0]):
        out[i] = cb_variance(eta[i])
