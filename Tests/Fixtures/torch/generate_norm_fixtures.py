#!/usr/bin/env python3
"""Generate PyTorch reference fixtures for DeepSwift's normalization layers.

Usage (needs numpy + torch; CPU is enough):

    /work/venv-torch/bin/python Tests/Fixtures/torch/generate_norm_fixtures.py

Writes norm.npz next to this script and adds (or replaces) the section
"## norm.npz" in MANIFEST.md, from that heading up to (not including) the next
"## " heading. Every other section of MANIFEST.md is left byte-for-byte as it
is. (generate_torch_fixtures.py rewrites MANIFEST.md from scratch, so run this
script -- and generate_conv_fixtures.py -- after it.)

Cases: BatchNorm2d (train / eval / affine=False), BatchNorm1d (train),
LayerNorm, GroupNorm, InstanceNorm2d, LocalResponseNorm. For each: inputs,
parameters, a random upstream gradient `{name}_gy`, the output `{name}_y`, and
the gradients of sum(y * gy) w.r.t. the input (`{name}_dx`) and the affine
parameters (`{name}_dweight`, `{name}_dbias`). Training-mode BatchNorm cases
also store the running statistics after the single forward pass.

Conventions
-----------
* One generator, np.random.default_rng(21), drawn in a fixed order: the cases
  in the order of this file, and inside each case in the order the keys are
  listed in MANIFEST.md (x, weight, bias, running stats if given, gy).
  torch.manual_seed(0) as well, although nothing here draws from torch's RNG.
* torch.set_default_dtype(torch.float64); every computation is float64.
* torch.set_num_threads(1) so reductions are evaluated in a fixed order.
* Saved with np.savez (ZIP_STORED, fixed 1980-01-01 member timestamps), so a
  re-run with the same torch/numpy versions gives byte-identical files.
* Every torch result is also checked against an independent NumPy
  re-implementation (closed-form forward and backward) before anything is
  written.
"""

import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_tools as ft  # noqa: E402
from fixture_tools import T, check  # noqa: E402

OUT = HERE
FNAME = "norm.npz"
SECTION = "## norm.npz"
SIZE_LIMIT = 120_000  # bytes

ft.setup_torch()
rng = np.random.default_rng(21)

MODULES = []  # (case name, constructor call as written, repr(module), mode)


# ---------------------------------------------------------------------------
# NumPy references (closed form, independent of torch)
# ---------------------------------------------------------------------------
def np_normalize(x, axes, eps, gy_hat):
    """xhat = (x - mean) / sqrt(var + eps) over `axes` (biased var).

    Returns xhat, mean, biased var, and dx given dL/dxhat = gy_hat."""
    m = int(np.prod([x.shape[a] for a in axes]))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv
    s1 = gy_hat.sum(axis=axes, keepdims=True)
    s2 = (gy_hat * xhat).sum(axis=axes, keepdims=True)
    dx = inv / m * (m * gy_hat - s1 - xhat * s2)
    return xhat, mean, var, dx


