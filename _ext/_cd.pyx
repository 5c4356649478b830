# Coordinate descent on the quadratic model of a linear model's objective: the inner solver
# of a proximal Newton method ("newton-cd"). Given the current coefficients W (K, d) (and
# intercepts), the gradient of the smooth objective (gW (K, d), gb (K,)), and each row's
# curvature with respect to its K raw predictions, H_i = diag(A_i) - Cc_i Cc_i^T, it
# minimizes over the step D (K, d), Db (K,)
#
#   q(D, Db) = gW.D + gb.Db + 1/2 sum_i dZ_i^T H_i dZ_i + l2/2 ||D||^2 + l1 ||W + D||_1,
#   dZ_i = x_i D^T + Db
#
# by cyclic coordinate descent, never forming the (dK) x (dK) Hessian. It keeps dZ (K, n)
# and s_i = Cc_i . dZ_i (n,). For coordinate (k, j), x_:j a column of X:
#
#   r = gW_kj + l2 D_kj + sum_i x_ij (A_ik dZ_ik - Cc_ik s_i)     (d q / d D_kj)
#   h = l2 + sum_i x_ij^2 (A_ik - Cc_ik^2)                         (d^2 q / d D_kj^2)
#   u = soft_threshold(W_kj + D_kj - r / h, l1 / h)                (the new W_kj + D_kj)
#   D_kj <- u - W_kj;  delta = the change of D_kj;  dZ_:k += delta x_:j;  s += delta Cc_:k x_:j
#
# and for intercept k the same with x_:j = 1 and l1 = l2 = 0. X is read by columns (CSC, or
# dense in Fortran order), each column once per feature for all K outputs, while it is in
# cache. The h of every coordinate is computed once per call.

from libc.math cimport fabs, INFINITY
from libc.float cimport DBL_EPSILON

import numpy as np

from _loss_rows cimport floating

ctypedef fused index_t:
    int
    long long

# A coordinate's data curvature sum_i x_ij^2 (A_ik - Cc_ik^2) is taken as 0 when it is at most
# FLAT_RTOL * sum_i x_ij^2 A_ik: a curvature that small is below what the rounding of
# A_ik - Cc_ik^2 resolves (for a softmax, T p (1 - p) for p within ~1e-15 of 1), and a step
# r / h on it would be noise.
cdef double FLAT_RTOL = 16.0 * DBL_EPSILON


cdef inline double soft_threshold(double x, double t) noexcept nogil:
    if x > t:
        return x - t
    if x < -t:
        return x + t
    return 0.0


cdef inline double column_residual(
    const floating *xv, const index_t *xi, Py_ssize_t m, const double *Ak,
    const double *Ck, const double *dZk, const double *s, Py_ssize_t rs,
) noexcept nogil:
    """sum_i x_i (A_ik dZ_ik - Cc_ik s_i) over a column: dense (xi NULL: m = n rows,
    Ak, Ck, dZk contiguous) or sparse (m non-zeros, rows xi; row i of Ak, Ck, dZk at
    i * rs). Ck NULL: no Cc term. Dense: four partial sums (rows i mod 4), added in a fixed
    order, so that the loop vectorizes; sparse: in order."""
    cdef Py_ssize_t i, p, m4 = m - m % 4
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    if xi == NULL:
        if Ck == NULL:
            for i in range(0, m4, 4):
                a0 += <double> xv[i] * (Ak[i] * dZk[i])
                a1 += <double> xv[i + 1] * (Ak[i + 1] * dZk[i + 1])
                a2 += <double> xv[i + 2] * (Ak[i + 2] * dZk[i + 2])
                a3 += <double> xv[i + 3] * (Ak[i + 3] * dZk[i + 3])
            for i in range(m4, m):
                a0 += <double> xv[i] * (Ak[i] * dZk[i])
        else:
            for i in range(0, m4, 4):
                a0 += <double> xv[i] * (Ak[i] * dZk[i] - Ck[i] * s[i])
                a1 += <double> xv[i + 1] * (Ak[i + 1] * dZk[i + 1] - Ck[i + 1] * s[i + 1])
                a2 += <double> xv[i + 2] * (Ak[i + 2] * dZk[i + 2] - Ck[i + 2] * s[i + 2])
                a3 += <double> xv[i + 3] * (Ak[i + 3] * dZk[i + 3] - Ck[i + 3] * s[i + 3])
            for i in range(m4, m):
                a0 += <double> xv[i] * (Ak[i] * dZk[i] - Ck[i] * s[i])
        return (a0 + a1) + (a2 + a3)
    if Ck == NULL:
        for p in range(m):
            i = xi[p] * rs
            a0 += <double> xv[p] * (Ak[i] * dZk[i])
    else:
        for p in range(m):
            i = xi[p]
            a0 += <double> xv[p] * (Ak[i * rs] * dZk[i * rs] - Ck[i * rs] * s[i])
    return a0


