// Body of the vectorized float32 kernels; included once per instruction set by
// vector_math_avx512.c, vector_math_avx2.c and vector_math_baseline.c, each of which defines
// DS_NAME(f) to give the functions an ISA-specific name. dispatch.c picks one set at load time.
//
// Written with Clang vector extensions on 16-lane vectors: the same source becomes AVX-512,
// AVX2+FMA or SSE2 code depending on the target attribute in force where it is included.
#include "deepswift_kernels.h"
#include <stdint.h>
#include <string.h>
#include <math.h>

// The helpers below are always inlined, so passing 64-byte vectors by value never crosses an
// ABI boundary on the narrower instruction sets.
#pragma clang diagnostic ignored "-Wpsabi"

#define LANES 16
typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));

#define INLINE static inline __attribute__((always_inline))

INLINE vf splat(float v) { return (vf){} + v; }
INLINE vf vselect(vi mask, vf a, vf b) { return (vf)(((vi)a & mask) | ((vi)b & ~mask)); }
#if DS_HAVE_FMA
INLINE vf vfma(vf a, vf b, vf c) { return __builtin_elementwise_fma(a, b, c); }
INLINE vf vround(vf a) { return __builtin_elementwise_roundeven(a); }
#else
// SSE2 has neither fused multiply-add nor a rounding instruction; the builtins would become a
// library call per lane. Unfused a*b+c and the 1.5·2²³ trick (exact for |a| < 2²²) instead.
INLINE vf vfma(vf a, vf b, vf c) { return a * b + c; }
INLINE vf vround(vf a) { return (a + 12582912.0f) - 12582912.0f; }
#endif
INLINE vf vmax(vf a, vf b) { return __builtin_elementwise_max(a, b); }
INLINE vf vmin(vf a, vf b) { return __builtin_elementwise_min(a, b); }
INLINE vf vabs(vf a) { return (vf)((vi)a & 0x7fffffff); }
INLINE vf vcopysign(vf magnitude, vf sign) {
    return (vf)(((vi)magnitude & 0x7fffffff) | ((vi)sign & (int32_t)0x80000000));
}
// Reciprocal. With AVX-512, the 14-bit hardware estimate refined by one Newton step (relative
// error ~1e-8, well below float32 rounding) replaces the slow full-precision division.
#if DS_HAVE_AVX512
// For finite, non-zero d only.
INLINE vf vrecip_finite(vf d) {
    vf r = (vf)__builtin_ia32_rcp14ps512_mask(d, (vf){}, (unsigned short)0xFFFF);
    return r * (2.0f - d * r);
}
INLINE vf vrecip(vf d) { return vselect(d == INFINITY, splat(0.0f), vrecip_finite(d)); }
#else
INLINE vf vrecip_finite(vf d) { return 1.0f / d; }
INLINE vf vrecip(vf d) { return 1.0f / d; }
#endif

// The rounding error of x·x, so that x² == hi + vsquare_low(x, hi) exactly.
INLINE vf vsquare_low(vf x, vf hi) {
#if DS_HAVE_FMA
    return vfma(x, x, -hi);
#else
    vf c = 4097.0f * x;  // Dekker's split of x into 12-bit halves
    vf xh = c - (c - x), xl = x - xh;
    return ((xh * xh - hi) + 2.0f * xh * xl) + xl * xl;
#endif
}

INLINE vf load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
INLINE void store(float *p, vf v) { memcpy(p, &v, sizeof v); }

// Range reduction shared by every exponential: for x clamped to [lo, hi], x = n·ln2 + r with
// |r| <= ln2/2 (ln2 split in two parts), and e^r − 1 from the Cephes expf polynomial.
typedef struct { vf n, p; } exp_reduction;
INLINE exp_reduction v_exp_reduce(vf x, float lo, float hi) {
    vf xc = vmin(vmax(x, splat(lo)), splat(hi));
    vf n = vround(xc * 1.44269504088896341f);
    vf r = vfma(n, splat(-0.693359375f), xc);
    r = vfma(n, splat(2.12194440e-4f), r);
    vf p = splat(1.9875691500e-4f);
    p = vfma(p, r, splat(1.3981999507e-3f));
    p = vfma(p, r, splat(8.3334519073e-3f));
    p = vfma(p, r, splat(4.1665795894e-2f));
    p = vfma(p, r, splat(1.6666665459e-1f));
    p = vfma(p, r, splat(5.0000001201e-1f));
    p = vfma(p, r * r, r);  // e^r - 1
    return (exp_reduction){n, p};
}