def chan(v, ndim):
    """(C,) -> broadcastable over dim 1 of an ndim array."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def np_batchnorm_train(x, w, b, eps, momentum, gy, rm0, rv0):
    axes = tuple(a for a in range(x.ndim) if a != 1)
    m = int(np.prod([x.shape[a] for a in axes]))
    wb = chan(w, x.ndim) if w is not None else 1.0
    xhat, mean, var, dx = np_normalize(x, axes, eps, gy * wb)
    y = xhat * wb + (chan(b, x.ndim) if b is not None else 0.0)
    dw = (gy * xhat).sum(axis=axes)
    db = gy.sum(axis=axes)
    rm = (1 - momentum) * rm0 + momentum * mean.reshape(-1)
    rv = (1 - momentum) * rv0 + momentum * var.reshape(-1) * m / (m - 1)  # unbiased for the running update
    return y, dx, dw, db, rm, rv


def np_batchnorm_eval(x, w, b, eps, rm, rv, gy):
    axes = (0, 2, 3)
    inv = 1.0 / np.sqrt(chan(rv, 4) + eps)
    xhat = (x - chan(rm, 4)) * inv
    y = xhat * chan(w, 4) + chan(b, 4)
    dx = gy * chan(w, 4) * inv
    return y, dx, (gy * xhat).sum(axis=axes), gy.sum(axis=axes)


def np_layernorm(x, w, b, eps, gy):
    k = w.ndim
    axes = tuple(range(x.ndim - k, x.ndim))
    xhat, _, _, dx = np_normalize(x, axes, eps, gy * w)
    lead = tuple(range(x.ndim - k))
    return xhat * w + b, dx, (gy * xhat).sum(axis=lead), gy.sum(axis=lead)


def np_groupnorm(x, G, w, b, eps, gy):
    N, C = x.shape[:2]
    wb = chan(w, x.ndim)
    xg = x.reshape(N, G, -1)
    gyg = (gy * wb).reshape(N, G, -1)
    xhat, _, _, dx = np_normalize(xg, (2,), eps, gyg)
    xhat = xhat.reshape(x.shape)
    red = tuple(a for a in range(x.ndim) if a != 1)
    return xhat * wb + chan(b, x.ndim), dx.reshape(x.shape), (gy * xhat).sum(axis=red), gy.sum(axis=red)


def np_instancenorm(x, w, b, eps, gy):
    wb = chan(w, x.ndim)
    xhat, _, _, dx = np_normalize(x, (2, 3), eps, gy * wb)
    return xhat * wb + chan(b, x.ndim), dx, (gy * xhat).sum(axis=(0, 2, 3)), gy.sum(axis=(0, 2, 3))


def np_lrn(x, size, alpha, beta, k, gy):
    C = x.shape[1]
    lo, hi = size // 2, (size - 1) // 2  # window of channel c: [c - lo, c + hi] clipped to [0, C)
    D = np.empty_like(x)
    for c in range(C):
        a, e = max(c - lo, 0), min(c + hi, C - 1)
        D[:, c] = k + alpha / size * (x[:, a:e + 1] ** 2).sum(axis=1)
    y = x * D ** (-beta)
    t = gy * x * D ** (-beta - 1)
    dx = gy * D ** (-beta)
    for i in range(C):
        # output channels whose window contains channel i: c in [i - hi, i + lo]
        a, e = max(i - hi, 0), min(i + lo, C - 1)
        dx[:, i] -= 2.0 * alpha * beta / size * x[:, i] * t[:, a:e + 1].sum(axis=1)
    return y, dx


# ---------------------------------------------------------------------------
def run(module, x, gy):
    xt = T(x, grad=True)
    y = module(xt)
    assert tuple(y.shape) == gy.shape
    (y * T(gy)).sum().backward()
    return y, xt.grad


def set_affine(module, w, b):
    with torch.no_grad():
        module.weight.copy_(T(w))
        module.bias.copy_(T(b))


def put_param_grads(s, name, module, refs):
    dwv = s.put(f"{name}_dweight", module.weight.grad, "d/dweight sum(y*gy)")
    dbv = s.put(f"{name}_dbias", module.bias.grad, "d/dbias sum(y*gy)")
    check(f"{name}_dweight", dwv, refs[0])
    check(f"{name}_dbias", dbv, refs[1])


def w_expr(shape):
    return f"rng.uniform(0.5, 1.5, {shape})"


def b_expr(shape):
    return f"rng.standard_normal({shape})"


def gen():
    s = ft.Store(FNAME, OUT, dtypes="float64")

    # --- bn2d_train -------------------------------------------------------
    name, xs, C = "bn2d_train", (4, 3, 5, 5), 3
    x = rng.standard_normal(xs) * 2 + 1
    w = rng.uniform(0.5, 1.5, (C,))
    b = rng.standard_normal((C,))
    gy = rng.standard_normal(xs)
    mod = nn.BatchNorm2d(3, eps=1e-5, momentum=0.1)
    MODULES.append((name, "nn.BatchNorm2d(3, eps=1e-5, momentum=0.1)", repr(mod), "train()"))
    mod.train()
    set_affine(mod, w, b)
    y, dx = run(mod, x, gy)
    s.put(f"{name}_x", x, f"rng.standard_normal({xs}) * 2 + 1  (NCHW)")
    s.put(f"{name}_weight", w, w_expr((C,)))
    s.put(f"{name}_bias", b, b_expr((C,)))
    s.put(f"{name}_gy", gy, f"rng.standard_normal({xs})  (upstream gradient)")
    ry, rdx, rdw, rdb, rrm, rrv = np_batchnorm_train(x, w, b, 1e-5, 0.1, gy, np.zeros(C), np.ones(C))
    check(f"{name}_y", s.put(f"{name}_y", y, "bn(x), train mode: batch stats over (N,H,W), biased var"), ry)
    check(f"{name}_dx", s.put(f"{name}_dx", dx, "d/dx sum(y*gy)"), rdx)
    put_param_grads(s, name, mod, (rdw, rdb))
    check(f"{name}_running_mean", s.put(f"{name}_running_mean", mod.running_mean,
          "after 1 forward from 0: 0.9*0 + 0.1*batch_mean"), rrm)
    check(f"{name}_running_var", s.put(f"{name}_running_var", mod.running_var,
          "after 1 forward from 1: 0.9*1 + 0.1*unbiased_batch_var (n=100)"), rrv)

    # --- bn2d_eval --------------------------------------------------------
    name, xs, C = "bn2d_eval", (4, 3, 5, 5), 3
    x = rng.standard_normal(xs) * 2 + 1
    w = rng.uniform(0.5, 1.5, (C,))
    b = rng.standard_normal((C,))
    rm = rng.standard_normal((C,))
    rv = rng.uniform(0.5, 2.0, (C,))
    gy = rng.standard_normal(xs)
    mod = nn.BatchNorm2d(3, eps=1e-5, momentum=0.1)
    MODULES.append((name, "nn.BatchNorm2d(3, eps=1e-5, momentum=0.1)", repr(mod), "eval()"))
    set_affine(mod, w, b)
    with torch.no_grad():
        mod.running_mean.copy_(T(rm))
        mod.running_var.copy_(T(rv))
    mod.eval()
    y, dx = run(mod, x, gy)
    assert np.array_equal(mod.running_mean.numpy(), rm) and np.array_equal(mod.running_var.numpy(), rv)
    s.put(f"{name}_x", x, f"rng.standard_normal({xs}) * 2 + 1  (NCHW)")
    s.put(f"{name}_weight", w, w_expr((C,)))
    s.put(f"{name}_bias", b, b_expr((C,)))
    s.put(f"{name}_running_mean", rm, f"rng.standard_normal({(C,)})  (set before forward; unchanged by it)")
    s.put(f"{name}_running_var", rv, f"rng.uniform(0.5, 2.0, {(C,)})  (set before forward; unchanged by it)")
    s.put(f"{name}_gy", gy, f"rng.standard_normal({xs})  (upstream gradient)")
    ry, rdx, rdw, rdb = np_batchnorm_eval(x, w, b, 1e-5, rm, rv, gy)
    check(f"{name}_y", s.put(f"{name}_y", y,
          "bn(x), eval mode: (x - running_mean)/sqrt(running_var + eps)*weight + bias"), ry)
    check(f"{name}_dx", s.put(f"{name}_dx", dx, "d/dx sum(y*gy) = gy*weight/sqrt(running_var + eps)"), rdx)
    put_param_grads(s, name, mod, (rdw, rdb))

    # --- bn1d_train -------------------------------------------------------
    name, xs, C = "bn1d_train", (8, 6), 6
    x = rng.standard_normal(xs) * 2 + 1
    w = rng.uniform(0.5, 1.5, (C,))
    b = rng.standard_normal((C,))
    gy = rng.standard_normal(xs)
    mod = nn.BatchNorm1d(6)
    MODULES.append((name, "nn.BatchNorm1d(6)", repr(mod), "train()"))
    mod.train()
    set_affine(mod, w, b)
    y, dx = run(mod, x, gy)
    s.put(f"{name}_x", x, f"rng.standard_normal({xs}) * 2 + 1  (N, C)")
    s.put(f"{name}_weight", w, w_expr((C,)))
    s.put(f"{name}_bias", b, b_expr((C,)))
    s.put(f"{name}_gy", gy, f"rng.standard_normal({xs})  (upstream gradient)")
    ry, rdx, rdw, rdb, rrm, rrv = np_batchnorm_train(x, w, b, 1e-5, 0.1, gy, np.zeros(C), np.ones(C))
    check(f"{name}_y", s.put(f"{name}_y", y, "bn(x), train mode: batch stats over N, biased var"), ry)
    check(f"{name}_dx", s.put(f"{name}_dx", dx, "d/dx sum(y*gy)"), rdx)
    put_param_grads(s, name, mod, (rdw, rdb))
    check(f"{name}_running_mean", s.put(f"{name}_running_mean", mod.running_mean,
          "after 1 forward from 0: 0.9*0 + 0.1*batch_mean"), rrm)
    check(f"{name}_running_var", s.put(f"{name}_running_var", mod.running_var,
          "after 1 forward from 1: 0.9*1 + 0.1*unbiased_batch_var (n=8)"), rrv)

    # --- bn2d_noaffine ----------------------------------------------------
    name, xs, C = "bn2d_noaffine", (4, 3, 5, 5), 3
    x = rng.standard_normal(xs) * 2 + 1
    gy = rng.standard_normal(xs)
    mod = nn.BatchNorm2d(3, affine=False)
    MODULES.append((name, "nn.BatchNorm2d(3, affine=False)", repr(mod), "train()"))
    mod.train()
    assert mod.weight is None and mod.bias is None
    y, dx = run(mod, x, gy)
    s.put(f"{name}_x", x, f"rng.standard_normal({xs}) * 2 + 1  (NCHW)")
    s.put(f"{name}_gy", gy, f"rng.standard_normal({xs})  (upstream gradient)")
    ry, rdx, _, _, rrm, rrv = np_batchnorm_train(x, None, None, 1e-5, 0.1, gy, np.zeros(C), np.ones(C))
    check(f"{name}_y", s.put(f"{name}_y", y, "bn(x), train mode, no affine: (x - batch_mean)/sqrt(batch_var + eps)"), ry)
    check(f"{name}_dx", s.put(f"{name}_dx", dx, "d/dx sum(y*gy)"), rdx)
    check(f"{name}_running_mean", s.put(f"{name}_running_mean", mod.running_mean,
          "after 1 forward from 0: 0.9*0 + 0.1*batch_mean"), rrm)
    check(f"{name}_running_var", s.put(f"{name}_running_var", mod.running_var,
          "after 1 forward from 1: 0.9*1 + 0.1*unbiased_batch_var (n=100)"), rrv)

    # --- layernorm --------------------------------------------------------
    name, xs, ps = "layernorm", (3, 4, 5, 6), (5, 6)
    x = rng.standard_normal(xs)
    w = rng.uniform(0.5, 1.5, ps)
    b = rng.standard_normal(ps)
    gy = rng.standard_normal(xs)
    mod = nn.LayerNorm([5, 6], eps=1e-5)
    MODULES.append((name, "nn.LayerNorm([5, 6], eps=1e-5)", repr(mod), "train() (mode-independent)"))
    set_affine(mod, w, b)
    y, dx = run(mod, x, gy)
    s.put(f"{name}_x", x, f"rng.standard_normal({xs})")
    s.put(f"{name}_weight", w, w_expr(ps) + "  (elementwise over the normalized (5,6) dims)")
    s.put(f"{name}_bias", b, b_expr(ps))
    s.put(f"{name}_gy", gy, f"rng.standard_normal({xs})  (upstream gradient)")
    ry, rdx, rdw, rdb = np_layernorm(x, w, b, 1e-5, gy)
    check(f"{name}_y", s.put(f"{name}_y", y, "ln(x): stats over the last 2 dims (30 values), biased var"), ry)
    check(f"{name}_dx", s.put(f"{name}_dx", dx, "d/dx sum(y*gy)"), rdx)
    put_param_grads(s, name, mod, (rdw, rdb))

    # --- groupnorm --------------------------------------------------------
    name, xs, C = "groupnorm", (2, 6, 4, 4), 6
    x = rng.standard_normal(xs)
    w = rng.uniform(0.5, 1.5, (C,))
    b = rng.standard_normal((C,))
    gy = rng.standard_normal(xs)
    mod = nn.GroupNorm(2, 6)
    MODULES.append((name, "nn.GroupNorm(2, 6)", repr(mod), "train() (mode-independent)"))
    set_affine(mod, w, b)
    y, dx = run(mod, x, gy)
    s.put(f"{name}_x", x, f"rng.standard_normal({xs})  (NCHW)")
    s.put(f"{name}_weight", w, w_expr((C,)) + "  (per channel)")
    s.put(f"{name}_bias", b, b_expr((C,)))
    s.put(f"{name}_gy", gy, f"rng.standard_normal({xs})  (upstream gradient)")
    ry, rdx, rdw, rdb = np_groupnorm(x, 2, w, b, 1e-5, gy)
    check(f"{name}_y", s.put(f"{name}_y", y,
          "gn(x): stats per (n, group) over 3 channels x 4 x 4 = 48 values, biased var"), ry)
    check(f"{name}_dx", s.put(f"{name}_dx", dx, "d/dx sum(y*gy)"), rdx)
    put_param_grads(s, name, mod, (rdw, rdb))

    # --- instancenorm -----------------------------------------------------
    name, xs, C = "instancenorm", (2, 3, 5, 5), 3
    x = rng.standard_normal(xs)
    w = rng.uniform(0.5, 1.5, (C,))
    b = rng.standard_normal((C,))
    gy = rng.standard_normal(xs)
    mod = nn.InstanceNorm2d(3, affine=True)
    MODULES.append((name, "nn.InstanceNorm2d(3, affine=True)", repr(mod),
                    "train() (no running stats, so mode-independent)"))
    set_affine(mod, w, b)
    y, dx = run(mod, x, gy)
    s.put(f"{name}_x", x, f"rng.standard_normal({xs})  (NCHW)")
    s.put(f"{name}_weight", w, w_expr((C,)) + "  (per channel)")
    s.put(f"{name}_bias", b, b_expr((C,)))
    s.put(f"{name}_gy", gy, f"rng.standard_normal({xs})  (upstream gradient)")
    ry, rdx, rdw, rdb = np_instancenorm(x, w, b, 1e-5, gy)
    check(f"{name}_y", s.put(f"{name}_y", y, "in(x): stats per (n, c) over H x W = 25 values, biased var"), ry)
    check(f"{name}_dx", s.put(f"{name}_dx", dx, "d/dx sum(y*gy)"), rdx)
    put_param_grads(s, name, mod, (rdw, rdb))

    # --- lrn --------------------------------------------------------------
    name, xs = "lrn", (2, 5, 4, 4)
    x = rng.standard_normal(xs) * 2
    gy = rng.standard_normal(xs)
    mod = nn.LocalResponseNorm(size=3, alpha=1e-2, beta=0.75, k=1.0)
    MODULES.append((name, "nn.LocalResponseNorm(size=3, alpha=1e-2, beta=0.75, k=1.0)", repr(mod),
                    "train() (mode-independent)"))
    y, dx = run(mod, x, gy)
    s.put(f"{name}_x", x, f"rng.standard_normal({xs}) * 2  (NCHW)")
    s.put(f"{name}_gy", gy, f"rng.standard_normal({xs})  (upstream gradient)")
    ry, rdx = np_lrn(x, 3, 1e-2, 0.75, 1.0, gy)
    check(f"{name}_y", s.put(f"{name}_y", y,
          "x[c] / (1 + 0.01/3 * sum_{j=c-1..c+1, 0<=j<5} x[j]^2) ^ 0.75"), ry)
    check(f"{name}_dx", s.put(f"{name}_dx", dx, "d/dx sum(y*gy)"), rdx)

    s.save()
    return s


# ---------------------------------------------------------------------------
def manifest_section(s):
    notes = [
        "Generated by `Tests/Fixtures/torch/generate_norm_fixtures.py` (torch %s, numpy %s; "
        "`np.random.default_rng(21)`, `torch.set_default_dtype(torch.float64)`, CPU, 1 thread), not by "
        "generate_torch_fixtures.py; that script rewrites this file, so run generate_norm_fixtures.py after it."
        % (torch.__version__, np.__version__),
        "Draw order: cases in table order; inside a case, the rng-drawn keys in table order "
        "(x, weight, bias, running_mean/running_var for bn2d_eval, gy).",
        "Every `{name}_y`, `{name}_dx`, `{name}_dweight`, `{name}_dbias` and training running stats were also "
        "checked against an independent closed-form NumPy re-implementation "
        "(max |torch - numpy| / (1 + |numpy|) <= 1e-12).",
        "Gradients are of sum(y * gy) w.r.t. x (`{name}_dx`) and the module's weight / bias "
        "(`{name}_dweight`, `{name}_dbias`). Affine weights and biases were copied into the module "
        "before the forward pass (defaults would be ones / zeros).",
        "All eps = 1e-5. Normalization always divides by sqrt(biased variance + eps) of the current statistics "
        "(batch stats for BatchNorm in training mode, running stats in eval mode).",
        "BatchNorm training mode: running stats start at running_mean = 0, running_var = 1 (fresh module, "
        "num_batches_tracked 0 -> 1) and after the single forward are running_mean = (1 - 0.1)*0 + 0.1*mean, "
        "running_var = (1 - 0.1)*1 + 0.1*var_unbiased, where var_unbiased = var_biased * n/(n-1) with "
        "n = N*H*W = 100 for the 2d cases and n = N = 8 for bn1d_train. `bn2d_noaffine_running_*` are stored "
        "although only y and dx were asked for.",
        "BatchNorm eval mode (bn2d_eval): `bn2d_eval_running_mean` / `_running_var` are the values put into "
        "the module before the forward (eval mode does not change them); y = (x - rm)/sqrt(rv + eps)*w + b, "
        "dx = gy*w/sqrt(rv + eps).",
        "LocalResponseNorm (torch definition, across channels): y[n,c] = x[n,c] / (k + alpha/size * "
        "sum_{j in [c - size//2, c + (size-1)//2] clipped to [0, C)} x[n,j]^2)^beta; the divisor is always "
        "size (= 3), also at the channel edges (torch zero-pads then averages).",
    ]
    mods = ["Modules (constructor call as in the script -> `repr(module)`, mode):"]
    for name, call, rep, mode in MODULES:
        mods.append(f"  - `{name}`: `{call}` -> `{rep}`; `.{mode}`")
    L = ft.section_lines(SECTION, notes)
    L.append(f"- Note: {mods[0]}")
    L += [ft.cell(m) for m in mods[1:]]
    L += ["", "### norm.npz", ""] + ft.table_lines(s.items) + [""]
    return L


def main():
    s = gen()
    ft.replace_manifest_section(os.path.join(OUT, "MANIFEST.md"), SECTION, manifest_section(s))
    print(f"DeepSwift norm fixtures -> {OUT}  (torch {torch.__version__}, numpy {np.__version__})")
    ft.print_file_summary(OUT, [FNAME, "MANIFEST.md"], 12)
    sz = os.path.getsize(os.path.join(OUT, FNAME))
    print(f"  {len(s.items)} arrays")
    if sz >= SIZE_LIMIT:
        print(f"ERROR: {FNAME} is {sz} bytes, limit {SIZE_LIMIT}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
