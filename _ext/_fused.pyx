# One-pass blocked loss and gradient of a linear model under a per-row loss of its raw
# predictions: soft-label cross-entropy (softmax, or a single logit for two classes),
# independent sigmoids (binary cross-entropy per column), or the continuous Bernoulli.
#
# For raw predictions Z = X @ W.T + b (W of shape (n_out, d)) these kernels compute, in one
# sweep over the rows of X,
#
#   loss = sum_i loss_i(Z_i)        grad_W = G.T @ X        grad_b = sum_i G_i
#
# with G_i = d loss_i / d Z_i (sample and class weights folded in). Instead of two passes
# over X (X @ W.T, then G.T @ X) and (n, n_out) temporaries, the rows are cut into blocks
# small enough for the core's cache; for each block,
#
#   1. Z_blk = X_blk @ W.T           (BLAS gemm, into a per-thread (block, n_out) buffer)
#   2. loss and G_blk                (block_multinomial for a softmax, block_sigmoids for
#                                     sigmoids; rows_loss_gradient for a single logit)
#   3. acc  += G_blk.T @ X_blk       (BLAS gemm, X_blk still in cache), grad_b by sum8
#
# so X is read from memory once per evaluation. Step 2 works class-major ((n_out, block)):
# every pass is a loop over the block's rows, which the compiler vectorizes (the exps
# included: _loss_rows' inline exps are branch-free), where a loop over 10 classes would
# not. Meanwhile it prefetches the next block of X into L2, so that step 1 of the next
# block, which would otherwise wait on memory, finds its rows in cache. Both gemms are
# "N", "N" (W^T is stored (d, n_out), G_blk column-major): OpenBLAS's small-matrix kernels.
# A softmax over many outputs of float64 X (ROW_MAJOR_MIN_OUTPUTS) works row by row instead
# (block_multinomial_rows: loops over the outputs are long enough), G_blk row-major and the
# second gemm "N", "T".
# In the AVX-512 variant, a softmax over 2 to 4 outputs of float64 X with few features
# (use_softmax_tiles) does all three steps of a block in registers instead
# (_softmax_tiles.h): there BLAS's small gemm for Z_blk uses K of its 8 lanes, and the
# passes over the (K, rows) buffers cost more than the little arithmetic in them.
#
# Determinism: the blocks are grouped into `n_chunks` contiguous chunks, a number the caller
# derives from the problem's shape only (never from the thread count). Each chunk is reduced
# by one thread, sequentially, into its own float64 accumulators (loss, intercept gradient,
# coefficient gradient); the chunks are then added in chunk order. Whichever thread runs a
# chunk, the same floating-point operations happen in the same order, so the result is
# bitwise identical for every thread count and between runs (given a deterministic BLAS:
# the caller limits BLAS to one thread inside these kernels).
#
# float32 X: the gemms run in float32 (sgemm) on one block at a time; the partial gradient
# of a block (of a few blocks up to 256 rows when they are small) is then added into the
# float64 chunk accumulator, so the sum over the rows is carried out in float64 beyond that.
# In step 2 the exps (expf_nonpos, about 1 float ulp) and the gradient entries are computed
# in float, from float inputs; the row sums of the exps, their logs and the loss are
# accumulated in float64.
#
# CSR X: the same structure, without BLAS: for a block of rows, Z_i from each row's
# non-zeros (against W stored transposed, (d, n_out), for contiguous access), the loss and
# G_blk as for dense X, then acc[j, :] += x_ij G_i over the same non-zeros (csr_chunk). The
# sparse accumulators are (d, n_out).

from cython.parallel cimport prange, threadid

from libc.math cimport fabs, log1p

from _kernel_utils cimport CSR_PREFETCH_NNZ, csr_logits, gemm, index_t, prefetch_write
from _loss_rows cimport (
    KIND_CB, KIND_SIGMOIDS, KIND_SOFTMAX, binary_row, cb_row, exp_nonpos, expf_nonpos, floating,
    log_pos,
)

cdef extern from "_softmax_tiles.h" nogil:
    enum:
        SKFCE_SOFTMAX_TILES
        SKFCE_TILE_MAX_OUTPUTS
        SKFCE_TILE_MAX_FEATURES
    double softmax_tile_block "skfce_softmax_tile_block"(
        const double *X, const double *Y, const double *sw, const double *cw,
        const double *ts, const double *b, const double *wpad, double *acc, double *gint,
        Py_ssize_t m, Py_ssize_t d, Py_ssize_t pf_rows, int K) noexcept
    bint softmax_tiles_take "skfce_softmax_tiles_take"(int K, Py_ssize_t d, int available)

