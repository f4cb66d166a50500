#!/usr/bin/env python3
"""A Functional Keras 3 model with causal self-attention (causal_mha.keras, causal_mha_io.npz).

Usage: KERAS_BACKEND=torch /work/venv-torch/bin/python Tests/Fixtures/keras_import/generate_causal_attention.py

Input(6, 8) -> MultiHeadAttention(2 heads, key_dim 4)(x, x, use_causal_mask=True) -> Add(x) -> Dense(3).
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np
import keras

here = os.path.dirname(os.path.abspath(__file__))
keras.utils.set_random_seed(0)
rng = np.random.default_rng(5)
L = keras.layers
sys.path.insert(0, here)
import keras_fixture_tools as kft  # noqa: E402
x_in = keras.Input((6, 8))
a = L.MultiHeadAttention(num_heads=2, key_dim=4)(x_in, x_in, use_causal_mask=True)
model = keras.Model(x_in, L.Dense(3)(L.Add()([x_in, a])), name="causal_mha")
for layer in model.layers:
    if layer.weights:
        layer.set_weights([rng.uniform(-0.5, 0.5, tuple(w.shape)).astype(np.float32) for w in layer.weights])
x = rng.normal(size=(3, 6, 8)).astype(np.float32)
y = model.predict(x, verbose=0)
path = os.path.join(here, "causal_mha.keras")
model.save(path)
assert np.abs(keras.models.load_model(path).predict(x, verbose=0) - y).max() == 0
kft.write_npz(os.path.join(here, "causal_mha_io.npz"), {"input_0": x, "output_0": y.astype(np.float32)})
print("wrote causal_mha.keras and causal_mha_io.npz")
