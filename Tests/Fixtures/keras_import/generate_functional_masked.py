#!/usr/bin/env python3
"""A Functional Keras 3 model whose sequence mask flows through the graph (functional_masked.keras
and functional_masked_io.npz), for DeepSwift's Keras importer.

Usage: KERAS_BACKEND=torch /work/venv-torch/bin/python Tests/Fixtures/keras_import/generate_functional_masked.py

Input(7, int32) -> Embedding(20, 6, mask_zero=True) -> LSTM(5, return_sequences) -> GRU(4) -> Dense(3);
rows have 7, 5 and 3 real ids followed by 0 (padding). Keras 3 records the mask computation as an
op layer (`NotEqual`) and passes the mask as a `mask=` argument. Only the .keras format: Keras 3.15
cannot reload such a model from a legacy .h5 file itself. Weights: uniform(-0.5, 0.5), kernels scaled
by min(1, 3/sqrt(fan_in)), as generate_keras_import_fixtures.py.
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np
import keras

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_fixture_tools as kft  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
keras.utils.set_random_seed(0)
rng = np.random.default_rng(2024)
L = keras.layers

ids = keras.Input((7,), dtype="int32")
e = L.Embedding(20, 6, mask_zero=True)(ids)
h = L.LSTM(5, return_sequences=True)(e)
model = keras.Model(ids, L.Dense(3)(L.GRU(4)(h)), name="functional_masked")
kft.randomize_weights(model, rng, lambda w: keras.ops.convert_to_numpy(w.value))

x = rng.integers(1, 20, size=(3, 7)).astype(np.int64)
for b, n in enumerate([7, 5, 3]):
    x[b, n:] = 0
y = np.asarray(model.predict(x.astype(np.int32), verbose=0), dtype=np.float32)
path = os.path.join(here, "functional_masked.keras")
model.save(path)
reloaded = keras.models.load_model(path)
assert np.abs(reloaded.predict(x.astype(np.int32), verbose=0) - y).max() == 0
classes = [l.__class__.__name__ for l in model.layers]
assert "NotEqual" in str(model.to_json()), "expected Keras to record the mask as an op layer"
kft.write_npz(os.path.join(here, "functional_masked_io.npz"), {"input_0": x, "output_0": y})
print("wrote functional_masked.keras and functional_masked_io.npz; layers:", classes)
