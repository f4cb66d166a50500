// Fused gate arithmetic of the recurrent cells (see Recurrent.swift), instantiated per ISA by
// vector_math_<isa>.c after vector_math_body.h (which provides vf, v_sigmoid, v_tanh, ...).
//
// Every kernel handles one time step of a batch: row b of a [B, k·H] gate block starts at
// gates + b·k·H; states are [B, H] rows. The hidden axis is processed 16 lanes at a time (a
// shorter last block goes through a zero-padded temporary). mask (may be NULL) holds one float
// per row: 0 marks a padded step, whose state carries over unchanged and whose gradient is zero.

INLINE vf DS_NAME(loadn)(const float *p, long n) {
    if (n == LANES) return load(p);
    float tmp[LANES] = {0};
    memcpy(tmp, p, (size_t)n * sizeof(float));
    return load(tmp);
}

INLINE void DS_NAME(storen)(float *p, vf v, long n) {
    if (n == LANES) { store(p, v); return; }
    float tmp[LANES];
    store(tmp, v);
    memcpy(p, tmp, (size_t)n * sizeof(float));
}

#define LOADN(p) DS_NAME(loadn)((p), n)
#define STOREN(p, v) DS_NAME(storen)((p), (v), n)

// LSTM, gates (i, f, g, o). In: pre-activations. Out: the activations, c and h.
// peep (NULL or [3H]: p_i, p_f, p_o) adds p_i·c_prev, p_f·c_prev and p_o·c to the gates.
void DS_NAME(ds_lstm_forward_step_f32)(float *gates, const float *c_prev, const float *h_prev, float *c, float *h,
                                       const float *peep, const float *mask, long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        float *gb = gates + b * 4 * hidden;
        const float *cp = c_prev + b * hidden, *hp = h_prev + b * hidden;
        float *cb = c + b * hidden, *hb = h + b * hidden;
        if (mask && mask[b] == 0.0f) {
            memcpy(cb, cp, (size_t)hidden * sizeof(float));
            memcpy(hb, hp, (size_t)hidden * sizeof(float));
            continue;
        }
        for (long j = 0; j < hidden; j += LANES) {
            const long n = hidden - j < LANES ? hidden - j : LANES;
            vf cprev = LOADN(cp + j);
            vf gi = LOADN(gb + j), gf = LOADN(gb + hidden + j), gg = LOADN(gb + 2 * hidden + j), go = LOADN(gb + 3 * hidden + j);
            if (peep) {
                gi = vfma(LOADN(peep + j), cprev, gi);
                gf = vfma(LOADN(peep + hidden + j), cprev, gf);
            }
            vf i = v_sigmoid(gi), f = v_sigmoid(gf), g = v_tanh(gg);
            vf cnew = vfma(f, cprev, i * g);
            if (peep) go = vfma(LOADN(peep + 2 * hidden + j), cnew, go);
            vf o = v_sigmoid(go);
            STOREN(gb + j, i); STOREN(gb + hidden + j, f); STOREN(gb + 2 * hidden + j, g); STOREN(gb + 3 * hidden + j, o);
            STOREN(cb + j, cnew);
            STOREN(hb + j, o * v_tanh(cnew));
        }
    }
}

// LSTM backward of one step. gates: in the activations, out the pre-activation gradients.
// dy (NULL or [B, H]): the output gradient of this step; dh: in the gradient reaching h from the
// next step, out the part that bypasses the recurrent product (the whole gradient on padded rows,
// else 0); dc: in the gradient reaching c from the next step, out the gradient of c_prev.
// dpeep ([3H], accumulated) receives the peephole gradients.
void DS_NAME(ds_lstm_backward_step_f32)(float *gates, const float *c_prev, const float *c, const float *dy, float *dh,
                                        float *dc, const float *peep, float *dpeep, const float *mask, long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        float *gb = gates + b * 4 * hidden;
        const float *cp = c_prev + b * hidden, *cb = c + b * hidden;
        float *dhb = dh + b * hidden, *dcb = dc + b * hidden;
        if (mask && mask[b] == 0.0f) {
            // h and c were copied: their gradients pass through; no gate gradient.
            memset(gb, 0, (size_t)(4 * hidden) * sizeof(float));
            continue;
        }
        for (long j = 0; j < hidden; j += LANES) {
            const long n = hidden - j < LANES ? hidden - j : LANES;
            vf i = LOADN(gb + j), f = LOADN(gb + hidden + j), g = LOADN(gb + 2 * hidden + j), o = LOADN(gb + 3 * hidden + j);
            vf cprev = LOADN(cp + j), cnew = LOADN(cb + j);
            vf dhv = LOADN(dhb + j);
            if (dy) dhv += LOADN(dy + b * hidden + j);
            vf tc = v_tanh(cnew);
            vf dgo = dhv * tc * o * (1.0f - o);
            vf dct = LOADN(dcb + j) + dhv * o * (1.0f - tc * tc);
            if (peep) dct = vfma(dgo, LOADN(peep + 2 * hidden + j), dct);
            vf dgi = dct * g * i * (1.0f - i);
            vf dgg = dct * i * (1.0f - g * g);
            vf dgf = dct * cprev * f * (1.0f - f);
            vf dcprev = dct * f;
            if (peep) {
                dcprev = vfma(dgi, LOADN(peep + j), vfma(dgf, LOADN(peep + hidden + j), dcprev));
                STOREN(dpeep + j, vfma(dgi, cprev, LOADN(dpeep + j)));
                STOREN(dpeep + hidden + j, vfma(dgf, cprev, LOADN(dpeep + hidden + j)));
                STOREN(dpeep + 2 * hidden + j, vfma(dgo, cnew, LOADN(dpeep + 2 * hidden + j)));
            }
            STOREN(gb + j, dgi); STOREN(gb + hidden + j, dgf); STOREN(gb + 2 * hidden + j, dgg); STOREN(gb + 3 * hidden + j, dgo);
            STOREN(dcb + j, dcprev);
            STOREN(dhb + j, splat(0.0f));
        }
    }
}

