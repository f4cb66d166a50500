#!/usr/bin/env python3
"""pandas CSV-reading baseline for BENCHMARKS.md (peer of `deepswift bench csv`).

1. Generates, if it is missing, a numeric CSV of about --mb megabytes (default 100 MB =
   100,000,000 bytes) at PATH: a header `c0,c1,...,c19` and 20 float columns per row, each value
   written with '%.6g' (e.g. `-12.3457`, `0.00123457`, `48213.9`, about 1% like `-3.21e-05`), LF line endings.
   The content is a pure function of --seed, --cols and --mb (numpy default_rng); the file is
   written to PATH.tmp and renamed, so an interrupted run leaves no half file behind.
2. Times `pandas.read_csv(PATH, engine="c").to_numpy(dtype=np.float32)`: one untimed warm-up
   (which also pulls the file into the page cache), then --repeat timed runs; the best is kept.
3. Prints one JSON line:
     {"op":"csv","framework":"pandas","mb_per_s":..,"rows_per_s":..,"rows":..,"mb":..,...}
   mb = file size / 1e6 (header included), rows = data rows (header excluded).

Flags:
  --path PATH        CSV file (default /tmp/deepswift_bench_100mb.csv)
  --mb MB            target size when generating (default 100)
  --seed S           generator seed (default 0)
  --cols N           float columns (default 20)
  --generate-only    write the file if missing, print its size/rows, do not time
  --force            regenerate even if PATH exists
  --repeat R         timed pandas runs (default 3)
  --loadtxt          also time numpy.loadtxt(PATH, delimiter=",", skiprows=1, dtype=float32)
                     once, in a child process killed after --loadtxt-limit seconds (default 60)

Other scripts can reuse the generator:
    from bench_pandas_csv import generate_numeric_csv
    info = generate_numeric_csv("/tmp/x.csv", target_mb=10, seed=0)   # {"path","bytes","rows","cols"}

Only numpy and pandas are needed (the generator needs numpy only).
"""

import argparse
import json
import multiprocessing as mp
import os
import sys
import time

import numpy as np

DEFAULT_PATH = "/tmp/deepswift_bench_100mb.csv"


# ---------------------------------------------------------------------------
# Generator (reusable)
# ---------------------------------------------------------------------------
def _chunk_lines(rng, rows, cols):
    """`rows` CSV lines (each ending in '\n') of `cols` '%.6g' floats with mixed magnitudes."""
    mant = rng.standard_normal((rows, cols))
    expo = rng.integers(-3, 5, size=(rows, cols))            # 1e-3 .. 1e4 (a few get exponents)
    vals = mant * np.power(10.0, expo)
    fmt = ",".join(["%.6g"] * cols) + "\n"
    return [fmt % tuple(r) for r in vals.tolist()]


def generate_numeric_csv(path=DEFAULT_PATH, target_mb=100.0, seed=0, cols=20, force=False,
                         chunk_rows=20000):
    """Write (unless it exists and not force) a numeric CSV of at least target_mb * 1e6 bytes.

    Rows are drawn in chunks of chunk_rows from np.random.default_rng(seed); the file stops after
    the first row that takes it to >= target_mb * 1e6 bytes, so the content only depends on
    (seed, cols, target_mb, chunk_rows). Returns {"path","bytes","rows","cols","generated"}."""
    if os.path.exists(path) and not force:
        return {"path": path, "bytes": os.path.getsize(path), "rows": count_rows(path),
                "cols": cols, "generated": False}
    target = int(target_mb * 1e6)
    rng = np.random.default_rng(seed)
    header = ",".join(f"c{j}" for j in range(cols)) + "\n"
    tmp = path + ".tmp"
    rows = 0
    written = 0
    with open(tmp, "wb") as f:
        data = header.encode("ascii")
        f.write(data)
        written += len(data)
        while written < target:
            lines = _chunk_lines(rng, chunk_rows, cols)
            lens = np.cumsum([len(l) for l in lines])          # ASCII: chars == bytes
            need = target - written
            k = int(np.searchsorted(lens, need)) + 1          # rows needed to reach the target
            k = min(k, len(lines))
            data = "".join(lines[:k]).encode("ascii")
            f.write(data)
            written += len(data)
            rows += k
    os.replace(tmp, path)
    return {"path": path, "bytes": written, "rows": rows, "cols": cols, "generated": True}


def count_rows(path):
    """Data rows (lines after the header) of a file that ends in '\n'."""
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 24)
            if not b:
                break
            n += b.count(b"\n")
    return n - 1


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------
def time_pandas(path, repeat):
    import pandas as pd

    def once():
        t0 = time.perf_counter()
        arr = pd.read_csv(path, engine="c").to_numpy(dtype=np.float32)
        return time.perf_counter() - t0, arr

    _, arr = once()                                   # warm-up (page cache, imports)
    times = []
    for _ in range(repeat):
        t, arr = once()
        times.append(t)
    return times, arr.shape, pd.__version__


def _loadtxt_child(path, q):
    t0 = time.perf_counter()
    arr = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    q.put((time.perf_counter() - t0, arr.shape))


def time_loadtxt(path, limit_s):
    """One numpy.loadtxt run in a child process; None if it takes longer than limit_s."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_loadtxt_child, args=(path, q))
    p.start()
    try:
        t, shape = q.get(timeout=limit_s)
    except Exception:
        t, shape = None, None
    finally:
        if p.is_alive():
            p.terminate()
        p.join()
    return t, shape


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--path", default=DEFAULT_PATH)
    ap.add_argument("--mb", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cols", type=int, default=20)
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--loadtxt", action="store_true")
    ap.add_argument("--loadtxt-limit", type=float, default=60.0)
    args = ap.parse_args()

    t0 = time.perf_counter()
    info = generate_numeric_csv(args.path, args.mb, args.seed, args.cols, force=args.force)
    if info["generated"]:
        print(f"generated {info['path']}: {info['bytes']} bytes, {info['rows']} rows "
              f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if args.generate_only:
        print(json.dumps({"op": "csv_generate", "path": info["path"], "bytes": info["bytes"],
                          "rows": info["rows"], "cols": info["cols"], "seed": args.seed}))
        return 0

    size = os.path.getsize(args.path)
    mb = size / 1e6
    times, shape, pd_version = time_pandas(args.path, args.repeat)
    best = min(times)
    rows, cols = shape
    print(json.dumps({"op": "csv", "framework": "pandas",
                      "mb_per_s": round(mb / best, 2), "rows_per_s": round(rows / best),
                      "rows": rows, "mb": round(mb, 3), "cols": cols,
                      "best_s": round(best, 4), "times_s": [round(t, 4) for t in times],
                      "call": 'read_csv(engine="c").to_numpy(float32)', "version": pd_version}),
          flush=True)

    if args.loadtxt:
        t, lshape = time_loadtxt(args.path, args.loadtxt_limit)
        if t is None:
            print(json.dumps({"op": "csv", "framework": "numpy.loadtxt", "skipped":
                              f"took more than {args.loadtxt_limit:g} s"}))
        else:
            print(json.dumps({"op": "csv", "framework": "numpy.loadtxt",
                              "mb_per_s": round(mb / t, 2), "rows_per_s": round(lshape[0] / t),
                              "rows": lshape[0], "mb": round(mb, 3), "cols": lshape[1],
                              "best_s": round(t, 4), "runs": 1, "version": np.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
