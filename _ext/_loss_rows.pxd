# Per-row soft-label cross-entropy: loss and gradient with respect to the raw predictions.
#
# Shared by the blocked fused kernels of _fused.pyx (cimported; everything here is inline, so
# no module is imported at run time). The row functions carry out a row's arithmetic in double
# precision; expf_nonpos is the float exp of the fused kernels' float32 path
# (_fused.block_multinomial).

from libc.math cimport expm1, fabs, log1p, sqrt, tanh
from libc.string cimport memcpy

ctypedef fused floating:
    float
    double

# Per-row losses ("kind"s). SOFTMAX: soft-label cross-entropy of a softmax over the n_out =
# n_classes columns (_fused.block_multinomial), or of a single logit for two classes (n_out =
# 1, binary_row). SIGMOIDS: one independent sigmoid per column, binary cross-entropy with
# target y_ik, weight s_i cw_k (n_out = n_classes). CB: continuous Bernoulli NLL of the
# single logit (n_out = n_classes = 1, y_i in [0, 1], class weights unused).
cdef enum:
    KIND_SOFTMAX = 0
    KIND_SIGMOIDS = 1
    KIND_CB = 2


cdef inline double exp_nonpos(double x) noexcept nogil:
    """exp(x) for x <= 0 (every exp below has such an argument), inline, about 2 ulp.

    The libm call was most of the cost of a row. Cody-Waite reduction x = n ln2 + r,
    |r| <= ln2 / 2 (n by the 1.5 * 2**52 rounding trick, so no float-to-int conversion),
    exp(r) by its Taylor polynomial of degree 12 (truncation < 2e-16 relative), times 2**n
    built from its exponent bits. Below -708.39 the result would be subnormal: 0 is
    returned (an absolute error under 2.3e-308). Branch-free (the cut-off is a select on a
    clamped argument), so that a loop of calls vectorizes; NaN stays NaN. Written out again
    in AVX-512 intrinsics in _softmax_tiles.h (skfce_exp_nonpos8): change both together.
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


cdef inline double log_pos(double x) noexcept nogil:
    """log(x) for a positive normal finite x (the softmax's row sums E_i in [1, K]), inline
    and branch-free so that a loop of calls vectorizes, within 2 ulps (measured against
    40-digit logs; libm's log, 1 ulp, was a
    scalar call per row: a tenth of an evaluation at d = 20, K = 10).

    x = 2**e m with m in [sqrt(1/2), sqrt(2)) (exponent bits, m halved and e raised by a
    select), log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, by its odd series
    to s**23 (truncation < 1e-18 relative), log x = e ln2 + log m with ln2 split in two
    (e ln2_hi exact for |e| < 2**11). m - 1 is exact (Sterbenz), so log x near 1 keeps its
    relative accuracy. Not for 0, subnormals, inf or NaN (not checked). Written out again
    in AVX-512 intrinsics in _softmax_tiles.h (skfce_log_pos8): change both together.
    """
    cdef long long bits, eb
    cdef double m, e, f, s, s2, p
    memcpy(&bits, &x, 8)
    eb = (bits >> 52) - 1023
    bits = (bits & 0x000FFFFFFFFFFFFFLL) | 0x3FF0000000000000LL
    memcpy(&m, &bits, 8)  # [1, 2)
    e = <double> eb
    e = e + 1.0 if m > 1.4142135623730951 else e
    m = 0.5 * m if m > 1.4142135623730951 else m  # exact
    f = m - 1.0
    s = f / (m + 1.0)
    s2 = s * s
    p = 1.0 / 23.0
    p = p * s2 + 1.0 / 21.0
    p = p * s2 + 1.0 / 19.0
    p = p * s2 + 1.0 / 17.0
    p = p * s2 + 1.0 / 15.0
    p = p * s2 + 1.0 / 13.0
    p = p * s2 + 1.0 / 11.0
    p = p * s2 + 1.0 / 9.0
    p = p * s2 + 1.0 / 7.0
    p = p * s2 + 1.0 / 5.0
    p = p * s2 + 1.0 / 3.0
    # log m = 2 s + 2 s s2 p: the leading term 2 s (exact doubling) added last.
    return e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + (
        2.0 * s * s2 * p + 2.0 * s))


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


cdef inline double cb_row(double eta, double y, double s, floating *g) noexcept nogil:
    # Negative log-likelihood of the continuous Bernoulli (weight s) and its derivative
    # w.r.t. the logit eta. With lam = sigmoid(eta), the density on [0, 1] is
    # C(lam) lam^y (1 - lam)^(1 - y), an exponential family in eta:
    #
    #   loss = s * (y log1pexp(-eta) + (1 - y) log1pexp(eta) - log C(eta))
    #   g    = d loss / d eta = s * (mean(eta) - y)
    #
    # where, with u = eta / 2 and t = u coth(u) - 1 (see skfuzzy_ce/_cb_math.py for the
    # algebra):
    #
    #   log C(eta) = log(eta / tanh(eta / 2)) = log 2 + log1p(t)
    #   mean(eta)  = 1/2 + t / eta = 1/a - 1/expm1(a) for eta = -a < 0, 1 - mean(-eta) for eta > 0.
    #
    # Near eta = 0 (lam = 1/2), where both closed forms are 0/0, t and t / eta come from the
    # Taylor series of u coth(u), used for |u| < 0.1 (to u^10: truncation ~1e-18 there); for
    # huge |eta| the closed forms are exact (tanh = 1, expm1 = inf).
    cdef double u = 0.5 * eta, u2, p, t, a, m, mean, loss
    if fabs(u) < 0.1:
        u2 = u * u
        # u coth(u) - 1 = u^2 * p(u^2)
        p = 1.0 / 3.0 - u2 * (1.0 / 45.0 - u2 * (2.0 / 945.0 - u2 * (
            1.0 / 4725.0 - u2 * (2.0 / 93555.0))))
        t = u2 * p
        mean = 0.5 + 0.5 * u * p  # t / eta = u^2 p / (2 u)
    else:
        a = fabs(eta)
        t = 0.5 * a / tanh(0.5 * a) - 1.0
        m = 1.0 / a - 1.0 / expm1(a)
        mean = m if eta < 0.0 else 1.0 - m
    g[0] = <floating> (s * (mean - y))
    # 0 * log(...) = 0: skip a term whose weight is zero.
    loss = -(0.6931471805599453 + log1p(t))  # log 2
    if y != 0.0:
        loss = loss + y * log1pexp(-eta)
    if y != 1.0:
        loss = loss + (1.0 - y) * log1pexp(eta)
    return s * loss


# Curvature: the Hessian of a row's loss with respect to its raw predictions Z_i,
#
#   H_i = diag(A_i) - Cc_i Cc_i^T                      (Cc_i = 0 for the diagonal kinds)
#
# (sample and class weights folded in). A softmax over K outputs has A_ik = T_i p_ik,
# Cc_ik = sqrt(T_i) p_ik (H_i = T_i (diag(p) - p p^T), T_i = s_i sum_k cw_k y_ik); a single
# logit (binary_row) (a + b) sigma(z)(1 - sigma(z)); a sigmoid s_i cw_k sigma(z)(1 - sigma(z));
# the continuous Bernoulli s_i Var(eta) (cb_row's loss is s (A(eta) - eta y) up to terms
# constant in eta, A the log-partition, whose second derivative is the variance).


cdef inline double logistic_variance(double z) noexcept nogil:
    """sigma(z) (1 - sigma(z)) = e / (1 + e)^2 with e = exp(-|z|) (even in z): no overflow,
    no cancellation; 0 for huge |z| (below 2.3e-308 once |z| > 708). NaN stays NaN."""
    cdef double e = exp_nonpos(-fabs(z))
    cdef double q = 1.0 + e
    return e / (q * q)


cdef inline double binary_curvature(
    double z, double y0, double y1, double s, double cw0, double cw1
) noexcept nogil:
    """d^2 loss / dz^2 of binary_row: (a + b) sigma(z) (1 - sigma(z))."""
    cdef double a = s * cw1 * y1
    cdef double b = s * cw0 * y0
    return (a + b) * logistic_variance(z)


cdef inline double cb_variance(double eta) noexcept nogil:
    """Variance of the continuous Bernoulli with logit eta: d mean / d eta, so that cb_row's
    loss has second derivative s * cb_variance(eta).

      Var(eta) = 1/eta^2 - 1/(4 sinh^2(eta/2)),   1/12 at 0, ~ 1/eta^2 for huge |eta|.

    For |eta| < 1, where the two terms cancel (by a factor over 12), its Taylor series
    Var = sum_n (2n - 1) B_2n eta^(2n-2) / (2n)! (B: Bernoulli numbers; it converges for
    |eta| < 2 pi), to eta^20: truncation < 4e-17 relative at |eta| = 1. Beyond, the closed
    form with 1/(4 sinh^2(a/2)) = e / expm1(-a)^2, a = |eta|, e = exp(-a): no overflow, and
    e = 0 for huge a (1/a^2 exactly; 0 at a = inf). NaN stays NaN.
    """
    cdef double a = fabs(eta), e2, em
    if a < 1.0:
        e2 = eta * eta
        return 0.08333333333333333 + e2 * (-0.004166666666666667 + e2 * (
            0.00016534391534391533 + e2 * (-5.787037037037037e-06 + e2 * (
                1.8789081289081288e-07 + e2 * (-5.812609152556243e-09 + e2 * (
                    1.7397297489890083e-10 + e2 * (-5.084520444483875e-12 + e2 * (
                        1.4596305495672335e-13 + e2 * (-4.1322505272603176e-15 + e2 * (
                            1.1568905939556482e-16))))))))))
    em = expm1(-a)
    return 1.0 / (a * a) - exp_nonpos(-a) / (em * em)


cdef inline void softmax_probabilities(
    const double *z, Py_ssize_t K, double *p, double *q, Py_ssize_t stride
) noexcept nogil:
    """p = softmax(z) and (q not NULL) q = 1 - p, into p[k * stride], q[k * stride].

    Shifted by the row max (every exp argument <= 0, so no overflow for any finite z).
    q_k is the sum of the other classes' exps over their total (prefix plus suffix sums, in
    class order), not 1 - p_k: accurate to a few ulps even when p_k is within rounding of 1
    (the curvature T p_k (1 - p_k) of a confident row).
    """
    cdef Py_ssize_t k
    cdef double mx = z[0], e, tot = 0.0, acc
    for k in range(1, K):
        mx = z[k] if z[k] > mx else mx
    for k in range(K):
        e = exp_nonpos(z[k] - mx)
        p[k * stride] = e
        tot += e
    if q != NULL:
        acc = 0.0
        for k in range(K):
            q[k * stride] = acc
            acc += p[k * stride]
        acc = 0.0
        for k in range(K - 1, -1, -1):
            q[k * stride] += acc
            acc += p[k * stride]
        for k in range(K):
            q[k * stride] /= tot
    for k in range(K):
        p[k * stride] /= tot


cdef inline void softmax_curvature(
    const double *z, Py_ssize_t K, double T, double *A, double *Cc, Py_ssize_t stride
) noexcept nogil:
    """A_k = T p_k and Cc_k = sqrt(T) p_k, p = softmax(z), into A[k * stride], Cc[k * stride]:
    the Hessian T (diag(p) - p p^T) of the softmax cross-entropy of a row whose weighted
    targets sum to T (>= 0)."""
    cdef Py_ssize_t k
    cdef double rt = sqrt(T)
    softmax_probabilities(z, K, Cc, NULL, stride)
    for k in range(K):
        A[k * stride] = T * Cc[k * stride]
        Cc[k * stride] = rt * Cc[k * stride]
