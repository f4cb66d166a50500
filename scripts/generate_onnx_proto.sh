#!/usr/bin/env bash
# Regenerates Sources/DeepSwiftONNX/Generated/onnx.pb.swift from ONNX's onnx.proto (run once per
# ONNX version; the output is committed so that builds need neither protoc nor the plugin).
# Needs: a Python with `onnx` and `grpcio-tools` (protoc), and swift-protobuf's protoc-gen-swift
# built from the same version as Package.swift's swift-protobuf dependency.
set -euo pipefail
PYTHON=${PYTHON:-python3}
PLUGIN=${PROTOC_GEN_SWIFT:?set PROTOC_GEN_SWIFT to the protoc-gen-swift binary (swift build -c release --product protoc-gen-swift in a swift-protobuf checkout)}
cd "$(dirname "$0")/.."
OUT=$PWD/Sources/DeepSwiftONNX/Generated
PROTO_DIR=$("$PYTHON" -c "import onnx, os; print(os.path.dirname(onnx.__file__))")
(cd "$PROTO_DIR" && "$PYTHON" -m grpc_tools.protoc --plugin=protoc-gen-swift="$PLUGIN" --swift_out="$OUT" --swift_opt=Visibility=Internal -I. onnx.proto)
echo "wrote $OUT/onnx.pb.swift from $PROTO_DIR/onnx.proto (onnx $("$PYTHON" -c 'import onnx; print(onnx.__version__)'))"
