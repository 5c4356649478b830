"""Coordinate descent on the quadratic model (the newton-cd inner solver, _cd.cd_quadratic)
against independent references: the quadratic built explicitly as a dense matrix and solved
by numpy (l1 = 0), a proximal gradient (FISTA) on that matrix (l1 > 0), and the optimality
conditions checked from the returned step."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax

from skfuzzy_ce import _cpu_dispatch

# Every test here runs once per CPU variant of the kernels that this machine runs.
pytestmark = pytest.mark.usefixtures("cpu_variant")


def cd_quadratic(*args, **kwargs):
    """_cd.cd_quadratic of the CPU variant under test."""
    return _cpu_dispatch.active().cd.cd_quadratic(*args, **kwargs)

# Row curvatures diag(A_i) - Cc_i Cc_i^T: "softmax" as a softmax's (T_i (diag p_i - p_i p_i^T),
# singular along the all-ones direction), "shrunk" the same with Cc scaled by 0.9 (positive
# definite), "diagonal" without Cc (sigmoids' kind).
CURVATURES = ["shrunk", "diagonal", "softmax"]


def make_curvature(rng, K, n, kind):
    T = rng.uniform(0.5, 1.5, n) / n
    p = softmax(rng.standard_normal((K, n)), axis=0)
    if kind == "diagonal":
        return np.ascontiguousarray(rng.uniform(0.05, 0.25, (K, n)) / n), None
    c = 0.9 if kind == "shrunk" else 1.0
    return np.ascontiguousarray(T * p), np.ascontiguousarray(c * np.sqrt(T) * p)


def make_problem(n, d, K, *, kind="shrunk", seed=0, zero_cols=(), w_scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, list(zero_cols)] = 0.0
    A, Cc = make_curvature(rng, K, n, kind)
    gW = rng.standard_normal((K, d))
    gb = rng.standard_normal(K)
    if kind == "softmax":  # q bounded along the intercepts' null direction
        gb -= gb.mean()
    W = w_scale * rng.standard_normal((K, d))
    return X, A, Cc, gW, gb, W


def as_csc(X, index_dtype=np.int32, dtype=np.float64):
    Xs = sp.csc_matrix(X.astype(dtype))
    return Xs.data, Xs.indices.astype(index_dtype), Xs.indptr.astype(index_dtype)


def run(X, A, Cc, gW, gb, W, l1, l2, fit_intercept, *, D0=None, Db0=None,
        max_sweeps=100_000, tol=1e-13):
    K, n = A.shape
    d = W.shape[1]
    D = np.zeros((K, d)) if D0 is None else D0.copy()
    Db = np.zeros(K) if Db0 is None else Db0.copy()
    dZ = np.full((K, n), np.nan)
    s = np.full(n, np.nan)
    n_sweeps, change = cd_quadratic(
        X, A, Cc, gW, gb, W, l1, l2, fit_intercept, D, Db, dZ, s, max_sweeps, tol
    )
    return D, Db, dZ, s, n_sweeps, change


def dense_hessian(X, A, Cc, l2, fit_intercept):
    """H over [D.ravel() (index k d + j), Db]: sum_i M_i^T H_i M_i with dZ_i = M_i w."""
    n, d = X.shape
    K = A.shape[0]
    P = K * d + (K if fit_intercept else 0)
    M = np.zeros((n, K, P))
    for k in range(K):
        M[:, k, k * d:(k + 1) * d] = X
        if fit_intercept:
            M[:, k, K * d + k] = 1.0
    Hi = A.T[:, :, None] * np.eye(K)
    if Cc is not None:
        Hi = Hi - Cc.T[:, :, None] * Cc.T[:, None, :]
    H = np.einsum("ikp,ikl,ilq->pq", M, Hi, M)
    H[:K * d, :K * d] += l2 * np.eye(K * d)
    return H


def q_value(X, A, Cc, gW, gb, W, l1, l2, D, Db):
    """q(D, Db) from its definition, through dZ = X D^T + Db (Db None: no intercept)."""
    dZ = D @ X.T + (0.0 if Db is None else Db[:, None])
    quad = np.sum(A * dZ * dZ)
    if Cc is not None:
        quad -= np.sum(np.sum(Cc * dZ, axis=0) ** 2)
    lin = np.sum(gW * D) + (0.0 if Db is None else gb @ Db)
    return lin + 0.5 * quad + 0.5 * l2 * np.sum(D * D) + l1 * np.abs(W + D).sum()


def fista(H, g, W, l1, n_iter=200_000, tol=1e-15):
    """Minimize 1/2 w^T H w + g^T w + l1 ||W + D||_1, w = [D.ravel(), Db], by FISTA with
    adaptive restart (the prox is exact: zeros of W + D are exact zeros)."""
    KD = W.size
    w0 = W.ravel()
    step = 1.0 / np.linalg.eigvalsh(H)[-1]

    def prox(v):
        out = v.copy()
        t = w0 + v[:KD]
        out[:KD] = np.sign(t) * np.maximum(np.abs(t) - step * l1, 0.0) - w0
        return out

    w = np.zeros(H.shape[0])
    y, t = w.copy(), 1.0
    for _ in range(n_iter):
        w_new = prox(y - step * (H @ y + g))
        if (w_new - w) @ (y - w_new) > 0:  # restart
            t, y = 1.0, w.copy()
            continue
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        y = w_new + ((t - 1.0) / t_new) * (w_new - w)
        done = np.max(np.abs(w_new - w)) <= tol
        w, t = w_new, t_new
        if done:
            break
    return w


def smooth_gradient(X, A, Cc, gW, gb, l2, D, dZ, s):
    """d q_smooth / d(D, Db) at the step, from dZ and s (independently of cd_quadratic)."""
    HdZ = A * dZ - (0.0 if Cc is None else Cc * s)
    return gW + l2 * D + HdZ @ X, gb + HdZ.sum(axis=1)


def x_arg(X, layout, index_dtype=np.int32, dtype=np.float64):
    if layout == "dense":
        return np.asfortranarray(X, dtype=dtype)
    return as_csc(X, index_dtype, dtype)


@pytest.mark.parametrize("layout", ["dense", "csc"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("kind", ["shrunk", "diagonal"])
@pytest.mark.parametrize("K", [1, 3])
def test_l1_zero_is_the_newton_step(layout, fit_intercept, kind, K):
    """Without l1 the minimizer of q is -H^{-1} g (H positive definite)."""
    X, A, Cc, gW, gb, W = make_problem(40, 5, K, kind=kind, seed=K, zero_cols=[3])
    l2 = 0.1
    D, Db, dZ, s, n_sweeps, change = run(
        x_arg(X, layout), A, Cc, gW, gb, W, 0.0, l2, fit_intercept
    )
    assert change <= 1e-13 and n_sweeps < 100_000
    H = dense_hessian(X, A, Cc, l2, fit_intercept)
    g = np.r_[gW.ravel(), gb] if fit_intercept else gW.ravel()
    expected = -np.linalg.solve(H, g)
    got = np.r_[D.ravel(), Db] if fit_intercept else D.ravel()
    assert_allclose(got, expected, rtol=0, atol=1e-8 * max(1.0, np.abs(expected).max()))
    if not fit_intercept:
        assert_array_equal(Db, 0.0)  # neither read nor written
    assert_allclose(dZ, D @ X.T + (Db[:, None] if fit_intercept else 0.0), atol=1e-12)
    assert_allclose(s, 0.0 if Cc is None else np.sum(Cc * dZ, axis=0), atol=1e-12)


@pytest.mark.parametrize("layout", ["dense", "csc"])
def test_singular_softmax_curvature_reaches_the_minimum(layout):
    """A softmax's exact curvature, intercepts, no l2: H is singular (shifting every output's
    intercept alike changes nothing); q still reaches its minimum, -1/2 g^T H^+ g."""
    X, A, Cc, gW, gb, W = make_problem(50, 4, 3, kind="softmax", seed=3)
    H = dense_hessian(X, A, Cc, 0.0, True)
    # A gradient in the range of H (the problem is bounded): g = H v.
    v = np.random.default_rng(1).standard_normal(H.shape[0])
    g = H @ v
    gW, gb = g[:12].reshape(3, 4), g[12:]
    D, Db, _, _, _, change = run(x_arg(X, layout), A, Cc, gW, gb, W, 0.0, 0.0, True)
    assert change <= 1e-13
    q_min = -0.5 * g @ np.linalg.lstsq(H, g, rcond=None)[0]
    assert_allclose(q_value(X, A, Cc, gW, gb, W, 0.0, 0.0, D, Db), q_min, rtol=1e-10)
    assert_allclose(H @ np.r_[D.ravel(), Db] + g, 0.0, atol=1e-9)


@pytest.mark.parametrize("layout", ["dense", "csc"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("kind", CURVATURES)
@pytest.mark.parametrize("K,l2", [(1, 0.05), (3, 0.05), (3, 0.0)])
def test_l1_matches_proximal_gradient(layout, fit_intercept, kind, K, l2):
    X, A, Cc, gW, gb, W = make_problem(60, 6, K, kind=kind, seed=10 + K, zero_cols=[2])
    gW *= 0.3
    gW[:, 2] = np.linspace(-0.15, 0.15, K)  # |r| < l1 on the zero column: q is bounded
    if kind == "softmax" and K == 1:
        pytest.skip("a softmax of one output has no curvature at all")
    if l2 == 0.0 and (kind == "softmax" or K == 1):
        pytest.skip("unbounded or singular without l2: covered elsewhere")
    l1 = 0.2
    D, Db, *_, change = run(x_arg(X, layout), A, Cc, gW, gb, W, l1, l2, fit_intercept)
    assert change <= 1e-13
    H = dense_hessian(X, A, Cc, l2, fit_intercept)
    g = np.r_[gW.ravel(), gb] if fit_intercept else gW.ravel()
    ref = fista(H, g, W, l1)
    t_cd = (W + D).ravel()
    t_ref = W.ravel() + ref[:W.size]
    zeros = t_cd == 0.0
    assert 0 < zeros.sum() < zeros.size  # the problem exercises both
    assert_array_equal(zeros, t_ref == 0.0)
    assert_allclose(D.ravel(), ref[:W.size], rtol=0, atol=1e-7)
    if fit_intercept:
        ref_b = ref[W.size:]
        if kind == "softmax":  # the intercepts are determined up to a common shift
            Db, ref_b = Db - Db.mean(), ref_b - ref_b.mean()
        assert_allclose(Db, ref_b, rtol=0, atol=1e-7)
    qc = q_value(X, A, Cc, gW, gb, W, l1, l2, D, Db if fit_intercept else None)
    qr = q_value(X, A, Cc, gW, gb, W, l1, l2, ref[:W.size].reshape(W.shape),
                 ref[W.size:] if fit_intercept else None)
    assert qc <= qr + 1e-12 * abs(qr)


@pytest.mark.parametrize("layout", ["dense", "csc"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("kind", CURVATURES)
def test_optimality_conditions(layout, fit_intercept, kind):
    """At the returned step: r = -l1 sign(W + D) where W + D != 0, |r| <= l1 where it is 0,
    and r = 0 for the intercepts (r the gradient of q's smooth part)."""
    X, A, Cc, gW, gb, W = make_problem(80, 10, 4, kind=kind, seed=7, zero_cols=[0, 5])
    W[:, 5] = 0.0  # a flat coordinate at zero
    gW[:, [0, 5]] = 0.0  # (a zero column has no data gradient; l2 W = 0 below)
    l1, l2 = 0.15, 0.0 if kind == "shrunk" else 0.02
    D, Db, dZ, s, _, change = run(x_arg(X, layout), A, Cc, gW, gb, W, l1, l2, fit_intercept)
    assert change <= 1e-13
    r, rb = smooth_gradient(X, A, Cc, gW, gb, l2, D, dZ, s)
    t = W + D
    nz = t != 0.0
    assert 0 < nz.sum() < nz.size
    assert_allclose(r[nz], -l1 * np.sign(t[nz]), rtol=0, atol=1e-9)
    assert np.all(np.abs(r[~nz]) <= l1 + 1e-9)
    if fit_intercept:
        assert_allclose(rb, 0.0, atol=1e-9)
    # dZ and s are those of the returned step.
    assert_allclose(dZ, D @ X.T + (Db[:, None] if fit_intercept else 0.0), atol=1e-12)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("kind", CURVATURES)
@pytest.mark.parametrize("l1", [0.0, 0.1])
def test_csc_dense_and_dtypes_agree(fit_intercept, kind, l1):
    """Three sweeps (not converged) with every layout: CSC and dense X give the same iterate
    (to rounding: the sums run in another order); int32 and int64 indices, and float32 X
    against its exact float64 copy, give bitwise the same."""
    X, A, Cc, gW, gb, W = make_problem(70, 8, 3, kind=kind, seed=5, zero_cols=[1])
    X[np.random.default_rng(0).random(X.shape) < 0.5] = 0.0
    X32 = X.astype(np.float32)
    X = X32.astype(np.float64)
    args = (A, Cc, gW, gb, W, l1, 0.01, fit_intercept)
    kw = {"max_sweeps": 3, "tol": 0.0}
    dense = run(np.asfortranarray(X), *args, **kw)
    dense32 = run(np.asfortranarray(X32), *args, **kw)
    csc32 = run(as_csc(X, np.int32), *args, **kw)
    csc64 = run(as_csc(X, np.int64), *args, **kw)
    csc_f32 = run(as_csc(X, np.int64, np.float32), *args, **kw)
    assert dense[4] == 3 and csc32[4] == 3
    for a, b in zip(dense[:4], dense32[:4]):
        assert_array_equal(a, b)
    for a, b, c in zip(csc32[:4], csc64[:4], csc_f32[:4]):
        assert_array_equal(a, b)
        assert_array_equal(a, c)
    for a, b in zip(dense[:4], csc32[:4]):
        assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert_allclose(dense[5], csc32[5], rtol=1e-10)


@pytest.mark.parametrize("layout", ["dense", "csc"])
def test_flat_coordinates(layout):
    """All-zero columns with l2 = 0 (h = 0): with l1 > 0 and |r| <= l1 the coordinate is set
    to W + D = 0; with l1 = 0 it is left as it is; with l2 > 0 it is an ordinary coordinate
    (h = l2), solved exactly: W + D = soft_threshold(W - gW / l2, l1 / l2)."""
    X, A, Cc, gW, gb, W = make_problem(30, 4, 2, kind="shrunk", seed=2, zero_cols=[1, 2])
    gW[:, 1] = 0.0
    gW[:, 2] = [0.05, -0.5]
    W[:, 1] = [1.5, -2.0]
    W[:, 2] = [0.7, 0.0]
    Xa = x_arg(X, layout)
    D0 = np.zeros_like(W)
    D0[:, 1] = [0.25, 0.5]
    # l1 > 0: column 1 has r = 0, column 2 r = gW (|0.05| <= l1, |-0.5| > l1: unbounded,
    # left as it is).
    D, *_ = run(Xa, A, Cc, gW, gb, W, 0.1, 0.0, True, D0=D0)
    assert_array_equal((W + D)[:, 1], 0.0)
    assert (W + D)[0, 2] == 0.0
    assert D[1, 2] == 0.0
    # l1 = 0: left as given.
    D, *_ = run(Xa, A, Cc, gW, gb, W, 0.0, 0.0, True, D0=D0)
    assert_array_equal(D[:, 1:3], D0[:, 1:3])
    # l2 > 0: the 1-D problem gW D + l2/2 D^2 + l1 |W + D| (W + D = u below).
    l1, l2 = 0.1, 0.5
    D, *_ = run(Xa, A, Cc, gW, gb, W, l1, l2, True, D0=D0)
    for j in (1, 2):
        v = W[:, j] - gW[:, j] / l2
        u = np.sign(v) * np.maximum(np.abs(v) - l1 / l2, 0.0)
        assert_allclose((W + D)[:, j], u, atol=1e-14)


@pytest.mark.parametrize("layout", ["dense", "csc"])
def test_warm_start_recomputes_dz(layout):
    """D and Db given, dZ and s garbage on entry: the routine recomputes them; the warm and
    the cold start reach the same minimizer."""
    X, A, Cc, gW, gb, W = make_problem(50, 6, 3, kind="shrunk", seed=4)
    args = (x_arg(X, layout), A, Cc, gW, gb, W, 0.05, 0.01, True)
    cold = run(*args)
    rng = np.random.default_rng(9)
    warm = run(*args, D0=rng.standard_normal(W.shape), Db0=rng.standard_normal(3))
    for a, b in zip(cold[:4], warm[:4]):
        assert_allclose(a, b, rtol=0, atol=1e-9)
    D, Db, dZ, s = warm[:4]
    assert_allclose(dZ, D @ X.T + Db[:, None], atol=1e-12)
    assert_allclose(s, np.sum(Cc * dZ, axis=0), atol=1e-12)
    # No sweep: only dZ and s, from the step given.
    D0 = rng.standard_normal(W.shape)
    D, Db, dZ, s, n_sweeps, change = run(*args, D0=D0, Db0=np.ones(3), max_sweeps=0)
    assert (n_sweeps, change) == (0, np.inf)
    assert_array_equal(D, D0)
    assert_allclose(dZ, D0 @ X.T + 1.0, atol=1e-12)


@pytest.mark.parametrize("layout", ["dense", "csc"])
def test_read_only_inputs_and_determinism(layout):
    X, A, Cc, gW, gb, W = make_problem(40, 5, 3, kind="shrunk", seed=6)
    Xa = x_arg(X, layout)
    inputs = [Xa] if layout == "dense" else list(Xa)
    inputs += [A, Cc, gW, gb, W]
    copies = [a.copy() for a in inputs]
    for a in inputs:
        a.flags.writeable = False
    first = run(Xa, A, Cc, gW, gb, W, 0.1, 0.01, True, max_sweeps=7, tol=0.0)
    second = run(Xa, A, Cc, gW, gb, W, 0.1, 0.01, True, max_sweeps=7, tol=0.0)
    for a, c in zip(inputs, copies):
        assert_array_equal(a, c)
    for a, b in zip(first, second):
        assert_array_equal(a, b)


def test_sweep_count_and_convergence_flag():
    X, A, Cc, gW, gb, W = make_problem(40, 6, 3, kind="shrunk", seed=8)
    Xa = np.asfortranarray(X)
    _, _, _, _, n_sweeps, change = run(Xa, A, Cc, gW, gb, W, 0.1, 0.01, True, max_sweeps=1)
    assert n_sweeps == 1 and change > 1e-13
    _, _, _, _, n_sweeps, change = run(Xa, A, Cc, gW, gb, W, 0.1, 0.01, True, tol=1e-6)
    assert 1 < n_sweeps < 100_000 and change <= 1e-6
    # A loose tolerance is met in fewer sweeps; a tighter one goes on from there.
    _, _, _, _, n_tight, _ = run(Xa, A, Cc, gW, gb, W, 0.1, 0.01, True, tol=1e-12)
    assert n_tight > n_sweeps


def test_invalid_inputs():
    X, A, Cc, gW, gb, W = make_problem(10, 3, 2, seed=0)
    D, Db, dZ, s = np.zeros((2, 3)), np.zeros(2), np.zeros((2, 10)), np.zeros(10)

    def call(X_=None, A_=A, D_=D):
        X_ = np.asfortranarray(X) if X_ is None else X_
        return cd_quadratic(X_, A_, Cc, gW, gb, W, 0.0, 0.1, True, D_, Db, dZ, s, 5, 0.0)

    with pytest.raises(ValueError, match="Fortran"):
        call(X_=np.ascontiguousarray(X))
    with pytest.raises(ValueError, match="A"):
        call(A_=A.astype(np.float32))
    with pytest.raises(ValueError, match="D"):
        call(D_=np.zeros((3, 2)))
    data, indices, indptr = as_csc(X)
    bad = indices.copy()
    bad[0] = 10
    with pytest.raises(ValueError, match="CSC"):
        call(X_=(data, bad, indptr))
    with pytest.raises(ValueError, match="int32 or both int64"):
        call(X_=(data, indices.astype(np.int64), indptr))
    D_ro = D.copy()
    D_ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        call(D_=D_ro)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 25),
    d=st.integers(1, 5),
    K=st.integers(1, 3),
    kind=st.sampled_from(CURVATURES),
    l1=st.sampled_from([0.0, 0.01, 0.3, 3.0]),
    l2=st.sampled_from([1e-3, 0.1, 1.0]),
    fit_intercept=st.booleans(),
    layout=st.sampled_from(["dense", "csc"]),
)
def test_property_returned_step_minimizes(seed, n, d, K, kind, l1, l2, fit_intercept, layout):
    """q at the returned step is at most q(0) and q at random perturbations of it."""
    rng = np.random.default_rng(seed)
    X, A, Cc, gW, gb, W = make_problem(n, d, K, kind=kind, seed=seed)
    X[rng.random(X.shape) < 0.3] = 0.0
    W[rng.random(W.shape) < 0.3] = 0.0
    # (tol above the rounding floor of nearly singular problems, whose steps reach 1e3)
    D, Db, *_, change = run(
        x_arg(X, layout), A, Cc, gW, gb, W, l1, l2, fit_intercept, tol=1e-11
    )
    assert change <= 1e-11
    Db = Db if fit_intercept else None
    q = q_value(X, A, Cc, gW, gb, W, l1, l2, D, Db)
    slack = 1e-10 * (1.0 + abs(q))
    assert q <= q_value(X, A, Cc, gW, gb, W, l1, l2, np.zeros_like(D),
                        None if Db is None else np.zeros(K)) + slack
    for eps in (1e-4, 1e-2, 1.0):
        dD = eps * rng.standard_normal(D.shape)
        dDb = None if Db is None else Db + eps * rng.standard_normal(K)
        assert q <= q_value(X, A, Cc, gW, gb, W, l1, l2, D + dD, dDb) + slack
        # Perturbations that keep the zeros of W + D (where the l1 term has a kink).
        dD[W + D == 0.0] = 0.0
        assert q <= q_value(X, A, Cc, gW, gb, W, l1, l2, D + dD, dDb) + slack


