#!/usr/bin/env python3
"""Generate *Keras 2* (tf.keras 2.15) legacy-HDF5 import fixtures for DeepSwift.

For every case below a small tf.keras model is built, its weights are overwritten
with seeded random values, and it is saved with ``model.save("NAME.h5")`` (legacy
HDF5 format: root attrs backend / keras_version / model_config, group
model_weights with layer_names / weight_names attributes, Keras-2 weight names
like ``dense/kernel:0``).  Next to it:

    NAME_io.npz   input_0[, input_1] and output_0 = model.predict(...) (inference)

and MANIFEST.md is (re)written by walking the written .h5 files with h5py.

Usage (from the repository root; CPU only; needs TensorFlow 2.15 / Keras 2.15):

    python3 -m venv /work/venv-tf
    /work/venv-tf/bin/pip install "tensorflow-cpu==2.15.*" numpy h5py
    /work/venv-tf/bin/python Tests/Fixtures/keras2/generate_keras2_fixtures.py

Conventions (same as Tests/Fixtures/keras_import):
* tf.keras.utils.set_random_seed(0); tf.keras.backend.clear_session() before every
  case (auto layer names restart at "dense", "dense_1", ... per model).
* One numpy generator per case: np.random.default_rng(zlib.crc32(NAME)).
  First the weights (model.layers order, each layer's layer.weights order), then inputs.
* Weights rng.uniform(-0.5, 0.5) set with layer.set_weights(); float tensors of rank
  >= 2 whose name contains "kernel" (kernel, recurrent_kernel, depthwise...) are
  scaled by min(1, 3 / sqrt(fan_in)), fan_in = product of all but the last axis;
  BatchNormalization moving_variance rng.uniform(0.5, 1.5).
* Float inputs rng.standard_normal float32, batch 3; token ids rng.integers(0, 20)
  stored as int64 in the npz (the model Input is int32; cast for predict).
* Every .h5 is reloaded with tf.keras.models.load_model and its predictions are
  compared with the stored outputs.
"""

import io
import json
import os
import sys
import zipfile
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import logging  # noqa: E402
import warnings  # noqa: E402

import h5py  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "keras_import"))
import keras_fixture_tools as kft  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras as _keras_pkg  # noqa: E402  (the keras 2.15 package tf.keras forwards to)

keras = tf.keras
L = keras.layers
KERAS_VERSION = _keras_pkg.__version__
logging.getLogger("absl").setLevel(logging.ERROR)
tf.get_logger().setLevel(logging.ERROR)
warnings.filterwarnings("ignore")

if not KERAS_VERSION.startswith("2."):
    sys.exit(f"expected Keras 2.x (tf.keras), got {KERAS_VERSION}")

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH = 3


# ----------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------

def k2_mlp():
    return keras.Sequential([
        keras.Input(shape=(10,)),
        L.Dense(16, activation="relu"),
        L.Dropout(0.2),
        L.Dense(4, activation="softmax"),
    ])


def k2_cnn():
    return keras.Sequential([
        keras.Input(shape=(12, 12, 3)),
        L.Conv2D(4, 3, padding="same", activation="relu"),
        L.BatchNormalization(),
        L.MaxPooling2D(2),
        L.Conv2D(6, 3),
        L.GlobalAveragePooling2D(),
        L.Dense(3),
    ])


def k2_functional():
    a = keras.Input(shape=(8,), name="a")
    b = keras.Input(shape=(8,), name="b")
    ha = L.Dense(6, activation="tanh")(a)
    hb = L.Dense(6, activation="tanh")(b)
    c = L.Concatenate()([ha, hb])
    s = L.Add()([c, L.Dense(12)(a)])
    out = L.Dense(2)(s)
    return keras.Model([a, b], out)


def k2_lstm():
    return keras.Sequential([
        keras.Input(shape=(6,), dtype="int32"),
        L.Embedding(20, 5),
        L.LSTM(7, return_sequences=True),
        L.GRU(4),  # Keras 2 default reset_after=True
        L.Dense(3),
    ])


