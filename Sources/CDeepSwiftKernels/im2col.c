// im2col / col2im for convolutions computed as one large GEMM (see Convolution.swift).
#include "deepswift_kernels.h"
#include <string.h>

void ds_im2col_f32(const float *x, const ds_window_geometry *g, float *cols, long column_stride, long image,
                   long row_begin, long row_end) {
    const long positions = g->out_h * g->out_w;
    const long kernel_area = g->kernel_h * g->kernel_w;
    for (long row = row_begin; row < row_end; row++) {
        const long c = row / kernel_area, ki = (row / g->kernel_w) % g->kernel_h, kj = row % g->kernel_w;
        const float *plane = x + c * g->height * g->width;
        float *out = cols + row * column_stride + image * positions;
        for (long i = 0; i < g->out_h; i++) {
            const long y = i * g->stride_h - g->pad_top + ki * g->dilation_h;
            float *line = out + i * g->out_w;
            // Rows are short (a few dozen floats): plain loops, which the compiler vectorizes, beat
            // a memcpy/memset call per row.
            if (y < 0 || y >= g->height) { for (long j = 0; j < g->out_w; j++) line[j] = 0.0f; continue; }
            const float *source = plane + y * g->width;
            const long x0 = kj * g->dilation_w - g->pad_left;
            if (g->stride_w == 1 && x0 >= 0 && x0 + g->out_w <= g->width) {
                const float *restrict from = source + x0;
                float *restrict to = line;
                for (long j = 0; j < g->out_w; j++) to[j] = from[j];
                continue;
            }
            for (long j = 0; j < g->out_w; j++) {
                const long xx = x0 + j * g->stride_w;
                line[j] = (xx >= 0 && xx < g->width) ? source[xx] : 0.0f;
            }
        }
    }
}

// First j in [0, out) with 0 <= x0 + j*stride < width, and one past the last.
static inline void valid_range(long x0, long stride, long out, long width, long *lo, long *hi) {
    long first = x0 >= 0 ? 0 : (-x0 + stride - 1) / stride;
    long last = x0 >= width ? -1 : (width - 1 - x0) / stride;   // inclusive
    *lo = first < out ? first : out;
    *hi = last + 1 < out ? last + 1 : out;
    if (*hi < *lo) *hi = *lo;
}

void ds_col2im_f32(const float *cols, const ds_window_geometry *g, long column_stride, long image, float *x,
                   long channel_begin, long channel_end) {
    const long positions = g->out_h * g->out_w;
    for (long c = channel_begin; c < channel_end; c++) {
        float *plane = x + c * g->height * g->width;
        for (long ki = 0; ki < g->kernel_h; ki++) {
            for (long kj = 0; kj < g->kernel_w; kj++) {
                const long row = (c * g->kernel_h + ki) * g->kernel_w + kj;
                const float *in = cols + row * column_stride + image * positions;
                const long x0 = kj * g->dilation_w - g->pad_left;
                long lo, hi;
                valid_range(x0, g->stride_w, g->out_w, g->width, &lo, &hi);
                for (long i = 0; i < g->out_h; i++) {
                    const long y = i * g->stride_h - g->pad_top + ki * g->dilation_h;
                    if (y < 0 || y >= g->height) continue;
                    float *target = plane + y * g->width + x0;
                    const float *line = in + i * g->out_w;
                    if (g->stride_w == 1) {
                        for (long j = lo; j < hi; j++) target[j] += line[j];
                    } else {
                        for (long j = lo; j < hi; j++) target[j * g->stride_w] += line[j];
                    }
                }
            }
        }
    }
}

void ds_pool2d_forward_f32(const float *x, float *y, long h, long w, long oh, long ow, long kh, long kw, long sh, long sw,
                           long ph, long pw, long pad_bottom, long pad_right, int kind, long plane_begin, long plane_end) {
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
