#!/usr/bin/env python3
"""NumPy baselines for BENCHMARKS.md.

Prints one JSON object per line on stdout:

  {"info": {...}}                                   first line: versions, BLAS, threads
  {"op":"matmul","size":N,"dtype":"float32","gflops":G,"threads":T}
  {"op":NAME,"count":N,"gbps":B,"melem_per_s":M,"threads":1,"variant":"..."}

Flags:
  --threads T   BLAS threads (default 2). Sets OPENBLAS_NUM_THREADS /
                OMP_NUM_THREADS / MKL_NUM_THREADS *before* numpy is imported.
  --repeat R    timed repetitions per case (default: as many as fit in
                ~--min-time seconds, at least 3). One untimed warm-up call
                always precedes the timed ones; the best (minimum) time is
                reported.
  --min-time S  time budget per case when --repeat is not given (default 1.0).
  --variants    also print one {"op":"variant",...} line per candidate
                composition that was tried (relu, sigmoid, gelu, softmax).

Only numpy is required. scipy (if importable) is used for gelu_erf
(scipy.special.erf); without it gelu_erf is skipped. threadpoolctl (optional)
is used to report what BLAS numpy actually loaded and its thread count.
"""

import argparse
import json
import os
import platform
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=None)
    p.add_argument("--min-time", type=float, default=1.0)
    p.add_argument("--variants", action="store_true")
    return p.parse_args()


ARGS = parse_args()
# Must happen before numpy (and its bundled OpenBLAS) is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402

try:
    import scipy  # noqa: E402
    import scipy.special as _sps  # noqa: E402
except Exception:  # pragma: no cover - scipy optional
    scipy = None
    _sps = None

COUNT = 16 * 1024 * 1024
SOFTMAX_SHAPE = (16384, 1024)
CHUNK = 128 * 1024  # elements per block for chunked variants (512 KiB/array: L2-resident)
SOFTMAX_BLOCK_ROWS = (256, 1024)  # row blocks tried for softmax (1 MiB, 4 MiB)


def emit(obj):
    print(json.dumps(obj), flush=True)


def bench(fn):
    """Warm up once, then time; return the best (minimum) seconds."""
    fn()
    best = float("inf")
    if ARGS.repeat is not None:
        for _ in range(max(1, ARGS.repeat)):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        return best
    n = 0
    start = time.perf_counter()
    while n < 3 or time.perf_counter() - start < ARGS.min_time:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        n += 1
    return best


def info():
    d = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": getattr(scipy, "__version__", None),
        "threads_requested": ARGS.threads,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "env": {k: v for k, v in sorted(os.environ.items())
                if k.startswith(("OPENBLAS", "OMP_", "MKL", "GOTO", "BLIS", "NPY_"))},
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    d["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cfg = np.show_config(mode="dicts")
        d["numpy_simd_found"] = cfg.get("SIMD Extensions", {}).get("found")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        d["numpy_blas_build"] = {"name": blas.get("name"), "version": blas.get("version")}
    except Exception:
        pass
    try:
        import threadpoolctl
        pools = threadpoolctl.threadpool_info()
        d["threadpools"] = [
            {k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version",
                                   "threading_layer", "architecture", "filepath")}
            for p in pools
        ]
        npblas = [p for p in pools if p.get("user_api") == "blas"
                  and "numpy" in (p.get("filepath") or "")]
        if npblas:
            d["numpy_blas"] = {"internal_api": npblas[0].get("internal_api"),
                               "architecture": npblas[0].get("architecture"),
                               "num_threads": npblas[0].get("num_threads")}
            d["threads_ok"] = all(p.get("num_threads") == ARGS.threads for p in npblas)
    except ImportError:
        d["threadpools"] = "threadpoolctl not installed"
    return d


# ----------------------------------------------------------------------------
# matmul
# ----------------------------------------------------------------------------

def run_matmul(rng):
    # Spin up BLAS threads / CPU clocks before the first timed case (the first
    # 512 case otherwise occasionally reads ~half speed).
    w = rng.standard_normal((1024, 1024)).astype(np.float32)
    wc = np.empty_like(w)
    t_end = time.perf_counter() + 0.3
    while time.perf_counter() < t_end:
        np.matmul(w, w, out=wc)
    for dtype in ("float32", "float64"):
        for n in (512, 1024, 2048):
            a = rng.standard_normal((n, n)).astype(dtype)
            b = rng.standard_normal((n, n)).astype(dtype)
            c = np.empty((n, n), dtype=dtype)
            t = bench(lambda: np.matmul(a, b, out=c))
            emit({"op": "matmul", "size": n, "dtype": dtype,
                  "gflops": round(2.0 * n ** 3 / t / 1e9, 2), "threads": ARGS.threads})


