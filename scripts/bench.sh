#!/usr/bin/env bash
# Runs every tensor benchmark in release mode; prints one JSON object per line.
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
