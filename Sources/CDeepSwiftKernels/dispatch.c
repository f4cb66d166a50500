// Picks the best instantiation of the vector kernels for the running CPU.
#include "deepswift_kernels.h"

#define DECLARE(isa)                                                                      \
    void ds_pack_panels_f32_##isa(const float *b, long k, long n, long stride_k, long stride_n, float *packed); \
    void ds_gemm_packed_f32_##isa(const float *a, long lda, const float *packed, long m, long n, long k, float *c, long ldc, long panel_begin, long panel_end); \
    void ds_gru_reset_gate_f32_##isa(const float *gi, const float *gh, const float *h_in, float *rh, long batch, long hidden); \
    void ds_gru_reset_backward_f32_##isa(float *gi, float *gh, const float *h_prev, const float *keep, const float *drh, float *dh, const float *mask, long batch, long hidden); \
    void ds_lstm_forward_step_f32_##isa(float *gates, const float *c_prev, const float *h_prev, float *c, float *h, const float *peep, const float *mask, long batch, long hidden); \
    void ds_lstm_backward_step_f32_##isa(float *gates, const float *c_prev, const float *c, const float *dy, float *dh, float *dc, const float *peep, float *dpeep, const float *mask, long batch, long hidden); \
    void ds_gru_forward_step_f32_##isa(float *gi, const float *gh, const float *h_prev, float *h, int reset_after, const float *mask, long batch, long hidden); \
    void ds_gru_backward_step_f32_##isa(float *gi, float *gh, const float *h_prev, const float *dy, float *dh, int reset_after, const float *mask, long batch, long hidden); \
    void ds_rnn_forward_step_f32_##isa(float *pre, const float *h_prev, float *h, int relu, const float *mask, long batch, long hidden); \
    void ds_rnn_backward_step_f32_##isa(float *pre, const float *dy, float *dh, int relu, const float *mask, long batch, long hidden); \
    void ds_unary_f32_##isa(ds_unary_op, const float *, float *, long, float);            \
    void ds_softmax_rows_f32_##isa(const float *, float *, long, long, int);              \
    double ds_sum_f32_##isa(const float *, long);                                         \
    float ds_max_f32_##isa(const float *, long);                                          \
    float ds_min_f32_##isa(const float *, long);                                          \
    void ds_bias_activation_f32_##isa(float *, const float *, long, long, int);            \
    void ds_relu_backward_f32_##isa(const float *, const float *, float *, long);          \
    void ds_adam_f32_##isa(float *, const float *, float *, float *, float *, long, float, float, float, float, float); \
    void ds_row_dots_f32_##isa(const float *, long, const float *, long, long, long, long, long, float *); \
    void ds_im2col_f32_##isa(const float *, const ds_window_geometry *, float *, long, long, long, long); \
    void ds_col2im_f32_##isa(const float *, const ds_window_geometry *, long, long, float *, long, long); \
    void ds_pool2d_forward_f32_##isa(const float *, float *, long, long, long, long, long, long, long, long, long, long, \
                                     long, long, int, long, long);
DECLARE(avx512)
DECLARE(avx2)
DECLARE(baseline)

static int detected_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

// -1 = not yet detected. A racy first write stores the same value from every thread.
static volatile int active_level = -1;

static int level(void) {
    int l = active_level;
    if (l < 0) { l = detected_level(); active_level = l; }
    return l;
}

int ds_kernels_max_isa(void) { return detected_level(); }
int ds_kernels_isa(void) { return level(); }
int ds_kernels_set_isa(int requested) {
    int best = detected_level();
    if (requested < 0 || requested > best) return 0;
    active_level = requested;
    return 1;
}

#define DISPATCH(call)                               \
    switch (level()) {                               \
    case 2: return call##_avx512;                    \
    case 1: return call##_avx2;                      \
    default: return call##_baseline;                 \
    }

