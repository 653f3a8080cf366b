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
from neurodebug.engine.norms import BatchNorm, NormAt, Normalization, Rescaling
from neurodebug.engine.plan import GRANULARITIES, NORM, NORMALIZE, PER_LAYER, Plan
from neurodebug.engine.trace import forward, trace_of
from neurodebug.io import NetworkFileError, load_network, write_json_network
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
@pytest.mark.parametrize("name", ["tf_keras_sequential", "tf_keras_functional", "tf_keras_nested",
                                  "tf_keras_batch_norm", "tf_keras_rescaling"])
@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_files_saved_by_tf_keras_give_its_outputs(name: str, suffix: str) -> None:
    """make_tf_keras_fixtures.py: relu, hard_sigmoid, elu, LeakyReLU, selu, softplus, softmax; tanh,
    ReLU(max_value=6), swish, gelu, sigmoid; a Sequential and a functional chain nested; BatchNormalization
    at the input, before and after an activation; Rescaling(1/255, offset=-0.5)."""
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


def test_nested_keras3_models_are_found_by_their_name_attribute(tmp_path: Path) -> None:
    """A nested model's group is found by the name in its vars, whatever its key (a subclass's snake case)."""
    config, arrays = two_blocks()
    k1, b1, k2, b2 = arrays
    weights = weights_h5({"my_block": ("a", []), "my_block/layers/dense": ("d", [k1, b1]),
                          "other": ("b", []), "other/layers/inner": ("c", []),
                          "other/layers/inner/layers/dense": ("d", [k2, b2])})
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


# -- BatchNormalization and Rescaling: steps of their own ---------------------------------------
NORMS = {  # fixture: (the input's norm, each layer's (norm kind, its Keras name, where))
    "keras_bn_before_activation": (None, [("batchnorm", "bn", "z"), None]),
    "keras_bn_after_activation": (None, [("batchnorm", "bn", "a"), None]),
    "keras_bn_at_input": (("batchnorm", "bn_in"), [None, None]),
    "keras_bn_center_scale": (None, [("batchnorm", "bn_no_beta", "z"), ("batchnorm", "bn_no_gamma", "z"),
                                     ("batchnorm", "bn_bare", "a"), None]),
    "keras_rescaling_at_input": (("rescaling", "to_unit"), [None, None]),
    "keras_rescaling_between": (None, [("rescaling", "centre", "a"), ("rescaling", "per_unit", "z"), None]),
    "keras_bn_nested": (None, [("batchnorm", "block/bn", "z"), None]),
    "tf_keras_batch_norm": (("batchnorm", "bn_in"), [("batchnorm", "bn_z", "z"), ("batchnorm", "bn_a", "a"), None]),
    "tf_keras_rescaling": (("rescaling", "to_unit"), [None]),
}


@pytest.mark.parametrize("name", list(NORMS))
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_norms_saved_by_keras_are_steps_of_their_own(name: str, suffix: str) -> None:
    """Keras 3 and tf-keras files with trained-looking moving statistics: Keras's outputs, each norm where
    Keras applies it, each a step of its own."""
    net = matches_keras(FIXTURES / f"{name}{suffix}")
    at_input, per_layer = NORMS[name]
    got_input = None if net.normalization is None else (net.normalization.kind, net.normalization.name)
    assert got_input == at_input
    assert [None if l.norm is None else (l.norm.kind, l.norm.name, str(l.norm_at)) for l in net.layers] == per_layer
    plan = Plan(net, PER_LAYER)
    norm_steps = [s.layer for s in plan if s.kind == NORM]
    assert norm_steps == [l for l, want in enumerate(per_layer) if want is not None]
    assert (plan[0].kind == NORMALIZE) == (at_input is not None)


def test_batch_norm_parameters_are_keras_s_own() -> None:
    """center=False: β = 0; scale=False: γ = 1; the moving statistics and ε as stored."""
    net = load_network(FIXTURES / "keras_bn_center_scale.keras")
    no_beta, no_gamma, bare = (l.norm for l in net.layers[:3])
    assert isinstance(no_beta, BatchNorm) and isinstance(no_gamma, BatchNorm) and isinstance(bare, BatchNorm)
    assert (no_beta.beta == 0).all() and (no_beta.gamma != 1).any()
    assert (no_gamma.gamma == 1).all() and (no_gamma.beta != 0).any()
    assert (bare.gamma == 1).all() and (bare.beta == 0).all() and (bare.var != 1).any()
    assert no_beta.eps == pytest.approx(1e-3)
    after = load_network(FIXTURES / "keras_bn_after_activation.h5").layers[0].norm
    assert isinstance(after, BatchNorm) and after.eps == pytest.approx(0.01)


