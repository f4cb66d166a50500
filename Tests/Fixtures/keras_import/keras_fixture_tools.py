"""Helpers shared by the Keras fixture generators (Keras 3 in keras_import/, Keras 2 in keras2/).

No backend imports here: the Keras 2 generator runs in a TensorFlow venv, the Keras 3 ones on torch.
"""
import io
import zipfile

import numpy as np


def write_npz(path, arrays):
    """np.savez equivalent with fixed member timestamps (reproducible bytes)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def randomize_weights(model, rng, to_numpy):
    """Every float weight from rng.uniform(-0.5, 0.5) (kernels of rank >= 2 scaled by
    min(1, 3 / sqrt(fan_in)) so activations stay O(1) in wide layers: saturated softmax outputs and
    logits in the hundreds would hide errors in early layers), batch-norm moving variances from
    uniform(0.5, 1.5); other weights kept (`to_numpy(weight)` reads them)."""
    for layer in model.layers:
        ws = layer.weights
        if not ws:
            continue
        values = []
        for w in ws:
            shape = tuple(w.shape)
            name = getattr(w, "path", None) or w.name
            if "float" not in str(w.dtype):
                values.append(to_numpy(w))
                continue
            if "moving_variance" in name:
                v = rng.uniform(0.5, 1.5, shape)
            else:
                v = rng.uniform(-0.5, 0.5, shape)
                if len(shape) >= 2 and "kernel" in name:
                    v = v * min(1.0, 3.0 / np.sqrt(int(np.prod(shape[:-1]))))
            values.append(v.astype(np.float32))
        layer.set_weights(values)
