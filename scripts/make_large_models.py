#!/usr/bin/env python3
"""Writes ~100 MB models for `deepswift bench import` (the import-speed target of issue 8).

Usage: KERAS_BACKEND=torch /work/venv-torch/bin/python scripts/make_large_models.py [OUT_DIR]
(needs torch, keras 3, onnx). Writes OUT_DIR/large.keras, large.h5 and large.onnx (default
/tmp/deepswift_large): an MLP 1024 -> 4096 -> 4096 -> 1024 -> 10 (~25M parameters, ~100 MB).
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np
import torch
import keras

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/deepswift_large"
os.makedirs(out, exist_ok=True)
sizes = [1024, 4096, 4096, 1024, 10]

model = keras.Sequential([keras.Input((sizes[0],))] + [keras.layers.Dense(n, activation="relu") for n in sizes[1:-1]]
                         + [keras.layers.Dense(sizes[-1])])
model.save(os.path.join(out, "large.keras"))
model.save(os.path.join(out, "large.h5"))

layers = []
for a, b in zip(sizes[:-1], sizes[1:]):
    layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
net = torch.nn.Sequential(*layers[:-1]).eval()
torch.onnx.export(net, torch.zeros(2, sizes[0]), os.path.join(out, "large.onnx"), dynamo=False, opset_version=17,
                  input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
for name in ["large.keras", "large.h5", "large.onnx"]:
    print(name, os.path.getsize(os.path.join(out, name)) / 1e6, "MB")