typedef void (*unary_fn)(ds_unary_op, const float *, float *, long, float);
typedef void (*softmax_fn)(const float *, float *, long, long, int);
typedef double (*sum_fn)(const float *, long);
typedef float (*minmax_fn)(const float *, long);
typedef void (*bias_fn)(float *, const float *, long, long, int);
typedef void (*relu_backward_fn)(const float *, const float *, float *, long);
typedef void (*adam_fn)(float *, const float *, float *, float *, float *, long, float, float, float, float, float);

static unary_fn pick_unary(void) { DISPATCH(ds_unary_f32) }
static softmax_fn pick_softmax(void) { DISPATCH(ds_softmax_rows_f32) }
static sum_fn pick_sum(void) { DISPATCH(ds_sum_f32) }
static minmax_fn pick_max(void) { DISPATCH(ds_max_f32) }
static minmax_fn pick_min(void) { DISPATCH(ds_min_f32) }
static bias_fn pick_bias(void) { DISPATCH(ds_bias_activation_f32) }
static relu_backward_fn pick_relu_backward(void) { DISPATCH(ds_relu_backward_f32) }
static adam_fn pick_adam(void) { DISPATCH(ds_adam_f32) }
typedef void (*row_dots_fn)(const float *, long, const float *, long, long, long, long, long, float *);
static row_dots_fn pick_row_dots(void) { DISPATCH(ds_row_dots_f32) }
typedef void (*im2col_fn)(const float *, const ds_window_geometry *, float *, long, long, long, long);
static im2col_fn pick_im2col(void) { DISPATCH(ds_im2col_f32) }
typedef void (*col2im_fn)(const float *, const ds_window_geometry *, long, long, float *, long, long);
static col2im_fn pick_col2im(void) { DISPATCH(ds_col2im_f32) }
typedef void (*pool2d_fn)(const float *, float *, long, long, long, long, long, long, long, long, long, long, long, long,
                          int, long, long);
static pool2d_fn pick_pool2d(void) { DISPATCH(ds_pool2d_forward_f32) }

