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

from _loss_rows cimport binary_row, floating, multinomial_row


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
