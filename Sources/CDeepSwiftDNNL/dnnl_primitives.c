// See include/deepswift_dnnl.h.
#include "deepswift_dnnl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static dnnl_status_t engine_status = dnnl_success;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
// One stream for the process; executions are serialized (callers are not expected to overlap).
static pthread_mutex_t stream_lock = PTHREAD_MUTEX_INITIALIZER;

static void make_engine(void) {
    engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0);
    if (engine_status == dnnl_success) engine_status = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
}

static int ensure_engine(void) {
    pthread_once(&engine_once, make_engine);
    return engine_status;
}

#define CHECK(expr) do { dnnl_status_t s_ = (expr); if (s_ != dnnl_success) return (int)s_; } while (0)

static int memory(dnnl_memory_t *m, const dnnl_memory_desc_t *md) {
    return dnnl_memory_create(m, md, engine, DNNL_MEMORY_NONE);
}

static int execute(dnnl_primitive_t p, int count, dnnl_exec_arg_t *args) {
    pthread_mutex_lock(&stream_lock);
    dnnl_status_t s = dnnl_primitive_execute(p, stream, count, args);
    if (s == dnnl_success) s = dnnl_stream_wait(stream);
    pthread_mutex_unlock(&stream_lock);
    return (int)s;
}

// MARK: Convolution

// One argument of a primitive whose preferred layout may differ from the caller's plain layout:
// inputs are reordered into a scratch buffer before execution, outputs reordered back after.
typedef struct {
    int arg;                        // DNNL_ARG_*
    int is_output;
    int reorder;                    // layouts differ
    dnnl_memory_t user;             // plain layout, data handle set per call
    dnnl_memory_t inner;            // the primitive's layout (owns a buffer when reorder)
    dnnl_primitive_t convert;       // user -> inner (inputs) or inner -> user (outputs)
} port;

typedef struct {
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t primitive;
    port ports[4];
    int count;
} bound_primitive;

static void port_destroy(port *p) {
    dnnl_primitive_destroy(p->convert);
    if (p->inner != p->user) dnnl_memory_destroy(p->inner);
    dnnl_memory_destroy(p->user);
}

static void bound_destroy(bound_primitive *b) {
    for (int i = 0; i < b->count; i++) port_destroy(&b->ports[i]);
    dnnl_primitive_destroy(b->primitive);
    dnnl_primitive_desc_destroy(b->pd);
}

// Adds a port for `arg` whose plain layout is `plain`; `query` names the primitive's layout.
static int add_port(bound_primitive *b, int arg, int is_output, const dnnl_memory_desc_t *plain, dnnl_query_t query) {
    port *p = &b->ports[b->count++];
    memset(p, 0, sizeof(*p));
    p->arg = arg;
    p->is_output = is_output;
    CHECK(dnnl_memory_create(&p->user, plain, engine, DNNL_MEMORY_NONE));
    const dnnl_memory_desc_t *inner = dnnl_primitive_desc_query_md(b->pd, query, 0);
    if (!inner || dnnl_memory_desc_equal(inner, plain)) {
        p->inner = p->user;
        return dnnl_success;
    }
    p->reorder = 1;
    CHECK(dnnl_memory_create(&p->inner, inner, engine, DNNL_MEMORY_ALLOCATE));
    dnnl_primitive_desc_t rpd;
    if (is_output) CHECK(dnnl_reorder_primitive_desc_create(&rpd, inner, engine, plain, engine, NULL));
    else CHECK(dnnl_reorder_primitive_desc_create(&rpd, plain, engine, inner, engine, NULL));
    dnnl_status_t s = dnnl_primitive_create(&p->convert, rpd);
    dnnl_primitive_desc_destroy(rpd);
    return (int)s;
}

static int bound_create(bound_primitive *b, const void *desc, dnnl_primitive_desc_t hint) {
    memset(b, 0, sizeof(*b));
    CHECK(dnnl_primitive_desc_create(&b->pd, desc, NULL, engine, hint));
    return (int)dnnl_primitive_create(&b->primitive, b->pd);
}

