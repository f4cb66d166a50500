#!/usr/bin/env python3
"""Generate PyTorch reference fixtures for DeepSwift's extra convolution / pooling /
resampling ops: ConvTranspose2D, Conv1D, Conv3D, MaxPool3D, AvgPool1D, MaxPool1D,
bilinear upsampling and adaptive average pooling.

Usage (needs numpy + torch; CPU is enough):

    /work/venv-torch/bin/python Tests/Fixtures/torch/generate_conv_extra_fixtures.py

Writes conv_extra.npz next to this script and adds (or replaces) the section
"## conv_extra.npz" in MANIFEST.md (from that heading up to the next "## "
heading). Every other section of MANIFEST.md is left byte-for-byte as it is.
(generate_torch_fixtures.py rewrites MANIFEST.md from scratch, so run this
script after it.)

Conventions
-----------
* One generator, np.random.default_rng(41), drawn in a fixed order: the cases
  in the order of CASES; inside a case x, w, b (if any), then gy.
  torch.manual_seed(0) as well, although nothing here draws from torch's RNG.
* torch.set_default_dtype(torch.float64); every computation is float64.
* torch.set_num_threads(1) so reductions are evaluated in a fixed order.
* Saved with np.savez (ZIP_STORED, fixed 1980-01-01 member timestamps), so a
  re-run with the same torch/numpy versions gives byte-identical files.
* Every torch result is also checked against an independent NumPy
  re-implementation (direct summation / explicit interpolation matrices)
  before anything is written.
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_tools as ft  # noqa: E402
from fixture_tools import (T, check, convT_out, fmt_arg, np_convNd, np_convTNd, np_poolNd,  # noqa: E402
                           out_size)

OUT = HERE
FNAME = "conv_extra.npz"
SECTION = "## conv_extra.npz"
SIZE_LIMIT = 150_000  # bytes

ft.setup_torch()
rng = np.random.default_rng(41)


# ---------------------------------------------------------------------------
# NumPy references (independent of torch); np_convNd, np_convTNd, np_poolNd
# (direct summation / scatter) are in fixture_tools.
# ---------------------------------------------------------------------------
def bilinear_matrix(n_in, n_out):
    """1-D linear interpolation matrix (n_out, n_in), torch align_corners=False, size given."""
    A = np.zeros((n_out, n_in))
    scale = n_in / n_out
    for i in range(n_out):
        src = max(scale * (i + 0.5) - 0.5, 0.0)
        i0 = int(math.floor(src))
        i1 = i0 + 1 if i0 < n_in - 1 else i0
        l1 = src - i0
        A[i, i0] += 1.0 - l1
        A[i, i1] += l1
    return A


def adaptive_matrix(n_in, n_out):
    """1-D adaptive average matrix (n_out, n_in): window [floor(i*n/o), ceil((i+1)*n/o))."""
    A = np.zeros((n_out, n_in))
    for i in range(n_out):
        a = (i * n_in) // n_out
        e = -(-((i + 1) * n_in) // n_out)
        A[i, a:e] = 1.0 / (e - a)
    return A


def np_separable2d(x, Ah, Aw, gy):
    y = np.einsum("ih,nchw,jw->ncij", Ah, x, Aw)
    dx = np.einsum("ih,ncij,jw->nchw", Ah, gy, Aw)
    return y, dx


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------
NOTES_CFG = {}  # name -> cfg layout text


def _conv_common(s, name, x, w, b, gy, call, y, xt, wt, bt, ref, cfg, cfg_doc, x_doc, w_doc):
    """Store x, w, b, gy, y, dx, dw, db, cfg in the fixed key order and check against ref."""
    s.put(f"{name}_x", x, x_doc)
    s.put(f"{name}_w", w, w_doc)
    if b is not None:
        s.put(f"{name}_b", b, f"rng.standard_normal(({b.shape[0]},))")
    s.put(f"{name}_gy", gy, f"rng.standard_normal({tuple(gy.shape)})  (upstream gradient, shape of y)")
    yv = s.put(f"{name}_y", y, call)
    dxv = s.put(f"{name}_dx", xt.grad, "d/dx sum(y*gy)")
    dwv = s.put(f"{name}_dw", wt.grad, "d/dw sum(y*gy)")
    if b is not None:
        red = "(0," + ",".join(str(i) for i in range(2, y.dim())) + ")"
        dbv = s.put(f"{name}_db", bt.grad, f"d/db sum(y*gy) = gy.sum({red})")
    cfg = np.array(cfg, np.int64)
    s.put(f"{name}_cfg", cfg, f"{cfg_doc} = {cfg.tolist()}")
    NOTES_CFG[name] = cfg_doc
    ry, rdx, rdw, rdb = ref
    check(f"{name}_y", yv, ry)
    check(f"{name}_dx", dxv, rdx)
    check(f"{name}_dw", dwv, rdw)
    if b is not None:
        check(f"{name}_db", dbv, rdb)


def case_convT(s, name, xs, ws, has_bias, stride, pad, outpad, groups):
    dil = (1, 1)
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    b = rng.standard_normal((ws[1] * groups,)) if has_bias else None
    Os = tuple(convT_out(xs[2 + i], ws[2 + i], stride[i], pad[i], outpad[i], dil[i]) for i in range(2))
    gy = rng.standard_normal((xs[0], ws[1] * groups) + Os)

    xt, wt = T(x, grad=True), T(w, grad=True)
    bt = T(b, grad=True) if has_bias else None
    y = F.conv_transpose2d(xt, wt, bt, stride=stride, padding=pad, output_padding=outpad, groups=groups,
                           dilation=dil)
    assert tuple(y.shape) == gy.shape, (name, y.shape, gy.shape)
    (y * T(gy)).sum().backward()
    call = (f"F.conv_transpose2d(x, w, {'b' if has_bias else 'None'}, stride={fmt_arg(stride)}, "
            f"padding={fmt_arg(pad)}, output_padding={fmt_arg(outpad)}, groups={groups}, dilation=1)")
    ref = np_convTNd(x, w, b, stride, pad, outpad, dil, groups, gy)
    _conv_common(s, name, x, w, b, gy, call, y, xt, wt, bt, ref,
                 [*stride, *pad, *outpad, groups, *dil, int(has_bias)],
                 "[stride_h, stride_w, pad_h, pad_w, outpad_h, outpad_w, groups, dil_h, dil_w, has_bias]",
                 f"rng.standard_normal({xs})  (NCHW)",
                 f"rng.standard_normal({ws})  ([in, out/groups, kh, kw], PyTorch ConvTranspose layout)")


def case_conv(s, name, fn, fname, xs, ws, has_bias, stride, pad, dil, groups):
    nd = len(xs) - 2
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    b = rng.standard_normal((ws[0],)) if has_bias else None
    Os = tuple(out_size(xs[2 + i], ws[2 + i], stride[i], pad[i], dil[i]) for i in range(nd))
    gy = rng.standard_normal((xs[0], ws[0]) + Os)

    xt, wt = T(x, grad=True), T(w, grad=True)
    bt = T(b, grad=True) if has_bias else None
    y = fn(xt, wt, bt, stride=stride, padding=pad, dilation=dil, groups=groups)
    assert tuple(y.shape) == gy.shape, (name, y.shape, gy.shape)
    (y * T(gy)).sum().backward()
    call = (f"{fname}(x, w, {'b' if has_bias else 'None'}, stride={fmt_arg(stride)}, padding={fmt_arg(pad)}, "
            f"dilation={fmt_arg(dil)}, groups={groups})")
    ref = np_convNd(x, w, b, stride, pad, dil, groups, gy)
    if nd == 1:
        doc = "[stride, pad, dil, groups, has_bias]"
    else:
        dims = ["d", "h", "w"]
        doc = ("[" + ", ".join([f"stride_{d}" for d in dims] + [f"pad_{d}" for d in dims]
                               + [f"dil_{d}" for d in dims] + ["groups", "has_bias"]) + "]")
    layout = "NCL" if nd == 1 else "NCDHW"
    wl = "[out, in/groups, k]" if nd == 1 else "[out, in/groups, kd, kh, kw]"
    _conv_common(s, name, x, w, b, gy, call, y, xt, wt, bt, ref,
                 [*stride, *pad, *dil, groups, int(has_bias)], doc,
                 f"rng.standard_normal({xs})  ({layout})", f"rng.standard_normal({ws})  ({wl})")


def _pool_store(s, name, x, x_doc, gy, y, xt, call, ref, cfg, cfg_doc):
    s.put(f"{name}_x", x, x_doc)
    s.put(f"{name}_gy", gy, f"rng.standard_normal({tuple(gy.shape)})  (upstream gradient, shape of y)")
    yv = s.put(f"{name}_y", y, call)
    dxv = s.put(f"{name}_dx", xt.grad, "d/dx sum(y*gy)")
    cfg = np.array(cfg, np.int64)
    s.put(f"{name}_cfg", cfg, f"{cfg_doc} = {cfg.tolist()}")
    NOTES_CFG[name] = cfg_doc
    ry, rdx = ref
    check(f"{name}_y", yv, ry)
    check(f"{name}_dx", dxv, rdx)


def case_pool(s, name, kind, xs, k, st, p, incl):
    nd = len(xs) - 2
    n = int(np.prod(xs))
    if kind == "max":
        x = ft.tie_free(rng, xs)
        x_doc = f"(rng.permutation({n}) - {(n - 1) / 2}) / 8, reshaped to {xs}  (all values distinct)"
    else:
        x = rng.standard_normal(xs)
        x_doc = f"rng.standard_normal({xs})"
    Os = tuple(out_size(xs[2 + i], k[i], st[i], p[i]) for i in range(nd))
    gy = rng.standard_normal(xs[:2] + Os)

    xt = T(x, grad=True)
    kk, ss, pp = (k[0], st[0], p[0]) if nd == 1 else (tuple(k), tuple(st), tuple(p))
    if kind == "max":
        fn = F.max_pool1d if nd == 1 else F.max_pool3d
        y = fn(xt, kk, ss, padding=pp, ceil_mode=False)
        call = f"F.max_pool{nd}d(x, {kk}, {ss}, padding={pp}, ceil_mode=False)"
    else:
        assert nd == 1
        y = F.avg_pool1d(xt, kk, ss, padding=pp, ceil_mode=False, count_include_pad=incl)
        call = f"F.avg_pool1d(x, {kk}, {ss}, padding={pp}, ceil_mode=False, count_include_pad={incl})"
    assert tuple(y.shape) == gy.shape, (name, y.shape, gy.shape)
    (y * T(gy)).sum().backward()
    ref = np_poolNd(kind, x, k, st, p, incl, gy)
    dims = ["l"] if nd == 1 else ["d", "h", "w"]
    names = [f"k_{d}" for d in dims] + [f"stride_{d}" for d in dims] + [f"pad_{d}" for d in dims] + ["ceil_mode"]
    cfg = [*k, *st, *p, 0]
    if kind == "avg":
        names.append("count_include_pad")
        cfg.append(int(incl))
    if nd == 1:
        names = [nm.replace("_l", "") for nm in names]
    _pool_store(s, name, x, x_doc, gy, y, xt, call, ref, cfg, "[" + ", ".join(names) + "]")


def case_bilinear(s, name, xs, size):
    x = rng.standard_normal(xs)
    gy = rng.standard_normal(xs[:2] + tuple(size))
    xt = T(x, grad=True)
    y = F.interpolate(xt, size=tuple(size), mode="bilinear", align_corners=False)
    assert tuple(y.shape) == gy.shape
    (y * T(gy)).sum().backward()
    call = f"F.interpolate(x, size={tuple(size)}, mode='bilinear', align_corners=False)"
    ref = np_separable2d(x, bilinear_matrix(xs[2], size[0]), bilinear_matrix(xs[3], size[1]), gy)
    _pool_store(s, name, x, f"rng.standard_normal({xs})", gy, y, xt, call, ref, [*size, 0],
                "[out_h, out_w, align_corners]")


def case_adaptive(s, name, xs, size):
    x = rng.standard_normal(xs)
    gy = rng.standard_normal(xs[:2] + tuple(size))
    xt = T(x, grad=True)
    y = F.adaptive_avg_pool2d(xt, tuple(size))
    assert tuple(y.shape) == gy.shape
    (y * T(gy)).sum().backward()
    call = f"F.adaptive_avg_pool2d(x, {tuple(size)})"
    ref = np_separable2d(x, adaptive_matrix(xs[2], size[0]), adaptive_matrix(xs[3], size[1]), gy)
    _pool_store(s, name, x, f"rng.standard_normal({xs})", gy, y, xt, call, ref, [*size],
                "[out_h, out_w]")


def gen():
    s = ft.Store(FNAME, OUT, dtypes="float64/int64")
    # name, xs, ws, bias, stride, padding, output_padding, groups
    case_convT(s, "convT_basic", (2, 4, 5, 5), (4, 3, 3, 3), True, (1, 1), (0, 0), (0, 0), 1)
    case_convT(s, "convT_strided", (1, 4, 4, 5), (4, 2, 3, 2), True, (2, 1), (1, 0), (1, 0), 1)
    case_convT(s, "convT_grouped", (2, 4, 3, 3), (4, 3, 3, 3), False, (2, 2), (1, 1), (0, 0), 2)
    # name, fn, xs, ws, bias, stride, padding, dilation, groups
    case_conv(s, "conv1d", F.conv1d, "F.conv1d", (2, 3, 11), (5, 3, 3), True, (2,), (1,), (2,), 1)
    case_conv(s, "conv3d", F.conv3d, "F.conv3d", (1, 2, 4, 5, 5), (3, 2, 2, 3, 3), True,
              (1, 2, 1), (1, 1, 0), (1, 1, 1), 1)
    # name, kind, xs, kernel, stride, padding, count_include_pad
    case_pool(s, "maxpool3d", "max", (1, 2, 4, 4, 6), (2, 2, 3), (2, 2, 3), (0, 0, 0), True)
    case_pool(s, "avgpool1d", "avg", (2, 3, 9), (3,), (2,), (1,), True)
    case_pool(s, "maxpool1d", "max", (2, 3, 9), (3,), (2,), (1,), True)
    case_bilinear(s, "bilinear", (1, 2, 3, 4), (5, 7))
    case_adaptive(s, "adaptive", (2, 3, 7, 5), (3, 2))
    s.save()
    return s


# ---------------------------------------------------------------------------
def manifest_section(s):
    notes = [
        "Generated by `Tests/Fixtures/torch/generate_conv_extra_fixtures.py` (torch %s, numpy %s; "
        "`np.random.default_rng(41)`, `torch.set_default_dtype(torch.float64)`, CPU, 1 thread), not by "
        "generate_torch_fixtures.py; that script rewrites this file, so run generate_conv_extra_fixtures.py "
        "after it." % (torch.__version__, np.__version__),
        "Draw order: cases in table order; inside a case x, w, b (if any), gy (the rng-drawn keys in table "
        "order). Max-pool inputs use rng.permutation instead of rng.standard_normal.",
        "Every `{name}_y`, `{name}_dx`, `{name}_dw`, `{name}_db` was also checked against an independent NumPy "
        "re-implementation (direct summation / scatter for the convolutions and pools, explicit 1-D "
        "interpolation / averaging matrices for bilinear and adaptive; "
        "max |torch - numpy| / (1 + |numpy|) <= 1e-12). Gradients are of sum(y * gy).",
        "ConvTranspose2d: x is NCHW, w is PyTorch's ConvTranspose layout [in, out/groups, kh, kw]; output "
        "channels = groups * w.shape[1] (convT_grouped: 2 * 3 = 6); input channel c belongs to group "
        "c // (in/groups). y[n, g*Og + o, i*s - p + k] += x[n, c, i] * w[c, o, k] (cropped to the output). "
        "Output size = (H - 1)*stride - 2*pad + dil*(k - 1) + output_padding + 1 (convT_basic 7x7, "
        "convT_strided 8x6, convT_grouped 5x5).",
        "Conv1d / Conv3d: x is NCL / NCDHW, w is [out, in/groups, k...]; output size per axis = "
        "floor((n + 2*pad - dil*(k - 1) - 1)/stride) + 1 (conv1d L = 5; conv3d 5x3x3).",
        "Pools: ceil_mode = False everywhere; max pools pad with -inf. maxpool3d windows tile the input exactly "
        "(no overlap, no padding). avgpool1d (count_include_pad=True) always divides by 3, also for the "
        "windows that reach into the padding (first and last). Max-pool inputs are permutations of the "
        "distinct values (k - (n-1)/2)/8, k = 0..n-1, so no window has a tie and each output routes its "
        "gradient to exactly one input; overlapping windows (k=3, s=2) add up in dx.",
        "bilinear: torch align_corners=False with an explicit size: src = max((dst + 0.5)*in/out - 0.5, 0), "
        "i0 = floor(src), i1 = min(i0 + 1, in - 1), weights (1 - (src - i0), src - i0), separably in H and W.",
        "adaptive: window for output i along an axis of length n -> o is [floor(i*n/o), ceil((i+1)*n/o)) "
        "(H 7 -> 3: rows 0..2, 2..4, 4..6; W 5 -> 2: cols 0..2, 2..4; inclusive, so neighbouring windows share "
        "a row / column), average over the window.",
        "`{name}_cfg` (int64) lists the integer hyper-parameters in the order of the torch call; parameters "
        "left at their default are included with their default value (except max-pool dilation, always 1, "
        "which is not listed), and has_bias (1 = `{name}_b` / `{name}_db` present) ends the conv layouts. "
        "Layouts: "
        + "; ".join(f"{k}: {v}" for k, v in NOTES_CFG.items()) + ".",
    ]
    L = ft.section_lines(SECTION, notes)
    L += ["", "### conv_extra.npz", ""] + ft.table_lines(s.items) + [""]
    return L


def main():
    s = gen()
    ft.replace_manifest_section(os.path.join(OUT, "MANIFEST.md"), SECTION, manifest_section(s))
    print(f"DeepSwift conv_extra fixtures -> {OUT}  (torch {torch.__version__}, numpy {np.__version__})")
    ft.print_file_summary(OUT, [FNAME, "MANIFEST.md"], 16)
    sz = os.path.getsize(os.path.join(OUT, FNAME))
    print(f"  {FNAME}: {sz} bytes ({sz / 1024:.1f} KiB), {len(s.items)} arrays")
    if sz >= SIZE_LIMIT:
        print(f"ERROR: {FNAME} exceeds {SIZE_LIMIT} bytes", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