# The per-row loss ("kind") of the kernels, as passed from Python.
SOFTMAX = KIND_SOFTMAX
SIGMOIDS = KIND_SIGMOIDS
CONTINUOUS_BERNOULLI = KIND_CB

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define SKFCE_PREFETCH_L2(p) __builtin_prefetch((p), 0, 2)
    #else
    #define SKFCE_PREFETCH_L2(p) ((void) 0)
    #endif
    """
    void prefetch_l2 "SKFCE_PREFETCH_L2"(const void *p) noexcept nogil

# float32 X: the rows over which a partial coefficient gradient is summed in float (by sgemm)
# before it is added into the float64 accumulator: at least one block, and whole blocks up
# to this many rows. Small blocks (large d * n_out) otherwise paid an n_out * d addition per
# block of a few dozen rows.
cdef enum:
    FLUSH_ROWS = 256

# A softmax over at least this many outputs, float64 X, works row by row on the row-major
# Z_blk (block_multinomial_rows): its loops over the outputs are long enough to vectorize,
# and it reads Z_blk and the targets contiguously, where the class-major passes read both at
# a stride of n_out entries (the targets' strided loads were half of the row math at K=100).
# Measured against the class-major passes, one thread, n=1e5: 0.85 at d=20 K=100, 0.90 at
# d=100 K=100, 0.77 at K=64, 0.95 at K=32; 1.46 to 1.67 at K=5 and 10. float32 keeps the
# class-major passes in float (the row path, in double, was 1.09 at d=20 K=100).
cdef enum:
    ROW_MAJOR_MIN_OUTPUTS = 32
    Y_PREFETCH_ROWS = 4

cdef inline void add_compensated(double *total, double *comp, double x) noexcept nogil:
    """total + comp += x, Neumaier's compensated summation (the rounding error into comp)."""
    cdef double t = total[0] + x
    if fabs(total[0]) >= fabs(x):
        comp[0] += (total[0] - t) + x
    else:
        comp[0] += (x - t) + total[0]
    total[0] = t


cdef inline void rows_loss_gradient(
    const floating *z, const double *b, const floating *y, const double *sw, const double *cw,
    floating *g, double *gint, Py_ssize_t m, Py_ssize_t n_out, Py_ssize_t n_classes, int kind,
    double *total, double *comp,
) noexcept nogil:
    """Loss of m rows, one at a time (a single logit: the continuous Bernoulli, or a softmax
    of two classes), added to total + comp: by compensated summation for the continuous
    Bernoulli, by a plain running sum into total for the single logit of a softmax.

    Near an optimum L-BFGS-B compares objective values that differ by a few ulps: a plain
    running sum over the rows (a rounding error growing with n) made it stop early, a
    gradient of 3e-10 where 1e-12 was asked, on an intercept-only continuous Bernoulli fit
    (numpy's pairwise sum of the rows, before these kernels, reached 1e-12). The compensation
    costs little beside each entry's exp and log. The single logit keeps the running sum it
    had: its fits stay what they were.

    z (m, n_out), row-major: the raw predictions without the intercept b (NULL: in z
    already; added in X's precision). The gradient goes to g class-major ((n_out, m): G_blk
    column-major, for the second gemm), its column sums are added to gint. Rows in order,
    the columns in order within a row; each entry's arithmetic in double.
    """
    cdef Py_ssize_t i, k
    cdef floating zk
    cdef double loss
    for i in range(m):
        for k in range(n_out):
            zk = z[i * n_out + k]
            if b != NULL:
                zk = zk + <floating> b[k]
            if kind == KIND_CB:
                loss = cb_row(zk, y[i], sw[i], &g[i])
            else:  # a softmax of two classes: a single logit
                loss = binary_row(zk, y[2 * i], y[2 * i + 1], sw[i], cw[0], cw[1], &g[i])
            if kind == KIND_SOFTMAX:
                total[0] += loss
            else:
                add_compensated(total, comp, loss)
            gint[k] += g[k * m + i]


cdef inline void block_sigmoids(
    const floating *z, const double *b, const floating *y, const double *sw, const double *cw,
    floating *g, double *gint, double *work, Py_ssize_t m, Py_ssize_t K,
    double *total, double *comp,
) noexcept nogil:
    """Binary cross-entropy of one sigmoid per column on a block of m rows, class-major so
    that the passes vectorize over the rows (binary_row's math, rearranged branch-free).

    z (m, K), row-major: the logits without the intercept b (NULL: in z already; added in
    X's precision). With w = s_i cw_k, e = exp(-|z|) and L = log1p(e):

      loss_ik = w (y log1pexp(-z) + (1 - y) log1pexp(z))
              = w (L + y max(-z, 0) + (1 - y) max(z, 0))
      g_ik    = w (sigmoid(z) - y),   sigmoid(z) = (1 if z >= 0 else e) / (1 + e)

    in double. Every term is >= 0 (no cancellation, even for logits of 1e4). g (K, m) is
    G_blk column-major; its column sums are added to gint. The row losses (classes in order)
    are added to total + comp in row order by compensated summation (see
    rows_loss_gradient). work: 2 * m doubles.
    """
    cdef Py_ssize_t i, k
    cdef floating bk
    cdef double zi, yi, w, e, c, gs
    cdef double *lrow = work
    cdef double *ebuf = &work[m]
    for i in range(m):
        lrow[i] = 0.0
    for k in range(K):
        bk = <floating> b[k] if b != NULL else 0  # + 0 is exact
        c = cw[k]
        for i in range(m):
            zi = <double> (z[i * K + k] + bk)
            ebuf[i] = exp_nonpos(-fabs(zi))
        for i in range(m):  # the libm call alone: the loops around it vectorize
            lrow[i] += c * sw[i] * log1p(ebuf[i])
        gs = 0.0
        for i in range(m):
            zi = <double> (z[i * K + k] + bk)
            yi = y[i * K + k]
            w = sw[i] * c
            e = ebuf[i]
            lrow[i] += w * (
                yi * (-zi if zi < 0.0 else 0.0) + (1.0 - yi) * (zi if zi > 0.0 else 0.0)
            )
            g[k * m + i] = <floating> (w * (((1.0 if zi >= 0.0 else e) / (1.0 + e)) - yi))
        for i in range(m):
            gs += g[k * m + i]
        gint[k] += gs
    for i in range(m):
        add_compensated(total, comp, lrow[i])