# ----------------------------------------------------------------------------
# elementwise / reductions helpers
# ----------------------------------------------------------------------------

def chunked(body, *arrays):
    """Apply body(*slices) over CHUNK-sized blocks so temporaries stay in cache."""
    n = arrays[0].shape[0]
    bounds = [(i, min(i + CHUNK, n)) for i in range(0, n, CHUNK)]
    views = [[arr[i:j] for (i, j) in bounds] for arr in arrays]
    views = list(zip(*views))

    def run():
        for v in views:
            body(*v)
    return run


def result(op, count, t, bytes_per_elem, variant):
    return {"op": op, "count": count,
            "gbps": round(count * bytes_per_elem / t / 1e9, 2),
            "melem_per_s": round(count / t / 1e6, 1),
            "threads": 1, "variant": variant}


def best_of(op, count, bytes_per_elem, candidates, check=None):
    """Time every (variant, fn) candidate; emit and return the fastest."""
    best = None
    for name, fn in candidates:
        if check is not None:
            check(name, fn)
        t = bench(fn)
        r = result(op, count, t, bytes_per_elem, name)
        if ARGS.variants:
            emit(dict(r, op="variant", of=op))
        if best is None or r["melem_per_s"] > best["melem_per_s"]:
            best = r
    emit(best)
    return best


# --- pure compositions (whole-array passes) ---------------------------------

SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))
INV_SQRT2 = float(1.0 / np.sqrt(2.0))
GK = 0.044715


def sigmoid_exp_recip(a, o):
    np.negative(a, out=o); np.exp(o, out=o); np.add(o, 1.0, out=o); np.reciprocal(o, out=o)


def sigmoid_exp_div(a, o):
    np.negative(a, out=o); np.exp(o, out=o); np.add(o, 1.0, out=o); np.divide(1.0, o, out=o)


def sigmoid_tanh(a, o):
    np.multiply(a, 0.5, out=o); np.tanh(o, out=o); np.multiply(o, 0.5, out=o); np.add(o, 0.5, out=o)


def gelu_tanh_classic(a, o, h):
    # 0.5*x*(1+tanh(c*(x+k*x^3))) = h + h*tanh(x*(c + c*k*x^2)),  h = 0.5*x
    np.multiply(a, a, out=o); np.multiply(o, SQRT_2_OVER_PI * GK, out=o)
    np.add(o, SQRT_2_OVER_PI, out=o); np.multiply(o, a, out=o); np.tanh(o, out=o)
    np.multiply(a, 0.5, out=h); np.multiply(o, h, out=o); np.add(o, h, out=o)


def gelu_tanh_literal(a, o, h):
    # straight transcription: 0.5*x*(1+tanh(c*(x+0.044715*x^3)))
    np.multiply(a, a, out=o); np.multiply(o, a, out=o); np.multiply(o, GK, out=o)
    np.add(o, a, out=o); np.multiply(o, SQRT_2_OVER_PI, out=o); np.tanh(o, out=o)
    np.add(o, 1.0, out=o); np.multiply(o, a, out=o); np.multiply(o, 0.5, out=o)


def gelu_tanh_sigmoid(a, o, h):
    # identical math: 0.5*(1+tanh(u)) = 1/(1+exp(-2u));  gelu = x / (1 + exp(-2u))
    np.multiply(a, a, out=o); np.multiply(o, -2.0 * SQRT_2_OVER_PI * GK, out=o)
    np.add(o, -2.0 * SQRT_2_OVER_PI, out=o); np.multiply(o, a, out=o)
    np.exp(o, out=o); np.add(o, 1.0, out=o); np.divide(a, o, out=o)


def gelu_erf_a(a, o, h):
    # 0.5*x*(1+erf(x/sqrt2))
    np.multiply(a, INV_SQRT2, out=o); _sps.erf(o, out=o); np.add(o, 1.0, out=o)
    np.multiply(o, a, out=o); np.multiply(o, 0.5, out=o)


def gelu_erf_b(a, o, h):
    # h + h*erf(x/sqrt2), h = 0.5*x
    np.multiply(a, INV_SQRT2, out=o); _sps.erf(o, out=o)
    np.multiply(a, 0.5, out=h); np.multiply(o, h, out=o); np.add(o, h, out=o)


