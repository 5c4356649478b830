"""The one-pass blocked objective (issue 7) against a two-pass numpy reference and
independent formulas (numpy/scipy, finite differences), for each kind of row loss."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, log_softmax, softmax

from skfuzzy_ce import _cpu_dispatch
from skfuzzy_ce._cb_math import cb_mean_logit, cb_nll_logit
from skfuzzy_ce._fused_objective import (
    FusedLinearObjective,
    block_rows_for_cache,
    cache_size_bytes,
)
from skfuzzy_ce._objective import make_objective

# (kind, number of target columns): a single logit, a softmax, sigmoids, continuous Bernoulli.
CASES = [("softmax", 2), ("softmax", 4), ("sigmoids", 4), ("continuous_bernoulli", 1)]
CASE_IDS = [f"{kind}-{K}" for kind, K in CASES]
# At least 8 outputs: the CSR logits go in tiles of 8 (the last overlapping the one before
# for 10 and 17), fewer take one output-wide loop. A softmax over 40 outputs of float64 X
# works row by row (block_multinomial_rows).
WIDE = [("softmax", 8), ("softmax", 10), ("sigmoids", 17), ("softmax", 40)]
WIDE_IDS = [f"{kind}-{K}" for kind, K in WIDE]

# Every test here runs once per CPU variant of the kernels that this machine runs.
pytestmark = pytest.mark.usefixtures("cpu_variant")


def kernels():
    """The compiled kernel modules in use (the variant under test)."""
    return _cpu_dispatch.active()


def make_problem(
    n, d, K, *, dtype=np.float64, sparse=False, index_dtype=np.int32, seed=0, kind="softmax"
):
    """X, targets, sample and class weights. Targets: soft labels (rows are distributions)
    for a softmax, independent probabilities for sigmoids, one column in [0, 1] (K = 1) for
    the continuous Bernoulli (whose class weight is 1)."""
    rng = np.random.RandomState(seed)
    if sparse:
        X = sp.random(n, d, density=0.2, random_state=rng, format="csr", dtype=np.float64)
        X.data = rng.randn(X.nnz)
        X = X.astype(dtype)
        # Set after construction: scipy downcasts the index arrays whenever it can.
        X.indices = X.indices.astype(index_dtype)
        X.indptr = X.indptr.astype(index_dtype)
    else:
        X = rng.randn(n, d).astype(dtype)
    if kind == "softmax":
        Y = rng.dirichlet(np.ones(K), size=n)
    else:
        Y = rng.uniform(size=(n, K))
        Y[::5] = np.round(Y[::5])  # some exact 0 and 1 targets
    Y = np.ascontiguousarray(Y, dtype=dtype)
    sw = rng.uniform(0.0, 2.0, n)
    cw = np.ones(1) if kind == "continuous_bernoulli" else rng.uniform(0.5, 2.0, K)
    return X, Y, sw, cw


def _rows_numpy(kind, Z, Y, sw, cw):
    """Per-row losses (summed over the outputs) and d loss / d Z, with numpy/scipy (float64)."""
    if kind == "sigmoids":
        W = sw[:, None] * cw
        loss = W * (Y * np.logaddexp(0, -Z) + (1 - Y) * np.logaddexp(0, Z))
        return loss.sum(axis=1), W * (expit(Z) - Y)
    if kind == "continuous_bernoulli":
        eta, y = Z[:, 0], Y[:, 0]
        return sw * cb_nll_logit(y, eta), (sw * (cb_mean_logit(eta) - y))[:, None]
    if Y.shape[1] == 2:  # softmax of two classes: a single logit
        z = Z[:, 0]
        a, b = sw * cw[1] * Y[:, 1], sw * cw[0] * Y[:, 0]
        loss = a * np.logaddexp(0, -z) + b * np.logaddexp(0, z)
        return loss, ((a + b) * expit(z) - a)[:, None]
    T = sw * (Y @ cw)
    loss = -(sw[:, None] * cw * Y * log_softmax(Z, axis=1)).sum(axis=1)
    return loss, T[:, None] * softmax(Z, axis=1) - sw[:, None] * cw * Y


class NumpyObjective:
    """The two-pass objective the fused kernels replace: ``X @ W.T`` and ``G.T @ X`` by numpy
    in X's precision, the row losses and G by numpy/scipy formulas in float64."""

    def __init__(self, X, Y, sw, cw, *, kind, n_outputs, fit_intercept, l2_reg_strength, sw_sum):
        self.X, self.Y, self.sw, self.cw, self.kind = X, Y.astype(np.float64), sw, cw, kind
        self.n_outputs, self.fit_intercept = n_outputs, fit_intercept
        self.l2, self.sw_sum = l2_reg_strength, sw_sum
        self.n_features = X.shape[1]
        self.n_coef = n_outputs * self.n_features
        self.n_params = self.n_coef + (n_outputs if fit_intercept else 0)

    def __call__(self, w):
        dtype = self.X.dtype
        coef = w[: self.n_coef].reshape(self.n_outputs, self.n_features)
        Z = np.asarray(self.X @ coef.astype(dtype).T)
        if self.fit_intercept:
            Z = Z + w[self.n_coef :].astype(dtype)
        loss_rows, G = _rows_numpy(self.kind, Z.astype(np.float64), self.Y, self.sw, self.cw)
        G = G.astype(dtype)
        loss = loss_rows.sum() / self.sw_sum + 0.5 * self.l2 * float(coef.ravel() @ coef.ravel())
        grad_coef = np.asarray(self.X.T @ G).T.astype(np.float64) / self.sw_sum + self.l2 * coef
        grad = [grad_coef.ravel()]
        if self.fit_intercept:
            grad.append(G.sum(axis=0, dtype=np.float64) / self.sw_sum)
        return loss, np.concatenate(grad)


