"""One objective for every linear model of the package, and the L-BFGS-B driver.

A linear model here has raw predictions ``Z = X @ W.T + b`` (``W`` of shape
``(n_outputs, n_features)``) and a per-row loss computed, with its gradient with respect to
``Z``, by a compiled kernel. The objective scaled as scikit-learn scales it::

    f(W, b) = sum_i loss_i(Z_i) / S + ||W||^2 / (2 * C * S)

where ``S`` is the sum of the effective sample weights (``n_samples`` when there are none), so
that ``tol`` and ``max_iter`` mean what they mean in ``LogisticRegression``.

The parameter vector handed to L-BFGS-B is ``[W.ravel(), b]``: the intercept last.
"""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

__all__ = ["LinearObjective", "minimize_lbfgs", "effective_n_threads", "blas_single_thread"]


# Multiply-adds (rows x features x outputs) per evaluation below which one more thread costs
# more than it gains: measured on 2 cores, a second thread paid off from about 5e5.
_WORK_PER_THREAD = 2**18


def effective_n_threads(n_threads, work=None):
    """Threads for the compiled kernels.

    ``n_threads`` given: exactly that many. ``None``: every core this process may use
    (``OMP_NUM_THREADS`` caps it), but no more than one thread per ``_WORK_PER_THREAD``
    multiply-adds of ``work`` (the size of one evaluation), so that small problems do not pay
    for waking threads that have nothing to do.
    """
    if n_threads is not None:
        return int(n_threads)
    import os

    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) > 0:
        available = min(available, int(omp))
    if work is not None:
        available = min(available, int(work) // _WORK_PER_THREAD)
    return max(1, available)


_BLAS = None


def blas_single_thread():
    """Context manager that keeps every loaded BLAS on one thread.

    During a fit the threads are the kernels' (OpenMP); BLAS runs inside them (one gemm per
    row block) or between them. Idle BLAS threads spin-waiting beside the OpenMP ones
    oversubscribe the cores: measured on 2 cores, default threads made a 150-row fit 100 times
    slower and a 20,000 x 50 fit 2 to 10 times slower than with BLAS held to one thread, which
    was also the fastest setting at 100,000 x 100.
    """
    global _BLAS
    if _BLAS is None:  # made once, after scipy's and numpy's BLAS are loaded
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController().select(user_api="blas")
    return _BLAS.limit(limits=1)


class LinearObjective:
    """``(loss, gradient)`` of a linear model for L-BFGS-B, with every buffer allocated once.

    Parameters
    ----------
    X : {ndarray, CSR matrix} of shape (n_samples, n_features), float32 or float64
        Never copied nor modified.
    kernel : callable
        ``kernel(raw, grad_out, loss_out)``: fills ``grad_out`` (same shape as ``raw``, the
        derivative of each row's loss w.r.t. its raw predictions, weights included) and
        ``loss_out`` (each row's weighted loss, float64).
    n_outputs : int
        Number of raw predictions per row (1 for a single logit).
    fit_intercept : bool
    l2_reg_strength : float
        Coefficient of ``||W||^2 / 2`` (already divided by ``S``).
    sw_sum : float
        ``S``, the normalizer of the data term.
    """

    def __init__(self, X, kernel, *, n_outputs, fit_intercept, l2_reg_strength, sw_sum):
        self.X = X
        self.kernel = kernel
        self.n_outputs = n_outputs
        self.fit_intercept = fit_intercept
        self.l2_reg_strength = float(l2_reg_strength)
        self.sw_sum = float(sw_sum)
        n_samples, n_features = X.shape
        self.n_features = n_features
        self.n_coef = n_outputs * n_features
        self.n_params = self.n_coef + (n_outputs if fit_intercept else 0)
        dtype = X.dtype
        self.raw = np.empty((n_samples, n_outputs), dtype=dtype)
        self.grad_pointwise = np.empty((n_samples, n_outputs), dtype=dtype)
        self.loss_rows = np.empty(n_samples, dtype=np.float64)
        # Coefficients and their gradient in X's dtype, for BLAS (a no-op cast for float64).
        self._coef = np.empty((n_outputs, n_features), dtype=dtype)
        self._grad_coef = np.empty((n_outputs, n_features), dtype=dtype)
        self._sparse = sp.issparse(X)
        self.last_w = None
        self.last_grad = None

    def split(self, w):
        """Views of ``w`` as (coef of shape (n_outputs, n_features), intercept or None)."""
        coef = w[: self.n_coef].reshape(self.n_outputs, self.n_features)
        intercept = w[self.n_coef :] if self.fit_intercept else None
        return coef, intercept

    def raw_prediction(self, w):
        """Fill and return ``self.raw = X @ coef.T + intercept``."""
        coef, intercept = self.split(w)
        self._coef[...] = coef
        if self._sparse:
            self.raw[...] = self.X @ self._coef.T
        else:
            np.matmul(self.X, self._coef.T, out=self.raw)
        if intercept is not None:
            self.raw += intercept.astype(self.raw.dtype, copy=False)
        return self.raw

    def __call__(self, w):
        """Objective value and gradient at ``w`` (float64 array of shape (n_params,))."""
        coef, _ = self.split(w)
        raw = self.raw_prediction(w)
        G = self.grad_pointwise
        self.kernel(raw, G, self.loss_rows)
        inv_s = 1.0 / self.sw_sum
        l2 = self.l2_reg_strength
        flat_coef = w[: self.n_coef]
        loss = self.loss_rows.sum() * inv_s + 0.5 * l2 * float(flat_coef @ flat_coef)

        grad = np.empty_like(w)
        if self._sparse:
            self._grad_coef[...] = (self.X.T @ G).T
        else:
            np.matmul(G.T, self.X, out=self._grad_coef)
        gc = grad[: self.n_coef].reshape(self.n_outputs, self.n_features)
        np.multiply(self._grad_coef, inv_s, out=gc)
        if l2:
            gc += l2 * coef
        if self.fit_intercept:
            grad[self.n_coef :] = G.sum(axis=0, dtype=np.float64) * inv_s
        self.last_w = w
        self.last_grad = grad
        return loss, grad


def minimize_lbfgs(objective, w0, *, max_iter, tol, verbose=0, solver_name="lbfgs"):
    """Run scipy's L-BFGS-B with scikit-learn's ``LogisticRegression`` options.

    Returns ``(w, n_iter, result)``. A ``ConvergenceWarning`` is emitted when L-BFGS-B
    stops without converging.
    """
    callback = None
    if verbose:

        def callback(intermediate_result):
            callback.k += 1
            x = intermediate_result.x
            if objective.last_w is not None and np.array_equal(objective.last_w, x):
                g = objective.last_grad
            else:
                g = objective(x)[1]
            print(
                f"[{solver_name}] iteration {callback.k:4d}  objective {intermediate_result.fun:.10g}"
                f"  |grad|_inf {np.max(np.abs(g)) if g.size else 0.0:.4g}",
                flush=True,
            )

        callback.k = 0

    with blas_single_thread():
        result = minimize(
            objective,
            w0,
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={
                "maxiter": max_iter,
                "maxls": 50,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
    n_iter = min(result.nit, max_iter)
    if result.status != 0:
        import warnings

        warnings.warn(
            f"L-BFGS-B failed to converge after {n_iter} iteration(s) (status={result.status}: "
            f"{result.message}). Increase max_iter, scale the data (e.g. StandardScaler), or "
            "increase regularization (smaller C).",
            ConvergenceWarning,
            stacklevel=3,
        )
    return result.x, n_iter, result
