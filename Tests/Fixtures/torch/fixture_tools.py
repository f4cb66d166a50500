"""Shared helpers for the PyTorch fixture generators in this folder.

Used by generate_torch_fixtures.py, generate_conv_fixtures.py,
generate_norm_fixtures.py and generate_conv_extra_fixtures.py. Not a script
itself. The generators put their own directory on sys.path before importing
it, so they work from any working directory:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import fixture_tools as ft

Contents:
* setup_torch()               float64 default dtype, 1 thread, torch.manual_seed(0)
* Store                       ordered (key, array, expression) collection -> np.savez
* T, check                    numpy -> float64 tensor; torch-vs-NumPy cross-check
* tie_free, out_size          tie-free pooling inputs; conv / pool output sizes
* np_convNd, np_convTNd,      independent NumPy re-implementations used for the
  np_poolNd                   cross-checks (direct summation / scatter)
* cell, fmt_shape, fmt_arg,   MANIFEST.md formatting
  table_lines, section_lines
* replace_manifest_section    replace (or append) one "## ..." section of MANIFEST.md
* print_file_summary          "  NAME  SIZE B  sha256:PREFIX" lines
"""

import hashlib
import itertools
import os

import numpy as np
import torch


def setup_torch():
    """float64 everywhere, single-threaded (fixed reduction order), torch RNG seeded."""
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    torch.manual_seed(0)


# ---------------------------------------------------------------------------
# Collecting and saving arrays
# ---------------------------------------------------------------------------
class Store:
    """Arrays for one .npz file, in insertion order, each with the expression that made it.

    dtypes: None (no check), "float64" (every array float64) or
    "float64/int64" (float arrays float64, all others int64).
    """

    def __init__(self, fname, out_dir, dtypes=None, notes=None):
        if dtypes not in (None, "float64", "float64/int64"):
            raise ValueError(f"unknown dtypes rule {dtypes!r}")
        self.fname = fname
        self.out_dir = out_dir
        self.dtypes = dtypes
        self.items = []  # (key, array, expr)
        self.notes = notes or []

    def put(self, key, arr, expr):
        if isinstance(arr, torch.Tensor):
            arr = arr.detach().cpu().numpy()
        arr = np.array(np.asarray(arr), order="C", copy=True)
        if self.dtypes == "float64":
            assert arr.dtype == np.float64, key
        elif self.dtypes == "float64/int64":
            if arr.dtype.kind == "f":
                assert arr.dtype == np.float64, key
            else:
                assert arr.dtype == np.int64, key
        if any(k == key for k, _, _ in self.items):
            raise KeyError(f"duplicate key {key} in {self.fname}")
        self.items.append((key, arr, expr))
        return arr

    def save(self):
        # np.savez: ZIP_STORED, fixed 1980-01-01 member timestamps -> byte-identical re-runs
        np.savez(os.path.join(self.out_dir, self.fname), **{k: a for k, a, _ in self.items})


# ---------------------------------------------------------------------------
# torch <-> NumPy
# ---------------------------------------------------------------------------
def T(a, grad=False):
    t = torch.tensor(np.asarray(a), dtype=torch.float64)
    if grad:
        t.requires_grad_(True)
    return t


def check(name, got, ref, tol=1e-12):
    """Raise unless max |got - ref| / (1 + |ref|) <= tol (and the shapes agree)."""
    got = np.asarray(got)
    assert got.shape == ref.shape, (name, got.shape, ref.shape)
    err = np.max(np.abs(got - ref) / (1.0 + np.abs(ref))) if ref.size else 0.0
    if not err <= tol:
        raise AssertionError(f"{name}: torch vs numpy reference differ by {err:.3e}")


def tie_free(rng, shape):
    """A permutation of -(n-1)/2 .. (n-1)/2 scaled by 1/8 (all distinct, exact in binary)."""
    n = int(np.prod(shape))
    return ((rng.permutation(n).astype(np.float64) - (n - 1) / 2.0) / 8.0).reshape(shape)


