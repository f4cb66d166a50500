#!/usr/bin/env python3
"""Generate PyTorch reference fixtures for DeepSwift's recurrent, embedding and
attention / transformer layers.

Usage (needs numpy + torch; CPU is enough):

    /work/venv-torch/bin/python Tests/Fixtures/torch/generate_recurrent_fixtures.py

Writes recurrent.npz (recurrent cases + embedding) and attention.npz
(MultiheadAttention and transformer layers) next to this script -- two files
because one would be ~260 KB, over the 200 KB per-file budget -- and adds (or
replaces) the section "## recurrent.npz / attention.npz" in MANIFEST.md, from
that heading up to (not including) the next "## " heading. Every other section
of MANIFEST.md is left byte-for-byte as it is. (generate_torch_fixtures.py
rewrites MANIFEST.md from scratch, so run this script -- like the other
generate_*_fixtures.py -- after it.)

Cases (all batch-first; keys are `{case}_{name}`):

recurrent.npz
* lstm, gru, rnn_tanh, rnn_relu   nn.LSTM / nn.GRU / nn.RNN, I=4, H=6, B=3, T=5
* lstm_masked                     nn.LSTM through pack_padded_sequence, lengths [5, 3, 1]
* bilstm                          nn.LSTM(bidirectional=True)
* bigru_masked                    nn.GRU(bidirectional=True), packed, lengths [5, 2, 4]
* lstm_stacked                    nn.LSTM(num_layers=2)
* peephole                        LSTM with peepholes, written step by step in torch ops
* embedding                       nn.Embedding(10, 4, padding_idx=0)
attention.npz
* mha_self, mha_cross             nn.MultiheadAttention(8, 2, batch_first=True)
* enc_post, enc_pre               nn.TransformerEncoderLayer(8, 2, 16, dropout=0), norm_first False / True
* dec_post, dec_pre               nn.TransformerDecoderLayer(8, 2, 16, dropout=0), norm_first False / True

For every case: inputs, parameters (PyTorch layout), initial states, random
upstream gradients (`gy`, `ghT`, `gcT`), the outputs, and the torch-autograd
gradients of

    L = sum(y * gy) [+ sum(hT * ghT)] [+ sum(cT * gcT)]

w.r.t. the inputs, initial states and every parameter (`d{name}`; transformer
layers: `{case}_g_{state_dict name}`).

Conventions
-----------
* One generator, np.random.default_rng(51), drawn in a fixed order: the cases
  in the order of this file, and inside each case in the order the rng-drawn
  keys are listed in MANIFEST.md. torch.manual_seed(0) as well, although
  nothing here draws from torch's RNG (every parameter is overwritten with an
  rng draw after the module is constructed).
* torch.set_default_dtype(torch.float64); every computation is float64.
* torch.set_num_threads(1) so reductions are evaluated in a fixed order.
* Saved with np.savez (ZIP_STORED, fixed 1980-01-01 member timestamps), so a
  re-run with the same torch/numpy versions gives byte-identical files.
* Cross-checks, all failing loudly (max |a - b| / (1 + |b|) > 1e-10):
  - every forward output against an independent NumPy re-implementation
    (step-by-step cells, explicit multi-head attention, LayerNorm, FFN);
  - every gradient against torch autograd through the same step-by-step
    reference written in plain torch ops (not nn.LSTM / nn.GRU / nn.RNN /
    nn.MultiheadAttention / nn.Transformer*, i.e. not their fused kernels);
  - lstm and peephole gradients also against a hand-written NumPy BPTT;
  - embedding against NumPy gather / scatter-add.
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_tools as ft  # noqa: E402
from fixture_tools import T  # noqa: E402

OUT = HERE
FNAME = "recurrent.npz"
FNAME_ATT = "attention.npz"
SECTION = "## recurrent.npz / attention.npz"
SEED = 51
SIZE_LIMIT = 200_000  # bytes, per file
TOL = 1e-10

ft.setup_torch()
rng = np.random.default_rng(SEED)

MODULES = []  # (case, constructor call as written, repr(module), mode)
MAX_ERR = {"forward (numpy)": 0.0, "grad (manual torch)": 0.0, "grad (numpy BPTT)": 0.0}


def check(kind, name, got, ref):
    """fixture_tools.check semantics at TOL, recording the largest error per kind."""
    got = np.asarray(got.detach().numpy() if isinstance(got, torch.Tensor) else got)
    ref = np.asarray(ref.detach().numpy() if isinstance(ref, torch.Tensor) else ref)
    assert got.shape == ref.shape, (name, got.shape, ref.shape)
    assert np.all(np.isfinite(got)), f"{name}: non-finite values"
    err = float(np.max(np.abs(got - ref) / (1.0 + np.abs(ref)))) if ref.size else 0.0
    if not err <= TOL:
        raise AssertionError(f"{name}: {kind} check failed, max rel diff {err:.3e} > {TOL}")
    MAX_ERR[kind] = max(MAX_ERR[kind], err)


def W_EXPR(shape):
    return f"rng.uniform(-0.5, 0.5, {shape})"


def draw_w(shape):
    return rng.uniform(-0.5, 0.5, shape)


def N_EXPR(shape):
    return f"rng.standard_normal({shape})"


def draw_n(shape):
    return rng.standard_normal(shape)


# ---------------------------------------------------------------------------
# Backends for the reference implementations: the same code runs on NumPy
# arrays (independent forward check) and on torch tensors (autograd through
# plain torch ops -> gradient check).
# ---------------------------------------------------------------------------
class NPB:
    @staticmethod
    def c(a):
        return np.asarray(a, dtype=np.float64)

    exp = staticmethod(np.exp)
    tanh = staticmethod(np.tanh)
    sqrt = staticmethod(np.sqrt)

    @staticmethod
    def sigmoid(a):
        return 1.0 / (1.0 + np.exp(-a))

    @staticmethod
    def relu(a):
        return np.maximum(a, 0.0)

    @staticmethod
    def stack(xs, axis):
        return np.stack(xs, axis=axis)

    @staticmethod
    def cat(xs, axis):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def perm(a, axes):
        return np.transpose(a, axes)

    @staticmethod
    def tr(a):
        return np.swapaxes(a, -1, -2)

    @staticmethod
    def sum(a, axis):
        return a.sum(axis=axis, keepdims=True)

    @staticmethod
    def mean(a, axis):
        return a.mean(axis=axis, keepdims=True)

    @staticmethod
    def rowmax(a):
        return a.max(axis=-1, keepdims=True)


class THB:
    @staticmethod
    def c(a):
        return a if isinstance(a, torch.Tensor) else T(a)

    exp = staticmethod(torch.exp)
    tanh = staticmethod(torch.tanh)
    sqrt = staticmethod(torch.sqrt)
    sigmoid = staticmethod(torch.sigmoid)
    relu = staticmethod(torch.relu)

    @staticmethod
    def stack(xs, axis):
        return torch.stack(xs, dim=axis)

    @staticmethod
    def cat(xs, axis):
        return torch.cat(xs, dim=axis)

    @staticmethod
    def perm(a, axes):
        return a.permute(*axes)

    @staticmethod
    def tr(a):
        return a.transpose(-1, -2)

    @staticmethod
    def sum(a, axis):
        return a.sum(dim=axis, keepdim=True)

    @staticmethod
    def mean(a, axis):
        return a.mean(dim=axis, keepdim=True)

    @staticmethod
    def rowmax(a):
        return a.amax(dim=-1, keepdim=True).detach()  # softmax is shift-invariant


# ---------------------------------------------------------------------------
# Reference recurrent cells / layers
# ---------------------------------------------------------------------------
def ref_cell(X, kind, x, h, c, P, sfx):
    """One step. x (B, I), h / c (B, H); P[name + sfx] in PyTorch layout. Returns (h', c')."""
    H = h.shape[-1]
    if kind == "peephole":
        a = x @ X.tr(P["w_ih"]) + h @ X.tr(P["w_hh"]) + P["b"]
        i = X.sigmoid(a[:, 0:H] + P["p_i"] * c)
        f = X.sigmoid(a[:, H:2 * H] + P["p_f"] * c)
        g = X.tanh(a[:, 2 * H:3 * H])
        c2 = f * c + i * g
        o = X.sigmoid(a[:, 3 * H:4 * H] + P["p_o"] * c2)
        return o * X.tanh(c2), c2
    wih, whh, bih, bhh = (P[n + sfx] for n in ("w_ih", "w_hh", "b_ih", "b_hh"))
    if kind == "lstm":
        a = x @ X.tr(wih) + bih + h @ X.tr(whh) + bhh
        i = X.sigmoid(a[:, 0:H])
        f = X.sigmoid(a[:, H:2 * H])
        g = X.tanh(a[:, 2 * H:3 * H])
        o = X.sigmoid(a[:, 3 * H:4 * H])
        c2 = f * c + i * g
        return o * X.tanh(c2), c2
    if kind == "gru":
        gi = x @ X.tr(wih) + bih
        gh = h @ X.tr(whh) + bhh
        r = X.sigmoid(gi[:, 0:H] + gh[:, 0:H])
        z = X.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = X.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1.0 - z) * n + z * h, None
    pre = x @ X.tr(wih) + bih + h @ X.tr(whh) + bhh
    return (X.tanh(pre) if kind == "rnn_tanh" else X.relu(pre)), None


def suffix(layer, direction, L):
    return (f"_l{layer}" if L > 1 else "") + ("_reverse" if direction == 1 else "")


def ref_rnn(X, kind, x, P, h0, c0, mask, D, L):
    """Multi-layer, optionally bidirectional, masked RNN. h0 / c0 (L*D, B, H); mask (B, T) 0/1.

    Masked steps keep the state (h = m*h' + (1-m)*h) and output 0, so the reverse
    direction effectively starts at each sequence's last real step (= packing)."""
    B_, T_ = x.shape[0], x.shape[1]
    mask = X.c(mask)
    inp = x
    hs, cs = [], []
    for layer in range(L):
        outs = []
        for d in range(D):
            sfx = suffix(layer, d, L)
            h = h0[layer * D + d]
            c = c0[layer * D + d] if c0 is not None else None
            ys = [None] * T_
            for t in (range(T_) if d == 0 else range(T_ - 1, -1, -1)):
                m = mask[:, t:t + 1]
                hn, cn = ref_cell(X, kind, inp[:, t], h, c, P, sfx)
                h = m * hn + (1.0 - m) * h
                if c is not None:
                    c = m * cn + (1.0 - m) * c
                ys[t] = m * hn
            outs.append(X.stack(ys, 1))
            hs.append(h)
            cs.append(c)
        inp = outs[0] if D == 1 else X.cat(outs, 2)
    return inp, X.stack(hs, 0), (X.stack(cs, 0) if c0 is not None else None)


def np_lstm_bptt(x, P, h0, c0, gy, ghT, gcT, peep):
    """Hand-written BPTT of a single-layer unmasked LSTM (peep=False: b = b_ih + b_hh, no peepholes).

    Returns dict of gradients: dx, dh0, dc0, dw_ih, dw_hh, db and (peep) dp_i, dp_f, dp_o."""
    sig = NPB.sigmoid
    Wih, Whh = P["w_ih"], P["w_hh"]
    b = P["b"] if peep else P["b_ih"] + P["b_hh"]
    H = h0.shape[-1]
    pz = np.zeros(H)
    pi, pf, po = (P["p_i"], P["p_f"], P["p_o"]) if peep else (pz, pz, pz)
    Bn, Tn, _ = x.shape
    h, c = h0, c0
    cache = []
    for t in range(Tn):
        a = x[:, t] @ Wih.T + h @ Whh.T + b
        i = sig(a[:, :H] + pi * c)
        f = sig(a[:, H:2 * H] + pf * c)
        g = np.tanh(a[:, 2 * H:3 * H])
        c2 = f * c + i * g
        o = sig(a[:, 3 * H:] + po * c2)
        tc = np.tanh(c2)
        cache.append((h, c, i, f, g, o, c2, tc))
        h, c = o * tc, c2
    G = {k: np.zeros_like(v) for k, v in (("dw_ih", Wih), ("dw_hh", Whh), ("db", b),
                                          ("dp_i", pz), ("dp_f", pz), ("dp_o", pz))}
    dx = np.zeros_like(x)
    dh_next, dc_next = ghT.copy(), gcT.copy()
    for t in range(Tn - 1, -1, -1):
        hp, cp, i, f, g, o, c2, tc = cache[t]
        dh = gy[:, t] + dh_next
        do = dh * tc
        dc = dc_next + dh * o * (1 - tc ** 2)
        dao = do * o * (1 - o)
        dc = dc + dao * po
        G["dp_o"] += (dao * c2).sum(0)
        di, df, dg = dc * g, dc * cp, dc * i
        dcp = dc * f
        dai, daf, dag = di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2)
        dcp = dcp + dai * pi + daf * pf
        G["dp_i"] += (dai * cp).sum(0)
        G["dp_f"] += (daf * cp).sum(0)
        da = np.concatenate([dai, daf, dag, dao], axis=1)
        G["dw_ih"] += da.T @ x[:, t]
        G["dw_hh"] += da.T @ hp
        G["db"] += da.sum(0)
        dx[:, t] = da @ Wih
        dh_next, dc_next = da @ Whh, dcp
    G.update(dx=dx, dh0=dh_next, dc0=dc_next)
    return G


