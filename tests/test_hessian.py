"""The data term's Hessian and per-row curvatures (FusedLinearObjective.hessian and
row_curvature, _ext/_hessian.pyx) against finite differences of the kernels' gradient, an
independent numpy formula, and high-precision values of the continuous Bernoulli variance."""

from decimal import Decimal, localcontext

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from test_fused import CASE_IDS, CASES, make_problem

from skfuzzy_ce import _cpu_dispatch, _fused_objective
from skfuzzy_ce._cb_math import cb_mean_logit
from skfuzzy_ce._fused_objective import FusedLinearObjective

# Every test here runs once per CPU variant of the kernels that this machine runs.
pytestmark = pytest.mark.usefixtures("cpu_variant")


def data_term(X, Y, sw, cw, kind, *, fit_intercept=True, n_threads=1):
    """The unscaled data term: its gradient is ``obj.loss_gradient(w)[1]``."""
    K = Y.shape[1]
    n_out = 1 if (kind == "softmax" and K == 2) else K
    return FusedLinearObjective(
        X, Y, sw, cw, n_outputs=n_out, fit_intercept=fit_intercept, n_threads=n_threads,
        kind=kind,
    )  # fmt: skip


def random_w(obj, seed=1, scale=0.5):
    return np.random.RandomState(seed).randn(obj.n_params) * scale


def cb_variance_fd(eta, h=1e-4):
    """d mean / d eta by central differences of _cb_math.cb_mean_logit (~1e-9 absolute)."""
    return (cb_mean_logit(eta + h) - cb_mean_logit(eta - h)) / (2 * h)


def curvature_numpy(kind, Z, Y, sw, cw):
    """(A, Cc) of the rows, class-major, from scipy's softmax / expit (Cc None if diagonal)."""
    Y = Y.astype(np.float64)
    if kind == "sigmoids":  # sigma(z) (1 - sigma(z)) = sigma(z) sigma(-z): no 1 - 1 = 0
        return (sw[:, None] * cw * expit(Z) * expit(-Z)).T, None
    if kind == "continuous_bernoulli":
        return (sw * cb_variance_fd(Z[:, 0]))[None, :], None
    if Z.shape[1] == 1:  # softmax of two classes: a single logit
        s = expit(Z[:, 0]) * expit(-Z[:, 0])
        return ((sw * (cw[1] * Y[:, 1] + cw[0] * Y[:, 0])) * s)[None, :], None
    P = softmax(Z, axis=1)
    T = sw * (Y @ cw)
    return (T[:, None] * P).T, (np.sqrt(T)[:, None] * P).T


def raw_predictions(obj, w):
    coef, intercept = obj.split(w)
    Z = np.asarray(obj.X @ coef.T)
    return Z + intercept if intercept is not None else Z


def pair_weights(A, Cc):
    """(K, K, n): the entries of each row's H_i = diag(A_i) - Cc_i Cc_i^T."""
    K, n = A.shape
    Wt = np.zeros((K, K, n))
    Wt[np.arange(K), np.arange(K)] = A
    if Cc is not None:
        Wt -= Cc[:, None, :] * Cc[None, :, :]
    return Wt


def hessian_numpy(obj, Wt):
    """sum_i J_i^T H_i J_i for the rows' Hessians H_i = Wt[:, :, i], assembled output by
    output in the order of w (an assembly independent of the kernel's)."""
    X = obj.X.toarray() if sp.issparse(obj.X) else np.asarray(obj.X)
    X = X.astype(np.float64)
    n, d = X.shape
    K = obj.n_outputs
    if obj.fit_intercept:
        X = np.hstack([X, np.ones((n, 1))])
    H = np.zeros((obj.n_params, obj.n_params))
    for k in range(K):
        idx_k = list(range(k * d, (k + 1) * d)) + ([K * d + k] if obj.fit_intercept else [])
        for l in range(K):
            idx_l = list(range(l * d, (l + 1) * d)) + ([K * d + l] if obj.fit_intercept else [])
            H[np.ix_(idx_k, idx_l)] = X.T @ (Wt[k, l][:, None] * X)
    return H