void ds_unary_f32(ds_unary_op op, const float *x, float *y, long n, float alpha) {
    pick_unary()(op, x, y, n, alpha);
}
void ds_softmax_rows_f32(const float *x, float *y, long rows, long cols, int log) {
    pick_softmax()(x, y, rows, cols, log);
}
double ds_sum_f32(const float *x, long n) { return pick_sum()(x, n); }
float ds_max_f32(const float *x, long n) { return pick_max()(x, n); }
float ds_min_f32(const float *x, long n) { return pick_min()(x, n); }
void ds_bias_activation_f32(float *y, const float *bias, long rows, long cols, int relu) {
    pick_bias()(y, bias, rows, cols, relu);
}
void ds_relu_backward_f32(const float *g, const float *mask, float *out, long n) {
    pick_relu_backward()(g, mask, out, n);
}
void ds_adam_f32(float *p, const float *g, float *m, float *v, float *vmax, long n,
                 float stepSize, float beta1, float beta2, float eps, float inverseBiasCorrection2Sqrt) {
    pick_adam()(p, g, m, v, vmax, n, stepSize, beta1, beta2, eps, inverseBiasCorrection2Sqrt);
}
void ds_unary_f32_at_level(int level, ds_unary_op op, const float *x, float *y, long n, float alpha) {
    switch (level) {
    case 2: ds_unary_f32_avx512(op, x, y, n, alpha); break;
    case 1: ds_unary_f32_avx2(op, x, y, n, alpha); break;
    default: ds_unary_f32_baseline(op, x, y, n, alpha); break;
    }
}
void ds_row_dots_f32(const float *a, long lda, const float *b, long ldb, long m, long n, long k_begin, long k_end, float *c) {
    pick_row_dots()(a, lda, b, ldb, m, n, k_begin, k_end, c);
}
void ds_im2col_f32(const float *x, const ds_window_geometry *g, float *cols, long column_stride, long image,
                   long row_begin, long row_end) {
    pick_im2col()(x, g, cols, column_stride, image, row_begin, row_end);
}
void ds_col2im_f32(const float *cols, const ds_window_geometry *g, long column_stride, long image, float *x,
                   long channel_begin, long channel_end) {
    pick_col2im()(cols, g, column_stride, image, x, channel_begin, channel_end);
}
void ds_im2col_f32_at_level(int level, const float *x, const ds_window_geometry *g, float *cols, long column_stride,
                            long image, long row_begin, long row_end) {
    switch (level) {
    case 2: ds_im2col_f32_avx512(x, g, cols, column_stride, image, row_begin, row_end); break;
    case 1: ds_im2col_f32_avx2(x, g, cols, column_stride, image, row_begin, row_end); break;
    default: ds_im2col_f32_baseline(x, g, cols, column_stride, image, row_begin, row_end); break;
    }
}
void ds_col2im_f32_at_level(int level, const float *cols, const ds_window_geometry *g, long column_stride, long image,
                            float *x, long channel_begin, long channel_end) {
    switch (level) {
    case 2: ds_col2im_f32_avx512(cols, g, column_stride, image, x, channel_begin, channel_end); break;
    case 1: ds_col2im_f32_avx2(cols, g, column_stride, image, x, channel_begin, channel_end); break;
    default: ds_col2im_f32_baseline(cols, g, column_stride, image, x, channel_begin, channel_end); break;
    }
}
void ds_pool2d_forward_f32(const float *x, float *y, long h, long w, long oh, long ow, long kh, long kw, long sh, long sw,
                           long ph, long pw, long pad_bottom, long pad_right, int kind, long plane_begin, long plane_end) {
    pick_pool2d()(x, y, h, w, oh, ow, kh, kw, sh, sw, ph, pw, pad_bottom, pad_right, kind, plane_begin, plane_end);
}
void ds_pool2d_forward_f32_at_level(int level, const float *x, float *y, long h, long w, long oh, long ow, long kh, long kw,
                                    long sh, long sw, long ph, long pw, long pad_bottom, long pad_right, int kind,
                                    long plane_begin, long plane_end) {
    pool2d_fn f = level == 2 ? ds_pool2d_forward_f32_avx512 : level == 1 ? ds_pool2d_forward_f32_avx2 : ds_pool2d_forward_f32_baseline;
    f(x, y, h, w, oh, ow, kh, kw, sh, sw, ph, pw, pad_bottom, pad_right, kind, plane_begin, plane_end);
}
typedef void (*ds_lstm_forward_step_f32_fn)(float *gates, const float *c_prev, const float *h_prev, float *c, float *h, const float *peep, const float *mask, long batch, long hidden);
static ds_lstm_forward_step_f32_fn pick_ds_lstm_forward_step_f32(void) { DISPATCH(ds_lstm_forward_step_f32) }
void ds_lstm_forward_step_f32(float *gates, const float *c_prev, const float *h_prev, float *c, float *h, const float *peep, const float *mask, long batch, long hidden) { pick_ds_lstm_forward_step_f32()(gates, c_prev, h_prev, c, h, peep, mask, batch, hidden); }
typedef void (*ds_lstm_backward_step_f32_fn)(float *gates, const float *c_prev, const float *c, const float *dy, float *dh, float *dc, const float *peep, float *dpeep, const float *mask, long batch, long hidden);
static ds_lstm_backward_step_f32_fn pick_ds_lstm_backward_step_f32(void) { DISPATCH(ds_lstm_backward_step_f32) }
void ds_lstm_backward_step_f32(float *gates, const float *c_prev, const float *c, const float *dy, float *dh, float *dc, const float *peep, float *dpeep, const float *mask, long batch, long hidden) { pick_ds_lstm_backward_step_f32()(gates, c_prev, c, dy, dh, dc, peep, dpeep, mask, batch, hidden); }
typedef void (*ds_gru_forward_step_f32_fn)(float *gi, const float *gh, const float *h_prev, float *h, int reset_after, const float *mask, long batch, long hidden);
static ds_gru_forward_step_f32_fn pick_ds_gru_forward_step_f32(void) { DISPATCH(ds_gru_forward_step_f32) }
void ds_gru_forward_step_f32(float *gi, const float *gh, const float *h_prev, float *h, int reset_after, const float *mask, long batch, long hidden) { pick_ds_gru_forward_step_f32()(gi, gh, h_prev, h, reset_after, mask, batch, hidden); }
typedef void (*ds_gru_backward_step_f32_fn)(float *gi, float *gh, const float *h_prev, const float *dy, float *dh, int reset_after, const float *mask, long batch, long hidden);
static ds_gru_backward_step_f32_fn pick_ds_gru_backward_step_f32(void) { DISPATCH(ds_gru_backward_step_f32) }
void ds_gru_backward_step_f32(float *gi, float *gh, const float *h_prev, const float *dy, float *dh, int reset_after, const float *mask, long batch, long hidden) { pick_ds_gru_backward_step_f32()(gi, gh, h_prev, dy, dh, reset_after, mask, batch, hidden); }
typedef void (*ds_rnn_forward_step_f32_fn)(float *pre, const float *h_prev, float *h, int relu, const float *mask, long batch, long hidden);
static ds_rnn_forward_step_f32_fn pick_ds_rnn_forward_step_f32(void) { DISPATCH(ds_rnn_forward_step_f32) }
void ds_rnn_forward_step_f32(float *pre, const float *h_prev, float *h, int relu, const float *mask, long batch, long hidden) { pick_ds_rnn_forward_step_f32()(pre, h_prev, h, relu, mask, batch, hidden); }
typedef void (*ds_rnn_backward_step_f32_fn)(float *pre, const float *dy, float *dh, int relu, const float *mask, long batch, long hidden);
static ds_rnn_backward_step_f32_fn pick_ds_rnn_backward_step_f32(void) { DISPATCH(ds_rnn_backward_step_f32) }
void ds_rnn_backward_step_f32(float *pre, const float *dy, float *dh, int relu, const float *mask, long batch, long hidden) { pick_ds_rnn_backward_step_f32()(pre, dy, dh, relu, mask, batch, hidden); }
typedef void (*ds_gru_reset_gate_f32_fn)(const float *gi, const float *gh, const float *h_in, float *rh, long batch, long hidden);
static ds_gru_reset_gate_f32_fn pick_ds_gru_reset_gate_f32(void) { DISPATCH(ds_gru_reset_gate_f32) }
void ds_gru_reset_gate_f32(const float *gi, const float *gh, const float *h_in, float *rh, long batch, long hidden) { pick_ds_gru_reset_gate_f32()(gi, gh, h_in, rh, batch, hidden); }
typedef void (*ds_gru_reset_backward_f32_fn)(float *gi, float *gh, const float *h_prev, const float *keep, const float *drh, float *dh, const float *mask, long batch, long hidden);
static ds_gru_reset_backward_f32_fn pick_ds_gru_reset_backward_f32(void) { DISPATCH(ds_gru_reset_backward_f32) }
void ds_gru_reset_backward_f32(float *gi, float *gh, const float *h_prev, const float *keep, const float *drh, float *dh, const float *mask, long batch, long hidden) { pick_ds_gru_reset_backward_f32()(gi, gh, h_prev, keep, drh, dh, mask, batch, hidden); }
typedef void (*ds_pack_panels_f32_fn)(const float *b, long k, long n, long stride_k, long stride_n, float *packed);
static ds_pack_panels_f32_fn pick_ds_pack_panels_f32(void) { DISPATCH(ds_pack_panels_f32) }
void ds_pack_panels_f32(const float *b, long k, long n, long stride_k, long stride_n, float *packed) { pick_ds_pack_panels_f32()(b, k, n, stride_k, stride_n, packed); }
typedef void (*ds_gemm_packed_f32_fn)(const float *a, long lda, const float *packed, long m, long n, long k, float *c, long ldc, long panel_begin, long panel_end);
static ds_gemm_packed_f32_fn pick_ds_gemm_packed_f32(void) { DISPATCH(ds_gemm_packed_f32) }
void ds_gemm_packed_f32(const float *a, long lda, const float *packed, long m, long n, long k, float *c, long ldc, long panel_begin, long panel_end) { pick_ds_gemm_packed_f32()(a, lda, packed, m, n, k, c, ldc, panel_begin, panel_end); }