cdef inline void column_update(
    const floating *xv, const index_t *xi, Py_ssize_t m, double delta, const double *Ck,
    double *dZk, double *s, Py_ssize_t rs,
) noexcept nogil:
    """dZ_:k += delta x;  s += delta Cc_:k x (Ck NULL: no s). Layout as column_residual."""
    cdef Py_ssize_t i, p
    cdef double t
    if xi == NULL:
        if Ck == NULL:
            for i in range(m):
                dZk[i] += delta * <double> xv[i]
        else:
            for i in range(m):
                t = delta * <double> xv[i]
                dZk[i] += t
                s[i] += t * Ck[i]
        return
    if Ck == NULL:
        for p in range(m):
            dZk[xi[p] * rs] += delta * <double> xv[p]
    else:
        for p in range(m):
            i = xi[p]
            t = delta * <double> xv[p]
            dZk[i * rs] += t
            s[i] += t * Ck[i * rs]


cdef inline void get_column(
    const floating *xdata, const index_t *xind, const index_t *xptr, Py_ssize_t n,
    Py_ssize_t j, const floating **xv, const index_t **xi, Py_ssize_t *m,
) noexcept nogil:
    """Column j: dense (xind NULL, Fortran order: n values at xdata + j n) or CSC."""
    if xind == NULL:
        xv[0] = xdata + j * n
        xi[0] = NULL
        m[0] = n
    else:
        xv[0] = xdata + xptr[j]
        xi[0] = xind + xptr[j]
        m[0] = xptr[j + 1] - xptr[j]


cdef inline double coordinate_step(
    const floating *xv, const index_t *xi, Py_ssize_t m, Py_ssize_t k, Py_ssize_t j,
    Py_ssize_t ks, Py_ssize_t rs, Py_ssize_t d, const double *A, const double *Cc,
    const double *gW, const double *W, const double *h, double l1, double l2, double *D,
    double *dZ, double *s,
) noexcept nogil:
    """One coordinate (k, j): returns its change measure h |delta|. Entry (k, i) of
    A, Cc, dZ at k * ks + i * rs."""
    cdef Py_ssize_t kj = k * d + j
    cdef const double *Ck = NULL
    cdef double r, u, t0, hk = h[kj], d_new, delta
    if hk <= 0.0 and l1 == 0.0:  # flat and linear: left as it is (below)
        return 0.0
    if Cc != NULL:
        Ck = Cc + k * ks
    r = gW[kj] + l2 * D[kj] + column_residual(xv, xi, m, A + k * ks, Ck, dZ + k * ks, s, rs)
    t0 = W[kj] + D[kj]
    if hk > 0.0:
        u = soft_threshold(t0 - r / hk, l1 / hk)
    elif l1 > 0.0 and fabs(r) <= l1:
        # Flat: the 1-D problem r (t - t0) + l1 |t| is minimized at t = 0.
        u = 0.0
    else:
        # Flat and linear (l1 = 0, or |r| > l1): no finite minimizer, or every t is one
        # (r = 0): the coordinate is left as it is.
        return 0.0
    d_new = u - W[kj]  # exactly -W_kj when u = 0: W + D is then exactly 0
    delta = d_new - D[kj]
    if delta == 0.0:
        return 0.0
    D[kj] = d_new
    column_update(xv, xi, m, delta, Ck, dZ + k * ks, s, rs)
    return hk * fabs(delta)