// exp over the whole float range: the scale 2^n is applied in two halves so that results down to
// the subnormal range and up to FLT_MAX are exact in exponent.
INLINE vf v_exp(vf x) {
    exp_reduction e = v_exp_reduce(x, -104.0f, 88.8f);
    vi ni = __builtin_convertvector(e.n, vi);
    vi n1 = ni >> 1;
    vi n2 = ni - n1;
    vf s1 = (vf)((n1 + 127) << 23);
    vf s2 = (vf)((n2 + 127) << 23);
    vf result = (e.p + 1.0f) * s1 * s2;
    return vselect(x != x, x, result);  // NaN stays NaN
}

// For internal use: e^x = s (1 + p) with s = 2^n and p = e^r − 1, inputs clamped to [-87, 88.5]
// (callers handle overflow; NaN is not propagated — the public loop restores it). e^x − 1 is then
// (s − 1) + s·p, without cancellation near 0.
typedef struct { vf s, p; } exp_parts;
INLINE exp_parts v_exp_parts(vf x) {
    exp_reduction e = v_exp_reduce(x, -87.0f, 88.5f);
    vf s = (vf)((__builtin_convertvector(e.n, vi) + 127) << 23);  // 2^n
    return (exp_parts){s, e.p};
}

INLINE vf v_expm1_core(vf x) {
    exp_parts e = v_exp_parts(x);
    return vfma(e.s, e.p, e.s - 1.0f);
}

// e^x for internal use where x <= 88.5 and results below 1e-38 may flush to zero.
INLINE vf v_exp_core(vf x) {
    exp_parts e = v_exp_parts(x);
    return vfma(e.s, e.p, e.s);
}

// log: Cephes logf. Handles subnormals, zero (-inf), negatives (NaN), +inf and NaN.
INLINE vf v_log(vf x) {
    vi subnormal = x < 1.17549435e-38f;
    vf xs = vselect(subnormal, x * 8388608.0f, x);  // * 2^23
    vi xi = (vi)xs;
    vi e = ((xi >> 23) & 0xff) - 126;
    e = e - (subnormal & 23);
    vf m = (vf)((xi & 0x007fffff) | 0x3f000000);  // mantissa in [0.5, 1)
    vi below = m < 0.707106781186547524f;
    e = e + below;  // below is -1 where true
    m = m + vselect(below, m, splat(0.0f)) - 1.0f;
    vf z = m * m;
    vf y = splat(7.0376836292e-2f);
    y = vfma(y, m, splat(-1.1514610310e-1f));
    y = vfma(y, m, splat(1.1676998740e-1f));
    y = vfma(y, m, splat(-1.2420140846e-1f));
    y = vfma(y, m, splat(1.4249322787e-1f));
    y = vfma(y, m, splat(-1.6668057665e-1f));
    y = vfma(y, m, splat(2.0000714765e-1f));
    y = vfma(y, m, splat(-2.4999993993e-1f));
    y = vfma(y, m, splat(3.3333331174e-1f));
    y = y * m * z;
    vf ef = __builtin_convertvector(e, vf);
    y = vfma(ef, splat(-2.12194440e-4f), y);
    y = vfma(z, splat(-0.5f), y);
    vf result = vfma(ef, splat(0.693359375f), m + y);
    result = vselect(x == 0.0f, splat(-INFINITY), result);
    result = vselect(x < 0.0f, splat(NAN), result);
    result = vselect(x == INFINITY, x, result);
    return vselect(x != x, x, result);
}

INLINE vf v_log1p(vf x) {
    vf u = 1.0f + x;
    vf d = u - 1.0f;
    // log(u) * x / (u - 1) cancels the rounding of 1 + x (Goldberg's trick).
    vf r = v_log(u) * (x / d);
    r = vselect(d == 0.0f, x, r);
    r = vselect(x == INFINITY, x, r);
    r = vselect(x == -1.0f, splat(-INFINITY), r);
    return vselect(x != x, x, r);
}