// Runs a bound primitive on user pointers (one per port, in port order).
static int bound_execute(bound_primitive *b, void *const *pointers) {
    dnnl_exec_arg_t args[4];
    pthread_mutex_lock(&stream_lock);
    dnnl_status_t s = dnnl_success;
    for (int i = 0; i < b->count && s == dnnl_success; i++) {
        port *p = &b->ports[i];
        s = dnnl_memory_set_data_handle_v2(p->user, pointers[i], stream);
        args[i].arg = p->arg;
        args[i].memory = p->inner;
        if (s == dnnl_success && p->reorder && !p->is_output) {
            dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, p->user}, {DNNL_ARG_TO, p->inner}};
            s = dnnl_primitive_execute(p->convert, stream, 2, r);
        }
    }
    if (s == dnnl_success) s = dnnl_primitive_execute(b->primitive, stream, b->count, args);
    for (int i = 0; i < b->count && s == dnnl_success; i++) {
        port *p = &b->ports[i];
        if (p->reorder && p->is_output) {
            dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, p->inner}, {DNNL_ARG_TO, p->user}};
            s = dnnl_primitive_execute(p->convert, stream, 2, r);
        }
    }
    if (s == dnnl_success) s = dnnl_stream_wait(stream);
    pthread_mutex_unlock(&stream_lock);
    return (int)s;
}

struct ds_conv {
    int has_bias;
    bound_primitive fwd, bwd_data, bwd_weights;
};

void ds_conv_destroy(ds_conv *c) {
    if (!c) return;
    bound_destroy(&c->fwd);
    bound_destroy(&c->bwd_data);
    bound_destroy(&c->bwd_weights);
    free(c);
}

int ds_conv_create(const ds_conv_config *k, ds_conv **result) {
    *result = NULL;
    CHECK(ensure_engine());
    int64_t oh = (k->h + k->ph + k->ph_r - k->dh * (k->kh - 1) - 1) / k->sh + 1;
    int64_t ow = (k->w + k->pw + k->pw_r - k->dw * (k->kw - 1) - 1) / k->sw + 1;
    if (oh <= 0 || ow <= 0 || k->groups <= 0 || k->c % k->groups || k->oc % k->groups) return (int)dnnl_invalid_arguments;

    // Plain layouts (the caller's) and "any" layouts (the primitive's choice).
    dnnl_memory_desc_t src_md, wei_md, bias_md, dst_md, src_any, wei_any, dst_any;
    dnnl_dims_t src_dims = {k->n, k->c, k->h, k->w};
    dnnl_dims_t dst_dims = {k->n, k->oc, oh, ow};
    CHECK(dnnl_memory_desc_init_by_tag(&src_md, 4, src_dims, dnnl_f32, dnnl_nchw));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_f32, dnnl_nchw));
    CHECK(dnnl_memory_desc_init_by_tag(&src_any, 4, src_dims, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_any, 4, dst_dims, dnnl_f32, dnnl_format_tag_any));
    if (k->groups == 1) {
        dnnl_dims_t wei_dims = {k->oc, k->c, k->kh, k->kw};
        CHECK(dnnl_memory_desc_init_by_tag(&wei_md, 4, wei_dims, dnnl_f32, dnnl_oihw));
        CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 4, wei_dims, dnnl_f32, dnnl_format_tag_any));
    } else {
        dnnl_dims_t wei_dims = {k->groups, k->oc / k->groups, k->c / k->groups, k->kh, k->kw};
        CHECK(dnnl_memory_desc_init_by_tag(&wei_md, 5, wei_dims, dnnl_f32, dnnl_goihw));
        CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 5, wei_dims, dnnl_f32, dnnl_format_tag_any));
    }
    dnnl_dims_t bias_dims = {k->oc};
    CHECK(dnnl_memory_desc_init_by_tag(&bias_md, 1, bias_dims, dnnl_f32, dnnl_x));
    dnnl_dims_t strides = {k->sh, k->sw}, dilates = {k->dh - 1, k->dw - 1};
    dnnl_dims_t pad_l = {k->ph, k->pw}, pad_r = {k->ph_r, k->pw_r};

    ds_conv *c = calloc(1, sizeof(ds_conv));
    if (!c) return (int)dnnl_out_of_memory;
    c->has_bias = k->has_bias;
    int status;
    dnnl_convolution_desc_t fwd_d, bwd_data_d, bwd_weights_d;