cdef inline double intercept_step(
    Py_ssize_t k, Py_ssize_t n, Py_ssize_t ks, Py_ssize_t rs, const double *A,
    const double *Cc, const double *gb, const double *hb, double *Db, double *dZ, double *s,
) noexcept nogil:
    """Intercept k (x = 1, no penalty): returns its change measure h |delta|."""
    cdef Py_ssize_t i
    cdef const double *Ak = A + k * ks
    cdef const double *Ck = NULL
    cdef double *dZk = dZ + k * ks
    cdef double r = 0.0, delta
    if Cc != NULL:
        Ck = Cc + k * ks
    if hb[k] <= 0.0:  # flat: the 1-D problem is linear; left as it is
        return 0.0
    if Ck == NULL:
        for i in range(n):
            r += Ak[i * rs] * dZk[i * rs]
    else:
        for i in range(n):
            r += Ak[i * rs] * dZk[i * rs] - Ck[i * rs] * s[i]
    delta = -(gb[k] + r) / hb[k]
    if delta == 0.0:
        return 0.0
    Db[k] += delta
    if Ck == NULL:
        for i in range(n):
            dZk[i * rs] += delta
    else:
        for i in range(n):
            dZk[i * rs] += delta
            s[i] += delta * Ck[i * rs]
    return hb[k] * fabs(delta)


cdef inline double invariant_step(
    Py_ssize_t j, Py_ssize_t K, Py_ssize_t d, const double *W, const double *h, double l1,
    double l2, double *D, double *u, double *c,
) noexcept nogil:
    """Feature j's exact step along v = (1, ..., 1) over its K outputs (softmax rows only).

    With softmax rows (A_i = Cc_i sum_k Cc_ik) the model's data part is invariant along v,
    and so are the residuals of every coordinate: only the penalty curves along it, and
    coordinate descent alone crawls there (its K coordinates are coupled through the
    rank-one term). The gradient's data part sums to 0 over the outputs (a softmax's), so
    the smooth part's derivative along v is G = l2 sum_k u_k, u_k = W_kj + D_kj, computed
    so (from gW it would carry the data part's rounding, which a tiny l2 would blow up).
    The 1-D problem in t,

        phi(t) = G t + K l2 t^2 / 2 + l1 sum_k |u_k + t|,

    has a monotone subgradient G + K l2 t + l1 sum_k sign(u_k + t), piecewise linear with
    breakpoints at -u_k: its root is found interval by interval over the sorted
    breakpoints. D_:j += t (a coordinate landing on its breakpoint is set to exactly
    -W_kj). dZ and s are not touched: the residuals do not see the move (the caller
    recomputes them at the end). Returns the change measure max_k h_kj |t|. u, c: K
    doubles each.
    """
    cdef Py_ssize_t k, m, q
    cdef double G = 0.0, a = K * l2, t = 0.0, lo, hi, cand, low_v, high_v, tmp, change = 0.0
    cdef bint found = False
    for k in range(K):
        u[k] = W[k * d + j] + D[k * d + j]
        G += l2 * u[k]
    if l1 == 0.0:
        if a <= 0.0:
            return 0.0
        t = -G / a
        found = True
    else:
        for k in range(K):  # breakpoints, sorted ascending (insertion sort: K is small)
            tmp = -u[k]
            q = k
            while q > 0 and c[q - 1] > tmp:
                c[q] = c[q - 1]
                q -= 1
            c[q] = tmp
        for m in range(K + 1):
            # Between breakpoints m - 1 and m: m of the u_k + t are positive.
            lo = c[m - 1] if m > 0 else -INFINITY
            hi = c[m] if m < K else INFINITY
            if a > 0.0:
                cand = -(G + l1 * (2 * m - K)) / a
                if lo < cand < hi:
                    t = cand
                    found = True
                    break
            if m < K:  # at breakpoint m: the subgradient's range
                low_v = G + a * c[m] + l1 * (2 * m - K)
                high_v = G + a * c[m] + l1 * (2 * (m + 1) - K)
                if low_v <= 0.0 <= high_v:
                    t = c[m]
                    found = True
                    break
    if not found or t == 0.0:
        return 0.0
    for k in range(K):
        if u[k] + t == 0.0:
            D[k * d + j] = -W[k * d + j]  # exactly zero
        else:
            D[k * d + j] += t
        change = max(change, h[k * d + j] * fabs(t))
    return change