// GRU, gates (r, z, n). gi: x·W_ihᵀ + b_ih (in), the activations r, z, n (out). gh: h·W_hhᵀ + b_hh
// for the reset-after form (PyTorch, cuDNN, Keras reset_after=True): n = tanh(gi_n + r·gh_n).
// h = (1 − z)·n + z·h_prev.
// reset_after == 0 (reset before): gh's n block already holds W_hn·(r·h) + b_hn, and n = tanh(gi_n + gh_n).
void DS_NAME(ds_gru_forward_step_f32)(float *gi, const float *gh, const float *h_prev, float *h, int reset_after,
                                      const float *mask, long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        float *ib = gi + b * 3 * hidden;
        const float *hb_ = gh + b * 3 * hidden, *hp = h_prev + b * hidden;
        float *hb = h + b * hidden;
        if (mask && mask[b] == 0.0f) { memcpy(hb, hp, (size_t)hidden * sizeof(float)); continue; }
        for (long j = 0; j < hidden; j += LANES) {
            const long n = hidden - j < LANES ? hidden - j : LANES;
            vf r = v_sigmoid(LOADN(ib + j) + LOADN(hb_ + j));
            vf z = v_sigmoid(LOADN(ib + hidden + j) + LOADN(hb_ + hidden + j));
            vf ghn = LOADN(hb_ + 2 * hidden + j);
            vf nn = v_tanh(reset_after ? vfma(r, ghn, LOADN(ib + 2 * hidden + j)) : LOADN(ib + 2 * hidden + j) + ghn);
            vf hprev = LOADN(hp + j);
            STOREN(ib + j, r); STOREN(ib + hidden + j, z); STOREN(ib + 2 * hidden + j, nn);
            STOREN(hb + j, vfma(z, hprev - nn, nn));
        }
    }
}

// GRU backward of one step. gi: the activations (in), the gradients of the input pre-activations
// (out); gh: h·W_hhᵀ + b_hh (in), the gradients of the recurrent pre-activations (out: equal to
// gi's for r and z, r·dn for n). dh: in the gradient reaching h, out the part that bypasses the
// recurrent product (z·dh, or everything on padded rows).
// reset_after == 0: the r blocks are left for ds_gru_reset_backward_f32 (gi's still holds r), and
// gh's n block gets dn itself (the n product's input r·h carries r).
void DS_NAME(ds_gru_backward_step_f32)(float *gi, float *gh, const float *h_prev, const float *dy, float *dh,
                                       int reset_after, const float *mask, long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        float *ib = gi + b * 3 * hidden, *hb_ = gh + b * 3 * hidden;
        const float *hp = h_prev + b * hidden;
        float *dhb = dh + b * hidden;
        if (mask && mask[b] == 0.0f) {
            memset(ib, 0, (size_t)(3 * hidden) * sizeof(float));
            memset(hb_, 0, (size_t)(3 * hidden) * sizeof(float));
            continue;
        }
        for (long j = 0; j < hidden; j += LANES) {
            const long n = hidden - j < LANES ? hidden - j : LANES;
            vf r = LOADN(ib + j), z = LOADN(ib + hidden + j), nn = LOADN(ib + 2 * hidden + j);
            vf ghn = LOADN(hb_ + 2 * hidden + j), hprev = LOADN(hp + j);
            vf dhv = LOADN(dhb + j);
            if (dy) dhv += LOADN(dy + b * hidden + j);
            vf dgz = dhv * (hprev - nn) * z * (1.0f - z);
            vf dgn = dhv * (1.0f - z) * (1.0f - nn * nn);
            if (reset_after) {
                vf dgr = dgn * ghn * r * (1.0f - r);
                STOREN(ib + j, dgr); STOREN(hb_ + j, dgr);
            }   // else r stays in gi's r block for ds_gru_reset_backward_f32, which writes both r blocks
            STOREN(ib + hidden + j, dgz); STOREN(ib + 2 * hidden + j, dgn);
            STOREN(hb_ + hidden + j, dgz); STOREN(hb_ + 2 * hidden + j, reset_after ? dgn * r : dgn);
            STOREN(dhb + j, dhv * z);
        }
    }
}