INLINE vf v_expm1(vf x) {
    vf r = v_expm1_core(x);
    r = vselect(x > 88.72283935546875f, splat(INFINITY), r);
    return vselect(x != x, x, r);
}

// tanh(|x|) = m / (m + 2) with m = e^(2|x|) - 1: accurate near 0, exact 1 beyond |x| = 9.
INLINE vf v_tanh(vf x) {
    vf a = vmin(vabs(x), splat(9.0f));
    vf m = v_expm1_core(a + a);
    return vcopysign(m * vrecip(m + 2.0f), x);
}

INLINE vf v_sigmoid(vf x) {
    // Beyond |x| = 87 the result is 0 or 1 to float precision (below 1e-38 flushes to 0).
    vf r = vrecip(1.0f + v_exp_core(-x));
    return vselect(x < -87.0f, splat(0.0f), r);
}

// erfc(z) for z = |u| >= 0 with fractional error < 1.2e-7 everywhere (Chebyshev fit, Numerical
// Recipes' erfcc). The caller passes z² as an exact double-float sum z2_hi + z2_lo: in the tail,
// erfc ~ e^(-z²), so any rounding of z² becomes relative error of the result.
INLINE vf v_erfc_core(vf z, vf z2_hi, vf z2_lo) {
    vf t = vrecip_finite(1.0f + 0.5f * z);  // z = inf is handled by the z > 10 select
    vf p = splat(0.17087277f);
    p = vfma(p, t, splat(-0.82215223f));
    p = vfma(p, t, splat(1.48851587f));
    p = vfma(p, t, splat(-1.13520398f));
    p = vfma(p, t, splat(0.27886807f));
    p = vfma(p, t, splat(-0.18628806f));
    p = vfma(p, t, splat(0.09678418f));
    p = vfma(p, t, splat(0.37409196f));
    p = vfma(p, t, splat(1.00002368f));
    p = vfma(p, t, splat(-1.26551223f));
    vf r = t * v_exp_core(vmax((p - z2_hi) - z2_lo, splat(-87.0f)));
    return vselect(z > 10.0f, splat(0.0f), r);  // erfc(10) < 1e-44
}

INLINE vf v_erfc_abs(vf x) {
    vf x2 = x * x;
    return v_erfc_core(vabs(x), x2, vsquare_low(x, x2));
}

INLINE vf v_erf(vf x) {
    vf c = v_erfc_abs(x);
    vf r = vcopysign(1.0f - c, x);
    // Small |x|: Taylor series avoids the cancellation in 1 - erfc.
    vf z = x * x;
    vf s = splat(-1.0f / 1320.0f);
    s = vfma(s, z, splat(1.0f / 216.0f));
    s = vfma(s, z, splat(-1.0f / 42.0f));
    s = vfma(s, z, splat(1.0f / 10.0f));
    s = vfma(s, z, splat(-1.0f / 3.0f));
    s = vfma(s, z, splat(1.0f));
    s = s * x * 1.12837916709551257f;
    return vselect(vabs(x) < 0.25f, s, r);
}

INLINE vf v_gelu_erf(vf x) {
    // erfc(|x|/√2), with (x/√2)² = x²/2 formed exactly from x (not from the rounded x/√2).
    vf x2 = x * x;
    vf c = v_erfc_core(vabs(x) * 0.70710678118654752f, 0.5f * x2, 0.5f * vsquare_low(x, x2));
    // x >= 0: x * (1 - erfc/2); x < 0: x * erfc/2. No cancellation in either tail.
    vf half_c = 0.5f * c;
    return vselect(x >= 0.0f, x * (1.0f - half_c), x * half_c);
}

INLINE vf v_gelu_tanh(vf x) {
    // 0.5 x (1 + tanh(z)) == x * sigmoid(2z)
    vf z = 0.7978845608028654f * vfma(0.044715f * x * x, x, x);
    vf r = x * vrecip(1.0f + v_exp_core(-2.0f * z));
    return vselect(z < -43.0f, splat(0.0f) * x, r);
}

INLINE vf v_softplus(vf x) {
    return vmax(x, splat(0.0f)) + v_log1p(v_exp(-vabs(x)));
}

INLINE vf v_swish(vf x) { return x * v_sigmoid(x); }

