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
import zipfile
import io

os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np
import keras

here = os.path.dirname(os.path.abspath(__file__))
keras.utils.set_random_seed(0)
rng = np.random.default_rng(2024)
L = keras.layers

ids = keras.Input((7,), dtype="int32")
e = L.Embedding(20, 6, mask_zero=True)(ids)
h = L.LSTM(5, return_sequences=True)(e)
model = keras.Model(ids, L.Dense(3)(L.GRU(4)(h)), name="functional_masked")
for layer in model.layers:
    values = []
    for w in layer.weights:
        v = rng.uniform(-0.5, 0.5, tuple(w.shape))
        if len(w.shape) >= 2 and "kernel" in w.path:
            v = v * min(1.0, 3.0 / np.sqrt(int(np.prod(w.shape[:-1]))))
        values.append(v.astype(np.float32))
    if values:
        layer.set_weights(values)

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
with zipfile.ZipFile(os.path.join(here, "functional_masked_io.npz"), "w", compression=zipfile.ZIP_STORED) as zf:
    for key, array in [("input_0", x), ("output_0", y)]:
        buffer = io.BytesIO()
        np.save(buffer, array)
        info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
        zf.writestr(info, buffer.getvalue())
print("wrote functional_masked.keras and functional_masked_io.npz; layers:", classes)