def fd_hessian(obj, w, eps):
    """Central differences of the kernels' data-term gradient, column by column."""
    H = np.empty((w.size, w.size))
    for j in range(w.size):
        e = np.zeros_like(w)
        e[j] = eps
        H[:, j] = (obj.loss_gradient(w + e)[1] - obj.loss_gradient(w - e)[1]) / (2 * eps)
    return H


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kind, K", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hessian_is_derivative_of_gradient(sparse, kind, K, fit_intercept, dtype):
    X, Y, sw, cw = make_problem(300, 6, K, sparse=sparse, kind=kind, dtype=dtype, seed=2)
    obj = data_term(X, Y, sw, cw, kind, fit_intercept=fit_intercept)
    w = random_w(obj)
    H = obj.hessian(w)
    assert H.shape == (obj.n_params, obj.n_params) and H.dtype == np.float64
    assert_array_equal(H, H.T)
    scale = np.abs(H).max()
    if dtype == np.float64:
        assert_allclose(H, fd_hessian(obj, w, 1e-5), rtol=1e-6, atol=1e-7 * scale)
    else:
        # float32 gradients: rounding of ~1e-7 relative, so wide steps and a loose check.
        assert_allclose(H, fd_hessian(obj, w, 1e-2), rtol=1e-3, atol=1e-3 * scale)
        X64 = X.astype(np.float64)
        H64 = data_term(X64, Y.astype(np.float64), sw, cw, kind, fit_intercept=fit_intercept)
        assert_allclose(H, H64.hessian(w), rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kind, K", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessian_and_curvature_match_numpy_formula(sparse, kind, K, fit_intercept):
    X, Y, sw, cw = make_problem(400, 5, K, sparse=sparse, kind=kind, seed=3)
    obj = data_term(X, Y, sw, cw, kind, fit_intercept=fit_intercept)
    w = random_w(obj, seed=4, scale=1.0)
    A_ref, Cc_ref = curvature_numpy(kind, raw_predictions(obj, w), Y, sw, cw)
    A, Cc = obj.row_curvature(w)
    assert A.shape == (obj.n_outputs, 400) and A.dtype == np.float64 and A.flags.c_contiguous
    # The continuous Bernoulli reference is a finite difference (~1e-9 absolute).
    rtol = 1e-7 if kind == "continuous_bernoulli" else 1e-12
    assert_allclose(A, A_ref, rtol=rtol, atol=1e-300)
    if Cc_ref is None:
        assert Cc is None
    else:
        assert Cc.shape == A.shape and Cc.flags.c_contiguous
        assert_allclose(Cc, Cc_ref, rtol=1e-12)
    H_ref = hessian_numpy(obj, pair_weights(A_ref, Cc_ref))
    assert_allclose(obj.hessian(w), H_ref, rtol=rtol, atol=rtol * np.abs(H_ref).max())


def cb_variance_decimal(eta):
    """1/eta^2 - 1/(4 sinh^2(eta/2)) in decimal arithmetic with enough digits that the
    cancellation of the two terms (a factor ~12 / eta^2) leaves 40 correct ones; sinh by its
    Taylor series (exact to that precision)."""
    if eta == 0:
        return 1.0 / 12.0
    x = Decimal(float(eta))
    with localcontext() as ctx:
        ctx.prec = 50 + 2 * max(0, -int(x.adjusted()))
        u = x / 2
        term, sinh, j = u, u, 1
        while abs(term) > abs(sinh) * Decimal(10) ** (-ctx.prec):
            term = term * u * u / ((2 * j) * (2 * j + 1))
            sinh += term
            j += 1
        return float(1 / (x * x) - 1 / (4 * sinh * sinh))


def cb_variance_kernel(eta):
    eta = np.ascontiguousarray(eta, dtype=np.float64)
    out = np.empty_like(eta)
    _cpu_dispatch.active().hessian._cb_variance(eta, out)
    return out


def test_cb_variance_near_zero_and_moderate():
    rng = np.random.RandomState(0)
    one = np.nextafter(1.0, 0.0)
    eta = np.concatenate([
        rng.uniform(-1e-3, 1e-3, 50), [0.0, -0.0, 1e-300, 1e-8, -1e-5],
        rng.uniform(-3, 3, 200), [one, 1.0, np.nextafter(1.0, 2.0), -one, -1.0, 0.5, 2.0],
        rng.uniform(3, 40, 50) * rng.choice([-1, 1], 50),
    ])  # fmt: skip
    ref = np.array([cb_variance_decimal(e) for e in eta])
    got = cb_variance_kernel(eta)
    assert_allclose(got, ref, rtol=1e-14, atol=0)
    assert got[50] == 1.0 / 12.0 and got[51] == 1.0 / 12.0
    # The independent route: differentiating the mean of _cb_math numerically.
    assert_allclose(got, cb_variance_fd(eta), rtol=1e-7, atol=1e-10)


def test_cb_variance_huge_and_special_values():
    eta = np.array([50.0, -200.0, 708.0, -750.0, 1e4, -1e4, 1e150, -1e200, np.inf, -np.inf])
    got = cb_variance_kernel(eta)
    assert np.all(np.isfinite(got)) and np.all(got >= 0)
    # Beyond |eta| ~ 40 the sinh term is below the last bit of 1/eta^2.
    assert_allclose(got[:6], 1.0 / eta[:6] ** 2, rtol=1e-15)
    assert got[7] == 0.0 and got[8] == 0.0 and got[9] == 0.0
    assert np.isnan(cb_variance_kernel(np.array([np.nan]))[0])


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kind, K", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_huge_logits_give_finite_hessian(sparse, kind, K, dtype):
    X, Y, sw, cw = make_problem(200, 3, K, seed=7, sparse=sparse, kind=kind, dtype=dtype)
    obj = data_term(X, Y, sw, cw, kind)
    w = random_w(obj, scale=4000.0)
    Z = raw_predictions(obj, w)
    assert np.abs(Z).max() > 1e4
    H = obj.hessian(w)
    A, Cc = obj.row_curvature(w)
    assert np.all(np.isfinite(H)) and np.all(np.isfinite(A)) and np.all(A >= 0)
    assert Cc is None or (np.all(np.isfinite(Cc)) and np.all(Cc >= 0))
    if dtype == np.float64:
        A_ref, Cc_ref = curvature_numpy(kind, Z.astype(np.float64), Y, sw, cw)
        if kind == "continuous_bernoulli":  # the reference's finite difference is too coarse
            A_ref = (sw / Z[:, 0] ** 2)[None, :]
        assert_allclose(A, A_ref, rtol=1e-9, atol=1e-300)
        Wt = pair_weights(A_ref, Cc_ref)
        if Cc_ref is not None:
            # T p_k (1 - p_k) with 1 - p_k summed from the other classes: A - Cc^2 would
            # cancel to rounding noise (1e-16 for p_k = 1 - 1e-55).
            P, T = softmax(Z, axis=1), sw * (Y @ cw)
            for k in range(K):
                Wt[k, k] = T * P[:, k] * np.delete(P, k, axis=1).sum(axis=1)
        H_ref = hessian_numpy(obj, Wt)
        assert_allclose(H, H_ref, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kind, K", CASES, ids=CASE_IDS)
def test_bitwise_same_for_every_thread_count(sparse, kind, K):
    X, Y, sw, cw = make_problem(3000, 7, K, sparse=sparse, kind=kind, seed=5)
    results = []
    for n_threads in [1, 2, 3, 2]:
        obj = data_term(X, Y, sw, cw, kind, n_threads=n_threads)
        w = random_w(obj)
        results.append((obj.hessian(w), *obj.row_curvature(w)))
        assert obj._hess["chunk_acc"].shape[0] > 1
        assert_array_equal(obj.hessian(w), results[-1][0])  # and repeatable
    for H, A, Cc in results[1:]:
        assert_array_equal(H, results[0][0])
        assert_array_equal(A, results[0][1])
        if Cc is not None:
            assert_array_equal(Cc, results[0][2])


@pytest.mark.parametrize(
    "kind, K", CASES + [("softmax", 10), ("sigmoids", 9)],  # wide: CSR logits in tiles of 8
    ids=CASE_IDS + ["softmax-10", "sigmoids-9"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_dense_and_csr_agree(kind, K, dtype, index_dtype):
    X, Y, sw, cw = make_problem(
        700, 9, K, sparse=True, dtype=dtype, kind=kind, index_dtype=index_dtype
    )
    assert X.indices.dtype == index_dtype
    obj_csr = data_term(X, Y, sw, cw, kind, n_threads=2)
    obj_dense = data_term(X.toarray(), Y, sw, cw, kind, n_threads=2)
    w = random_w(obj_csr)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    H = obj_dense.hessian(w)
    assert_allclose(obj_csr.hessian(w), H, rtol=rtol, atol=rtol * np.abs(H).max())
    for a, b in zip(obj_csr.row_curvature(w), obj_dense.row_curvature(w)):
        if b is None:
            assert a is None
        else:
            assert_allclose(a, b, rtol=100 * rtol, atol=1e-300)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("block_rows, csr_bytes", [(1, 8), (7, 8 * 9 * 5), (10_000, 2**22)])
def test_block_sizes_and_single_chunk_change_rounding_only(
    monkeypatch, sparse, block_rows, csr_bytes
):
    # Blocks of one row, of 7 rows (CSR: of 5, from the densified buffer's size), of
    # everything; and accumulators over budget: a single chunk.
    X, Y, sw, cw = make_problem(301, 9, 4, sparse=sparse, seed=6)
    obj = data_term(X, Y, sw, cw, "softmax", n_threads=2)
    w = random_w(obj)
    H_ref = obj.hessian(w)
    monkeypatch.setattr(_fused_objective, "_HESSIAN_BLOCK_ROWS", block_rows)
    monkeypatch.setattr(_fused_objective, "_HESSIAN_CSR_BLOCK_BYTES", csr_bytes)
    monkeypatch.setattr(_fused_objective, "_HESSIAN_BUDGET", 8)
    obj = data_term(X, Y, sw, cw, "softmax", n_threads=2)
    H = obj.hessian(w)
    assert obj._hess["chunk_acc"].shape[0] == 1
    expected_rows = (
        min(block_rows, 301, max(1, csr_bytes // (9 * 8))) if sparse else min(block_rows, 301)
    )
    assert obj._hess["block_rows"] == expected_rows
    assert_allclose(H, H_ref, rtol=1e-12, atol=1e-13 * np.abs(H_ref).max())


def test_read_only_inputs_not_modified_and_buffers_lazy():
    X, Y, sw, cw = make_problem(120, 4, 3)
    Xs = sp.csr_matrix(X)
    arrays = (X, Y, sw, cw, Xs.data, Xs.indices, Xs.indptr)
    for a in arrays:
        a.flags.writeable = False
    copies = [a.copy() for a in arrays]
    results = []
    for data in (X, Xs):
        obj = data_term(data, Y, sw, cw, "softmax", n_threads=2)
        w = random_w(obj)
        w.flags.writeable = False
        w_copy = w.copy()
        obj.loss_gradient(w)
        assert obj._hess is None  # a fit by gradients alone never makes the Hessian's buffers
        results.append((obj.hessian(w), *obj.row_curvature(w)))
        assert obj._hess is not None
        assert_array_equal(w, w_copy)
    for a, b in zip(*results):
        assert_allclose(a, b, rtol=1e-12)
    for a, b in zip(arrays, copies):
        assert_array_equal(a, b)


def test_tiny_problems():
    # One row, one feature; and a single logit without intercept.
    for kind, K in CASES:
        X, Y, sw, cw = make_problem(1, 1, K, kind=kind)
        obj = data_term(X, Y, sw, cw, kind, n_threads=2)
        w = random_w(obj)
        A, Cc = curvature_numpy(kind, raw_predictions(obj, w), Y, sw, cw)
        H_ref = hessian_numpy(obj, pair_weights(A, Cc))
        assert_allclose(obj.hessian(w), H_ref, rtol=1e-7, atol=1e-300)


@settings(max_examples=30, deadline=None)
@given(
    case=st.sampled_from(CASES),
    n=st.integers(1, 60),
    d=st.integers(1, 6),
    fit_intercept=st.booleans(),
    sparse=st.booleans(),
    log_scale=st.floats(-2.0, 3.0),
    seed=st.integers(0, 2**16),
)
def test_hessian_is_psd_and_matches_the_row_curvatures(
    case, n, d, fit_intercept, sparse, log_scale, seed
):
    # Every H_i = diag(A_i) - Cc_i Cc_i^T is positive semidefinite, so H is; and
    # v^T H v = sum_i dZ_i^T H_i dZ_i, dZ_i = x_i V^T + v_b, ties hessian to row_curvature.
    kind, K = case
    X, Y, sw, cw = make_problem(n, d, K, sparse=sparse, kind=kind, seed=seed)
    obj = data_term(X, Y, sw, cw, kind, fit_intercept=fit_intercept)
    w = random_w(obj, seed=seed, scale=10.0**log_scale)
    H = obj.hessian(w)
    assert_array_equal(H, H.T)
    scale = max(np.abs(H).max(), 1e-300)
    assert np.linalg.eigvalsh(H).min() >= -1e-12 * scale * H.shape[0]
    A, Cc = obj.row_curvature(w)
    v = np.random.RandomState(seed + 1).randn(obj.n_params)
    dZ = raw_predictions(obj, v).T  # (n_outputs, n)
    quad = (A * dZ**2).sum()
    if Cc is not None:
        quad -= ((Cc * dZ).sum(axis=0) ** 2).sum()
    # quad cancels for a confident softmax row (A dZ^2 against (Cc dZ)^2, both about T dZ^2):
    # numpy's rounding there is a few ulps of (A dZ^2).sum() (absolute), which the Hessian's
    # kernel avoids (sqrt(T p) sqrt(1 - p) scalings; e.g. seed 1, n = d = 1, 4 classes: H
    # 2.2190051240162047e-15 = the exact value to 16 digits, quad 2.19269e-15 against a
    # (A dZ^2).sum() of 0.197).
    atol = 1e-11 * scale * (v @ v) + 16 * np.finfo(float).eps * (A * dZ**2).sum()
    assert_allclose(v @ H @ v, quad, rtol=1e-9, atol=atol)
