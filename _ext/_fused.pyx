# One-pass blocked loss and gradient of a linear model under soft-label cross-entropy.
#
# For raw predictions Z = X @ W.T + b (W of shape (n_out, d)) these kernels compute, in one
# sweep over the rows of X,
#
#   loss = sum_i loss_i(Z_i)        grad_W = G.T @ X        grad_b = sum_i G_i
#
# with G_i = d loss_i / d Z_i (per-row functions of _loss_rows.pxd: sample and class weights
# folded in). Instead of two passes over X (X @ W.T, then G.T @ X) and (n, n_out) temporaries,
# the rows are cut into blocks small enough for the core's cache; for each block,
#
#   1. Z_blk = X_blk @ W.T + b       (BLAS gemm, into a per-thread (block, n_out) buffer)
#   2. loss and G_blk, row by row    (into a second per-thread (block, n_out) buffer)
#   3. acc  += G_blk.T @ X_blk       (BLAS gemm, X_blk still in cache)
#
# so X is read from memory once per evaluation.
#
# Determinism: the blocks are grouped into `n_chunks` contiguous chunks, a number the caller
# derives from the problem's shape only (never from the thread count). Each chunk is reduced
# by one thread, sequentially, into its own float64 accumulators (loss, intercept gradient,
# coefficient gradient); the chunks are then added in chunk order. Whichever thread runs a
# chunk, the same floating-point operations happen in the same order, so the result is
# bitwise identical for every thread count and between runs (given a deterministic BLAS:
# the caller limits BLAS to one thread inside these kernels).
#
# float32 X: the gemms run in float32 (sgemm) on one block at a time; each block's partial
# gradient is then added into the float64 chunk accumulator, so the sum over the rows is
# carried out in float64 beyond the block. Per-row arithmetic is float64 throughout.
#
# CSR X: the same structure with a block of one row: Z_i from the row's non-zeros (against
# W stored transposed, (d, n_out), for contiguous access), G_i, then acc[j, :] += x_ij G_i
# for the same non-zeros while they are in L1. The sparse accumulators are (d, n_out).

from cython.parallel cimport prange, threadid
from scipy.linalg.cython_blas cimport dgemm, sgemm

from _loss_rows cimport binary_row, exp_nonpos, floating, multinomial_row

ctypedef fused index_t:
    int
    long long


cdef inline void gemm(
    char *transa, char *transb, int m, int n, int k,
    const floating *a, int lda, const floating *b, int ldb,
    floating beta, floating *c, int ldc,
) noexcept nogil:
    """Column-major C = op(A) @ op(B) + beta * C (alpha = 1), in X's precision."""
    cdef floating alpha = 1.0
    if floating is double:
        dgemm(transa, transb, &m, &n, &k, &alpha, <double *> a, &lda, <double *> b, &ldb,
              &beta, c, &ldc)
    else:
        sgemm(transa, transb, &m, &n, &k, &alpha, <float *> a, &lda, <float *> b, &ldb,
              &beta, c, &ldc)


cdef inline double rows_loss_gradient(
    const floating *z, const floating *y, const double *sw, const double *cw,
    floating *g, double *gint, Py_ssize_t m, Py_ssize_t n_out, Py_ssize_t n_classes,
) noexcept nogil:
    """Loss of m rows; their gradient into g; the sum of the gradient rows added to gint."""
    cdef Py_ssize_t i, k
    cdef double loss = 0.0
    for i in range(m):
        if n_out == 1:  # two classes, a single logit
            loss += binary_row(z[i], y[2 * i], y[2 * i + 1], sw[i], cw[0], cw[1], &g[i])
        else:
            loss += multinomial_row(
                &z[i * n_out], &y[i * n_classes], sw[i], cw, &g[i * n_out], n_classes
            )
        for k in range(n_out):
            gint[k] += g[i * n_out + k]
    return loss


cdef double dense_chunk(
    const floating[:, ::1] X, const floating[:, ::1] Y, const double[::1] sw,
    const double[::1] cw, const floating[:, ::1] coef, const double[::1] intercept,
    floating *z, floating *g, floating *tmp, double *acc, double *gint,
    Py_ssize_t r_start, Py_ssize_t r_stop, Py_ssize_t block_rows,
) noexcept nogil:
    """Loss of rows [r_start, r_stop); their gradients added to acc (n_out, d) and gint."""
    cdef Py_ssize_t d = X.shape[1], n_out = coef.shape[0], n_classes = Y.shape[1]
    cdef Py_ssize_t r0, m, i, k, j
    cdef double loss = 0.0
    for j in range(n_out * d):
        acc[j] = 0.0
    for k in range(n_out):
        gint[k] = 0.0
    r0 = r_start
    while r0 < r_stop:
        m = min(block_rows, r_stop - r0)
        for i in range(m):
            for k in range(n_out):
                z[i * n_out + k] = <floating> intercept[k]
        # Row-major Z_blk (m, n_out) is column-major (n_out, m) = W (as (d, n_out))^T @ X_blk^T.
        gemm(b"T", b"N", <int> n_out, <int> m, <int> d, &coef[0, 0], <int> d,
             &X[r0, 0], <int> d, 1.0, z, <int> n_out)
        loss += rows_loss_gradient(
            z, &Y[r0, 0], &sw[r0], &cw[0], g, gint, m, n_out, n_classes
        )
        # Row-major acc (n_out, d) is column-major (d, n_out) = X_blk^T @ G_blk.
        if floating is double:
            gemm(b"N", b"T", <int> d, <int> n_out, <int> m, &X[r0, 0], <int> d,
                 g, <int> n_out, 1.0, acc, <int> d)
        else:
            gemm(b"N", b"T", <int> d, <int> n_out, <int> m, &X[r0, 0], <int> d,
                 g, <int> n_out, 0.0, tmp, <int> d)
            for j in range(n_out * d):
                acc[j] += tmp[j]
        r0 += m
    return loss