def objectives(
    X, Y, sw, cw, *, fit_intercept=True, l2=0.01, n_threads=1, block_rows=None, kind="softmax"
):
    """The numpy reference objective and the fused one on the same problem."""
    K = Y.shape[1]
    n_out = 1 if (K == 2 and kind == "softmax") else K
    sw_sum = float(sw @ (Y @ cw)) if kind == "softmax" else float(sw.sum())
    common = dict(n_outputs=n_out, fit_intercept=fit_intercept)
    ref = NumpyObjective(X, Y, sw, cw, kind=kind, l2_reg_strength=l2, sw_sum=sw_sum, **common)
    data = FusedLinearObjective(
        X, Y, sw, cw, n_threads=n_threads, block_rows=block_rows, kind=kind, **common
    )
    # The data term under an L2 penalty of strength l2 (C = 1 / (l2 S)), scaled by 1 / S.
    C = np.inf if l2 == 0 else 1.0 / (l2 * sw_sum)
    return ref, make_objective(data, sw_sum, C=C, l1_ratio=0.0)


def random_w(obj, seed=1, scale=0.5):
    return np.random.RandomState(seed).randn(obj.n_params) * scale


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kind, K", CASES + WIDE, ids=CASE_IDS + WIDE_IDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_equals_numpy_reference_float64(sparse, kind, K, fit_intercept, n_threads):
    X, Y, sw, cw = make_problem(537, 13, K, sparse=sparse, kind=kind)
    ref, fused = objectives(
        X, Y, sw, cw, fit_intercept=fit_intercept, n_threads=n_threads, block_rows=40, kind=kind
    )
    assert fused.n_params == ref.n_params and fused.n_coef == ref.n_coef
    w = random_w(ref)
    loss_ref, grad_ref = ref(w)
    loss, grad = fused(w)
    assert_allclose(loss, loss_ref, rtol=1e-10)
    assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-12 * np.abs(grad_ref).max())
    coef, intercept = fused.split(w)
    assert coef.shape == (fused.n_outputs, 13)
    assert (intercept is None) == (not fit_intercept)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kind, K", CASES, ids=CASE_IDS)