# ---------------------------------------------------------------------------
# Reference attention / transformer layers
# ---------------------------------------------------------------------------
def additive_mask(B_, T_, S_, attn_mask=None, key_padding_mask=None):
    """(B, 1, T, S) float mask: 0 where attended, -inf where masked (bool inputs, True = masked)."""
    m = np.zeros((B_, 1, T_, S_))
    if attn_mask is not None:
        m[:, :, attn_mask] = -np.inf
    if key_padding_mask is not None:
        m[key_padding_mask[:, None, None, :].repeat(T_, axis=2)] = -np.inf
    return m


def ref_mha(X, q, k, v, w_in, b_in, w_out, b_out, nh, amask):
    """torch MultiheadAttention semantics: scores = (q W_q^T + b_q) / sqrt(head_dim) @ (k W_k^T + b_k)^T.

    Returns y (B, T, E) and the head-averaged attention weights (B, T, S)."""
    E = q.shape[-1]
    hd = E // nh
    Bq, Tq, Sk = q.shape[0], q.shape[1], k.shape[1]
    Q = q @ X.tr(w_in[0:E]) + b_in[0:E]
    K = k @ X.tr(w_in[E:2 * E]) + b_in[E:2 * E]
    V = v @ X.tr(w_in[2 * E:3 * E]) + b_in[2 * E:3 * E]
    Q = X.perm(Q.reshape(Bq, Tq, nh, hd), (0, 2, 1, 3))
    K = X.perm(K.reshape(Bq, Sk, nh, hd), (0, 2, 1, 3))
    V = X.perm(V.reshape(Bq, Sk, nh, hd), (0, 2, 1, 3))
    s = (Q @ X.tr(K)) / math.sqrt(hd) + X.c(amask)
    e = X.exp(s - X.rowmax(s))
    A = e / X.sum(e, -1)
    O = X.perm(A @ V, (0, 2, 1, 3)).reshape(Bq, Tq, E)
    return O @ X.tr(w_out) + b_out, A.mean(1) if isinstance(A, np.ndarray) else A.mean(dim=1)


