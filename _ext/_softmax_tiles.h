/* The softmax cross-entropy block of _fused.pyx in AVX-512 register tiles, for few outputs
 * and few features (float64): both products and the row math of a block of rows in one
 * sweep over groups of 8 rows, with no (rows, outputs) buffers and no BLAS calls.
 *
 * Why: with K outputs and d features both small (K = 3, d = 20), the block path of
 * dense_chunk spends most of its time where little work is done: OpenBLAS's small gemm
 * for Z = X W^T vectorizes over the K outputs (3 of 8 lanes used), the row math makes
 * several passes over (K, rows) buffers, the first of them a strided transpose of Z, and
 * every block pays three BLAS calls. Here a group of 8 rows is one vector per output:
 *
 *   1. z_k = b_k + sum_j x_ij W_kj for the 8 rows: per row the products x_i * W_k over d
 *      (ceil(d / 8) vectors), then the 8 rows' vectors summed across their lanes by one
 *      transpose-and-add tree (the lane sums in a fixed order);
 *   2. the row math of block_multinomial (same formulas, same exp and log algorithms
 *      vectorized by hand: exp_nonpos, log_pos of _loss_rows.pxd; a change to those, or
 *      to block_multinomial's formulas, must be made here too) in registers, the
 *      targets of the 8 rows gathered per output;
 *   3. acc_k += g_ik x_i for the 8 rows in order (K * ceil(d / 8) accumulators, loaded
 *      from and stored back to the chunk accumulator once per block), gint_k += g_ik.
 *
 * Results: every sum runs in an order fixed by the block's rows, so the kernel stays
 * bitwise identical across thread counts; against the BLAS block path they agree to
 * rounding (the products' sums run in another order; see the kernel tests' bound).
 *
 * Only compiled into the AVX-512 variant (SKFCE_SOFTMAX_TILES is 0 elsewhere, and the
 * function is then never called).
 */
#ifndef SKFCE_SOFTMAX_TILES_H
#define SKFCE_SOFTMAX_TILES_H

#include <stddef.h>

#define SKFCE_TILE_MAX_OUTPUTS 4
#define SKFCE_TILE_MAX_FEATURES 32

/* Whether the tiles take a softmax block of K outputs and d features: 2 to 4 outputs and
 * K * ceil(d / 8) <= 9 vectors (d <= 32 for K = 2, 24 for K = 3, 16 for K = 4), exactly the
 * instantiations of skfce_softmax_tile_block; never where the variant lacks them.
 * Same-process A/B, one thread, n = 1e5, tiles / the block path (with its fused sweeps):
 * d = 20: 0.76 (K = 2), 0.77-0.79 (K = 3), 0.98 (K = 4); K = 2, d = 32: 0.92; K = 3: 0.96 at
 * d = 10, 0.79 at d = 24, 0.99-1.04 at d = 32; K = 4: 0.95-0.98 at d = 16, 0.91 at d = 24.
 * Earlier, against the block path before its sweeps were fused: 1.05 at K = 5, 1.22 at
 * K = 6, 1.35 at K = 8 (d = 20). The products' lane sums cost a few shuffles per row and
 * output, where BLAS vectorizes over the outputs: for more outputs that loses. */
static inline int skfce_softmax_tiles_take(int K, ptrdiff_t d, int available)
{
    return available && K >= 2 && K <= SKFCE_TILE_MAX_OUTPUTS && d >= 1
           && d <= SKFCE_TILE_MAX_FEATURES && K * ((d + 7) / 8) <= 9;
}

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>

#define SKFCE_SOFTMAX_TILES 1

#if defined(__GNUC__)
#define SKFCE_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define SKFCE_ALWAYS_INLINE static inline
#endif

/* The polynomials of exp_nonpos (Taylor, degree 12) and log_pos (odd series of atanh,
 * in s**2), highest degree first. */
