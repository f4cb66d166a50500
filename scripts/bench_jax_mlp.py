#!/usr/bin/env python3
"""JAX peer baseline for DeepSwift's MNIST MLP benchmark (BENCHMARKS.md).

Mirrors scripts/bench_torch_mlp.py (same flags, data, model, timing rules and
JSON keys, with "framework": "jax").

Training (default):
  model 784-512-ReLU-512-ReLU-10 (Glorot/Xavier-uniform weights, zero biases),
  optax.softmax_cross_entropy_with_integer_labels on logits (mean over the
  batch), optax.adam(1e-3, b1=0.9, b2=0.999, eps=1e-8), batch 128, --epochs
  passes (default 1), each a fresh shuffled pass over the 60000 training
  images (numpy Generator permutation, seeded; the last batch is partial:
  60000 = 468*128 + 96). Pixels are uint8/255 as float32. The whole train
  step (forward, backward, Adam update) is one jax.jit function with the
  parameters and optimiser state donated. Batches are gathered on the host
  with numpy fancy indexing inside the timed loop (as the torch script does
  with tensor indexing), and every step ends with float(loss), which blocks
  until the step is finished (like torch's loss.item()), so JAX's async
  dispatch cannot overlap steps.

  Compilation: jit compiles once per input shape, and an epoch has two
  shapes (128 and the final partial batch of 96). Before the timed loop both
  shapes are compiled and run once on copies of the state with dummy data
  (results discarded; the real training state is untouched). That time is
  reported separately as warmup_seconds and is not part of train_seconds.
  Then, as in the torch script, train_seconds is the wall time of all steps
  except the very first one; samples_per_second = samples in those steps /
  train_seconds. final_loss is the loss of the last training batch.
  test_accuracy is evaluated on the 10000 test images after training
  (untimed, jitted forward on batches of 1000).

Inference (--infer):
  builds the same model (random Glorot init, or trained first with
  --infer-trained), then times 200 calls of a jitted forward (each followed
  by block_until_ready) after 20 warm-ups for batch 1 and batch 256 (inputs
  taken from the test set, already on the device) and reports the median
  latency in ms.

Threads: --threads N (default 2) pins the process to N CPUs with
os.sched_setaffinity (the in-process equivalent of taskset) before jax is
imported; XLA's CPU client sizes its intra-op thread pool from the schedulable
CPU count, so this bounds its worker threads to N. XLA_FLAGS gets
--xla_cpu_multi_thread_eigen=true (the default, stated explicitly). XLA has no
intra_op_parallelism_threads flag (that is a TensorFlow option; an XLA_FLAGS
token without leading dashes is silently ignored), so it is not used.

Reads gzipped IDX files from --data (default /work/shared/data/mnist):
train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz.

The last line printed on stdout is one JSON object.
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common as bc  # noqa: E402  (numpy only: safe before jax is imported)


def parse_args():
    return bc.add_infer_args(bc.mnist_arg_parser(__doc__, batch_size=128)).parse_args()


def limit_threads(n):
    """Must run before jax is imported."""
    cpus = sorted(os.sched_getaffinity(0))
    if n > 0 and n < len(cpus):
        os.sched_setaffinity(0, cpus[:n])
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=true").strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")


ARGS = parse_args()
limit_threads(ARGS.threads)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402


def load_mnist(root):
    """Images (N, 784) float32 in [0, 1] and int32 labels, as numpy arrays."""
    return bc.load_mnist(root, image_shape=(-1,), label_dtype=np.int32, scale=np.float32(255.0))


SIZES = (784, 512, 512, 10)


def make_model(key):
    init = jax.nn.initializers.glorot_uniform()
    params = []
    for k, (fi, fo) in zip(jax.random.split(key, len(SIZES) - 1), zip(SIZES[:-1], SIZES[1:])):
        params.append((init(k, (fi, fo), jnp.float32), jnp.zeros((fo,), jnp.float32)))
    return params


def forward(params, x):
    for i, (w, b) in enumerate(params):
        x = x @ w + b
        if i < len(params) - 1:
            x = jax.nn.relu(x)
    return x


def loss_fn(params, x, y):
    return optax.softmax_cross_entropy_with_integer_labels(forward(params, x), y).mean()


OPT = optax.adam(1e-3, b1=0.9, b2=0.999, eps=1e-8)


def _train_step(params, opt_state, x, y):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    updates, opt_state = OPT.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


train_step = jax.jit(_train_step, donate_argnums=(0, 1))
forward_jit = jax.jit(forward)


def train(params, xtr, ytr, args):
    opt_state = OPT.init(params)
    n = xtr.shape[0]
    bs = args.batch_size

    # Warm-up: compile (and run once) every batch shape the epoch will use, on
    # copies of the state and dummy data; the results are thrown away.
    t0 = time.perf_counter()
    for shape in bc.batch_shapes(n, bs):
        p_copy = jax.tree_util.tree_map(jnp.copy, params)
        s_copy = jax.tree_util.tree_map(jnp.copy, opt_state)
        out = train_step(p_copy, s_copy, np.zeros((shape, xtr.shape[1]), np.float32), np.zeros((shape,), np.int32))
        jax.block_until_ready(out)
    warmup_seconds = time.perf_counter() - t0

    rng = np.random.default_rng(args.seed)
    timer = bc.StepTimer()
    loss_val = float("nan")
    for _ in range(args.epochs):
        perm = rng.permutation(n)
        for idx in bc.epoch_batches(perm, n, bs):
            xb, yb = xtr[idx], ytr[idx]
            params, opt_state, loss = train_step(params, opt_state, xb, yb)
            loss_val = float(loss)  # forces completion of the step
            timer.step(idx.shape[0])
    train_seconds = timer.seconds()
    return params, train_seconds, timer.timed_samples, loss_val, warmup_seconds


def evaluate(params, xte, yte):
    correct = 0
    for i in range(0, xte.shape[0], 1000):
        pred = np.asarray(forward_jit(params, xte[i:i + 1000]).argmax(1))
        correct += int((pred == yte[i:i + 1000]).sum())
    return correct / xte.shape[0]


def main():
    args = ARGS
    xtr, ytr, xte, yte = load_mnist(args.data)
    params = make_model(jax.random.key(args.seed))
    import jaxlib
    versions = {"jax_version": jax.__version__, "jaxlib_version": jaxlib.__version__}

    if not args.infer:
        params, secs, samples, final_loss, warm = train(params, xtr, ytr, args)
        acc = evaluate(params, xte, yte)
        bc.print_json(bc.train_result("mlp-mnist", "jax", args, acc, secs, samples, final_loss,
                                      {"warmup_seconds": round(warm, 3), **versions}))
        return

    trained = False
    if args.infer_trained:
        params = train(params, xtr, ytr, args)[0]
        trained = True

    def forward_sync(xb):
        forward_jit(params, xb).block_until_ready()

    res = {}
    for bs in (1, 256):
        xb = jax.device_put(xte[:bs])
        res[bs] = bc.median_call_ms(forward_sync, xb, args.infer_warmup, args.infer_iters)
    bc.print_json(bc.infer_result("mlp-mnist", "jax", args, trained, res, versions))


if __name__ == "__main__":
    sys.exit(main())