def ref_ln(X, x, w, b, eps=1e-5):
    mu = X.mean(x, -1)
    var = X.mean((x - mu) ** 2, -1)
    return (x - mu) / X.sqrt(var + eps) * w + b


def ref_ff(X, x, P):
    return X.relu(x @ X.tr(P["linear1.weight"]) + P["linear1.bias"]) @ X.tr(P["linear2.weight"]) + P["linear2.bias"]


def ref_attn_block(X, P, pre, q, kv, amask):
    return ref_mha(X, q, kv, kv, P[pre + ".in_proj_weight"], P[pre + ".in_proj_bias"],
                   P[pre + ".out_proj.weight"], P[pre + ".out_proj.bias"], 2, amask)[0]


def ref_encoder(X, x, P, amask, norm_first):
    def ln(n, a):
        return ref_ln(X, a, P[n + ".weight"], P[n + ".bias"])
    if norm_first:
        x = x + ref_attn_block(X, P, "self_attn", ln("norm1", x), ln("norm1", x), amask)
        return x + ref_ff(X, ln("norm2", x), P)
    x = ln("norm1", x + ref_attn_block(X, P, "self_attn", x, x, amask))
    return ln("norm2", x + ref_ff(X, x, P))


def ref_decoder(X, x, mem, P, self_mask, cross_mask, norm_first):
    def ln(n, a):
        return ref_ln(X, a, P[n + ".weight"], P[n + ".bias"])
    if norm_first:
        x = x + ref_attn_block(X, P, "self_attn", ln("norm1", x), ln("norm1", x), self_mask)
        x = x + ref_attn_block(X, P, "multihead_attn", ln("norm2", x), mem, cross_mask)
        return x + ref_ff(X, ln("norm3", x), P)
    x = ln("norm1", x + ref_attn_block(X, P, "self_attn", x, x, self_mask))
    x = ln("norm2", x + ref_attn_block(X, P, "multihead_attn", x, mem, cross_mask))
    return ln("norm3", x + ref_ff(X, x, P))


def manual_grads(fn, arrays, cots):
    """Autograd of sum(out_i * cot_i) through fn(THB, *tensors) (plain torch ops). Returns (outs, grads)."""
    ts = [T(a, grad=True) for a in arrays]
    outs = fn(*ts)
    loss = sum((o * T(g)).sum() for o, g in zip(outs, cots))
    return outs, torch.autograd.grad(loss, ts)


# ---------------------------------------------------------------------------
# Recurrent cases
# ---------------------------------------------------------------------------
GATES = {
    "lstm": "rows = gates i, f, g, o (H each)",
    "gru": "rows = gates r, z, n (H each)",
    "rnn_tanh": "one block of H rows",
    "rnn_relu": "one block of H rows",
}
CTORS = {
    "lstm": ("nn.LSTM", {}),
    "gru": ("nn.GRU", {}),
    "rnn_tanh": ("nn.RNN", {"nonlinearity": "'tanh'"}),
    "rnn_relu": ("nn.RNN", {"nonlinearity": "'relu'"}),
}


