#!/usr/bin/env bash
# The main job (until training lands): a release build and a tour of the tensor library.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product deepswift
.build/release/deepswift demo "$@"
