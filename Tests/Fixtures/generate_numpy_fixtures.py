#!/usr/bin/env python3
"""Generate NumPy reference fixtures for the DeepSwift tensor op tests.

Usage:  python3 Tests/Fixtures/generate_numpy_fixtures.py

Writes everything under Tests/Fixtures/numpy/ (next to this script), including
MANIFEST.md, which documents every file/key (dtype, shape, numpy expression).

Conventions
-----------
* Seeded with np.random.default_rng(1234); one generator, drawn in a fixed order.
* Inputs are stored in their natural dtype (mostly float32).
* Expected float results are computed in float64 from `input.astype(np.float64)`
  and stored as float64. Integer / index results are int64, comparisons bool.
* All arrays are C-contiguous little-endian (except the deliberate odd cases in
  npy/), saved with np.savez (uncompressed, ZIP_STORED; numpy forces zip64
  extra fields on every member).
* Deterministic: re-running produces byte-identical files (zip member
  timestamps are the zipfile default 1980-01-01 because numpy passes plain
  names to ZipFile.open; everything else is a pure function of the seed).
"""

import hashlib
import json
import os
import sys

import numpy as np
import scipy
from scipy import special

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "numpy")

f32, f64, i32, i64 = np.float32, np.float64, np.int32, np.int64

rng = np.random.default_rng(1234)

# manifest: list of (file, [(key, array, expression), ...], notes)
MANIFEST = []


class Store:
    """Collects arrays for one .npz file plus the expression that made each."""

    def __init__(self, fname, notes=None):
        self.fname = fname
        self.items = []  # (key, array, expr)
        self.notes = notes or []

    def put(self, key, arr, expr, dtype=None):
        arr = np.asarray(arr)
        if dtype is not None:
            arr = arr.astype(dtype)
        if any(k == key for k, _, _ in self.items):
            raise KeyError(f"duplicate key {key} in {self.fname}")
        arr = np.array(arr, order="C", copy=True)  # keeps 0-d arrays 0-d (ascontiguousarray would not)
        self.items.append((key, arr, expr))
        return arr

    def save(self):
        path = os.path.join(OUT, self.fname)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.savez(path, **{k: a for k, a, _ in self.items})
        MANIFEST.append((self.fname, self.items, self.notes))


def uni(lo, hi, shape, dtype=f32):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def d(a):
    return np.asarray(a).astype(f64)


