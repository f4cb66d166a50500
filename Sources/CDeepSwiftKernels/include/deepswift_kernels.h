#ifndef DEEPSWIFT_KERNELS_H
#define DEEPSWIFT_KERNELS_H
// Vectorized float32 kernels over contiguous buffers.
//
// Every function is compiled three times (AVX-512, AVX2+FMA and baseline SSE2) and the best
// one for the running CPU is used. The approximations are
// polynomial (Cephes-style) and branch-free; their maximum errors against libm are measured in
// DeepSwiftTensorTests/VectorMathAccuracyTests.swift.
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    DS_UNARY_EXP = 0,
    DS_UNARY_LOG,
    DS_UNARY_LOG1P,
    DS_UNARY_EXPM1,
    DS_UNARY_TANH,
    DS_UNARY_SIGMOID,
    DS_UNARY_GELU_ERF,
    DS_UNARY_GELU_TANH,
    DS_UNARY_SOFTPLUS,
    DS_UNARY_SWISH,
    DS_UNARY_ELU,      // uses alpha (and scale = 1)
    DS_UNARY_SELU,     // alpha and scale fixed by the SELU paper
    DS_UNARY_ERF,
} ds_unary_op;

/// y[i] = op(x[i]) for i in [0, n). `alpha` is only read by DS_UNARY_ELU. x and y may alias.
void ds_unary_f32(ds_unary_op op, const float *x, float *y, long n, float alpha);

/// Numerically stable softmax (or log-softmax when `log` != 0) of each contiguous row.
void ds_softmax_rows_f32(const float *x, float *y, long rows, long cols, int log);

/// Sum of n floats, accumulated in float64 lanes for accuracy; deterministic for a given n.
double ds_sum_f32(const float *x, long n);

/// Maximum / minimum of n floats (NaN propagates). n must be > 0.
float ds_max_f32(const float *x, long n);
float ds_min_f32(const float *x, long n);

/// y[r, c] = act(y[r, c] + bias[c]) for a contiguous [rows, cols] matrix; act is max(., 0) when
/// relu != 0, the identity otherwise. Branch-free, vectorized.
void ds_bias_activation_f32(float *y, const float *bias, long rows, long cols, int relu);

/// out[i] = mask[i] > 0 ? g[i] : 0 (the gradient of a ReLU given its output). out may alias g.
void ds_relu_backward_f32(const float *g, const float *mask, float *out, long n);

/// One Adam/AMSGrad step over n contiguous float32 parameters:
/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g²; (AMSGrad: vmax = max(vmax, v), used below instead of v);
/// p -= stepSize · m / (√v · inverseBiasCorrection2Sqrt + eps). vmax may be NULL.
void ds_adam_f32(float *p, const float *g, float *m, float *v, float *vmax, long n,
                 float stepSize, float beta1, float beta2, float eps, float inverseBiasCorrection2Sqrt);

/// Geometry of a 2-D convolution window walk (see ds_im2col_f32).
typedef struct {
    long channels, height, width;            // one image
    long kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    long out_h, out_w;
} ds_window_geometry;

/// Writes image `image` (x points at its [C, H, W] data) into columns `cols` of a
/// [C·kh·kw, column_stride] matrix, starting at column `image · out_h · out_w`; padding reads as 0.
/// Rows `row_begin ..< row_end` only (to split the work across threads).
void ds_im2col_f32(const float *x, const ds_window_geometry *g, float *cols, long column_stride, long image,
                   long row_begin, long row_end);

/// The adjoint: writes the [C, H, W] gradient of `image` (each input element is the sum of the
/// column entries that read it; the target's previous contents are overwritten), for channels
/// `channel_begin ..< channel_end` only.
void ds_col2im_f32(const float *cols, const ds_window_geometry *g, long column_stride, long image, float *x,
                   long channel_begin, long channel_end);

/// C[m, n] += Σ_{k in [k_begin, k_end)} A[m, k] · B[n, k] for row-major A (lda) and B (ldb):
/// the product A·Bᵀ when M and N are small and K is long (a weight gradient), where a GEMM library
/// spends its time packing. C is [M, N] contiguous.
void ds_row_dots_f32(const float *a, long lda, const float *b, long ldb, long m, long n, long k_begin, long k_end, float *c);

/// Forward-only 2-D pooling of `planes` contiguous [h, w] planes into [oh, ow] planes (kind 0 = max,
/// 1 = average counting the padding, 2 = average of the input elements only), planes
/// [plane_begin, plane_end) only. Used for inference, where no workspace is needed.
void ds_pool2d_forward_f32(const float *x, float *y, long h, long w, long oh, long ow, long kh, long kw, long sh, long sw,
                           long ph, long pw, long pad_bottom, long pad_right, int kind, long plane_begin, long plane_end);

