#!/usr/bin/env python3
"""Generate PyTorch reference fixtures for DeepSwift's Conv2D / pooling tests.

Usage (needs numpy + torch; CPU is enough):

    /work/venv-torch/bin/python Tests/Fixtures/torch/generate_conv_fixtures.py

Writes conv.npz and pool.npz next to this script and adds (or replaces) the
section "## conv.npz / pool.npz" in MANIFEST.md. Every other section of
MANIFEST.md is left byte-for-byte as it is. (generate_torch_fixtures.py
rewrites MANIFEST.md from scratch, so run this script after it.)

Conventions
-----------
* One generator, np.random.default_rng(11), drawn in a fixed order: the conv
  configs in the order of CONV_CONFIGS (x, w, b if any, gy each), then the
  pool configs in the order of POOL_CONFIGS (x, gy each).
  torch.manual_seed(0) as well, although nothing here draws from torch's RNG.
* torch.set_default_dtype(torch.float64); every computation is float64.
* torch.set_num_threads(1) so reductions are evaluated in a fixed order.
* Saved with np.savez (ZIP_STORED, fixed 1980-01-01 member timestamps), so a
  re-run with the same torch/numpy versions gives byte-identical files.
* Every torch result is also checked against an independent NumPy
  re-implementation (direct summation) before anything is written.
"""

import hashlib
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = HERE
SECTION = "## conv.npz / pool.npz"
SIZE_LIMIT = 200_000  # bytes, conv.npz + pool.npz together

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.manual_seed(0)
rng = np.random.default_rng(11)

# name: (x shape, w shape, bias, stride, padding, dilation, groups)
# NOTE lenet: the requested x (2,1,28,28) with w (20,1,5,5) gives y and gy of
# 2*20*24*24 float64 values each (~370 KB for the pair), which cannot fit the
# 200 KB budget. The layer itself (1->20 channels, 5x5, stride 1, no padding,
# bias) is kept; the input is reduced to (2,1,10,10) -> y (2,20,6,6).
CONV_CONFIGS = [
    ("basic", (2, 3, 9, 9), (4, 3, 3, 3), True, (1, 1), (0, 0), (1, 1), 1),
    ("strided", (2, 3, 9, 9), (5, 3, 3, 3), True, (2, 2), (1, 1), (1, 1), 1),
    ("dilated", (1, 2, 11, 11), (3, 2, 3, 3), True, (1, 1), (2, 2), (2, 2), 1),
    ("grouped", (2, 6, 8, 8), (6, 2, 3, 3), True, (1, 1), (1, 1), (1, 1), 3),
    ("depthwise", (2, 4, 7, 7), (8, 1, 3, 3), False, (2, 2), (1, 1), (1, 1), 4),
    ("rectangular", (1, 2, 10, 11), (3, 2, 3, 5), True, (2, 1), (1, 2), (1, 1), 1),
    ("lenet", (2, 1, 10, 10), (20, 1, 5, 5), True, (1, 1), (0, 0), (1, 1), 1),
]

# name: (kind, x shape, kernel, stride, padding, ceil_mode, count_include_pad)
POOL_CONFIGS = [
    ("max_k2s2", "max", (2, 3, 8, 8), (2, 2), (2, 2), (0, 0), False, True),
    ("max_k3s2p1", "max", (2, 3, 9, 9), (3, 3), (2, 2), (1, 1), False, True),
    ("max_ceil", "max", (1, 2, 8, 8), (3, 3), (2, 2), (0, 0), True, True),
    ("avg_k2s2", "avg", (2, 3, 8, 8), (2, 2), (2, 2), (0, 0), False, True),
    ("avg_pad_include", "avg", (2, 3, 9, 9), (3, 3), (2, 2), (1, 1), False, True),
    ("avg_pad_exclude", "avg", (2, 3, 9, 9), (3, 3), (2, 2), (1, 1), False, False),
]


class Store:
    def __init__(self, fname):
        self.fname = fname
        self.items = []  # (key, array, expr)

    def put(self, key, arr, expr):
        if isinstance(arr, torch.Tensor):
            arr = arr.detach().cpu().numpy()
        arr = np.array(np.asarray(arr), order="C", copy=True)
        if arr.dtype.kind == "f":
            assert arr.dtype == np.float64, key
        else:
            assert arr.dtype == np.int64, key
        if any(k == key for k, _, _ in self.items):
            raise KeyError(f"duplicate key {key} in {self.fname}")
        self.items.append((key, arr, expr))
        return arr

    def save(self):
        np.savez(os.path.join(OUT, self.fname), **{k: a for k, a, _ in self.items})


def T(a, grad=False):
    t = torch.tensor(np.asarray(a), dtype=torch.float64)
    if grad:
        t.requires_grad_(True)
    return t


