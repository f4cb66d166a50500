#!/usr/bin/env python3
"""PyTorch peer baseline for DeepSwift's MNIST LeNet benchmark (BENCHMARKS.md).

Mirrors scripts/bench_torch_mlp.py (same flags, data, timing rules and JSON
keys, with "model": "lenet-mnist"), plus --compile.

Model (DL4J's LeNet example):
  Conv2d(1, 20, 5) -> MaxPool2d(2, 2) -> Conv2d(20, 50, 5) -> MaxPool2d(2, 2)
  -> Flatten -> Linear(800, 500) -> ReLU -> Linear(500, 10).
  The conv layers have no activation. Xavier/Glorot-uniform weights (torch's
  fan_in = in*kh*kw, fan_out = out*kh*kw for the convs), zero biases. Images
  are [N, 1, 28, 28] float32, uint8/255.

Training (default):
  CrossEntropyLoss on logits, Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8),
  batch 64, --epochs passes (default 1), each a fresh shuffled pass over the
  60000 training images (torch.randperm with a seeded generator; the last
  batch is partial: 60000 = 937*64 + 32). train_seconds is wall time of all
  steps except the very first one (warm-up); samples_per_second = samples in
  those steps / train_seconds. final_loss is the loss of the last training
  batch. test_accuracy is evaluated on the 10000 test images after training
  (untimed, eager model, batches of 1000).

--compile:
  the model is wrapped with torch.compile (default mode; the optimizer step
  stays eager). Before the timed loop, forward + backward is run once for
  every batch shape the epoch uses (64 and the final 32) on zero inputs, so
  Dynamo/Inductor compile both (forward and backward graphs); the gradients
  are then discarded and no optimizer step is taken, so the parameters are
  untouched. That time is reported as warmup_seconds and is not part of
  train_seconds (the first timed-loop step is still excluded as well, as in
  the eager run). compiles_in_timed_loop counts Dynamo frame compilations
  that still happened inside the training loop (expected 0). With --infer, each batch size's first warm-up call compiles.

Inference (--infer):
  builds the same model (random Xavier init, or trained first with
  --infer-trained), then under torch.inference_mode() times 200 forward
  calls after 20 warm-ups for batch 1 and batch 256 (inputs taken from the
  test set) and reports the median latency in ms.

Reads gzipped IDX files from --data (default /work/shared/data/mnist):
train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz.

The last line printed on stdout is one JSON object.
"""

import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common as bc  # noqa: E402


def parse_args():
    p = bc.mnist_arg_parser(__doc__, batch_size=64)
    p.add_argument("--compile", action="store_true", help="wrap the model with torch.compile (default mode)")
    return bc.add_infer_args(p).parse_args()


def load_mnist(root):
    """Images (N, 1, 28, 28) float32 in [0, 1] and int64 labels, as torch tensors."""
    return tuple(torch.from_numpy(a) for a in bc.load_mnist(root, image_shape=(1, 28, 28), label_dtype=np.int64))


def make_model():
    model = nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.MaxPool2d(2, 2),
        nn.Conv2d(20, 50, 5), nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(800, 500), nn.ReLU(),
        nn.Linear(500, 10))
    for m in model:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def warmup_compiled(net, model, n, bs, loss_fn):
    """Compile forward+backward for every batch shape of an epoch; parameters untouched."""
    t0 = time.perf_counter()
    for shape in bc.batch_shapes(n, bs):
        xb = torch.zeros(shape, 1, 28, 28)
        yb = torch.zeros(shape, dtype=torch.int64)
        loss = loss_fn(net(xb), yb)
        loss.backward()
        loss.item()
    for p in model.parameters():
        p.grad = None
    return time.perf_counter() - t0


def _compiled_frames():
    try:
        from torch._dynamo.utils import counters
        return int(counters["frames"]["ok"])
    except Exception:
        return 0


def train(net, model, xtr, ytr, args):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    n = xtr.shape[0]
    bs = args.batch_size
    model.train()
    warmup_seconds = warmup_compiled(net, model, n, bs, loss_fn) if args.compile else 0.0
    frames_before = _compiled_frames()
    gen = torch.Generator().manual_seed(args.seed)
    timer = bc.StepTimer()
    loss_val = float("nan")
    for _ in range(args.epochs):
        perm = torch.randperm(n, generator=gen)
        for idx in bc.epoch_batches(perm, n, bs):
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xb), yb)
            loss.backward()
            opt.step()
            loss_val = loss.item()  # forces completion of the step
            timer.step(idx.shape[0])
    train_seconds = timer.seconds()
    # with --compile: Dynamo frames compiled inside the training loop (0 means the warm-up covered every shape)
    compiles_in_loop = _compiled_frames() - frames_before
    return train_seconds, timer.timed_samples, loss_val, warmup_seconds, compiles_in_loop


def evaluate(model, xte, yte):
    model.eval()
    correct = 0
    with torch.inference_mode():
        for i in range(0, xte.shape[0], 1000):
            correct += (model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
    return correct / xte.shape[0]


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr, xte, yte = load_mnist(args.data)
    model = make_model()
    net = torch.compile(model) if args.compile else model
    extra = {"compile": True, "torch_version": torch.__version__} if args.compile else {}

    if not args.infer:
        secs, samples, final_loss, warm, compiles_in_loop = train(net, model, xtr, ytr, args)
        acc = evaluate(model, xte, yte)
        if args.compile:
            extra["warmup_seconds"] = round(warm, 3)
            extra["compiles_in_timed_loop"] = compiles_in_loop
        bc.print_json(bc.train_result("lenet-mnist", "pytorch", args, acc, secs, samples, final_loss, extra))
        return

    trained = False
    if args.infer_trained:
        train(net, model, xtr, ytr, args)
        trained = True
    model.eval()
    res = {}
    with torch.inference_mode():
        for bs in (1, 256):
            xb = xte[:bs].contiguous()
            res[bs] = bc.median_call_ms(net, xb, args.infer_warmup, args.infer_iters)
    bc.print_json(bc.infer_result("lenet-mnist", "pytorch", args, trained, res, extra))


if __name__ == "__main__":
    sys.exit(main())