def test_rescaling_at_input_is_one_over_255() -> None:
    net = load_network(FIXTURES / "keras_rescaling_at_input.keras")
    norm = net.normalization
    assert isinstance(norm, Rescaling) and norm.size == 6
    np.testing.assert_array_equal(norm.scale, np.full(6, 1 / 255, np.float32))
    np.testing.assert_array_equal(norm.offset, np.zeros(6, np.float32))


def bn_layer(name: str, **config: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {"axis": -1, "momentum": 0.99, "epsilon": 1e-3, "center": True, "scale": True}
    return layer("BatchNormalization", name, **{**settings, **config})


def bn_ref(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray,
           eps: float) -> np.ndarray:
    return (x - mean) / np.sqrt(var.astype(np.float64) + eps) * gamma + beta


def stats(n: int) -> list[np.ndarray]:
    """gamma, beta, moving_mean, moving_variance."""
    return [f32(n) + 1.5, f32(n), f32(n), np.abs(f32(n)) + 0.2]


def test_batch_norm_before_flatten_is_spread_per_channel(tmp_path: Path) -> None:
    """At the input of a 2×3 grid, one statistic per channel (the last axis) serves both rows."""
    g, bt, m, v = stats(3)
    k, b = f32(6, 2), f32(2)
    layers = [input_layer("in", [2, 3]), bn_layer("bn"), layer("Flatten", "f", data_format="channels_last"),
              dense_layer("out", 2, "tanh")]
    net = load_network(keras_file(tmp_path / "g.keras", sequential("s", layers),
                                  weights_h5({"batch_normalization": ("bn", [g, bt, m, v]), "dense": ("out", [k, b])})))
    assert isinstance(net.normalization, BatchNorm) and net.normalization.size == 6
    x = RNG.normal(size=(5, 2, 3))
    want = act("tanh", dense(bn_ref(x, g, bt, m, v, 1e-3).reshape(5, 6), k, b))
    np.testing.assert_allclose(forward(net, x.reshape(5, 6)), want, rtol=1e-5, atol=1e-6)
    steps_through(net, x.reshape(5, 6))


def test_rescaling_per_channel_and_a_linear_dense_before_an_activation(tmp_path: Path) -> None:
    """Rescaling with a scale per channel at the input; Dense → Rescaling → ReLU: the rescaling sits at z."""
    k1, b1, k2, b2 = f32(4, 3), f32(3), f32(3, 2), f32(2)
    layers = [input_layer("in", [4]), layer("Rescaling", "r_in", scale=[1.0, 0.5, 2.0, -1.0], offset=0.25),
              dense_layer("d1", 3), layer("Rescaling", "r_mid", scale=3.0, offset=[0.0, -1.0, 1.0]),
              layer("ReLU", "relu", max_value=None, negative_slope=0.0, threshold=0.0), dense_layer("d2", 2)]
    net = load_network(keras_file(tmp_path / "r.keras", sequential("s", layers),
                                  weights_h5({"dense": ("d1", [k1, b1]), "dense_1": ("d2", [k2, b2])})))
    assert (net.layers[0].activation, net.layers[0].norm_at) == ("relu", NormAt.Z)
    x = RNG.normal(size=(5, 4))
    h = x * np.array([1.0, 0.5, 2.0, -1.0]) + 0.25
    h = act("relu", dense(h, k1, b1) * 3.0 + np.array([0.0, -1.0, 1.0]))
    np.testing.assert_allclose(forward(net, x), dense(h, k2, b2), rtol=1e-5, atol=1e-6)
    steps_through(net, x)


def test_batch_norm_in_a_keras_2_h5(tmp_path: Path) -> None:
    """Keras 2 writes axis as a list ([1]) and names the weights 'bn/gamma:0', …"""
    g, bt, m, v = stats(3)
    k1, b1, k2, b2 = f32(2, 3), f32(3), f32(3, 1), f32(1)
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "name": "input_1"}},
        {"class_name": "Dense", "config": dense_layer("d", 3)["config"]},
        {"class_name": "BatchNormalization", "config": bn_layer("bn", axis=[1])["config"]},
        {"class_name": "Activation", "config": {"name": "a", "activation": "sigmoid"}},
        {"class_name": "Dense", "config": dense_layer("out", 1)["config"]}]}}
    path = legacy_file(tmp_path / "k2.h5", config, {
        "d": [("d/kernel:0", k1), ("d/bias:0", b1)],
        "bn": [("bn/gamma:0", g), ("bn/beta:0", bt), ("bn/moving_mean:0", m), ("bn/moving_variance:0", v)],
        "a": [], "out": [("out/kernel:0", k2), ("out/bias:0", b2)]}, as_bytes=True)
    net = load_network(path)
    x = RNG.normal(size=(4, 2))
    want = dense(act("sigmoid", bn_ref(dense(x, k1, b1), g, bt, m, v, 1e-3)), k2, b2)
    np.testing.assert_allclose(forward(net, x), want, rtol=1e-5, atol=1e-6)


