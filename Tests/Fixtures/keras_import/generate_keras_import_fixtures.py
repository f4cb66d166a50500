#!/usr/bin/env python3
"""Generate Keras 3 *model-import* fixtures for DeepSwift.

For every case below a small Keras model is built, its weights are overwritten
with seeded random values, and the model is saved in BOTH Keras file formats:

    NAME.keras    Keras 3 native zip archive (config.json, metadata.json, model.weights.h5)
    NAME.h5       legacy HDF5 file written by model.save("NAME.h5")
    NAME_io.npz   input_0[, input_1] and output_0 = Keras' own model.predict(...) output

and LAYOUT.md / MANIFEST.md are (re)written next to this script by walking the
written files with h5py and zipfile.

Usage (Keras 3 on the torch backend, CPU; TensorFlow is NOT needed):

    KERAS_BACKEND=torch /work/venv-torch/bin/python Tests/Fixtures/keras_import/generate_keras_import_fixtures.py

The script sets KERAS_BACKEND=torch (and KERAS_TORCH_DEVICE=cpu) itself when
they are unset, and refuses to run on another backend.

Conventions
-----------
* keras.utils.set_random_seed(0); keras.backend.clear_session() before every
  case (so auto layer names restart at "dense", "dense_1", ... per model).
* One numpy generator per case: np.random.default_rng(zlib.crc32(NAME)).
  First the weights are drawn (layers in model.layers order, each layer's
  `layer.weights` in order), then the inputs.
* Weights rng.uniform(-0.5, 0.5) set with layer.set_weights() (kernels of rank >= 2 scaled by
  min(1, 3 / sqrt(fan_in)), fan_in = product of all but the last axis); BatchNormalization
  moving_variance rng.uniform(0.5, 1.5).
* Float inputs rng.standard_normal, float32, batch 3. Token-id inputs
  (embedding_rnn, lstm_text) are integers stored as int64 in the npz (the model's
  Input has dtype int32; the ids are cast to int32 for predict).
* Outputs: model.predict(inputs, verbose=0), float32.
* Every saved file is reloaded (keras.models.load_model) and its predictions are
  compared with the stored outputs before the docs are written.
* npz files are written by write_npz(): ZIP_STORED, members "<key>.npy", fixed
  1980-01-01 timestamps -> byte-identical across runs. The .h5 files and the
  .keras inner model.weights.h5 were observed byte-identical across runs too
  (same versions); the .keras archives are NOT (config.json shared_object_id =
  Python id(), metadata.json date_saved, zip timestamp of model.weights.h5).
  LAYOUT.md and MANIFEST.md are identical across runs.
"""

import io
import json
import os
import re
import sys
import zipfile
import zlib
from collections import OrderedDict

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("KERAS_TORCH_DEVICE", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import logging  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import h5py  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_fixture_tools as kft  # noqa: E402
import keras  # noqa: E402
from keras import layers as L  # noqa: E402

logging.getLogger("absl").setLevel(logging.ERROR)
warnings.filterwarnings("ignore")

if keras.backend.backend() != "torch":
    sys.exit(f"expected KERAS_BACKEND=torch, got {keras.backend.backend()}")

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = HERE
BATCH = 3

# ----------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------


def seq(*layers_):
    return keras.Sequential(list(layers_))


def case_dense():
    return seq(keras.Input((7,)), L.Dense(5, activation="relu"), L.Dense(3, activation="softmax"))


def case_activations():
    return seq(
        keras.Input((6,)),
        L.Dense(8), L.ReLU(),
        L.Dense(8), L.LeakyReLU(negative_slope=0.2), L.Activation("tanh"),
        L.Dense(8), L.ELU(), L.Activation("sigmoid"),
        L.Dense(8), L.PReLU(), L.Activation("gelu"),
        L.Dense(4), L.Softmax(),
    )


def case_dropouts():
    return seq(
        keras.Input((6,)), L.Dense(6), L.Dropout(0.3), L.GaussianDropout(0.2),
        L.GaussianNoise(0.1), L.AlphaDropout(0.1), L.Dense(2),
    )


def case_conv2d():
    return seq(
        keras.Input((9, 10, 3)),
        L.Conv2D(4, 3, padding="same", activation="relu"),
        L.Conv2D(5, (3, 2), strides=2, padding="valid"),
        L.MaxPooling2D(2), L.Flatten(), L.Dense(3),
    )


def case_conv2d_more():
    return seq(
        keras.Input((12, 12, 3)),
        L.ZeroPadding2D(((1, 2), (0, 1))),
        L.DepthwiseConv2D(3, depth_multiplier=2),
        L.SeparableConv2D(6, 3, padding="same"),
        L.Conv2DTranspose(4, 3, strides=2, padding="same"),
        L.Cropping2D(((1, 0), (2, 1))),
        L.UpSampling2D(2), L.AveragePooling2D(2), L.BatchNormalization(),
        L.GlobalAveragePooling2D(), L.Dense(2),
    )


def case_conv2d_dilated():
    return seq(keras.Input((10, 10, 2)), L.Conv2D(3, 3, dilation_rate=2, padding="same"),
               L.GlobalMaxPooling2D())


def case_conv1d():
    return seq(
        keras.Input((11, 4)), L.ZeroPadding1D(1), L.Conv1D(5, 3, activation="relu"),
        L.MaxPooling1D(2), L.Conv1D(3, 2, padding="same"), L.UpSampling1D(2),
        L.Cropping1D((1, 1)), L.AveragePooling1D(2), L.GlobalAveragePooling1D(), L.Dense(2),
    )


def case_conv1d_globalmax():
    return seq(keras.Input((11, 4)), L.Conv1D(5, 3, strides=2), L.GlobalMaxPooling1D(), L.Dense(2))


def case_conv3d():
    return seq(keras.Input((6, 6, 6, 2)), L.Conv3D(3, 3, padding="same"), L.MaxPooling3D(2),
               L.AveragePooling3D(1), L.Flatten(), L.Dense(2))


def case_shapes():
    return seq(keras.Input((4, 6)), L.Reshape((6, 4)), L.Permute((2, 1)), L.Flatten(),
               L.RepeatVector(3), L.Reshape((3, 24)), L.Dense(2))


def case_layernorm():
    return seq(keras.Input((5, 8)), L.LayerNormalization(), L.Dense(4))


def case_batchnorm():
    return seq(keras.Input((6,)), L.BatchNormalization(), L.Dense(2))


def case_embedding_rnn():
    return seq(keras.Input((7,), dtype="int32"), L.Embedding(20, 6, mask_zero=True),
               L.LSTM(5, return_sequences=True), L.GRU(4), L.Dense(3))


def case_gru_before():
    return seq(keras.Input((6, 3)), L.GRU(4, reset_after=False, return_sequences=True), L.SimpleRNN(3))


def case_bidirectional():
    return seq(keras.Input((6, 3)), L.Masking(0.0),
               L.Bidirectional(L.LSTM(4, return_sequences=True)),
               L.Bidirectional(L.GRU(3), merge_mode="sum"), L.Dense(2))


def case_timedistributed():
    return seq(keras.Input((5, 4)), L.TimeDistributed(L.Dense(3)), L.LSTM(2))


def case_merges():
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    da = L.Dense(4)(a)
    db = L.Dense(4)(b)
    merged = [
        L.Add()([da, db]), L.Subtract()([da, db]), L.Multiply()([da, db]),
        L.Average()([da, db]), L.Maximum()([da, db]), L.Minimum()([da, db]),
        L.Concatenate()([da, db]),
    ]
    x = L.Concatenate()(merged)
    return keras.Model([a, b], L.Dense(2)(x), name="merges")


def case_resnet_block():
    inp = keras.Input((8, 8, 3))
    x = L.Conv2D(4, 3, padding="same")(inp)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    x = L.Conv2D(4, 3, padding="same")(x)
    x = L.BatchNormalization()(x)
    s = L.Conv2D(4, 1)(inp)
    x = L.Add()([x, s])
    x = L.ReLU()(x)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inp, L.Dense(3)(x), name="resnet_block")


