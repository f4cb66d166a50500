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

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_tools as ft  # noqa: E402
from fixture_tools import T, check, fmt_arg, out_size  # noqa: E402

OUT = HERE
SECTION = "## conv.npz / pool.npz"
SIZE_LIMIT = 200_000  # bytes, conv.npz + pool.npz together

ft.setup_torch()
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


# ---------------------------------------------------------------------------
# NumPy references: fixture_tools.np_convNd / np_poolNd (direct summation, independent of torch)
# ---------------------------------------------------------------------------
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
def gen_conv():
    s = ft.Store("conv.npz", OUT, dtypes="float64/int64")
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

        call = (f"F.conv2d(x, w, {'b' if has_bias else 'None'}, stride={fmt_arg(stride)}, padding={fmt_arg(pad)}, "
                f"dilation={fmt_arg(dil)}, groups={groups})")
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

        ry, rdx, rdw, rdb = ft.np_convNd(x, w, b, stride, pad, dil, groups, gy)
        check(f"{name}_y", yv, ry)
        check(f"{name}_dx", dxv, rdx)
        check(f"{name}_dw", dwv, rdw)
        if has_bias:
            check(f"{name}_db", dbv, rdb)
    s.save()
    return s


def gen_pool():
    s = ft.Store("pool.npz", OUT, dtypes="float64/int64")
    for name, kind, xs, k, st, p, ceil, incl in POOL_CONFIGS:
        n = int(np.prod(xs))
        # distinct values everywhere (so no ties in any window): a permutation of
        # -(n-1)/2 .. (n-1)/2 scaled by 1/8 (exact in binary floating point)
        x = ft.tie_free(rng, xs)
        assert_no_window_ties(x, k, st, p, ceil)
        Ho = out_size(xs[2], k[0], st[0], p[0], 1, ceil)
        Wo = out_size(xs[3], k[1], st[1], p[1], 1, ceil)
        gy = rng.standard_normal((xs[0], xs[1], Ho, Wo))

        xt = T(x, grad=True)
        if kind == "max":
            y = F.max_pool2d(xt, fmt_arg(k), fmt_arg(st), padding=fmt_arg(p), ceil_mode=ceil)
            call = f"F.max_pool2d(x, {fmt_arg(k)}, {fmt_arg(st)}, padding={fmt_arg(p)}, ceil_mode={ceil})"
        else:
            y = F.avg_pool2d(xt, fmt_arg(k), fmt_arg(st), padding=fmt_arg(p), ceil_mode=ceil, count_include_pad=incl)
            call = (f"F.avg_pool2d(x, {fmt_arg(k)}, {fmt_arg(st)}, padding={fmt_arg(p)}, ceil_mode={ceil}, "
                    f"count_include_pad={incl})")
        assert tuple(y.shape) == gy.shape, (name, y.shape, gy.shape)
        (y * T(gy)).sum().backward()

        s.put(f"{name}_x", x, f"(rng.permutation({n}) - {(n - 1) / 2}) / 8, reshaped to {xs}  (all values distinct)")
        s.put(f"{name}_gy", gy, f"rng.standard_normal({tuple(gy.shape)})  (upstream gradient)")
        yv = s.put(f"{name}_y", y, call)
        dxv = s.put(f"{name}_dx", xt.grad, "d/dx sum(y*gy)")
        cfg = np.array([k[0], k[1], st[0], st[1], p[0], p[1], int(ceil), int(incl)], np.int64)
        s.put(f"{name}_cfg", cfg, "[kh, kw, sh, sw, ph, pw, ceil_mode, count_include_pad] = " + str(cfg.tolist()))

        ry, rdx = ft.np_poolNd(kind, x, k, st, p, incl, gy, ceil=ceil)
        check(f"{name}_y", yv, ry)
        check(f"{name}_dx", dxv, rdx)
    s.save()
    return s


# ---------------------------------------------------------------------------
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
    L = ft.section_lines(SECTION, notes)
    L += ["", "### conv.npz", ""] + ft.table_lines(conv.items)
    L += ["", "### pool.npz", ""] + ft.table_lines(pool.items) + [""]
    return L


def main():
    conv = gen_conv()
    pool = gen_pool()
    ft.replace_manifest_section(os.path.join(OUT, "MANIFEST.md"), SECTION, manifest_section(conv, pool))
    print(f"DeepSwift conv/pool fixtures -> {OUT}  (torch {torch.__version__}, numpy {np.__version__})")
    sizes = ft.print_file_summary(OUT, ["conv.npz", "pool.npz", "MANIFEST.md"], 12)
    total = sizes["conv.npz"] + sizes["pool.npz"]
    print(f"  conv.npz + pool.npz: {total} bytes ({total / 1024:.1f} KiB)")
    if total >= SIZE_LIMIT:
        print(f"ERROR: conv.npz + pool.npz exceed {SIZE_LIMIT} bytes", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