def norm_refused(tmp_path: Path, layers: list[dict[str, Any]], groups: dict[str, Any]) -> NetworkFileError:
    return refused(tmp_path, sequential("m", layers), groups)


def test_two_norms_on_one_layer_are_refused(tmp_path: Path) -> None:
    layers = [input_layer("in", [2]), dense_layer("d", 2, "relu"), bn_layer("bn"), layer("Rescaling", "r", scale=2.0, offset=0.0)]
    err = norm_refused(tmp_path, layers, {"dense": ("d", [f32(2, 2), f32(2)]), "batch_normalization": ("bn", stats(2))})
    assert err.place == "layer 'r' (Rescaling)"
    assert "'d' already has the norm of layer 'bn' (BatchNormalization); a layer holds one norm" in str(err)


def test_normalization_and_batch_norm_at_the_input_are_refused(tmp_path: Path) -> None:
    layers = [input_layer("in", [2]), layer("Normalization", "n", axis=[-1], invert=False, mean=[0.0, 1.0], variance=[1.0, 4.0]),
              bn_layer("bn"), dense_layer("d", 2)]
    err = norm_refused(tmp_path, layers, {"batch_normalization": ("bn", stats(2)), "dense": ("d", [f32(2, 2), f32(2)])})
    assert err.place == "layer 'bn' (BatchNormalization)"
    assert "the input is already normalised by layer 'n' (Normalization); a second norm at the input is not supported" in str(err)


def test_rescaling_then_batch_norm_at_the_input_are_refused(tmp_path: Path) -> None:
    layers = [input_layer("in", [2]), layer("Rescaling", "r", scale=0.5, offset=0.0), bn_layer("bn"), dense_layer("d", 2)]
    err = norm_refused(tmp_path, layers, {"batch_normalization": ("bn", stats(2)), "dense": ("d", [f32(2, 2), f32(2)])})
    assert err.place == "layer 'bn' (BatchNormalization)" and "already normalised by layer 'r' (Rescaling)" in str(err)


def test_an_activation_after_a_norm_after_an_activation_is_refused(tmp_path: Path) -> None:
    layers = [input_layer("in", [2]), dense_layer("d", 2, "relu"), bn_layer("bn"), layer("Activation", "t", activation="tanh")]
    err = norm_refused(tmp_path, layers, {"dense": ("d", [f32(2, 2), f32(2)]), "batch_normalization": ("bn", stats(2))})
    assert err.place == "layer 't' (Activation)" and "already applies relu and then its batch norm" in str(err)


@pytest.mark.parametrize("config, arrays, words", [
    ({"renorm": True}, 4, "BatchNormalization with renorm=True is not supported"),
    ({"center": False}, 4, "has 4 stored arrays, expected 3 (gamma, moving_mean, moving_variance, as center=False and scale=True say)"),
    ({"epsilon": -1.0}, 4, "epsilon is -1.0, expected a number ≥ 0"),
    ({"center": "no"}, 4, "center is 'no', expected true or false"),
    ({"axis": 0}, 4, "normalising over the batch axis is not supported"),
], ids=["renorm", "count", "epsilon", "flag", "batch-axis"])
def test_batch_norm_that_cannot_be_read_is_refused(tmp_path: Path, config: dict[str, Any], arrays: int, words: str) -> None:
    layers = [input_layer("in", [2]), dense_layer("d", 2), bn_layer("bn", **config)]
    err = norm_refused(tmp_path, layers, {"dense": ("d", [f32(2, 2), f32(2)]), "batch_normalization": ("bn", stats(2)[:arrays])})
    assert err.place == "layer 'bn' (BatchNormalization)" and words in str(err)