static const double skfce_exp_taylor[13] = {
    1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
    1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
static const double skfce_log_odd[11] = {
    1.0 / 23.0, 1.0 / 21.0, 1.0 / 19.0, 1.0 / 17.0, 1.0 / 15.0, 1.0 / 13.0, 1.0 / 11.0,
    1.0 / 9.0, 1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0};

/* c[0] x**(n-1) + ... + c[n-1] by Horner's scheme (fused multiply-adds), on 8 lanes. */
SKFCE_ALWAYS_INLINE __m512d skfce_horner8(__m512d x, const double *c, int n)
{
    __m512d p = _mm512_set1_pd(c[0]);
    int i;
    for (i = 1; i < n; i++)
        p = _mm512_fmadd_pd(p, x, _mm512_set1_pd(c[i]));
    return p;
}

/* exp_nonpos (see _loss_rows.pxd) on 8 lanes. */
SKFCE_ALWAYS_INLINE __m512d skfce_exp_nonpos8(__m512d x)
{
    const __m512d lo = _mm512_set1_pd(-708.39);
    const __m512d big = _mm512_set1_pd(6755399441055744.0);
    __mmask8 under = _mm512_cmp_pd_mask(x, lo, _CMP_LT_OQ);
    __m512d xc = _mm512_mask_blend_pd(under, x, lo);
    __m512d kd = _mm512_fmadd_pd(xc, _mm512_set1_pd(1.4426950408889634), big);
    __m512d n = _mm512_sub_pd(kd, big);
    __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(6.93147180369123816490e-01), xc);
    r = _mm512_fnmadd_pd(n, _mm512_set1_pd(1.90821492927058770002e-10), r);
    __m512d p = skfce_horner8(r, skfce_exp_taylor, 13);
    __m512i bits = _mm512_add_epi64(_mm512_castpd_si512(kd),
                                    _mm512_set1_epi64(-0x4338000000000000LL + 1023));
    __m512d scale = _mm512_castsi512_pd(_mm512_slli_epi64(bits, 52));
    return _mm512_maskz_mul_pd((__mmask8) ~under, p, scale);
}

/* log_pos (see _loss_rows.pxd) on 8 lanes: positive normal finite x only. */
SKFCE_ALWAYS_INLINE __m512d skfce_log_pos8(__m512d x)
{
    const __m512d one = _mm512_set1_pd(1.0);
    __m512i bits = _mm512_castpd_si512(x);
    __m512i eb = _mm512_sub_epi64(_mm512_srli_epi64(bits, 52), _mm512_set1_epi64(1023));
    bits = _mm512_or_si512(_mm512_and_si512(bits, _mm512_set1_epi64(0x000FFFFFFFFFFFFFLL)),
                           _mm512_set1_epi64(0x3FF0000000000000LL));
    __m512d m = _mm512_castsi512_pd(bits);
    __m512d e = _mm512_cvtepi64_pd(eb);
    __mmask8 high = _mm512_cmp_pd_mask(m, _mm512_set1_pd(1.4142135623730951), _CMP_GT_OQ);
    e = _mm512_mask_add_pd(e, high, e, one);
    m = _mm512_mask_mul_pd(m, high, m, _mm512_set1_pd(0.5));
    __m512d f = _mm512_sub_pd(m, one);
    __m512d s = _mm512_div_pd(f, _mm512_add_pd(m, one));
    __m512d s2 = _mm512_mul_pd(s, s);
    __m512d p = skfce_horner8(s2, skfce_log_odd, 11);
    __m512d two_s = _mm512_add_pd(s, s);
    __m512d t = _mm512_fmadd_pd(_mm512_mul_pd(two_s, s2), p, two_s);
    t = _mm512_fmadd_pd(e, _mm512_set1_pd(1.90821492927058770002e-10), t);
    return _mm512_fmadd_pd(e, _mm512_set1_pd(6.93147180369123816490e-01), t);
}

/* Lane sums of 8 vectors: out[r] = sum of the lanes of p[r], by a fixed tree (pairs of
 * lanes, then of 128-bit halves, then of 256-bit halves). */
SKFCE_ALWAYS_INLINE __m512d skfce_lane_sums8(const __m512d *p)
{
    __m512d a0 = _mm512_add_pd(_mm512_unpacklo_pd(p[0], p[1]), _mm512_unpackhi_pd(p[0], p[1]));
    __m512d a1 = _mm512_add_pd(_mm512_unpacklo_pd(p[2], p[3]), _mm512_unpackhi_pd(p[2], p[3]));
    __m512d a2 = _mm512_add_pd(_mm512_unpacklo_pd(p[4], p[5]), _mm512_unpackhi_pd(p[4], p[5]));
    __m512d a3 = _mm512_add_pd(_mm512_unpacklo_pd(p[6], p[7]), _mm512_unpackhi_pd(p[6], p[7]));
    __m512d b0 = _mm512_add_pd(_mm512_shuffle_f64x2(a0, a1, 0x88),
                               _mm512_shuffle_f64x2(a0, a1, 0xDD));
    __m512d b1 = _mm512_add_pd(_mm512_shuffle_f64x2(a2, a3, 0x88),
                               _mm512_shuffle_f64x2(a2, a3, 0xDD));
    return _mm512_add_pd(_mm512_shuffle_f64x2(b0, b1, 0x88), _mm512_shuffle_f64x2(b0, b1, 0xDD));
}

/* One block of m rows (the loss returned; acc (K, d) row-major and gint (K,) added to).
 * X (m, d) and Y (m, K) row-major; sw, ts (m,); cw, b (K,); wpad (K, NV * 8): the
 * coefficients, each output's row zero-padded to NV * 8 entries. pf_rows: rows of X and Y
 * after the block that may be prefetched (the next block). K, NV: constants in every
 * instantiation (skfce_softmax_tile_block). */