# ---------------------------------------------------------------------------
# NumPy references (independent of torch)
# ---------------------------------------------------------------------------
def out_size(n, k, s, p, d=1, ceil=False):
    """Conv / pool output length along one axis (torch rules, incl. ceil_mode)."""
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff
    o = (-(-num // s) if ceil else num // s) + 1
    if ceil and (o - 1) * s >= n + p:  # torch: last window must start inside input or left padding
        o -= 1
    return o


def convT_out(n, k, s, p, op, d=1):
    """Transposed-conv output length along one axis."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def np_convNd(x, w, b, stride, pad, dil, groups, gy):
    """Direct-summation N-d convolution (cross-correlation) and its gradients.

    x (N, C, *S), w (O, C/groups, *K), b (O,) or None, gy (N, O, *out).
    Returns y, dx, dw, db (db = gy summed over all but the channel axis)."""
    N, C = x.shape[:2]
    O, Cg = w.shape[:2]
    K = w.shape[2:]
    S = x.shape[2:]
    nd = len(S)
    sp = "xyz"[:nd]
    Og = O // groups
    Os = tuple(out_size(S[i], K[i], stride[i], pad[i], dil[i]) for i in range(nd))
    xp = np.zeros((N, C) + tuple(S[i] + 2 * pad[i] for i in range(nd)))
    inner = tuple(slice(pad[i], pad[i] + S[i]) for i in range(nd))
    xp[(slice(None), slice(None)) + inner] = x
    y = np.zeros((N, O) + Os)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for g in range(groups):
        ci = slice(g * Cg, (g + 1) * Cg)
        co = slice(g * Og, (g + 1) * Og)
        for kk in itertools.product(*[range(k) for k in K]):
            sl = tuple(slice(kk[i] * dil[i], kk[i] * dil[i] + stride[i] * (Os[i] - 1) + 1, stride[i])
                       for i in range(nd))
            patch = xp[(slice(None), ci) + sl]
            wk = w[(co, slice(None)) + kk]  # (Og, Cg)
            y[:, co] += np.einsum(f"nc{sp},oc->no{sp}", patch, wk)
            dw[(co, slice(None)) + kk] += np.einsum(f"no{sp},nc{sp}->oc", gy[:, co], patch)
            dxp[(slice(None), ci) + sl] += np.einsum(f"no{sp},oc->nc{sp}", gy[:, co], wk)
    if b is not None:
        y += b.reshape((1, O) + (1,) * nd)
    db = gy.sum(axis=(0,) + tuple(range(2, 2 + nd)))
    return y, dxp[(slice(None), slice(None)) + inner], dw, db


def np_convTNd(x, w, b, stride, pad, outpad, dil, groups, gy):
    """Direct-scatter N-d transposed convolution (w is [in, out/groups, *k]) and its gradients."""
    N, C = x.shape[:2]
    Cw, Og = w.shape[:2]
    assert Cw == C
    K = w.shape[2:]
    S = x.shape[2:]
    nd = len(S)
    sp = "xyz"[:nd]
    Cg = C // groups
    O = Og * groups
    Os = tuple(convT_out(S[i], K[i], stride[i], pad[i], outpad[i], dil[i]) for i in range(nd))
    full = tuple((S[i] - 1) * stride[i] + dil[i] * (K[i] - 1) + 1 + outpad[i] for i in range(nd))
    crop = tuple(slice(pad[i], pad[i] + Os[i]) for i in range(nd))
    yfull = np.zeros((N, O) + full)
    gyfull = np.zeros((N, O) + full)
    gyfull[(slice(None), slice(None)) + crop] = gy
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for g in range(groups):
        ci = slice(g * Cg, (g + 1) * Cg)
        co = slice(g * Og, (g + 1) * Og)
        for kk in itertools.product(*[range(k) for k in K]):
            sl = tuple(slice(kk[i] * dil[i], kk[i] * dil[i] + stride[i] * (S[i] - 1) + 1, stride[i])
                       for i in range(nd))
            wk = w[(ci, slice(None)) + kk]  # (Cg, Og)
            yfull[(slice(None), co) + sl] += np.einsum(f"nc{sp},co->no{sp}", x[:, ci], wk)
            g_sl = gyfull[(slice(None), co) + sl]
            dx[:, ci] += np.einsum(f"no{sp},co->nc{sp}", g_sl, wk)
            dw[(ci, slice(None)) + kk] += np.einsum(f"nc{sp},no{sp}->co", x[:, ci], g_sl)
    y = yfull[(slice(None), slice(None)) + crop].copy()
    if b is not None:
        y += b.reshape((1, O) + (1,) * nd)
    db = gy.sum(axis=(0,) + tuple(range(2, 2 + nd)))
    return y, dx, dw, db


def np_poolNd(kind, x, k, s, p, include_pad, gy, ceil=False):
    """Direct N-d max / avg pooling and the input gradient.

    Max pools assert that no window has a tie (so the gradient route is unique).
    Avg pools with include_pad divide by the padded window size, clipped to the
    padded input (torch; matters only with ceil_mode)."""
    N, C = x.shape[:2]
    S = x.shape[2:]
    nd = len(S)
    Os = tuple(out_size(S[i], k[i], s[i], p[i], 1, ceil) for i in range(nd))
    y = np.zeros((N, C) + Os)
    dx = np.zeros_like(x)
    for o in itertools.product(*[range(n) for n in Os]):
        lo = [o[i] * s[i] - p[i] for i in range(nd)]
        hi = [lo[i] + k[i] for i in range(nd)]
        cl = [max(lo[i], 0) for i in range(nd)]
        ch = [min(hi[i], S[i]) for i in range(nd)]
        assert all(ch[i] > cl[i] for i in range(nd)), "window entirely in padding"
        sl = tuple(slice(cl[i], ch[i]) for i in range(nd))
        win = x[(slice(None), slice(None)) + sl]
        idx = (slice(None), slice(None)) + o
        if kind == "max":
            flat = win.reshape(N, C, -1)
            srt = np.sort(flat, axis=2)
            assert np.all(np.diff(srt, axis=2) > 0), "tie inside a pooling window"
            y[idx] = flat.max(axis=2)
            am = flat.argmax(axis=2)
            wshape = tuple(ch[i] - cl[i] for i in range(nd))
            for n in range(N):
                for c in range(C):
                    pos = np.unravel_index(am[n, c], wshape)
                    dx[(n, c) + tuple(cl[i] + pos[i] for i in range(nd))] += gy[(n, c) + o]
        else:
            if include_pad:
                div = int(np.prod([min(hi[i], S[i] + p[i]) - lo[i] for i in range(nd)]))
            else:
                div = int(np.prod([ch[i] - cl[i] for i in range(nd)]))
            y[idx] = win.reshape(N, C, -1).sum(axis=2) / div
            dx[(slice(None), slice(None)) + sl] += gy[idx].reshape((N, C) + (1,) * nd) / div
    return y, dx


# ---------------------------------------------------------------------------
# MANIFEST.md
# ---------------------------------------------------------------------------
def cell(text):
    """Escape a Markdown table cell."""
    return str(text).replace("|", "\\|")


def fmt_shape(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def fmt_arg(v):
    """(3, 3) -> 3, (2, 1) -> (2, 1): how a torch call's int-or-tuple argument is written."""
    return v[0] if len(set(v)) == 1 else tuple(v)


def table_lines(items):
    """The key / dtype / shape / expression table for a Store's items."""
    L = ["| key | dtype | shape | torch expression / config |", "|---|---|---|---|"]
    for k, a, expr in items:
        L.append(f"| `{k}` | {a.dtype} | {fmt_shape(a.shape) if a.ndim else '0-d'} | `{cell(expr)}` |")
    return L


def section_lines(heading, notes):
    """["## heading", "", "- Note: ...", ...] (no trailing blank line)."""
    L = [heading, ""]
    for n in notes:
        L.append(f"- Note: {cell(n)}")
    return L


def replace_manifest_section(path, heading, new_lines):
    """Replace the section that starts with the line `heading` (up to the next "## " line or
    the end) by new_lines, or append new_lines (after one blank line) if there is no such
    section. Everything else in the file is kept byte-for-byte."""
    with open(path) as fh:
        lines = fh.read().split("\n")
    # split into: head (before our section), our old section, tail (next "## " section on)
    try:
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        head, tail = lines[:start], lines[end:]
    except ValueError:
        head, tail = lines, []
        if head and head[-1] == "":  # file ends with "\n": drop the empty last element
            head = head[:-1]
        if head and head[-1] != "":
            head.append("")
    new = head + new_lines
    if tail:
        new += tail
    with open(path, "w") as fh:
        fh.write("\n".join(new))


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------
def sha256_prefix(path, n=12):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:n]


def print_file_summary(out_dir, fnames, width):
    """Print "  NAME SIZE B  sha256:PREFIX" for each file; return {fname: size in bytes}."""
    sizes = {}
    for fname in fnames:
        p = os.path.join(out_dir, fname)
        sz = os.path.getsize(p)
        sizes[fname] = sz
        print(f"  {fname:{width}s} {sz:7d} B  sha256:{sha256_prefix(p)}")
    return sizes