#define TRY(expr) do { status = (int)(expr); if (status != dnnl_success) { ds_conv_destroy(c); return status; } } while (0)
    TRY(dnnl_dilated_convolution_forward_desc_init(&fwd_d, dnnl_forward_training, dnnl_convolution_direct, &src_any, &wei_any,
                                                   k->has_bias ? &bias_md : NULL, &dst_any, strides, dilates, pad_l, pad_r));
    TRY(bound_create(&c->fwd, &fwd_d, NULL));
    TRY(add_port(&c->fwd, DNNL_ARG_SRC, 0, &src_md, dnnl_query_src_md));
    TRY(add_port(&c->fwd, DNNL_ARG_WEIGHTS, 0, &wei_md, dnnl_query_weights_md));
    TRY(add_port(&c->fwd, DNNL_ARG_DST, 1, &dst_md, dnnl_query_dst_md));
    if (k->has_bias) TRY(add_port(&c->fwd, DNNL_ARG_BIAS, 0, &bias_md, dnnl_query_undef));

    TRY(dnnl_dilated_convolution_backward_data_desc_init(&bwd_data_d, dnnl_convolution_direct, &src_any, &wei_any, &dst_any,
                                                         strides, dilates, pad_l, pad_r));
    TRY(bound_create(&c->bwd_data, &bwd_data_d, c->fwd.pd));
    TRY(add_port(&c->bwd_data, DNNL_ARG_DIFF_DST, 0, &dst_md, dnnl_query_diff_dst_md));
    TRY(add_port(&c->bwd_data, DNNL_ARG_WEIGHTS, 0, &wei_md, dnnl_query_weights_md));
    TRY(add_port(&c->bwd_data, DNNL_ARG_DIFF_SRC, 1, &src_md, dnnl_query_diff_src_md));

    TRY(dnnl_dilated_convolution_backward_weights_desc_init(&bwd_weights_d, dnnl_convolution_direct, &src_any, &wei_any,
                                                            k->has_bias ? &bias_md : NULL, &dst_any, strides, dilates, pad_l, pad_r));
    TRY(bound_create(&c->bwd_weights, &bwd_weights_d, c->fwd.pd));
    TRY(add_port(&c->bwd_weights, DNNL_ARG_SRC, 0, &src_md, dnnl_query_src_md));
    TRY(add_port(&c->bwd_weights, DNNL_ARG_DIFF_DST, 0, &dst_md, dnnl_query_diff_dst_md));
    TRY(add_port(&c->bwd_weights, DNNL_ARG_DIFF_WEIGHTS, 1, &wei_md, dnnl_query_diff_weights_md));
    if (k->has_bias) TRY(add_port(&c->bwd_weights, DNNL_ARG_DIFF_BIAS, 1, &bias_md, dnnl_query_undef));
#undef TRY
    *result = c;
    return dnnl_success;
}

static void set(dnnl_memory_t m, const void *p) { dnnl_memory_set_data_handle_v2(m, (void *)p, stream); }

int ds_conv_forward(ds_conv *c, const float *src, const float *weights, const float *bias, float *dst) {
    void *pointers[4] = {(void *)src, (void *)weights, dst, (void *)bias};
    return bound_execute(&c->fwd, pointers);
}

int ds_conv_backward_data(ds_conv *c, const float *diff_dst, const float *weights, float *diff_src) {
    void *pointers[3] = {(void *)diff_dst, (void *)weights, diff_src};
    return bound_execute(&c->bwd_data, pointers);
}

int ds_conv_backward_weights(ds_conv *c, const float *src, const float *diff_dst, float *diff_weights, float *diff_bias) {
    void *pointers[4] = {(void *)src, (void *)diff_dst, diff_weights, diff_bias};
    return bound_execute(&c->bwd_weights, pointers);
}