cdef inline Py_ssize_t prefetch_share(
    const char *p, Py_ssize_t pos, Py_ssize_t step, Py_ssize_t length
) noexcept nogil:
    """Prefetch (into L2) bytes [pos, pos + step) of p[:length], a line at a time."""
    cdef Py_ssize_t j, stop = min(pos + step, length)
    j = pos
    while j < stop:
        prefetch_l2(p + j)
        j += 64
    return j


cdef inline double block_multinomial(
    const floating *z, const floating *y, const double *sw, const double *cw,
    const double *ts, const double *b, floating *u, floating *g, double *work,
    Py_ssize_t m, Py_ssize_t K, const char *pf, Py_ssize_t pf_len,
    const char *pfy, Py_ssize_t pfy_len,
) noexcept nogil:
    """Softmax cross-entropy on a block of m rows, class-major so that every pass vectorizes
    over the rows (K is often too short a loop to vectorize: 10 classes).

    z (m, K), row-major: the logits without the intercept b (NULL: in z already); ts: the
    rows' target sums T_i = s_i sum_k cw_k y_ik (row_target_sums). With
    u_ik = z_ik - max_k z_ik <= 0 and E_i = sum_k exp(u_ik) in [1, K]:

      loss_i = sum_k s_i cw_k y_ik (log E_i - u_ik) = T_i log E_i + s_i sum_k cw_k y_ik (-u_ik)
      g_ik   = exp(u_ik) T_i / E_i - s_i cw_k y_ik

    Both loss terms are >= 0 (no cancellation, even for logits of 1e4), and a zero target
    adds exactly 0 (0 log 0 = 0: u is finite). Passes, each a loop over the rows (inside a
    loop over the classes):

      1. u (K, m) <- z + b transposed; per row its max M_i (in X's precision);
      2. u <- u - M_i, g <- exp(u) (float32 X: expf_nonpos, in float), E_i += g (double);
      3. the first loss term per row;
      4. the second loss term (in double) and g (K, m) <- the gradient, class-major (G
         column-major, for the second gemm). float32 X: the gradient in float, from float
         inputs (y is float32 already): within a few float ulps of its terms.

    Per row, the sums run over the classes in order; the rows' losses sum in the fixed order of
    sum8 (eight running sums over the rows of the block).
    pf, pf_len and pfy, pfy_len: bytes to prefetch into L2 meanwhile, spread over the
    passes (the next block of X, so that the first gemm of the next block finds it in
    cache, and of the targets, which pass 4 reads at a stride of K: prefetching them took
    d = 20, K = 10 from 4.7 to 4.1-4.3 ms, one thread).
    u and g: K * m each; g may be z's buffer (z is read in pass 1 only). work: 6 * m doubles.
    """
    cdef Py_ssize_t i, k
    cdef Py_ssize_t pf_step = (pf_len + 3 * K - 1) // (3 * K), pf_pos = 0
    cdef Py_ssize_t pfy_step = (pfy_len + 3 * K - 1) // (3 * K), pfy_pos = 0
    cdef floating bk, cf
    cdef floating *uk
    cdef floating *gk
    cdef double c, t
    cdef double *tot = work
    cdef double *rs = &work[m]
    cdef double *lrow = &work[2 * m]
    cdef floating *mx = <floating *> &work[3 * m]
    cdef floating *swf = <floating *> &work[4 * m]
    cdef floating *rsf = <floating *> &work[5 * m]
    # 1. Transpose, intercept, row max (in the same sweep).
    for k in range(K):
        pf_pos = prefetch_share(pf, pf_pos, pf_step, pf_len)
        pfy_pos = prefetch_share(pfy, pfy_pos, pfy_step, pfy_len)
        uk = &u[k * m]
        bk = <floating> b[k] if b != NULL else 0  # + 0 is exact
        if k == 0:
            for i in range(m):
                uk[i] = z[i * K] + bk
                mx[i] = uk[i]
        else:
            for i in range(m):
                uk[i] = z[i * K + k] + bk
                mx[i] = uk[i] if uk[i] > mx[i] else mx[i]
    # 2. Shift, exp, row sums of the exps (one sweep per class).
    for i in range(m):
        tot[i] = 0.0
    for k in range(K):
        pf_pos = prefetch_share(pf, pf_pos, pf_step, pf_len)
        pfy_pos = prefetch_share(pfy, pfy_pos, pfy_step, pfy_len)
        uk = &u[k * m]
        gk = &g[k * m]
        if floating is float:
            for i in range(m):
                uk[i] = uk[i] - mx[i]
                gk[i] = expf_nonpos(uk[i])
                tot[i] += gk[i]
        else:
            for i in range(m):
                uk[i] = uk[i] - mx[i]
                gk[i] = exp_nonpos(uk[i])
                tot[i] += gk[i]
    # 3. First loss term (per row, into tot once rs no longer needs it); the scale of exp(u)
    # in the gradient.
    for i in range(m):  # the logs vectorize (log_pos)
        lrow[i] = log_pos(tot[i])
    for i in range(m):
        rs[i] = ts[i] / tot[i]
        tot[i] = ts[i] * lrow[i]
        lrow[i] = 0.0
    if floating is float:
        for i in range(m):
            swf[i] = <float> sw[i]
            rsf[i] = <float> rs[i]
    # 4. Second loss term and gradient.
    for k in range(K):
        pf_pos = prefetch_share(pf, pf_pos, pf_step, pf_len)
        pfy_pos = prefetch_share(pfy, pfy_pos, pfy_step, pfy_len)
        uk = &u[k * m]
        gk = &g[k * m]
        c = cw[k]
        if floating is float:
            cf = <float> c
            for i in range(m):
                lrow[i] -= (c * y[i * K + k]) * uk[i]
                gk[i] = gk[i] * rsf[i] - swf[i] * (cf * y[i * K + k])
        else:
            for i in range(m):
                t = c * y[i * K + k]
                lrow[i] -= t * uk[i]
                gk[i] = gk[i] * rs[i] - sw[i] * t
    # The rows' losses, summed in a fixed order by sum8 (8 running sums: a chain of m
    # dependent additions per block, twice, had been a sixth of the row math at K=3).
    for i in range(m):
        tot[i] += sw[i] * lrow[i]
    return sum8(tot, m)


