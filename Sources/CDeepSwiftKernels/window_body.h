// im2col / col2im for convolutions computed as GEMMs (see Convolution.swift), instantiated once per
// ISA by vector_math_<isa>.c (DS_NAME, DS_HAVE_AVX512). Each window row is walked with its valid
// output range computed once (no per-element bounds checks); on AVX-512 a short line (LeNet's are
// 8–24 floats) is one masked load and store.
#if DS_HAVE_AVX512
#include <immintrin.h>
#endif

static inline void DS_NAME(copy_line)(float *restrict to, const float *restrict from, long n) {
#if DS_HAVE_AVX512
    long j = 0;
    for (; j + 16 <= n; j += 16) _mm512_storeu_ps(to + j, _mm512_loadu_ps(from + j));
    if (j < n) {
        const __mmask16 m = (__mmask16)((1u << (n - j)) - 1);
        _mm512_mask_storeu_ps(to + j, m, _mm512_maskz_loadu_ps(m, from + j));
    }
#else
    for (long j = 0; j < n; j++) to[j] = from[j];
#endif
}

static inline void DS_NAME(add_line)(float *restrict to, const float *restrict from, long n) {
#if DS_HAVE_AVX512
    long j = 0;
    for (; j + 16 <= n; j += 16) _mm512_storeu_ps(to + j, _mm512_add_ps(_mm512_loadu_ps(to + j), _mm512_loadu_ps(from + j)));
    if (j < n) {
        const __mmask16 m = (__mmask16)((1u << (n - j)) - 1);
        _mm512_mask_storeu_ps(to + j, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, to + j), _mm512_maskz_loadu_ps(m, from + j)));
    }
#else
    for (long j = 0; j < n; j++) to[j] += from[j];
#endif
}

static inline void DS_NAME(zero_line)(float *to, long n) {
    for (long j = 0; j < n; j++) to[j] = 0.0f;
}

// Output positions j in [*lo, *hi) of [0, out) whose input coordinate start + j*stride lies in [0, extent).
static inline void DS_NAME(valid_range)(long start, long stride, long out, long extent, long *lo, long *hi) {
    // (Stride 1 avoids the divisions: they cost more than copying a short line.)
    const long first = start >= 0 ? 0 : stride == 1 ? -start : (-start + stride - 1) / stride;
    const long last = start >= extent ? -1 : stride == 1 ? extent - 1 - start : (extent - 1 - start) / stride;   // inclusive
    *lo = first < out ? first : out;
    *hi = last + 1 < out ? last + 1 : out;
    if (*hi < *lo) *hi = *lo;
}

// Copies `lines` lines of n floats, source lines `stride` apart, into consecutive lines. A small
// function of its own so that every value stays in a register (inlined into the im2col loop the
// compiler spilled them and the stack reloads stalled behind the stores).
__attribute__((noinline))
static void DS_NAME(copy_lines)(float *restrict out, const float *restrict source, long lines, long n, long stride) {
#if DS_HAVE_AVX512
    const long whole = n & ~15L;
    const __mmask16 tail = (__mmask16)((1u << (n & 15)) - 1);
    for (long i = 0; i < lines; i++, out += n, source += stride) {
        for (long j = 0; j < whole; j += 16) _mm512_storeu_ps(out + j, _mm512_loadu_ps(source + j));
        if (tail) _mm512_mask_storeu_ps(out + whole, tail, _mm512_maskz_loadu_ps(tail, source + whole));
    }
#else
    for (long i = 0; i < lines; i++, out += n, source += stride) DS_NAME(copy_line)(out, source, n);
#endif
}

