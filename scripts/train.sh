#!/usr/bin/env bash
# The main job: trains LeNet-5 on MNIST (DL4J's architecture, Adam 1e-3, batch 64) in a release build.
# MNIST is read from --data DIR, DEEPSWIFT_DATA, ~/.cache/deepswift/mnist or ../shared/data/mnist.
# Extra arguments go to `deepswift train lenet-mnist` (e.g. --epochs 3 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product deepswift
.build/release/deepswift train lenet-mnist "$@"