# Abramowitz & Stegun 7.1.26 erf (|abs err| < 1.5e-7), numpy ufuncs only.
AS_P = 0.3275911
AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def gelu_erf_numpy_as(a, o, z, t):
    np.abs(a, out=z); np.multiply(z, INV_SQRT2, out=z)          # z = |x|/sqrt2
    np.multiply(z, AS_P, out=t); np.add(t, 1.0, out=t); np.divide(1.0, t, out=t)
    np.multiply(t, AS_A[4], out=o)
    for c in (AS_A[3], AS_A[2], AS_A[1], AS_A[0]):
        np.add(o, c, out=o); np.multiply(o, t, out=o)
    np.square(z, out=z); np.negative(z, out=z); np.exp(z, out=z)
    np.multiply(o, z, out=o)                                      # erfc(|x|/sqrt2)
    np.subtract(1.0, o, out=o); np.copysign(o, a, out=o)          # erf(x/sqrt2)
    np.add(o, 1.0, out=o); np.multiply(o, a, out=o); np.multiply(o, 0.5, out=o)


def make_checker(a, o, ref):
    idx = slice(0, 1 << 16)

    def check(name, fn):
        o[...] = np.nan
        fn()
        err = float(np.max(np.abs(o[idx].astype(np.float64) - ref)))
        if not np.isfinite(err) or err > 1e-4:
            raise SystemExit(f"variant {name!r} wrong: max abs err {err}")
    return check


def run_elementwise(rng):
    n = COUNT
    a = rng.uniform(-4.0, 4.0, n).astype(np.float32)
    b = rng.uniform(-4.0, 4.0, n).astype(np.float32)
    o = np.empty(n, np.float32)
    h = np.empty(n, np.float32)
    x64 = a[:1 << 16].astype(np.float64)

    t = bench(lambda: np.add(a, b, out=o))
    emit(result("add", n, t, 12, "np.add(a,b,out=o)"))
    t = bench(lambda: np.multiply(a, b, out=o))
    emit(result("mul", n, t, 12, "np.multiply(a,b,out=o)"))
    t = bench(lambda: np.exp(a, out=o))
    emit(result("exp", n, t, 8, "np.exp(a,out=o)"))
    t = bench(lambda: np.tanh(a, out=o))
    emit(result("tanh", n, t, 8, "np.tanh(a,out=o)"))

    best_of("relu", n, 8, [
        ("np.maximum(a,0,out=o)", lambda: np.maximum(a, 0, out=o)),
        ("np.maximum(a,np.float32(0),out=o)", lambda: np.maximum(a, np.float32(0), out=o)),
        ("np.fmax(a,0,out=o)", lambda: np.fmax(a, 0, out=o)),
        ("np.clip(a,0,None,out=o)", lambda: np.clip(a, 0, None, out=o)),
    ], check=make_checker(a, o, np.maximum(x64, 0)))

    sig_ref = 1.0 / (1.0 + np.exp(-x64))
    sig = [
        ("neg,exp,add1,reciprocal", lambda: sigmoid_exp_recip(a, o)),
        ("neg,exp,add1,divide(1,o)", lambda: sigmoid_exp_div(a, o)),
        ("0.5*tanh(0.5x)+0.5", lambda: sigmoid_tanh(a, o)),
        (f"chunked[{CHUNK}] neg,exp,add1,reciprocal", chunked(sigmoid_exp_recip, a, o)),
        (f"chunked[{CHUNK}] neg,exp,add1,divide(1,o)", chunked(sigmoid_exp_div, a, o)),
        (f"chunked[{CHUNK}] 0.5*tanh(0.5x)+0.5", chunked(sigmoid_tanh, a, o)),
    ]
    best_of("sigmoid", n, 8, sig, check=make_checker(a, o, sig_ref))
    if ARGS.variants and _sps is not None:
        t = bench(lambda: _sps.expit(a, out=o))
        emit(dict(result("variant", n, t, 8, "scipy.special.expit(a,out=o) [not numpy]"),
                  of="sigmoid"))

    gt_ref = 0.5 * x64 * (1.0 + np.tanh(SQRT_2_OVER_PI * (x64 + GK * x64 ** 3)))
    gelu_tanh = best_of("gelu_tanh", n, 8, [
        ("literal 9-pass", lambda: gelu_tanh_literal(a, o, h)),
        ("h+h*tanh(x*(c+ck*x^2)), h=0.5x", lambda: gelu_tanh_classic(a, o, h)),
        ("x/(1+exp(-2u))", lambda: gelu_tanh_sigmoid(a, o, h)),
        (f"chunked[{CHUNK}] h+h*tanh(x*(c+ck*x^2))", chunked(gelu_tanh_classic, a, o, h)),
        (f"chunked[{CHUNK}] x/(1+exp(-2u))", chunked(gelu_tanh_sigmoid, a, o, h)),
    ], check=make_checker(a, o, gt_ref))

    best = gelu_tanh
    if _sps is not None:
        import math
        ge_ref = 0.5 * x64 * (1.0 + np.array([math.erf(v / math.sqrt(2.0)) for v in x64]))
        gelu_erf = best_of("gelu_erf", n, 8, [
            ("0.5*x*(1+erf(x/sqrt2)) [scipy erf]", lambda: gelu_erf_a(a, o, h)),
            ("h+h*erf(x/sqrt2), h=0.5x [scipy erf]", lambda: gelu_erf_b(a, o, h)),
            (f"chunked[{CHUNK}] 0.5*x*(1+erf) [scipy erf]", chunked(gelu_erf_a, a, o, h)),
            (f"chunked[{CHUNK}] h+h*erf [scipy erf]", chunked(gelu_erf_b, a, o, h)),
        ], check=make_checker(a, o, ge_ref))
        if ARGS.variants:
            # Diagnostic only (not eligible for gelu_erf): erf approximated from numpy ufuncs.
            z = np.empty(n, np.float32)
            fn = chunked(gelu_erf_numpy_as, a, o, h, z)
            make_checker(a, o, ge_ref)("A&S erf", fn)
            t = bench(fn)
            emit(dict(result("variant", n, t, 8,
                             f"chunked[{CHUNK}] numpy-only A&S 7.1.26 erf approx (not scipy)"),
                      of="gelu_erf"))
        if gelu_erf["melem_per_s"] > best["melem_per_s"]:
            best = gelu_erf
    best = dict(best)
    best["variant"] = f"{best['op']}: {best['variant']}"
    best["op"] = "gelu"
    emit(best)