void DS_NAME(ds_im2col_f32)(const float *x, const ds_window_geometry *g, float *cols, long column_stride, long image,
                            long row_begin, long row_end) {
    // Locals, not g->…: the stores into cols could alias *g, which would make the compiler reload
    // every field after every store (3× slower).
    const long oh = g->out_h, ow = g->out_w, positions = oh * ow, height = g->height, width = g->width;
    const long plane_size = height * width, kernel_h = g->kernel_h, kernel_w = g->kernel_w;
    const long stride_h = g->stride_h, stride_w = g->stride_w, pad_top = g->pad_top, pad_left = g->pad_left;
    const long dilation_h = g->dilation_h, dilation_w = g->dilation_w;
    const long kernel_area = kernel_h * kernel_w;
#if DS_HAVE_AVX512
    if (stride_h == 1 && stride_w == 1 && dilation_h == 1 && dilation_w == 1 && pad_top == 0 && pad_left == 0 &&
        oh + kernel_h - 1 <= height && ow + kernel_w - 1 <= width) {
        // Unpadded, unit stride and dilation (every window inside the image): plain nested loops.
        const long whole = ow & ~15L;
        const __mmask16 tail = (__mmask16)((1u << (ow & 15)) - 1);
        long c = row_begin / kernel_area, ki = (row_begin / kernel_w) % kernel_h, kj = row_begin % kernel_w;
        for (long row = row_begin; row < row_end; row++) {
            const float *restrict source = x + c * plane_size + ki * width + kj;
            if (++kj == kernel_w) { kj = 0; if (++ki == kernel_h) { ki = 0; c++; } }
            float *restrict out = cols + row * column_stride + image * positions;
            for (long i = 0; i < oh; i++, source += width, out += ow) {
                for (long j = 0; j < whole; j += 16) _mm512_storeu_ps(out + j, _mm512_loadu_ps(source + j));
                if (tail) _mm512_mask_storeu_ps(out + whole, tail, _mm512_maskz_loadu_ps(tail, source + whole));
            }
        }
        return;
    }
#endif
    long c = row_begin / kernel_area, ki = (row_begin / kernel_w) % kernel_h, kj = row_begin % kernel_w;
    for (long row = row_begin; row < row_end; row++) {
        const float *plane = x + c * plane_size;
        float *out = cols + row * column_stride + image * positions;
        const long y0 = ki * dilation_h - pad_top, x0 = kj * dilation_w - pad_left;
        long ilo, ihi, jlo, jhi;
        DS_NAME(valid_range)(y0, stride_h, oh, height, &ilo, &ihi);
        DS_NAME(valid_range)(x0, stride_w, ow, width, &jlo, &jhi);
        if (ilo > 0) DS_NAME(zero_line)(out, ilo * ow);
        const float *source = plane + (y0 + ilo * stride_h) * width + x0;
        float *line = out + ilo * ow;
        if (stride_w == 1 && jlo == 0 && jhi == ow) {
            DS_NAME(copy_lines)(line, source, ihi - ilo, ow, stride_h * width);
        } else {
            for (long i = ilo; i < ihi; i++, line += ow, source += stride_h * width) {
                if (jlo > 0) DS_NAME(zero_line)(line, jlo);
                if (stride_w == 1) {
                    DS_NAME(copy_line)(line + jlo, source + jlo, jhi - jlo);
                } else {
                    for (long j = jlo; j < jhi; j++) line[j] = source[j * stride_w];
                }
                if (jhi < ow) DS_NAME(zero_line)(line + jhi, ow - jhi);
            }
        }
        if (ihi < oh) DS_NAME(zero_line)(out + ihi * ow, (oh - ihi) * ow);
        if (++kj == kernel_w) { kj = 0; if (++ki == kernel_h) { ki = 0; c++; } }
    }
}