def rnn_case(s, case, kind, I=4, H=6, Bn=3, Tn=5, L=1, D=1, lengths=None):
    has_c = kind == "lstm"
    cls, extra = CTORS[kind]
    kw = dict(extra)
    if L > 1:
        kw["num_layers"] = L
    if D == 2:
        kw["bidirectional"] = True
    call = f"{cls}(input_size={I}, hidden_size={H}, batch_first=True" + "".join(
        f", {k}={v}" for k, v in kw.items()) + ")"
    mod = eval(call)
    mod.train()
    how = "packed: pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False) -> module -> " \
          "pad_packed_sequence(batch_first=True, total_length=T)" if lengths is not None else "unpacked"
    MODULES.append((case, call, repr(mod), f"train() (no dropout; {how})"))

    # --- draws, in key order ----------------------------------------------
    x = draw_n((Bn, Tn, I))
    s.put(f"{case}_x", x, N_EXPR((Bn, Tn, I)) + "  (batch-first: B, T, I)")
    mask = np.ones((Bn, Tn))
    if lengths is not None:
        lengths = np.asarray(lengths, dtype=np.int64)
        mask = (np.arange(Tn)[None, :] < lengths[:, None]).astype(np.float64)
        s.put(f"{case}_lengths", lengths, f"{lengths.tolist()}  (fixed, not drawn; unsorted)")
        s.put(f"{case}_mask", mask, "(t < lengths[b]) as float64: 1 = real step, 0 = padding")
    P = {}
    tnames = {}
    for tname, p in mod.named_parameters():
        base = {"weight_ih": "w_ih", "weight_hh": "w_hh", "bias_ih": "b_ih", "bias_hh": "b_hh"}[tname.split("_l")[0]]
        layer = int(tname.split("_l")[1][0])
        d = 1 if tname.endswith("_reverse") else 0
        key = base + suffix(layer, d, L)
        P[key] = draw_w(tuple(p.shape))
        tnames[key] = tname
        what = GATES[kind] if base.startswith("w") else GATES[kind].replace("rows", "entries")
        s.put(f"{case}_{key}", P[key], W_EXPR(tuple(p.shape)) + f" -> {tname}  ({what})")
    nst = L * D
    st_shape = (Bn, H) if nst == 1 else (nst, Bn, H)
    st_note = "passed as h0[None] (1, B, H)" if nst == 1 else \
        ("index = direction (0 forward, 1 reverse)" if D == 2 else "index = layer")
    h0 = draw_n(st_shape)
    s.put(f"{case}_h0", h0, N_EXPR(st_shape) + "  (" + st_note + ")")
    if has_c:
        c0 = draw_n(st_shape)
        s.put(f"{case}_c0", c0, N_EXPR(st_shape) + "  (" + st_note.replace("h0", "c0") + ")")
    F_ = D * H
    gy = draw_n((Bn, Tn, F_))
    s.put(f"{case}_gy", gy, N_EXPR((Bn, Tn, F_)) + "  (upstream gradient of y"
          + (", also at padded steps" if lengths is not None else "") + ")")
    ghT = draw_n(st_shape)
    s.put(f"{case}_ghT", ghT, N_EXPR(st_shape) + "  (upstream gradient of hT)")
    if has_c:
        gcT = draw_n(st_shape)
        s.put(f"{case}_gcT", gcT, N_EXPR(st_shape) + "  (upstream gradient of cT)")

    # --- torch module -------------------------------------------------------
    with torch.no_grad():
        for key, tname in tnames.items():
            getattr(mod, tname).copy_(T(P[key]))
    S3 = (nst, Bn, H)
    xt = T(x, grad=True)
    h0t = T(h0.reshape(S3), grad=True)
    c0t = T(c0.reshape(S3), grad=True) if has_c else None
    hx = (h0t, c0t) if has_c else h0t
    if lengths is None:
        y, st = mod(xt, hx)
    else:
        packed = pack_padded_sequence(xt, torch.from_numpy(lengths), batch_first=True, enforce_sorted=False)
        yp, st = mod(packed, hx)
        y, _ = pad_packed_sequence(yp, batch_first=True, total_length=Tn)
    hT, cT = st if has_c else (st, None)
    loss = (y * T(gy)).sum() + (hT * T(ghT.reshape(S3))).sum()
    if has_c:
        loss = loss + (cT * T(gcT.reshape(S3))).sum()
    params = [getattr(mod, tnames[k]) for k in P]
    leaves = [xt, h0t] + ([c0t] if has_c else []) + params
    grads = torch.autograd.grad(loss, leaves)
    gdict = {"dx": grads[0], "dh0": grads[1].reshape(st_shape)}
    if has_c:
        gdict["dc0"] = grads[2].reshape(st_shape)
    for k, g in zip(P, grads[3 if has_c else 2:]):
        gdict["d" + k] = g

    # --- store outputs / grads ----------------------------------------------
    outexpr = "module(x, " + ("(h0, c0)" if has_c else "h0") + ")"
    if lengths is not None:
        outexpr = "pad_packed(module(pack(x, lengths), " + ("(h0, c0)" if has_c else "h0") + "))"
    yexpr = f"{outexpr}[0]  (B, T, {F_})"
    if D == 2:
        yexpr += f"; features [0:{H}] forward, [{H}:{2 * H}] reverse direction"
    if L > 1:
        yexpr += "; output of the last layer"
    if lengths is not None:
        yexpr += "; exactly 0 at padded steps t >= lengths[b]"
    y_np = s.put(f"{case}_y", y, yexpr)
    st_expr = "" if nst == 1 else "; (L*D, B, H) like h0"
    last = " = state after each sequence's last real step (t = lengths[b]-1" + \
        (", and after t = 0 for the reverse direction" if D == 2 else "") + ")" if lengths is not None else ""
    hT_np = s.put(f"{case}_hT", hT.reshape(st_shape), f"{outexpr}[1]" + ("[0]" if has_c else "")
                  + ("[0] -> (B, H)" if nst == 1 else "") + st_expr + last)
    if has_c:
        cT_np = s.put(f"{case}_cT", cT.reshape(st_shape), f"{outexpr}[1][1]"
                      + ("[0] -> (B, H)" if nst == 1 else "") + st_expr + last)
    lexpr = "L = sum(y*gy) + sum(hT*ghT)" + (" + sum(cT*gcT)" if has_c else "")
    for k, g in gdict.items():
        note = ""
        if k == "dx" and lengths is not None:
            note = "  (0 at padded steps)"
        s.put(f"{case}_{k}", g, f"dL/d{k[1:]} with {lexpr}{note}")

    # --- cross-checks ---------------------------------------------------------
    c0n = c0.reshape(S3) if has_c else None
    ry, rh, rc = ref_rnn(NPB, kind, x, P, h0.reshape(S3), c0n, mask, D, L)
    check("forward (numpy)", f"{case}_y", y_np, ry)
    check("forward (numpy)", f"{case}_hT", hT_np, rh.reshape(st_shape))
    if has_c:
        check("forward (numpy)", f"{case}_cT", cT_np, rc.reshape(st_shape))
    keys = list(P)

    def fn(xt_, h0_, *rest):
        c0_ = rest[0] if has_c else None
        Pt = dict(zip(keys, rest[1:] if has_c else rest))
        o = ref_rnn(THB, kind, xt_, Pt, h0_, c0_, mask, D, L)
        return [o[0], o[1], o[2]] if has_c else [o[0], o[1]]

    arrs = [x, h0.reshape(S3)] + ([c0n] if has_c else []) + [P[k] for k in keys]
    cots = [gy, ghT.reshape(S3)] + ([gcT.reshape(S3)] if has_c else [])
    _, mg = manual_grads(fn, arrs, cots)
    names = ["dx", "dh0"] + (["dc0"] if has_c else []) + ["d" + k for k in keys]
    for n, g in zip(names, mg):
        check("grad (manual torch)", f"{case}_{n}", gdict[n], g.reshape(gdict[n].shape))
    if kind == "lstm" and L == 1 and D == 1 and lengths is None:
        G = np_lstm_bptt(x, P, h0, c0, gy, ghT, gcT, peep=False)
        for n in ("dx", "dh0", "dc0", "dw_ih", "dw_hh"):
            check("grad (numpy BPTT)", f"{case}_{n}", gdict[n], G[n])
        check("grad (numpy BPTT)", f"{case}_db_ih", gdict["db_ih"], G["db"])
        check("grad (numpy BPTT)", f"{case}_db_hh", gdict["db_hh"], G["db"])