# ---------------------------------------------------------------------------
# 1. unary.npz
# ---------------------------------------------------------------------------
def gen_unary():
    s = Store("unary.npz")
    x = uni(-5.0, 5.0, (7, 13))
    special_vals = [0.0, 0.5, -0.5, 1.5, -2.5, 2.5, -1.5]
    special_pos = [(0, 0), (1, 3), (2, 6), (3, 9), (4, 12), (5, 2), (6, 5)]
    for (r, c), v in zip(special_pos, special_vals):
        x[r, c] = v
    pos_txt = ", ".join(f"x[{r},{c}]={v}" for (r, c), v in zip(special_pos, special_vals))
    s.notes.append("Exact values planted in x (after the uniform draw): " + pos_txt + ".")
    s.notes.append("Expected values use X = x.astype(float64), P = xpos.astype(float64).")
    xpos = uni(0.01, 20.0, (7, 13))
    s.put("x", x, "rng.uniform(-5, 5, (7,13)).astype(float32), then the exact values listed above planted")
    s.put("xpos", xpos, "rng.uniform(0.01, 20, (7,13)).astype(float32)")

    X, P = d(x), d(xpos)
    sig = special.expit(X)
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    r2 = np.sqrt(2.0)
    s.put("neg", -X, "-X")
    s.put("abs", np.abs(X), "np.abs(X)")
    s.put("sign", np.sign(X), "np.sign(X)  (sign(0)=0)")
    s.put("exp", np.exp(X), "np.exp(X)")
    s.put("expm1", np.expm1(X), "np.expm1(X)")
    s.put("square", np.square(X), "np.square(X)")
    s.put("sin", np.sin(X), "np.sin(X)")
    s.put("cos", np.cos(X), "np.cos(X)")
    s.put("tanh", np.tanh(X), "np.tanh(X)")
    s.put("sigmoid", sig, "scipy.special.expit(X)  (= 1/(1+exp(-X)))")
    s.put("relu", np.maximum(X, 0.0), "np.maximum(X, 0.0)")
    s.put("leaky_relu", np.where(X > 0, X, 0.1 * X), "np.where(X > 0, X, 0.1 * X)  (negative_slope=0.1)")
    s.put("elu", np.where(X > 0, X, 1.0 * np.expm1(X)), "np.where(X > 0, X, 1.0 * np.expm1(X))  (alpha=1.0)")
    s.put("selu", scale * np.where(X > 0, X, alpha * np.expm1(X)),
          "scale * np.where(X > 0, X, alpha * np.expm1(X)), alpha=1.6732632423543772, scale=1.0507009873554805")
    gelu_erf = np.where(X < 0, 0.5 * X * special.erfc(-X / r2), 0.5 * X * (1.0 + special.erf(X / r2)))
    s.put("gelu_erf", gelu_erf,
          "np.where(X < 0, 0.5*X*erfc(-X/sqrt(2)), 0.5*X*(1 + erf(X/sqrt(2))))  (exact GELU; erfc branch avoids cancellation)")
    s.put("gelu_tanh", 0.5 * X * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (X + 0.044715 * X ** 3))),
          "0.5*X*(1 + np.tanh(np.sqrt(2/np.pi) * (X + 0.044715*X**3)))")
    s.put("softplus", np.maximum(X, 0.0) + np.log1p(np.exp(-np.abs(X))),
          "np.maximum(X, 0) + np.log1p(np.exp(-np.abs(X)))  (= log1p(exp(X)), stable; beta=1, no threshold)")
    s.put("swish", X * sig, "X * expit(X)  (SiLU)")
    s.put("floor", np.floor(X), "np.floor(X)")
    s.put("ceil", np.ceil(X), "np.ceil(X)")
    s.put("round", np.round(X), "np.round(X)  (round half to even: 0.5->0, -0.5->-0, 1.5->2, -2.5->-2, 2.5->2, -1.5->-2)")
    s.put("clamp", np.clip(X, -1.0, 2.0), "np.clip(X, -1, 2)")
    s.put("erf", special.erf(X), "scipy.special.erf(X)")
    s.put("log", np.log(P), "np.log(P)")
    s.put("log1p", np.log1p(P), "np.log1p(P)")
    s.put("sqrt", np.sqrt(P), "np.sqrt(P)")
    s.put("rsqrt", 1.0 / np.sqrt(P), "1.0 / np.sqrt(P)")
    s.put("reciprocal", 1.0 / P, "1.0 / P")

    xi = rng.integers(-10, 11, size=(5, 6)).astype(i32)
    xi[0, 0] = 0
    s.notes.append("xi[0,0] is forced to 0 (for sign_i).")
    s.put("xi", xi, "rng.integers(-10, 11, (5,6)).astype(int32)  (inclusive [-10, 10]); xi[0,0]=0")
    XI = xi.astype(i64)
    s.put("neg_i", -XI, "-xi.astype(int64)", i64)
    s.put("abs_i", np.abs(XI), "np.abs(xi).astype(int64)", i64)
    s.put("square_i", XI * XI, "(xi*xi).astype(int64)", i64)
    s.put("sign_i", np.sign(XI), "np.sign(xi).astype(int64)", i64)
    s.put("clamp_i", np.clip(XI, -3, 4), "np.clip(xi, -3, 4).astype(int64)", i64)
    s.save()


