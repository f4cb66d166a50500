#!/usr/bin/env python3
"""PyTorch peer baseline for DeepSwift's MNIST MLP benchmark (BENCHMARKS.md).

Training (default):
  model 784-512-ReLU-512-ReLU-10 (nn.Linear, Xavier/Glorot-uniform weights,
  zero biases), CrossEntropyLoss on logits, Adam(lr=1e-3, betas=(0.9, 0.999),
  eps=1e-8), batch 128, --epochs passes (default 1), each a fresh shuffled
  pass over the 60000 training images (torch.randperm with a seeded
  generator; the last batch is partial: 60000 = 468*128 + 96). Pixels are
  uint8/255 as float32. train_seconds is wall time of all steps except the
  very first one (warm-up); samples_per_second = samples in those steps /
  train_seconds. final_loss is the loss of the last training batch.
  test_accuracy is evaluated on the 10000 test images after training (untimed).

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

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common as bc  # noqa: E402


def parse_args():
    return bc.add_infer_args(bc.mnist_arg_parser(__doc__, batch_size=128)).parse_args()


def load_mnist(root):
    """Images (N, 784) float32 in [0, 1] and int64 labels, as torch tensors."""
    return tuple(torch.from_numpy(a) for a in bc.load_mnist(root, image_shape=(-1,), label_dtype=np.int64))


def make_model():
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def train(model, xtr, ytr, args):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)
    n = xtr.shape[0]
    bs = args.batch_size
    timer = bc.StepTimer()
    loss_val = float("nan")
    model.train()
    for _ in range(args.epochs):
        perm = torch.randperm(n, generator=gen)
        for idx in bc.epoch_batches(perm, n, bs):
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            loss_val = loss.item()  # forces completion of the step
            timer.step(idx.shape[0])
    train_seconds = timer.seconds()
    return train_seconds, timer.timed_samples, loss_val


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

    if not args.infer:
        secs, samples, final_loss = train(model, xtr, ytr, args)
        acc = evaluate(model, xte, yte)
        bc.print_json(bc.train_result("mlp-mnist", "pytorch", args, acc, secs, samples, final_loss))
        return

    trained = False
    if args.infer_trained:
        train(model, xtr, ytr, args)
        trained = True
    model.eval()
    res = {}
    with torch.inference_mode():
        for bs in (1, 256):
            xb = xte[:bs].contiguous()
            res[bs] = bc.median_call_ms(model, xb, args.infer_warmup, args.infer_iters)
    bc.print_json(bc.infer_result("mlp-mnist", "pytorch", args, trained, res))


if __name__ == "__main__":
    sys.exit(main())
