"""Keras files written with h5py exactly as Keras lays them out, checked against NumPy.

Keras 3 ``.keras``: a zip of metadata.json, config.json and model.weights.h5,
where a layer's variables sit in ``layers/<class in snake case>[_k]/vars/<i>``
(recent Keras 3 releases also put the layer's name in the ``name`` attribute of vars).
Legacy ``.h5``: ``model_config`` JSON as a root attribute and weights in
``model_weights/<layer>/``, listed by the group's ``weight_names`` attribute.
The real files made by Keras itself are in tests/fixtures/.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from neurodebug.io import MissingExtraError, NetworkFileError, load_network
from neurodebug.io.keras_format import read_keras_network
from neurodebug.engine.trace import forward, trace_of

from activation_references import ref_activation

RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def _fresh_rng() -> None:
    """Every test draws the same numbers, whatever ran before it in this worker."""
    global RNG
    RNG = np.random.default_rng(11)
FIXTURES = Path(__file__).parent / "fixtures"
POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


# -- an independent forward pass ---------------------------------------------------------
def act(name: str, z: np.ndarray, slope: float = 0.0) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0)
    if name == "leaky_relu":
        return np.where(z > 0, z, slope * z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return z


def dense(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    z = x.astype(np.float64) @ kernel.astype(np.float64)
    return z + bias.astype(np.float64) if bias is not None else z


def close(got: np.ndarray, want: np.ndarray) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12)


# -- Keras 3 configs and files ---------------------------------------------------------------
def layer(class_name: str, name: str, **config: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {"name": name, "trainable": True, "dtype": POLICY}
    cfg.update(config)
    return {"module": "keras.layers", "class_name": class_name, "config": cfg, "registered_name": None}


def input_layer(name: str, shape: list[int]) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
            "config": {"batch_shape": [None, *shape], "dtype": "float32", "sparse": False,
                       "ragged": False, "name": name, "optional": False}}


def dense_layer(name: str, units: int, activation: str | None = "linear", use_bias: bool = True, **extra: Any) -> dict[str, Any]:
    return layer("Dense", name, units=units, activation=activation, use_bias=use_bias,
                 kernel_initializer={"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None}},
                 bias_initializer={"module": "keras.initializers", "class_name": "Zeros", "config": {}},
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 quantization_config=None, **extra)


def sequential(name: str, layers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"module": "keras", "class_name": "Sequential", "registered_name": None, "compile_config": {},
            "config": {"name": name, "trainable": True, "dtype": POLICY, "layers": layers}}


def functional(name: str, layers: list[dict[str, Any]], sources: list[list[str]],
               inputs: Any = None, outputs: Any = None) -> dict[str, Any]:
    """A functional config; ``sources[i]`` names the layers feeding layers[i]."""
    listed = []
    for doc, feeding in zip(layers, sources):
        doc = dict(doc, name=doc["config"]["name"])
        args = [{"class_name": "__keras_tensor__",
                 "config": {"shape": [None, 1], "dtype": "float32", "keras_history": [src, 0, 0]}} for src in feeding]
        doc["inbound_nodes"] = [{"args": args if len(args) == 1 else [args], "kwargs": {}}] if feeding else []
        listed.append(doc)
    return {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": name, "trainable": True, "layers": listed,
                       "input_layers": inputs or [layers[0]["config"]["name"], 0, 0],
                       "output_layers": outputs or [layers[-1]["config"]["name"], 0, 0]}}


def chain(layers: list[dict[str, Any]]) -> list[list[str]]:
    names = [d["config"]["name"] for d in layers]
    return [[]] + [[n] for n in names[:-1]]


def weights_h5(groups: dict[str, tuple[str | None, list[np.ndarray]]], model_name: str = "model") -> bytes:
    """model.weights.h5: ``groups`` maps layers/<key> to (the name attribute or None, variables)."""
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        top = f.create_group("layers")
        for key, (name, variables) in groups.items():
            vars_group = top.create_group(key).create_group("vars")
            if name is not None:
                vars_group.attrs["name"] = name
            for i, v in enumerate(variables):
                vars_group.create_dataset(str(i), data=v)
        f.create_group("vars").attrs["name"] = model_name
    return buf.getvalue()


def keras_file(path: Path, config: dict[str, Any], weights: bytes, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1", "date_saved": "2026-01-01@00:00:00"}))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def f32(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape).astype(np.float32)


def mlp(tmp_path: Path) -> tuple[Path, list[np.ndarray]]:
    """Input(4) → Dense(5, relu) 'hidden' → Dense(3, softmax) 'out', as Keras 3.15 saves it."""
    k1, b1, k2, b2 = f32(4, 5), f32(5), f32(5, 3), f32(3)
    config = sequential("seq", [input_layer("input_layer", [4]), dense_layer("hidden", 5, "relu"), dense_layer("out", 3, "softmax")])
    weights = weights_h5({"dense": ("hidden", [k1, b1]), "dense_1": ("out", [k2, b2])}, "seq")
    return keras_file(tmp_path / "m.keras", config, weights), [k1, b1, k2, b2]


# -- Keras 3 ------------------------------------------------------------------------------
def test_keras3_sequential(tmp_path: Path) -> None:
    path, (k1, b1, k2, b2) = mlp(tmp_path)
    net = load_network(path)
    assert [(l.name, l.activation) for l in net.layers] == [("hidden", "relu"), ("out", "softmax")]
    assert net.name == "seq" and net.description == "Keras 3.15.1 model"
    assert net.layers[0].W.dtype == np.float32 and net.layers[0].W.tobytes() == k1.tobytes()
    x = RNG.normal(size=(6, 4))
    close(forward(net, x), act("softmax", dense(act("relu", dense(x, k1, b1)), k2, b2)))


def test_keras3_functional_chain_without_name_attributes(tmp_path: Path) -> None:
    """Without the name attribute (older Keras 3), groups are found by class and count."""
    mean, var = f32(6), np.abs(f32(6)) + 0.1
    k1, b1, k2, k3, b3 = f32(6, 4), f32(4), f32(4, 3), f32(3, 1), f32(1)
    layers = [
        input_layer("x", [2, 3]),
        layer("Flatten", "flatten", data_format="channels_last"),
        layer("Normalization", "norm", axis=[-1], invert=False, mean=None, variance=None),
        dense_layer("d1", 4),
        layer("Activation", "activation", activation="tanh"),
        layer("Dropout", "dropout", rate=0.2, seed=None, noise_shape=None),
        dense_layer("d2", 3, use_bias=False),
        layer("LeakyReLU", "lr", negative_slope=0.3),
        dense_layer("d3", 1, "sigmoid"),
    ]
    weights = weights_h5({
        "input_layer": (None, []), "flatten": (None, []), "activation": (None, []), "dropout": (None, []),
        "leaky_re_lu": (None, []),
        "normalization": (None, [mean, var, np.array(20, dtype=np.int64)]),
        "dense": (None, [k1, b1]), "dense_1": (None, [k2]), "dense_2": (None, [k3, b3]),
    })
    net = load_network(keras_file(tmp_path / "f.keras", functional("func", layers, chain(layers)), weights))
    assert [(l.name, l.activation) for l in net.layers] == [("d1", "tanh"), ("d2", "leaky_relu"), ("d3", "sigmoid")]
    assert net.layers[1].alpha == pytest.approx(0.3)
    x = RNG.normal(size=(5, 2, 3)).reshape(5, 6)
    h = (x - mean) / np.maximum(np.sqrt(var.astype(np.float64)), 1e-7)
    h = act("tanh", dense(h, k1, b1))
    h = act("leaky_relu", dense(h, k2, None), 0.3)
    close(forward(net, x), act("sigmoid", dense(h, k3, b3)))


def test_keras3_groups_found_by_their_name_attribute(tmp_path: Path) -> None:
    k1, b1, k2, b2 = f32(2, 3), f32(3), f32(3, 1), f32(1)
    config = sequential("s", [dense_layer("first", 3, "tanh"), dense_layer("second", 1)])
    # Swapped group keys: only the name attribute tells them apart.
    weights = weights_h5({"dense_1": ("first", [k1, b1]), "dense": ("second", [k2, b2])})
    net = load_network(keras_file(tmp_path / "s.keras", config, weights))
    x = RNG.normal(size=(3, 2))
    close(forward(net, x), dense(act("tanh", dense(x, k1, b1)), k2, b2))


def test_keras3_normalization_from_config_before_flatten(tmp_path: Path) -> None:
    """mean and variance given to the constructor live in the config, per last axis."""
    mean, var = [1.0, 2.0, 3.0], [4.0, 0.25, 1.0]
    k, b = f32(6, 2), f32(2)
    layers = [input_layer("in", [2, 3]), layer("Normalization", "n", axis=[-1], invert=False, mean=mean, variance=var),
              layer("Flatten", "f", data_format="channels_last"), dense_layer("out", 2, "leaky_relu")]
    net = load_network(keras_file(tmp_path / "n.keras", sequential("s", layers), weights_h5({"dense": ("out", [k, b])})))
    assert net.layers[0].alpha == pytest.approx(0.2)  # keras.activations.leaky_relu's default slope
    x = RNG.normal(size=(4, 2, 3))
    h = ((x - np.array(mean)) / np.sqrt(var)).reshape(4, 6)
    close(forward(net, x.reshape(4, 6)), act("leaky_relu", dense(h, k, b), 0.2))


# -- legacy .h5 -------------------------------------------------------------------------------
def legacy_file(path: Path, config: dict[str, Any], layers: dict[str, list[tuple[str, np.ndarray]]],
                as_bytes: bool = False) -> Path:
    with h5py.File(path, "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["model_config"] = json.dumps(config).encode() if as_bytes else json.dumps(config)
        weights = f.create_group("model_weights")
        names = list(layers)
        weights.attrs["layer_names"] = np.array([n.encode() for n in names]) if as_bytes else names
        for name, variables in layers.items():
            g = weights.create_group(name)
            wn = [n for n, _ in variables]
            g.attrs["weight_names"] = np.array([n.encode() for n in wn]) if as_bytes else np.array(wn, dtype=object)
            for n, v in variables:
                g.create_dataset(n, data=v)
    return path


def test_legacy_h5_keras3_sequential(tmp_path: Path) -> None:
    k1, b1, k2, b2 = f32(4, 5), f32(5), f32(5, 3), f32(3)
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "input_layer"}},
        {"class_name": "Dense", "config": dense_layer("hidden", 5, "relu")["config"]},
        {"class_name": "Dense", "config": dense_layer("out", 3, "softmax")["config"]}]}}
    path = legacy_file(tmp_path / "seq.h5", config, {
        "hidden": [("seq/hidden/kernel", k1), ("seq/hidden/bias", b1)],
        "out": [("seq/out/kernel", k2), ("seq/out/bias", b2)],
    })
    net = load_network(path)
    assert [(l.name, l.activation) for l in net.layers] == [("hidden", "relu"), ("out", "softmax")]
    x = RNG.normal(size=(6, 4))
    close(forward(net, x), act("softmax", dense(act("relu", dense(x, k1, b1)), k2, b2)))


def test_legacy_h5_keras2_functional(tmp_path: Path) -> None:
    """tf.keras 2: list-style inbound_nodes, bytes attributes, 'name:0' weight names."""
    k1, b1, k2, b2 = f32(3, 4), f32(4), f32(4, 2), f32(2)

    def k2layer(class_name: str, name: str, inbound: str | None, **config: Any) -> dict[str, Any]:
        return {"class_name": class_name, "name": name, "config": {"name": name, "dtype": "float32", **config},
                "inbound_nodes": [[[inbound, 0, 0, {}]]] if inbound else []}

    config = {"class_name": "Functional", "keras_version": "2.15.0", "backend": "tensorflow", "config": {
        "name": "model", "input_layers": [["input_1", 0, 0]], "output_layers": [["softmax", 0, 0]],
        "layers": [
            k2layer("InputLayer", "input_1", None, batch_input_shape=[None, 3], sparse=False, ragged=False),
            k2layer("Dense", "dense", "input_1", units=4, activation="linear", use_bias=True),
            k2layer("ReLU", "re_lu", "dense", max_value=None, negative_slope=0.1, threshold=0.0),
            k2layer("Dense", "dense_1", "re_lu", units=2, activation="linear", use_bias=True),
            k2layer("Softmax", "softmax", "dense_1", axis=-1),
        ]}}
    path = legacy_file(tmp_path / "model.h5", config, {
        "input_1": [], "dense": [("dense/kernel:0", k1), ("dense/bias:0", b1)], "re_lu": [],
        "dense_1": [("dense_1/kernel:0", k2), ("dense_1/bias:0", b2)], "softmax": [],
    }, as_bytes=True)
    net = load_network(path)
    assert [(l.name, l.activation) for l in net.layers] == [("dense", "leaky_relu"), ("dense_1", "softmax")]
    assert net.description == "Keras 2.15.0 model"
    x = RNG.normal(size=(5, 3))
    close(forward(net, x), act("softmax", dense(act("leaky_relu", dense(x, k1, b1), 0.1), k2, b2)))


# -- the newer activations ------------------------------------------------------------------
NEWER = [("gelu", "gelu", {}), ("swish", "silu", {}), ("silu", "silu", {}), ("mish", "mish", {}),
         ("elu", "elu", {"alpha": 1.0}), ("selu", "selu", {}), ("softplus", "softplus", {}),
         ("softsign", "softsign", {}), ("hard_sigmoid", "hard_sigmoid", {"alpha": 1 / 6, "beta": 0.5}),
         ("hard_silu", "hard_silu", {}), ("hard_swish", "hard_silu", {}), ("exponential", "exponential", {}),
         ("relu6", "relu6", {}), ("hard_tanh", "clip", {"min": -1.0, "max": 1.0}), ("log_softmax", "log_softmax", {})]


@pytest.mark.parametrize("keras_name, name, params", NEWER, ids=[k for k, _, _ in NEWER])
def test_keras3_activation_names(tmp_path: Path, keras_name: str, name: str, params: dict[str, float]) -> None:
    k, b = f32(3, 4) * 3, f32(4)
    config = sequential("s", [input_layer("in", [3]), dense_layer("d", 4, keras_name)])
    net = load_network(keras_file(tmp_path / "a.keras", config, weights_h5({"dense": ("d", [k, b])})))
    assert (net.layers[0].activation, net.layers[0].params) == (name, params)
    x = RNG.normal(size=(6, 3))
    # a float32 layer: z carries float32's rounding, which a steep g shows at 1e−6 relative
    np.testing.assert_allclose(forward(net, x), ref_activation(name, dense(x, k, b), params), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("class_name, config, name, params", [
    ("ELU", {"alpha": 0.5}, "elu", {"alpha": 0.5}),
    ("ELU", {}, "elu", {"alpha": 1.0}),
    ("ReLU", {"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}, "relu6", {}),
    ("ReLU", {"max_value": 2.5, "negative_slope": 0.0, "threshold": 0.0}, "clip", {"min": 0.0, "max": 2.5}),
    ("ReLU", {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}, "relu", {}),
], ids=["elu", "elu-default", "relu6", "clip", "relu"])
def test_keras3_activation_layers(tmp_path: Path, class_name: str, config: dict[str, Any], name: str,
                                  params: dict[str, float]) -> None:
    k, b = f32(3, 4) * 4, f32(4)
    layers = [input_layer("in", [3]), dense_layer("d", 4), layer(class_name, "act", **config)]
    net = load_network(keras_file(tmp_path / "a.keras", sequential("s", layers), weights_h5({"dense": ("d", [k, b])})))
    assert [(l.name, l.activation, l.params) for l in net.layers] == [("d", name, params)]
    x = RNG.normal(size=(6, 3))
    np.testing.assert_allclose(forward(net, x), ref_activation(name, dense(x, k, b), params), rtol=1e-5, atol=1e-6)


def test_hard_sigmoid_follows_the_keras_that_saved_it(tmp_path: Path) -> None:
    """Keras 2: clip(0.2·x + 0.5, 0, 1); Keras 3 (the .keras tests above): relu6(x + 3)/6."""
    k, b = f32(3, 2) * 5, f32(2)
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "name": "input_1"}},
        {"class_name": "Dense", "config": dense_layer("d", 2, "hard_sigmoid")["config"]}]}}
    net = load_network(legacy_file(tmp_path / "k2.h5", config, {"d": [("d/kernel:0", k), ("d/bias:0", b)]}))
    assert net.layers[0].params == {"alpha": 0.2, "beta": 0.5}
    x = RNG.normal(size=(8, 3))
    np.testing.assert_allclose(forward(net, x), np.clip(0.2 * dense(x, k, b) + 0.5, 0, 1), rtol=1e-5, atol=1e-6)


# -- what is refused ---------------------------------------------------------------------------
def refused(tmp_path: Path, layers: list[dict[str, Any]], groups: dict[str, tuple[str | None, list[np.ndarray]]] | None = None,
            sources: list[list[str]] | None = None) -> NetworkFileError:
    config = functional("m", layers, sources or chain(layers)) if sources is not None else sequential("m", layers)
    path = keras_file(tmp_path / "bad.keras", config, weights_h5(groups or {}))
    with pytest.raises(NetworkFileError) as err:
        read_keras_network(path)
    return err.value


SUPPORTED = "supported layers: InputLayer, Dense"


def test_convolution_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [input_layer("in", [8, 8, 1]), layer("Conv2D", "conv", filters=4, kernel_size=[3, 3])])
    assert err.place == "layer 'conv' (Conv2D)"
    assert "is not supported" in str(err) and SUPPORTED in str(err)


def test_unsupported_activation_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [dense_layer("d", 2, "tanh_shrink")], {"dense": ("d", [f32(2, 2), f32(2)])})
    assert err.place == "layer 'd' (Dense)"
    assert ("activation 'tanh_shrink' is not supported; supported: sigmoid, relu, leaky_relu, tanh, linear, softmax, "
            "gelu, silu, swish, mish, elu, celu, selu, softplus, softsign, hard_sigmoid, hard_silu, hard_swish, "
            "exponential, relu6, hard_tanh, log_softmax") in str(err)


def test_layer_with_two_inputs_is_refused(tmp_path: Path) -> None:
    layers = [input_layer("in", [2]), dense_layer("a", 2), dense_layer("b", 2), layer("Add", "add")]
    err = refused(tmp_path, layers, sources=[[], ["in"], ["in"], ["a", "b"]])
    assert "branching graph" in str(err)


def test_layer_feeding_two_is_refused(tmp_path: Path) -> None:
    layers = [input_layer("in", [2]), dense_layer("a", 2), dense_layer("b", 2)]
    err = refused(tmp_path, layers, sources=[[], ["in"], ["in"]])
    assert err.place == "layer 'in' (InputLayer)" and "feeds 2 layers (a, b): a branching graph" in str(err)


def test_two_inputs_are_refused(tmp_path: Path) -> None:
    layers = [input_layer("a", [2]), input_layer("b", [2]), layer("Concatenate", "c")]
    config = functional("m", layers, [[], [], ["a", "b"]], inputs=[["a", 0, 0], ["b", 0, 0]])
    path = keras_file(tmp_path / "two.keras", config, weights_h5({}))
    with pytest.raises(NetworkFileError, match="2 inputs and 1 outputs; only one of each"):
        read_keras_network(path)


def test_shared_layer_is_refused(tmp_path: Path) -> None:
    layers = [input_layer("in", [2]), dense_layer("a", 2)]
    config = functional("m", layers, chain(layers))
    config["config"]["layers"][1]["inbound_nodes"] *= 2
    with pytest.raises(NetworkFileError, match="called 2 times"):
        read_keras_network(keras_file(tmp_path / "shared.keras", config, weights_h5({})))


def test_nested_model_without_weights_names_the_nested_group(tmp_path: Path) -> None:
    """Nested models are flattened (tests/test_io_keras_more.py); the error names the layer by its path."""
    err = refused(tmp_path, [sequential("inner", [dense_layer("d", 2)])])
    assert err.place == "layer 'inner/d' (Dense)"
    assert "no weights in model.weights.h5 (looked for layers/sequential/layers/dense/vars)" in str(err)


def test_two_activations_in_a_row_are_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [dense_layer("d", 2, "relu"), layer("Activation", "act", activation="sigmoid")],
                  {"dense": ("d", [f32(2, 2), f32(2)])})
    assert err.place == "layer 'act' (Activation)" and "already applies relu" in str(err)


def test_activation_before_any_dense_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [input_layer("in", [2]), layer("Activation", "act", activation="relu")])
    assert "before the first Dense layer" in str(err)


def test_normalization_after_a_dense_is_refused(tmp_path: Path) -> None:
    layers = [dense_layer("d", 2), layer("Normalization", "n", axis=[-1], invert=False, mean=[0, 0], variance=[1, 1])]
    err = refused(tmp_path, layers, {"dense": ("d", [f32(2, 2), f32(2)])})
    assert err.place == "layer 'n' (Normalization)" and "only at the input" in str(err)


def test_inverted_normalization_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [layer("Normalization", "n", axis=[-1], invert=True, mean=[0.0], variance=[1.0])])
    assert "invert" in str(err)


@pytest.mark.parametrize("config, words", [
    ({"max_value": None, "negative_slope": 0.0, "threshold": 1.0}, "ReLU with threshold=1 is not supported"),
    ({"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.0},
     "ReLU with both max_value=6 and negative_slope=0.1 is not supported"),
    ({"max_value": 0.0, "negative_slope": 0.0, "threshold": 0.0}, "ReLU with max_value=0 is not supported"),
    ({"max_value": "six", "negative_slope": 0.0, "threshold": 0.0}, "max_value is 'six', expected a number"),
])
def test_relu_that_no_activation_computes_is_refused(tmp_path: Path, config: dict[str, Any], words: str) -> None:
    layers = [dense_layer("d", 2), layer("ReLU", "r", **config)]
    err = refused(tmp_path, layers, {"dense": ("d", [f32(2, 2), f32(2)])})
    assert err.place == "layer 'r' (ReLU)" and words in str(err)


def test_hard_sigmoid_without_a_keras_version_is_refused(tmp_path: Path) -> None:
    config = sequential("s", [dense_layer("d", 2, "hard_sigmoid")])
    path = tmp_path / "old.keras"
    with zipfile.ZipFile(path, "w") as zf:  # no metadata.json: no version
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights_h5({"dense": ("d", [f32(2, 2), f32(2)])}))
    with pytest.raises(NetworkFileError) as err:
        load_network(path)
    assert "relu6(x + 3)/6 in Keras 3 and clip(0.2·x + 0.5, 0, 1) in Keras 2" in str(err.value)


def test_softmax_over_another_axis_is_refused(tmp_path: Path) -> None:
    layers = [dense_layer("d", 2), layer("Softmax", "s", axis=0)]
    err = refused(tmp_path, layers, {"dense": ("d", [f32(2, 2), f32(2)])})
    assert "axis 0" in str(err)


def test_quantized_dense_is_refused(tmp_path: Path) -> None:
    d = dense_layer("d", 2)
    d["config"]["dtype"] = {"module": "keras", "class_name": "QuantizedDTypePolicy", "config": {"name": "int8_from_float32"}}
    err = refused(tmp_path, [d], {"dense": ("d", [np.ones((2, 2), np.int8), f32(2), f32(2)])})
    assert "quantized" in str(err)


def test_dense_on_a_grid_without_flatten_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [input_layer("in", [2, 3]), dense_layer("d", 2)], {"dense": ("d", [f32(3, 2), f32(2)])})
    assert "put a Flatten before it" in str(err)


def test_weights_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    layers = [dense_layer("a", 3), dense_layer("b", 1)]
    err = refused(tmp_path, layers, {"dense": ("a", [f32(2, 3), f32(3)]), "dense_1": ("b", [f32(2, 1), f32(1)])})
    assert err.place == "layer 'b' (Dense)" and "take 2 inputs but the previous Dense layer a has 3 units" in str(err)


def test_missing_weights_are_reported(tmp_path: Path) -> None:
    err = refused(tmp_path, [dense_layer("d", 2)], {})
    assert "no weights in model.weights.h5 (looked for layers/dense/vars)" in str(err)


# -- safety and broken files ------------------------------------------------------------------
@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil", "a/../../evil", "C:/evil", "..\\evil"])
def test_archive_member_escaping_is_refused(tmp_path: Path, member: str) -> None:
    path, _ = mlp(tmp_path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(member, b"x")
    with pytest.raises(NetworkFileError, match="absolute path or '..'; refusing the archive"):
        read_keras_network(path)


def test_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path, _ = mlp(tmp_path)
    with pytest.raises(NetworkFileError, match="over the"):
        read_keras_network(path, limit=1000)


def test_archive_unpacking_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", "{}")
        zf.writestr("model.weights.h5", b"\0" * 2_000_000)
    with pytest.raises(NetworkFileError, match="unpacks to"):
        read_keras_network(path, limit=1_000_000)


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ({"config.json": b"{not json", "model.weights.h5": b""}, "config.json: is not valid JSON"),
        ({"config.json": json.dumps(sequential("s", [dense_layer("d", 2)])).encode(), "model.weights.h5": b"not hdf5"},
         "model.weights.h5: is not a readable HDF5 file"),
        ({"config.json": b"[1, 2]", "model.weights.h5": b""}, "expected an object with a class_name"),
        ({"model.weights.h5": b""}, "no config.json"),
        ({"config.json": b"{}"}, "no model.weights.h5"),
        ({"config.json": b"{}", "model.weights.npz": b""}, "weights stored as model.weights.npz are not supported"),
    ],
)
def test_broken_archives(tmp_path: Path, members: dict[str, bytes], words: str) -> None:
    path = tmp_path / "broken.keras"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(NetworkFileError) as err:
        read_keras_network(path)
    assert words in str(err.value)


def test_bad_weights_layout_is_a_file_error(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.create_dataset("layers", data=[1, 2, 3])  # a dataset where a group belongs
    config = sequential("s", [dense_layer("d", 2)])
    with pytest.raises(NetworkFileError, match="has no 'layers' group"):
        read_keras_network(keras_file(tmp_path / "x.keras", config, buf.getvalue()))


@pytest.mark.parametrize("data", [b"PK\x03\x04 truncated zip", b"\x89HDF\r\n\x1a\n truncated", b"plain text"])
def test_garbage_is_a_file_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "junk.keras"
    path.write_bytes(data)
    with pytest.raises(NetworkFileError):
        load_network(path)


def test_weights_only_h5_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"dense"]
        f.create_group("dense")
    with pytest.raises(NetworkFileError, match=r"weights only \(model.save_weights\)"):
        load_network(path)


def test_plain_hdf5_is_not_a_keras_model(tmp_path: Path) -> None:
    path = tmp_path / "data.hdf5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=[1.0])
    with pytest.raises(NetworkFileError, match="without a Keras model_config"):
        load_network(path)


def test_missing_h5py_gives_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = mlp(tmp_path)
    monkeypatch.setitem(sys.modules, "h5py", None)  # makes `import h5py` raise ImportError
    with pytest.raises(MissingExtraError) as err:
        load_network(path)
    assert "pip install 'neurodebug[keras]'" in str(err.value)


# -- files saved by Keras itself ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["keras_sequential.keras", "keras_functional.h5"])
def test_files_saved_by_keras_give_keras_outputs(name: str) -> None:
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    net = load_network(FIXTURES / name)
    x = np.array(expected["x"], dtype=np.float32)
    got = forward(net, x.reshape(len(x), -1))
    np.testing.assert_allclose(got, np.array(expected["y"]), rtol=1e-6, atol=1e-7)


def test_newer_activations_saved_by_keras_give_keras_outputs() -> None:
    """tests/fixtures/make_activation_fixtures.py: gelu, swish, ELU, selu, softplus, mish, softsign,
    hard_sigmoid, hard_silu, ReLU(max_value=6), ReLU(max_value=2.5), hard_tanh, exponential, log_softmax."""
    expected = json.loads((FIXTURES / "keras_activations.keras.expected.json").read_text())
    net = load_network(FIXTURES / "keras_activations.keras")
    assert [l.activation for l in net.layers] == [
        "gelu", "silu", "elu", "selu", "softplus", "mish", "softsign", "hard_sigmoid", "hard_silu", "relu6",
        "clip", "clip", "exponential", "log_softmax"]
    assert net.layers[2].params == {"alpha": 0.5} and net.layers[10].params == {"min": 0.0, "max": 2.5}
    x = np.array(expected["x"], dtype=np.float32)
    np.testing.assert_allclose(forward(net, x), np.array(expected["y"]), rtol=1e-5, atol=0)
    trace = trace_of(net, x)
    for values, want in zip(trace.values, expected["layers"]):  # every layer, as Keras computed it
        want = np.array(want)
        np.testing.assert_allclose(values.a, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_a_dense_with_lora_weights_in_an_h5_says_to_save_as_keras(tmp_path: Path) -> None:
    """Keras 3 keeps LoRA's two matrices beside the kernel in an .h5 (a .keras file merges them)."""
    config = sequential("m", [input_layer("in", [4]), dense_layer("d", 3, lora_rank=2, lora_alpha=2)])
    arrays = [("d/bias", f32(3)), ("d/lora_kernel_a", f32(4, 2)), ("d/lora_kernel_b", f32(2, 3)), ("d/kernel", f32(4, 3))]
    path = legacy_file(tmp_path / "lora.h5", config, {"d": arrays})
    with pytest.raises(NetworkFileError) as err:
        read_keras_network(path)
    assert err.value.place == "layer 'd' (Dense)"
    assert "holds LoRA weights (lora_rank = 2) apart from its kernel; save the model as .keras" in str(err.value)


def test_an_identity_layer_is_skipped(tmp_path: Path) -> None:
    """keras.layers.Identity does nothing, at inference or ever: skipped like Dropout."""
    k1, b1, k2, b2 = f32(2, 3), f32(3), f32(3, 1), f32(1)
    config = sequential("s", [input_layer("in", [2]), dense_layer("first", 3, "tanh"), layer("Identity", "identity"),
                              dense_layer("second", 1)])
    weights = weights_h5({"dense": ("first", [k1, b1]), "identity": (None, []), "dense_1": ("second", [k2, b2])})
    net = load_network(keras_file(tmp_path / "id.keras", config, weights))
    assert [l.name for l in net.layers] == ["first", "second"]
    x = RNG.normal(size=(3, 2))
    close(forward(net, x), dense(act("tanh", dense(x, k1, b1)), k2, b2))