# ---------------------------------------------------------------------------
# 2. binary.npz
# ---------------------------------------------------------------------------
def gen_binary():
    s = Store("binary.npz")
    s.notes.append("A = a.astype(float64), B = b.astype(float64); all float results broadcast to (4,3,5).")
    a = uni(-3.0, 3.0, (4, 1, 5))
    b = uni(-3.0, 3.0, (3, 1))
    apos = (np.abs(a) + f32(0.1)).astype(f32)
    s.put("a", a, "rng.uniform(-3, 3, (4,1,5)).astype(float32)")
    s.put("b", b, "rng.uniform(-3, 3, (3,1)).astype(float32)")
    s.put("apos", apos, "(np.abs(a) + np.float32(0.1)).astype(float32)  (computed in float32)")
    A, B = d(a), d(b)
    s.put("add", A + B, "A + B")
    s.put("sub", A - B, "A - B")
    s.put("mul", A * B, "A * B")
    s.put("div", A / B, "A / B")
    s.put("maximum", np.maximum(A, B), "np.maximum(A, B)")
    s.put("minimum", np.minimum(A, B), "np.minimum(A, B)")
    s.put("pow", d(apos) ** B, "apos.astype(float64) ** B")

    a_b = np.broadcast_to(a, (4, 3, 5))
    b_b = np.broadcast_to(b, (4, 3, 5))
    repl = rng.random((4, 3, 5)) < 0.5
    c = np.where(repl, b_b, a_b).astype(f32)
    s.put("c", c, "np.where(rng.random((4,3,5)) < 0.5, broadcast_to(b,(4,3,5)), broadcast_to(a,(4,3,5))).astype(float32)  "
          "(about half the entries equal b exactly)")
    s.put("equal", c == b, "c == b", bool)
    s.put("not_equal", c != b, "c != b", bool)
    s.put("less", c < b, "c < b", bool)
    s.put("less_equal", c <= b, "c <= b", bool)
    s.put("greater", c > b, "c > b", bool)
    s.put("greater_equal", c >= b, "c >= b", bool)

    ai = rng.integers(-20, 21, size=(4, 1, 5)).astype(i32)
    bi = rng.integers(1, 7, size=(3, 1)).astype(i64)
    s.put("ai", ai, "rng.integers(-20, 21, (4,1,5)).astype(int32)  (inclusive [-20, 20])")
    s.put("bi", bi, "rng.integers(1, 7, (3,1)).astype(int64)  (inclusive [1, 6])")
    AI = ai.astype(i64)
    s.put("add_i", AI + bi, "ai.astype(int64) + bi", i64)
    s.put("sub_i", AI - bi, "ai.astype(int64) - bi", i64)
    s.put("mul_i", AI * bi, "ai.astype(int64) * bi", i64)
    s.put("maximum_i", np.maximum(AI, bi), "np.maximum(ai, bi) (int64)", i64)
    s.put("minimum_i", np.minimum(AI, bi), "np.minimum(ai, bi) (int64)", i64)
    s.put("pow_i", AI ** bi, "ai.astype(int64) ** bi  (no overflow: |ai|<=20, bi<=6)", i64)
    s.put("div_i", d(ai) / d(bi), "ai.astype(float64) / bi.astype(float64)  (true division)", f64)

    p = rng.random((4, 5)) < 0.5
    q = rng.random((5,)) < 0.5
    s.put("p", p, "rng.random((4,5)) < 0.5", bool)
    s.put("q", q, "rng.random((5,)) < 0.5", bool)
    s.put("and", p & q, "np.logical_and(p, q)  -> (4,5)", bool)
    s.put("or", p | q, "np.logical_or(p, q)  -> (4,5)", bool)
    s.put("xor", p ^ q, "np.logical_xor(p, q)  -> (4,5)", bool)
    s.put("not_p", ~p, "np.logical_not(p)", bool)
    s.save()


# ---------------------------------------------------------------------------
# 3. reduce.npz
# ---------------------------------------------------------------------------
def gen_reduce():
    s = Store("reduce.npz")
    s.notes.append("X = x.astype(float64). Axis numbers are numpy axes of the (3,4,5) input; "
                   "no keepdims unless stated.")
    x = uni(-2.0, 2.0, (3, 4, 5))
    s.put("x", x, "rng.uniform(-2, 2, (3,4,5)).astype(float32)")
    X = d(x)
    s.put("sum_all", X.sum(), "X.sum()  (0-d)")
    s.put("sum_0", X.sum(axis=0), "X.sum(axis=0)")
    s.put("sum_12_keep", X.sum(axis=(1, 2), keepdims=True), "X.sum(axis=(1,2), keepdims=True)")
    s.put("sum_02", X.sum(axis=(0, 2)), "X.sum(axis=(0,2))")
    s.put("mean_1", X.mean(axis=1), "X.mean(axis=1)")
    s.put("prod_2", X.prod(axis=2), "X.prod(axis=2)")
    s.put("max_1", X.max(axis=1), "X.max(axis=1)")
    s.put("min_02", X.min(axis=(0, 2)), "X.min(axis=(0,2))")
    s.put("var_1", X.var(axis=1, ddof=1), "X.var(axis=1, ddof=1)  (unbiased)")
    s.put("var_all_0", X.var(ddof=0), "X.var(ddof=0)  (all axes, biased, 0-d)")
    s.put("std_2", X.std(axis=2, ddof=1), "X.std(axis=2, ddof=1)  (unbiased)")
    s.put("logsumexp_2", special.logsumexp(X, axis=2), "scipy.special.logsumexp(X, axis=2)")
    s.put("logsumexp_all", special.logsumexp(X), "scipy.special.logsumexp(X)  (0-d)")
    s.put("norm_l1_1", np.abs(X).sum(axis=1), "np.abs(X).sum(axis=1)")
    s.put("norm_l2_all", np.sqrt((X * X).sum()), "np.sqrt((X*X).sum())  (0-d, Frobenius over all elements)")
    s.put("norm_inf_2", np.abs(X).max(axis=2), "np.abs(X).max(axis=2)")
    s.put("cumsum_1", np.cumsum(X, axis=1), "np.cumsum(X, axis=1)")
    s.put("cumsum_0", np.cumsum(X, axis=0), "np.cumsum(X, axis=0)")
    s.put("argmax_1", np.argmax(x, axis=1), "np.argmax(x, axis=1)  (no ties in x)", i64)
    s.put("argmin_2", np.argmin(x, axis=2), "np.argmin(x, axis=2)", i64)
    s.put("argmax_all", np.argmax(x), "np.argmax(x)  (0-d, flat C-order index)", i64)
    assert len(np.unique(x)) == x.size, "x must have no ties for argmax/argmin"

    m = rng.random((3, 4)) < 0.6
    m[1, :] = True
    s.notes.append("m[1,:] is forced all-True so all_1 has a True entry; consequence: any_0 is "
                   "all-True (a column of all False would contradict a row of all True).")
    s.put("m", m, "rng.random((3,4)) < 0.6, then m[1,:] = True", bool)
    s.put("all_1", m.all(axis=1), "m.all(axis=1)", bool)
    s.put("any_0", m.any(axis=0), "m.any(axis=0)", bool)
    s.put("all_all", m.all(), "m.all()  (0-d)", bool)

    xi = rng.integers(-100, 101, size=(3, 4)).astype(i32)
    s.put("xi", xi, "rng.integers(-100, 101, (3,4)).astype(int32)  (inclusive [-100, 100])")
    s.put("sumi_1", xi.astype(i64).sum(axis=1), "xi.astype(int64).sum(axis=1)", i64)
    s.put("sumi_all", xi.astype(i64).sum(), "xi.astype(int64).sum()  (0-d)", i64)
    s.save()