# ----------------------------------------------------------------------------
# reductions
# ----------------------------------------------------------------------------

def run_reductions(rng):
    n = COUNT
    a = rng.uniform(-4.0, 4.0, n).astype(np.float32)
    t = bench(lambda: np.sum(a))
    emit(result("sum", n, t, 4, "np.sum(a)"))
    t = bench(lambda: np.max(a))
    emit(result("max", n, t, 4, "np.max(a)"))

    rows, cols = SOFTMAX_SHAPE
    x = a.reshape(rows, cols)
    o = np.empty_like(x)
    m = np.empty((rows, 1), np.float32)
    s = np.empty((rows, 1), np.float32)

    def softmax_block(x, o, m, s, recip, einsum=False):
        np.max(x, axis=1, keepdims=True, out=m)
        np.subtract(x, m, out=o)
        np.exp(o, out=o)
        if einsum:
            np.einsum("ij->i", o, out=s.reshape(-1))  # row sums; faster than np.sum(axis=1)
        else:
            np.sum(o, axis=1, keepdims=True, out=s)
        if recip:
            np.reciprocal(s, out=s)
            np.multiply(o, s, out=o)
        else:
            np.divide(o, s, out=o)

    def blocked(block_rows, recip, einsum):
        parts = [(x[i:i + block_rows], o[i:i + block_rows], m[i:i + block_rows],
                  s[i:i + block_rows]) for i in range(0, rows, block_rows)]

        def run():
            for p in parts:
                softmax_block(*p, recip, einsum)
        return run

    x64 = x[:64].astype(np.float64)
    e = np.exp(x64 - x64.max(axis=1, keepdims=True))
    ref = e / e.sum(axis=1, keepdims=True)

    def check(name, fn):
        o[...] = np.nan
        fn()
        err = float(np.max(np.abs(o[:64] - ref)))
        if not np.isfinite(err) or err > 1e-6:
            raise SystemExit(f"softmax variant {name!r} wrong: max abs err {err}")

    cands = [
        ("max,sub,exp,sum,divide (whole array)", lambda: softmax_block(x, o, m, s, False)),
        ("max,sub,exp,einsum-rowsum,recip*mul (whole array)",
         lambda: softmax_block(x, o, m, s, True, True)),
    ]
    for br in SOFTMAX_BLOCK_ROWS:
        cands.append((f"row-blocked[{br}] max,sub,exp,einsum-rowsum,recip*mul",
                      blocked(br, True, True)))
    best_of("softmax", n, 8, cands, check=check)


def main():
    emit({"info": info()})
    rng = np.random.default_rng(0)
    with np.errstate(over="ignore"):
        run_matmul(rng)
        run_elementwise(rng)
        run_reductions(rng)


if __name__ == "__main__":
    main()