SKFCE_ALWAYS_INLINE double skfce_softmax_tile_impl(
    const double *X, const double *Y, const double *sw, const double *cw, const double *ts,
    const double *b, const double *wpad, double *acc, double *gint, ptrdiff_t m, ptrdiff_t d,
    ptrdiff_t pf_rows, const int K, const int NV)
{
    __m512d A[SKFCE_TILE_MAX_OUTPUTS][4];
    __m512d gs[SKFCE_TILE_MAX_OUTPUTS];
    __m512d lsum = _mm512_setzero_pd();
    double gbuf[SKFCE_TILE_MAX_OUTPUTS * 8] __attribute__((aligned(64)));
    double tail[8] __attribute__((aligned(64)));
    const __mmask8 dmask = (__mmask8) ((1u << (d - 8 * (NV - 1))) - 1u);
    const __m512i yidx = _mm512_mullo_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0),
                                            _mm512_set1_epi64(K));
    int k, v, r, ntail = 0;
    ptrdiff_t i0;
    double loss;

#pragma GCC unroll 8
    for (k = 0; k < K; k++) {
        gs[k] = _mm512_setzero_pd();
#pragma GCC unroll 4
        for (v = 0; v < NV; v++) {
            A[k][v] = (v < NV - 1) ? _mm512_loadu_pd(acc + k * d + 8 * v)
                                   : _mm512_maskz_loadu_pd(dmask, acc + k * d + 8 * v);
        }
    }
    for (i0 = 0; i0 < m; i0 += 8) {
        const int nr = (m - i0 < 8) ? (int) (m - i0) : 8;
        const __mmask8 rmask = (__mmask8) ((1u << nr) - 1u);
        const double *Xg = X + i0 * d;
        __m512d z[SKFCE_TILE_MAX_OUTPUTS], e[SKFCE_TILE_MAX_OUTPUTS];
        __m512d mx, tot, tsv, swv, rs, lrow, lossv;
        /* The next block's rows, a group at a time (X and the targets): one line of each
         * per 64 bytes of the group. */
        if (i0 < pf_rows) {
            const char *px = (const char *) (Xg + m * d);
            const char *py = (const char *) (Y + (i0 + m) * K);
            ptrdiff_t line;
            for (line = 0; line < d; line++)
                _mm_prefetch(px + 64 * line, _MM_HINT_T1);
#pragma GCC unroll 8
            for (k = 0; k < K; k++)
                _mm_prefetch(py + 64 * k, _MM_HINT_T1);
        }
        /* 1. Logits, one vector of 8 rows per output; their max. */
#pragma GCC unroll 8
        for (k = 0; k < K; k++) {
            __m512d p[8];
#pragma GCC unroll 8
            for (r = 0; r < 8; r++) {
                if (r < nr) {
                    const double *xr = Xg + r * d;
                    __m512d s;
                    if (NV == 1) {
                        s = _mm512_mul_pd(_mm512_maskz_loadu_pd(dmask, xr),
                                          _mm512_loadu_pd(wpad + k * NV * 8));
                    } else {
                        s = _mm512_mul_pd(_mm512_loadu_pd(xr), _mm512_loadu_pd(wpad + k * NV * 8));
#pragma GCC unroll 4
                        for (v = 1; v < NV; v++) {
                            __m512d xv = (v < NV - 1) ? _mm512_loadu_pd(xr + 8 * v)
                                                      : _mm512_maskz_loadu_pd(dmask, xr + 8 * v);
                            s = _mm512_fmadd_pd(xv, _mm512_loadu_pd(wpad + (k * NV + v) * 8), s);
                        }
                    }
                    p[r] = s;
                } else {
                    p[r] = _mm512_setzero_pd();
                }
            }
            z[k] = _mm512_add_pd(skfce_lane_sums8(p), _mm512_set1_pd(b[k]));
        }
        mx = z[0];
#pragma GCC unroll 8
        for (k = 1; k < K; k++)
            mx = _mm512_max_pd(z[k], mx);
        /* 2. Shift, exps, their row sums; the loss and the gradient. */
        tot = _mm512_setzero_pd();
#pragma GCC unroll 8
        for (k = 0; k < K; k++) {
            z[k] = _mm512_sub_pd(z[k], mx);
            e[k] = skfce_exp_nonpos8(z[k]);
            tot = _mm512_add_pd(tot, e[k]);
        }
        tsv = _mm512_maskz_loadu_pd(rmask, ts + i0);
        swv = _mm512_maskz_loadu_pd(rmask, sw + i0);
        rs = _mm512_div_pd(tsv, tot);
        lossv = _mm512_mul_pd(tsv, skfce_log_pos8(tot));
        lrow = _mm512_setzero_pd();
#pragma GCC unroll 8
        for (k = 0; k < K; k++) {
            __m512d y = _mm512_mask_i64gather_pd(_mm512_setzero_pd(), rmask, yidx,
                                                 Y + i0 * K + k, 8);
            __m512d t = _mm512_mul_pd(_mm512_set1_pd(cw[k]), y);
            __m512d g;
            lrow = _mm512_fnmadd_pd(t, z[k], lrow);
            g = _mm512_fmsub_pd(e[k], rs, _mm512_mul_pd(swv, t));
            gs[k] = _mm512_add_pd(gs[k], g);
            _mm512_store_pd(gbuf + 8 * k, g);
        }
        lossv = _mm512_fmadd_pd(swv, lrow, lossv);
        if (nr == 8) {
            lsum = _mm512_add_pd(lsum, lossv);
        } else {
            _mm512_store_pd(tail, lossv);
            ntail = nr;
        }
        /* 3. The gradient's products with the rows, in row order. */
#pragma GCC unroll 8
        for (r = 0; r < 8; r++) {
            if (r < nr) {
                const double *xr = Xg + r * d;
                __m512d xv[4];
#pragma GCC unroll 4
                for (v = 0; v < NV; v++)
                    xv[v] = (v < NV - 1) ? _mm512_loadu_pd(xr + 8 * v)
                                         : _mm512_maskz_loadu_pd(dmask, xr + 8 * v);
#pragma GCC unroll 8
                for (k = 0; k < K; k++) {
                    __m512d gk = _mm512_set1_pd(gbuf[8 * k + r]);
#pragma GCC unroll 4
                    for (v = 0; v < NV; v++)
                        A[k][v] = _mm512_fmadd_pd(gk, xv[v], A[k][v]);
                }
            }
        }
    }
