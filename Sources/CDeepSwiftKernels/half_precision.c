// float32 <-> float16 (IEEE binary16) conversion and half-precision sums, for compressed gradient
// exchange. F16C (vcvtps2ph / vcvtph2ps) when the CPU has it, a bit-exact portable version otherwise;
// both round to nearest, ties to even.
#include "deepswift_kernels.h"
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static uint16_t portable_to_half(float value) {
    uint32_t x;
    memcpy(&x, &value, 4);
    uint32_t sign = (x >> 16) & 0x8000u, exponent = (x >> 23) & 0xFFu, mantissa = x & 0x7FFFFFu;
    if (exponent == 0xFFu) return (uint16_t)(sign | 0x7C00u | (mantissa ? 0x200u | (mantissa >> 13) : 0));   // inf / NaN
    int e = (int)exponent - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7C00u);                                                          // overflow → inf
    if (e <= 0) {                                                                                             // subnormal or zero
        if (e < -10) return (uint16_t)sign;
        mantissa |= 0x800000u;
        int shift = 14 - e;
        uint32_t half = mantissa >> shift, rest = mantissa & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1u))) half += 1;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)e << 10) | (mantissa >> 13), rest = mantissa & 0x1FFFu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) half += 1;   // may carry into the exponent: correct
    return (uint16_t)(sign | half);
}

static float portable_to_float(uint16_t h) {
    uint32_t sign = ((uint32_t)h & 0x8000u) << 16, exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu, x;
    if (exponent == 0) {
        if (mantissa == 0) { x = sign; }
        else {   // subnormal: normalize
            int e = -1;
            do { mantissa <<= 1; e++; } while (!(mantissa & 0x400u));
            x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mantissa & 0x3FFu) << 13);
        }
    } else if (exponent == 31) {
        x = sign | 0x7F800000u | (mantissa << 13);
    } else {
        x = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

#if defined(__x86_64__)
__attribute__((target("avx2,f16c")))
static void f16c_to_half(const float *x, uint16_t *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = portable_to_half(x[i]);
}

__attribute__((target("avx2,f16c")))
static void f16c_to_float(const uint16_t *x, float *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = portable_to_float(x[i]);
}

__attribute__((target("avx2,f16c")))
static void f16c_add(uint16_t *inout, const uint16_t *in, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(inout + i)));
        __m256 b = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(in + i)));
        _mm_storeu_si128((__m128i *)(inout + i), _mm256_cvtps_ph(_mm256_add_ps(a, b), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) inout[i] = portable_to_half(portable_to_float(inout[i]) + portable_to_float(in[i]));
}

static int has_f16c(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx2");
    return cached;
}
#endif

void ds_f32_to_f16(const float *x, uint16_t *y, long n, int portable) {
#if defined(__x86_64__)
    if (!portable && has_f16c()) { f16c_to_half(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = portable_to_half(x[i]);
}

void ds_f16_to_f32(const uint16_t *x, float *y, long n, int portable) {
#if defined(__x86_64__)
    if (!portable && has_f16c()) { f16c_to_float(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = portable_to_float(x[i]);
}

void ds_f16_add(uint16_t *inout, const uint16_t *in, long n) {
#if defined(__x86_64__)
    if (has_f16c()) { f16c_add(inout, in, n); return; }
#endif
    for (long i = 0; i < n; i++) inout[i] = portable_to_half(portable_to_float(inout[i]) + portable_to_float(in[i]));
}