def test_float32_close_to_float64(sparse, kind, K):
    X, Y, sw, cw = make_problem(800, 11, K, sparse=sparse, kind=kind)
    _, fused64 = objectives(X, Y, sw, cw, n_threads=2, block_rows=64, kind=kind)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    ref32, fused32 = objectives(X32, Y32, sw, cw, n_threads=2, block_rows=64, kind=kind)
    w = random_w(fused64)
    loss64, grad64 = fused64(w)
    loss32, grad32 = fused32(w)
    loss_r32, grad_r32 = ref32(w)
    scale = np.abs(grad64).max()
    assert grad32.dtype == np.float64
    assert_allclose(loss32, loss64, rtol=1e-6)
    assert_allclose(grad32, grad64, rtol=1e-5, atol=1e-5 * scale)
    # The fused float32 objective and the numpy one in float32 agree as closely.
    assert_allclose(loss32, loss_r32, rtol=1e-6)
    assert_allclose(grad32, grad_r32, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kind, K", CASES + WIDE, ids=CASE_IDS + WIDE_IDS)
def test_independent_of_thread_count_and_repeatable(sparse, kind, K):
    # Chunks come from the problem's shape only: bitwise equal for every thread count.
    X, Y, sw, cw = make_problem(1500, 9, K, sparse=sparse, kind=kind)
    results = []
    for n_threads in [1, 2, 3, 2]:
        _, fused = objectives(X, Y, sw, cw, n_threads=n_threads, block_rows=24, kind=kind)
        assert fused.data.n_chunks > 1
        w = random_w(fused)
        results.append(fused(w))
        results.append(fused(w))
    for loss, grad in results[1:]:
        assert loss == results[0][0]
        assert_array_equal(grad, results[0][1])


@pytest.mark.parametrize("block_rows", [1, 7, 64, 10_000])
def test_block_size_changes_rounding_only(block_rows):
    X, Y, sw, cw = make_problem(301, 6, 3)
    ref, fused = objectives(X, Y, sw, cw, n_threads=2, block_rows=block_rows)
    w = random_w(ref)
    assert_allclose(fused(w)[0], ref(w)[0], rtol=1e-12)
    assert_allclose(fused(w)[1], ref(w)[1], rtol=1e-10, atol=1e-14)
    assert 1 <= fused.data.block_rows <= 301


def test_against_formula_and_finite_differences():
    # Independent reference: scipy's log_softmax, and central differences of the loss.
    X, Y, sw, cw = make_problem(60, 4, 3, seed=3)
    l2 = 0.05
    _, fused = objectives(X, Y, sw, cw, l2=l2, block_rows=16)
    S = float(sw @ (Y @ cw))
    w = random_w(fused, seed=4)
    coef, intercept = fused.split(w)
    Z = X @ coef.T + intercept
    expected = -(sw[:, None] * cw * Y * log_softmax(Z, axis=1)).sum() / S
    expected += 0.5 * l2 * (coef**2).sum()
    loss, grad = fused(w)
    assert_allclose(loss, expected, rtol=1e-12)
    G = sw[:, None] * ((Y @ cw)[:, None] * softmax(Z, axis=1) - cw * Y) / S
    assert_allclose(grad[: fused.n_coef], (G.T @ X + l2 * coef).ravel(), rtol=1e-10)
    assert_allclose(grad[fused.n_coef :], G.sum(axis=0), rtol=1e-10, atol=1e-14)
    eps = 1e-6
    fd = np.empty_like(w)
    for j in range(w.size):
        e = np.zeros_like(w)
        e[j] = eps
        fd[j] = (fused(w + e)[0] - fused(w - e)[0]) / (2 * eps)
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_binary_single_logit_matches_sigmoid_formula():
    X, Y, sw, cw = make_problem(90, 5, 2, seed=5)
    _, fused = objectives(X, Y, sw, cw, l2=0.0, block_rows=32)
    w = random_w(fused, seed=6)
    coef, intercept = fused.split(w)
    z = X @ coef[0] + intercept[0]
    a, b = sw * cw[1] * Y[:, 1], sw * cw[0] * Y[:, 0]
    S = float(sw @ (Y @ cw))
    expected = (a * np.logaddexp(0, -z) + b * np.logaddexp(0, z)).sum() / S
    assert_allclose(fused(w)[0], expected, rtol=1e-12)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kind, K", CASES, ids=CASE_IDS)
def test_extreme_logits_stay_finite(sparse, kind, K):
    X, Y, sw, cw = make_problem(200, 3, K, seed=7, sparse=sparse, kind=kind)
    ref, fused = objectives(X, Y, sw, cw, block_rows=50, kind=kind)
    w = random_w(ref, scale=400.0)  # logits of order 1e3: exp would overflow naively
    loss_ref, grad_ref = ref(w)
    loss, grad = fused(w)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert_allclose(loss, loss_ref, rtol=1e-10)
    assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-10 * np.abs(grad_ref).max())