void DS_NAME(ds_col2im_f32)(const float *cols, const ds_window_geometry *g, long column_stride, long image, float *x,
                            long channel_begin, long channel_end) {
    const long oh = g->out_h, ow = g->out_w, positions = oh * ow, plane_size = g->height * g->width;
#if DS_HAVE_AVX512
    if (g->stride_w == 1) {
        // Gather: every input row is the sum of the window lines that read it, built 16 floats at a
        // time in a register (a masked load reads line j into lane x0 + j) and stored once. No
        // read-modify-write of the output, so no store-to-load stalls between overlapping windows.
        for (long c = channel_begin; c < channel_end; c++) {
            float *plane = x + c * plane_size;
            const float *channel_rows = cols + c * g->kernel_h * g->kernel_w * column_stride + image * positions;
            for (long y = 0; y < g->height; y++) {
                for (long s = 0; s < g->width; s += 16) {
                    const long lanes = g->width - s < 16 ? g->width - s : 16;
                    __m512 acc = _mm512_setzero_ps();
                    for (long ki = 0; ki < g->kernel_h; ki++) {
                        long i = y + g->pad_top - ki * g->dilation_h;   // = output row · stride_h
                        if (i < 0) continue;
                        if (g->stride_h != 1) { if (i % g->stride_h) continue; i /= g->stride_h; }
                        if (i >= oh) continue;
                        const float *row_lines = channel_rows + ki * g->kernel_w * column_stride + i * ow;
                        for (long kj = 0; kj < g->kernel_w; kj++) {
                            const long shift = s - (kj * g->dilation_w - g->pad_left);   // lane l reads line[l + shift]
                            long lo = -shift > 0 ? -shift : 0, hi = ow - shift < lanes ? ow - shift : lanes;
                            if (lo >= hi) continue;
                            const __mmask16 m = (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
                            acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, row_lines + kj * column_stride + shift));
                        }
                    }
                    _mm512_mask_storeu_ps(plane + y * g->width + s, (__mmask16)((1u << lanes) - 1), acc);
                }
            }
        }
        return;
    }
#endif
    for (long c = channel_begin; c < channel_end; c++) {
        float *plane = x + c * plane_size;
        DS_NAME(zero_line)(plane, plane_size);
        for (long ki = 0; ki < g->kernel_h; ki++) {
            for (long kj = 0; kj < g->kernel_w; kj++) {
                const long row = (c * g->kernel_h + ki) * g->kernel_w + kj;
                const float *in = cols + row * column_stride + image * positions;
                const long y0 = ki * g->dilation_h - g->pad_top, x0 = kj * g->dilation_w - g->pad_left;
                long ilo, ihi, jlo, jhi;
                DS_NAME(valid_range)(y0, g->stride_h, oh, g->height, &ilo, &ihi);
                DS_NAME(valid_range)(x0, g->stride_w, ow, g->width, &jlo, &jhi);
                for (long i = ilo; i < ihi; i++) {
                    float *target = plane + (y0 + i * g->stride_h) * g->width + x0;
                    const float *line = in + i * ow;
                    if (g->stride_w == 1) {
                        DS_NAME(add_line)(target + jlo, line + jlo, jhi - jlo);
                    } else {
                        for (long j = jlo; j < jhi; j++) target[j * g->stride_w] += line[j];
                    }
                }
            }
        }
    }
}

// Forward-only 2-D pooling for inference (see Pooling.swift).
#if DS_HAVE_AVX512
// max that returns NaN when either operand is NaN (as PyTorch's pooling does).
static inline __m512 DS_NAME(nan_max)(__m512 a, __m512 b) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), _mm512_max_ps(a, b), a);
}