# ---------------------------------------------------------------------------
# 4. softmax.npz
# ---------------------------------------------------------------------------
def _log_softmax(X, axis):
    m = X.max(axis=axis, keepdims=True)
    z = X - m
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def gen_softmax():
    s = Store("softmax.npz")
    x = uni(-10.0, 10.0, (4, 6, 7))
    x[0, 0, :] += f32(80.0)
    s.notes.append("x[0,0,:] has +80 added (values in [70, 90]) to test max-subtraction stability; "
                   "exp(90) overflows float32.")
    s.put("x", x, "rng.uniform(-10, 10, (4,6,7)).astype(float32); x[0,0,:] += 80 (in float32)")
    X = d(x)
    s.put("softmax_last", np.exp(_log_softmax(X, -1)), "exp(X - logsumexp(X, axis=-1, keepdims=True))  (softmax over axis -1 = 2)")
    s.put("softmax_1", np.exp(_log_softmax(X, 1)), "exp(X - logsumexp(X, axis=1, keepdims=True))  (softmax over axis 1)")
    s.put("log_softmax_last", _log_softmax(X, -1), "X - logsumexp(X, axis=-1, keepdims=True)  (max-shifted)")
    s.put("log_softmax_0", _log_softmax(X, 0), "X - logsumexp(X, axis=0, keepdims=True)  (max-shifted)")
    s.save()