def test_large_sparse_one_sweep():
    """n = 1e5, d = 2e4, 0.5% non-zeros, K = 10: one full sweep, with memory of order n K + nnz
    beyond X (the (dK)^2 = 4e10 Hessian entries would not fit)."""
    n, d, K = 100_000, 20_000, 10
    rng = np.random.default_rng(0)
    nnz = n * d // 200
    X = sp.coo_matrix(
        (rng.standard_normal(nnz), (rng.integers(0, n, nnz), rng.integers(0, d, nnz))),
        shape=(n, d),
    ).tocsc()
    A, Cc = make_curvature(rng, K, n, "softmax")
    gW = 1e-3 * rng.standard_normal((K, d))
    gb = 1e-3 * rng.standard_normal(K)
    gb -= gb.mean()
    W = np.zeros((K, d))
    D, Db, dZ, s = np.zeros((K, d)), np.zeros(K), np.empty((K, n)), np.empty(n)
    tracemalloc.start()
    try:
        n_sweeps, change = cd_quadratic(
            (X.data, X.indices, X.indptr), A, Cc, gW, gb, W, 1e-4, 1e-3, True, D, Db, dZ, s,
            1, 0.0,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n_sweeps == 1 and np.isfinite(change) and change > 0.0
    assert np.count_nonzero(D) > 0
    # Work: row-major copies of A, Cc, dZ (3 n K doubles), h and the active set (3 K d).
    assert peak < 8 * (3 * n * K + 4 * K * d) * 1.2
    r, rb = smooth_gradient(X, A, Cc, gW, gb, 1e-3, D, dZ, s)
    assert np.all(np.isfinite(r)) and np.all(np.isfinite(rb))
    assert_allclose(dZ[:, :1000], (X[:1000] @ D.T).T + Db[:, None], atol=1e-12)


@pytest.mark.parametrize("layout", ["dense", "csc"])
def test_no_features_solves_the_intercepts(layout):
    """d = 0: the intercepts alone, -Hbb^{-1} gb."""
    X, A, Cc, gW, gb, W = make_problem(30, 0, 3, kind="shrunk", seed=11)
    D, Db, dZ, _, _, change = run(x_arg(X, layout), A, Cc, gW, gb, W, 0.1, 0.1, True)
    assert change <= 1e-13 and D.shape == (3, 0)
    H = dense_hessian(X, A, Cc, 0.1, True)
    assert_allclose(Db, -np.linalg.solve(H, gb), atol=1e-10)
    assert_allclose(dZ, np.repeat(Db[:, None], 30, axis=1), atol=1e-14)


@pytest.mark.parametrize("layout", ["dense", "csc"])
@pytest.mark.parametrize("l1, l2", [(0.0, 0.05), (0.2, 0.05), (0.2, 0.0), (0.05, 1e-3)])
def test_softmax_rows_invariant_steps_same_minimizer_fewer_sweeps(layout, l1, l2):
    """With softmax rows the exact steps along each feature's (1, ..., 1) reach the same
    minimizer (q is convex; both runs converge) in fewer sweeps, and leave dZ and s as the
    returned step's."""
    X, A, Cc, gW, gb, W = make_problem(80, 5, 4, kind="softmax", seed=21)
    gW = 0.05 * (gW - gW.mean(axis=0)) + l2 * W  # a softmax's: data part sums to 0 over k
    K, n = A.shape
    out = {}
    for flag in (False, True):
        D, Db, dZ, s = np.zeros((K, 5)), np.zeros(K), np.empty((K, n)), np.empty(n)
        n_sweeps, change = cd_quadratic(x_arg(X, layout), A, Cc, gW, gb, W, l1, l2, True, D,
                                        Db, dZ, s, 100_000, 1e-12, flag)  # fmt: skip
        assert change <= 1e-12
        out[flag] = (D, Db, dZ, s, n_sweeps)
    (D0, _, _, _, n0), (D1, Db1, dZ1, s1, n1) = out[False], out[True]
    if l2 > 0:  # strictly convex along the invariant directions: one minimizer
        assert_allclose(D1, D0, atol=1e-8)
        assert_array_equal(W + D1 == 0, W + D0 == 0)
    qv = [q_value(X, A, Cc, gW, gb, W, l1, l2, o[0], o[1]) for o in (out[False], out[True])]
    assert qv[1] <= qv[0] + 1e-12 * abs(qv[0])
    assert n1 <= n0
    if 0 < l2 < 0.01:  # little curvature along the invariant directions: fewer sweeps
        assert n1 < n0
    # dZ and s describe the returned step although the invariant steps skipped them.
    assert_allclose(dZ1, D1 @ X.T + Db1[:, None], rtol=1e-12, atol=1e-14)
    assert_allclose(s1, (Cc * dZ1).sum(axis=0), rtol=1e-12, atol=1e-15)
