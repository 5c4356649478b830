# Loss and gradient of soft-label cross-entropy with respect to the raw predictions.
#
# The estimators compute the raw predictions (logits) Z = X @ W.T + b with BLAS and hand
# them here; these kernels return, row by row and in one pass,
#
#   loss_i = s_i * sum_k cw_k * Y_ik * (-log p_ik)
#   G_ik   = d loss_i / d Z_ik
#
# with sample weights s and class weights cw folded in. Every row is independent, so the
# result does not depend on the number of threads at all (the caller sums loss_out with
# numpy in a fixed order). Inputs are const memoryviews: read-only arrays and memory maps
# are accepted. float32 and float64 share one fused implementation; the arithmetic inside a
# row is always carried out in double precision.

from cython.parallel cimport prange
from libc.math cimport exp, log, log1p

ctypedef fused floating:
    float
    double


cdef inline double log1pexp(double x) noexcept nogil:
    """log(1 + exp(x)) without overflow: split by sign."""
    if x > 0.0:
        return x + log1p(exp(-x))
    return log1p(exp(x))


cdef inline double expit(double x) noexcept nogil:
    """1 / (1 + exp(-x)) without overflow: split by sign."""
    cdef double e
    if x >= 0.0:
        return 1.0 / (1.0 + exp(-x))
    e = exp(x)
    return e / (1.0 + e)


cdef inline double binary_row(
    double z, double y0, double y1, double s, double cw0, double cw1, floating *g
) noexcept nogil:
    # a: weight of the "class 1" term, b: weight of the "class 0" term.
    #   loss = a * log(1 + exp(-z)) + b * log(1 + exp(z))
    #   dloss/dz = (a + b) * sigmoid(z) - a
    cdef double a = s * cw1 * y1
    cdef double b = s * cw0 * y0
    g[0] = <floating> ((a + b) * expit(z) - a)
    # 0 * log(...) = 0 even when the log term is huge: skip it.
    cdef double loss = 0.0
    if a != 0.0:
        loss += a * log1pexp(-z)
    if b != 0.0:
        loss += b * log1pexp(z)
    return loss


cdef inline double multinomial_row(
    const floating *z, const floating *y, double s, const double *cw,
    floating *g, Py_ssize_t n_classes,
) noexcept nogil:
    # Stable log-softmax: lse = m + log(sum_k exp(z_k - m)), m = max_k z_k.
    #   loss = s * sum_k cw_k y_k (lse - z_k)
    #   dloss/dz_j = s * (p_j * sum_k cw_k y_k - cw_j y_j)
    # g doubles as the buffer for exp(z_k - m): no per-thread allocation.
    cdef Py_ssize_t k
    cdef double m = z[0]
    cdef double total = 0.0, wsum = 0.0, loss = 0.0, lse, e, w
    for k in range(1, n_classes):
        if z[k] > m:
            m = z[k]
    for k in range(n_classes):
        e = exp(z[k] - m)
        g[k] = <floating> e
        total += e
    lse = m + log(total)
    for k in range(n_classes):
        w = cw[k] * y[k]
        if w != 0.0:
            wsum += w
            loss += w * (lse - z[k])
    for k in range(n_classes):
        g[k] = <floating> (s * (g[k] / total * wsum - cw[k] * y[k]))
    return s * loss


def binary_loss_gradient(
    const floating[::1] raw,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    floating[::1] grad_out,
    double[::1] loss_out,
    int n_threads=1,
):
    """Single-logit cross-entropy: Y has two columns (class 0, class 1), raw one logit."""
    cdef Py_ssize_t i, n = raw.shape[0]
    cdef double cw0 = class_weight[0], cw1 = class_weight[1]
    for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
        loss_out[i] = binary_row(
            raw[i], Y[i, 0], Y[i, 1], sample_weight[i], cw0, cw1, &grad_out[i]
        )


def multinomial_loss_gradient(
    const floating[:, ::1] raw,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    floating[:, ::1] grad_out,
    double[::1] loss_out,
    int n_threads=1,
):
    """Softmax cross-entropy with soft targets Y (n, K) on raw predictions (n, K)."""
    cdef Py_ssize_t i, n = raw.shape[0], n_classes = raw.shape[1]
    for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
        loss_out[i] = multinomial_row(
            &raw[i, 0], &Y[i, 0], sample_weight[i], &class_weight[0],
            &grad_out[i, 0], n_classes,
        )


def multilabel_loss_gradient(
    const floating[:, ::1] raw,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    floating[:, ::1] grad_out,
    double[::1] loss_out,
    int n_threads=1,
):
    """One independent sigmoid per column: binary cross-entropy summed over the columns."""
    cdef Py_ssize_t i, k, n = raw.shape[0], n_classes = raw.shape[1]
    cdef double total
    for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
        total = 0.0
        for k in range(n_classes):
            total = total + binary_row(
                raw[i, k], 1.0 - Y[i, k], Y[i, k], sample_weight[i] * class_weight[k],
                1.0, 1.0, &grad_out[i, k],
            )
        loss_out[i] = total
