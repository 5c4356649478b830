"""Penalties of the linear models: the elastic net on the coefficients (L2 and L1 its corners).

A penalty acts on the coefficient block ``w[:n_coef]`` of the parameter vector
``w = [W.ravel(), b]`` (the intercepts are never penalized). In the scaling of the objective
(``data / S + penalty``, see :mod:`skfuzzy_ce._objective`), ``C`` and ``l1_ratio`` give

    penalty(W) = l2 / 2 ||W||^2 + l1 ||W||_1,   l2 = (1 - l1_ratio) / (C S),  l1 = l1_ratio / (C S)

(both 0 for ``C = inf``): glmnet's elastic net with ``lambda = 1 / (C S)``, ``alpha = l1_ratio``.
Its smooth part (the L2 term) goes into the gradient and the Hessian; the L1 term into the
proximal step of coordinate descent and into the optimality measure.
"""

import numpy as np

__all__ = ["ElasticNetPenalty"]


class ElasticNetPenalty:
    """``l2 / 2 ||W||^2 + l1 ||W||_1`` on the first ``n_coef`` entries of ``w``.

    Parameters
    ----------
    C : float
        Inverse regularization strength (``np.inf``: no penalty).
    l1_ratio : float in [0, 1]
    sw_sum : float
        ``S``, the sum of the effective sample weights (the data term's normalizer).
    n_coef : int
        Number of penalized entries (the coefficients; the intercepts follow them).
    weight_exp : int, default=0
        ``sw_sum`` is the total of weights divided by ``2**weight_exp`` (kept finite): the
        strength ``1 / (C S)`` uses the true total, ``sw_sum * 2**weight_exp``.
    """

    def __init__(self, C, l1_ratio, sw_sum, n_coef, weight_exp=0):
        strength = 0.0 if np.isinf(C) else np.ldexp(1.0 / (C * sw_sum), -weight_exp)
        self.l2 = (1.0 - l1_ratio) * strength
        self.l1 = l1_ratio * strength
        self.n_coef = int(n_coef)

    @property
    def is_smooth(self):
        """True without an L1 term: gradient-based solvers (lbfgs, newton-cholesky) apply."""
        return self.l1 == 0.0

    def smooth_value(self, w):
        """The L2 term ``l2 / 2 ||W||^2``."""
        coef = w[: self.n_coef]
        return 0.5 * self.l2 * float(coef @ coef) if self.l2 else 0.0

    def add_smooth_gradient(self, w, grad):
        """``grad[:n_coef] += l2 * W`` in place (the gradient of the L2 term)."""
        if self.l2:
            grad[: self.n_coef] += self.l2 * w[: self.n_coef]
        return grad

    def add_smooth_hessian(self, hessian):
        """``hessian += l2`` on the coefficients' diagonal, in place."""
        if self.l2:
            idx = np.arange(self.n_coef)
            hessian[idx, idx] += self.l2
        return hessian

    def l1_value(self, w):
        """The L1 term ``l1 ||W||_1``."""
        return self.l1 * float(np.abs(w[: self.n_coef]).sum()) if self.l1 else 0.0

    def optimality(self, w, smooth_grad):
        """Largest entry of the minimum-norm subgradient of the whole objective.

        ``smooth_grad`` is the gradient of the smooth part (data term and L2) at ``w``.
        Without L1 it is ``max |smooth_grad|``; with L1, on a coefficient that is 0 the
        subdifferential is ``[g - l1, g + l1]`` (its smallest entry ``max(|g| - l1, 0)``),
        elsewhere ``g + l1 * sign(w)``. 0 exactly at the optimum.
        """
        if smooth_grad.size == 0:
            return 0.0
        if not self.l1:
            return float(np.max(np.abs(smooth_grad)))
        g = smooth_grad[: self.n_coef]
        coef = w[: self.n_coef]
        sub = np.where(coef != 0, np.abs(g + self.l1 * np.sign(coef)),
                       np.maximum(np.abs(g) - self.l1, 0.0))  # fmt: skip
        rest = np.abs(smooth_grad[self.n_coef :])
        return float(max(sub.max(initial=0.0), rest.max(initial=0.0)))