const char *ds_conv_implementation(ds_conv *c) {
    const char *name = NULL;
    if (dnnl_primitive_desc_query(c->fwd.pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success) return "unknown";
    return name;
}

// MARK: Pooling

struct ds_pool {
    dnnl_primitive_desc_t fwd_pd, bwd_pd;
    dnnl_primitive_t fwd, bwd;
    dnnl_memory_t src, dst, workspace;
    int64_t workspace_size;
};

void ds_pool_destroy(ds_pool *p) {
    if (!p) return;
    dnnl_primitive_destroy(p->fwd);
    dnnl_primitive_destroy(p->bwd);
    dnnl_primitive_desc_destroy(p->fwd_pd);
    dnnl_primitive_desc_destroy(p->bwd_pd);
    dnnl_memory_destroy(p->src);
    dnnl_memory_destroy(p->dst);
    dnnl_memory_destroy(p->workspace);
    free(p);
}

int ds_pool_create(const ds_pool_config *k, ds_pool **result) {
    *result = NULL;
    CHECK(ensure_engine());
    dnnl_memory_desc_t src_md, dst_md;
    dnnl_dims_t src_dims = {k->n, k->c, k->h, k->w}, dst_dims = {k->n, k->c, k->oh, k->ow};
    CHECK(dnnl_memory_desc_init_by_tag(&src_md, 4, src_dims, dnnl_f32, dnnl_nchw));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_f32, dnnl_nchw));
    dnnl_dims_t strides = {k->sh, k->sw}, kernel = {k->kh, k->kw}, dilation = {0, 0};
    dnnl_dims_t pad_l = {k->ph, k->pw}, pad_r = {k->ph_r, k->pw_r};
    dnnl_alg_kind_t alg = k->kind == DS_POOL_MAX ? dnnl_pooling_max
                        : (k->kind == DS_POOL_AVG_INCLUDE_PADDING ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding);
    ds_pool *p = calloc(1, sizeof(ds_pool));
    if (!p) return (int)dnnl_out_of_memory;
    int status;
    dnnl_pooling_v2_desc_t fwd_d, bwd_d;
#define TRY(expr) do { status = (int)(expr); if (status != dnnl_success) { ds_pool_destroy(p); return status; } } while (0)
    TRY(dnnl_pooling_v2_forward_desc_init(&fwd_d, dnnl_forward_training, alg, &src_md, &dst_md, strides, kernel, dilation, pad_l, pad_r));
    TRY(dnnl_primitive_desc_create(&p->fwd_pd, &fwd_d, NULL, engine, NULL));
    TRY(dnnl_pooling_v2_backward_desc_init(&bwd_d, alg, &src_md, &dst_md, strides, kernel, dilation, pad_l, pad_r));
    TRY(dnnl_primitive_desc_create(&p->bwd_pd, &bwd_d, NULL, engine, p->fwd_pd));
    TRY(dnnl_primitive_create(&p->fwd, p->fwd_pd));
    TRY(dnnl_primitive_create(&p->bwd, p->bwd_pd));
    TRY(memory(&p->src, &src_md));
    TRY(memory(&p->dst, &dst_md));
    const dnnl_memory_desc_t *ws_md = dnnl_primitive_desc_query_md(p->fwd_pd, dnnl_query_workspace_md, 0);
    p->workspace_size = ws_md ? (int64_t)dnnl_memory_desc_get_size(ws_md) : 0;
    if (p->workspace_size > 0) TRY(memory(&p->workspace, ws_md));
#undef TRY
    *result = p;
    return dnnl_success;
}

int64_t ds_pool_workspace_size(ds_pool *p) { return p->workspace_size; }

int ds_pool_forward(ds_pool *p, const float *src, float *dst, void *workspace) {
    set(p->src, src); set(p->dst, dst);
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_DST, p->dst}, {DNNL_ARG_WORKSPACE, p->workspace}};
    if (p->workspace_size > 0) set(p->workspace, workspace);
    return execute(p->fwd, p->workspace_size > 0 ? 3 : 2, args);
}

int ds_pool_backward(ds_pool *p, const float *diff_dst, const void *workspace, float *diff_src) {
    set(p->dst, diff_dst); set(p->src, diff_src);
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_DIFF_DST, p->dst}, {DNNL_ARG_DIFF_SRC, p->src}, {DNNL_ARG_WORKSPACE, p->workspace}};
    if (p->workspace_size > 0) set(p->workspace, workspace);
    return execute(p->bwd, p->workspace_size > 0 ? 3 : 2, args);
}

void ds_dnnl_set_num_threads(int threads) {
    // libgomp is loaded with libdnnl; look the function up rather than link a second OpenMP.
    void (*set_threads)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (set_threads) set_threads(threads);
}
