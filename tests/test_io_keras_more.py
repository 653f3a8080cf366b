"""Keras models beyond one flat chain: nested models flattened (issue 15).

Hand-written files use the helpers of tests/test_io_keras.py (h5py writing
the layout Keras writes); the files Keras itself saved are in
tests/fixtures/keras_more/ (make_fixtures.py), each with Keras's outputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neurodebug.engine.network import Network
from neurodebug.engine.plan import GRANULARITIES, Plan
from neurodebug.engine.trace import forward, trace_of
from neurodebug.io import NetworkFileError, load_network
from neurodebug.io.keras_format import read_keras_network

from test_io_keras import (act, chain, dense, dense_layer, functional, input_layer, keras_file, layer, legacy_file,
                           sequential, weights_h5)

FIXTURES = Path(__file__).parent / "fixtures" / "keras_more"
RNG = np.random.default_rng(15)


@pytest.fixture(autouse=True)
def _fresh_rng() -> None:
    """Every test draws the same numbers, whatever ran before it in this worker."""
    global RNG
    RNG = np.random.default_rng(15)


def f32(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape).astype(np.float32)


def steps_through(net: Network, x: np.ndarray) -> None:
    """Every step of the pass, per neuron and per layer, has a value and a detail."""
    trace = trace_of(net, x)
    for granularity in GRANULARITIES:
        plan = Plan(net, granularity)
        for i in range(trace.n_samples):
            sample = trace.sample(i)
            for step in plan:
                sample.value(step)
                sample.detail(step)


def matches_keras(path: Path, rtol: float = 1e-5) -> Network:
    """The file opens, gives Keras's outputs and steps to the end."""
    expected = json.loads((path.parent / f"{path.stem}.expected.json").read_text())
    net = load_network(path)
    x = np.array(expected["x"], dtype=np.float32)
    x = x.reshape(len(x), -1)
    want = np.array(expected["y"])
    np.testing.assert_allclose(forward(net, x), want, rtol=rtol, atol=rtol * np.abs(want).max())
    assert [l.name for l in net.layers] == expected["layers"]
    steps_through(net, x)
    return net


# -- nested models -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["keras_nested_sequential", "keras_nested_functional"])
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_nested_models_saved_by_keras_give_keras_outputs(name: str, suffix: str) -> None:
    """A Sequential two deep in a Sequential; a functional chain (holding a Sequential) used as a layer."""
    matches_keras(FIXTURES / f"{name}{suffix}")


# -- tf-keras (the Keras 2 line) ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["tf_keras_sequential", "tf_keras_functional", "tf_keras_nested"])
@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_files_saved_by_tf_keras_give_its_outputs(name: str, suffix: str) -> None:
    """make_tf_keras_fixtures.py: relu, hard_sigmoid, elu, LeakyReLU, selu, softplus, softmax; tanh,
    ReLU(max_value=6), swish, gelu, sigmoid; a Sequential and a functional chain nested."""
    net = matches_keras(FIXTURES / f"{name}{suffix}")
    assert net.description == "Keras 2.21.0 model"


def test_tf_keras_hard_sigmoid_is_the_keras_2_one() -> None:
    """clip(0.2·x + 0.5, 0, 1), as the .h5's keras_version attribute and the .keras's metadata say."""
    for suffix in (".h5", ".keras"):
        net = load_network(FIXTURES / f"tf_keras_sequential{suffix}")
        assert (net.layers[1].activation, net.layers[1].params) == ("hard_sigmoid", {"alpha": 0.2, "beta": 0.5})


def two_blocks() -> tuple[dict[str, Any], list[np.ndarray]]:
    """Input(3) → Sequential 'a' [Dense 'd' relu] → Sequential 'b' [Sequential 'c' [Dense 'd'], Activation tanh]:
    two layers named 'd', told apart only by the models around them."""
    k1, b1, k2, b2 = f32(3, 4), f32(4), f32(4, 2), f32(2)
    inner_c = sequential("c", [dense_layer("d", 2)])
    config = sequential("top", [
        input_layer("in", [3]),
        sequential("a", [input_layer("in_a", [3]), dense_layer("d", 4, "relu")]),
        sequential("b", [inner_c, layer("Activation", "act", activation="tanh")]),
    ])
    return config, [k1, b1, k2, b2]


def check_two_blocks(net: Network, arrays: list[np.ndarray]) -> None:
    k1, b1, k2, b2 = arrays
    assert [(l.name, l.activation) for l in net.layers] == [("a/d", "relu"), ("b/c/d", "tanh")]
    x = np.random.default_rng(3).normal(size=(5, 3))
    np.testing.assert_allclose(forward(net, x), act("tanh", dense(act("relu", dense(x, k1, b1)), k2, b2)), rtol=1e-5, atol=1e-6)


def test_nested_keras3_weights_are_found_in_each_models_group(tmp_path: Path) -> None:
    config, arrays = two_blocks()
    k1, b1, k2, b2 = arrays
    # Swapped keys inside 'a': only the name attribute, looked up in a's own group, finds 'd'.
    weights = weights_h5({"sequential/layers/dense_1": ("d", [k1, b1]), "sequential/layers/dense": ("other", []),
                          "sequential_1/layers/sequential/layers/dense": ("d", [k2, b2])})
    check_two_blocks(load_network(keras_file(tmp_path / "n.keras", config, weights)), arrays)


def test_nested_keras3_weights_without_name_attributes(tmp_path: Path) -> None:
    """Older Keras 3: the groups are found by class and count, level by level."""
    config, arrays = two_blocks()
    k1, b1, k2, b2 = arrays
    weights = weights_h5({"sequential/layers/dense": (None, [k1, b1]),
                          "sequential_1/layers/sequential/layers/dense": (None, [k2, b2])})
    check_two_blocks(load_network(keras_file(tmp_path / "n.keras", config, weights)), arrays)