static void DS_NAME(pool2x2)(const float *x, float *y, long h, long w, long oh, long ow, int kind, long plane_begin,
                             long plane_end) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (long plane = plane_begin; plane < plane_end; plane++) {
        const float *in = x + plane * h * w;
        float *out = y + plane * oh * ow;
        for (long i = 0; i < oh; i++) {
            const float *r0 = in + 2 * i * w, *r1 = r0 + w;
            for (long j = 0; j < ow; j += 16) {
                const long n = ow - j < 16 ? ow - j : 16;              // outputs in this step
                const long m = 2 * n;                                    // inputs per row
                const __mmask16 lo = (__mmask16)(m >= 16 ? 0xFFFF : (1u << m) - 1);
                const __mmask16 hi = (__mmask16)(m <= 16 ? 0 : m >= 32 ? 0xFFFF : (1u << (m - 16)) - 1);
                const float *a = r0 + 2 * j, *b = r1 + 2 * j;
                __m512 a0 = _mm512_maskz_loadu_ps(lo, a), a1 = _mm512_maskz_loadu_ps(hi, a + 16);
                __m512 b0 = _mm512_maskz_loadu_ps(lo, b), b1 = _mm512_maskz_loadu_ps(hi, b + 16);
                __m512 result;
                if (kind == 0) {
                    const __m512 v0 = DS_NAME(nan_max)(a0, b0), v1 = DS_NAME(nan_max)(a1, b1);
                    result = DS_NAME(nan_max)(_mm512_permutex2var_ps(v0, even, v1), _mm512_permutex2var_ps(v0, odd, v1));
                } else {
                    const __m512 v0 = _mm512_add_ps(a0, b0), v1 = _mm512_add_ps(a1, b1);
                    result = _mm512_mul_ps(_mm512_add_ps(_mm512_permutex2var_ps(v0, even, v1), _mm512_permutex2var_ps(v0, odd, v1)),
                                           _mm512_set1_ps(0.25f));
                }
                _mm512_mask_storeu_ps(out + i * ow + j, (__mmask16)((1u << n) - 1), result);
            }
        }
    }
}
#endif

void DS_NAME(ds_pool2d_forward_f32)(const float *x, float *y, long h, long w, long oh, long ow, long kh, long kw, long sh,
                                    long sw, long ph, long pw, long pad_bottom, long pad_right, int kind, long plane_begin,
                                    long plane_end) {
#if DS_HAVE_AVX512
    // 2×2 windows with stride 2 that lie inside the input (LeNet, VGG, UNet): 16 outputs per step.
    if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && 2 * oh <= h && 2 * ow <= w) {
        DS_NAME(pool2x2)(x, y, h, w, oh, ow, kind, plane_begin, plane_end);
        return;
    }
#endif
    for (long plane = plane_begin; plane < plane_end; plane++) {
        const float *in = x + plane * h * w;
        float *out = y + plane * oh * ow;
        for (long i = 0; i < oh; i++) {
            const long y0 = i * sh - ph;
            const long ylo = y0 < 0 ? 0 : y0, yhi = y0 + kh < h ? y0 + kh : h;
            for (long j = 0; j < ow; j++) {
                const long x0 = j * sw - pw;
                const long xlo = x0 < 0 ? 0 : x0, xhi = x0 + kw < w ? x0 + kw : w;
                if (kind == 0) {
                    float best = -__builtin_inff();
                    int nan = 0;
                    for (long yy = ylo; yy < yhi; yy++)
                        for (long xx = xlo; xx < xhi; xx++) {
                            const float v = in[yy * w + xx];
                            if (v != v) nan = 1;
                            best = v > best ? v : best;
                        }
                    out[i * ow + j] = nan ? __builtin_nanf("") : best;
                } else {
                    float sum = 0.0f;
                    for (long yy = ylo; yy < yhi; yy++)
                        for (long xx = xlo; xx < xhi; xx++) sum += in[yy * w + xx];
                    long count;
                    if (kind == 1) {
                        // Window clipped to the explicitly padded input (not to ceil-mode overhang).
                        const long ey = (y0 + kh < h + pad_bottom ? y0 + kh : h + pad_bottom) - (y0 > -ph ? y0 : -ph);
                        const long ex = (x0 + kw < w + pad_right ? x0 + kw : w + pad_right) - (x0 > -pw ? x0 : -pw);
                        count = ey * ex;
                    } else {
                        count = (yhi - ylo) * (xhi - xlo);
                    }
                    out[i * ow + j] = sum / (float)(count > 0 ? count : 1);
                }
            }
        }
    }
}