# ---------------------------------------------------------------------------
# 5. matmul.npz
# ---------------------------------------------------------------------------
def gen_matmul():
    s = Store("matmul.npz")
    s.notes.append("float32 inputs are rng.uniform(-1, 1, shape).astype(float32); expected values are "
                   "computed with the inputs cast to float64 (np.matmul / np.einsum in float64).")
    u = lambda shape: uni(-1.0, 1.0, shape)
    a2, b2 = u((5, 7)), u((7, 3))
    a3, b3 = u((2, 5, 7)), u((2, 7, 4))
    a4, b4 = u((3, 1, 5, 7)), u((2, 7, 6))
    v7 = u((7,))
    for k, v in [("a2", a2), ("b2", b2), ("a3", a3), ("b3", b3), ("a4", a4), ("b4", b4), ("v7", v7)]:
        s.put(k, v, f"rng.uniform(-1, 1, {v.shape}).astype(float32)")
    s.put("mm_2d", d(a2) @ d(b2), "a2 @ b2  -> (5,3)")
    s.put("mm_batched", d(a3) @ d(b3), "a3 @ b3  -> (2,5,4)")
    s.put("mm_broadcast", d(a4) @ d(b4), "np.matmul(a4, b4)  batch dims (3,1) x (2,) broadcast -> (3,2,5,6)")
    s.put("mm_batch_2d", d(a3) @ d(b2), "a3 @ b2  (2-D rhs broadcast over batch) -> (2,5,3)")
    s.put("mm_at_b", d(a2).T @ d(a2), "a2.T @ a2  -> (7,7)  (lhs is a transposed view)")
    s.put("mv", d(a2) @ d(v7), "a2 @ v7  -> (5,)")
    s.put("vm", d(v7) @ d(b2), "v7 @ b2  -> (3,)")
    s.put("dot", d(v7) @ d(v7), "v7 @ v7  (0-d)")
    s.put("outer", np.outer(d(v7), d(v7)[:3]), "np.outer(v7, v7[:3])  -> (7,3)")

    d2 = rng.uniform(-1.0, 1.0, (6, 8)).astype(f64)
    e2 = rng.uniform(-1.0, 1.0, (8, 5)).astype(f64)
    s.put("d2", d2, "rng.uniform(-1, 1, (6,8))  (float64)")
    s.put("e2", e2, "rng.uniform(-1, 1, (8,5))  (float64)")
    s.put("mm_f64", d2 @ e2, "d2 @ e2  -> (6,5)")

    ia = rng.integers(-5, 6, size=(3, 4)).astype(i64)
    ib = rng.integers(-5, 6, size=(4, 2)).astype(i64)
    s.put("ia", ia, "rng.integers(-5, 6, (3,4)).astype(int64)  (inclusive [-5, 5])")
    s.put("ib", ib, "rng.integers(-5, 6, (4,2)).astype(int64)")
    s.put("mm_int", ia @ ib, "ia @ ib  (int64) -> (3,2)", i64)

    eb, ew = u((4, 5)), u((5, 5))
    eq, ek = u((2, 3, 4, 5)), u((2, 3, 6, 5))
    s.put("eb", eb, "rng.uniform(-1, 1, (4,5)).astype(float32)")
    s.put("ew", ew, "rng.uniform(-1, 1, (5,5)).astype(float32)")
    s.put("eq", eq, "rng.uniform(-1, 1, (2,3,4,5)).astype(float32)")
    s.put("ek", ek, "rng.uniform(-1, 1, (2,3,6,5)).astype(float32)")
    s.put("einsum_ij_jk", np.einsum("ij,jk->ik", d(a2), d(b2)), "np.einsum('ij,jk->ik', a2, b2)")
    s.put("einsum_bij_bjk", np.einsum("bij,bjk->bik", d(a3), d(b3)), "np.einsum('bij,bjk->bik', a3, b3)")
    s.put("einsum_trace_free", np.einsum("ij->ji", d(a2)), "np.einsum('ij->ji', a2)  (transpose)")
    s.put("einsum_sum", np.einsum("ij->i", d(a2)), "np.einsum('ij->i', a2)  (row sums)")
    s.put("einsum_outer", np.einsum("i,j->ij", d(v7), d(v7)), "np.einsum('i,j->ij', v7, v7)")
    s.put("einsum_bilinear", np.einsum("bi,ij,bj->b", d(eb), d(ew), d(eb)), "np.einsum('bi,ij,bj->b', eb, ew, eb)  -> (4,)")
    s.put("einsum_batch_contract", np.einsum("bhqd,bhkd->bhqk", d(eq), d(ek)),
          "np.einsum('bhqd,bhkd->bhqk', eq, ek)  -> (2,3,4,6)")
    s.save()


