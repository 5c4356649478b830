# Per-row soft-label cross-entropy: loss and gradient with respect to the raw predictions.
#
# Shared by the row kernels of _cross_entropy.pyx and the blocked fused kernels of _fused.pyx
# (cimported; everything here is inline, so no module is imported at run time). The row
# functions carry out a row's arithmetic in double precision; expf_nonpos is the float exp of
# the fused kernels' float32 path (_fused.block_multinomial).

from libc.math cimport log, log1p
from libc.string cimport memcpy

ctypedef fused floating:
    float
    double


cdef inline double exp_nonpos(double x) noexcept nogil:
    """exp(x) for x <= 0 (every exp below has such an argument), inline, about 2 ulp.

    The libm call was most of the cost of a row. Cody-Waite reduction x = n ln2 + r,
    |r| <= ln2 / 2 (n by the 1.5 * 2**52 rounding trick, so no float-to-int conversion),
    exp(r) by its Taylor polynomial of degree 12 (truncation < 2e-16 relative), times 2**n
    built from its exponent bits. Below -708.39 the result would be subnormal: 0 is
    returned (an absolute error under 2.3e-308). Branch-free (the cut-off is a select on a
    clamped argument), so that a loop of calls vectorizes; NaN stays NaN.
    """
    cdef double xc, kd, n, r, p, scale, e
    cdef long long bits
    xc = -708.39 if x < -708.39 else x
    kd = xc * 1.4426950408889634 + 6755399441055744.0
    n = kd - 6755399441055744.0
    r = (xc - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10
    p = 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    memcpy(&bits, &kd, 8)
    bits = (bits - 0x4338000000000000LL + 1023) << 52
    memcpy(&scale, &bits, 8)
    e = p * scale  # unconditionally: a select of two values if-converts, a product does not
    return 0.0 if x < -708.39 else e


cdef inline float expf_nonpos(float x) noexcept nogil:
    """exp(x) for float x <= 0, computed in float: the float32 kernels' exp, about 1 ulp.

    The same scheme as exp_nonpos in single precision: n by the 1.5 * 2**23 rounding
    trick, r = x - n ln2 with ln2 split in two (n * 0.693359375 is exact for |n| < 2**15),
    |r| <= ln2 / 2, exp(r) by its Taylor polynomial of degree 7 (truncation < 6e-9
    relative, under a tenth of float's 6e-8 rounding unit), times 2**n from its exponent
    bits. Below -87.3365 (ln of the smallest normal float) 0 is returned (an absolute
    error under 1.2e-38). Branch-free; NaN stays NaN.
    """
    cdef float xc, kf, n, r, p, scale, e
    cdef int bits
    xc = <float> -87.3365 if x < <float> -87.3365 else x
    kf = xc * <float> 1.44269504 + <float> 12582912.0
    n = kf - <float> 12582912.0
    r = (xc - n * <float> 0.693359375) - n * <float> -2.12194440e-4
    p = <float> (1.0 / 5040.0)
    p = p * r + <float> (1.0 / 720.0)
    p = p * r + <float> (1.0 / 120.0)
    p = p * r + <float> (1.0 / 24.0)
    p = p * r + <float> (1.0 / 6.0)
    p = p * r + <float> 0.5
    p = p * r + <float> 1.0
    p = p * r + <float> 1.0
    memcpy(&bits, &kf, 4)
    bits = (bits - 0x4B400000 + 127) << 23
    memcpy(&scale, &bits, 4)
    e = p * scale
    return <float> 0.0 if x < <float> -87.3365 else e


cdef inline double log1pexp(double x) noexcept nogil:
    """log(1 + exp(x)) without overflow: split by sign."""
    if x > 0.0:
        return x + log1p(exp_nonpos(-x))
    return log1p(exp_nonpos(x))


cdef inline double expit(double x) noexcept nogil:
    """1 / (1 + exp(-x)) without overflow: split by sign."""
    cdef double e
    if x >= 0.0:
        return 1.0 / (1.0 + exp_nonpos(-x))
    e = exp_nonpos(x)
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
    cdef double total = 0.0, wsum = 0.0, loss = 0.0, lse, e, w, scale
    for k in range(1, n_classes):
        if z[k] > m:
            m = z[k]
    for k in range(n_classes):
        e = exp_nonpos(z[k] - m)
        g[k] = <floating> e
        total += e
    lse = m + log(total)
    for k in range(n_classes):
        w = cw[k] * y[k]
        if w != 0.0:
            wsum += w
            loss += w * (lse - z[k])
    scale = s * wsum / total
    for k in range(n_classes):
        g[k] = <floating> (g[k] * scale - s * cw[k] * y[k])
    return s * loss
