#!/usr/bin/env python3
"""Keras preprocessing layers inside a model (preprocessing.keras, preprocessing.h5,
preprocessing_io.npz), for DeepSwift's Keras importer.

Usage: KERAS_BACKEND=torch /work/venv-torch/bin/python Tests/Fixtures/keras_import/generate_preprocessing.py

Input(6,6,3) pixels 0..255 -> Rescaling(1/255, offset=-0.5) -> Normalization(axis=-1, adapted) ->
Conv2D(4,3,relu) -> Identity -> ActivityRegularization(l1=0.01) -> GlobalAveragePooling2D -> Dense(2);
and a second model with Normalization(mean=..., variance=...) given in the config.
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np
import keras

here = os.path.dirname(os.path.abspath(__file__))
keras.utils.set_random_seed(0)
rng = np.random.default_rng(77)
L = keras.layers
sys.path.insert(0, here)
from keras_fixture_tools import write_npz  # noqa: E402


norm = L.Normalization(axis=-1)
norm.adapt(rng.normal(0.1, 0.3, size=(64, 6, 6, 3)).astype(np.float32))
model = keras.Sequential([keras.Input((6, 6, 3)), L.Rescaling(1 / 255, offset=-0.5), norm, L.Conv2D(4, 3, activation="relu"),
                          L.Identity(), L.ActivityRegularization(l1=0.01), L.GlobalAveragePooling2D(), L.Dense(2)])
for layer in model.layers:
    if isinstance(layer, (L.Conv2D, L.Dense)):
        layer.set_weights([rng.uniform(-0.5, 0.5, tuple(w.shape)).astype(np.float32) for w in layer.weights])
x = rng.uniform(0, 255, size=(3, 6, 6, 3)).astype(np.float32)
y = model.predict(x, verbose=0)
for suffix in ["keras", "h5"]:
    path = os.path.join(here, f"preprocessing.{suffix}")
    model.save(path)
    assert np.abs(keras.models.load_model(path).predict(x, verbose=0) - y).max() == 0
write_npz(os.path.join(here, "preprocessing_io.npz"), {"input_0": x, "output_0": y.astype(np.float32)})

given = keras.Sequential([keras.Input((5,)), L.Normalization(mean=[0.5, -1, 2, 0, 3], variance=[1, 4, 0.25, 9, 2]), L.Dense(2)])
given.layers[-1].set_weights([rng.uniform(-0.5, 0.5, tuple(w.shape)).astype(np.float32) for w in given.layers[-1].weights])
x2 = rng.normal(size=(3, 5)).astype(np.float32)
y2 = given.predict(x2, verbose=0)
given.save(os.path.join(here, "normalization_given.keras"))
write_npz(os.path.join(here, "normalization_given_io.npz"), {"input_0": x2, "output_0": y2.astype(np.float32)})
print("wrote preprocessing.keras/.h5, normalization_given.keras and their _io.npz")