# ---------------------------------------------------------------------------
# 6. manipulation.npz
# ---------------------------------------------------------------------------
def gen_manipulation():
    s = Store("manipulation.npz")
    s.notes.append("X = x.astype(float64), Y = y.astype(float64).")
    x = (np.arange(12).reshape(3, 4) + 0.5).astype(f32)
    y = uni(-1.0, 1.0, (2, 4))
    s.put("x", x, "(np.arange(12).reshape(3,4) + 0.5).astype(float32)")
    s.put("y", y, "rng.uniform(-1, 1, (2,4)).astype(float32)")
    X, Y = d(x), d(y)
    s.put("concat_0", np.concatenate([X, Y], axis=0), "np.concatenate([X, Y], axis=0)  -> (5,4)")
    s.put("stack_1", np.stack([X, X * 2], axis=1), "np.stack([X, X*2], axis=1)  -> (3,2,4)")
    s.put("pad_const", np.pad(X, ((1, 0), (2, 1)), constant_values=-1.0),
          "np.pad(X, ((1,0),(2,1)), mode='constant', constant_values=-1)  -> (4,7)")
    s.put("pad_reflect", np.pad(X, ((2, 1), (1, 3)), mode="reflect"),
          "np.pad(X, ((2,1),(1,3)), mode='reflect')  (edge not repeated, = torch 'reflect') -> (6,8)")
    s.put("tile", np.tile(X, (2, 3)), "np.tile(X, (2,3))  -> (6,12)")
    s.put("repeat_1", np.repeat(X, 2, axis=1), "np.repeat(X, 2, axis=1)  (each element repeated: a,a,b,b,...) -> (3,8)")
    s.put("flip_01", np.flip(X, (0, 1)), "np.flip(X, axis=(0,1))")
    s.put("slice_step", X[::2, ::-1], "X[::2, ::-1]  -> (2,4)")
    s.put("slice_neg", X[-2:, 1:-1], "X[-2:, 1:-1]  -> (2,2)")
    idx = np.array([3, 0, 0], dtype=i64)
    s.put("index_select_idx", idx, "np.array([3, 0, 0], int64)")
    s.put("index_select", X[:, idx], "X[:, index_select_idx]  (= np.take(X, idx, axis=1)) -> (3,3)")

    gidx = rng.integers(0, 4, size=(3, 2)).astype(i64)
    s.put("gather_idx", gidx, "rng.integers(0, 4, (3,2)).astype(int64)")
    s.put("gather", np.take_along_axis(X, gidx, axis=1),
          "np.take_along_axis(X, gather_idx, axis=1)  (= torch.gather(x, 1, idx)) -> (3,2)")

    sidx = rng.integers(0, 3, size=(2, 4)).astype(i64)
    sidx[1, 0] = sidx[0, 0]
    ssrc = uni(-1.0, 1.0, (2, 4))
    s.notes.append("scatter_idx[1,0] is forced equal to scatter_idx[0,0] so at least one destination "
                   "receives two contributions.")
    s.put("scatter_idx", sidx, "rng.integers(0, 3, (2,4)).astype(int64); scatter_idx[1,0] = scatter_idx[0,0]")
    s.put("scatter_src", ssrc, "rng.uniform(-1, 1, (2,4)).astype(float32)")
    out = X.copy()
    cols = np.broadcast_to(np.arange(4), sidx.shape)
    np.add.at(out, (sidx, cols), d(ssrc))
    s.put("scatter_add", out,
          "out = X.copy(); np.add.at(out, (scatter_idx, arange(4)[None,:]), scatter_src)  "
          "i.e. out[scatter_idx[i,j], j] += src[i,j] (torch x.scatter_add(0, idx, src)) -> (3,4)")

    cond = rng.random((3, 4)) < 0.5
    s.put("cond", cond, "rng.random((3,4)) < 0.5", bool)
    s.put("where", np.where(cond, X, Y[0]), "np.where(cond, X, Y[0])  (Y[0] shape (4,) broadcasts) -> (3,4)")
    s.put("masked_fill", np.where(cond, -7.0, X), "np.where(cond, -7.0, X)  (= x.masked_fill(cond, -7))")

    labels = rng.integers(0, 4, size=(5,)).astype(i64)
    s.put("labels", labels, "rng.integers(0, 4, (5,)).astype(int64)")
    s.put("one_hot", np.eye(4, dtype=f64)[labels], "np.eye(4)[labels]  (num_classes=4) -> (5,4) float64")

    sv = np.round(rng.uniform(-3.0, 3.0, (4, 6)), 2).astype(f32)
    # plant ties: within rows (axis 1) and within columns (axis 0)
    sv[0, 4] = sv[0, 1]
    sv[1, 5] = sv[1, 0]
    sv[1, 2] = sv[1, 0]
    sv[3, 0] = sv[0, 0]
    sv[2, 3] = sv[1, 3]
    s.notes.append("s ties: s[0,1]==s[0,4]; s[1,0]==s[1,2]==s[1,5]; s[0,0]==s[3,0]; s[1,3]==s[2,3]. "
                   "Stable order: equal elements keep ascending original index, also in the descending sorts.")
    s.put("s", sv, "np.round(rng.uniform(-3, 3, (4,6)), 2).astype(float32) with the ties above planted")
    S = d(sv)
    s.put("sort_1", np.sort(S, axis=1), "np.sort(s, axis=1)  (ascending)")
    s.put("argsort_1", np.argsort(sv, axis=1, kind="stable"), "np.argsort(s, axis=1, kind='stable')", i64)
    s.put("argsort_0_desc", np.argsort(-sv, axis=0, kind="stable"),
          "np.argsort(-s, axis=0, kind='stable')  (descending, ties by ascending index)", i64)
    s.put("topk_vals", -np.sort(-S, axis=1)[:, :3], "-np.sort(-s, axis=1)[:, :3]  (k=3, largest first) -> (4,3)")
    s.put("topk_idx", np.argsort(-sv, axis=1, kind="stable")[:, :3],
          "np.argsort(-s, axis=1, kind='stable')[:, :3]  (ties by ascending index) -> (4,3)", i64)
    assert not np.any(sv == 0), "avoid -0.0 vs 0.0 in the negated sorts"
    s.save()