INLINE vf v_elu(vf x, float alpha, float scale) {
    vf neg = alpha * v_expm1_core(vmin(x, splat(0.0f)));
    return scale * vselect(x > 0.0f, x, neg);
}

INLINE vf apply_op(ds_unary_op op, vf x, float alpha);
// Every op maps NaN to NaN.
INLINE vf apply(ds_unary_op op, vf x, float alpha) { return vselect(x != x, x, apply_op(op, x, alpha)); }

INLINE vf apply_op(ds_unary_op op, vf x, float alpha) {
    switch (op) {
    case DS_UNARY_EXP: return v_exp(x);
    case DS_UNARY_LOG: return v_log(x);
    case DS_UNARY_LOG1P: return v_log1p(x);
    case DS_UNARY_EXPM1: return v_expm1(x);
    case DS_UNARY_TANH: return v_tanh(x);
    case DS_UNARY_SIGMOID: return v_sigmoid(x);
    case DS_UNARY_GELU_ERF: return v_gelu_erf(x);
    case DS_UNARY_GELU_TANH: return v_gelu_tanh(x);
    case DS_UNARY_SOFTPLUS: return v_softplus(x);
    case DS_UNARY_SWISH: return v_swish(x);
    case DS_UNARY_ELU: return v_elu(x, alpha, 1.0f);
    case DS_UNARY_SELU: return v_elu(x, 1.6732632423543772f, 1.0507009873554805f);
    case DS_UNARY_ERF: return v_erf(x);
    }
    return x;
}

// One loop per op so that the switch is outside the hot loop.
#define UNARY_LOOP(OP)                                                     \
    do {                                                                   \
        long i = 0;                                                        \
        for (; i + LANES <= n; i += LANES) store(y + i, apply(OP, load(x + i), alpha)); \
        if (i < n) {                                                       \
            float tmp[LANES] = {0};                                        \
            memcpy(tmp, x + i, (size_t)(n - i) * sizeof(float));           \
            vf r = apply(OP, load(tmp), alpha);                            \
            store(tmp, r);                                                 \
            memcpy(y + i, tmp, (size_t)(n - i) * sizeof(float));           \
        }                                                                  \
    } while (0)

void DS_NAME(ds_unary_f32)(ds_unary_op op, const float *x, float *y, long n, float alpha) {
    switch (op) {
    case DS_UNARY_EXP: UNARY_LOOP(DS_UNARY_EXP); break;
    case DS_UNARY_LOG: UNARY_LOOP(DS_UNARY_LOG); break;
    case DS_UNARY_LOG1P: UNARY_LOOP(DS_UNARY_LOG1P); break;
    case DS_UNARY_EXPM1: UNARY_LOOP(DS_UNARY_EXPM1); break;
    case DS_UNARY_TANH: UNARY_LOOP(DS_UNARY_TANH); break;
    case DS_UNARY_SIGMOID: UNARY_LOOP(DS_UNARY_SIGMOID); break;
    case DS_UNARY_GELU_ERF: UNARY_LOOP(DS_UNARY_GELU_ERF); break;
    case DS_UNARY_GELU_TANH: UNARY_LOOP(DS_UNARY_GELU_TANH); break;
    case DS_UNARY_SOFTPLUS: UNARY_LOOP(DS_UNARY_SOFTPLUS); break;
    case DS_UNARY_SWISH: UNARY_LOOP(DS_UNARY_SWISH); break;
    case DS_UNARY_ELU: UNARY_LOOP(DS_UNARY_ELU); break;
    case DS_UNARY_SELU: UNARY_LOOP(DS_UNARY_SELU); break;
    case DS_UNARY_ERF: UNARY_LOOP(DS_UNARY_ERF); break;
    }
}

INLINE float hmax(vf v) { return __builtin_reduce_max(v); }
INLINE float hmin(vf v) { return __builtin_reduce_min(v); }

// NaN-propagating max/min: a NaN anywhere makes the result NaN (as NumPy's max).
float DS_NAME(ds_max_f32)(const float *x, long n) {
    vf acc = splat(-INFINITY);
    vi nan = (vi){};
    long i = 0;
    for (; i + LANES <= n; i += LANES) {
        vf v = load(x + i);
        nan |= (v != v);
        acc = vmax(acc, v);
    }
    float m = hmax(acc);
    int has_nan = __builtin_reduce_or(nan) != 0;
    for (; i < n; i++) {
        if (x[i] != x[i]) has_nan = 1;
        if (x[i] > m) m = x[i];
    }
    return has_nan ? NAN : m;
}