def k2_bigru():
    return keras.Sequential([
        keras.Input(shape=(5, 3)),
        L.Bidirectional(L.GRU(4, return_sequences=True, reset_after=False)),
        L.Flatten(),
        L.Dense(2),
    ])


CASES = [
    ("k2_mlp", k2_mlp,
     "Sequential: Input(10) -> Dense(16, relu) -> Dropout(0.2) -> Dense(4, softmax)"),
    ("k2_cnn", k2_cnn,
     "Sequential: Input(12,12,3) -> Conv2D(4,3,same,relu) -> BatchNormalization -> "
     "MaxPooling2D(2) -> Conv2D(6,3) -> GlobalAveragePooling2D -> Dense(3)"),
    ("k2_functional", k2_functional,
     "Functional: a(8), b(8) -> Dense(6,tanh) each -> Concatenate -> Add with Dense(12)(a) -> Dense(2)"),
    ("k2_lstm", k2_lstm,
     "Sequential: Input(6, int32) -> Embedding(20,5) -> LSTM(7, return_sequences) -> "
     "GRU(4, reset_after=True) -> Dense(3)"),
    ("k2_bigru", k2_bigru,
     "Sequential: Input(5,3) -> Bidirectional(GRU(4, return_sequences, reset_after=False)) -> "
     "Flatten -> Dense(2)"),
]


# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------

write_npz = kft.write_npz


def randomize_weights(model, rng):
    kft.randomize_weights(model, rng, lambda w: w.numpy())


def make_inputs(model, rng):
    feed, store = [], []
    for inp in model.inputs:
        shape = (BATCH,) + tuple(inp.shape[1:])
        if inp.dtype.is_integer:
            ids = rng.integers(0, 20, shape)
            store.append(ids.astype(np.int64))
            feed.append(ids.astype(np.int32))
        else:
            x = rng.standard_normal(shape).astype(np.float32)
            store.append(x)
            feed.append(x)
    return feed, store


def as_text(v):
    if isinstance(v, bytes):
        return v.decode("utf8")
    if isinstance(v, np.ndarray):
        return [as_text(x) for x in v.tolist()]
    return v


def attr_type(obj, name):
    """Describe how h5py/HDF5 stores an attribute's type (string kind, charset)."""
    aid = obj.attrs.get_id(name)
    t = aid.get_type()
    shape = aid.shape
    if isinstance(t, h5py.h5t.TypeStringID):
        kind = "vlen str" if t.is_variable_str() else f"fixed-len str (size {t.get_size()})"
        cset = {h5py.h5t.CSET_ASCII: "ASCII", h5py.h5t.CSET_UTF8: "UTF-8"}.get(t.get_cset(), "?")
        py = type(obj.attrs[name]).__name__
        if isinstance(obj.attrs[name], np.ndarray) and obj.attrs[name].size:
            py += f" of {type(obj.attrs[name].flat[0]).__name__}"
        return f"{kind}, {cset}, shape {shape}, h5py -> {py}"
    return f"{t.__class__.__name__}, shape {shape}"


def describe_h5(path):
    lines = []
    with h5py.File(path, "r") as f:
        lines.append("- root attrs: " + ", ".join(
            f"`{k}` ({attr_type(f, k)})" for k in sorted(f.attrs)))
        lines.append(f"- `backend` = `{as_text(f.attrs['backend'])}`, "
                     f"`keras_version` = `{as_text(f.attrs['keras_version'])}`")
        cfg = as_text(f.attrs["model_config"])
        lines.append("- `model_config` (first 400 chars):")
        lines.append("")
        lines.append("  ```")
        lines.append("  " + cfg[:400])
        lines.append("  ```")
        lines.append("")
        mw = f["model_weights"]
        lines.append("- `model_weights` attrs: " + ", ".join(
            f"`{k}` ({attr_type(mw, k)})" for k in sorted(mw.attrs)))
        lines.append(f"- `layer_names` = `{as_text(mw.attrs['layer_names'])}`")
        lines.append("- weights (`model_weights/<layer>` attr `weight_names` -> dataset shape):")
        for ln in as_text(mw.attrs["layer_names"]):
            g = mw[ln]
            wn = as_text(g.attrs["weight_names"])
            if not wn:
                lines.append(f"  - `{ln}`: (none; weight_names {attr_type(g, 'weight_names')})")
                continue
            lines.append(f"  - `{ln}` (weight_names {attr_type(g, 'weight_names')}):")
            for n in wn:
                ds = g[n]
                lines.append(f"    - `{n}` {list(ds.shape)} {ds.dtype}")
    return lines