cdef inline void recompute_dz(
    const floating *xdata, const index_t *xind, const index_t *xptr, Py_ssize_t n,
    Py_ssize_t d, Py_ssize_t K, Py_ssize_t ks, Py_ssize_t rs, const double *Cc,
    bint fit_intercept, const double *D, const double *Db, double *dZ, double *s,
) noexcept nogil:
    """dZ = X D^T + Db and s = (Cc_i . dZ_i)_i from D and Db."""
    cdef Py_ssize_t i, j, k, m
    cdef const floating *xv
    cdef const index_t *xi
    cdef const double *Ck
    cdef double *dZk
    cdef double v
    for k in range(K):
        v = Db[k] if fit_intercept else 0.0
        dZk = dZ + k * ks
        for i in range(n):
            dZk[i * rs] = v
    for j in range(d):
        get_column(xdata, xind, xptr, n, j, &xv, &xi, &m)
        for k in range(K):
            v = D[k * d + j]
            if v != 0.0:
                column_update(xv, xi, m, v, NULL, dZ + k * ks, NULL, rs)
    for i in range(n):
        s[i] = 0.0
    if Cc != NULL:
        for k in range(K):
            Ck = Cc + k * ks
            dZk = dZ + k * ks
            for i in range(n):
                s[i] += Ck[i * rs] * dZk[i * rs]