def torch_peephole(x, w_ih, w_hh, b, p_i, p_f, p_o, h0, c0):
    """The peephole LSTM, step by step in torch autograd ops (the fixture's own definition)."""
    H = h0.shape[-1]
    h, c = h0, c0
    ys = []
    for t in range(x.shape[1]):
        a = x[:, t] @ w_ih.t() + h @ w_hh.t() + b
        ai, af, ag, ao = a.split(H, dim=1)
        i = torch.sigmoid(ai + p_i * c)
        f = torch.sigmoid(af + p_f * c)
        g = torch.tanh(ag)
        c = f * c + i * g
        o = torch.sigmoid(ao + p_o * c)
        h = o * torch.tanh(c)
        ys.append(h)
    return torch.stack(ys, dim=1), h, c


def peephole_case(s, case="peephole", I=4, H=6, Bn=3, Tn=5):
    MODULES.append((case, "torch_peephole(...) in this script (no nn module)", "-", "-"))
    x = draw_n((Bn, Tn, I))
    s.put(f"{case}_x", x, N_EXPR((Bn, Tn, I)) + "  (batch-first: B, T, I)")
    P = {}
    for k, shp, what in (("w_ih", (4 * H, I), "rows = gates i, f, g, o"),
                         ("w_hh", (4 * H, H), "rows = gates i, f, g, o"),
                         ("b", (4 * H,), "single bias, entries i, f, g, o"),
                         ("p_i", (H,), "input-gate peephole (on c_prev)"),
                         ("p_f", (H,), "forget-gate peephole (on c_prev)"),
                         ("p_o", (H,), "output-gate peephole (on the new c)")):
        P[k] = draw_w(shp)
        s.put(f"{case}_{k}", P[k], W_EXPR(shp) + f"  ({what})")
    h0 = draw_n((Bn, H))
    s.put(f"{case}_h0", h0, N_EXPR((Bn, H)))
    c0 = draw_n((Bn, H))
    s.put(f"{case}_c0", c0, N_EXPR((Bn, H)))
    gy = draw_n((Bn, Tn, H))
    s.put(f"{case}_gy", gy, N_EXPR((Bn, Tn, H)) + "  (upstream gradient of y)")
    ghT = draw_n((Bn, H))
    s.put(f"{case}_ghT", ghT, N_EXPR((Bn, H)) + "  (upstream gradient of hT)")
    gcT = draw_n((Bn, H))
    s.put(f"{case}_gcT", gcT, N_EXPR((Bn, H)) + "  (upstream gradient of cT)")

    order = ["x", "w_ih", "w_hh", "b", "p_i", "p_f", "p_o", "h0", "c0"]
    vals = {"x": x, "h0": h0, "c0": c0, **P}
    ts = {k: T(vals[k], grad=True) for k in order}
    y, hT, cT = torch_peephole(*[ts[k] for k in order])
    loss = (y * T(gy)).sum() + (hT * T(ghT)).sum() + (cT * T(gcT)).sum()
    grads = dict(zip(order, torch.autograd.grad(loss, [ts[k] for k in order])))
    y_np = s.put(f"{case}_y", y, "h_t for t = 0..T-1: a = x W_ih^T + h W_hh^T + b; i = σ(a_i + p_i*c_prev), "
                 "f = σ(a_f + p_f*c_prev), g = tanh(a_g), c = f*c_prev + i*g, o = σ(a_o + p_o*c), h = o*tanh(c)")
    hT_np = s.put(f"{case}_hT", hT, "h after the last step (B, H)")
    cT_np = s.put(f"{case}_cT", cT, "c after the last step (B, H)")
    gout = {}
    for k in ["x", "h0", "c0", "w_ih", "w_hh", "b", "p_i", "p_f", "p_o"]:
        gout["d" + k] = s.put(f"{case}_d{k}", grads[k], f"dL/d{k} with L = sum(y*gy) + sum(hT*ghT) + sum(cT*gcT)")

    ry, rh, rc = ref_rnn(NPB, "peephole", x, P, h0[None], c0[None], np.ones((Bn, Tn)), 1, 1)
    check("forward (numpy)", f"{case}_y", y_np, ry)
    check("forward (numpy)", f"{case}_hT", hT_np, rh[0])
    check("forward (numpy)", f"{case}_cT", cT_np, rc[0])
    G = np_lstm_bptt(x, P, h0, c0, gy, ghT, gcT, peep=True)
    for k, g in gout.items():
        check("grad (numpy BPTT)", f"{case}_{k}", g, G[k])


def embedding_case(s, case="embedding"):
    call = "nn.Embedding(10, 4, padding_idx=0)"
    mod = eval(call)
    mod.train()
    MODULES.append((case, call, repr(mod), "train() (mode-independent); weight overwritten after construction"))
    w = draw_w((10, 4))
    s.put(f"{case}_weight", w, W_EXPR((10, 4)) + "  (row 0 = padding row, drawn too, NOT zero)")
    idx = rng.integers(1, 10, (3, 5)).astype(np.int64)
    for pos in ((0, 1), (1, 3), (1, 4), (2, 0)):
        idx[pos] = 0
    vals, counts = np.unique(idx[idx > 0], return_counts=True)
    assert counts.max() >= 2, "want a repeated non-padding index"
    s.put(f"{case}_indices", idx, "rng.integers(1, 10, (3, 5)), then [0,1], [1,3], [1,4], [2,0] set to 0 "
          "(padding_idx)")
    gy = draw_n((3, 5, 4))
    s.put(f"{case}_gy", gy, N_EXPR((3, 5, 4)) + "  (upstream gradient of y)")
    with torch.no_grad():
        mod.weight.copy_(T(w))
    y = mod(torch.from_numpy(idx))
    (dw,) = torch.autograd.grad((y * T(gy)).sum(), [mod.weight])
    y_np = s.put(f"{case}_y", y, "weight[indices]  (plain gather: padding positions get weight[0] as set, "
                 "here non-zero)")
    dw_np = s.put(f"{case}_dweight", dw, "d sum(y*gy) / d weight: scatter-add of gy rows into weight rows; "
                  "row 0 (padding_idx) gets 0")
    ref_dw = np.zeros_like(w)
    np.add.at(ref_dw, idx.reshape(-1), gy.reshape(-1, 4))
    ref_dw[0] = 0.0
    check("forward (numpy)", f"{case}_y", y_np, w[idx])
    check("grad (numpy BPTT)", f"{case}_dweight", dw_np, ref_dw)


# ---------------------------------------------------------------------------
# Attention cases
# ---------------------------------------------------------------------------
MHA_PARAMS = [("in_proj_weight", (24, 8), "rows [0:8] W_q, [8:16] W_k, [16:24] W_v"),
              ("in_proj_bias", (24,), "[0:8] b_q, [8:16] b_k, [16:24] b_v"),
              ("out_proj_weight", (8, 8), "out_proj.weight (out, in)"),
              ("out_proj_bias", (8,), "out_proj.bias")]