def test_nested_legacy_h5_weights_are_picked_by_their_path(tmp_path: Path) -> None:
    """Keras 3's .h5: a nested model's group lists all its layers' weights, named by path."""
    config, arrays = two_blocks()
    k1, b1, k2, b2 = arrays
    path = legacy_file(tmp_path / "n.h5", config, {
        "a": [("top/a/d/kernel", k1), ("top/a/d/bias", b1)],
        "b": [("top/b/c/d/kernel", k2), ("top/b/c/d/bias", b2)],
    })
    check_two_blocks(load_network(path), arrays)


def test_nested_legacy_h5_weights_named_by_the_layer_alone(tmp_path: Path) -> None:
    """Keras 2 names a nested layer's weights 'd/kernel:0', without the models around it."""
    config, arrays = two_blocks()
    k1, b1, k2, b2 = arrays
    path = legacy_file(tmp_path / "n.h5", config, {
        "a": [("d/kernel:0", k1), ("d/bias:0", b1)],
        "b": [("d/kernel:0", k2), ("d/bias:0", b2)],
    })
    check_two_blocks(load_network(path), arrays)


def test_nested_legacy_h5_with_two_layers_of_one_name_is_refused(tmp_path: Path) -> None:
    k = f32(2, 2)
    config = sequential("top", [sequential("m", [sequential("p", [dense_layer("d", 2)]),
                                                 sequential("q", [dense_layer("d", 2)])])])
    path = legacy_file(tmp_path / "n.h5", config, {"m": [("p_d/kernel:0", k), ("d/kernel:0", k), ("d/bias:0", k[0]),
                                                         ("x/d/kernel:0", k), ("x/d/bias:0", k[0])]})
    with pytest.raises(NetworkFileError) as err:
        load_network(path)
    assert err.value.place == "layer 'm/p/d' (Dense)"
    assert "lists weights of more than one layer named 'd'" in str(err.value)


def test_nested_functional_chain_in_a_functional_model(tmp_path: Path) -> None:
    k1, b1, k2, b2 = f32(4, 3), f32(3), f32(3, 2), f32(2)
    inner_layers = [input_layer("i", [4]), dense_layer("h", 3, "sigmoid")]
    inner = functional("inner", inner_layers, chain(inner_layers))
    outer_layers = [input_layer("x", [4]), inner, dense_layer("out", 2)]
    config = functional("outer", outer_layers, chain(outer_layers))
    weights = weights_h5({"functional/layers/dense": ("h", [k1, b1]), "dense": ("out", [k2, b2])})
    net = load_network(keras_file(tmp_path / "f.keras", config, weights))
    assert [(l.name, l.activation) for l in net.layers] == [("inner/h", "sigmoid"), ("out", "linear")]
    x = np.random.default_rng(4).normal(size=(5, 4))
    np.testing.assert_allclose(forward(net, x), dense(act("sigmoid", dense(x, k1, b1)), k2, b2), rtol=1e-5, atol=1e-6)


def refused(tmp_path: Path, config: dict[str, Any], groups: dict[str, Any] | None = None) -> NetworkFileError:
    with pytest.raises(NetworkFileError) as err:
        read_keras_network(keras_file(tmp_path / "bad.keras", config, weights_h5(groups or {})))
    assert "\n" not in str(err.value)
    return err.value


def test_a_conv_layer_hidden_in_a_nested_model_is_refused_by_name(tmp_path: Path) -> None:
    hidden = sequential("features", [input_layer("img", [8, 8, 1]), layer("Conv2D", "conv", filters=4, kernel_size=[3, 3])])
    err = refused(tmp_path, sequential("m", [sequential("backbone", [hidden]), dense_layer("d", 2)]))
    assert err.place == "layer 'backbone/features/conv' (Conv2D)"
    assert "is not supported; supported layers: InputLayer, Dense" in str(err)


def test_a_branching_nested_model_is_refused_by_name(tmp_path: Path) -> None:
    inner_layers = [input_layer("i", [2]), dense_layer("a", 2), dense_layer("b", 2), layer("Add", "add")]
    inner = functional("block", inner_layers, [[], ["i"], ["i"], ["a", "b"]])
    err = refused(tmp_path, sequential("m", [input_layer("x", [2]), inner]))
    assert err.place == "layer 'block/add' (Add)" and "branching graph" in str(err)


def test_a_nested_model_with_two_inputs_is_refused(tmp_path: Path) -> None:
    inner_layers = [input_layer("p", [2]), input_layer("q", [2]), layer("Concatenate", "cat")]
    inner = functional("pair", inner_layers, [[], [], ["p", "q"]], inputs=[["p", 0, 0], ["q", 0, 0]])
    err = refused(tmp_path, sequential("m", [inner]))
    assert err.place == "layer 'pair' (Functional)"
    assert "the model has 2 inputs and 1 outputs; only one of each is supported" in str(err)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_a_recurrent_layer_in_a_nested_model_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    err = refused(tmp_path, sequential("m", [input_layer("x", [5, 3]), sequential("rnn", [layer(kind, "cell", units=4)])]))
    assert err.place == f"layer 'rnn/cell' ({kind})" and "is not supported" in str(err)


def test_models_nested_without_end_are_refused(tmp_path: Path) -> None:
    config: dict[str, Any] = dense_layer("d", 2)
    for i in range(40):
        config = sequential(f"m{i}", [config])
    err = refused(tmp_path, config)
    assert "nested more than 16 deep" in str(err)