// GRU reset-before, forward: rh = σ(gi_r + gh_r)·h_in (h_in: the state, through recurrent dropout).
void DS_NAME(ds_gru_reset_gate_f32)(const float *gi, const float *gh, const float *h_in, float *rh, long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        const float *ib = gi + b * 3 * hidden, *hb_ = gh + b * 3 * hidden, *hin = h_in + b * hidden;
        float *out = rh + b * hidden;
        for (long j = 0; j < hidden; j += LANES) {
            const long n = hidden - j < LANES ? hidden - j : LANES;
            STOREN(out + j, v_sigmoid(LOADN(ib + j) + LOADN(hb_ + j)) * LOADN(hin + j));
        }
    }
}

// GRU reset-before, backward: with drh = d(r·h_in), the r gradients (into gi's and gh's r blocks)
// and dh += drh·r·keep (keep: the recurrent dropout mask, or NULL).
void DS_NAME(ds_gru_reset_backward_f32)(float *gi, float *gh, const float *h_prev, const float *keep, const float *drh,
                                        float *dh, const float *mask, long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        if (mask && mask[b] == 0.0f) continue;
        float *ib = gi + b * 3 * hidden, *hb_ = gh + b * 3 * hidden, *dhb = dh + b * hidden;
        const float *hp = h_prev + b * hidden, *d = drh + b * hidden, *kb = keep ? keep + b * hidden : NULL;
        for (long j = 0; j < hidden; j += LANES) {
            const long n = hidden - j < LANES ? hidden - j : LANES;
            vf r = LOADN(ib + j), dv = LOADN(d + j), hin = LOADN(hp + j);
            vf k = kb ? LOADN(kb + j) : splat(1.0f);
            hin = hin * k;
            vf dgr = dv * hin * r * (1.0f - r);
            STOREN(ib + j, dgr);
            STOREN(hb_ + j, dgr);
            STOREN(dhb + j, vfma(dv * r, k, LOADN(dhb + j)));
        }
    }
}

// Simple RNN: h = act(pre) with pre = x·W_ihᵀ + b + h_prev·W_hhᵀ; relu != 0 picks ReLU over tanh.
// pre is overwritten with h (the backward pass needs only h).
void DS_NAME(ds_rnn_forward_step_f32)(float *pre, const float *h_prev, float *h, int relu, const float *mask,
                                      long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        float *pb = pre + b * hidden;
        const float *hp = h_prev + b * hidden;
        float *hb = h + b * hidden;
        if (mask && mask[b] == 0.0f) { memcpy(hb, hp, (size_t)hidden * sizeof(float)); continue; }
        for (long j = 0; j < hidden; j += LANES) {
            const long n = hidden - j < LANES ? hidden - j : LANES;
            vf v = LOADN(pb + j);
            vf out = relu ? vmax(v, splat(0.0f)) : v_tanh(v);
            STOREN(pb + j, out);
            STOREN(hb + j, out);
        }
    }
}

// Simple RNN backward: grad (out) = the pre-activation gradient from h (in pre), dy and dh (in);
// dh (out) = the bypass part (everything on padded rows, else 0).
void DS_NAME(ds_rnn_backward_step_f32)(float *pre, const float *dy, float *dh, int relu, const float *mask,
                                       long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        float *pb = pre + b * hidden;
        float *dhb = dh + b * hidden;
        if (mask && mask[b] == 0.0f) { memset(pb, 0, (size_t)hidden * sizeof(float)); continue; }
        for (long j = 0; j < hidden; j += LANES) {
            const long n = hidden - j < LANES ? hidden - j : LANES;
            vf hv = LOADN(pb + j), dhv = LOADN(dhb + j);
            if (dy) dhv += LOADN(dy + b * hidden + j);
            vf d = relu ? vselect(hv > 0.0f, dhv, splat(0.0f)) : dhv * (1.0f - hv * hv);
            STOREN(pb + j, d);
            STOREN(dhb + j, splat(0.0f));
        }
    }
}

#undef LOADN
#undef STOREN