def mha_case(s, case, cross):
    call = "nn.MultiheadAttention(embed_dim=8, num_heads=2, dropout=0.0, bias=True, batch_first=True)"
    mod = eval(call)
    mod.train()
    MODULES.append((case, call, repr(mod), "train() (dropout 0; need_weights=True, average_attn_weights=True, "
                                           "so the explicit-softmax path runs)"))
    Bn = 2
    if cross:
        q = draw_n((2, 3, 8))
        k = draw_n((2, 6, 8))
        v = draw_n((2, 6, 8))
        s.put(f"{case}_q", q, N_EXPR((2, 3, 8)) + "  (query, B, T, E)")
        s.put(f"{case}_k", k, N_EXPR((2, 6, 8)) + "  (key, B, S, E)")
        s.put(f"{case}_v", v, N_EXPR((2, 6, 8)) + "  (value, B, S, E; distinct from key)")
        Tq, Sk = 3, 6
        am = None
        kpm = np.zeros((2, 6), dtype=bool)
        kpm[0, 5] = True
    else:
        x = draw_n((2, 5, 8))
        s.put(f"{case}_x", x, N_EXPR((2, 5, 8)) + "  (query = key = value, B, T, E)")
        Tq = Sk = 5
        am = np.triu(np.ones((5, 5), dtype=bool), k=1)
        kpm = np.zeros((2, 5), dtype=bool)
        kpm[1, 3:] = True
    P = {}
    for n, shp, what in MHA_PARAMS:
        P[n] = draw_w(shp)
        s.put(f"{case}_{n}", P[n], W_EXPR(shp) + f"  ({what})")
    if am is not None:
        s.put(f"{case}_attn_mask", am.astype(np.float64), "causal: 1 = masked (key j > query i), "
              "passed as bool np.triu(ones(5,5), 1)")
    s.put(f"{case}_key_padding_mask", kpm.astype(np.float64),
          "1 = padded key, passed as bool (B, S); " + ("sequence 0's last key" if cross else
                                                       "sequence 1's last 2 keys"))
    gy = draw_n((Bn, Tq, 8))
    s.put(f"{case}_gy", gy, N_EXPR((Bn, Tq, 8)) + "  (upstream gradient of y)")

    with torch.no_grad():
        mod.in_proj_weight.copy_(T(P["in_proj_weight"]))
        mod.in_proj_bias.copy_(T(P["in_proj_bias"]))
        mod.out_proj.weight.copy_(T(P["out_proj_weight"]))
        mod.out_proj.bias.copy_(T(P["out_proj_bias"]))
    params = [mod.in_proj_weight, mod.in_proj_bias, mod.out_proj.weight, mod.out_proj.bias]
    if cross:
        qt, kt, vt = T(q, grad=True), T(k, grad=True), T(v, grad=True)
        inputs = [qt, kt, vt]
    else:
        xt = T(x, grad=True)
        qt = kt = vt = xt
        inputs = [xt]
    y, attn = mod(qt, kt, vt, key_padding_mask=torch.from_numpy(kpm), need_weights=True,
                  attn_mask=None if am is None else torch.from_numpy(am), average_attn_weights=True)
    grads = torch.autograd.grad((y * T(gy)).sum(), inputs + params)
    y_np = s.put(f"{case}_y", y, "mha(" + ("q, k, v" if cross else "x, x, x") + ", key_padding_mask" +
                 ("" if cross else ", attn_mask") + ")[0]")
    a_np = s.put(f"{case}_attn", attn, "mha(...)[1]: softmax weights averaged over the 2 heads (B, T, S); "
                 "exactly 0 at masked keys; not part of L")
    gnames = (["dq", "dk", "dv"] if cross else ["dx"]) + ["d" + n for n, _, _ in MHA_PARAMS]
    G = {}
    for n, g in zip(gnames, grads):
        G[n] = s.put(f"{case}_{n}", g, f"dL/d{n[1:]} with L = sum(y*gy)" +
                     ("  (x is query, key and value: sum of the three paths)" if n == "dx" else ""))
    assert np.all(a_np[np.broadcast_to(additive_mask(Bn, Tq, Sk, am, kpm)[:, 0] == -np.inf, a_np.shape)] == 0.0)

    amask = additive_mask(Bn, Tq, Sk, am, kpm)
    qa, ka, va = (q, k, v) if cross else (x, x, x)
    ry, ra = ref_mha(NPB, qa, ka, va, P["in_proj_weight"], P["in_proj_bias"], P["out_proj_weight"],
                     P["out_proj_bias"], 2, amask)
    check("forward (numpy)", f"{case}_y", y_np, ry)
    check("forward (numpy)", f"{case}_attn", a_np, ra)

    if cross:
        def fn(q_, k_, v_, wi, bi, wo, bo):
            return [ref_mha(THB, q_, k_, v_, wi, bi, wo, bo, 2, amask)[0]]
        arrs = [q, k, v]
    else:
        def fn(x_, wi, bi, wo, bo):
            return [ref_mha(THB, x_, x_, x_, wi, bi, wo, bo, 2, amask)[0]]
        arrs = [x]
    _, mg = manual_grads(fn, arrs + [P[n] for n, _, _ in MHA_PARAMS], [gy])
    for n, g in zip(gnames, mg):
        check("grad (manual torch)", f"{case}_{n}", G[n], g)


def draw_state_dict(s, case, mod):
    """Draw every state_dict tensor (weights / biases uniform(-0.5,0.5), LayerNorm weights uniform(0.5,1.5))."""
    P = {}
    for n, p in mod.state_dict().items():
        shp = tuple(p.shape)
        if n.startswith("norm") and n.endswith(".weight"):
            P[n] = rng.uniform(0.5, 1.5, shp)
            expr = f"rng.uniform(0.5, 1.5, {shp})  (LayerNorm gain)"
        else:
            P[n] = draw_w(shp)
            expr = W_EXPR(shp)
            if n.endswith("in_proj_weight"):
                expr += "  (rows [0:8] W_q, [8:16] W_k, [16:24] W_v)"
            elif n.endswith(".weight"):
                expr += "  (Linear: (out, in))"
        s.put(f"{case}_p_{n}", P[n], expr)
    with torch.no_grad():
        sd = mod.state_dict()
        for n in P:
            sd[n].copy_(T(P[n]))
    return P


