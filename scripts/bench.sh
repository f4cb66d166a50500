#!/usr/bin/env bash
# Runs every benchmark in release mode; prints one JSON object per line.
# Usage: scripts/bench.sh [--threads T]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product deepswift >&2
bin=.build/release/deepswift
for size in 512 1024 2048; do
    for dtype in float32 float64; do $bin bench matmul --size "$size" --dtype "$dtype" "$@" | tail -n 1; done
done
for op in add mul exp tanh sigmoid relu gelu gelu-tanh; do $bin bench elementwise --op "$op" "$@" | tail -n 1; done
for op in sum max softmax; do $bin bench reduce --op "$op" "$@" | tail -n 1; done
$bin bench train-step --model mlp-mnist --batch-size 128 "$@" | tail -n 1
for batch in 1 256; do $bin bench infer --model mlp-mnist --batch-size "$batch" "$@" | tail -n 1; done
$bin bench train-step --model lenet-mnist --batch-size 64 "$@" | tail -n 1
for batch in 1 256; do $bin bench infer --model lenet-mnist --batch-size "$batch" "$@" | tail -n 1; done
$bin bench conv "$@" | tail -n 1
$bin bench train-step --model resnet18 --batch-size 8 --image-size 224 --steps 8 --warmup 2 "$@" | tail -n 1
$bin bench train-step --model char-lstm --batch-size 32 --seq-len 64 --hidden 256 --vocab 64 --steps 100 "$@" | tail -n 1