// ---------------------------------------------------------------------------------------------
// Small-M GEMM against a pre-packed right operand, for the recurrent product of every time step
// (C[B, N] += A[B, K]·Bmat[K, N] with B = the batch, 32 rows or so). OpenBLAS re-packs the weight
// matrix on every call; here it is packed once per sequence into panels of 32 columns
// ([K][32] each, zero-padded), and each thread keeps its panels in its own cache across steps.

#define DS_PANEL 32

// A broadcast that becomes one vbroadcastss (splat()'s `{} + v` costs an extra scalar add here).
#if DS_HAVE_AVX512
#define BROADCAST(x) ((vf)_mm512_set1_ps(x))
#else
#define BROADCAST(x) splat(x)
#endif

void DS_NAME(ds_pack_panels_f32)(const float *b, long k, long n, long stride_k, long stride_n, float *packed) {
    const long panels = (n + DS_PANEL - 1) / DS_PANEL;
    for (long p = 0; p < panels; p++) {
        float *panel = packed + p * k * DS_PANEL;
        for (long kk = 0; kk < k; kk++) {
            for (long j = 0; j < DS_PANEL; j++) {
                const long col = p * DS_PANEL + j;
                panel[kk * DS_PANEL + j] = col < n ? b[kk * stride_k + col * stride_n] : 0.0f;
            }
        }
    }
}

// Rows [m0, m0 + ROWS) of one panel: acc = C (beta 1), += A·panel, stored back (masked to
// n_valid columns). apack holds the rows' A values interleaved ([k][ROWS]) so that the broadcasts
// read consecutive addresses (A's own rows can be 4 KB apart, all in one cache set).
#define PANEL_ROWS(ROWS)                                                                              \
    do {                                                                                              \
        vf acc0[ROWS], acc1[ROWS];                                                                    \
        for (long i = 0; i < ROWS; i++) {                                                             \
            float *crow = c + (m0 + i) * ldc + col0;                                                  \
            if (n_valid == DS_PANEL) { acc0[i] = load(crow); acc1[i] = load(crow + LANES); }          \
            else {                                                                                    \
                float tmp[DS_PANEL] = {0};                                                            \
                memcpy(tmp, crow, (size_t)n_valid * sizeof(float));                                   \
                acc0[i] = load(tmp); acc1[i] = load(tmp + LANES);                                     \
            }                                                                                         \
        }                                                                                             \
        for (long kk = 0; kk < k; kk++) {                                                             \
            const vf b0 = load(panel + kk * DS_PANEL), b1 = load(panel + kk * DS_PANEL + LANES);     \
            const float *ak = apack + kk * ROWS;                                                      \
            for (long i = 0; i < ROWS; i++) {                                                         \
                const vf av = BROADCAST(ak[i]);                                                       \
                acc0[i] = vfma(av, b0, acc0[i]);                                                      \
                acc1[i] = vfma(av, b1, acc1[i]);                                                      \
            }                                                                                         \
        }                                                                                             \
        for (long i = 0; i < ROWS; i++) {                                                             \
            float *crow = c + (m0 + i) * ldc + col0;                                                  \
            if (n_valid == DS_PANEL) { store(crow, acc0[i]); store(crow + LANES, acc1[i]); }          \
            else {                                                                                    \
                float tmp[DS_PANEL];                                                                  \
                store(tmp, acc0[i]); store(tmp + LANES, acc1[i]);                                     \
                memcpy(crow, tmp, (size_t)n_valid * sizeof(float));                                   \
            }                                                                                         \
        }                                                                                             \
    } while (0)

#define ROW_BLOCK(ROWS)                                                                               \
    do {                                                                                              \
        for (long kk = 0; kk < k; kk++)                                                               \
            for (long i = 0; i < ROWS; i++) apack[kk * ROWS + i] = a[(m0 + i) * lda + kk];            \
        for (long p = panel_begin; p < panel_end; p++) {                                              \
            const float *panel = packed + p * k * DS_PANEL;                                           \
            const long col0 = p * DS_PANEL;                                                           \
            const long n_valid = n - col0 < DS_PANEL ? n - col0 : DS_PANEL;                           \
            PANEL_ROWS(ROWS);                                                                         \
        }                                                                                             \
    } while (0)

void DS_NAME(ds_gemm_packed_f32)(const float *a, long lda, const float *packed, long m, long n, long k, float *c, long ldc,
                                 long panel_begin, long panel_end) {
    float stack_buffer[8 * 512];
    float *apack = k <= 512 ? stack_buffer : (float *)malloc((size_t)(8 * k) * sizeof(float));
    long m0 = 0;
    for (; m0 + 8 <= m; m0 += 8) ROW_BLOCK(8);
    for (; m0 + 4 <= m; m0 += 4) ROW_BLOCK(4);
    for (; m0 < m; m0++) ROW_BLOCK(1);
    if (apack != stack_buffer) free(apack);
}
#undef ROW_BLOCK
#undef PANEL_ROWS
#undef BROADCAST