cdef void cd_core(
    const floating *xdata, const index_t *xind, const index_t *xptr,
    Py_ssize_t n, Py_ssize_t d, Py_ssize_t K, Py_ssize_t ks, Py_ssize_t rs,
    const double *A, const double *Cc, const double *gW, const double *gb, const double *W,
    double l1, double l2, bint fit_intercept,
    double *D, double *Db, double *dZ, double *s, double *h, double *hb,
    Py_ssize_t *act_j, Py_ssize_t *act_ptr, Py_ssize_t *act_k,
    Py_ssize_t max_sweeps, double tol, Py_ssize_t *n_sweeps_out, double *change_out,
    bint softmax_rows, double *inv_buf,
) noexcept nogil:
    """The whole solve; see cd_quadratic. Entry (k, i) of A, Cc, dZ at k * ks + i * rs:
    class-major (ks = n, rs = 1) for dense X, whose columns are then swept contiguously;
    row-major (ks = 1, rs = K) for CSC X, whose non-zeros in row i then find the K entries of
    row i in one or two cache lines. Work: h (K d), hb (K), act_j (d), act_ptr (d + 1),
    act_k (K d)."""
    cdef Py_ssize_t i, j, k, kj, m, p, q, n_act_cols, n_act, n_sweeps = 0
    cdef const floating *xv
    cdef const index_t *xi
    cdef const double *Ak
    cdef const double *Ck
    cdef double *dZk
    cdef double x2, hd, scale, v, change, last_full = INFINITY
    cdef bint full

    # Curvatures of the coordinates, once: h_kj = l2 + sum_i x_ij^2 (A_ik - Cc_ik^2).
    for j in range(d):
        get_column(xdata, xind, xptr, n, j, &xv, &xi, &m)
        for k in range(K):
            Ak = A + k * ks
            Ck = NULL
            if Cc != NULL:
                Ck = Cc + k * ks
            hd = 0.0
            scale = 0.0
            for p in range(m):
                i = p * rs if xi == NULL else xi[p] * rs
                x2 = <double> xv[p] * <double> xv[p]
                scale += x2 * Ak[i]
                hd += x2 * (Ak[i] if Ck == NULL else Ak[i] - Ck[i] * Ck[i])
            if hd <= FLAT_RTOL * scale:
                hd = 0.0
            h[k * d + j] = l2 + hd
    if fit_intercept:
        for k in range(K):
            Ak = A + k * ks
            Ck = NULL
            if Cc != NULL:
                Ck = Cc + k * ks
            hd = 0.0
            scale = 0.0
            for q in range(n):
                i = q * rs
                scale += Ak[i]
                hd += Ak[i] if Ck == NULL else Ak[i] - Ck[i] * Ck[i]
            hb[k] = 0.0 if hd <= FLAT_RTOL * scale else hd

    # dZ = X D^T + Db and s = (Cc_i . dZ_i)_i from the D and Db given (a warm start).
    recompute_dz(xdata, xind, xptr, n, d, K, ks, rs, Cc, fit_intercept, D, Db, dZ, s)
    softmax_rows = softmax_rows and Cc != NULL and K > 1

    # Sweeps: a full sweep; until one changes nothing beyond tol, sweeps over the active
    # set (the coordinates with W + D != 0, and the intercepts) until those converge, then
    # a full sweep again.
    full = True
    n_act = K * d
    while n_sweeps < max_sweeps:
        change = 0.0
        if full:
            for j in range(d):
                get_column(xdata, xind, xptr, n, j, &xv, &xi, &m)
                for k in range(K):
                    change = max(change, coordinate_step(
                        xv, xi, m, k, j, ks, rs, d, A, Cc, gW, W, h, l1, l2, D, dZ, s))
                if softmax_rows:
                    change = max(change, invariant_step(
                        j, K, d, W, h, l1, l2, D, inv_buf, inv_buf + K))
        else:
            for q in range(n_act_cols):
                j = act_j[q]
                get_column(xdata, xind, xptr, n, j, &xv, &xi, &m)
                for p in range(act_ptr[q], act_ptr[q + 1]):
                    change = max(change, coordinate_step(
                        xv, xi, m, act_k[p], j, ks, rs, d, A, Cc, gW, W, h, l1, l2, D, dZ, s))
                if softmax_rows:
                    change = max(change, invariant_step(
                        j, K, d, W, h, l1, l2, D, inv_buf, inv_buf + K))
        if fit_intercept:
            for k in range(K):
                change = max(change, intercept_step(k, n, ks, rs, A, Cc, gb, hb, Db, dZ, s))
        n_sweeps += 1
        if full:
            last_full = change
            if change <= tol:
                break
            # The active set after this full sweep.
            n_act_cols = 0
            n_act = 0
            act_ptr[0] = 0
            for j in range(d):
                for k in range(K):
                    kj = k * d + j
                    if W[kj] + D[kj] != 0.0:
                        act_k[n_act] = k
                        n_act += 1
                if n_act > act_ptr[n_act_cols]:
                    act_j[n_act_cols] = j
                    n_act_cols += 1
                    act_ptr[n_act_cols] = n_act
            # Every coordinate active: an active sweep would be a full one, so go on with
            # full sweeps (each of which may stop the solve).
            full = n_act == K * d
        elif change <= tol:
            full = True
    if softmax_rows:  # the invariant steps left dZ and s behind (by invariant amounts)
        recompute_dz(xdata, xind, xptr, n, d, K, ks, rs, Cc, fit_intercept, D, Db, dZ, s)
    n_sweeps_out[0] = n_sweeps
    change_out[0] = last_full