def encoder_case(s, case, norm_first):
    call = ("nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, "
            f"activation='relu', batch_first=True, norm_first={norm_first})")
    mod = eval(call)
    mod.train()
    MODULES.append((case, call, repr(mod),
                    "train() (dropout 0; train mode so the regular, non-fast path runs)"))
    x = draw_n((2, 5, 8))
    s.put(f"{case}_x", x, N_EXPR((2, 5, 8)) + "  (src, B, T, E)")
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1, 3:] = True
    s.put(f"{case}_src_key_padding_mask", kpm.astype(np.float64),
          "1 = padded key (sequence 1's last 2 positions), passed as bool (B, T)")
    P = draw_state_dict(s, case, mod)
    gy = draw_n((2, 5, 8))
    s.put(f"{case}_gy", gy, N_EXPR((2, 5, 8)) + "  (upstream gradient of y)")
    xt = T(x, grad=True)
    y = mod(xt, src_key_padding_mask=torch.from_numpy(kpm))
    names = list(P)
    params = dict(mod.named_parameters())
    grads = torch.autograd.grad((y * T(gy)).sum(), [xt] + [params[n] for n in names])
    y_np = s.put(f"{case}_y", y, "layer(x, src_key_padding_mask=mask)  (padded query rows computed normally, "
                 "only keys are masked)")
    dx_np = s.put(f"{case}_dx", grads[0], "dL/dx with L = sum(y*gy)")
    G = {}
    for n, g in zip(names, grads[1:]):
        G[n] = s.put(f"{case}_g_{n}", g, f"dL/d({n})")

    amask = additive_mask(2, 5, 5, None, kpm)
    check("forward (numpy)", f"{case}_y", y_np, ref_encoder(NPB, x, P, amask, norm_first))

    def fn(x_, *ps):
        return [ref_encoder(THB, x_, dict(zip(names, ps)), amask, norm_first)]
    _, mg = manual_grads(fn, [x] + [P[n] for n in names], [gy])
    check("grad (manual torch)", f"{case}_dx", dx_np, mg[0])
    for n, g in zip(names, mg[1:]):
        check("grad (manual torch)", f"{case}_g_{n}", G[n], g)


def decoder_case(s, case, norm_first):
    call = ("nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, "
            f"activation='relu', batch_first=True, norm_first={norm_first})")
    mod = eval(call)
    mod.train()
    MODULES.append((case, call, repr(mod), "train() (dropout 0)"))
    tgt = draw_n((2, 4, 8))
    s.put(f"{case}_tgt", tgt, N_EXPR((2, 4, 8)) + "  (B, T, E)")
    mem = draw_n((2, 6, 8))
    s.put(f"{case}_memory", mem, N_EXPR((2, 6, 8)) + "  (B, S, E)")
    tm = np.triu(np.ones((4, 4), dtype=bool), k=1)
    s.put(f"{case}_tgt_mask", tm.astype(np.float64), "causal: 1 = masked (j > i), passed as bool (T, T)")
    mkpm = np.zeros((2, 6), dtype=bool)
    mkpm[0, 5] = True
    s.put(f"{case}_memory_key_padding_mask", mkpm.astype(np.float64),
          "1 = padded memory position (sequence 0's last), passed as bool (B, S)")
    P = draw_state_dict(s, case, mod)
    gy = draw_n((2, 4, 8))
    s.put(f"{case}_gy", gy, N_EXPR((2, 4, 8)) + "  (upstream gradient of y)")
    tt, mt = T(tgt, grad=True), T(mem, grad=True)
    y = mod(tt, mt, tgt_mask=torch.from_numpy(tm), memory_key_padding_mask=torch.from_numpy(mkpm))
    names = list(P)
    params = dict(mod.named_parameters())
    grads = torch.autograd.grad((y * T(gy)).sum(), [tt, mt] + [params[n] for n in names])
    y_np = s.put(f"{case}_y", y, "layer(tgt, memory, tgt_mask=causal, memory_key_padding_mask=mask)")
    dt_np = s.put(f"{case}_dtgt", grads[0], "dL/dtgt with L = sum(y*gy)")
    dm_np = s.put(f"{case}_dmemory", grads[1], "dL/dmemory")
    G = {}
    for n, g in zip(names, grads[2:]):
        G[n] = s.put(f"{case}_g_{n}", g, f"dL/d({n})")

    smask = additive_mask(2, 4, 4, tm, None)
    cmask = additive_mask(2, 4, 6, None, mkpm)
    check("forward (numpy)", f"{case}_y", y_np, ref_decoder(NPB, tgt, mem, P, smask, cmask, norm_first))

    def fn(t_, m_, *ps):
        return [ref_decoder(THB, t_, m_, dict(zip(names, ps)), smask, cmask, norm_first)]
    _, mg = manual_grads(fn, [tgt, mem] + [P[n] for n in names], [gy])
    check("grad (manual torch)", f"{case}_dtgt", dt_np, mg[0])
    check("grad (manual torch)", f"{case}_dmemory", dm_np, mg[1])
    for n, g in zip(names, mg[2:]):
        check("grad (manual torch)", f"{case}_g_{n}", G[n], g)


# ---------------------------------------------------------------------------
def gen():
    s = ft.Store(FNAME, OUT, dtypes="float64/int64")
    a = ft.Store(FNAME_ATT, OUT, dtypes="float64/int64")
    rnn_case(s, "lstm", "lstm")
    rnn_case(s, "gru", "gru")
    rnn_case(s, "rnn_tanh", "rnn_tanh")
    rnn_case(s, "rnn_relu", "rnn_relu")
    rnn_case(s, "lstm_masked", "lstm", lengths=[5, 3, 1])
    rnn_case(s, "bilstm", "lstm", D=2)
    rnn_case(s, "bigru_masked", "gru", D=2, lengths=[5, 2, 4])
    rnn_case(s, "lstm_stacked", "lstm", L=2)
    peephole_case(s)
    embedding_case(s)
    mha_case(a, "mha_self", cross=False)
    mha_case(a, "mha_cross", cross=True)
    encoder_case(a, "enc_post", norm_first=False)
    encoder_case(a, "enc_pre", norm_first=True)
    decoder_case(a, "dec_post", norm_first=False)
    decoder_case(a, "dec_pre", norm_first=True)
    s.save()
    a.save()
    return s, a