def check(name, got, ref, tol=1e-12):
    got = np.asarray(got)
    assert got.shape == ref.shape, (name, got.shape, ref.shape)
    err = np.max(np.abs(got - ref) / (1.0 + np.abs(ref))) if ref.size else 0.0
    if not err <= tol:
        raise AssertionError(f"{name}: torch vs numpy reference differ by {err:.3e}")


# ---------------------------------------------------------------------------
# NumPy references (direct summation, independent of torch)
# ---------------------------------------------------------------------------
def out_size(n, k, s, p, d=1, ceil=False):
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff
    o = (-(-num // s) if ceil else num // s) + 1
    if ceil and (o - 1) * s >= n + p:  # torch: last window must start inside input or left padding
        o -= 1
    return o


def np_conv2d(x, w, b, stride, pad, dil, groups, gy):
    N, C, H, W = x.shape
    O, Cg, KH, KW = w.shape
    sh, sw = stride
    ph, pw = pad
    dh, dw_ = dil
    Og = O // groups
    Ho = out_size(H, KH, sh, ph, dh)
    Wo = out_size(W, KW, sw, pw, dw_)
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    xp[:, :, ph:ph + H, pw:pw + W] = x
    y = np.zeros((N, O, Ho, Wo))
    dxp = np.zeros_like(xp)
    dwt = np.zeros_like(w)
    for g in range(groups):
        ci = slice(g * Cg, (g + 1) * Cg)
        co = slice(g * Og, (g + 1) * Og)
        for a in range(KH):
            for c in range(KW):
                rs = slice(a * dh, a * dh + sh * (Ho - 1) + 1, sh)
                cs = slice(c * dw_, c * dw_ + sw * (Wo - 1) + 1, sw)
                patch = xp[:, ci, rs, cs]
                y[:, co] += np.einsum("nchw,oc->nohw", patch, w[co, :, a, c])
                dwt[co, :, a, c] += np.einsum("nohw,nchw->oc", gy[:, co], patch)
                dxp[:, ci, rs, cs] += np.einsum("nohw,oc->nchw", gy[:, co], w[co, :, a, c])
    if b is not None:
        y += b[None, :, None, None]
    db = gy.sum(axis=(0, 2, 3))
    return y, dxp[:, :, ph:ph + H, pw:pw + W], dwt, db


def np_pool2d(kind, x, k, s, p, ceil, include_pad, gy):
    N, C, H, W = x.shape
    Ho = out_size(H, k[0], s[0], p[0], 1, ceil)
    Wo = out_size(W, k[1], s[1], p[1], 1, ceil)
    y = np.zeros((N, C, Ho, Wo))
    dx = np.zeros_like(x)
    for i in range(Ho):
        for j in range(Wo):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = h0 + k[0], w0 + k[1]
            hs, ws = max(h0, 0), max(w0, 0)
            he, we = min(h1, H), min(w1, W)
            win = x[:, :, hs:he, ws:we]
            if kind == "max":
                flat = win.reshape(N, C, -1)
                y[:, :, i, j] = flat.max(axis=2)
                am = flat.argmax(axis=2)
                ww = we - ws
                for n in range(N):
                    for c in range(C):
                        dx[n, c, hs + am[n, c] // ww, ws + am[n, c] % ww] += gy[n, c, i, j]
            else:
                if include_pad:
                    # torch: padded size, clipped to the padded input (matters only with ceil_mode)
                    div = (min(h1, H + p[0]) - h0) * (min(w1, W + p[1]) - w0)
                else:
                    div = (he - hs) * (we - ws)
                y[:, :, i, j] = win.sum(axis=(2, 3)) / div
                dx[:, :, hs:he, ws:we] += gy[:, :, i, j][:, :, None, None] / div
    return y, dx


def assert_no_window_ties(x, k, s, p, ceil):
    N, C, H, W = x.shape
    Ho = out_size(H, k[0], s[0], p[0], 1, ceil)
    Wo = out_size(W, k[1], s[1], p[1], 1, ceil)
    for i in range(Ho):
        for j in range(Wo):
            hs, ws = max(i * s[0] - p[0], 0), max(j * s[1] - p[1], 0)
            he, we = min(i * s[0] - p[0] + k[0], H), min(j * s[1] - p[1] + k[1], W)
            assert he > hs and we > ws, "window entirely in padding"
            flat = x[:, :, hs:he, ws:we].reshape(N * C, -1)
            srt = np.sort(flat, axis=1)
            assert np.all(np.diff(srt, axis=1) > 0), "tie inside a pooling window"


# ---------------------------------------------------------------------------
def _t(v):
    return v[0] if v[0] == v[1] else tuple(v)


def gen_conv():
    s = Store("conv.npz")
    for name, xs, ws, has_bias, stride, pad, dil, groups in CONV_CONFIGS:
        x = rng.standard_normal(xs)
        w = rng.standard_normal(ws)
        b = rng.standard_normal((ws[0],)) if has_bias else None
        Ho = out_size(xs[2], ws[2], stride[0], pad[0], dil[0])
        Wo = out_size(xs[3], ws[3], stride[1], pad[1], dil[1])
        gy = rng.standard_normal((xs[0], ws[0], Ho, Wo))

        xt, wt = T(x, grad=True), T(w, grad=True)
        bt = T(b, grad=True) if has_bias else None
        y = F.conv2d(xt, wt, bt, stride=stride, padding=pad, dilation=dil, groups=groups)
        (y * T(gy)).sum().backward()

        call = (f"F.conv2d(x, w, {'b' if has_bias else 'None'}, stride={_t(stride)}, padding={_t(pad)}, "
                f"dilation={_t(dil)}, groups={groups})")
        s.put(f"{name}_x", x, f"rng.standard_normal({xs})  (NCHW)")
        s.put(f"{name}_w", w, f"rng.standard_normal({ws})  (OIHW = [out, in/groups, kh, kw])")
        if has_bias:
            s.put(f"{name}_b", b, f"rng.standard_normal(({ws[0]},))")
        s.put(f"{name}_gy", gy, f"rng.standard_normal({tuple(gy.shape)})  (upstream gradient, shape of y)")
        yv = s.put(f"{name}_y", y, call)
        dxv = s.put(f"{name}_dx", xt.grad, "d/dx sum(y*gy)")
        dwv = s.put(f"{name}_dw", wt.grad, "d/dw sum(y*gy)")
        if has_bias:
            dbv = s.put(f"{name}_db", bt.grad, "d/db sum(y*gy) = gy.sum((0,2,3))")
        cfg = np.array([stride[0], stride[1], pad[0], pad[1], dil[0], dil[1], groups, int(has_bias)], np.int64)
        s.put(f"{name}_cfg", cfg, "[stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups, has_bias] = "
              + str(cfg.tolist()))

        ry, rdx, rdw, rdb = np_conv2d(x, w, b, stride, pad, dil, groups, gy)
        check(f"{name}_y", yv, ry)
        check(f"{name}_dx", dxv, rdx)
        check(f"{name}_dw", dwv, rdw)
        if has_bias:
            check(f"{name}_db", dbv, rdb)
    s.save()
    return s


def gen_pool():
    s = Store("pool.npz")
    for name, kind, xs, k, st, p, ceil, incl in POOL_CONFIGS:
        n = int(np.prod(xs))
        # distinct values everywhere (so no ties in any window): a permutation of
        # -(n-1)/2 .. (n-1)/2 scaled by 1/8 (exact in binary floating point)
        x = ((rng.permutation(n).astype(np.float64) - (n - 1) / 2.0) / 8.0).reshape(xs)
        assert_no_window_ties(x, k, st, p, ceil)
        Ho = out_size(xs[2], k[0], st[0], p[0], 1, ceil)
        Wo = out_size(xs[3], k[1], st[1], p[1], 1, ceil)
        gy = rng.standard_normal((xs[0], xs[1], Ho, Wo))

        xt = T(x, grad=True)
        if kind == "max":
            y = F.max_pool2d(xt, _t(k), _t(st), padding=_t(p), ceil_mode=ceil)
            call = f"F.max_pool2d(x, {_t(k)}, {_t(st)}, padding={_t(p)}, ceil_mode={ceil})"
        else:
            y = F.avg_pool2d(xt, _t(k), _t(st), padding=_t(p), ceil_mode=ceil, count_include_pad=incl)
            call = (f"F.avg_pool2d(x, {_t(k)}, {_t(st)}, padding={_t(p)}, ceil_mode={ceil}, "
                    f"count_include_pad={incl})")
        assert tuple(y.shape) == gy.shape, (name, y.shape, gy.shape)
        (y * T(gy)).sum().backward()

        s.put(f"{name}_x", x, f"(rng.permutation({n}) - {(n - 1) / 2}) / 8, reshaped to {xs}  (all values distinct)")
        s.put(f"{name}_gy", gy, f"rng.standard_normal({tuple(gy.shape)})  (upstream gradient)")
        yv = s.put(f"{name}_y", y, call)
        dxv = s.put(f"{name}_dx", xt.grad, "d/dx sum(y*gy)")
        cfg = np.array([k[0], k[1], st[0], st[1], p[0], p[1], int(ceil), int(incl)], np.int64)
        s.put(f"{name}_cfg", cfg, "[kh, kw, sh, sw, ph, pw, ceil_mode, count_include_pad] = " + str(cfg.tolist()))

        ry, rdx = np_pool2d(kind, x, k, st, p, ceil, incl, gy)
        check(f"{name}_y", yv, ry)
        check(f"{name}_dx", dxv, rdx)
    s.save()
    return s


# ---------------------------------------------------------------------------
def _cell(text):
    return str(text).replace("|", "\\|")


def _fmt_shape(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _table(items):
    L = ["| key | dtype | shape | torch expression / config |", "|---|---|---|---|"]
    for k, a, expr in items:
        L.append(f"| `{k}` | {a.dtype} | {_fmt_shape(a.shape) if a.ndim else '0-d'} | `{_cell(expr)}` |")
    return L


def manifest_section(conv, pool):
    notes = [
        "Generated by `Tests/Fixtures/torch/generate_conv_fixtures.py` (torch %s, numpy %s; "
        "`np.random.default_rng(11)`, `torch.set_default_dtype(torch.float64)`, CPU, 1 thread), not by "
        "generate_torch_fixtures.py; that script rewrites this file, so run generate_conv_fixtures.py after it."
        % (torch.__version__, np.__version__),
        "Draw order: conv configs in table order (x, w, b if any, gy), then pool configs in table order (x, gy).",
        "Every `{name}_y`, `{name}_dx`, `{name}_dw`, `{name}_db` was also checked against an independent NumPy "
        "direct-summation re-implementation (max |torch - numpy| / (1 + |numpy|) <= 1e-12).",
        "Conv layout: x is NCHW, w is PyTorch OIHW = [out, in/groups, kh, kw]; output channel o belongs to "
        "group o // (out/groups) and reads input channels [g*in/groups, (g+1)*in/groups). "
        "Output size = floor((H + 2*pad - dil*(k-1) - 1)/stride) + 1. `{name}_cfg` = "
        "[stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups, has_bias] (int64); there is no `{name}_b` / "
        "`{name}_db` when has_bias = 0 (depthwise). Gradients are of sum(y * gy).",
        "Deviation from the requested lenet config: x is (2,1,10,10) instead of (2,1,28,28). With 28x28, y and gy "
        "would be 2*20*24*24 float64 values each (~370 KB for the pair), over the 200 KB budget for conv.npz + "
        "pool.npz. The layer is LeNet's first one unchanged (w (20,1,5,5), bias, stride 1, no padding).",
        "Pool: `{name}_cfg` = [kh, kw, sh, sw, ph, pw, ceil_mode, count_include_pad] (int64; "
        "count_include_pad is 1 for max pools, where it means nothing). Max pools pad with -inf. Output size = "
        "floor((H + 2p - k)/s) + 1, or ceil(...) + 1 with ceil_mode, minus 1 if the last window would start at or "
        "beyond H + p (torch rule; max_ceil: H=8, k=3, s=2 -> 4, last window rows 6..7 only).",
        "Pool inputs: every x is a permutation of distinct values (k - (n-1)/2)/8, k = 0..n-1, so no pooling "
        "window has a tie and each max-pool output routes its gradient to exactly one input; overlapping windows "
        "(k=3, s=2) add up in dx. avg_pad_include divides by 9 everywhere; avg_pad_exclude divides by the number "
        "of in-image elements (4 in corners, 6 on edges, 9 inside).",
    ]
    L = [SECTION, ""]
    for n in notes:
        L.append(f"- Note: {_cell(n)}")
    L += ["", "### conv.npz", ""] + _table(conv.items) + ["", "### pool.npz", ""] + _table(pool.items) + [""]
    return L


def update_manifest(section_lines):
    path = os.path.join(OUT, "MANIFEST.md")
    with open(path) as fh:
        lines = fh.read().split("\n")
    # split into: head (before our section), our old section, tail (next "## " section on)
    try:
        start = lines.index(SECTION)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        head, tail = lines[:start], lines[end:]
    except ValueError:
        head, tail = lines, []
        if head and head[-1] == "":  # file ends with "\n": drop the empty last element
            head = head[:-1]
        if head and head[-1] != "":
            head.append("")
    new = head + section_lines
    if tail:
        new += tail
    with open(path, "w") as fh:
        fh.write("\n".join(new))


def main():
    conv = gen_conv()
    pool = gen_pool()
    update_manifest(manifest_section(conv, pool))
    total = 0
    print(f"DeepSwift conv/pool fixtures -> {OUT}  (torch {torch.__version__}, numpy {np.__version__})")
    for fname in ["conv.npz", "pool.npz", "MANIFEST.md"]:
        p = os.path.join(OUT, fname)
        sz = os.path.getsize(p)
        if fname.endswith(".npz"):
            total += sz
        with open(p, "rb") as fh:
            h = hashlib.sha256(fh.read()).hexdigest()[:12]
        print(f"  {fname:12s} {sz:7d} B  sha256:{h}")
    print(f"  conv.npz + pool.npz: {total} bytes ({total / 1024:.1f} KiB)")
    if total >= SIZE_LIMIT:
        print(f"ERROR: conv.npz + pool.npz exceed {SIZE_LIMIT} bytes", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