# The entries a sum8 adds (X's precision or double), chosen by the argument alone.
ctypedef fused summand:
    float
    double


cdef inline double sum8(const summand *v, Py_ssize_t K) noexcept nogil:
    """sum of v[:K] in a fixed order, in double: 8 running sums over v[k::8] (one vector),
    then those in order, then the remainder in order."""
    cdef double part[8]
    cdef double total
    cdef Py_ssize_t k = 0, t
    for t in range(8):
        part[t] = 0.0
    while k + 8 <= K:
        for t in range(8):
            part[t] += <double> v[k + t]
        k += 8
    total = (((part[0] + part[1]) + (part[2] + part[3]))
             + ((part[4] + part[5]) + (part[6] + part[7])))
    while k < K:
        total += <double> v[k]
        k += 1
    return total


cdef inline double max8(const double *v, Py_ssize_t K) noexcept nogil:
    """max of v[:K] (K >= 1), 8 running maxima over v[k::8] (one vector), as sum8."""
    cdef double part[8]
    cdef double best
    cdef Py_ssize_t k = 0, t
    for t in range(8):
        part[t] = v[0]
    while k + 8 <= K:
        for t in range(8):
            part[t] = v[k + t] if v[k + t] > part[t] else part[t]
        k += 8
    best = part[0]
    for t in range(1, 8):
        best = part[t] if part[t] > best else best
    while k < K:
        best = v[k] if v[k] > best else best
        k += 1
    return best


cdef inline double block_multinomial_rows(
    const floating *z, const floating *y, const double *sw, const double *cw,
    const double *ts, const double *b, floating *g, double *gint, double *work,
    Py_ssize_t m, Py_ssize_t K, const char *pf, Py_ssize_t pf_len,
) noexcept nogil:
    """block_multinomial's softmax cross-entropy row by row, for many outputs (K >=
    ROW_MAJOR_MIN_OUTPUTS, float64 X): the same formulas, each row's loops over the K outputs
    (contiguous, vectorized; the row's max and sums kept 8-wide, in a fixed order), in
    double. z (m, K) row-major without b (NULL: in z already); the gradient goes to g
    row-major ((m, K): G_blk^T column-major, for a "T" second gemm) and its column sums to
    gint (rows in order). Returns the loss (rows in order). work: 2 * K doubles.
    """
    cdef Py_ssize_t i, k
    cdef Py_ssize_t pf_step = (pf_len + m - 1) // m if m > 0 else 0, pf_pos = 0
    cdef double mx, tot, rs, si, loss = 0.0
    cdef double *u = work
    cdef double *e = &work[K]
    cdef const floating *zi
    cdef const floating *yi
    cdef floating *gi
    cdef Py_ssize_t row_bytes = K * sizeof(floating)
    for i in range(m):
        pf_pos = prefetch_share(pf, pf_pos, pf_step, pf_len)
        if i + Y_PREFETCH_ROWS < m:  # the targets stream from memory: ask ahead
            prefetch_share(<const char *> &y[(i + Y_PREFETCH_ROWS) * K], 0, row_bytes,
                           row_bytes)
        zi = &z[i * K]
        yi = &y[i * K]
        gi = &g[i * K]
        if b != NULL:
            for k in range(K):
                u[k] = <double> (zi[k] + <floating> b[k])
        else:
            for k in range(K):
                u[k] = <double> zi[k]
        mx = max8(u, K)
        for k in range(K):
            u[k] = u[k] - mx
            e[k] = exp_nonpos(u[k])
        tot = sum8(e, K)
        rs = ts[i] / tot
        si = sw[i]
        for k in range(K):
            gi[k] = <floating> (e[k] * rs - si * (cw[k] * yi[k]))
            u[k] = (cw[k] * yi[k]) * (-u[k])
        loss += ts[i] * log_pos(tot) + si * sum8(u, K)
        for k in range(K):
            gint[k] += gi[k]
    return loss