/// Instruction-set level of the kernels: 0 = baseline SSE2, 1 = AVX2+FMA, 2 = AVX-512.
int ds_kernels_isa(void);
/// Highest level this CPU supports.
int ds_kernels_max_isa(void);
/// Forces a level for every later call (for benchmarks); returns 0 if the CPU does not support it.
/// Affects the whole process: tests use ds_unary_f32_at_level instead.
int ds_kernels_set_isa(int level);

/// ds_im2col_f32 / ds_col2im_f32 at an explicit ISA level (for tests comparing the instantiations).
void ds_im2col_f32_at_level(int level, const float *x, const ds_window_geometry *g, float *cols, long column_stride,
                            long image, long row_begin, long row_end);
void ds_col2im_f32_at_level(int level, const float *cols, const ds_window_geometry *g, long column_stride, long image,
                            float *x, long channel_begin, long channel_end);
void ds_pool2d_forward_f32_at_level(int level, const float *x, float *y, long h, long w, long oh, long ow, long kh, long kw,
                                    long sh, long sw, long ph, long pw, long pad_bottom, long pad_right, int kind,
                                    long plane_begin, long plane_end);
/// ds_unary_f32 with the kernels of one instruction-set level (which the CPU must support).
void ds_unary_f32_at_level(int level, ds_unary_op op, const float *x, float *y, long n, float alpha);

#ifdef __cplusplus
}
#endif

// Recurrent cells, one time step of a batch (see recurrent_body.h for the layouts and Recurrent.swift).
void ds_lstm_forward_step_f32(float *gates, const float *c_prev, const float *h_prev, float *c, float *h, const float *peep, const float *mask, long batch, long hidden);
void ds_lstm_backward_step_f32(float *gates, const float *c_prev, const float *c, const float *dy, float *dh, float *dc, const float *peep, float *dpeep, const float *mask, long batch, long hidden);
void ds_gru_forward_step_f32(float *gi, const float *gh, const float *h_prev, float *h, int reset_after, const float *mask, long batch, long hidden);
void ds_gru_backward_step_f32(float *gi, float *gh, const float *h_prev, const float *dy, float *dh, int reset_after, const float *mask, long batch, long hidden);
void ds_rnn_forward_step_f32(float *pre, const float *h_prev, float *h, int relu, const float *mask, long batch, long hidden);
void ds_rnn_backward_step_f32(float *pre, const float *dy, float *dh, int relu, const float *mask, long batch, long hidden);

void ds_gru_reset_gate_f32(const float *gi, const float *gh, const float *h_in, float *rh, long batch, long hidden);
void ds_gru_reset_backward_f32(float *gi, float *gh, const float *h_prev, const float *keep, const float *drh, float *dh, const float *mask, long batch, long hidden);


/// Packs the k × n matrix B (element (kk, j) at b[kk·stride_k + j·stride_n]) into panels of 32
/// columns ([k][32] each, zero-padded): ceil(n / 32)·k·32 floats.
void ds_pack_panels_f32(const float *b, long k, long n, long stride_k, long stride_n, float *packed);
/// C[m, n] (row stride ldc) += A[m, k] (row stride lda)·B for the packed panels [panel_begin, panel_end).
void ds_gemm_packed_f32(const float *a, long lda, const float *packed, long m, long n, long k, float *c, long ldc,
                        long panel_begin, long panel_end);


/// Runs fn(ctx, part, parts) for part = 0 ..< parts: part 0 on the calling thread, the others on a
/// team of worker threads that spin briefly between jobs (for short, frequent parallel regions).
/// A nested or concurrent call runs every part on the calling thread.
typedef void (*ds_team_task)(void *ctx, long part, long parts);
// float32 <-> IEEE float16, round to nearest even (F16C when present; `portable` forces the
// bit-exact C version, for tests), and inout[i] = half(float(inout[i]) + float(in[i])).
#include <stdint.h>
void ds_f32_to_f16(const float *x, uint16_t *y, long n, int portable);
void ds_f16_to_f32(const uint16_t *x, float *y, long n, int portable);
void ds_f16_add(uint16_t *inout, const uint16_t *in, long n);

// CPUs in this process's affinity mask (0 when it cannot be read).
int ds_affinity_cpu_count(void);

void ds_team_run(ds_team_task fn, void *ctx, long parts);
/// Lets the team's workers go to sleep now instead of spinning (after the last of a burst of jobs,
/// so that they do not compete with the threads of what follows).
void ds_team_rest(void);

#endif