def case_mha():
    inp = keras.Input((5, 8))
    a = L.MultiHeadAttention(num_heads=2, key_dim=4)(inp, inp)
    x = L.Add()([inp, a])
    x = L.LayerNormalization()(x)
    return keras.Model(inp, L.Dense(3)(x), name="mha")


def case_mha_cross():
    q = keras.Input((4, 8), name="q")
    v = keras.Input((6, 8), name="v")
    a = L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5)(q, v)
    return keras.Model([q, v], L.Dense(2)(a), name="mha_cross")


def case_mlp():
    return seq(keras.Input((784,)), L.Dense(64, activation="relu"), L.Dropout(0.2),
               L.Dense(32, activation="relu"), L.Dense(10, activation="softmax"))


def case_lenet():
    return seq(
        keras.Input((28, 28, 1)),
        L.Conv2D(6, 5, padding="same", activation="relu"), L.MaxPooling2D(),
        L.Conv2D(16, 5, activation="relu"), L.MaxPooling2D(), L.Flatten(),
        L.Dense(120, activation="relu"), L.Dense(84, activation="relu"), L.Dense(10),
    )


def case_lstm_text():
    return seq(keras.Input((12,), dtype="int32"), L.Embedding(50, 16),
               L.LSTM(32, return_sequences=True), L.LSTM(16), L.Dense(5, activation="softmax"))


def case_transformer():
    inp = keras.Input((10, 16))
    a = L.MultiHeadAttention(num_heads=4, key_dim=4)(inp, inp)
    x = L.Add()([inp, a])
    x = L.LayerNormalization(epsilon=1e-6)(x)
    f = L.Dense(32, activation="relu")(x)
    f = L.Dense(16)(f)
    x = L.Add()([x, f])
    x = L.LayerNormalization(epsilon=1e-6)(x)
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(inp, L.Dense(3)(x), name="transformer")


# name -> (builder, description, input kind)
CASES = OrderedDict([
    ("dense", (case_dense, "Sequential: Input(7) -> Dense(5, relu) -> Dense(3, softmax)")),
    ("activations", (case_activations, "Sequential: Input(6) -> Dense(8) -> ReLU -> Dense(8) -> LeakyReLU(0.2) -> Activation(tanh) -> Dense(8) -> ELU -> Activation(sigmoid) -> Dense(8) -> PReLU -> Activation(gelu) -> Dense(4) -> Softmax")),
    ("dropouts", (case_dropouts, "Sequential: Input(6) -> Dense(6) -> Dropout(0.3) -> GaussianDropout(0.2) -> GaussianNoise(0.1) -> AlphaDropout(0.1) -> Dense(2) (all identity at inference)")),
    ("conv2d", (case_conv2d, "Sequential: Input(9,10,3) -> Conv2D(4,3,same,relu) -> Conv2D(5,(3,2),strides 2,valid) -> MaxPooling2D(2) -> Flatten -> Dense(3)")),
    ("conv2d_more", (case_conv2d_more, "Sequential: Input(12,12,3) -> ZeroPadding2D(((1,2),(0,1))) -> DepthwiseConv2D(3, depth_multiplier 2) -> SeparableConv2D(6,3,same) -> Conv2DTranspose(4,3,strides 2,same) -> Cropping2D(((1,0),(2,1))) -> UpSampling2D(2) -> AveragePooling2D(2) -> BatchNormalization -> GlobalAveragePooling2D -> Dense(2)")),
    ("conv2d_dilated", (case_conv2d_dilated, "Sequential: Input(10,10,2) -> Conv2D(3,3,dilation 2,same) -> GlobalMaxPooling2D")),
    ("conv1d", (case_conv1d, "Sequential: Input(11,4) -> ZeroPadding1D(1) -> Conv1D(5,3,relu) -> MaxPooling1D(2) -> Conv1D(3,2,same) -> UpSampling1D(2) -> Cropping1D((1,1)) -> AveragePooling1D(2) -> GlobalAveragePooling1D -> Dense(2)")),
    ("conv1d_globalmax", (case_conv1d_globalmax, "Sequential: Input(11,4) -> Conv1D(5,3,strides 2,valid) -> GlobalMaxPooling1D -> Dense(2)")),
    ("conv3d", (case_conv3d, "Sequential: Input(6,6,6,2) -> Conv3D(3,3,same) -> MaxPooling3D(2) -> AveragePooling3D(1) -> Flatten -> Dense(2)")),
    ("shapes", (case_shapes, "Sequential: Input(4,6) -> Reshape((6,4)) -> Permute((2,1)) -> Flatten -> RepeatVector(3) -> Reshape((3,24)) -> Dense(2)")),
    ("layernorm", (case_layernorm, "Sequential: Input(5,8) -> LayerNormalization -> Dense(4)")),
    ("batchnorm", (case_batchnorm, "Sequential: Input(6) -> BatchNormalization -> Dense(2)")),
    ("embedding_rnn", (case_embedding_rnn, "Sequential: Input(7, int32) -> Embedding(20,6,mask_zero) -> LSTM(5, return_sequences) -> GRU(4) -> Dense(3); rows have trailing 0 (= padding) ids")),
    ("gru_before", (case_gru_before, "Sequential: Input(6,3) -> GRU(4, reset_after=False, return_sequences) -> SimpleRNN(3)")),
    ("bidirectional", (case_bidirectional, "Sequential: Input(6,3) -> Masking(0.0) -> Bidirectional(LSTM(4, return_sequences)) -> Bidirectional(GRU(3), merge_mode=sum) -> Dense(2); trailing all-zero steps")),
    ("timedistributed", (case_timedistributed, "Sequential: Input(5,4) -> TimeDistributed(Dense(3)) -> LSTM(2)")),
    ("merges", (case_merges, "Functional: a(6), b(6) -> Dense(4) each -> Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate -> Concatenate(all) -> Dense(2)")),
    ("resnet_block", (case_resnet_block, "Functional: Input(8,8,3) -> Conv2D(4,3,same) -> BN -> ReLU -> Conv2D(4,3,same) -> BN -> Add with Conv2D(4,1)(input) -> ReLU -> GlobalAveragePooling2D -> Dense(3)")),
    ("mha", (case_mha, "Functional: Input(5,8) -> MultiHeadAttention(2 heads, key_dim 4)(x, x) -> Add with x -> LayerNormalization -> Dense(3)")),
    ("mha_cross", (case_mha_cross, "Functional: q(4,8), v(6,8) -> MultiHeadAttention(2 heads, key_dim 3, value_dim 5)(q, v) -> Dense(2)")),
    ("mlp", (case_mlp, "Sequential: Input(784) -> Dense(64, relu) -> Dropout(0.2) -> Dense(32, relu) -> Dense(10, softmax)")),
    ("lenet", (case_lenet, "Sequential: Input(28,28,1) -> Conv2D(6,5,same,relu) -> MaxPooling2D -> Conv2D(16,5,relu) -> MaxPooling2D -> Flatten -> Dense(120,relu) -> Dense(84,relu) -> Dense(10)")),
    ("lstm_text", (case_lstm_text, "Sequential: Input(12, int32) -> Embedding(50,16) -> LSTM(32, return_sequences) -> LSTM(16) -> Dense(5, softmax)")),
    ("transformer", (case_transformer, "Functional: Input(10,16) -> MHA(4 heads, key_dim 4)(x,x) -> Add(x) -> LayerNorm(1e-6) -> Dense(32,relu) -> Dense(16) -> Add -> LayerNorm(1e-6) -> GlobalAveragePooling1D -> Dense(3)")),
])