def test_read_only_inputs_and_not_modified():
    X, Y, sw, cw = make_problem(120, 4, 3)
    for a in (X, Y, sw, cw):
        a.flags.writeable = False
    copies = [a.copy() for a in (X, Y, sw, cw)]
    Xs = sp.csr_matrix(X)
    for a in (Xs.data, Xs.indices, Xs.indptr):
        a.flags.writeable = False
    for data in (X, Xs):
        ref, fused = objectives(data, Y, sw, cw, n_threads=2, block_rows=16)
        w = random_w(ref)
        assert_allclose(fused(w)[0], ref(w)[0], rtol=1e-12)
    for a, b in zip((X, Y, sw, cw), copies):
        assert_array_equal(a, b)


def test_csr_int64_indices_and_tiny_problems():
    X, Y, sw, cw = make_problem(50, 7, 3, sparse=True, index_dtype=np.int64)
    assert X.indices.dtype == np.int64
    ref, fused = objectives(X, Y, sw, cw, n_threads=2)
    w = random_w(ref)
    assert_allclose(fused(w)[1], ref(w)[1], rtol=1e-10, atol=1e-14)
    # One row, one feature: a single block and a single chunk.
    X1, Y1, sw1, cw1 = make_problem(1, 1, 3)
    ref, fused = objectives(X1, Y1, sw1, cw1, n_threads=2)
    assert fused.data.n_chunks == 1 and fused.data.block_rows == 1
    w = random_w(ref)
    assert_allclose(fused(w)[1], ref(w)[1], rtol=1e-10, atol=1e-14)


def test_bad_n_outputs():
    X, Y, sw, cw = make_problem(10, 2, 3)
    with pytest.raises(ValueError, match="n_outputs=1 does not fit 3 classes"):
        FusedLinearObjective(X, Y, sw, cw, n_outputs=1, fit_intercept=True)


def test_cache_and_block_size_helpers():
    assert cache_size_bytes(2) >= 16 * 1024
    for d, K, itemsize in [(20, 3, 8), (100, 10, 8), (100, 10, 4), (10_000, 100, 8)]:
        rows = block_rows_for_cache(d, K, itemsize)
        assert rows % 8 == 0 and 16 <= rows <= 4096
    # Larger caches give larger blocks; float32 blocks hold more rows.
    assert block_rows_for_cache(100, 10, 8, 2**21) > block_rows_for_cache(100, 10, 8, 2**18)
    assert block_rows_for_cache(100, 10, 4, 2**20) > block_rows_for_cache(100, 10, 8, 2**20)
    # Within [128, 256] rows, and the gemms' rows * d * K within 1e6 (OpenBLAS's small-matrix
    # kernels) where the 16-row minimum allows.
    for d, K in [(20, 3), (20, 10), (20, 100), (100, 10), (100, 100), (500, 10), (2000, 10)]:
        for itemsize in (4, 8):
            for cache in (2**18, 2**20, 2**23):
                rows = block_rows_for_cache(d, K, itemsize, cache)
                assert rows * d * K <= 1_000_000 or rows == 16
                assert rows <= 256
                if 128 * d * K <= 1_000_000:
                    assert rows >= 128
    assert block_rows_for_cache(20, 3, 8, 2**20) == 256  # the eighth of L2 would be 624
    assert block_rows_for_cache(100, 100, 8, 2**20) == 96  # 48; the gemm bound is 100


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-760.0, 0.0), min_size=1, max_size=50))
def test_inline_exp_within_three_ulp(values):
    x = np.array(values + [0.0, -1e-300, -708.0, -745.0])
    out = np.empty_like(x)
    kernels().fused._exp_nonpos(x, out)
    expected = np.exp(x)
    normal = expected > 2.3e-308
    assert_allclose(out[normal], expected[normal], rtol=3 * np.finfo(float).eps, atol=0)
    assert np.all(np.abs(out[~normal] - expected[~normal]) < 2.3e-308)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_out", [1, 3, 10])
