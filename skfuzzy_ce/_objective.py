"""The objective a solver minimizes: a data term plus a penalty, scaled as scikit-learn scales it.

    F(w) = data(w) / S + penalty(w),   w = [W.ravel(), b]

``data`` is any object with the data-term protocol below: the in-memory
:class:`~skfuzzy_ce._fused_objective.FusedLinearObjective`, or one that sums the same
quantities over chunks held elsewhere (dask workers). The solvers of
:mod:`skfuzzy_ce._solvers` see only :class:`PenalizedObjective`, so a data term plugs into
every solver and penalty without either knowing where the rows live.

Data-term protocol (unscaled sums over the rows it holds, ``sum_i s_i loss_i(Z_i)``):

- attributes ``n_outputs``, ``n_features``, ``n_coef``, ``n_params``, ``fit_intercept``,
  ``kind``, ``weight_exp`` (its sample weights were divided by ``2**weight_exp``, so that
  their sum stays finite: the penalty uses the true total) and ``split(w)``;
- ``loss_gradient(w) -> (loss, grad)``;
- ``hessian(w) -> H`` of shape ``(n_params, n_params)`` (newton-cholesky);
- ``row_curvature(w) -> (A, Cc)``, the per-row Hessians with respect to the raw predictions
  ``diag(A_i) - Cc_i Cc_i^T`` (class-major, ``Cc`` None when diagonal), and
  ``columns()`` (X by columns) (newton-cd).
"""

import numpy as np

from ._penalty import ElasticNetPenalty

__all__ = ["PenalizedObjective", "RemembersLastEvaluation", "make_objective"]


class RemembersLastEvaluation:
    """Mixin of the data terms: ``loss_gradient(w)`` at the ``w`` of the previous call
    returns that call's result again (copies) instead of evaluating.

    Along a regularization path each C is warm-started from the point where the solver
    stopped at the previous C, which is (nearly always) the solver's last evaluation: the
    penalty changes with C, the data term does not, so the first evaluation of every C
    but the first is free. The same ``w``, bitwise, gives the same result as evaluating
    again (the kernels are deterministic). Subclasses define ``_loss_gradient(w)``.
    """

    _last_w = None  # (w, gradient) buffers of the last evaluation, reused; its loss
    _last_grad = None
    _last_loss = None

    def loss_gradient(self, w):
        """Data term and its gradient at ``w`` (float64 array of shape (n_params,))."""
        if self._last_loss is not None and np.array_equal(self._last_w, w):
            return self._last_loss, self._last_grad.copy()
        self._last_loss = None  # until both buffers hold this evaluation
        loss, grad = self._loss_gradient(w)
        if self._last_w is None:
            self._last_w = np.empty(self.n_params, dtype=np.float64)
            self._last_grad = np.empty(self.n_params, dtype=np.float64)
        self._last_w[...] = w
        self._last_grad[...] = grad
        self._last_loss = loss
        return loss, grad


def make_objective(data, sw_sum, *, C, l1_ratio):
    """The objective of ``data`` under the elastic net of ``C`` and ``l1_ratio``."""
    penalty = ElasticNetPenalty(C, l1_ratio, sw_sum, data.n_coef, weight_exp=data.weight_exp)
    return PenalizedObjective(data, penalty, sw_sum)