def manifest_section(s, a):
    notes = [
        "Generated by `Tests/Fixtures/torch/generate_recurrent_fixtures.py` (torch %s, numpy %s; "
        "`np.random.default_rng(%d)`, `torch.set_default_dtype(torch.float64)`, CPU, 1 thread), not by "
        "generate_torch_fixtures.py; that script rewrites this file, so run generate_recurrent_fixtures.py after it."
        % (torch.__version__, np.__version__, SEED),
        "Keys are `{case}_{name}`; transformer layers store every `state_dict()` tensor as "
        "`{case}_p_{state_dict name}` and its gradient as `{case}_g_{state_dict name}` (the names contain dots, "
        "e.g. `enc_post_p_self_attn.in_proj_weight`; the npz member is that name + `.npy`).",
        "Draw order: cases in table order; inside a case the rng-drawn keys in table order. Weights / biases "
        "`rng.uniform(-0.5, 0.5)`, LayerNorm gains `rng.uniform(0.5, 1.5)`, inputs / initial states / upstream "
        "gradients `rng.standard_normal`. Every parameter was copied into the module after construction "
        "(torch's default init is never used).",
        "Gradients: L = sum(y*gy) + sum(hT*ghT) [+ sum(cT*gcT) for LSTMs]; attention / transformer / embedding: "
        "L = sum(y*gy). `d{name}` = dL/d{name} by torch autograd. Attention weights (`*_attn`) are outputs only.",
        "All recurrent cases are batch_first; x (B, T, I) = (3, 5, 4), H = 6. Single-layer unidirectional states "
        "are stored as (B, H) (passed to torch as (1, B, H)); bidirectional / stacked states as (L*D, B, H) with "
        "index = layer*D + direction (direction 0 forward, 1 reverse).",
        "nn.LSTM (gates i, f, g, o in the row blocks of w_ih (4H, I), w_hh (4H, H), b_ih, b_hh): "
        "a = x W_ih^T + b_ih + h W_hh^T + b_hh; i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o); "
        "c' = f*c + i*g; h' = o*tanh(c'); y_t = h'.",
        "nn.GRU (gates r, z, n): gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh; r = σ(gi_r + gh_r), "
        "z = σ(gi_z + gh_z), n = tanh(gi_n + r*gh_n) (reset applied AFTER the recurrent matmul and its bias "
        "b_hn, i.e. Keras reset_after=True), h' = (1 - z)*n + z*h.",
        "nn.RNN: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu.",
        "Bidirectional: y[..., 0:H] forward, y[..., H:2H] reverse, where the reverse direction runs t = T-1 .. 0 "
        "starting from h0[1] / c0[1]; hT[0] is the forward state after the last step, hT[1] the reverse state "
        "after t = 0. Stacked: layer 1's input is layer 0's output sequence; hT[l] = last state of layer l.",
        "Masked (packed) cases: pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False) -> "
        "module(packed, hx) -> pad_packed_sequence(batch_first=True, total_length=T). Equivalent to: at a step "
        "with mask 0 the state is carried unchanged and the output is 0. So y is exactly 0 at t >= lengths[b]; "
        "hT / cT are the states after step lengths[b]-1 (forward) and after t = 0 (reverse; the reverse "
        "direction starts at t = lengths[b]-1 from h0[1]). h0 / gy / ghT are in the original (unsorted) batch "
        "order; gy is random at padded steps but does not reach any gradient; dx is 0 at padded steps.",
        "peephole (no torch module; torch_peephole() in the script, step-by-step autograd ops): "
        "a = x W_ih^T + h W_hh^T + b (one bias, blocks i, f, g, o); i = σ(a_i + p_i*c_prev), "
        "f = σ(a_f + p_f*c_prev), g = tanh(a_g), c = f*c_prev + i*g, o = σ(a_o + p_o*c) (NEW c), "
        "h = o*tanh(c).",
        "Embedding: forward is a plain gather weight[indices] -- torch only zeroes the padding row at init, and "
        "here the weight (row 0 included) was overwritten with rng values, so y at padding positions is "
        "weight[0] != 0. Gradient: rows accumulate gy (scatter-add; repeated indices add up), the padding_idx "
        "row's gradient is 0.",
        "MultiheadAttention (E = 8, 2 heads, head_dim 4): Q = q W_q^T + b_q, K = k W_k^T + b_k, V = v W_v^T + b_v "
        "(W_q/W_k/W_v = in_proj_weight rows [0:8]/[8:16]/[16:24]); per head scores = Q_h K_h^T / sqrt(head_dim) "
        "(= /2) + mask, where masked entries (attn_mask True or key_padding_mask True) are -inf; A = softmax over "
        "keys; O = concat_h(A_h V_h); y = O W_out^T + b_out. `*_attn` = mean over heads of A (B, T, S); masked "
        "entries are exactly 0 and rows sum to 1. No row is fully masked here. (Observed with this torch, not "
        "stored: a fully masked query row gives NaN in y and attn with need_weights=True, and attention output 0 "
        "-> y = out_proj bias with need_weights=False in train mode, i.e. the SDPA path.)",
        "mha_self: q = k = v = x (same tensor), so dx is the sum of the query, key and value paths. "
        "Combined mask = causal attn_mask OR key_padding_mask.",
        "TransformerEncoderLayer, relu, LayerNorm eps 1e-5 (biased variance), dropout 0, train mode (the fast "
        "path is only used in eval / no-grad). post-norm (norm_first=False): x = norm1(x + SA(x)); "
        "y = norm2(x + FF(x)). pre-norm: x = x + SA(norm1(x)); y = x + FF(norm2(x)). FF(x) = linear2(relu("
        "linear1(x))). src_key_padding_mask only masks keys; padded query rows are computed normally and stored.",
        "TransformerDecoderLayer: post-norm: x = norm1(x + SA(x, tgt_mask)); x = norm2(x + CA(x, memory, "
        "memory_key_padding_mask)); y = norm3(x + FF(x)). pre-norm: x = x + SA(norm1(x)); x = x + CA(norm2(x), "
        "memory); y = x + FF(norm3(x)) (memory is NOT normalized). CA = multihead_attn: query from x, key = value "
        "= memory.",
        "Cross-checks before writing (max |a - b| / (1 + |b|) must be <= 1e-10; observed maxima: "
        "forward vs NumPy %.1e, gradients vs autograd through a plain-torch-op step-by-step reference %.1e, "
        "lstm / peephole / embedding gradients vs hand-written NumPy BPTT / scatter-add %.1e)."
        % (MAX_ERR["forward (numpy)"], MAX_ERR["grad (manual torch)"], MAX_ERR["grad (numpy BPTT)"]),
    ]
    L = ft.section_lines(SECTION, notes)
    L.append("- Note: Modules (constructor call as in the script -> `repr(module)`, mode):")
    for name, call, rep, mode in MODULES:
        rep = " ".join(rep.split())  # one line (module reprs are multi-line)
        L.append(ft.cell(f"  - `{name}`: `{call}` -> `{rep}`; {mode}"))
    L += ["", "### recurrent.npz", ""] + ft.table_lines(s.items)
    L += ["", "### attention.npz", ""] + ft.table_lines(a.items) + [""]
    return L


def main():
    s, a = gen()
    ft.replace_manifest_section(os.path.join(OUT, "MANIFEST.md"), SECTION, manifest_section(s, a))
    print(f"DeepSwift recurrent / attention fixtures -> {OUT}  (torch {torch.__version__}, numpy {np.__version__})")
    sizes = ft.print_file_summary(OUT, [FNAME, FNAME_ATT, "MANIFEST.md"], 14)
    print(f"  {len(s.items)} + {len(a.items)} arrays; max rel errors: "
          + ", ".join(f"{k} {v:.1e}" for k, v in MAX_ERR.items()))
    for fname in (FNAME, FNAME_ATT):
        if sizes[fname] >= SIZE_LIMIT:
            print(f"ERROR: {fname} is {sizes[fname]} bytes, limit {SIZE_LIMIT}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