# ----------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------

NOTES = """\
## Keras 2 vs Keras 3 legacy `.h5` (compared with `../keras_import/*.h5`, Keras 3.15.1)

Same in both: root attrs `backend`, `keras_version`, `model_config` (JSON, `{"class_name", "config"}`);
group `model_weights` with attrs `backend`, `keras_version`, `layer_names` (every layer incl. weightless
ones such as Dropout/Flatten/InputLayer of Functional models; not the Sequential InputLayer); an extra
`model_weights/top_level_model_weights` group not listed in `layer_names`; per layer group an attr
`weight_names` giving the weight ORDER (HDF5 links are alphabetical, e.g. `bias` before `kernel`).
Weightless layers store `weight_names` as an empty float64 array (shape (0,)), not as strings.
All string attrs are HDF5 variable-length strings in both files (written with h5py 3.x): root
`backend`/`keras_version` vlen UTF-8 (Python str), root `model_config`, `model_weights`
`backend`/`keras_version`/`layer_names` and `weight_names` vlen ASCII (Keras encodes them to bytes);
h5py 3 reads all of them back as `str`. (Older files written with h5py 2.x typically carry
FIXED-length `S` strings for `layer_names`/`weight_names`/`model_config`, read back as `bytes` -- not verified here;
a reader should accept both.) Dataset dtype float32, kernels `[in, out]` / `[kh, kw, in, out]`.

Differences:
- `keras_version` `2.15.0` vs `3.x`; `backend` always `tensorflow` in Keras 2.
- weight names / dataset paths: Keras 2 `dense/kernel:0` at `model_weights/dense/dense/kernel:0`
  (always `<layer>/<var>:0`, RNN cells `lstm/lstm_cell/kernel:0`, Bidirectional
  `bidirectional/forward_gru/gru_cell/kernel:0`); Keras 3 has no `:0` suffix and, for Sequential
  models, a `sequential/` prefix (`model_weights/dense/sequential/dense/kernel`); Keras 3 Functional
  models have no prefix (`dense/kernel`).
- InputLayer config: Keras 2 `batch_input_shape` (also copied into the first real layer's config,
  e.g. Embedding `"batch_input_shape": [null, null]`), auto name `input_1`; Keras 3 `batch_shape`,
  `optional`, auto name `input_layer`.
- Layer `dtype`: Keras 2 plain string `"float32"`; Keras 3 a `DTypePolicy` object dict.
- Sequential `config` keys: Keras 2 `name`, `layers` only; Keras 3 adds `trainable`, `dtype`,
  `build_input_shape`.
- Functional `inbound_nodes`: Keras 2 `[[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]]` (list of
  nodes, each a list of `[layer, node_index, tensor_index, kwargs]`); Keras 3
  `[{"args": [...__keras_tensor__ dicts with keras_history [layer, node, tensor]...], "kwargs": {}}]`
  (a single tensor arg is not wrapped in a list; merge-layer inputs are a nested list).
- Functional `input_layers`/`output_layers`: Keras 2 always a list of `[layer, node, tensor]` lists
  (`[["dense_3", 0, 0]]` even for one output); Keras 3 writes a single input/output FLAT
  (`["dense", 0, 0]`, e.g. keras_import/resnet_block.h5) and only multiple ones as a list of lists.
- Keras 2 RNN configs carry `time_major`, `implementation`; Embedding carries `input_length`;
  GRU default `reset_after=True` (bias `[2, 3*units]`), `reset_after=False` gives bias `[3*units]`.
  Keras 3 configs add `quantization_config`, initializer `input_axes`/`output_axes` etc.
- Nested objects (initializers, the Bidirectional inner `layer`) have `module`/`class_name`/`config`/
  `registered_name` in both; top-level layer entries only `class_name`/`config` (+ `name`,
  `inbound_nodes` in Functional).
"""