class PenalizedObjective:
    """``data / S + penalty``: values, gradients and curvature for the solvers.

    Parameters
    ----------
    data : data term (see the module docstring)
    penalty : :class:`~skfuzzy_ce._penalty.ElasticNetPenalty`
    sw_sum : float
        ``S``, the normalizer of the data term.
    """

    def __init__(self, data, penalty, sw_sum):
        self.data = data
        self.penalty = penalty
        self.sw_sum = float(sw_sum)
        self.n_outputs = data.n_outputs
        self.n_features = data.n_features
        self.n_coef = data.n_coef
        self.n_params = data.n_params
        self.fit_intercept = data.fit_intercept
        # A softmax over several outputs is unchanged when one constant is added to every
        # output's intercept (or, without a penalty, every output's coefficients): the
        # directions along which its Hessian is singular (see free_directions).
        self.symmetric_softmax = data.kind == "softmax" and data.n_outputs > 1

    def split(self, w):
        return self.data.split(w)

    def __call__(self, w):
        """Smooth part (data term and L2) and its gradient: what L-BFGS-B minimizes."""
        loss, grad = self.data.loss_gradient(w)
        inv_s = 1.0 / self.sw_sum
        grad = grad * inv_s
        value = loss * inv_s + self.penalty.smooth_value(w)
        return value, self.penalty.add_smooth_gradient(w, grad)

    def value(self, w, smooth_value):
        """The whole objective, given its smooth part at ``w``."""
        return smooth_value + self.penalty.l1_value(w)

    def hessian(self, w):
        """Hessian of the smooth part, ``(n_params, n_params)``."""
        H = self.data.hessian(w)
        H *= 1.0 / self.sw_sum
        return self.penalty.add_smooth_hessian(H)

    def row_curvature(self, w):
        """The data term's per-row curvature, scaled by ``1 / S``: ``(A / S, Cc / sqrt(S))``."""
        A, Cc = self.data.row_curvature(w)
        A = A * (1.0 / self.sw_sum)
        if Cc is not None:
            Cc = Cc * (1.0 / np.sqrt(self.sw_sum))
        return A, Cc

    def optimality(self, w, smooth_grad):
        """Largest entry of the minimum-norm subgradient (projected gradient without L1)."""
        return self.penalty.optimality(w, smooth_grad)

    def free_directions(self):
        """Indices of ``w`` that a Newton system keeps; the others' step is 0.

        A softmax over K outputs has zero curvature along "add c to every intercept" (the
        intercepts are not penalized) and, without any penalty, along "add v to every
        output's coefficients". The last output's intercept (and, unpenalized, its
        coefficients) is then held fixed in the Newton step, losing nothing: the gradient
        is orthogonal to those directions. :meth:`center` restores the usual representative.
        """
        keep = np.ones(self.n_params, dtype=bool)
        if self.symmetric_softmax:
            K, d = self.n_outputs, self.n_features
            if self.fit_intercept:
                keep[self.n_coef + K - 1] = False
            if self.penalty.l2 == 0.0 and self.penalty.l1 == 0.0:
                keep[(K - 1) * d : K * d] = False
        return np.flatnonzero(keep)

    def exact_along_invariants(self, w, step):
        """``step`` made exact along the directions a softmax's data term ignores (smooth
        penalties only).

        Along "add v to every output's coefficients" the objective is the L2 penalty alone,
        minimized where the coefficients sum to 0 over the outputs; along "add c to every
        intercept" it is constant. Where the penalty is tiny beside the data term's
        curvature (a large C, or huge sample weights), a Newton step computed from the whole
        Hessian picks up rounding noise divided by that tiny curvature along them; replacing
        its component there by the exact one (``w + step`` centered) removes it and never
        raises the objective.
        """
        if not self.symmetric_softmax or self.penalty.l1:
            return step
        step = step.copy()
        coef, intercept = self.split(w)
        dcoef, dintercept = self.split(step)
        dcoef -= (coef + dcoef).mean(axis=0)
        if dintercept is not None:
            dintercept -= (intercept + dintercept).mean()
        return step

    def center(self, w):
        """The representative of ``w`` whose intercepts (and, unpenalized, coefficients) sum
        to 0 over the outputs of a softmax: the same predictions and objective, and the
        point L-BFGS-B reaches from zero (its steps keep those sums at 0)."""
        if not self.symmetric_softmax:
            return w
        w = w.copy()
        coef, intercept = self.split(w)
        if intercept is not None:
            intercept -= intercept.mean()
        if self.penalty.l2 == 0.0 and self.penalty.l1 == 0.0:
            coef -= coef.mean(axis=0)
        return w
