# Negative log-likelihood of the continuous Bernoulli and its gradient w.r.t. the logit.
#
# ContinuousBernoulliRegression computes the raw predictions eta = X @ w + b with BLAS and
# hands them here. With lam = sigmoid(eta), the continuous Bernoulli density on [0, 1] is
# C(lam) lam^y (1 - lam)^(1 - y), an exponential family in eta:
#
#   loss_i = s_i * (y log1pexp(-eta) + (1 - y) log1pexp(eta) - log C(eta))
#   G_i    = d loss_i / d eta = s_i * (mean(eta) - y)
#
# where, with u = eta / 2 and t = u coth(u) - 1 (see skfuzzy_ce/_cb_math.py for the algebra):
#
#   log C(eta) = log(eta / tanh(eta / 2)) = log 2 + log1p(t)
#   mean(eta)  = 1/2 + t / eta = 1/a - 1/expm1(a) for eta = -a < 0, 1 - mean(-eta) for eta > 0.
#
# Near eta = 0 (lam = 1/2), where both closed forms are 0/0, t and t / eta come from the
# Taylor series of u coth(u); for huge |eta| the closed forms are exact (tanh = 1, expm1 = inf).
# Rows are independent: the result does not depend on the number of threads. The arithmetic
# inside a row is carried out in double precision, for float32 and float64 inputs alike.

from cython.parallel cimport prange
from libc.math cimport expm1, fabs, log, log1p, tanh

from _loss_rows cimport floating, log1pexp

cdef double LOG2 = 0.6931471805599453
# |u| below which the series (to u^10) is used: its truncation error is ~1e-18 there.
cdef double SERIES_U = 0.1


cdef inline double cb_row(double eta, double y, double s, floating *g) noexcept nogil:
    cdef double u = 0.5 * eta, u2, p, t, a, m, mean, loss
    if fabs(u) < SERIES_U:
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
    loss = -(LOG2 + log1p(t))
    if y != 0.0:
        loss = loss + y * log1pexp(-eta)
    if y != 1.0:
        loss = loss + (1.0 - y) * log1pexp(eta)
    return s * loss


def cb_loss_gradient(
    const floating[::1] raw,
    const floating[::1] y,
    const double[::1] sample_weight,
    floating[::1] grad_out,
    double[::1] loss_out,
    int n_threads=1,
):
    """Continuous Bernoulli NLL per row (weighted) and its derivative w.r.t. the logit.

    Fills ``loss_out[i] = s_i * -log CB(y_i | sigmoid(raw_i))`` and
    ``grad_out[i] = s_i * (mean(raw_i) - y_i)``.
    """
    cdef Py_ssize_t i, n = raw.shape[0]
    for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
        loss_out[i] = cb_row(raw[i], y[i], sample_weight[i], &grad_out[i])