#pragma GCC unroll 8
    for (k = 0; k < K; k++) {
#pragma GCC unroll 4
        for (v = 0; v < NV; v++) {
            if (v < NV - 1)
                _mm512_storeu_pd(acc + k * d + 8 * v, A[k][v]);
            else
                _mm512_mask_storeu_pd(acc + k * d + 8 * v, dmask, A[k][v]);
        }
        gint[k] += _mm512_reduce_add_pd(gs[k]);
    }
    /* The rows' losses: lane l holds the sum over the full groups' rows l (sum8's order);
     * then the last, partial group's rows in order. */
    {
        double part[8] __attribute__((aligned(64)));
        _mm512_store_pd(part, lsum);
        loss = (((part[0] + part[1]) + (part[2] + part[3]))
                + ((part[4] + part[5]) + (part[6] + part[7])));
        for (r = 0; r < ntail; r++)
            loss += tail[r];
    }
    return loss;
}

#define SKFCE_TILE_CASE(KK, VV) \
    case (KK) * 8 + (VV): \
        return skfce_softmax_tile_impl(X, Y, sw, cw, ts, b, wpad, acc, gint, m, d, pf_rows, \
                                       (KK), (VV));
#define SKFCE_TILE_CASES(KK) \
    SKFCE_TILE_CASE(KK, 1) SKFCE_TILE_CASE(KK, 2) SKFCE_TILE_CASE(KK, 3) SKFCE_TILE_CASE(KK, 4)

/* skfce_softmax_tile_impl for the shapes skfce_softmax_tiles_take accepts (the caller
 * checks). */
static double skfce_softmax_tile_block(
    const double *X, const double *Y, const double *sw, const double *cw, const double *ts,
    const double *b, const double *wpad, double *acc, double *gint, ptrdiff_t m, ptrdiff_t d,
    ptrdiff_t pf_rows, int K)
{
    const int NV = (int) ((d + 7) / 8);
    switch (K * 8 + NV) {
        SKFCE_TILE_CASES(2)
        SKFCE_TILE_CASE(3, 1) SKFCE_TILE_CASE(3, 2) SKFCE_TILE_CASE(3, 3)
        SKFCE_TILE_CASE(4, 1) SKFCE_TILE_CASE(4, 2)
    }
    return 0.0;
}

#else

#define SKFCE_SOFTMAX_TILES 0

static double skfce_softmax_tile_block(
    const double *X, const double *Y, const double *sw, const double *cw, const double *ts,
    const double *b, const double *wpad, double *acc, double *gint, ptrdiff_t m, ptrdiff_t d,
    ptrdiff_t pf_rows, int K)
{
    (void) X; (void) Y; (void) sw; (void) cw; (void) ts; (void) b; (void) wpad; (void) acc;
    (void) gint; (void) m; (void) d; (void) pf_rows; (void) K;
    return 0.0;
}

#endif

#endif
