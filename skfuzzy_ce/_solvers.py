"""Solvers of the linear models, one small class each behind one protocol.

Each solver minimizes a :class:`~skfuzzy_ce._objective.PenalizedObjective` from a start
``w0`` and returns a :class:`SolverResult`; none of them knows where the rows live (the
objective's data term does). :func:`solve` runs one, puts the result in its canonical form
and checks convergence by the optimality measure, whatever the solver's own stopping rule
said: a result above ``tol`` always gets a ``ConvergenceWarning``.

- :class:`LbfgsSolver`: scipy's L-BFGS-B (smooth penalties only), with scikit-learn's
  options. Its relative-reduction stop (``ftol``) is not taken for convergence.
- :class:`NewtonCholeskySolver`: Newton steps with the exact Hessian (assembled by the
  compiled kernels), solved by Cholesky, with a backtracking line search; stops when the
  largest gradient entry and half the squared Newton decrement are both below ``tol``,
  as scikit-learn's newton-cholesky.
- :class:`NewtonCDSolver`: proximal Newton for any elastic net: each step minimizes the
  quadratic model of the smooth part plus the L1 term by cyclic coordinate descent over
  the columns of X (compiled, :mod:`skfuzzy_ce._cd`; no ``(dK) x (dK)`` matrix), then a
  line search on the whole objective; stops when the minimum-norm subgradient is below
  ``tol``.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from ._objective import make_objective
from ._threads import blas_single_thread

__all__ = [
    "SOLVERS",
    "LbfgsSolver",
    "NewtonCDSolver",
    "NewtonCholeskySolver",
    "SolverResult",
    "fit_linear",
    "resolve_solver",
    "solve",
]

_ADVICE = (
    'Scale the features (e.g. with StandardScaler), use solver="newton-cholesky" (exact '
    "Newton steps: badly scaled or correlated features do not slow it down) when n_samples "
    "is much larger than n_features * n_outputs, or increase max_iter."
)


@dataclass
class SolverResult:
    """What a solver returns: the point, its iterations, its optimality measure (the
    largest entry of the minimum-norm subgradient) and, when it stopped early, why."""

    w: np.ndarray
    n_iter: int
    optimality: float
    reason: str = ""


def _print_iteration(name, k, value, optimality):
    print(f"[{name}] iteration {k:4d}  objective {value:.10g}  optimality {optimality:.4g}",
          flush=True)  # fmt: skip


def _newton_update(objective, w, value, grad, step, decrease, what):
    """Take the step of a Newton solver: ``(found, decrease, reason)``.

    ``decrease`` is the model's predicted change along ``step`` (see
    :func:`_predicted_decrease`); ``found`` is what :func:`_line_search` returns, or None
    with ``reason`` saying why the solver must stop (``what`` names the step).
    """
    decrease = _predicted_decrease(value, decrease)
    if decrease is None:
        return None, decrease, f"the {what} is not a descent direction"
    found = _line_search(objective, w, value, grad, step, decrease)
    if found is None:
        return None, decrease, "the line search found no decrease along the Newton step"
    return found, decrease, ""


class _Solver:
    """The protocol: ``solve(objective, w0) -> SolverResult`` and ``failure_message(result)``
    (the ConvergenceWarning's text); ``name`` and ``smooth_only`` (no L1 term) as class
    attributes."""

    def __init__(self, *, max_iter, tol, verbose=0):
        self.max_iter, self.tol, self.verbose = max_iter, tol, verbose


class LbfgsSolver(_Solver):
    """scipy's L-BFGS-B on the smooth objective (``l1_ratio = 0`` only)."""

    name = "lbfgs"
    smooth_only = True

    def failure_message(self, result):
        return (
            f"lbfgs failed to converge after {result.n_iter} iteration(s): the largest "
            f"gradient entry is {result.optimality:.3g}, above tol={self.tol:g} "
            f"(L-BFGS-B stopped with: {result.reason}). {_ADVICE}"
        )

    def solve(self, objective, w0):
        callback = None
        if self.verbose:
            count = [0]

            def callback(intermediate_result):
                count[0] += 1
                _, g = objective(intermediate_result.x)
                opt = objective.optimality(intermediate_result.x, g)
                _print_iteration(self.name, count[0], intermediate_result.fun, opt)

        result = minimize(
            objective, w0, method="L-BFGS-B", jac=True, callback=callback,
            options={"maxiter": self.max_iter, "maxls": 50, "gtol": self.tol,
                     "ftol": 64 * np.finfo(float).eps},
        )  # fmt: skip
        w = np.asarray(result.x, dtype=np.float64)
        optimality = objective.optimality(w, np.asarray(result.jac, dtype=np.float64))
        message = result.message if isinstance(result.message, str) else str(result.message)
        return SolverResult(w, int(min(result.nit, self.max_iter)), optimality, message)


def _predicted_decrease(value, decrease):
    """The model's predicted change, for the line search, or None when the step is not a
    descent step. Where it is within rounding of the objective (near the optimum, the
    terms that make it up cancel to below their own rounding), its sign means nothing: 0,
    so that the line search judges the step by the optimality measure alone."""
    if decrease < 0:
        return decrease
    if decrease <= 16 * np.finfo(np.float64).eps * abs(value):
        return 0.0
    return None


def _line_search(objective, w, value, grad, step, decrease):
    """Backtracking (Armijo) on the whole objective along ``step``.

    ``decrease`` is the model's predicted change (negative for a descent step): for a
    smooth objective ``grad @ step``; with L1 also ``l1 (||W + D||_1 - ||W||_1)``, which
    bounds the change of the L1 term along the segment (convexity). A step is taken when
    the objective falls by at least ``sigma * t * |decrease|``, or, where the objective
    no longer changes beyond rounding, when the optimality measure improves (as
    scikit-learn's Newton solver does). Returns ``(w, smooth value, value, grad)`` at the
    new point, or None when no step of size >= 2**-30 qualifies.
    """
    sigma, eps = 2.0**-11, 16 * np.finfo(np.float64).eps
    opt_old = None
    t = 1.0
    for _ in range(31):
        w_new = w + t * step
        smooth_new, grad_new = objective(w_new)
        value_new = objective.value(w_new, smooth_new)
        change = value_new - value
        if change <= sigma * t * decrease:
            return w_new, smooth_new, value_new, grad_new
        if abs(change) <= eps * abs(value):
            if opt_old is None:
                opt_old = objective.optimality(w, grad)
            if objective.optimality(w_new, grad_new) < opt_old:
                return w_new, smooth_new, value_new, grad_new
        t *= 0.5
    return None


class NewtonCholeskySolver(_Solver):
    """Newton steps with the exact Hessian and a Cholesky solve (``l1_ratio = 0`` only)."""

    name = "newton-cholesky"
    smooth_only = True

    def failure_message(self, result):
        return (
            f"Newton solver did not converge after {result.n_iter} iteration(s) "
            f'(solver="{self.name}"): the largest gradient entry is {result.optimality:.3g}, '
            f"above tol={self.tol:g}{'; ' + result.reason if result.reason else ''}. "
            "Increase max_iter, or the regularization (smaller C) if the Hessian is "
            "singular (collinear or constant features), or scale the features."
        )

    def _newton_step(self, objective, w, grad, free):
        """``-H^{-1} g`` on the free directions (Cholesky; a least-squares solve when the
        Hessian is singular in exact arithmetic or by rounding)."""
        H = objective.hessian(w)
        if free.size < w.size:
            H = H[np.ix_(free, free)]
        g = grad[free]
        step = np.zeros_like(w)
        try:
            factor = scipy.linalg.cho_factor(H, lower=False, check_finite=False)
            step[free] = scipy.linalg.cho_solve(factor, -g, check_finite=False)
        except np.linalg.LinAlgError:
            step[free] = np.linalg.lstsq(H, -g, rcond=None)[0]
        return objective.exact_along_invariants(w, step)

    def solve(self, objective, w0):
        w = np.array(w0, dtype=np.float64)
        smooth, grad = objective(w)
        free = objective.free_directions()
        reason = ""
        n_iter = 0
        while n_iter < self.max_iter:
            if n_iter == 0 and objective.optimality(w, grad) <= self.tol and self.tol > 0:
                break  # already optimal (a warm start at the solution)
            step = self._newton_step(objective, w, grad, free)
            found, decrease, reason = _newton_update(
                objective, w, smooth, grad, step, float(grad @ step), "Newton step"
            )
            if found is None:
                break
            w, smooth, _, grad = found
            n_iter += 1
            optimality = objective.optimality(w, grad)
            if self.verbose:
                _print_iteration(self.name, n_iter, smooth, optimality)
            # Converged: gradient below tol and half the squared Newton decrement (of the
            # step just taken) too, as scikit-learn's newton-cholesky.
            if optimality <= self.tol and -0.5 * decrease <= self.tol:  # decrease <= 0
                break
        return SolverResult(w, n_iter, objective.optimality(w, grad), reason)


class NewtonCDSolver(_Solver):
    """Proximal Newton with coordinate descent on the quadratic model (any ``l1_ratio``)."""

    name = "newton-cd"
    smooth_only = False
    max_sweeps = 1000  # coordinate-descent sweeps per Newton step, at most

    def failure_message(self, result):
        return (
            f"Newton solver did not converge after {result.n_iter} iteration(s) "
            f'(solver="{self.name}"): the largest entry of the minimum-norm subgradient is '
            f"{result.optimality:.3g}, above tol={self.tol:g}"
            f"{'; ' + result.reason if result.reason else ''}. Increase max_iter, or "
            "scale the features."
        )

    def solve(self, objective, w0):
        # The coordinate descent kernel of the CPU variant the objective's data kernels use.
        _cd = objective.data._kernels.cd

        w = np.array(w0, dtype=np.float64)
        K, d, n_coef = objective.n_outputs, objective.n_features, objective.n_coef
        penalty = objective.penalty
        columns, offsets = objective.data.columns()
        n_samples = objective.data.n_samples
        D = np.zeros((K, d))
        Db = np.zeros(K)
        dZ = np.empty((K, n_samples))
        s = np.empty(n_samples)
        smooth, grad = objective(w)
        value = objective.value(w, smooth)
        optimality = objective.optimality(w, grad)
        reason = ""
        n_iter = 0
        while n_iter < self.max_iter and not optimality <= self.tol:
            A, Cc = objective.row_curvature(w)
            coef, _ = objective.split(w)
            D[...] = 0.0
            Db[...] = 0.0
            gW = grad[:n_coef].reshape(K, d)
            gb = grad[n_coef:] if objective.fit_intercept else None
            if offsets is not None:
                # Centered columns x - m: the same quadratic model in the coordinates
                # (W, b' = b + W m), whose W-gradient is gW - gb m^T; the step in b is then
                # Db' - D m.
                gW = gW - np.outer(gb, offsets)
            # Inexact Newton: the inner problem is solved to a fraction of the current
            # optimality (a forcing sequence), never much below what is asked of the outer.
            inner_tol = max(0.1 * optimality, 0.01 * self.tol)
            _cd.cd_quadratic(
                columns, A, Cc, gW, gb, coef, penalty.l1, penalty.l2,
                objective.fit_intercept, D, Db, dZ, s, self.max_sweeps, inner_tol,
                objective.symmetric_softmax,
            )  # fmt: skip
            if offsets is not None:
                Db -= D @ offsets
            step = np.concatenate([D.ravel(), Db]) if objective.fit_intercept else D.ravel()
            decrease = float(grad @ step)
            if penalty.l1:
                decrease += penalty.l1 * float(np.abs(coef + D).sum() - np.abs(coef).sum())
            found, _, reason = _newton_update(
                objective, w, value, grad, step, decrease, "coordinate descent step"
            )
            if found is None:
                break
            w, smooth, value, grad = found
            n_iter += 1
            optimality = objective.optimality(w, grad)
            if self.verbose:
                _print_iteration(self.name, n_iter, value, optimality)
        return SolverResult(w, n_iter, optimality, reason)


SOLVERS = {cls.name: cls for cls in (LbfgsSolver, NewtonCholeskySolver, NewtonCDSolver)}


def resolve_solver(solver, l1_ratio):
    """The solver's name for ``solver`` (``"auto"`` resolved), or a clear ValueError."""
    if solver == "auto":
        return "lbfgs" if l1_ratio == 0 else "newton-cd"
    if SOLVERS[solver].smooth_only and l1_ratio > 0:
        raise ValueError(
            f'solver="{solver}" supports only the L2 penalty (l1_ratio=0), got '
            f'l1_ratio={l1_ratio}. Use solver="newton-cd" (or "auto") for an L1 or '
            "elastic-net penalty."
        )
    return solver


def solve(objective, w0, *, solver, max_iter, tol, verbose=0):
    """Minimize ``objective`` from ``w0`` with the named solver; check convergence.

    Returns ``(w, n_iter, w_solver)``: ``w`` in canonical form
    (:meth:`PenalizedObjective.center`), ``w_solver`` the point where the solver stopped
    (its last evaluation, nearly always: the warm start of a path's next C, whose data
    term the data term remembers).
    Emits a ``ConvergenceWarning`` (scikit-learn's wording, and what to do) whenever the
    optimality measure at the result is above ``tol`` or not finite, whatever made the
    solver stop.
    """
    runner = SOLVERS[solver](max_iter=max_iter, tol=tol, verbose=verbose)
    with blas_single_thread():
        result = runner.solve(objective, w0)
    if not np.isfinite(result.w).all():
        raise FloatingPointError(
            f'solver="{solver}" produced non-finite coefficients. Scale the features (e.g. '
            "with StandardScaler) or increase the regularization (smaller C)."
        )
    if not result.optimality <= tol:
        warnings.warn(runner.failure_message(result), ConvergenceWarning, stacklevel=3)
    return objective.center(result.w), result.n_iter, result.w


def fit_linear(data, sw_sum, *, C, l1_ratio, solver, max_iter, tol, verbose=0, w0=None,
               return_solver_point=False):
    """Fit a linear model's data term under the elastic net of ``C`` and ``l1_ratio``.

    The one fit path of every estimator (and of each point of a regularization path):
    the penalty and the objective are made here, the solver resolved (``"auto"``, or a
    clear error for a solver that cannot take the penalty) and run from ``w0`` (zeros
    when None). Returns ``(w, n_iter)``, and ``w_solver`` (see :func:`solve`) third with
    ``return_solver_point=True``.
    """
    name = resolve_solver(solver, l1_ratio)
    objective = make_objective(data, sw_sum, C=C, l1_ratio=l1_ratio)
    if w0 is None:
        w0 = np.zeros(data.n_params, dtype=np.float64)
    w, n_iter, w_solver = solve(
        objective, w0, solver=name, max_iter=max_iter, tol=tol, verbose=verbose
    )
    return (w, n_iter, w_solver) if return_solver_point else (w, n_iter)