def _check(name, a, shape, dtype=np.float64, order="C"):
    if not isinstance(a, np.ndarray) or a.dtype != dtype or a.shape != shape:
        raise ValueError(
            f"{name}: expected a {np.dtype(dtype).name} array of shape {shape}, got "
            f"{getattr(a, 'dtype', type(a).__name__)} of shape {getattr(a, 'shape', None)}"
        )
    if not (a.flags.c_contiguous if order == "C" else a.flags.f_contiguous):
        raise ValueError(f"{name}: expected a {order}-contiguous array")


def _dense(
    const floating[::1, :] X, const double[:, ::1] A, const double[:, ::1] Cc, bint has_cc,
    const double[:, ::1] gW, const double[::1] gb, const double[:, ::1] W,
    double l1, double l2, bint fit_intercept,
    double[:, ::1] D, double[::1] Db, double[:, ::1] dZ, double[::1] s,
    double[::1] h, double[::1] hb, Py_ssize_t[::1] act_j, Py_ssize_t[::1] act_ptr,
    Py_ssize_t[::1] act_k, Py_ssize_t max_sweeps, double tol, bint softmax_rows,
    double[::1] inv_buf,
):
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], K = A.shape[0], n_sweeps = 0
    cdef double change = INFINITY
    with nogil:
        cd_core(
            &X[0, 0], <const int *> NULL, <const int *> NULL, n, d, K, n, 1, &A[0, 0],
            &Cc[0, 0] if has_cc else NULL, &gW[0, 0], &gb[0], &W[0, 0], l1, l2,
            fit_intercept, &D[0, 0], &Db[0], &dZ[0, 0], &s[0], &h[0], &hb[0], &act_j[0],
            &act_ptr[0], &act_k[0], max_sweeps, tol, &n_sweeps, &change, softmax_rows,
            &inv_buf[0],
        )
    return n_sweeps, change


def _csc(
    const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
    Py_ssize_t n, Py_ssize_t K, const double[:, ::1] At, const double[:, ::1] Ct,
    bint has_cc, const double[:, ::1] gW, const double[::1] gb, const double[:, ::1] W,
    double l1, double l2, bint fit_intercept,
    double[:, ::1] D, double[::1] Db, double[:, ::1] dZt, double[::1] s,
    double[::1] h, double[::1] hb, Py_ssize_t[::1] act_j, Py_ssize_t[::1] act_ptr,
    Py_ssize_t[::1] act_k, Py_ssize_t max_sweeps, double tol, bint softmax_rows,
    double[::1] inv_buf,
):
    """CSC X; At, Ct, dZt row-major (n, K): the transposes of A, Cc, dZ."""
    cdef Py_ssize_t d = indptr.shape[0] - 1, n_sweeps = 0
    cdef double change = INFINITY
    with nogil:
        cd_core(
            &data[0], &indices[0], &indptr[0], n, d, K, 1, K, &At[0, 0],
            &Ct[0, 0] if has_cc else NULL, &gW[0, 0], &gb[0], &W[0, 0], l1, l2,
            fit_intercept, &D[0, 0], &Db[0], &dZt[0, 0], &s[0], &h[0], &hb[0], &act_j[0],
            &act_ptr[0], &act_k[0], max_sweeps, tol, &n_sweeps, &change, softmax_rows,
            &inv_buf[0],
        )
    return n_sweeps, change