cdef inline void add_column_sums(
    const floating *gd, double *gint, Py_ssize_t m, Py_ssize_t n_out,
) noexcept nogil:
    """gint += G^T @ 1 for a column-major (m, n_out) block G: the intercept gradient, each
    column summed in double by sum8 (a fixed order; float32 entries too). It replaced a gemv
    call per block, 1 to 2% of an evaluation at d = 20 (same-process A/B, one thread)."""
    cdef Py_ssize_t k
    for k in range(n_out):
        gint[k] += sum8(&gd[k * m], m)


cdef inline floating *block_loss_gradient(
    floating *z, const double *b, const floating *y, const double *sw, const double *cw,
    const double *ts, floating *g, double *gint, double *work, Py_ssize_t m,
    Py_ssize_t n_out, Py_ssize_t n_classes, int kind,
    const char *pf, Py_ssize_t pf_len, const char *pfy, Py_ssize_t pfy_len,
    double *loss, double *comp, bint *row_major,
) noexcept nogil:
    """Step 2 on a block of m rows, for every kind: the loss added to loss (+ comp), the
    gradient class-major ((n_out, m): G_blk column-major, for the second gemm or the CSR
    scatter), its column sums added to gint. Returns the buffer that holds the gradient: g,
    or z's own buffer for a softmax over several outputs (block_multinomial leaves the
    shifted logits in g). z (m, n_out), row-major: the raw predictions without b (NULL: in
    z already). pf, pf_len: bytes to prefetch meanwhile (softmax only; NULL, 0: none).
    work: max(6 * m, 2 * n_out) doubles. row_major: set to whether
    the gradient is row-major ((m, n_out): a softmax over ROW_MAJOR_MIN_OUTPUTS or more)
    instead.
    """
    row_major[0] = False
    if floating is double and kind == KIND_SOFTMAX and n_out >= ROW_MAJOR_MIN_OUTPUTS:
        row_major[0] = True
        loss[0] += block_multinomial_rows(z, y, sw, cw, ts, b, g, gint, work, m, n_out,
                                          pf, pf_len)
        return g
    if kind == KIND_SIGMOIDS:
        block_sigmoids(z, b, y, sw, cw, g, gint, work, m, n_out, loss, comp)
        return g
    if kind != KIND_SOFTMAX or n_out == 1:
        rows_loss_gradient(z, b, y, sw, cw, g, gint, m, n_out, n_classes, kind, loss, comp)
        return g
    loss[0] += block_multinomial(z, y, sw, cw, ts, b, g, z, work, m, n_out, pf, pf_len,
                                 pfy, pfy_len)
    add_column_sums(z, gint, m, n_out)
    return z


# The register-tile softmax block (_softmax_tiles.h): on unless a test compares the paths.
cdef bint _softmax_tiles_on = True


def softmax_tiles_available():
    """Whether this variant has the AVX-512 register-tile softmax block (float64, 2 to
    SKFCE_TILE_MAX_OUTPUTS outputs, up to SKFCE_TILE_MAX_FEATURES features)."""
    return bool(SKFCE_SOFTMAX_TILES)


def set_softmax_tiles(bint on):
    """Use the register-tile softmax block where it applies (on), or the BLAS block path
    everywhere (off: for the tests that compare the two). Returns the previous setting."""
    global _softmax_tiles_on
    previous = _softmax_tiles_on
    _softmax_tiles_on = on
    return bool(previous)


cdef inline bint use_softmax_tiles(int kind, Py_ssize_t n_out, Py_ssize_t d) noexcept nogil:
    # The shapes the tiles take (and are instantiated for): decided in _softmax_tiles.h.
    return (kind == KIND_SOFTMAX and n_out <= SKFCE_TILE_MAX_OUTPUTS
            and softmax_tiles_take(<int> n_out, d, SKFCE_SOFTMAX_TILES and _softmax_tiles_on))


