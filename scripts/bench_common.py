"""Framework-independent helpers shared by the MNIST peer benchmarks.

Used by bench_torch_mlp.py, bench_torch_lenet.py and bench_jax_mlp.py. Only
the standard library and numpy are imported here, so this module loads in
both the torch and the jax virtual environments (and before jax is imported,
which bench_jax_mlp.py needs for its thread pinning).

Contents:
* mnist_arg_parser, add_infer_args   the common command-line flags
* read_idx, load_mnist               gzipped IDX files -> numpy arrays
* batch_shapes, epoch_batches        batch sizes of an epoch; shuffled index batches
* StepTimer                          train_seconds / timed samples, first step excluded
* median_call_ms                     median latency of repeated calls after warm-ups
* max_rss_mb                         peak resident set size of this process
* train_result, infer_result,        the JSON objects the benchmarks print (key order fixed)
  print_json
"""

import argparse
import gzip
import json
import os
import resource
import statistics
import struct
import time

import numpy as np

DEFAULT_DATA = "/work/shared/data/mnist"
MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def mnist_arg_parser(doc, batch_size):
    """Parser with --data, --threads, --epochs, --batch-size, --seed (in that order).

    Scripts add their own flags next, then add_infer_args(), so --help lists
    the flags in the same order as before the helpers were shared."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--seed", type=int, default=0)
    return p


def add_infer_args(p):
    p.add_argument("--infer", action="store_true", help="measure inference latency instead of training")
    p.add_argument("--infer-trained", action="store_true", help="with --infer: train first, then time the trained model")
    p.add_argument("--infer-warmup", type=int, default=20)
    p.add_argument("--infer-iters", type=int, default=200)
    return p


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def read_idx(path):
    """A gzipped unsigned-byte IDX file as a uint8 numpy array of its stored shape."""
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: size mismatch")
    return arr.reshape(dims)


def load_mnist(root, image_shape=(-1,), label_dtype=np.int64, scale=255.0):
    """(train images, train labels, test images, test labels) as numpy arrays.

    Images: reshaped to (N,) + image_shape, float32, divided by `scale`
    (uint8/255). Labels: label_dtype."""
    def imgs(name):
        a = read_idx(os.path.join(root, name))
        return a.reshape((a.shape[0],) + tuple(image_shape)).astype(np.float32) / scale

    def labs(name):
        return read_idx(os.path.join(root, name)).astype(label_dtype)

    tr_x, tr_y, te_x, te_y = MNIST_FILES
    return imgs(tr_x), labs(tr_y), imgs(te_x), labs(te_y)


# ---------------------------------------------------------------------------
# Batching and timing
# ---------------------------------------------------------------------------
def batch_shapes(n, bs):
    """The distinct batch sizes of one pass over n samples, largest first (e.g. [128, 96])."""
    return sorted({min(bs, n)} | ({n % bs} if n % bs else set()), reverse=True)


def epoch_batches(perm, n, bs):
    """Consecutive slices perm[i:i + bs] of a permutation (numpy array or torch tensor)."""
    for i in range(0, n, bs):
        yield perm[i:i + bs]


class StepTimer:
    """Wall time of all training steps except the first (warm-up).

    Call step(batch_size) once a step has finished: the first call starts the
    clock, later ones count their samples. seconds() is the time since the
    first step finished."""

    def __init__(self):
        self.steps = 0
        self.timed_samples = 0
        self.t_start = None

    def step(self, batch_size):
        self.steps += 1
        if self.steps == 1:
            self.t_start = time.perf_counter()  # first step excluded (warm-up)
        else:
            self.timed_samples += batch_size

    def seconds(self):
        return time.perf_counter() - self.t_start


def median_call_ms(fn, arg, warmup, iters):
    """fn(arg) `warmup` times untimed, then `iters` timed calls; median latency in ms."""
    for _ in range(warmup):
        fn(arg)
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn(arg)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def train_result(model, framework, args, acc, secs, samples, final_loss, extra=None):
    return {"model": model, "framework": framework, "epochs": args.epochs, "batch_size": args.batch_size,
            "test_accuracy": round(acc, 4), "train_seconds": round(secs, 3),
            "samples_per_second": round(samples / secs, 1), "final_loss": round(final_loss, 5),
            "threads": args.threads, "max_rss_mb": round(max_rss_mb(), 1), **(extra or {})}


def infer_result(model, framework, args, trained, res, extra=None):
    """res: {1: median ms at batch 1, 256: median ms at batch 256}."""
    return {"model": model, "framework": framework, "mode": "infer", "weights": "trained" if trained else "random",
            "batch1_ms": round(res[1], 4), "batch256_ms": round(res[256], 4),
            "batch256_samples_per_second": round(256 / (res[256] / 1e3), 1),
            "warmup": args.infer_warmup, "iters": args.infer_iters, "threads": args.threads,
            "max_rss_mb": round(max_rss_mb(), 1), **(extra or {})}


def print_json(obj):
    """The benchmark's result: one JSON object, the last line on stdout."""
    print(json.dumps(obj))