float DS_NAME(ds_min_f32)(const float *x, long n) {
    vf acc = splat(INFINITY);
    vi nan = (vi){};
    long i = 0;
    for (; i + LANES <= n; i += LANES) {
        vf v = load(x + i);
        nan |= (v != v);
        acc = vmin(acc, v);
    }
    float m = hmin(acc);
    int has_nan = __builtin_reduce_or(nan) != 0;
    for (; i < n; i++) {
        if (x[i] != x[i]) has_nan = 1;
        if (x[i] < m) m = x[i];
    }
    return has_nan ? NAN : m;
}

typedef float vf8 __attribute__((vector_size(32)));
typedef double vd8 __attribute__((vector_size(64)));

// Horizontal sum in a fixed order, so that results do not depend on the instruction set.
INLINE double hsum_d(vd8 v) {
    double lanes[8];
    memcpy(lanes, &v, sizeof lanes);
    return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
}

double DS_NAME(ds_sum_f32)(const float *x, long n) {
    vd8 a0 = (vd8){}, a1 = (vd8){};
    long i = 0;
    for (; i + LANES <= n; i += LANES) {
        vf8 lo, hi;
        memcpy(&lo, x + i, sizeof lo);
        memcpy(&hi, x + i + 8, sizeof hi);
        a0 += __builtin_convertvector(lo, vd8);
        a1 += __builtin_convertvector(hi, vd8);
    }
    double s = hsum_d(a0 + a1);
    for (; i < n; i++) s += x[i];
    return s;
}

void DS_NAME(ds_softmax_rows_f32)(const float *x, float *y, long rows, long cols, int log) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        float m = DS_NAME(ds_max_f32)(xr, cols);
        if (m == -INFINITY) m = 0.0f;  // a row of -inf gives NaN below, as in PyTorch
        vf mv = splat(m);
        vd8 acc = (vd8){};
        long i = 0;
        for (; i + LANES <= cols; i += LANES) {
            vf e = v_exp(load(xr + i) - mv);
            if (!log) store(yr + i, e);
            vf8 lo, hi;
            memcpy(&lo, &e, sizeof lo);
            memcpy(&hi, (const char *)&e + sizeof lo, sizeof hi);
            acc += __builtin_convertvector(lo, vd8) + __builtin_convertvector(hi, vd8);
        }
        double sum = hsum_d(acc);
        if (i < cols) {
            float tmp[LANES];
            for (int k = 0; k < LANES; k++) tmp[k] = -INFINITY;
            memcpy(tmp, xr + i, (size_t)(cols - i) * sizeof(float));
            vf e = v_exp(load(tmp) - mv);
            store(tmp, e);
            for (long k = 0; k < cols - i; k++) {
                if (!log) yr[i + k] = tmp[k];
                sum += tmp[k];
            }
        }
        if (log) {
            float shift = m + (float)__builtin_log(sum);
            vf sv = splat(shift);
            long j = 0;
            for (; j + LANES <= cols; j += LANES) store(yr + j, load(xr + j) - sv);
            for (; j < cols; j++) yr[j] = xr[j] - shift;
        } else {
            vf inv = splat((float)(1.0 / sum));
            long j = 0;
            for (; j + LANES <= cols; j += LANES) store(yr + j, load(yr + j) * inv);
            for (; j < cols; j++) yr[j] *= (float)(1.0 / sum);
        }
    }
}

void DS_NAME(ds_bias_activation_f32)(float *y, const float *bias, long rows, long cols, int relu) {
    for (long r = 0; r < rows; r++) {
        float *row = y + r * cols;
        long c = 0;
        if (relu) {
            // v <= 0 is false for NaN, so NaN passes through (as PyTorch's relu).
            for (; c + LANES <= cols; c += LANES) {
                vf v = load(row + c) + load(bias + c);
                store(row + c, vselect(v <= 0.0f, splat(0.0f), v));
            }
            for (; c < cols; c++) { float v = row[c] + bias[c]; row[c] = v <= 0.0f ? 0.0f : v; }
        } else {
            for (; c + LANES <= cols; c += LANES) store(row + c, load(row + c) + load(bias + c));
            for (; c < cols; c++) row[c] += bias[c];
        }
    }
}

