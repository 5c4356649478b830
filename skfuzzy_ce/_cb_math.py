"""Numerics of the continuous Bernoulli distribution (Loaiza-Ganem & Cunningham 2019).

The continuous Bernoulli with parameter ``lam`` in (0, 1) has the density on [0, 1]::

    p(y | lam) = C(lam) * lam**y * (1 - lam)**(1 - y),
    C(lam) = 2 * artanh(1 - 2 * lam) / (1 - 2 * lam),   C(1/2) = 2.

With the logit ``eta = log(lam / (1 - lam))`` it is the exponential family
``p(y) = exp(eta * y - A(eta))`` on [0, 1], and since ``1 - 2 * lam = -tanh(eta / 2)`` and
``artanh(1 - 2 * lam) = -eta / 2``::

    C = eta / tanh(eta / 2)              (even in eta, 2 at eta = 0, ~ |eta| for large |eta|)
    A(eta) = log(1 + exp(eta)) - log C   (log-partition)
    mean = A'(eta) = 1/2 + coth(eta / 2) / 2 - 1 / eta = lam / (2 lam - 1) + 1 / (2 artanh(1 - 2 lam))
    d log C / d eta = 1 / eta - 1 / sinh(eta) = sigmoid(eta) - mean

Everything here is computed from the logit, through ``t(u) = u * coth(u) - 1`` with
``u = eta / 2``: ``log C = log 2 + log1p(t)`` and ``mean = 1/2 + t / eta``. Near ``eta = 0``
(``lam`` near 1/2), where the closed forms are 0/0, ``t`` is its Taylor series; for huge
``|eta|`` the closed forms are exact in floating point (``coth = +-1``).

At exactly ``lam = 0`` (``eta = -inf``) or ``lam = 1`` (``eta = +inf``) the distribution is the
limit point mass at 0 or 1: ``C = +inf``, the mean is 0 or 1, and the negative log density is
``-inf`` at the mass point and ``+inf`` elsewhere (the limits of the finite-``lam`` values).

These are private helpers without input validation: the callers (metrics, estimators) check
their inputs. They accept array-likes or scalars of any float dtype and compute in float64.
"""

import numpy as np
from scipy.special import logit

__all__ = [
    "cb_log_norm",
    "cb_log_norm_logit",
    "cb_mean",
    "cb_mean_logit",
    "cb_nll",
    "cb_nll_logit",
    "cb_ppf_logit",
]

# Below this |u| = |eta / 2|, t(u) = u coth(u) - 1 is evaluated by its Taylor series, which up
# to u**10 is exact to ~1e-18 here; above it the closed form loses at most a few ulps.
_SERIES_U = 0.1
_LOG2 = np.log(2.0)


def _t_of_u(u):
    """``u * coth(u) - 1`` (float64 array), even, 0 at 0, ``|u| - 1`` for huge ``|u|``."""
    u = np.asarray(u, dtype=np.float64)
    out = np.empty_like(u)
    small = np.abs(u) < _SERIES_U
    us = u[small]
    u2 = us * us
    # u coth u = 1 + u^2/3 - u^4/45 + 2 u^6/945 - u^8/4725 + 2 u^10/93555 - ...
    out[small] = u2 * (
        1.0 / 3.0 - u2 * (1.0 / 45.0 - u2 * (2.0 / 945.0 - u2 * (1.0 / 4725.0 - u2 * (2.0 / 93555.0))))
    )
    ub = np.abs(u[~small])  # even function; |u| keeps inf / tanh(inf) = inf
    with np.errstate(invalid="ignore", over="ignore"):
        out[~small] = ub / np.tanh(ub) - 1.0
    return out


def cb_log_norm_logit(eta):
    """``log C(sigmoid(eta))``, the log normalizer, from the logit.

    Equals ``log(eta / tanh(eta / 2))``: ``log 2`` at 0 (Taylor series nearby), about
    ``log |eta|`` for huge ``|eta|``, ``+inf`` at ``eta = +-inf``. NaN propagates.
    """
    eta = np.asarray(eta, dtype=np.float64)
    return _LOG2 + np.log1p(_t_of_u(0.5 * eta))


