# Helpers shared by the blocked kernels (_fused, _hessian): BLAS in X's precision, the index
# type of CSR X, and the raw predictions of a block of CSR rows. Everything here is inline
# (cimported, nothing imported at run time).

from scipy.linalg.cython_blas cimport dgemm, dsyrk, sgemm, ssyrk

from _loss_rows cimport floating

ctypedef fused index_t:
    int
    long long

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define SKFCE_PREFETCH_READ(p) __builtin_prefetch((p), 0, 3)
    #define SKFCE_PREFETCH_WRITE(p) __builtin_prefetch((p), 1, 3)
    #else
    #define SKFCE_PREFETCH_READ(p) ((void) 0)
    #define SKFCE_PREFETCH_WRITE(p) ((void) 0)
    #endif
    """
    void prefetch_read "SKFCE_PREFETCH_READ"(const void *p) noexcept nogil
    void prefetch_write "SKFCE_PREFETCH_WRITE"(const void *p) noexcept nogil

# CSR sweeps: how many non-zeros ahead the row of W^T (or of the accumulator) that a
# non-zero will touch is prefetched. Those rows are scattered over a d x K array (800 kB at
# d = 1e4, K = 10) that the core's L2 does not hold together with the other one, so each
# would otherwise be a wait on L3.
cdef enum:
    CSR_PREFETCH_NNZ = 16


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


cdef inline void syrk(
    int n, int k, floating alpha, const floating *a, int lda, floating beta, floating *c,
    int ldc,
) noexcept nogil:
    """Upper triangle of the column-major C = alpha A A^T + beta C, A (n, k) column-major,
    in X's precision ("U", "N": a row-major (k, n) block of rows is A)."""
    if floating is double:
        dsyrk(b"U", b"N", &n, &k, &alpha, <double *> a, &lda, &beta, c, &ldc)
    else:
        ssyrk(b"U", b"N", &n, &k, &alpha, <float *> a, &lda, &beta, c, &ldc)


cdef inline void csr_logits(
    const floating *data, const index_t *indices, const index_t *indptr,
    const floating *coef_t, const double *intercept, floating *z, Py_ssize_t i0,
    Py_ssize_t m, Py_ssize_t n_out,
) noexcept nogil:
    """z (m, n_out), row-major: b + x_i W^T for the CSR rows [i0, i0 + m), from each row's
    non-zeros against the rows of W^T (coef_t (d, n_out), row-major: contiguous), in X's
    precision, the non-zeros in storage order.

    The outputs go in tiles of 8 whose sums stay in registers over the row's non-zeros (one
    vector FMA per non-zero and tile); a K-wide sum kept in z itself was stored and loaded
    again at every non-zero, a chain of store-to-load forwards that was a quarter of the
    CSR evaluation (perf, d = 1e4, K = 10). With n_out >= 8 the last tile overlaps the one
    before (n_out = 10: outputs 0-7, then 2-9), so no padding is needed; an output computed
    twice gets the same sum both times (same terms, same order: b, then the non-zeros).
    Two tiles share each walk over the row's non-zeros (one read of its indices and values
    for 16 outputs). Fewer than 8 outputs: one output-wide loop.
    """
    cdef Py_ssize_t ii, i, p, k0, k1, t, k
    cdef floating vf
    cdef floating *zr
    cdef const floating *wr
    cdef floating a[8]
    cdef floating c[8]
    cdef Py_ssize_t p_end = indptr[i0 + m] - CSR_PREFETCH_NNZ  # prefetch within the block
    for ii in range(m):
        i = i0 + ii
        zr = &z[ii * n_out]
        if n_out < 8:
            for k in range(n_out):
                zr[k] = <floating> intercept[k]
            for p in range(indptr[i], indptr[i + 1]):
                if p < p_end:
                    prefetch_read(&coef_t[indices[p + CSR_PREFETCH_NNZ] * n_out])
                vf = data[p]
                wr = &coef_t[indices[p] * n_out]
                for k in range(n_out):
                    zr[k] += vf * wr[k]
            continue
        k0 = 0
        while k0 < n_out:
            k0 = min(k0, n_out - 8)
            k1 = k0 + 8
            if k1 >= n_out:  # one tile left: a walk of its own
                for t in range(8):
                    a[t] = <floating> intercept[k0 + t]
                for p in range(indptr[i], indptr[i + 1]):
                    if p < p_end:
                        prefetch_read(&coef_t[indices[p + CSR_PREFETCH_NNZ] * n_out + k0])
                    vf = data[p]
                    wr = &coef_t[indices[p] * n_out + k0]
                    for t in range(8):
                        a[t] += vf * wr[t]
                for t in range(8):
                    zr[k0 + t] = a[t]
                break
            k1 = min(k1, n_out - 8)  # the second tile, overlapping at the end
            for t in range(8):
                a[t] = <floating> intercept[k0 + t]
                c[t] = <floating> intercept[k1 + t]
            for p in range(indptr[i], indptr[i + 1]):
                if p < p_end:
                    prefetch_read(&coef_t[indices[p + CSR_PREFETCH_NNZ] * n_out + k0])
                vf = data[p]
                wr = &coef_t[indices[p] * n_out]
                for t in range(8):
                    a[t] += vf * wr[k0 + t]
                for t in range(8):
                    c[t] += vf * wr[k1 + t]
            for t in range(8):
                zr[k0 + t] = a[t]
            for t in range(8):
                zr[k1 + t] = c[t]
            k0 = k1 + 8