# Token-id inputs: (vocab, trailing-padding lengths or None)
TOKEN_INPUTS = {"embedding_rnn": (20, [7, 4, 2]), "lstm_text": (50, None)}
# bidirectional: number of real steps per row, the rest are all-zero steps
MASKED_STEPS = {"bidirectional": [6, 4, 2]}

# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------


write_npz = kft.write_npz


def randomize_weights(model, rng):
    kft.randomize_weights(model, rng, lambda w: keras.ops.convert_to_numpy(w.value))


def make_inputs(name, model, rng):
    arrays = []
    for i, t in enumerate(model.inputs):
        shape = (BATCH,) + tuple(t.shape[1:])
        if name in TOKEN_INPUTS:
            vocab, lengths = TOKEN_INPUTS[name]
            ids = rng.integers(1, vocab, size=shape).astype(np.int64)
            if lengths:
                for b, n in enumerate(lengths):
                    ids[b, n:] = 0
            arrays.append(ids)
        else:
            x = rng.standard_normal(shape).astype(np.float32)
            if name in MASKED_STEPS:
                for b, n in enumerate(MASKED_STEPS[name]):
                    x[b, n:] = 0.0
            arrays.append(x)
    return arrays


def feed(model, arrays):
    fed = [a.astype(np.int32) if a.dtype == np.int64 else a for a in arrays]
    return fed[0] if len(fed) == 1 else fed


def as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


# ----------------------------------------------------------------------------
# Layout description (walk of the written files)
# ----------------------------------------------------------------------------

H5_STR_CSET = {0: "ASCII", 1: "UTF-8"}
LAYOUT_NAMES = {0: "compact", 1: "contiguous", 2: "chunked", 3: "virtual"}


def short(v):
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, str):
        return v
    if isinstance(v, np.ndarray):
        return json.dumps([x.decode() if isinstance(x, bytes) else (x.item() if hasattr(x, "item") else x) for x in v.tolist()]) if v.size else f"[] (dtype {v.dtype}, shape {v.shape})"
    return repr(v)


def attr_type(obj, name):
    aid = h5py.h5a.open(obj.id, name.encode())
    t = aid.get_type()
    space = aid.get_space()
    if space.get_simple_extent_type() == h5py.h5s.SIMPLE:
        dims = space.get_simple_extent_dims()
        shape = f"{len(dims)}-D simple dataspace" + (" of size 0" if 0 in dims else "")
    else:
        shape = "scalar dataspace"
    if t.get_class() == h5py.h5t.STRING:
        kind = "variable-length string" if t.is_variable_str() else f"fixed-length string[{t.get_size()}]"
        kind += f" cset {H5_STR_CSET.get(t.get_cset(), t.get_cset())}"
    elif t.get_class() == h5py.h5t.FLOAT:
        kind = f"float{8 * t.get_size()}"
    else:
        kind = f"class {t.get_class()} size {t.get_size()}"
    return f"{kind}, {shape}"


def dataset_info(ds):
    plist = ds.id.get_create_plist()
    lay = LAYOUT_NAMES.get(plist.get_layout(), plist.get_layout())
    nf = plist.get_nfilters()
    s = f"{ds.dtype.str} {lay}"
    if nf:
        s += f" filters={nf}"
    if ds.chunks:
        s += f" chunks={ds.chunks}"
    return s


def object_header_versions(f):
    vers = {h5py.h5o.get_info(f.id).hdr.version}
    f.visititems(lambda n, o: vers.add(h5py.h5o.get_info(o.id).hdr.version))
    return sorted(vers)


def superblock_version(path):
    with open(path, "rb") as f:
        data = f.read(16)
    assert data[:8] == b"\x89HDF\r\n\x1a\n", path
    return data[8]


def abbreviate(v):
    """Compact config value: serialized objects -> class_name(...)"""
    if isinstance(v, dict) and "class_name" in v and "config" in v:
        cfg = v["config"]
        if v["class_name"] == "DTypePolicy":
            return f"DTypePolicy({cfg.get('name')})"
        if v.get("module", "").startswith("keras.layers"):
            return f"<{v['class_name']} layer config>"
        inner = ",".join(f"{k}={json.dumps(x)}" for k, x in cfg.items() if k not in ("seed",))
        return f"{v['class_name']}({inner})"
    return json.dumps(v)