void DS_NAME(ds_relu_backward_f32)(const float *g, const float *mask, float *out, long n) {
    long i = 0;
    for (; i + LANES <= n; i += LANES) store(out + i, vselect(load(mask + i) > 0.0f, load(g + i), splat(0.0f)));
    for (; i < n; i++) out[i] = mask[i] > 0.0f ? g[i] : 0.0f;
}

void DS_NAME(ds_adam_f32)(float *p, const float *g, float *m, float *v, float *vhat, long n,
                          float stepSize, float beta1, float beta2, float eps, float inverseBiasCorrection2Sqrt) {
    long i = 0;
    vf b1 = splat(beta1), b2 = splat(beta2), c1 = splat(1.0f - beta1), c2 = splat(1.0f - beta2);
    vf step = splat(stepSize), e = splat(eps), ibc = splat(inverseBiasCorrection2Sqrt);
    for (; i + LANES <= n; i += LANES) {
        vf gi = load(g + i);
        vf mi = vfma(b1, load(m + i), c1 * gi);
        vf vi = vfma(b2, load(v + i), c2 * gi * gi);
        store(m + i, mi);
        store(v + i, vi);
        if (vhat) { vi = vmax(load(vhat + i), vi); store(vhat + i, vi); }
        vf denominator = vfma(__builtin_elementwise_sqrt(vi), ibc, e);
        store(p + i, load(p + i) - step * mi / denominator);
    }
    for (; i < n; i++) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        if (vhat) { vi = vhat[i] > vi ? vhat[i] : vi; vhat[i] = vi; }
        p[i] -= stepSize * mi / (__builtin_sqrtf(vi) * inverseBiasCorrection2Sqrt + eps);
    }
}

void DS_NAME(ds_row_dots_f32)(const float *a, long lda, const float *b, long ldb, long m, long n, long k_begin, long k_end, float *c) {
    // Blocks of 512 along k keep one row of A and the rows of B in cache while every pair is formed;
    // pairs are computed four B rows at a time to reuse each loaded A vector.
    const long block = 512;
    for (long k0 = k_begin; k0 < k_end; k0 += block) {
        const long k1 = k0 + block < k_end ? k0 + block : k_end;
        for (long i = 0; i < m; i++) {
            const float *ar = a + i * lda;
            long j = 0;
            for (; j + 4 <= n; j += 4) {
                const float *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
                vf s0 = splat(0.0f), s1 = splat(0.0f), s2 = splat(0.0f), s3 = splat(0.0f);
                long k = k0;
                for (; k + LANES <= k1; k += LANES) {
                    vf av = load(ar + k);
                    s0 = vfma(av, load(b0 + k), s0);
                    s1 = vfma(av, load(b1 + k), s1);
                    s2 = vfma(av, load(b2 + k), s2);
                    s3 = vfma(av, load(b3 + k), s3);
                }
                float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
                for (; k < k1; k++) { t0 += ar[k] * b0[k]; t1 += ar[k] * b1[k]; t2 += ar[k] * b2[k]; t3 += ar[k] * b3[k]; }
                float l0[LANES], l1[LANES], l2[LANES], l3[LANES];
                store(l0, s0); store(l1, s1); store(l2, s2); store(l3, s3);
                for (int q = 0; q < LANES; q++) { t0 += l0[q]; t1 += l1[q]; t2 += l2[q]; t3 += l3[q]; }
                c[i * n + j] += t0; c[i * n + j + 1] += t1; c[i * n + j + 2] += t2; c[i * n + j + 3] += t3;
            }
            for (; j < n; j++) {
                const float *br = b + j * ldb;
                vf s0 = splat(0.0f);
                long k = k0;
                for (; k + LANES <= k1; k += LANES) s0 = vfma(load(ar + k), load(br + k), s0);
                float t = 0, l[LANES];
                for (; k < k1; k++) t += ar[k] * br[k];
                store(l, s0);
                for (int q = 0; q < LANES; q++) t += l[q];
                c[i * n + j] += t;
            }
        }
    }
}