def dense_loss_gradient(
    const floating[:, ::1] X,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    const floating[:, ::1] coef,
    const double[::1] intercept,
    floating[:, :, ::1] z_buf,
    floating[:, :, ::1] g_buf,
    floating[:, ::1] tmp_buf,
    double[:, ::1] chunk_acc,
    double[:, ::1] chunk_gint,
    double[::1] chunk_loss,
    Py_ssize_t block_rows,
    int n_threads=1,
):
    """Fill the per-chunk accumulators for dense C-contiguous X.

    Shapes: X (n, d), Y (n, n_classes), coef (n_out, d), intercept (n_out,) (zeros when
    not fitted), z_buf and g_buf (n_threads, block_rows, n_out), tmp_buf (n_threads,
    n_out * d) (float32 only; any shape for float64), chunk_acc (n_chunks, n_out * d),
    chunk_gint (n_chunks, n_out), chunk_loss (n_chunks,).
    """
    cdef Py_ssize_t n = X.shape[0], n_chunks = chunk_loss.shape[0]
    cdef Py_ssize_t n_blocks = (n + block_rows - 1) // block_rows
    cdef Py_ssize_t c, t, b_start, b_stop
    cdef floating *tmp = NULL
    for c in prange(n_chunks, nogil=True, schedule="dynamic", num_threads=n_threads):
        t = threadid()
        b_start = c * n_blocks // n_chunks
        b_stop = (c + 1) * n_blocks // n_chunks
        if floating is float:
            tmp = &tmp_buf[t, 0]
        chunk_loss[c] = dense_chunk(
            X, Y, sample_weight, class_weight, coef, intercept,
            &z_buf[t, 0, 0], &g_buf[t, 0, 0], tmp, &chunk_acc[c, 0], &chunk_gint[c, 0],
            b_start * block_rows, min(b_stop * block_rows, n), block_rows,
        )


cdef double csr_chunk(
    const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
    const floating[:, ::1] Y, const double[::1] sw, const double[::1] cw,
    const double[:, ::1] coef_t, const double[::1] intercept,
    double *zd, floating *z, floating *g, double *acc, double *gint,
    Py_ssize_t r_start, Py_ssize_t r_stop,
) noexcept nogil:
    """CSR rows [r_start, r_stop): loss; gradients added to acc (d, n_out) and gint."""
    cdef Py_ssize_t n_out = coef_t.shape[1], d = coef_t.shape[0], n_classes = Y.shape[1]
    cdef Py_ssize_t i, p, j, k
    cdef double v, loss = 0.0
    for j in range(d * n_out):
        acc[j] = 0.0
    for k in range(n_out):
        gint[k] = 0.0
    for i in range(r_start, r_stop):
        # Z_i in float64 (rounded once to X's precision), against W^T rows: contiguous.
        for k in range(n_out):
            zd[k] = intercept[k]
        for p in range(indptr[i], indptr[i + 1]):
            v = data[p]
            j = indices[p]
            for k in range(n_out):
                zd[k] += v * coef_t[j, k]
        for k in range(n_out):
            z[k] = <floating> zd[k]
        loss += rows_loss_gradient(z, &Y[i, 0], &sw[i], &cw[0], g, gint, 1, n_out, n_classes)
        # The same non-zeros again, still in L1: acc[j, :] += x_ij * G_i.
        for p in range(indptr[i], indptr[i + 1]):
            v = data[p]
            j = indices[p]
            for k in range(n_out):
                acc[j * n_out + k] += v * g[k]
    return loss


def csr_loss_gradient(
    const floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    const double[:, ::1] coef_t,
    const double[::1] intercept,
    double[:, ::1] zd_buf,
    floating[:, :, ::1] z_buf,
    floating[:, :, ::1] g_buf,
    double[:, ::1] chunk_acc,
    double[:, ::1] chunk_gint,
    double[::1] chunk_loss,
    int n_threads=1,
):
    """Fill the per-chunk accumulators for CSR X (rows split evenly into the chunks).

    Shapes: coef_t (d, n_out) float64 (the coefficients transposed), zd_buf (n_threads,
    n_out), z_buf and g_buf (n_threads, >= 1, n_out), chunk_acc (n_chunks, d * n_out) laid
    out (d, n_out).
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, n_chunks = chunk_loss.shape[0]
    cdef Py_ssize_t c, t
    for c in prange(n_chunks, nogil=True, schedule="dynamic", num_threads=n_threads):
        t = threadid()
        chunk_loss[c] = csr_chunk(
            data, indices, indptr, Y, sample_weight, class_weight, coef_t, intercept,
            &zd_buf[t, 0], &z_buf[t, 0, 0], &g_buf[t, 0, 0], &chunk_acc[c, 0],
            &chunk_gint[c, 0], c * n // n_chunks, (c + 1) * n // n_chunks,
        )


def reduce_chunks(const double[:, ::1] parts, double[::1] out, int n_threads=1):
    """out[j] = sum over chunks c, in chunk order, of parts[c, j]: independent of threads."""
    cdef Py_ssize_t c, j, n_chunks = parts.shape[0], m = parts.shape[1]
    cdef double s
    for j in prange(m, nogil=True, schedule="static", num_threads=n_threads):
        s = 0.0
        for c in range(n_chunks):
            s = s + parts[c, j]
        out[j] = s


def _exp_nonpos(const double[::1] x, double[::1] out):
    """Test hook: the kernels' inline exp on an array (x <= 0)."""
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        out[i] = exp_nonpos(x[i])
