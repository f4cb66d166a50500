#ifndef DEEPSWIFT_DNNL_H
#define DEEPSWIFT_DNNL_H
// A small C layer over oneDNN 2.x's C API (op descriptors): convolution and pooling primitives
// for float32 tensors in plain layouts (NCHW activations, [G]OIHW weights), created once per
// configuration and executed many times. Every function returns a dnnl_status_t (0 = success).
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Shape and hyper-parameters of a 2-D convolution (1-D convolutions use h = 1).
typedef struct {
    int64_t n, c, h, w;          // input
    int64_t oc, kh, kw;          // output channels, kernel
    int64_t sh, sw;              // strides
    int64_t ph, pw, ph_r, pw_r;  // padding (left/top and right/bottom)
    int64_t dh, dw;              // dilation (1 = none)
    int64_t groups;
    int32_t has_bias;
} ds_conv_config;

typedef struct ds_conv ds_conv;

/// Creates the forward, backward-data and backward-weights primitives. Output size is
/// (in + pad_l + pad_r - dilation·(k−1) − 1) / stride + 1.
int ds_conv_create(const ds_conv_config *config, ds_conv **result);
void ds_conv_destroy(ds_conv *conv);
int ds_conv_forward(ds_conv *conv, const float *src, const float *weights, const float *bias, float *dst);
int ds_conv_backward_data(ds_conv *conv, const float *diff_dst, const float *weights, float *diff_src);
/// diff_bias may be NULL when the convolution has no bias.
int ds_conv_backward_weights(ds_conv *conv, const float *src, const float *diff_dst, float *diff_weights, float *diff_bias);
/// The implementation oneDNN chose for the forward primitive (e.g. "jit:avx512_core").
const char *ds_conv_implementation(ds_conv *conv);

/// Pooling algorithms.
typedef enum { DS_POOL_MAX = 0, DS_POOL_AVG_INCLUDE_PADDING = 1, DS_POOL_AVG_EXCLUDE_PADDING = 2 } ds_pool_kind;

typedef struct {
    int64_t n, c, h, w;          // input
    int64_t oh, ow;              // output (the caller applies floor/ceil rules)
    int64_t kh, kw, sh, sw;
    int64_t ph, pw, ph_r, pw_r;
    int32_t kind;                // ds_pool_kind
} ds_pool_config;

typedef struct ds_pool ds_pool;

int ds_pool_create(const ds_pool_config *config, ds_pool **result);
void ds_pool_destroy(ds_pool *pool);
/// Bytes of workspace a training forward pass writes (max pooling) and the backward pass reads; 0 if none.
int64_t ds_pool_workspace_size(ds_pool *pool);
int ds_pool_forward(ds_pool *pool, const float *src, float *dst, void *workspace);
int ds_pool_backward(ds_pool *pool, const float *diff_dst, const void *workspace, float *diff_src);

/// Sets the size of oneDNN's OpenMP thread pool.
void ds_dnnl_set_num_threads(int threads);

#ifdef __cplusplus
}
#endif
#endif