def main():
    rows, details = [], []
    for name, fn, desc in CASES:
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        model = fn()
        randomize_weights(model, rng)
        feed, store = make_inputs(model, rng)
        out = model.predict(feed if len(feed) > 1 else feed[0], verbose=0)
        outs = out if isinstance(out, list) else [out]
        arrays = {f"input_{i}": x for i, x in enumerate(store)}
        arrays.update({f"output_{i}": np.asarray(o, np.float32) for i, o in enumerate(outs)})

        h5_path = os.path.join(HERE, name + ".h5")
        npz_path = os.path.join(HERE, name + "_io.npz")
        if os.path.exists(h5_path):
            os.remove(h5_path)
        model.save(h5_path)  # legacy HDF5 because of the .h5 suffix
        write_npz(npz_path, arrays)

        # Verify: reload with Keras 2 and compare with the stored outputs.
        keras.backend.clear_session()
        m2 = keras.models.load_model(h5_path, compile=False)
        got = m2.predict(feed if len(feed) > 1 else feed[0], verbose=0)
        gots = got if isinstance(got, list) else [got]
        diff = max(float(np.max(np.abs(np.asarray(g) - arrays[f"output_{i}"])))
                   for i, g in enumerate(gots))
        if diff > 1e-5:
            sys.exit(f"{name}: reload mismatch {diff}")
        nparams = model.count_params()
        sizes = f"{os.path.getsize(h5_path)} B / {os.path.getsize(npz_path)} B"
        arr_desc = ", ".join(f"{k} {v.dtype.str} {list(v.shape)}" for k, v in arrays.items())
        rows.append(f"| `{name}` | {desc} | {arr_desc} | {nparams} | {diff:.1e} | {sizes} |")
        details.append(f"### `{name}.h5`\n")
        details.extend(describe_h5(h5_path))
        details.append("")
        print(f"{name}: params={nparams} reload diff={diff:.2e} sizes={sizes}")

    import h5py as _h
    versions = (f"tensorflow-cpu {tf.__version__}, keras (tf.keras) {KERAS_VERSION}, "
                f"numpy {np.__version__}, h5py {_h.__version__} (HDF5 {_h.version.hdf5_version}), "
                f"Python {sys.version.split()[0]}; CPU, 1 thread")
    md = [
        "# Keras 2 legacy-HDF5 fixtures (generated)",
        "",
        "Regenerate (from the repository root; CPU only):",
        "",
        "    python3 -m venv /work/venv-tf",
        '    /work/venv-tf/bin/pip install "tensorflow-cpu==2.15.*" numpy h5py',
        "    /work/venv-tf/bin/python Tests/Fixtures/keras2/generate_keras2_fixtures.py",
        "",
        f"Versions: {versions}.",
        "",
        "Per case: `NAME.h5` = `model.save('NAME.h5')` (not compiled, so no `optimizer_weights`);"
        " `NAME_io.npz` = `input_0`[, `input_1`] (float32; token ids int64, model Input int32)"
        " and `output_0` = `model.predict` (inference mode, batch 3). Conventions as in"
        " `../keras_import` (seeded rng per case, uniform(-0.5,0.5), kernels of rank>=2 scaled by"
        " min(1, 3/sqrt(fan_in)), BN moving_variance uniform(0.5,1.5)). Every `.h5` was reloaded"
        " with Keras 2 `load_model` and reproduces `output_0` (diff below).",
        "",
        "| case | model | npz arrays | params | reload max abs diff | sizes (.h5 / _io.npz) |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    md += [NOTES.rstrip(), ""]
    md += ["## File contents (walked with h5py)", "", *details]
    with open(os.path.join(HERE, "MANIFEST.md"), "w") as fh:
        fh.write("\n".join(md).rstrip() + "\n")


if __name__ == "__main__":
    main()