def cb_log_norm(lam):
    """``log C(lam)`` for ``lam`` in [0, 1]; ``log 2`` at 1/2, ``+inf`` at exactly 0 and 1.

    ``C(lam) = 2 artanh(1 - 2 lam) / (1 - 2 lam)``, computed through ``eta = logit(lam)`` (see
    :func:`cb_log_norm_logit`), with a Taylor series near ``lam = 1/2``.
    """
    lam = np.asarray(lam, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return cb_log_norm_logit(logit(lam))


def cb_mean_logit(eta):
    """Mean of the continuous Bernoulli with logit ``eta``: ``1/2 + coth(eta/2)/2 - 1/eta``.

    ``1/2`` at ``eta = 0`` (Taylor series nearby, ``1/2 + eta/12 - ...``), 0 at ``-inf`` and 1
    at ``+inf``; increasing in ``eta``.
    """
    eta = np.asarray(eta, dtype=np.float64)
    u = 0.5 * eta
    out = np.empty_like(eta)
    small = np.abs(u) < _SERIES_U
    es = eta[small]
    # 1/2 + t(u) / eta, and t(u) / eta = (u^2/3 - u^4/45 + ...) / (2u): no 0/0.
    with np.errstate(invalid="ignore", divide="ignore"):
        out[small] = 0.5 + np.where(es == 0.0, 0.0, _t_of_u(0.5 * es) / es)
    eb = eta[~small]
    a = np.abs(eb)
    # For eta < 0: 1/2 + coth(eta/2)/2 = -1/expm1(-eta), so mean = 1/a - 1/expm1(a) with
    # a = -eta, a small positive number computed without cancellation; mean(eta) = 1 - mean(-eta).
    with np.errstate(over="ignore"):
        m = 1.0 / a - 1.0 / np.expm1(a)
    out[~small] = np.where(eb < 0, m, 1.0 - m)
    return out


def cb_mean(lam):
    """Mean of the continuous Bernoulli with parameter ``lam`` in [0, 1].

    ``lam / (2 lam - 1) + 1 / (2 artanh(1 - 2 lam))``; 1/2 at ``lam = 1/2`` (Taylor series
    nearby), 0 at ``lam = 0`` and 1 at ``lam = 1``. It is not ``lam``: it lies between ``lam``
    and 1/2.
    """
    lam = np.asarray(lam, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return cb_mean_logit(logit(lam))


def _nll_limits(y, out, at_zero, at_one):
    """Point-mass limits at ``lam`` = 0 or 1: ``-inf`` at the mass point, ``+inf`` elsewhere."""
    out[at_zero] = np.where(y[at_zero] == 0.0, -np.inf, np.inf)
    out[at_one] = np.where(y[at_one] == 1.0, -np.inf, np.inf)
    return out


def cb_nll_logit(y, eta):
    """Negative log density ``-log p(y | sigmoid(eta))`` for ``y`` in [0, 1], from the logit.

    ``y * log1pexp(-eta) + (1 - y) * log1pexp(eta) - log C``, with ``0 * log 0 = 0``. Its
    derivative in ``eta`` is ``mean(eta) - y``.
    """
    y, eta = np.broadcast_arrays(np.asarray(y, dtype=np.float64), np.asarray(eta, dtype=np.float64))
    finite = np.isfinite(eta)
    ef, yf = eta[finite], y[finite]
    # log(1 + exp(x)) split by sign: no overflow, no lost digits.
    a = np.logaddexp(0.0, -ef)  # -log lam
    b = np.logaddexp(0.0, ef)  # -log(1 - lam)
    out = np.empty(y.shape, dtype=np.float64)
    out[finite] = yf * a + (1.0 - yf) * b - cb_log_norm_logit(ef)
    return _nll_limits(y, out, eta == -np.inf, eta == np.inf)


def cb_nll(y, lam):
    """Negative log density ``-(y log lam + (1 - y) log(1 - lam) + log C(lam))``.

    ``y`` and ``lam`` in [0, 1] (broadcast); ``0 * log 0 = 0``. At exactly ``lam = 0`` or 1 the
    point-mass limits apply (``-inf`` at the mass point, ``+inf`` elsewhere). Can be negative:
    it is a density, not a probability.
    """
    lam = np.asarray(lam, dtype=np.float64)
    with np.errstate(divide="ignore"):
        eta = logit(lam)
    return cb_nll_logit(y, eta)


def cb_ppf_logit(q, eta):
    """Quantile function (inverse CDF) of the continuous Bernoulli with logit ``eta``.

    The CDF is ``F(y) = expm1(eta * y) / expm1(eta)`` (``y`` at ``eta = 0``, uniform), so
    ``F^-1(q) = log1p(q * expm1(eta)) / eta``. For ``eta > 0`` the symmetry
    ``Y ~ CB(eta) <=> 1 - Y ~ CB(-eta)`` keeps ``expm1`` from overflowing. Feeding uniform
    ``q`` gives samples (inverse-CDF sampling).
    """
    q, eta = np.broadcast_arrays(np.asarray(q, dtype=np.float64), np.asarray(eta, dtype=np.float64))
    pos = eta > 0
    e = np.where(pos, -eta, eta)  # <= 0
    qq = np.where(pos, 1.0 - q, q)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(e == 0.0, qq, np.log1p(qq * np.expm1(e)) / np.where(e == 0.0, 1.0, e))
    y = np.clip(y, 0.0, 1.0)
    return np.where(pos, 1.0 - y, y)
