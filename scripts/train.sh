#!/usr/bin/env bash
# The main job: trains the MNIST MLP (784-512-512-10, Adam) in a release build.
# MNIST is read from --data DIR, DEEPSWIFT_DATA, ~/.cache/deepswift/mnist or ../shared/data/mnist.
# Extra arguments go to `deepswift train mlp-mnist` (e.g. --epochs 3 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product deepswift
.build/release/deepswift train mlp-mnist "$@"
