"""
=====================================================================
Observations in [0, 1]: binary cross-entropy or continuous Bernoulli
=====================================================================

Binary cross-entropy is the right loss when a target in [0, 1] is a *probability* (the
share of annotators who said "yes"). When the target is an *observation* that happens to lie
in [0, 1] (a pixel intensity, a fraction of a quantity), the matching likelihood is the
continuous Bernoulli of Loaiza-Ganem & Cunningham (2019)::

    p(y | lam) = C(lam) * lam**y * (1 - lam)**(1 - y),   0 <= y <= 1,

whose normalizer ``C(lam)`` binary cross-entropy leaves out. Its mean is not ``lam``: it lies
between ``lam`` and 1/2. We simulate data from a continuous Bernoulli model with a known
linear logit and fit:

* :class:`~skfuzzy_ce.SoftLabelLogisticRegression` on the 1-D targets (binary cross-entropy,
  each ``y`` read as P(class 1)), whose prediction is ``sigmoid(x w + b)``;
* :class:`~skfuzzy_ce.ContinuousBernoulliRegression`, whose ``predict`` is the mean of the
  fitted distribution and ``predict_lambda`` its parameter ``lam``.
"""

# %%
# Data from a known continuous Bernoulli model
# --------------------------------------------
# The density is proportional to ``exp(eta * y)`` on [0, 1] with ``eta = logit(lam)``, so its
# CDF is ``expm1(eta * y) / expm1(eta)`` and inverse-CDF sampling turns uniform draws into
# samples (``eta = 0`` is the uniform distribution).
import matplotlib.pyplot as plt
import numpy as np

from skfuzzy_ce import ContinuousBernoulliRegression, SoftLabelLogisticRegression
from skfuzzy_ce.metrics import continuous_bernoulli_log_loss


def sample_continuous_bernoulli(eta, rng):
    """Inverse-CDF sampling; the symmetry y -> 1 - y, eta -> -eta avoids overflow."""
    u = rng.uniform(size=eta.shape)
    a = -np.abs(eta)
    safe = np.where(a == 0, -1.0, a)
    y = np.where(a == 0, u, np.log1p(u * np.expm1(safe)) / safe)
    return np.where(eta > 0, 1 - y, y)


def cb_mean(eta):
    """Mean of the continuous Bernoulli with logit eta (eta != 0)."""
    return 1 / (1 - np.exp(-eta)) - 1 / eta


rng = np.random.default_rng(0)
w_true, b_true = 4.0, -1.0
x = rng.uniform(-3, 3, size=3000)
X = x[:, None]
y = sample_continuous_bernoulli(w_true * x + b_true, rng)

# %%
# Fit both models
# ---------------
bce = SoftLabelLogisticRegression(C=np.inf).fit(X, y)
cb = ContinuousBernoulliRegression(C=np.inf).fit(X, y)
print(f"true logit:                 w = {w_true:.3f}, b = {b_true:.3f}")
print(f"continuous Bernoulli logit: w = {cb.coef_[0]:.3f}, b = {cb.intercept_:.3f}")
print(f"binary cross-entropy logit: w = {bce.coef_[0, 0]:.3f}, b = {bce.intercept_[0]:.3f}")

# %%
# Compare the fitted means with the true mean
# -------------------------------------------
# Binary cross-entropy fits the mean directly with a sigmoid curve, which approaches 0 and 1
# exponentially fast. The continuous Bernoulli mean approaches them only like ``1 / |eta|``,
# so the sigmoid is too steep in the middle and too close to 0 and 1 in the tails. Reading
# ``lam`` as the prediction (a common mistake with this distribution) is much worse.
grid = np.linspace(-3, 3, 400)
G = grid[:, None]
eta_grid = w_true * grid + b_true
true_mean = cb_mean(np.where(eta_grid == 0, 1e-12, eta_grid))
mean_cb = cb.predict(G)
mean_bce = bce.predict_proba(G)[:, 1]
lam_cb = cb.predict_lambda(G)

for name, m in [("continuous Bernoulli mean", mean_cb), ("binary cross-entropy", mean_bce),
                ("continuous Bernoulli lam", lam_cb)]:
    print(f"{name:27s} max |fitted - true mean| = {np.max(np.abs(m - true_mean)):.4f}")

x_test = rng.uniform(-3, 3, size=3000)
y_test = sample_continuous_bernoulli(w_true * x_test + b_true, rng)
nll = continuous_bernoulli_log_loss(y_test, cb.predict_lambda(x_test[:, None]))
print(f"held-out continuous Bernoulli negative log-likelihood: {nll:.4f} nats per sample")

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.2))
ax0.scatter(x[::6], y[::6], s=4, color="0.75", label="observations")
ax0.plot(grid, true_mean, color="k", lw=2, label="true mean")
ax0.plot(grid, mean_cb, color="C0", ls="--", label="continuous Bernoulli: predict")
ax0.plot(grid, mean_bce, color="C3", label="binary cross-entropy: sigmoid")
ax0.plot(grid, lam_cb, color="C0", ls=":", label="continuous Bernoulli: lam")
ax0.set_xlabel("x")
ax0.set_ylabel("y")
ax0.legend(fontsize=8, loc="upper left")
ax0.set_title("Fitted means")
ax1.axhline(0, color="k", lw=1)
ax1.plot(grid, mean_cb - true_mean, color="C0", ls="--", label="continuous Bernoulli")
ax1.plot(grid, mean_bce - true_mean, color="C3", label="binary cross-entropy")
ax1.set_xlabel("x")
ax1.set_ylabel("fitted mean - true mean")
ax1.legend(fontsize=8)
ax1.set_title("Where the fitted means differ")
fig.tight_layout()
plt.show()