def test_clipped_log_loss_rows_is_the_soft_log_loss_of_the_probabilities(n_out, dtype):
    """The held-out score's per-row cross-entropy from raw predictions: predict_proba's
    probabilities (a softmax; a single logit's [1 - p, p]) clipped to the dtype's eps, as
    soft_log_loss computes it, also where the clip binds (logits of +-1e3)."""
    rng = np.random.RandomState(1)
    n = 400
    Z = (rng.randn(n, n_out) * np.where(rng.rand(n, 1) < 0.2, 400.0, 2.0)).astype(dtype)
    Z[:5] = [1e3], [-1e3], [40.0], [-40.0], [0.0]
    K = max(2, n_out)
    Y = rng.dirichlet(np.ones(K), size=n)
    Y[::7] = np.eye(K)[rng.randint(K, size=len(Y[::7]))]  # some hard rows: zeros in Y
    if n_out == 1:
        p1 = expit(Z[:, 0])
        P = np.column_stack([1 - p1, p1])
    else:
        P = softmax(Z, axis=1)
    eps = np.finfo(dtype).eps
    expected = -(Y * np.log(np.clip(P, eps, 1 - eps).astype(np.float64))).sum(axis=1)
    out = np.full(n, np.nan)
    kernels().fused.clipped_log_loss_rows(
        np.ascontiguousarray(Z.T), np.ascontiguousarray(Y.T), float(eps),
        np.empty((2 + n_out) * n), out,
    )
    # float32: each probability is rounded to float once, numpy's float32 softmax a few
    # times (a few float ulps of p, relative, in each log term).
    rtol, atol = (1e-13, 1e-15) if dtype == np.float64 else (1e-5, 1e-6)
    assert_allclose(out, expected, rtol=rtol, atol=atol)


def test_inline_log_within_two_ulp():
    # The softmax's log of its row sums (in [1, K]), on every binade of the normal doubles,
    # densely near 1 (where log x is small: relative accuracy kept) and around sqrt(2) (the
    # reduction's switch).
    rng = np.random.RandomState(0)
    x = np.concatenate([
        1.0 + np.geomspace(1e-16, 1.0, 20_000), 1.0 - np.geomspace(1e-16, 0.5, 20_000),
        np.sqrt(2) * (1 + np.linspace(-1e-12, 1e-12, 2001)), rng.uniform(1.0, 200.0, 100_000),
        np.ldexp(rng.uniform(1.0, 2.0, 20_000), rng.randint(-1021, 1024, 20_000)),
        [1.0, 2.0, 0.5, np.finfo(float).tiny, np.finfo(float).max, np.e, 10.0],
    ])
    out = np.empty_like(x)
    kernels().fused._log_pos(x, out)
    expected = np.log(x)
    assert out[x == 1.0].tolist() == [0.0] * int((x == 1.0).sum())
    nonzero = expected != 0
    ulp = np.spacing(np.abs(expected[nonzero]))
    assert np.all(np.abs(out[nonzero] - expected[nonzero]) <= 2 * ulp)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-100.0, 0.0, width=32), min_size=1, max_size=50))
def test_inline_expf_within_two_ulp(values):
    # The float32 kernels' exp, computed in float (measured: at most 1.22 float ulps over
    # every float in [-87.33, 0]); 0 below the smallest normal float.
    x = np.array(values + [0.0, -1e-30, -87.0, -87.5, -1e4], dtype=np.float32)
    out = np.empty_like(x)
    kernels().fused._expf_nonpos(x, out)
    expected = np.exp(x.astype(np.float64))
    normal = expected > np.finfo(np.float32).tiny
    ulp = np.spacing(expected[normal].astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(out[normal] - expected[normal]) <= 2 * ulp)
    assert np.all(out[~normal] == 0)
    nan = np.array([np.nan], dtype=np.float32)
    kernels().fused._expf_nonpos(nan, nan)
    assert np.isnan(nan[0])


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kind, K", CASES, ids=CASE_IDS)
def test_float32_huge_logits_stay_finite(kind, K, sparse):
    # Logits of order 1e4 in float32: the float exp underflows to 0 where it must, the loss
    # keeps its huge terms exactly (no cancellation), 0 log 0 = 0.
    X, Y, sw, cw = make_problem(300, 3, K, seed=7, sparse=sparse, kind=kind)
    Y[::7] = 0.0
    Y[::7, 0] = 1.0  # one-hot rows: zero targets on classes of probability exp(-1e4)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    _, fused64 = objectives(
        X32.astype(np.float64), Y32.astype(np.float64), sw, cw, block_rows=50, kind=kind
    )
    _, fused32 = objectives(X32, Y32, sw, cw, block_rows=50, kind=kind)
    w = random_w(fused64, scale=4000.0)
    coef, intercept = fused64.split(w)
    assert np.abs(X32 @ coef.T + intercept).max() > 1e4
    loss64, grad64 = fused64(w)
    loss32, grad32 = fused32(w)
    assert np.isfinite(loss32) and np.all(np.isfinite(grad32))
    assert_allclose(loss32, loss64, rtol=1e-6)
    assert_allclose(grad32, grad64, rtol=1e-5, atol=1e-5 * np.abs(grad64).max())