def cd_quadratic(
    X, A, Cc, gW, gb, W, double l1, double l2, bint fit_intercept, D, Db, dZ, s,
    Py_ssize_t max_sweeps, double tol, bint softmax_rows=False,
):
    """Minimize the quadratic model q(D, Db) (see the module comment) by cyclic coordinate
    descent with glmnet's active-set strategy. Deterministic and serial: the same inputs
    give bitwise the same outputs.

    Parameters
    ----------
    X : ndarray (n, d), float32 or float64, Fortran-contiguous, or a tuple
        ``(data, indices, indptr)`` of a CSC matrix of shape (n, d) (data float32 or float64,
        indices and indptr both int32 or both int64; indices within [0, n), indptr
        non-decreasing from 0 to nnz; duplicates are summed, order within a column free).
    A, Cc : ndarray (K, n) float64, C-contiguous: row i's curvature diag(A_i) - Cc_i Cc_i^T
        (already divided by the objective's scale). Cc None: diagonal curvature.
    gW, gb : ndarray (K, d) and (K,) float64: the gradient of the smooth objective at
        (W, b). gb is read only when fit_intercept.
    W : ndarray (K, d) float64: the current coefficients (where the l1 term is taken).
    l1, l2 : float >= 0.
    fit_intercept : bool: whether the intercept steps Db are solved for (else Db is neither
        read nor written, and may be None).
    D, Db : ndarray (K, d), (K,) float64, in/out: the starting step (zeros for a cold
        start) and, on return, the step found.
    dZ : ndarray (K, n) float64, out: X D^T + Db at the returned step.
    s : ndarray (n,) float64, out: (Cc_i . dZ_i)_i at the returned step (zeros when Cc is
        None).
    max_sweeps : int >= 0: at most this many sweeps (full or active-set).
    tol : float: a sweep has converged when its change measure is at most tol.
    softmax_rows : bool, default False: the rows are a softmax's, ``A_i = Cc_i sum_k Cc_ik``
        (``A_ik = T_i p_ik``, ``Cc_ik = sqrt(T_i) p_ik``), and gW is a softmax's gradient
        (its data part, ``gW - l2 W``, sums to 0 over the outputs), so that the model's
        data part is invariant along "the same change of every output's coefficient of
        feature j"; each
        feature's coordinates are then followed by the exact step along that direction
        (see invariant_step), where coordinate descent alone converges slowly.

    dZ and s are recomputed from D and Db at the start (their contents on entry are not
    used): a warm start needs only D and Db.

    Work memory: h (K d), the active set (d + 1 + K d); for CSC X also row-major copies of
    A, Cc and dZ (3 n K doubles), so that a column's non-zeros find the K outputs of their
    row together (dZ is copied back at the end). Nothing of size (K d)^2.

    Each coordinate's curvature h_kj = l2 + sum_i x_ij^2 (A_ik - Cc_ik^2) (intercepts:
    sum_i (A_ik - Cc_ik^2)) is computed once; its data part is taken as 0 when it is at most
    16 eps sum_i x_ij^2 A_ik (rounding noise). A coordinate with h = 0 (an all-zero column
    with l2 = 0, say) has a linear 1-D problem r (t - t0) + l1 |t| in t = W_kj + D_kj: it is
    set to W_kj + D_kj = 0 when l1 > 0 and |r| <= l1 (the minimizer), and left as it is
    otherwise (l1 = 0, or |r| > l1: every t minimizes, or none does). A flat intercept is
    left as it is.

    Order of a sweep: feature by feature (j = 0..d-1; a full sweep visits every one, an
    active-set sweep only those with an active output), for each feature its outputs k in
    order (the column is read once for the K outputs), then the intercepts k = 0..K-1.
    Change measure of a sweep: the maximum over the coordinates it visited of h |delta|
    (delta the change of the coordinate in that visit): the violation of the coordinate's
    optimality condition in the model before the visit, in the units of a gradient, so that
    the caller can compare it with the outer optimality measure.

    Strategy: a full sweep; if its change measure is at most tol, stop. Otherwise the active
    set is the coordinates with W + D != 0 (plus the intercepts); sweep over it until a
    sweep's change is at most tol, then a full sweep again, and so on, at most max_sweeps
    sweeps in all. (When every coordinate is active, the sweeps are full ones.)

    Returns
    -------
    n_sweeps : int, the number of sweeps carried out.
    max_change : float, the change measure of the last full sweep (inf if none). The solve
        converged if and only if max_change <= tol: a full sweep within tol ends it.
    """
    A = np.asarray(A)
    if A.ndim != 2:
        raise ValueError("A: expected a 2-d array (K, n)")
    K, n = A.shape
    if isinstance(X, tuple):
        data, indices, indptr = X
        if indices.dtype != indptr.dtype or indices.dtype not in (np.int32, np.int64):
            raise ValueError("indices and indptr: both int32 or both int64 expected")
        if data.dtype not in (np.float32, np.float64):
            raise ValueError("data: float32 or float64 expected")
        d = indptr.shape[0] - 1
        nnz = data.shape[0]
        if (d < 0 or indices.shape != (nnz,) or indptr[0] != 0 or indptr[d] != nnz
                or np.any(np.diff(indptr) < 0)
                or (nnz and (indices.min() < 0 or indices.max() >= n))):
            raise ValueError("(data, indices, indptr): not a valid CSC matrix with n rows")
    else:
        if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[0] != n:
            raise ValueError("X: expected an (n, d) array or (data, indices, indptr)")
        if X.dtype not in (np.float32, np.float64) or not X.flags.f_contiguous:
            raise ValueError("X: a Fortran-contiguous float32 or float64 array expected")
        d = X.shape[1]
    _check("A", A, (K, n))
    has_cc = Cc is not None
    if has_cc:
        _check("Cc", Cc, (K, n))
    _check("gW", gW, (K, d))
    _check("W", W, (K, d))
    _check("D", D, (K, d))
    _check("dZ", dZ, (K, n))
    _check("s", s, (n,))
    if fit_intercept:
        _check("gb", gb, (K,))
        _check("Db", Db, (K,))
    if not (l1 >= 0 and l2 >= 0) or max_sweeps < 0:
        raise ValueError("l1 >= 0, l2 >= 0 and max_sweeps >= 0 expected")
    if not (D.flags.writeable and dZ.flags.writeable and s.flags.writeable
            and (not fit_intercept or Db.flags.writeable)):
        raise ValueError("D, Db, dZ and s must be writeable")
    if K == 0:  # no coordinates
        return 0, 0.0
    if not isinstance(X, tuple) and d == 0:  # no columns: the CSC path, without non-zeros
        data, indices = np.zeros(0, X.dtype), np.zeros(0, np.int32)
        indptr = np.zeros(1, np.int32)
    if isinstance(X, tuple) and data.shape[0] == 0:
        # No non-zeros: one-entry stand-ins (every column is empty: never read).
        data, indices = np.zeros(1, data.dtype), np.zeros(1, indices.dtype)
    dummy = np.zeros((1, 1))
    Cc_ = Cc if has_cc else dummy
    if not fit_intercept:
        gb = Db = np.zeros(K)
    if d == 0:  # (K, 0) arrays have no first entry to point at
        gW, W, D = dummy, dummy, np.zeros((1, 1))
    h = np.empty(max(K * d, 1))
    hb = np.empty(K)
    act_j = np.empty(max(d, 1), dtype=np.intp)
    act_ptr = np.empty(d + 1, dtype=np.intp)
    act_k = np.empty(max(K * d, 1), dtype=np.intp)
    inv_buf = np.empty(2 * K)
    softmax_rows = bool(softmax_rows) and has_cc and d > 0
    if isinstance(X, tuple) or d == 0:
        # Row-major copies for the CSC kernel (O(n K) each, once per call).
        dZt = np.empty((n, K))
        result = _csc(
            data, indices, indptr, n, K, np.ascontiguousarray(A.T),
            np.ascontiguousarray(Cc.T) if has_cc else dummy, has_cc, gW, gb, W, l1, l2,
            fit_intercept, D, Db, dZt, s, h, hb, act_j, act_ptr, act_k, max_sweeps, tol,
            softmax_rows, inv_buf,
        )
        dZ[...] = dZt.T
        return result
    return _dense(
        X, A, Cc_, has_cc, gW, gb, W, l1, l2, fit_intercept, D, Db, dZ, s, h, hb,
        act_j, act_ptr, act_k, max_sweeps, tol, softmax_rows, inv_buf,
    )