# ---------------------------------------------------------------------------
# 7. npy / npz interop
# ---------------------------------------------------------------------------
NPY_ENTRIES = []  # (fname, array-as-written, expression, notes)


def _npy(fname, arr, expr, note=""):
    path = os.path.join(OUT, "npy", fname)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, arr)
    NPY_ENTRIES.append((fname, arr, expr, note))


def gen_interop():
    _npy("f32.npy", np.arange(6, dtype=f32).reshape(2, 3), "np.arange(6, dtype=float32).reshape(2,3)")
    _npy("f64.npy", np.array([0.1, -2.5, 1e300, -0.0], dtype=f64), "np.array([0.1, -2.5, 1e300, -0.0], float64)",
         "last element is negative zero (sign bit set)")
    _npy("i32.npy", (np.arange(8) - 5).astype(i32).reshape(2, 2, 2), "(np.arange(8) - 5).astype(int32).reshape(2,2,2)")
    _npy("i64.npy", np.array([-(2 ** 40), 0, 2 ** 62], dtype=i64), "np.array([-(2**40), 0, 2**62], int64)")
    _npy("u8.npy", np.array([0, 1, 127, 128, 255], dtype=np.uint8), "np.array([0, 1, 127, 128, 255], uint8)")
    _npy("bool.npy", np.array([[True, False], [False, True]]), "np.array([[True, False], [False, True]])")
    _npy("scalar.npy", np.array(3.25, dtype=f32), "np.array(3.25, float32)  (0-d, shape ())")
    _npy("empty.npy", np.zeros((0, 3), dtype=f32), "np.zeros((0,3), float32)")
    _npy("fortran.npy", np.asfortranarray(np.arange(6, dtype=f32).reshape(2, 3)),
         "np.asfortranarray(np.arange(6, dtype=float32).reshape(2,3))",
         "header has 'fortran_order': True; data bytes are column-major: 0,3,1,4,2,5; logical value [[0,1,2],[3,4,5]]")
    _npy("bigendian.npy", np.array([1.0, -2.5, 3.25], dtype=">f4"), "np.array([1.0, -2.5, 3.25], dtype='>f4')",
         "descr '>f4'")
    _npy("complex.npy", np.array([1 + 2j, -3.5 + 0.25j], dtype=np.complex64),
         "np.array([1+2j, -3.5+0.25j], complex64)", "descr '<c8' (unsupported dtype; reader should reject)")
    v2 = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=f32)
    with open(os.path.join(OUT, "npy", "v2header.npy"), "wb") as fh:
        np.lib.format.write_array(fh, v2, version=(2, 0))
    NPY_ENTRIES.append(("v2header.npy", v2, "np.lib.format.write_array(f, np.array([[1,2],[3,4]], float32), version=(2,0))",
                        "magic version 2.0: 4-byte little-endian header length"))

    arrays = {
        "weights": rng.uniform(-1.0, 1.0, (3, 4)).astype(f32),
        "bias": rng.uniform(-1.0, 1.0, (4,)).astype(f64),
        "steps": np.array(42, dtype=i64),
        "mask": np.array([True, False, True, True]),
    }
    os.makedirs(os.path.join(OUT, "npz"), exist_ok=True)
    np.savez(os.path.join(OUT, "npz", "plain.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "npz", "compressed.npz"), **arrays)

    expected = {}
    for k, a in arrays.items():
        if a.dtype.kind == "f":
            vals = [float(v) for v in a.ravel()]  # float32 -> exact float64 value; json uses repr
        elif a.dtype.kind == "b":
            vals = [bool(v) for v in a.ravel()]
        else:
            vals = [int(v) for v in a.ravel()]
        expected[k] = {"dtype": str(a.dtype), "descr": a.dtype.str, "shape": list(a.shape), "values": vals}
    doc = {
        "_comment": "Arrays stored in both npz/plain.npz (np.savez, ZIP_STORED) and npz/compressed.npz "
                    "(np.savez_compressed, ZIP_DEFLATED). Member names are '<key>.npy'. Values are flat, "
                    "C order; float32 values are given as the exact float64 value of the float32.",
        "files": ["plain.npz", "compressed.npz"],
        "arrays": expected,
    }
    with open(os.path.join(OUT, "npz", "expected.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    return arrays


# ---------------------------------------------------------------------------
# MANIFEST.md
# ---------------------------------------------------------------------------
def _cell(text):
    """Escape '|' so GFM tables are not split (renders as '|' inside code spans too)."""
    return str(text).replace("|", "\\|")


def _fmt_shape(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def write_manifest(npz_arrays):
    L = []
    L.append("# NumPy reference fixtures for DeepSwift")
    L.append("")
    L.append("Generated by `Tests/Fixtures/generate_numpy_fixtures.py` (numpy %s, scipy %s; "
             "`np.random.default_rng(1234)`). Do not edit by hand; re-run the script." % (np.__version__, scipy.__version__))
    L.append("")
    L.append("General conventions:")
    L.append("- All `.npz` files are written with `np.savez` (ZIP_STORED; numpy forces zip64 extra fields on every "
             "member, member names are `<key>.npy`), except `npz/compressed.npz` (ZIP_DEFLATED).")
    L.append("- Inputs keep their natural dtype. Expected float results are float64 computed from the inputs cast "
             "to float64 (`X = x.astype(float64)`); integer/index results are int64; comparisons/logical are bool.")
    L.append("- All stored arrays are C-order little-endian. Axis numbers are numpy axes (0 = outermost). "
             "No `keepdims` unless the key says `_keep`. `0-d` means shape `()`.")
    L.append("- Shapes are numpy shapes; `(n,)` is 1-D.")
    L.append("")
    for fname, items, notes in MANIFEST:
        L.append(f"## {fname}")
        L.append("")
        for n in notes:
            L.append(f"- Note: {n}")
        if notes:
            L.append("")
        L.append("| key | dtype | shape | numpy expression |")
        L.append("|---|---|---|---|")
        for k, a, expr in items:
            L.append(f"| `{k}` | {a.dtype} | {_fmt_shape(a.shape)} | `{_cell(expr)}` |")
        L.append("")
    L.append("## npy/*.npy (single-array .npy reader tests; written with np.save unless noted)")
    L.append("")
    L.append("| file | descr | shape | fortran_order | expression | notes |")
    L.append("|---|---|---|---|---|---|")
    for fname, a, expr, note in NPY_ENTRIES:
        fo = bool(a.flags.f_contiguous and not a.flags.c_contiguous)
        L.append(f"| `npy/{fname}` | `{_cell(a.dtype.str)}` | {_fmt_shape(a.shape)} | {fo} | `{_cell(expr)}` | {_cell(note)} |")
    L.append("")
    L.append("## npz/plain.npz, npz/compressed.npz (+ npz/expected.json)")
    L.append("")
    L.append("Same four arrays in both; `plain.npz` via `np.savez`, `compressed.npz` via `np.savez_compressed`. "
             "`npz/expected.json` = `{\"files\": [...], \"arrays\": {key: {dtype, descr, shape, values (flat C order)}}}`.")
    L.append("")
    L.append("| key | dtype | shape | expression |")
    L.append("|---|---|---|---|")
    exprs = {
        "weights": "rng.uniform(-1, 1, (3,4)).astype(float32)",
        "bias": "rng.uniform(-1, 1, (4,))  (float64)",
        "steps": "np.array(42, int64)  (0-d)",
        "mask": "np.array([True, False, True, True])",
    }
    for k, a in npz_arrays.items():
        L.append(f"| `{k}` | {a.dtype} | {_fmt_shape(a.shape)} | `{exprs[k]}` |")
    L.append("")
    with open(os.path.join(OUT, "MANIFEST.md"), "w") as fh:
        fh.write("\n".join(L))


def main():
    os.makedirs(OUT, exist_ok=True)
    gen_unary()
    gen_binary()
    gen_reduce()
    gen_softmax()
    gen_matmul()
    gen_manipulation()
    npz_arrays = gen_interop()
    write_manifest(npz_arrays)

    total = 0
    rows = []
    for root, _, files in os.walk(OUT):
        for f in sorted(files):
            p = os.path.join(root, f)
            sz = os.path.getsize(p)
            total += sz
            with open(p, "rb") as fh:
                h = hashlib.sha256(fh.read()).hexdigest()[:12]
            rows.append((os.path.relpath(p, OUT), sz, h))
    rows.sort()
    nkeys = {fname: len(items) for fname, items, _ in MANIFEST}
    print(f"DeepSwift numpy fixtures -> {OUT}  (numpy {np.__version__})")
    for rel, sz, h in rows:
        extra = f"  {nkeys[rel]} keys" if rel in nkeys else ""
        print(f"  {rel:28s} {sz:7d} B  sha256:{h}{extra}")
    print(f"  total: {len(rows)} files, {total} bytes ({total / 1024:.1f} KiB)")
    if total >= 300 * 1024:
        print("ERROR: fixtures exceed 300 KB", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
