"""The one-pass blocked objective (issue 7) against the two-pass LinearObjective and
independent references (numpy/scipy formulas, finite differences)."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_softmax, softmax

from skfuzzy_ce import _cross_entropy, _fused
from skfuzzy_ce._fused_objective import (
    FusedLinearObjective,
    block_rows_for_cache,
    cache_size_bytes,
)
from skfuzzy_ce._linear_loss import LinearObjective


def make_problem(n, d, K, *, dtype=np.float64, sparse=False, index_dtype=np.int32, seed=0):
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
    Y = np.ascontiguousarray(rng.dirichlet(np.ones(K), size=n), dtype=dtype)
    sw = rng.uniform(0.0, 2.0, n)
    cw = rng.uniform(0.5, 2.0, K)
    return X, Y, sw, cw


def objectives(X, Y, sw, cw, *, fit_intercept=True, l2=0.01, n_threads=1, block_rows=None):
    """The reference two-pass objective and the fused one on the same problem."""
    K = Y.shape[1]
    n_out = 1 if K == 2 else K
    if K == 2:

        def kernel(raw, g, out):
            _cross_entropy.binary_loss_gradient(raw[:, 0], Y, sw, cw, g[:, 0], out, n_threads)

    else:

        def kernel(raw, g, out):
            _cross_entropy.multinomial_loss_gradient(raw, Y, sw, cw, g, out, n_threads)

    common = dict(
        n_outputs=n_out, fit_intercept=fit_intercept, l2_reg_strength=l2, sw_sum=float(sw @ (Y @ cw))
    )
    ref = LinearObjective(X, kernel, **common)
    fused = FusedLinearObjective(
        X, Y, sw, cw, n_threads=n_threads, block_rows=block_rows, **common
    )
    return ref, fused


def random_w(obj, seed=1, scale=0.5):
    return np.random.RandomState(seed).randn(obj.n_params) * scale


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("K", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_equals_linear_objective_float64(sparse, K, fit_intercept, n_threads):
    X, Y, sw, cw = make_problem(537, 13, K, sparse=sparse)
    ref, fused = objectives(
        X, Y, sw, cw, fit_intercept=fit_intercept, n_threads=n_threads, block_rows=40
    )
    assert fused.n_params == ref.n_params and fused.n_coef == ref.n_coef
    w = random_w(ref)
    loss_ref, grad_ref = ref(w)
    loss, grad = fused(w)
    assert_allclose(loss, loss_ref, rtol=1e-10)
    assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-12 * np.abs(grad_ref).max())
    assert fused.last_w is w and fused.last_grad is grad
    coef, intercept = fused.split(w)
    assert coef.shape == (fused.n_outputs, 13)
    assert (intercept is None) == (not fit_intercept)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("K", [2, 5])
def test_float32_close_to_float64(sparse, K):
    X, Y, sw, cw = make_problem(800, 11, K, sparse=sparse)
    _, fused64 = objectives(X, Y, sw, cw, n_threads=2, block_rows=64)
    X32 = X.astype(np.float32)
    ref32, fused32 = objectives(X32, Y.astype(np.float32), sw, cw, n_threads=2, block_rows=64)
    w = random_w(fused64)
    loss64, grad64 = fused64(w)
    loss32, grad32 = fused32(w)
    loss_r32, grad_r32 = ref32(w)
    scale = np.abs(grad64).max()
    assert grad32.dtype == np.float64
    assert_allclose(loss32, loss64, rtol=1e-6)
    assert_allclose(grad32, grad64, rtol=1e-5, atol=1e-5 * scale)
    # The two float32 implementations agree with each other as closely.
    assert_allclose(loss32, loss_r32, rtol=1e-6)
    assert_allclose(grad32, grad_r32, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_independent_of_thread_count_and_repeatable(sparse):
    # Chunks come from the problem's shape only: bitwise equal for every thread count.
    X, Y, sw, cw = make_problem(1500, 9, 3, sparse=sparse)
    results = []
    for n_threads in [1, 2, 3, 2]:
        _, fused = objectives(X, Y, sw, cw, n_threads=n_threads, block_rows=24)
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
    assert 1 <= fused.block_rows <= 301


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


def test_extreme_logits_stay_finite():
    X, Y, sw, cw = make_problem(200, 3, 4, seed=7)
    ref, fused = objectives(X, Y, sw, cw, block_rows=50)
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
    assert fused.n_chunks == 1 and fused.block_rows == 1
    w = random_w(ref)
    assert_allclose(fused(w)[1], ref(w)[1], rtol=1e-10, atol=1e-14)


def test_bad_n_outputs():
    X, Y, sw, cw = make_problem(10, 2, 3)
    with pytest.raises(ValueError, match="n_outputs=1 does not fit 3 classes"):
        FusedLinearObjective(
            X, Y, sw, cw, n_outputs=1, fit_intercept=True, l2_reg_strength=0.0, sw_sum=1.0
        )


def test_cache_and_block_size_helpers():
    assert cache_size_bytes(2) >= 16 * 1024
    for d, K, itemsize in [(20, 3, 8), (100, 10, 8), (100, 10, 4), (10_000, 100, 8)]:
        rows = block_rows_for_cache(d, K, itemsize)
        assert rows % 8 == 0 and 16 <= rows <= 4096
    # Larger caches give larger blocks; float32 blocks hold more rows.
    assert block_rows_for_cache(100, 10, 8, 2**21) > block_rows_for_cache(100, 10, 8, 2**18)
    assert block_rows_for_cache(100, 10, 4, 2**20) > block_rows_for_cache(100, 10, 8, 2**20)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-760.0, 0.0), min_size=1, max_size=50))
def test_inline_exp_within_three_ulp(values):
    x = np.array(values + [0.0, -1e-300, -708.0, -745.0])
    out = np.empty_like(x)
    _fused._exp_nonpos(x, out)
    expected = np.exp(x)
    normal = expected > 2.3e-308
    assert_allclose(out[normal], expected[normal], rtol=3 * np.finfo(float).eps, atol=0)
    assert np.all(np.abs(out[~normal] - expected[~normal]) < 2.3e-308)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-100.0, 0.0, width=32), min_size=1, max_size=50))
def test_inline_expf_within_two_ulp(values):
    # The float32 kernels' exp, computed in float (measured: at most 1.22 float ulps over
    # every float in [-87.33, 0]); 0 below the smallest normal float.
    x = np.array(values + [0.0, -1e-30, -87.0, -87.5, -1e4], dtype=np.float32)
    out = np.empty_like(x)
    _fused._expf_nonpos(x, out)
    expected = np.exp(x.astype(np.float64))
    normal = expected > np.finfo(np.float32).tiny
    ulp = np.spacing(expected[normal].astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(out[normal] - expected[normal]) <= 2 * ulp)
    assert np.all(out[~normal] == 0)
    nan = np.array([np.nan], dtype=np.float32)
    _fused._expf_nonpos(nan, nan)
    assert np.isnan(nan[0])


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("K", [2, 4])
def test_float32_huge_logits_stay_finite(K, sparse):
    # Logits of order 1e4 in float32: the float exp underflows to 0 where it must, the loss
    # keeps its huge terms exactly (no cancellation), 0 log 0 = 0.
    X, Y, sw, cw = make_problem(300, 3, K, seed=7, sparse=sparse)
    Y[::7] = 0.0
    Y[::7, 0] = 1.0  # one-hot rows: zero targets on classes of probability exp(-1e4)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    _, fused64 = objectives(X32.astype(np.float64), Y32.astype(np.float64), sw, cw, block_rows=50)
    _, fused32 = objectives(X32, Y32, sw, cw, block_rows=50)
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
    assert isinstance(objective, FusedLinearObjective)
    fits = [SoftLabelLogisticRegression(n_threads=t).fit(X, Y, sample_weight=sw) for t in (1, 2)]
    assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert_array_equal(fits[0].intercept_, fits[1].intercept_)