cdef double dense_chunk(
    const floating[:, ::1] X, const floating[:, ::1] Y, const double[::1] sw,
    const double[::1] cw, const double[::1] ts, const floating[:, ::1] coef_t,
    const double[::1] intercept, floating *z, floating *g, double *work, floating *tmp,
    double *acc, double *gint, Py_ssize_t r_start,
    Py_ssize_t r_stop, Py_ssize_t block_rows, int kind,
) noexcept nogil:
    """Loss of rows [r_start, r_stop); their gradients added to acc (n_out, d) and gint.

    z and g: block_rows * n_out each; work: max(6 * block_rows, 2 * n_out) doubles.
    """
    cdef Py_ssize_t d = X.shape[1], n_out = coef_t.shape[1], n_classes = Y.shape[1]
    cdef Py_ssize_t r0, m, i, k, j
    cdef Py_ssize_t n_tmp = 0, flush_every = max(1, FLUSH_ROWS // block_rows)
    cdef double loss = 0.0, comp = 0.0
    cdef floating *gd = g
    cdef bint row_major
    cdef const char *pf_start
    cdef Py_ssize_t pf_len
    cdef const char *pfy_start
    cdef Py_ssize_t pfy_len
    cdef double wpad[SKFCE_TILE_MAX_OUTPUTS * SKFCE_TILE_MAX_FEATURES]
    cdef Py_ssize_t nv8 = 8 * ((d + 7) // 8)
    cdef bint tiles = use_softmax_tiles(kind, n_out, d) and floating is double
    for j in range(n_out * d):
        acc[j] = 0.0
    for k in range(n_out):
        gint[k] = 0.0
    if tiles:  # each output's coefficients, zero-padded to whole vectors
        for k in range(n_out):
            for j in range(nv8):
                wpad[k * nv8 + j] = coef_t[j, k] if j < d else 0.0
    r0 = r_start
    while r0 < r_stop:
        m = min(block_rows, r_stop - r0)
        if floating is double:
            if tiles:
                loss += softmax_tile_block(
                    &X[r0, 0], &Y[r0, 0], &sw[r0], &cw[0], &ts[r0], &intercept[0], wpad, acc,
                    gint, m, d, min(m, X.shape[0] - r0 - m), <int> n_out)
                r0 += m
                continue
        # Row-major Z_blk (m, n_out) is column-major (n_out, m) = W @ X_blk^T, with W^T
        # stored row-major (d, n_out), i.e. W column-major: "N", "N" (OpenBLAS's small-matrix
        # path; "T", "N" on W (n_out, d) fell back to packing X_blk for blocks over ~120 rows).
        gemm(b"N", b"N", <int> n_out, <int> m, <int> d, &coef_t[0, 0], <int> n_out,
             &X[r0, 0], <int> d, 0.0, z, <int> n_out)
        pf_start = NULL
        pf_len = 0
        pfy_start = NULL
        pfy_len = 0
        if r0 + m < X.shape[0]:  # the next block, even past the chunk: likely this
            pf_start = <const char *> &X[r0 + m, 0]  # thread's next (always with 1 thread)
            pf_len = min(m, X.shape[0] - r0 - m) * d * sizeof(floating)
            pfy_start = <const char *> &Y[r0 + m, 0]
            pfy_len = min(m, X.shape[0] - r0 - m) * n_classes * sizeof(floating)
        # ts has one entry per row only for a softmax over several outputs (read there only).
        gd = block_loss_gradient(
            z, &intercept[0], &Y[r0, 0], &sw[r0], &cw[0], &ts[r0 if ts.shape[0] > 1 else 0],
            g, gint, work, m, n_out, n_classes, kind, pf_start, pf_len,
            pfy_start, pfy_len, &loss, &comp, &row_major,
        )
        # Row-major acc (n_out, d) is column-major (d, n_out) = X_blk^T @ G_blk, G_blk
        # column-major (m, n_out) ("N"), or row-major, i.e. G_blk^T column-major ("T").
        if floating is double:
            gemm(b"N", b"T" if row_major else b"N", <int> d, <int> n_out, <int> m,
                 &X[r0, 0], <int> d, gd, <int> (n_out if row_major else m), 1.0, acc, <int> d)
        else:
            # The partial gradient of whole blocks, up to FLUSH_ROWS rows (at least one
            # block), summed in float by sgemm, then added into the float64 accumulator.
            gemm(b"N", b"T" if row_major else b"N", <int> d, <int> n_out, <int> m,
                 &X[r0, 0], <int> d, gd, <int> (n_out if row_major else m),
                 0.0 if n_tmp == 0 else 1.0, tmp, <int> d)
            n_tmp += 1
            if n_tmp == flush_every or r0 + m >= r_stop:
                for j in range(n_out * d):
                    acc[j] += tmp[j]
                n_tmp = 0
        r0 += m
    return loss + comp


def dense_loss_gradient(
    const floating[:, ::1] X,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    const double[::1] target_sums,
    const floating[:, ::1] coef_t,
    const double[::1] intercept,
    floating[:, :, ::1] z_buf,
    floating[:, :, ::1] g_buf,
    double[:, ::1] work_buf,
    floating[:, ::1] tmp_buf,
    double[:, ::1] chunk_acc,
    double[:, ::1] chunk_gint,
    double[::1] chunk_loss,
    Py_ssize_t block_rows,
    int n_threads=1,
    int kind=KIND_SOFTMAX,
):
    """Fill the per-chunk accumulators for dense C-contiguous X, loss ``kind``.

    Shapes: X (n, d), Y (n, n_classes), coef_t (d, n_out) (the coefficients transposed),
    target_sums (n,) (row_target_sums; any length >= 1 for a single logit), intercept
    (n_out,) (zeros when not fitted), z_buf and g_buf (n_threads, block_rows, n_out),
    work_buf (n_threads, max(6 * block_rows, 2 * n_out)), tmp_buf
    (n_threads, n_out * d) (float32 only; any shape for float64), chunk_acc (n_chunks,
    n_out * d) laid out (n_out, d), chunk_gint (n_chunks, n_out), chunk_loss (n_chunks,).
    """
    cdef Py_ssize_t n = X.shape[0], n_chunks = chunk_loss.shape[0]
    cdef Py_ssize_t n_blocks = (n + block_rows - 1) // block_rows
    cdef Py_ssize_t c, t, b_start, b_stop
    cdef floating *tmp = NULL
    for c in prange(n_chunks, nogil=True, schedule="dynamic", num_threads=n_threads):
        t = threadid()
        b_start = c * n_blocks // n_chunks
        b_stop = (c + 1) * n_blocks // n_chunks
        if floating is float:
            tmp = &tmp_buf[t, 0]
        chunk_loss[c] = dense_chunk(
            X, Y, sample_weight, class_weight, target_sums, coef_t, intercept,
            &z_buf[t, 0, 0], &g_buf[t, 0, 0], &work_buf[t, 0], tmp, &chunk_acc[c, 0],
            &chunk_gint[c, 0], b_start * block_rows, min(b_stop * block_rows, n), block_rows,
            kind,
        )


cdef double csr_chunk(
    const floating[::1] data, const index_t[::1] indices, const index_t[::1] indptr,
    const floating[:, ::1] Y, const double[::1] sw, const double[::1] cw,
    const double[::1] ts, const floating[:, ::1] coef_t, const double[::1] intercept,
    double *gi, floating *z, floating *g, double *work,
    double *acc, double *gint, Py_ssize_t r_start, Py_ssize_t r_stop, Py_ssize_t block_rows,
    int kind,
) noexcept nogil:
    """CSR rows [r_start, r_stop): loss; gradients added to acc (d, n_out) and gint.

    Blocks of rows in three phases: Z_blk (every row's non-zeros against the rows of W^T),
    the loss and G_blk (block_multinomial, as for dense X), then acc[j, :] += x_ij G_i over
    the same non-zeros. One phase at a time keeps its working set (W^T, or the accumulator:
    d * n_out each) in cache, where alternating them row by row made both miss. Z_blk is
    accumulated in X's precision (float32 X: as the dense kernel's sgemm).
    gi: n_out doubles; work: max(6 * block_rows, 2 * n_out) doubles.
    """
    cdef Py_ssize_t n_out = coef_t.shape[1], d = coef_t.shape[0], n_classes = Y.shape[1]
    cdef Py_ssize_t i, i0, ii, m, p, j, k, p_end
    cdef double v, loss = 0.0, comp = 0.0
    cdef floating *gd
    cdef bint row_major
    for j in range(d * n_out):
        acc[j] = 0.0
    for k in range(n_out):
        gint[k] = 0.0
    i0 = r_start
    while i0 < r_stop:
        m = min(block_rows, r_stop - i0)
        # 1. Z_i = b + x_i W^T, against the rows of W^T: contiguous.
        csr_logits(&data[0], &indices[0], &indptr[0], &coef_t[0, 0], &intercept[0], z, i0, m,
                   n_out)
        # 2. Loss and gradient, class-major (the intercept is in z already).
        gd = block_loss_gradient(
            z, NULL, &Y[i0, 0], &sw[i0], &cw[0], &ts[i0 if ts.shape[0] > 1 else 0], g, gint,
            work, m, n_out, n_classes, kind, NULL, 0, NULL, 0, &loss, &comp,
            &row_major,
        )
        # 3. acc[j, :] += x_ij * G_i (G_i gathered from its column-major block into gi).
        p_end = indptr[i0 + m] - CSR_PREFETCH_NNZ
        for ii in range(m):
            i = i0 + ii
            if row_major:
                for k in range(n_out):
                    gi[k] = gd[ii * n_out + k]
            else:
                for k in range(n_out):
                    gi[k] = gd[k * m + ii]
            for p in range(indptr[i], indptr[i + 1]):
                if p < p_end:
                    prefetch_write(&acc[indices[p + CSR_PREFETCH_NNZ] * n_out])
                v = data[p]
                j = indices[p]
                for k in range(n_out):
                    acc[j * n_out + k] += v * gi[k]
        i0 += m
    return loss + comp


def csr_loss_gradient(
    const floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    const double[::1] target_sums,
    const floating[:, ::1] coef_t,
    const double[::1] intercept,
    double[:, ::1] gi_buf,
    floating[:, :, ::1] z_buf,
    floating[:, :, ::1] g_buf,
    double[:, ::1] work_buf,
    double[:, ::1] chunk_acc,
    double[:, ::1] chunk_gint,
    double[::1] chunk_loss,
    Py_ssize_t block_rows,
    int n_threads=1,
    int kind=KIND_SOFTMAX,
):
    """Fill the per-chunk accumulators for CSR X (rows split evenly into the chunks), loss
    ``kind``.

    Shapes: target_sums (n,) (row_target_sums; any length >= 1 for a single logit),
    coef_t (d, n_out) (the coefficients transposed), gi_buf
    (n_threads, n_out), z_buf and g_buf (n_threads, block_rows, n_out),
    work_buf (n_threads, max(6 * block_rows, 2 * n_out)), chunk_acc (n_chunks, d * n_out) laid
    out (d, n_out).
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, n_chunks = chunk_loss.shape[0]
    cdef Py_ssize_t c, t
    for c in prange(n_chunks, nogil=True, schedule="dynamic", num_threads=n_threads):
        t = threadid()
        chunk_loss[c] = csr_chunk(
            data, indices, indptr, Y, sample_weight, class_weight, target_sums, coef_t,
            intercept, &gi_buf[t, 0], &z_buf[t, 0, 0], &g_buf[t, 0, 0],
            &work_buf[t, 0], &chunk_acc[c, 0], &chunk_gint[c, 0], c * n // n_chunks,
            (c + 1) * n // n_chunks, block_rows, kind,
        )


def row_target_sums(
    const floating[:, ::1] Y,
    const double[::1] sample_weight,
    const double[::1] class_weight,
    double[::1] out,
    int n_threads=1,
):
    """out[i] = sample_weight[i] * sum_k class_weight[k] * Y[i, k] (classes in order)."""
    cdef Py_ssize_t i, k, n = Y.shape[0], K = Y.shape[1]
    cdef double acc
    for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
        acc = 0.0
        for k in range(K):
            acc = acc + class_weight[k] * Y[i, k]
        out[i] = sample_weight[i] * acc


def reduce_chunks(const double[:, ::1] parts, double[::1] out, int n_threads=1):
    """out[j] = sum over chunks c, in chunk order, of parts[c, j]: independent of threads."""
    cdef Py_ssize_t c, j, n_chunks = parts.shape[0], m = parts.shape[1]
    cdef double s
    for j in prange(m, nogil=True, schedule="static", num_threads=n_threads):
        s = 0.0
        for c in range(n_chunks):
            s = s + parts[c, j]
        out[j] = s


def clipped_log_loss_rows(
    const floating[:, ::1] Zt, const double[:, ::1] Yt, double eps, double[::1] work,
    double[::1] out,
):
    """Per-row cross-entropy of soft labels against the probabilities of raw predictions,
    clipped as the soft log loss metric clips them: for each row i,

      out[i] = -sum_k Yt[k, i] log(clip(p_ik, eps, 1 - eps))

    with p_i = softmax(Zt[:, i]) for several outputs, and (1 - sigmoid(z_i), sigmoid(z_i))
    for a single logit (Yt then has two rows). Class-major (Zt (n_out, n), Yt (n_classes, n))
    so that every loop runs over the rows and vectorizes; the exps and logs are the kernels'
    inline ones (about 2 ulp). float32 Zt: each probability is rounded to float before the
    clip (eps of float), as float32 predictions are. work: (2 + n_out) * n doubles (n_out >
    1: the row maxima, the row sums and the exps).
    """
    cdef Py_ssize_t n = Zt.shape[1], K = Zt.shape[0], i, k
    cdef double z, e, p
    cdef double *mx = &work[0]
    cdef double *tot = &work[n] if K > 1 else NULL
    cdef double *ex = &work[2 * n] if K > 1 else NULL
    cdef double *exk
    with nogil:
        if K == 1:
            for i in range(n):
                z = Zt[0, i]
                e = exp_nonpos(-fabs(z))
                p = (1.0 if z >= 0.0 else e) / (1.0 + e)  # sigmoid(z)
                if floating is float:
                    p = <float> p
                    e = <float> (1.0 - <float> p)  # 1 - p in float, as predict_proba
                else:
                    e = 1.0 - p
                e = min(max(e, eps), 1.0 - eps)
                p = min(max(p, eps), 1.0 - eps)
                out[i] = -(Yt[0, i] * log_pos(e) + Yt[1, i] * log_pos(p))
        else:
            for i in range(n):
                mx[i] = Zt[0, i]
                tot[i] = 0.0
                out[i] = 0.0
            for k in range(1, K):
                for i in range(n):
                    z = Zt[k, i]
                    mx[i] = z if z > mx[i] else mx[i]
            for k in range(K):
                exk = &ex[k * n]
                for i in range(n):
                    exk[i] = exp_nonpos(Zt[k, i] - mx[i])
                for i in range(n):
                    tot[i] += exk[i]
            for k in range(K):
                exk = &ex[k * n]
                for i in range(n):
                    p = exk[i] / tot[i]
                    if floating is float:
                        p = <float> p
                    p = min(max(p, eps), 1.0 - eps)
                    out[i] -= Yt[k, i] * log_pos(p)


def _exp_nonpos(const double[::1] x, double[::1] out):
    """Test hook: the kernels' inline exp on an array (x <= 0)."""
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        out[i] = exp_nonpos(x[i])


def _log_pos(const double[::1] x, double[::1] out):
    """Test hook: the kernels' inline log on an array (x positive, normal, finite)."""
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        out[i] = log_pos(x[i])


def _expf_nonpos(const float[::1] x, float[::1] out):
    """Test hook: the float32 kernels' inline exp, in float, on an array (x <= 0)."""
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        out[i] = expf_nonpos(x[i])


def _cb_rows(
    const floating[::1] raw,
    const floating[::1] y,
    const double[::1] sample_weight,
    floating[::1] grad_out,
    double[::1] loss_out,
):
    """Test hook: the kernels' continuous Bernoulli row (cb_row) on each entry of raw."""
    cdef Py_ssize_t i
    for i in range(raw.shape[0]):
        loss_out[i] = cb_row(raw[i], y[i], sample_weight[i], &grad_out[i])