def iter_layer_configs(obj, path=""):
    """Yield (path, layer-dict) for every serialized keras.layers object in a config."""
    if isinstance(obj, dict):
        if "class_name" in obj and "config" in obj and str(obj.get("module", "")).startswith("keras.layers"):
            yield path, obj
        for k, v in obj.items():
            yield from iter_layer_configs(v, path + "/" + k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from iter_layer_configs(v, path + f"[{i}]")


def strip_ids(obj):
    if isinstance(obj, dict):
        return {k: strip_ids(v) for k, v in obj.items() if k != "shared_object_id"}
    if isinstance(obj, list):
        return [strip_ids(v) for v in obj]
    return obj


def _s(x):
    return x.decode() if isinstance(x, bytes) else x


_SHOWN_MC_PREFIX = {}
_SHOWN_MC_TEXT = {}


def _norm_mc(mc):
    mc = re.sub(r'"name": "[^"]*"', '"name": N', mc)
    mc = re.sub(r'"batch_shape": \[[^\]]*\]', '"batch_shape": S', mc)
    return re.sub(r'"dtype": "[a-z0-9]+"', '"dtype": D', mc)


def describe_h5(name, path):
    """Per-case .h5 summary. Asserts the general facts stated once in LAYOUT.md."""
    lines = []
    with h5py.File(path, "r") as f:
        assert superblock_version(path) == 0
        assert sorted(f.attrs.keys()) == ["backend", "keras_version", "model_config"], list(f.attrs)
        assert list(f.keys()) == ["model_weights"], list(f.keys())
        mc = short(f.attrs["model_config"])
        kind = mc[:40]
        if kind not in _SHOWN_MC_PREFIX:
            _SHOWN_MC_PREFIX[kind] = name
            _SHOWN_MC_TEXT[kind] = mc
            lines.append(f"**{name}.h5** root `model_config` (first 300 chars) = `{mc[:300]}...`")
        else:
            ref, ref_mc = _SHOWN_MC_PREFIX[kind], _SHOWN_MC_TEXT[kind]
            assert _norm_mc(mc)[:250] == _norm_mc(ref_mc)[:250], (name, _norm_mc(mc)[:250], _norm_mc(ref_mc)[:250])
            lines.append(f"**{name}.h5** root `model_config`: first 300 chars as in `{ref}` except model `name` and the "
                         f"InputLayer's `batch_shape`/`dtype`/`name` (see the `.keras` line below; same key order)")
        mw = f["model_weights"]
        assert sorted(mw.attrs.keys()) == ["backend", "keras_version", "layer_names"]
        layer_names = [_s(x) for x in mw.attrs["layer_names"]]
        lines.append(f"- `model_weights` attr `layer_names` = `{json.dumps(layer_names)}`")
        assert sorted(mw.keys()) == sorted(layer_names + ["top_level_model_weights"]), (name, list(mw.keys()))
        assert len(mw["top_level_model_weights"].attrs["weight_names"]) == 0
        empty = []
        for lname in layer_names:
            g = mw[lname]
            assert list(g.attrs.keys()) == ["weight_names"], (name, lname, list(g.attrs))
            wn = [_s(x) for x in g.attrs["weight_names"]]
            all_ds = []
            g.visititems(lambda n, o: all_ds.append(n) if isinstance(o, h5py.Dataset) else None)
            assert sorted(all_ds) == sorted(wn), (name, lname, all_ds, wn)
            if not wn:
                empty.append(lname)
                continue
            lines.append(f"  - `{lname}`: " + ", ".join(f"`{w}` {tuple(g[w].shape)}" for w in wn))
        if empty:
            lines.append(f"  - `weight_names` = [] (no datasets): {', '.join(empty)}")
    return lines


def describe_keras(name, path, functional):
    lines = []
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        lines.append(f"**{name}.keras** members (all stored): " + ", ".join(
            f"`{i.filename}` {i.file_size} B" for i in infos))
        cfg = json.loads(zf.read("config.json"))
        wbytes = zf.read("model.weights.h5")
    c = cfg["config"]
    if functional:
        assert list(cfg) == ["module", "class_name", "config", "registered_name", "build_config", "compile_config"], list(cfg)
        assert list(c) == ["name", "trainable", "layers", "input_layers", "output_layers"], list(c)
        lines.append(f"- config: name `{c['name']}`; `input_layers` = `{json.dumps(c['input_layers'])}`; "
                     f"`output_layers` = `{json.dumps(c['output_layers'])}`; build_config `{json.dumps(cfg['build_config'])}`")
        lines.append("- layers (name: class <- keras_history layer names): " + "; ".join(
            f"{l['name']}: {l['class_name']}" + (" <- " + ",".join(
                kh[0] for kh in _keras_histories(l["inbound_nodes"])) if l["inbound_nodes"] else "")
            for l in c["layers"]))
        reps = []
        for l in c["layers"]:
            if l["class_name"] in ("Add", "Concatenate") and not any(r["class_name"] in ("Add", "Concatenate") for r in reps):
                reps.append(l)
        for l in c["layers"]:
            if l["class_name"] == "MultiHeadAttention":
                reps.append(l)
        for l in reps:
            lines.append(f"- `{l['name']}` ({l['class_name']}) inbound_nodes = `{json.dumps(l['inbound_nodes'])}`")
    else:
        assert list(cfg) == ["module", "class_name", "config", "registered_name", "build_config", "compile_config"], list(cfg)
        assert list(c) == ["name", "trainable", "dtype", "layers", "build_input_shape"], list(c)
        inp = c["layers"][0]["config"]
        lines.append(f"- config: name `{c['name']}`; `build_input_shape` = `{json.dumps(c['build_input_shape'])}`; "
                     f"build_config `{json.dumps(cfg['build_config'])}`; layers[0] InputLayer batch_shape "
                     f"`{json.dumps(inp['batch_shape'])}` dtype `{inp['dtype']}`")
        with h5py.File(path[:-len(".keras")] + ".h5", "r") as hf:
            h5names = [_s(x) for x in hf["model_weights"].attrs["layer_names"]]
        assert h5names == [l["config"]["name"] for l in c["layers"][1:]], (name, h5names)
        lines.append("- layers[1:] classes (names = `.h5` layer_names): " + ", ".join(l["class_name"] for l in c["layers"][1:]))
    with h5py.File(io.BytesIO(wbytes), "r") as f:
        groups = OrderedDict()
        renamed = []

        def visit(n, o):
            if isinstance(o, h5py.Dataset):
                parent, idx = n.rsplit("/vars/", 1)
                groups.setdefault(parent, []).append((int(idx), tuple(o.shape)))
            elif n == "vars" or n.endswith("/vars"):
                g = n[:-5] if n != "vars" else "."
                nm = _s(o.attrs["name"])
                if g.rsplit("/", 1)[-1] != nm:
                    renamed.append(f"{g}={nm}")
        f.visititems(visit)
        for v in groups.values():
            v.sort()
            assert [i for i, _ in v] == list(range(len(v)))
        lines.append("- model.weights.h5 datasets (`<group>/vars/<i>` shape): " + (", ".join(
            f"`{g}/vars/` " + " ".join(f"{i}:{s}" for i, s in v) for g, v in groups.items()) if groups else "(none)"))
        renamed = [r for r in renamed if not r.startswith(".=")]
        if renamed:
            lines.append("- `vars@name` differing from the group's last path component: " + ", ".join(renamed))
    return lines


def _keras_histories(obj):
    out = []
    if isinstance(obj, dict):
        if obj.get("class_name") == "__keras_tensor__":
            out.append(obj["config"]["keras_history"])
        else:
            for v in obj.values():
                out.extend(_keras_histories(v))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(_keras_histories(v))
    return out


# ----------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------


def main():
    keras.utils.set_random_seed(0)
    results = OrderedDict()
    dropped = OrderedDict()
    live = OrderedDict()   # layer class -> info captured from live objects
    for name, (builder, desc) in CASES.items():
        try:
            keras.backend.clear_session()
            keras.utils.set_random_seed(0)
            model = builder()
            rng = np.random.default_rng(zlib.crc32(name.encode()))
            randomize_weights(model, rng)
            inputs = make_inputs(name, model, rng)
            outputs = [np.asarray(o, dtype=np.float32) for o in as_list(model.predict(feed(model, inputs), verbose=0))]
            direct = [keras.ops.convert_to_numpy(o) for o in as_list(model(feed(model, inputs), training=False))]
            for o, d in zip(outputs, direct):
                assert np.allclose(o, d, rtol=1e-5, atol=1e-6), f"{name}: predict vs call mismatch"
            kpath = os.path.join(OUT, name + ".keras")
            hpath = os.path.join(OUT, name + ".h5")
            for p in (kpath, hpath):
                if os.path.exists(p):
                    os.remove(p)
            model.save(kpath)
            model.save(hpath)
            arrays = OrderedDict()
            for i, a in enumerate(inputs):
                arrays[f"input_{i}"] = a
            for i, o in enumerate(outputs):
                arrays[f"output_{i}"] = o
            write_npz(os.path.join(OUT, name + "_io.npz"), arrays)
            # Reload both formats and compare.
            diffs = {}
            for p in (kpath, hpath):
                keras.backend.clear_session()
                m2 = keras.models.load_model(p, compile=False)
                y2 = [keras.ops.convert_to_numpy(o) for o in as_list(m2.predict(feed(m2, inputs), verbose=0))]
                diffs[os.path.splitext(p)[1]] = max(float(np.max(np.abs(a - b))) for a, b in zip(outputs, y2))
                assert diffs[os.path.splitext(p)[1]] <= 1e-6, (name, p, diffs)
            for layer in model.layers:
                cls = type(layer).__name__
                key = cls
                if cls == "GRU":
                    key = f"GRU(reset_after={layer.reset_after})"
                if key not in live and layer.weights:
                    live[key] = (name, layer.name, [(w.path, tuple(w.shape)) for w in layer.weights])
            results[name] = dict(desc=desc, functional=not isinstance(model, keras.Sequential),
                                 inputs=[(a.dtype.str, a.shape) for a in inputs],
                                 outputs=[(o.dtype.str, o.shape) for o in outputs], diffs=diffs,
                                 params=model.count_params())
            print(f"{name}: ok, params={model.count_params()}, reload max|diff| {diffs}")
        except Exception as e:  # noqa: BLE001
            dropped[name] = f"{type(e).__name__}: {e}"
            print(f"{name}: DROPPED: {dropped[name]}")
            for ext in (".keras", ".h5", "_io.npz"):
                p = os.path.join(OUT, name + ext)
                if os.path.exists(p):
                    os.remove(p)
    write_layout(results, dropped, live)
    write_manifest(results, dropped)


def versions():
    return (f"keras {keras.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
            f"h5py {h5py.__version__} (HDF5 {h5py.version.hdf5_version}), Python {sys.version.split()[0]}")


def generalize(path):
    return re.sub(r"\[\d+\]", "[*]", path)


def config_diff(a, b, path="", out=None):
    """Key paths present in only one of two JSON trees (list indices generalized)."""
    if out is None:
        out = {"only_h5": set(), "only_keras": set(), "value": set()}
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k == "shared_object_id":
                continue
            p = f"{path}/{k}"
            if k not in b:
                out["only_h5"].add(generalize(p))
            elif k not in a:
                out["only_keras"].add(generalize(p))
            else:
                config_diff(a[k], b[k], p, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            config_diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out["value"].add(generalize(path))
    return out


def abbreviate_cfg(lc):
    """One-line summary of a layer config: key=value, null-valued keys listed separately."""
    parts, nulls = [], []
    for k, v in lc["config"].items():
        if k in ("name", "trainable", "dtype"):
            continue
        if v is None:
            nulls.append(k)
        elif isinstance(v, dict) and "class_name" in v and "config" in v:
            if str(v.get("module", "")).startswith("keras.layers"):
                inner = v["config"]
                parts.append(f"{k}=<{v['class_name']} name={inner.get('name')}"
                             + (f" go_backwards={json.dumps(inner.get('go_backwards'))}" if "go_backwards" in inner else "")
                             + (f" build_config={json.dumps(v.get('build_config'))}" if "build_config" in v else "") + ">")
            elif v["class_name"] == "DTypePolicy":
                parts.append(f"{k}=DTypePolicy({v['config'].get('name')})")
            else:
                parts.append(f"{k}={v['class_name']}")
        else:
            parts.append(f"{k}={json.dumps(v)}")
    common = [k for k in ("name", "trainable", "dtype") if k in lc["config"]]
    s = ", ".join(parts)
    if nulls:
        s += f"; null: {', '.join(nulls)}"
    if common != ["name", "trainable", "dtype"]:
        s += f"; common keys present: {common}"
    return s


def naming_demo():
    """Save a throwaway model with custom layer names to show how .keras groups are named."""
    import tempfile
    keras.backend.clear_session()
    inp = keras.Input((4,), name="features")
    a = L.Dense(3, name="fc_a")(inp)
    b = L.Dense(3, name="fc_b")(inp)
    x = L.Concatenate(name="join")([a, b])
    out = L.Dense(2, name="head")(x)
    m = keras.Model(inp, out, name="named_demo")
    lines = []
    with tempfile.TemporaryDirectory() as d:
        kp, hp = os.path.join(d, "demo.keras"), os.path.join(d, "demo.h5")
        m.save(kp)
        m.save(hp)
        with zipfile.ZipFile(kp) as zf:
            wb = zf.read("model.weights.h5")
        with h5py.File(io.BytesIO(wb), "r") as f:
            pairs = [f"`layers/{g}` (vars@name `{_s(f['layers'][g]['vars'].attrs['name'])}`)" for g in f["layers"]]
        with h5py.File(hp, "r") as f:
            mw = f["model_weights"]
            h5groups = [f"`{g}`: {[_s(x) for x in mw[g].attrs['weight_names']]}" for g in mw]
    lines.append("Throwaway model (not a fixture): `features` Input(4) -> Dense `fc_a`, Dense `fc_b` -> Concatenate `join` -> Dense `head`:")
    lines.append(f"- `.keras` groups: {', '.join(pairs)}")
    lines.append(f"- `.h5` `model_weights` groups and weight_names: {'; '.join(h5groups)}")
    return lines


def write_layout(results, dropped, live):
    out = []
    out.append("# Keras 3 model file layout reference (generated)")
    out.append("")
    out.append("Generated by `generate_keras_import_fixtures.py` from the files it wrote "
               f"({versions()}; backend torch). Do not edit by hand; re-run the script. "
               "The general statements below are asserted by the script for every case.")
    out.append("")
    out.append("Shapes are numpy (row-major, C order) shapes. All weights are float32 (`<f4`). `[...]` lists are exact and in order.")
    out.append("")

    # ---------------- general HDF5 facts
    out.append("## HDF5 / zip encoding facts")
    out.append("")
    first = next(iter(results))
    hp = os.path.join(OUT, first + ".h5")
    dsets = set()
    for name in results:
        with h5py.File(os.path.join(OUT, name + ".h5"), "r") as f:
            f.visititems(lambda n, o: dsets.add(dataset_info(o)) if isinstance(o, h5py.Dataset) else None)
    with h5py.File(hp, "r") as f:
        out.append(f"- `.h5`: HDF5 superblock version {superblock_version(hp)} (h5py default libver). Root attrs: " + "; ".join(
            f"`{k}` ({attr_type(f, k)})" + ("" if k == "model_config" else f" = `{short(f.attrs[k])}`") for k in f.attrs)
            + ". Root has exactly one member, group `model_weights` (models are not compiled, so no `optimizer_weights` / `training_config`).")
        mw = f["model_weights"]
        out.append("- `model_weights` attrs: " + "; ".join(
            f"`{k}` ({attr_type(mw, k)})" + ("" if k == "layer_names" else f" = `{short(mw.attrs[k])}`") for k in mw.attrs))
        g = next(mw[n] for n in mw.attrs["layer_names"] if len(mw[n].attrs["weight_names"]))
        out.append(f"- each layer group's only attr `weight_names`: {attr_type(g, 'weight_names')} when non-empty; "
                   f"for weightless layers it is {attr_type(mw['top_level_model_weights'], 'weight_names')} "
                   "(an EMPTY float64 array, not a string array).")
    out.append(f"- weight datasets (all cases, both formats): {sorted(dsets)} -- float32 little-endian, contiguous, no filters/compression.")
    hdr, sym = set(), True
    for name in results:
        p = os.path.join(OUT, name + ".h5")
        with h5py.File(p, "r") as f:
            hdr |= set(object_header_versions(f))
        with open(p, "rb") as fh:
            data = fh.read()
        with zipfile.ZipFile(os.path.join(OUT, name + ".keras")) as zf:
            inner = zf.read("model.weights.h5")
        with h5py.File(io.BytesIO(inner), "r") as f:
            hdr |= set(object_header_versions(f))
        sym = sym and all(s in d for d in (data, inner) for s in (b"TREE", b"HEAP", b"SNOD"))
    with zipfile.ZipFile(os.path.join(OUT, first + ".keras")) as zf:
        wb = zf.read("model.weights.h5")
    with h5py.File(io.BytesIO(wb), "r") as f:
        out.append(f"- `.keras`: zip, members exactly `metadata.json`, `config.json`, `model.weights.h5`, all ZIP_STORED (no compression). "
                   f"Inner `model.weights.h5`: superblock version {wb[8]}, root members {list(f.keys())}; every `vars` group has attr "
                   f"`name` ({attr_type(f['vars'], 'name')}); datasets `<object path>/vars/<i>`.")
    out.append(f"- Both HDF5 files (all cases): object header versions {sorted(hdr)}; old-style symbol-table groups "
               f"(v1 B-tree `TREE` / local heap `HEAP` / `SNOD` nodes present in every file: {sym}); no link-info/dense "
               "groups. Members are found/iterated in name order, so `vars/10` would sort before `vars/2` -- order by the integer.")
    out.append("")

    out.append("## Where weights live")
    out.append("")
    out.append("- `.h5` (legacy): group `model_weights/<layer.name>/` per layer; attr `weight_names` = that layer's "
               "`[v.path for v in layer.weights]` (in `layer.weights` order); each dataset is at `model_weights/<layer.name>/<weight_name>` "
               "and there are no other datasets. `variable.path` is prefixed by `sequential/` in Sequential models (e.g. "
               "`model_weights/dense/sequential/dense/kernel`) but not in Functional models (`model_weights/dense/dense/kernel`). "
               "Nested variables keep their full path: `.../bidirectional/forward_lstm/lstm_cell/kernel`, "
               "`.../multi_head_attention/query/kernel`, `.../time_distributed/dense/kernel`, `.../lstm/lstm_cell/kernel`. "
               "`model_weights@layer_names` lists the model's `model.layers` (Functional: including InputLayers, which get an "
               "empty group; Sequential: the InputLayer is NOT listed). Extra group `top_level_model_weights` (empty weight_names) "
               "is not in `layer_names`. Robust loading: take `layer_names` in order, then `weight_names` in order.")
    out.append("- `.keras`: `model.weights.h5` mirrors the Python object tree. Model-level list `layers/` holds one group per "
               "entry of `model.layers` (Sequential: without the InputLayer; Functional: with InputLayers), named NOT by "
               "`layer.name` but by `snake_case(ClassName)` made unique with `_1`, `_2`, ... in `model.layers` order "
               "(keras `saving_lib._get_unique_name`; e.g. Functional InputLayers `a`, `b` are groups `layers/input_layer`, "
               "`layers/input_layer_1`). The true `layer.name` is the `name` attr of the `vars` subgroup. With auto-generated "
               "names (as in these fixtures) both usually coincide. `vars/<i>`: the object's OWN variables, i = 0,1,... in "
               "creation order. Sublayers sit under their Python attribute name: LSTM/GRU/SimpleRNN -> `<rnn>/cell/vars/{0 kernel,"
               "1 recurrent_kernel,2 bias}` (the RNN layer's own `vars` is empty); Bidirectional -> `<bi>/forward_layer/cell/vars/i` "
               "and `<bi>/backward_layer/cell/vars/i`; TimeDistributed -> `<td>/layer/vars/i`; MultiHeadAttention -> "
               "`<mha>/{query_dense,key_dense,value_dense,output_dense}/vars/{0 kernel,1 bias}` plus weightless `_softmax`, "
               "`_dropout_layer`; SeparableConv2D -> own `vars/{0 depthwise_kernel,1 pointwise_kernel,2 bias}`; "
               "BatchNormalization `vars/{0 gamma,1 beta,2 moving_mean,3 moving_variance}`. Root `vars@name` = model name.")
    out.append("")
    out.append("### Naming rule demo")
    out.append("")
    out.extend(naming_demo())
    out.append("")

    # ---------------- per-class weights
    out.append("## `layer.weights` order and shapes per weighted class (first instance; `variable.path` shape)")
    out.append("")
    out.append("The `.h5` `weight_names` are exactly these paths; `.keras` `vars/<i>` index = position within the owning (sub)object.")
    out.append("")
    for key, (case, lname, ws) in sorted(live.items()):
        out.append(f"- **{key}** (`{case}`): " + ", ".join(f"`{p}` {s}" for p, s in ws))
    out.append("")

    # ---------------- per-class config keys
    out.append("## Layer config per class (first instance in a `.keras` config.json)")
    out.append("")
    out.append("Every layer config (unless noted) starts with `name`, `trainable`, `dtype` (dtype = "
               "`{\"module\": \"keras\", \"class_name\": \"DTypePolicy\", \"config\": {\"name\": \"float32\"}, "
               "\"registered_name\": null}`); these are omitted below. Initializers are shown by class name only; in the file they "
               "are `{module: keras.initializers, class_name, config, registered_name, shared_object_id}` (shared_object_id = "
               "Python id(), not reproducible). Keys listed after `null:` are present with value null. Order = file order. "
               "`[+build_config,...]` = extra keys of the layer ENTRY (next to module/class_name/config/registered_name).")
    out.append("")
    seen_cls = OrderedDict()
    for name in results:
        with zipfile.ZipFile(os.path.join(OUT, name + ".keras")) as zf:
            cfg = json.loads(zf.read("config.json"))
        for _, lc in iter_layer_configs(cfg):
            cls = lc["class_name"]
            if cls == "GRU":
                cls = f"GRU(reset_after={lc['config']['reset_after']})"
            if cls not in seen_cls:
                seen_cls[cls] = (name, lc)
    for cls, (name, lc) in seen_cls.items():
        keys = [k for k in lc if k not in ("module", "class_name", "config", "registered_name")]
        out.append(f"- **{cls}** (`{name}`): {abbreviate_cfg(lc)}" + (f" [+{','.join(keys)}]" if keys else ""))
    out.append("")

    # ---------------- model-level config shapes
    out.append("## Model-level config JSON")
    out.append("")
    seq_ex = next((n for n, r in results.items() if not r["functional"]), None)
    fun_ex = "mha" if "mha" in results else next((n for n, r in results.items() if r["functional"]), None)
    for ex in (seq_ex, fun_ex):
        if ex is None:
            continue
        with zipfile.ZipFile(os.path.join(OUT, ex + ".keras")) as zf:
            cfg = json.loads(zf.read("config.json"))
            meta = json.loads(zf.read("metadata.json"))
        c = dict(cfg)
        c["config"] = {k: (f"<{len(v)} layer entries>" if k == "layers" else v) for k, v in cfg["config"].items()}
        out.append(f"- `{ex}.keras` config.json, `layers` elided: `{json.dumps(strip_ids(c))}`")
        for i in range(min(3, len(cfg["config"]["layers"]))):
            le = strip_ids(cfg["config"]["layers"][i])
            if le["class_name"] != "InputLayer":
                le = dict(le)
                le["config"] = "<layer config>"
            out.append(f"  - layers[{i}]: `{json.dumps(le)}`")
        meta["date_saved"] = "<YYYY-MM-DD@HH:MM:SS, changes every run>"
        out.append(f"  - metadata.json: `{json.dumps(meta)}`")
        with h5py.File(os.path.join(OUT, ex + ".h5"), "r") as f:
            mc = json.loads(f.attrs["model_config"])
        mcc = dict(mc)
        mcc["config"] = {k: (f"<{len(v)} layer entries>" if k == "layers" else v) for k, v in mc["config"].items()}
        out.append(f"  - `{ex}.h5` root attr `model_config`, `layers` elided: `{json.dumps(strip_ids(mcc))}`")
    agg = {"only_h5": set(), "only_keras": set(), "value": set()}
    for name in results:
        with zipfile.ZipFile(os.path.join(OUT, name + ".keras")) as zf:
            cfg = json.loads(zf.read("config.json"))
        with h5py.File(os.path.join(OUT, name + ".h5"), "r") as f:
            mc = json.loads(f.attrs["model_config"])
        d = config_diff(mc, cfg)
        for k in agg:
            agg[k] |= d[k]
    out.append("- `.h5` `model_config` vs `.keras` config.json over all cases (ignoring shared_object_id; `[*]` = any index): "
               f"keys only in config.json: {sorted(agg['only_keras'])}; keys only in model_config: {sorted(agg['only_h5']) or 'none'}; "
               f"differing values: {sorted(agg['value']) or 'none'}. I.e. model_config is the same tree minus the top-level "
               "and per-layer `module` / `registered_name` / `build_config` (nested serialized objects such as initializers, "
               "dtype policies and Bidirectional's inner layers keep theirs) and minus `compile_config`.")
    out.append("- Sequential: `config.layers[0]` is the InputLayer entry (`config.batch_shape` = `[null, ...]`, `config.dtype`); "
               "layer entries have no `name`/`inbound_nodes`; model input shape also in `config.build_input_shape` and top-level "
               "`build_config.input_shape`. Functional: every entry has `name` and `inbound_nodes` (InputLayer: `[]`); "
               "`inbound_nodes` = list of call nodes `{\"args\": [...], \"kwargs\": {...}}`, each tensor serialized as "
               "`{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\", \"dtype\", \"keras_history\": [layer_name, node_index, tensor_index]}}`. "
               "Merge layers get ONE arg that is a list of tensors; MultiHeadAttention gets two positional args (query, value). "
               "`input_layers` / `output_layers` are `[name, node, tensor]` triples -- a bare triple when there is one tensor, "
               "a list of triples when several. Top-level `build_config` is `{\"input_shape\": null}`.")
    out.append("")

    # ---------------- per-case
    out.append("## Per case")
    out.append("")
    out.append("`.h5` lines: `model_config` (first 300 chars), `layer_names`, then per weighted layer group its `weight_names` "
               "(= dataset paths relative to the group) with shapes. `.keras` lines: members, config summary, datasets grouped "
               "by owning group (`i:shape`).")
    out.append("")
    for name, r in results.items():
        out.append(f"### {name}")
        out.append("")
        out.append(f"{r['desc']}. Params {r['params']}. npz: " + ", ".join(
            [f"input_{i} {d} {s}" for i, (d, s) in enumerate(r["inputs"])] +
            [f"output_{i} {d} {s}" for i, (d, s) in enumerate(r["outputs"])]))
        out.append("")
        out.extend(describe_h5(name, os.path.join(OUT, name + ".h5")))
        out.append("")
        out.extend(describe_keras(name, os.path.join(OUT, name + ".keras"), r["functional"]))
        out.append("")
    if dropped:
        out.append("## Dropped cases")
        out.append("")
        for n, e in dropped.items():
            out.append(f"- `{n}`: {e}")
        out.append("")
    with open(os.path.join(OUT, "LAYOUT.md"), "w") as f:
        f.write("\n".join(out))


def write_manifest(results, dropped):
    out = []
    out.append("# Keras import fixtures (generated)")
    out.append("")
    out.append("Regenerate everything (run from the repository root; CPU only, no TensorFlow):")
    out.append("")
    out.append("    KERAS_BACKEND=torch /work/venv-torch/bin/python Tests/Fixtures/keras_import/generate_keras_import_fixtures.py")
    out.append("")
    out.append(f"Versions: {versions()}; backend torch (CPU, 1 thread).")
    out.append("")
    out.append("Per case `NAME`:")
    out.append("")
    out.append("- `NAME.keras`: Keras 3 native archive (`model.save('NAME.keras')`): zip with `metadata.json`, `config.json`, `model.weights.h5`.")
    out.append("- `NAME.h5`: legacy HDF5 (`model.save('NAME.h5')`): root attrs `backend`, `keras_version`, `model_config`; group `model_weights` (no optimizer: models are not compiled).")
    out.append("- `NAME_io.npz`: `input_0` (`input_1`, ... for multi-input models, in `model.inputs` order) and `output_0` = `model.predict(...)` (inference mode). "
               "Float inputs are float32 standard normal, batch 3; token-id inputs are **int64** in the npz (the model's Input is int32; cast for predict).")
    out.append("- `LAYOUT.md`: generated reference of the file layouts (HDF5 groups/attrs, zip members, config.json, weight orders).")
    out.append("")
    out.append("Conventions: `keras.utils.set_random_seed(0)`, `keras.backend.clear_session()` before each case (layer names restart per model); "
               "per-case `np.random.default_rng(zlib.crc32(NAME))`, weights drawn first (`model.layers` order, `layer.weights` order; "
               "`uniform(-0.5, 0.5)`, BatchNormalization `moving_variance` `uniform(0.5, 1.5)`) and set with `layer.set_weights`, then inputs. "
               "Every saved file was reloaded with `keras.models.load_model` and reproduces `output_0` (max |diff| listed below).")
    out.append("")
    out.append("Reproducibility: the `_io.npz` files are byte-identical across runs (fixed zip timestamps, ZIP_STORED). "
               "The `.h5` files were observed byte-identical across two runs (same versions; h5py does not record times), and so was "
               "the `model.weights.h5` member of each `.keras`. The `.keras` archives themselves differ between runs: `config.json` "
               "contains `shared_object_id` values (Python `id()`s of initializer objects), `metadata.json` has `date_saved`, and "
               "the `model.weights.h5` zip member carries the current time (the two JSON members get 1980-01-01). "
               "`LAYOUT.md` is regenerated identically; so is this file unless a `.keras` size changes with the digit count of those ids.")
    out.append("")
    out.append("| case | model | npz arrays | params | reload max abs diff (.keras / .h5) | sizes (.keras / .h5 / _io.npz) |")
    out.append("|---|---|---|---|---|---|")
    for name, r in results.items():
        sizes = " / ".join(f"{os.path.getsize(os.path.join(OUT, name + e))} B" for e in (".keras", ".h5", "_io.npz"))
        arrs = ", ".join([f"input_{i} {d} {list(s)}" for i, (d, s) in enumerate(r["inputs"])] +
                         [f"output_{i} {d} {list(s)}" for i, (d, s) in enumerate(r["outputs"])])
        out.append(f"| `{name}` | {r['desc']} | {arrs} | {r['params']} | {r['diffs']['.keras']:.1e} / {r['diffs']['.h5']:.1e} | {sizes} |")
    out.append("")
    out.append("Notes: `Activation('gelu')` is Keras' exact (erf) GELU (`approximate=False`). Dropout, GaussianDropout, "
               "GaussianNoise, AlphaDropout are identities at inference. Sizes: `mlp` and `lenet` are ~230 KB / ~280 KB per "
               "format because the requested architectures have 52,650 / 61,706 float32 parameters (all other files <= ~70 KB; "
               "total ~2.4 MB). LAYOUT.md documents the file structure of every case.")
    out.append("")
    out.append("Token ids: `embedding_rnn` ids in 1..19 with rows of real length [7, 4, 2] (rest 0 = padding, masked by mask_zero); "
               "`lstm_text` ids in 1..49. `bidirectional`: rows have [6, 4, 2] real steps, the rest all-zero (masked by Masking(0.0)).")
    out.append("")
    if dropped:
        out.append("## Dropped cases")
        out.append("")
        for n, e in dropped.items():
            out.append(f"- `{n}`: {e}")
    else:
        out.append("No case was dropped.")
    out.append("")
    with open(os.path.join(OUT, "MANIFEST.md"), "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