def test_batch_norm_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    layers = [input_layer("in", [2]), dense_layer("d", 2), bn_layer("bn")]
    err = norm_refused(tmp_path, layers, {"dense": ("d", [f32(2, 2), f32(2)]), "batch_normalization": ("bn", stats(3))})
    assert err.place == "layer 'bn' (BatchNormalization)"
    assert "has 3 values per parameter, which do not fit its input's shape (2,)" in str(err)


def test_negative_moving_variance_is_refused(tmp_path: Path) -> None:
    g, bt, m, v = stats(2)
    v[1] = -0.5
    layers = [input_layer("in", [2]), dense_layer("d", 2), bn_layer("bn")]
    err = norm_refused(tmp_path, layers, {"dense": ("d", [f32(2, 2), f32(2)]), "batch_normalization": ("bn", [g, bt, m, v])})
    assert err.place == "layer 'bn' (BatchNormalization) moving_variance[1]" and "is -0.5, expected ≥ 0" in str(err)


@pytest.mark.parametrize("config, words", [
    ({"scale": "x", "offset": 0.0}, "scale is 'x', expected a number or a list of numbers"),
    ({"scale": [1.0, 2.0], "offset": [0.0, 1.0, 2.0]}, "has 2 scales but 3 offsets"),
    ({"scale": [1.0, 2.0, 3.0], "offset": 0.0}, "has 3 values per parameter, which do not fit its input's shape (2,)"),
], ids=["text", "lengths", "size"])
def test_rescaling_that_cannot_be_read_is_refused(tmp_path: Path, config: dict[str, Any], words: str) -> None:
    layers = [input_layer("in", [2]), layer("Rescaling", "r", **config), dense_layer("d", 2)]
    err = norm_refused(tmp_path, layers, {"dense": ("d", [f32(2, 2), f32(2)])})
    assert err.place == "layer 'r' (Rescaling)" and words in str(err)


def test_input_normalization_keeps_its_name(tmp_path: Path) -> None:
    layers = [input_layer("in", [2]), layer("Normalization", "scale_in", axis=[-1], invert=False, mean=[0.0, 1.0],
                                             variance=[1.0, 4.0]), dense_layer("d", 2)]
    net = load_network(keras_file(tmp_path / "n.keras", sequential("s", layers), weights_h5({"dense": ("d", [f32(2, 2), f32(2)])})))
    assert isinstance(net.normalization, Normalization) and net.normalization.name == "scale_in"


def test_norm_names_reach_the_screen_printable(tmp_path: Path) -> None:
    layers = [input_layer("in", [2]), layer("Rescaling", "r\x1b[31m", scale=0.5, offset=0.0), dense_layer("d", 2),
              bn_layer("bn\n2")]
    net = load_network(keras_file(tmp_path / "p.keras", sequential("s", layers),
                                  weights_h5({"dense": ("d", [f32(2, 2), f32(2)]), "batch_normalization": ("bn\n2", stats(2))})))
    assert net.normalization is not None and net.layers[0].norm is not None
    for name in (net.normalization.name, net.layers[0].norm.name):
        assert name.isprintable(), name


@pytest.mark.parametrize("name", ["keras_bn_before_activation.keras", "keras_bn_at_input.h5", "keras_bn_center_scale.keras",
                                  "keras_rescaling_between.h5", "tf_keras_batch_norm.keras"])
def test_keras_norms_survive_conversion_to_json(tmp_path: Path, name: str) -> None:
    """`neurodebug convert`: the norms, where they sit and their names, and so the outputs, unchanged."""
    net = load_network(FIXTURES / name)
    back = load_network(write_json_network(net, tmp_path / "net.json"))
    describe = [(l.name, l.activation, None if l.norm is None else (l.norm.kind, l.norm.name, str(l.norm_at)))
                for l in net.layers]
    assert [(l.name, l.activation, None if l.norm is None else (l.norm.kind, l.norm.name, str(l.norm_at)))
            for l in back.layers] == describe
    x = np.array(json.loads((FIXTURES / f"{Path(name).stem}.expected.json").read_text())["x"], dtype=np.float32)
    np.testing.assert_array_equal(forward(back, x), forward(net, x))