@pytest.mark.parametrize("K", [2, 3])
def test_estimator_uses_fused_objective_and_thread_count_is_invisible(K):
    from skfuzzy_ce import SoftLabelLogisticRegression

    X, Y, sw, _ = make_problem(400, 5, K, seed=8)
    clf = SoftLabelLogisticRegression(n_threads=1)
    _, objective, _ = clf._make_objective(X, Y, sw, reset=True)
    assert isinstance(objective.data, FusedLinearObjective)
    fits = [SoftLabelLogisticRegression(n_threads=t).fit(X, Y, sample_weight=sw) for t in (1, 2)]
    assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert_array_equal(fits[0].intercept_, fits[1].intercept_)


# ------------------------------------------- independent sigmoids, continuous Bernoulli
@pytest.mark.parametrize("kind, K", CASES + WIDE, ids=CASE_IDS + WIDE_IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_and_csr_agree(kind, K, dtype):
    X, Y, sw, cw = make_problem(700, 11, K, sparse=True, dtype=dtype, kind=kind)
    _, fused_csr = objectives(X, Y, sw, cw, n_threads=2, kind=kind)
    _, fused_dense = objectives(X.toarray(), Y, sw, cw, n_threads=2, kind=kind)
    w = random_w(fused_csr)
    loss_s, grad_s = fused_csr(w)
    loss_d, grad_d = fused_dense(w)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert_allclose(loss_s, loss_d, rtol=rtol)
    assert_allclose(grad_s, grad_d, rtol=100 * rtol, atol=100 * rtol * np.abs(grad_d).max())


def test_bad_kind_and_outputs():
    X, Y, sw, cw = make_problem(10, 2, 3)
    common = dict(fit_intercept=True)
    with pytest.raises(ValueError, match="kind='tanh'"):
        FusedLinearObjective(X, Y, sw, cw, n_outputs=3, kind="tanh", **common)
    with pytest.raises(ValueError, match="one output per target column"):
        FusedLinearObjective(X, Y, sw, cw, n_outputs=1, kind="sigmoids", **common)
    with pytest.raises(ValueError, match="a single one for the continuous Bernoulli"):
        FusedLinearObjective(X, Y, sw, cw, n_outputs=3, kind="continuous_bernoulli", **common)


def test_bce_and_cb_estimators_use_fused_objective_and_threads_are_invisible():
    from skfuzzy_ce import ContinuousBernoulliRegression, SoftLabelLogisticRegression

    X, Y, sw, _ = make_problem(400, 5, 3, seed=8, kind="sigmoids")
    _, objective, _ = SoftLabelLogisticRegression(loss="binary_cross_entropy")._make_objective(
        X, Y, sw, reset=True
    )
    assert isinstance(objective.data, FusedLinearObjective) and objective.data.kind == "sigmoids"
    fits = [
        SoftLabelLogisticRegression(loss="binary_cross_entropy", n_threads=t).fit(X, Y, sw)
        for t in (1, 2)
    ]
    assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert_array_equal(fits[0].intercept_, fits[1].intercept_)
    y = Y[:, 0]
    _, objective = ContinuousBernoulliRegression()._make_objective(X, y, sw)
    assert isinstance(objective.data, FusedLinearObjective)
    assert objective.data.kind == "continuous_bernoulli"
    fits = [ContinuousBernoulliRegression(n_threads=t).fit(X, y, sw) for t in (1, 2)]
    assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert fits[0].intercept_ == fits[1].intercept_


def test_the_last_evaluation_is_remembered_bitwise_and_copied():
    X, Y, sw, cw = make_problem(300, 7, 4)
    ref, fused = objectives(X, Y, sw, cw)
    data = fused.data
    w = random_w(ref)
    loss, grad = data.loss_gradient(w)
    grad[:] = np.nan  # the caller's array: the remembered one is a copy
    again_loss, again = data.loss_gradient(w.copy())
    assert again_loss == loss and np.isfinite(again).all()
    assert_array_equal(again, data._loss_gradient(w)[1])
    other = w + 0.25  # another point: evaluated anew, not the remembered one
    assert_array_equal(data.loss_gradient(other)[1], data._loss_gradient(other)[1])
    assert not np.array_equal(data.loss_gradient(other)[1], again)


class _SoftmaxTiles:
    """The AVX-512 variant's register-tile softmax block switched on or off (restored)."""

    def __init__(self, on):
        self.on = on

    def __enter__(self):
        self.previous = kernels().fused.set_softmax_tiles(self.on)

    def __exit__(self, *exc):
        kernels().fused.set_softmax_tiles(self.previous)


def _tiles_or_skip():
    if not kernels().fused.softmax_tiles_available():
        pytest.skip("the register-tile softmax block is in the AVX-512 variant only")


def _fused_softmax(n, d, K, *, fit_intercept=True, n_threads=1, block_rows=None, seed=0):
    X, Y, sw, cw = make_problem(n, d, K, seed=seed)
    Y[::3, 0] = 0.0  # exact zero targets (rows no longer sum to one: allowed here)
    data = FusedLinearObjective(
        X, Y, sw, cw, n_outputs=K, fit_intercept=fit_intercept, n_threads=n_threads,
        block_rows=block_rows,
    )  # fmt: skip
    return data


def _both_paths(data, w):
    with _SoftmaxTiles(False):
        blas = data._loss_gradient(w)
    with _SoftmaxTiles(True):
        tiles = data._loss_gradient(w.copy())
    return blas, tiles


# (outputs, features) taken by the tiles: 2 to 4 outputs, outputs * ceil(d / 8) <= 9;
# d = 1, 8, 9 and 20 exercise one, whole and partial vectors of features.
TILE_SHAPES = [(2, 1), (2, 32), (3, 8), (3, 9), (3, 20), (3, 24), (4, 5), (4, 16)]


@pytest.mark.parametrize("K, d", TILE_SHAPES, ids=[f"K{K}-d{d}" for K, d in TILE_SHAPES])
@pytest.mark.parametrize("n", [1, 13, 300])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_softmax_tiles_agree_with_the_blas_block_path(K, d, n, fit_intercept):
    # The tiles sum the products in another order than BLAS: equal to rounding, measured
    # up to 4e-15 relative here; n = 13 and 300 end on a partial group of 8 rows.
    _tiles_or_skip()
    data = _fused_softmax(n, d, K, fit_intercept=fit_intercept, block_rows=64)
    w = random_w(data, scale=0.7)
    (loss_b, grad_b), (loss_t, grad_t) = _both_paths(data, w)
    assert_allclose(loss_t, loss_b, rtol=1e-13)
    assert_allclose(grad_t, grad_b, rtol=1e-12, atol=1e-13 * np.abs(grad_b).max())
    if n == 300 and d > 1:
        # The two paths really differ (summation orders), so the tiles did run.
        assert not np.array_equal(grad_t, grad_b)


def test_softmax_tiles_independent_of_thread_count_and_extreme_logits():
    _tiles_or_skip()
    results = []
    for n_threads in [1, 2, 3]:
        data = _fused_softmax(2000, 20, 3, n_threads=n_threads, block_rows=40)
        assert data.n_chunks > 1
        results.append(data._loss_gradient(random_w(data)))
    for loss, grad in results[1:]:
        assert loss == results[0][0]
        assert_array_equal(grad, results[0][1])
    data = _fused_softmax(200, 20, 3, block_rows=64)
    w = random_w(data, scale=400.0)  # logits of order 1e4
    (loss_b, grad_b), (loss_t, grad_t) = _both_paths(data, w)
    assert np.isfinite(loss_t) and np.all(np.isfinite(grad_t))
    assert_allclose(loss_t, loss_b, rtol=1e-12)
    assert_allclose(grad_t, grad_b, rtol=1e-10, atol=1e-12 * np.abs(grad_b).max())


@pytest.mark.parametrize("K, d", [(5, 8), (4, 17), (3, 25), (2, 33)])
def test_softmax_tiles_not_taken_outside_their_shapes(K, d):
    # More outputs or features than the tiles win at: the BLAS block path, bitwise.
    _tiles_or_skip()
    data = _fused_softmax(300, d, K, block_rows=64)
    w = random_w(data)
    (loss_b, grad_b), (loss_t, grad_t) = _both_paths(data, w)
    assert loss_t == loss_b
    assert_array_equal(grad_t, grad_b)
