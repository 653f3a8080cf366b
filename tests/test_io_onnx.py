"""ONNX graphs built with onnx.helper, including PyTorch's Gemm(transB=1), checked against NumPy."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from neurodebug.io import MissingExtraError, NetworkFileError, load_network
from neurodebug.io.onnx_format import read_onnx_network
from neurodebug.engine import Session
from neurodebug.engine.samples import Sample, Samples
from neurodebug.engine.trace import forward, trace_of

from activation_references import ref_activation

RNG = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def _fresh_rng() -> None:
    """Every test draws the same numbers, whatever ran before it in this worker."""
    global RNG
    RNG = np.random.default_rng(5)
FIXTURES = Path(__file__).parent / "fixtures"


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def close(got: np.ndarray, want: np.ndarray) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12)


def f32(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape).astype(np.float32)


def node(op: str, inputs: list[str], output: str, name: str = "", **attrs: Any) -> onnx.NodeProto:
    return helper.make_node(op, inputs, [output], name=name or f"/{output}/{op}", **attrs)


def save(path: Path, nodes: list[onnx.NodeProto], weights: dict[str, np.ndarray], x_shape: list[Any],
         out: str = "y", opset: int = 17, inputs: list[onnx.ValueInfoProto] | None = None,
         elem: int = TensorProto.FLOAT) -> Path:
    graph = helper.make_graph(
        nodes, "main_graph",
        inputs or [helper.make_tensor_value_info("x", elem, x_shape)],
        [helper.make_tensor_value_info(out, elem, None)],
        initializer=[numpy_helper.from_array(v, name) for name, v in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="pytorch", producer_version="2.13.0")
    onnx.save(model, path)
    return path


def torch_mlp(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """nn.Sequential(Linear(3, 4), ReLU(), Linear(4, 2), Sigmoid()) as torch.onnx.export writes it."""
    w = {"0.weight": f32(4, 3), "0.bias": f32(4), "2.weight": f32(2, 4), "2.bias": f32(2)}
    nodes = [
        node("Gemm", ["x", "0.weight", "0.bias"], "g0", "/0/Gemm", alpha=1.0, beta=1.0, transB=1),
        node("Relu", ["g0"], "r1", "/1/Relu"),
        node("Gemm", ["r1", "2.weight", "2.bias"], "g2", "/2/Gemm", alpha=1.0, beta=1.0, transB=1),
        node("Sigmoid", ["g2"], "y", "/3/Sigmoid"),
    ]
    return save(tmp_path / "mlp.onnx", nodes, w, ["batch", 3]), w


# -- what is read ------------------------------------------------------------------------------
def test_pytorch_linear_layers(tmp_path: Path) -> None:
    path, w = torch_mlp(tmp_path)
    net = load_network(path)
    assert [(l.name, l.activation) for l in net.layers] == [("0", "relu"), ("2", "sigmoid")]
    assert net.name == "mlp" and net.description == "ONNX model from pytorch 2.13.0"
    assert net.layers[0].W.dtype == np.float32
    assert net.layers[0].W.tobytes() == w["0.weight"].T.tobytes()
    x = RNG.normal(size=(5, 3))
    h = np.maximum(x @ w["0.weight"].T.astype(float) + w["0.bias"], 0)
    close(forward(net, x), sigmoid(h @ w["2.weight"].T.astype(float) + w["2.bias"]))


def test_gemm_alpha_beta_and_data_as_b(tmp_path: Path) -> None:
    """Y1 = 0.5·W1·xᵀ + 2·c1 (samples as columns), then Y2 = Y1ᵀ·W2 + c2 via transA."""
    w = {"W1": np.round(RNG.normal(size=(4, 3)), 3), "c1": np.round(RNG.normal(size=(4, 1)), 3),
         "W2": RNG.normal(size=(4, 2)), "c2": RNG.normal(size=(1, 2))}
    nodes = [
        node("Gemm", ["W1", "x", "c1"], "y1", "fc1", alpha=0.5, beta=2.0, transB=1),
        node("Tanh", ["y1"], "t1", "tanh1"),
        node("Gemm", ["t1", "W2", "c2"], "y", "fc2", transA=1),
    ]
    net = load_network(save(tmp_path / "gemm.onnx", nodes, w, ["N", 3], elem=TensorProto.DOUBLE))
    assert [l.name for l in net.layers] == ["fc1", "fc2"]
    x = RNG.normal(size=(6, 3))
    y1 = 0.5 * (w["W1"] @ x.T) + 2.0 * w["c1"]
    want = np.tanh(y1).T @ w["W2"] + w["c2"]
    np.testing.assert_allclose(forward(net, x), want, rtol=1e-12)


def test_matmul_then_add_in_either_order(tmp_path: Path) -> None:
    w = {"W1": f32(3, 4), "b1": f32(4), "W2": f32(4, 2), "b2": f32(2), "W3": f32(2, 2)}
    nodes = [
        node("MatMul", ["x", "W1"], "m1"), node("Add", ["m1", "b1"], "a1"), node("LeakyRelu", ["a1"], "l1", alpha=0.2),
        node("MatMul", ["l1", "W2"], "m2"), node("Add", ["b2", "m2"], "a2"), node("Identity", ["a2"], "i2"),
        node("Softmax", ["i2"], "s2", axis=-1),
        node("MatMul", ["s2", "W3"], "y"),
    ]
    net = load_network(save(tmp_path / "mm.onnx", nodes, w, [None, 3]))
    assert [l.activation for l in net.layers] == ["leaky_relu", "softmax", "linear"]
    assert net.layers[0].alpha == pytest.approx(0.2)
    x = RNG.normal(size=(4, 3))
    z1 = x @ w["W1"].astype(float) + w["b1"]
    h = softmax(np.where(z1 > 0, z1, np.float32(0.2) * z1) @ w["W2"].astype(float) + w["b2"])
    close(forward(net, x), h @ w["W3"].astype(float))


def test_flatten_at_the_input(tmp_path: Path) -> None:
    w = {"0.weight": f32(2, 6), "0.bias": f32(2)}
    nodes = [node("Flatten", ["x"], "f", axis=1), node("Dropout", ["f"], "d"),
             node("Gemm", ["d", "0.weight", "0.bias"], "y", "/1/Gemm", transB=1)]
    net = load_network(save(tmp_path / "flat.onnx", nodes, w, ["N", 2, 3]))
    assert net.n_inputs == 6
    x = RNG.normal(size=(3, 2, 3)).reshape(3, 6)
    close(forward(net, x), x @ w["0.weight"].T.astype(float) + w["0.bias"])


@pytest.mark.parametrize("as_constant_node", [False, True])
def test_reshape_at_the_input(tmp_path: Path, as_constant_node: bool) -> None:
    w = {"W": f32(6, 2)}
    shape = np.array([-1, 6], dtype=np.int64)
    nodes = [node("Reshape", ["x", "shape"], "r"), node("MatMul", ["r", "W"], "y")]
    if as_constant_node:
        nodes.insert(0, helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(shape)))
    else:
        w["shape"] = shape
    net = load_network(save(tmp_path / "reshape.onnx", nodes, w, ["N", 3, 2]))
    x = RNG.normal(size=(2, 6))
    close(forward(net, x), x @ w["W"].astype(float))


ONNX_ACTIVATIONS = [  # op, attributes, constant inputs, opset, engine activation, its parameters
    ("Elu", {}, {}, 17, "elu", {"alpha": 1.0}),
    ("Elu", {"alpha": 0.5}, {}, 17, "elu", {"alpha": 0.5}),
    ("Celu", {}, {}, 17, "elu", {"alpha": 1.0}),  # PyTorch's nn.CELU(): α = 1, an ELU
    ("PRelu", {}, {"slope": 0.25}, 17, "leaky_relu", {"alpha": 0.25}),  # nn.PReLU(): one learned slope
    ("Selu", {}, {}, 17, "selu", {}),
    ("Softplus", {}, {}, 17, "softplus", {}),
    ("Softsign", {}, {}, 17, "softsign", {}),
    ("HardSigmoid", {}, {}, 17, "hard_sigmoid", {"alpha": 0.2, "beta": 0.5}),
    ("HardSigmoid", {"alpha": 1 / 6}, {}, 17, "hard_sigmoid", {"alpha": float(np.float32(1 / 6)), "beta": 0.5}),
    ("HardSwish", {}, {}, 17, "hard_silu", {}),
    ("Mish", {}, {}, 18, "mish", {}),
    ("Gelu", {}, {}, 20, "gelu", {}),
    ("Gelu", {"approximate": "tanh"}, {}, 20, "gelu_tanh", {}),
    ("Exp", {}, {}, 17, "exponential", {}),
    ("LogSoftmax", {}, {}, 17, "log_softmax", {}),
    ("LogSoftmax", {}, {}, 11, "log_softmax", {}),
    ("Clip", {}, {"min": 0.0, "max": 6.0}, 17, "relu6", {}),
    ("Clip", {}, {"min": 0.0}, 17, "relu", {}),
    ("Clip", {}, {"min": -1.5, "max": 2.0}, 17, "clip", {"min": -1.5, "max": 2.0}),
    ("Clip", {"min": -1.0, "max": 1.0}, {}, 6, "clip", {"min": -1.0, "max": 1.0}),
]


@pytest.mark.parametrize("op, attrs, bounds, opset, name, params", ONNX_ACTIVATIONS,
                         ids=[f"{c[0]}-{c[3]}-{c[4]}" + ("-" + ",".join(map(str, c[1].values())) if c[1] else "")
                              for c in ONNX_ACTIVATIONS])
def test_activation_nodes(tmp_path: Path, op: str, attrs: dict[str, Any], bounds: dict[str, float], opset: int,
                          name: str, params: dict[str, float]) -> None:
    weights: dict[str, np.ndarray] = {"W": f32(2, 3) * 3}
    inputs = ["m"]
    for key, value in bounds.items():
        weights[f"act.{key}"] = np.array(value, dtype=np.float32)
        inputs.append(f"act.{key}")
    if op == "Clip" and list(bounds) == ["min"]:
        inputs.append("")  # no max: an optional input left out
    nodes = [node("MatMul", ["x", "W"], "m"), node(op, inputs, "y", f"/1/{op}", **attrs)]
    net = load_network(save(tmp_path / "act.onnx", nodes, weights, ["N", 2], opset=opset))
    assert [(l.activation, l.params) for l in net.layers] == [(name, params)]
    x = RNG.normal(size=(5, 2))
    # a float32 layer: z carries float32's rounding, which a steep g shows at 1e−6 relative
    np.testing.assert_allclose(forward(net, x), ref_activation(name, x @ weights["W"].astype(float), params),
                               rtol=1e-5, atol=1e-6)


def test_softmax_with_opset_11_default_axis(tmp_path: Path) -> None:
    w = {"W": f32(2, 3)}
    nodes = [node("MatMul", ["x", "W"], "m"), node("Softmax", ["m"], "y")]
    net = load_network(save(tmp_path / "old.onnx", nodes, w, ["N", 2], opset=11))
    x = RNG.normal(size=(2, 2))
    close(forward(net, x), softmax(x @ w["W"].astype(float)))


# -- what is refused -----------------------------------------------------------------------------
def refused(tmp_path: Path, nodes: list[onnx.NodeProto], weights: dict[str, np.ndarray], x_shape: list[Any] | None = None,
            **kwargs: Any) -> NetworkFileError:
    path = save(tmp_path / "bad.onnx", nodes, weights, x_shape or ["N", 2], **kwargs)
    with pytest.raises(NetworkFileError) as err:
        read_onnx_network(path)
    return err.value


def test_convolution_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [node("Conv", ["x", "k"], "y", "/0/Conv")], {"k": f32(1, 1, 3, 3)}, ["N", 1, 8, 8])
    assert err.place == "node '/0/Conv' (Conv)"
    assert "op Conv is not supported; supported: Gemm, MatMul" in str(err)


def test_unknown_op_is_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "m"), node("ThresholdedRelu", ["m"], "y", "/1/ThresholdedRelu")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2)})
    assert err.place == "node '/1/ThresholdedRelu' (ThresholdedRelu)" and "op ThresholdedRelu is not supported" in str(err)


@pytest.mark.parametrize("op, attrs, bounds, opset, words", [
    ("Clip", {}, {"min": -1.0}, 13, "Clip with min = -1, max = inf is not supported"),
    ("Clip", {}, {"min": np.nan, "max": 1.0}, 13, "a bound of Clip is NaN"),
    ("Clip", {}, {"min": 2.0, "max": 1.0}, 13, "clip needs min < max, got min = 2, max = 1"),
    ("Selu", {"alpha": 2.0}, {}, 17, "Selu with alpha = 2, gamma = 1.0507 is not supported"),
    ("Gelu", {"approximate": "erf"}, {}, 20, "Gelu with approximate = 'erf' is not supported"),
    ("HardSigmoid", {"alpha": -0.2}, {}, 17, "hard_sigmoid needs a slope alpha > 0, got -0.2"),
    ("Elu", {"alpha": float("inf")}, {}, 17, "alpha = inf is not a finite number"),
    ("LogSoftmax", {"axis": 0}, {}, 17, "LogSoftmax over axis 0 is not supported (only over the units)"),
    ("Celu", {"alpha": 2.0}, {}, 17, "Celu with alpha = 2 is not supported (only alpha = 1, an ELU)"),
    ("PRelu", {}, {"slope": [0.1, 0.2]}, 17, "PRelu with a slope per unit (2 slopes) is not supported"),
], ids=["clip-one-bound", "clip-nan", "clip-reversed", "selu", "gelu", "hard-sigmoid", "elu", "log-softmax", "celu",
        "prelu-per-unit"])
def test_activation_nodes_no_activation_computes_are_refused(tmp_path: Path, op: str, attrs: dict[str, Any],
                                                             bounds: dict[str, float], opset: int, words: str) -> None:
    weights: dict[str, np.ndarray] = {"W": f32(2, 2)}
    inputs = ["m"]
    for name, value in bounds.items():
        weights[f"act.{name}"] = np.array(value, dtype=np.float32)
        inputs.append(f"act.{name}")
    err = refused(tmp_path, [node("MatMul", ["x", "W"], "m"), node(op, inputs, "y", f"/1/{op}", **attrs)], weights,
                  opset=opset)
    assert err.place == f"node '/1/{op}' ({op})" and words in str(err)


def test_mish_as_pytorch_exports_it_is_one_activation(tmp_path: Path) -> None:
    """nn.Mish exports as x·tanh(softplus(x)): three nodes that use the layer's output twice, one activation."""
    w = {"W": f32(2, 2)}
    nodes = [node("MatMul", ["x", "W"], "m"), node("Softplus", ["m"], "s"), node("Tanh", ["s"], "t"),
             node("Mul", ["m", "t"], "y")]
    net = load_network(save(tmp_path / "mish.onnx", nodes, w, ["N", 2]))
    assert [l.activation for l in net.layers] == ["mish"]
    x = RNG.normal(size=(4, 2))
    z = x @ w["W"].astype(float)
    close(forward(net, x), z * np.tanh(np.logaddexp(0, z)))


def test_softsign_as_pytorch_exports_it_is_one_activation(tmp_path: Path) -> None:
    """nn.Softsign exports as x / (1 + |x|): Abs, Add, Div, the layer's output used twice."""
    w = {"W": f32(2, 2), "one": np.array(1.0, dtype=np.float32)}
    nodes = [node("MatMul", ["x", "W"], "m"), node("Abs", ["m"], "a"), node("Add", ["a", "one"], "d"),
             node("Div", ["m", "d"], "y")]
    net = load_network(save(tmp_path / "softsign.onnx", nodes, w, ["N", 2]))
    assert [l.activation for l in net.layers] == ["softsign"]
    x = RNG.normal(size=(4, 2))
    z = x @ w["W"].astype(float)
    close(forward(net, x), z / (1 + np.abs(z)))


def test_hardswish_before_opset_14_is_one_activation(tmp_path: Path) -> None:
    """nn.Hardswish exported at opset 11 or 13 (no HardSwish op yet): x · HardSigmoid(x) with α = 1/6."""
    w = {"W": f32(2, 2)}
    nodes = [node("MatMul", ["x", "W"], "m"), node("HardSigmoid", ["m"], "h", alpha=1 / 6),
             node("Mul", ["m", "h"], "y")]
    net = load_network(save(tmp_path / "hardswish.onnx", nodes, w, ["N", 2], opset=13))
    assert [l.activation for l in net.layers] == ["hard_silu"]
    x = RNG.normal(size=(4, 2)) * 4
    z = x @ w["W"].astype(float)
    close(forward(net, x), z * np.clip(z / 6 + 0.5, 0, 1))


@pytest.mark.parametrize("via", ["Identity", "Reshape"])
def test_a_prelu_slope_passed_on_by_identity_or_reshape_is_read(tmp_path: Path, via: str) -> None:
    """A tied slope reaches its second PRelu through an Identity (the TorchScript export), the
    unoptimised dynamo export reshapes each slope: both are the stored number."""
    w = {"W1": f32(2, 3), "W2": f32(3, 2), "s": np.array([0.2], dtype=np.float32), "shape": np.array([-1], np.int64)}
    step = node(via, ["s"] + (["shape"] if via == "Reshape" else []), "s2")
    nodes = [step, node("MatMul", ["x", "W1"], "m1"), node("PRelu", ["m1", "s2"], "h"),
             node("MatMul", ["h", "W2"], "m2"), node("PRelu", ["m2", "s2"], "y", "/4/PRelu")]
    net = load_network(save(tmp_path / "prelu.onnx", nodes, w, ["N", 2]))
    assert [(l.activation, l.params) for l in net.layers] == [("leaky_relu", {"alpha": float(np.float32(0.2))})] * 2


def test_a_recombination_that_is_no_activation_is_a_branching_graph(tmp_path: Path) -> None:
    """x·tanh(x) uses the layer's output twice but computes no engine activation."""
    nodes = [node("MatMul", ["x", "W"], "m"), node("Tanh", ["m"], "t"), node("Mul", ["m", "t"], "y")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2)})
    assert err.place == "tensor 'm'" and "a branching graph" in str(err) and "\n" not in str(err)


def test_two_dense_paths_are_a_branching_graph(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "m"), node("MatMul", ["m", "A"], "a"), node("MatMul", ["m", "B"], "b"),
             node("Add", ["a", "b"], "y")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2), "A": f32(2, 2), "B": f32(2, 2)})
    assert err.place == "tensor 'm'" and "a branching graph" in str(err) and "/a/MatMul" in str(err)


def test_tensor_feeding_two_nodes_is_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "a"), node("Relu", ["x"], "b"), node("Add", ["a", "b"], "y")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2)})
    assert err.place == "tensor 'x'" and "a branching graph" in str(err)


def test_node_with_two_computed_inputs_is_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "a"), node("Add", ["a", "x2"], "y")]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2]),
              helper.make_tensor_value_info("x2", TensorProto.FLOAT, ["N", 2])]
    err = refused(tmp_path, nodes, {"W": f32(2, 2)}, inputs=inputs)
    assert "2 inputs and 1 outputs" in str(err)


def test_add_of_two_branches_is_refused(tmp_path: Path) -> None:
    nodes = [node("Identity", ["x"], "i"), node("MatMul", ["i", "W"], "a"), node("Add", ["a", "i"], "y")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2)})
    assert "branching graph" in str(err)


def test_activation_at_the_input_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [node("Relu", ["x"], "r"), node("MatMul", ["r", "W"], "y")], {"W": f32(2, 2)})
    assert "before the first Gemm or MatMul" in str(err)


def test_two_activations_in_a_row_are_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "m"), node("Relu", ["m"], "r"), node("Sigmoid", ["r"], "y", "/2/Sigmoid")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2)})
    assert err.place == "node '/2/Sigmoid' (Sigmoid)" and "already applies relu" in str(err)


def test_add_after_an_activation_is_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "m"), node("Relu", ["m"], "r"), node("Add", ["r", "b"], "y")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2), "b": f32(2)})
    assert "only right after a Gemm or MatMul" in str(err)


def test_add_without_a_constant_is_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "m"), node("Add", ["m"], "y")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2)})
    assert "an Add needs the layer's output and one constant bias" in str(err)


def test_softmax_over_the_batch_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [node("MatMul", ["x", "W"], "m"), node("Softmax", ["m"], "y", axis=0)], {"W": f32(2, 2)})
    assert "Softmax over axis 0 is not supported" in str(err)


def test_flatten_of_the_batch_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [node("Flatten", ["x"], "f", axis=0), node("MatMul", ["f", "W"], "y")], {"W": f32(2, 2)})
    assert "axis=0" in str(err)


def test_reshape_to_three_dims_is_refused(tmp_path: Path) -> None:
    nodes = [node("Reshape", ["x", "s"], "r"), node("MatMul", ["r", "W"], "y")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2), "s": np.array([-1, 1, 2], dtype=np.int64)})
    assert "Reshape to [-1, 1, 2] is not supported" in str(err)


def test_grid_input_without_flatten_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [node("MatMul", ["x", "W"], "y")], {"W": f32(3, 2)}, ["N", 2, 3])
    assert "add a Flatten" in str(err)


def test_dead_node_is_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "y"), node("Relu", ["W"], "unused")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2)})
    assert "not on the path" in str(err)


def test_graph_without_a_layer_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [node("Identity", ["x"], "y")], {})
    assert "has no Gemm or MatMul" in str(err)


def test_bias_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, [node("Gemm", ["x", "W", "c"], "y", "fc")], {"W": f32(2, 3), "c": f32(2)})
    assert "the bias 'c' has shape (2,)" in str(err)


def test_weights_that_do_not_chain_are_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W1"], "m"), node("MatMul", ["m", "W2"], "y", "second")]
    err = refused(tmp_path, nodes, {"W1": f32(2, 3), "W2": f32(4, 1)})
    assert err.place == "node 'second' (MatMul)" and "take 4 inputs but the previous layer" in str(err)


# -- safety and broken files -----------------------------------------------------------------------
def with_external_weights(tmp_path: Path, location: str) -> Path:
    path, _ = torch_mlp(tmp_path)
    model = onnx.load(path)
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "48")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    onnx.save(model, path)
    return path


@pytest.mark.parametrize("location", ["../weights.bin", "/etc/passwd", "sub/../../weights.bin"])
def test_external_data_outside_the_folder_is_refused(tmp_path: Path, location: str) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (tmp_path / "weights.bin").write_bytes(b"\0" * 48)
    with pytest.raises(NetworkFileError, match="outside the model's folder; refusing it"):
        read_onnx_network(with_external_weights(models, location))


def test_external_data_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"\0" * 48)
    os.symlink(tmp_path / "secret.bin", models / "weights.bin")
    with pytest.raises(NetworkFileError, match="leads outside the model's folder"):
        read_onnx_network(with_external_weights(models, "weights.bin"))


def test_external_data_inside_the_folder_is_read(tmp_path: Path) -> None:
    _, w = torch_mlp(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "w.bin").write_bytes(w["0.weight"].tobytes())
    net = read_onnx_network(with_external_weights(tmp_path, "data/w.bin"))
    assert np.array_equal(net.layers[0].W, w["0.weight"].T)


def test_external_data_range_beyond_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"\0" * 10)
    with pytest.raises(NetworkFileError, match="does not fit"):
        read_onnx_network(with_external_weights(tmp_path, "w.bin"))


def test_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path, _ = torch_mlp(tmp_path)
    with pytest.raises(NetworkFileError, match="over the"):
        read_onnx_network(path, limit=64)


@pytest.mark.parametrize("data", [b"", b"\xff\xfe garbage \x00\x01", b"not a model at all"])
def test_garbage_is_a_file_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "junk.onnx"
    path.write_bytes(data)
    with pytest.raises(NetworkFileError):
        load_network(path)


def test_missing_onnx_gives_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = torch_mlp(tmp_path)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(MissingExtraError) as err:
        load_network(path)
    assert "pip install 'neurodebug[onnx]'" in str(err.value)


# -- a file exported by PyTorch itself -------------------------------------------------------------
def test_file_exported_by_pytorch_gives_pytorch_outputs() -> None:
    expected = json.loads((FIXTURES / "torch_mlp.onnx.expected.json").read_text())
    net = load_network(FIXTURES / "torch_mlp.onnx")
    assert [l.name for l in net.layers] == ["1", "3", "5", "7"]
    x = np.array(expected["x"], dtype=np.float32)
    got = forward(net, x.reshape(len(x), -1))
    np.testing.assert_allclose(got, np.array(expected["y"]), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, activations", [
    # ELU(0.7), Softplus, Hardsigmoid, SELU, Hardswish, ReLU6 and Hardtanh(−2, 3) (both Clip), LogSoftmax
    ("torch_activations.onnx", ["elu", "softplus", "hard_sigmoid", "selu", "hard_silu", "relu6", "clip", "log_softmax"]),
    # Gelu (both), Mish, Softsign, HardSigmoid and Clip with ONNX's defaults and initializer bounds, Exp, Selu
    ("onnx_activation_ops.onnx", ["gelu", "gelu_tanh", "mish", "softsign", "hard_sigmoid", "clip", "exponential",
                                  "selu"]),
])
def test_newer_activations_give_pytorch_outputs(name: str, activations: list[str]) -> None:
    """tests/fixtures/make_activation_fixtures.py made these; each layer is checked, not only the output."""
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    net = load_network(FIXTURES / name)
    assert [l.activation for l in net.layers] == activations
    x = np.array(expected["x"], dtype=np.float32)
    np.testing.assert_allclose(forward(net, x), np.array(expected["y"]), rtol=1e-5, atol=0)
    trace = trace_of(net, x)
    for values, want in zip(trace.values, expected["layers"]):
        want = np.array(want)
        np.testing.assert_allclose(values.a, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


PATTERNS = {  # made by tests/fixtures/make_onnx_pattern_fixtures.py: the activations neurodebug reads
    "gelu": ["gelu", "linear"], "gelu_tanh": ["gelu_tanh", "linear"], "silu": ["silu", "linear"],
    "mish": ["mish", "linear"], "shapes": ["relu", "linear"],
}


@pytest.mark.parametrize("opset", [11, 14, 17, 18])
@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_exported_patterns_give_pytorch_outputs_and_step(pattern: str, opset: int) -> None:
    """torch.onnx.export's several-node activations and no-ops, read as one activation or nothing."""
    name = f"{pattern}_opset{opset}.onnx"
    expected = json.loads((FIXTURES / "onnx_patterns" / f"{name}.expected.json").read_text())
    net = load_network(FIXTURES / "onnx_patterns" / name)
    assert [l.activation for l in net.layers] == PATTERNS[pattern]
    x = np.array(expected["x"], dtype=np.float32).reshape(len(expected["x"]), -1)
    want = np.array(expected["y"]).reshape(len(x), -1)
    np.testing.assert_allclose(forward(net, x), want, rtol=1e-5, atol=1e-6 * np.abs(want).max())
    trace = trace_of(net, x)
    for values, layer in zip(trace.values, expected["layers"]):
        layer = np.array(layer)
        np.testing.assert_allclose(values.a, layer, rtol=1e-5, atol=1e-6 * np.abs(layer).max())
    net.samples = Samples.of([Sample(f"x{i}", row) for i, row in enumerate(x)], net.n_inputs)
    session = Session(net)
    session.to_end()
    assert session.at_end and session.step is not None


@pytest.mark.parametrize("threshold", [False, True])
def test_softplus_written_out_is_one_activation(tmp_path: Path, threshold: bool) -> None:
    """log(1 + exp(z)), alone or with the threshold a decomposition keeps for large z (z where z > 20)."""
    w = {"W": f32(2, 3), "one": np.array(1.0, dtype=np.float32), "big": np.array(20.0, dtype=np.float32)}
    nodes = [node("MatMul", ["x", "W"], "m"), node("Exp", ["m"], "e"), node("Add", ["e", "one"], "p"),
             node("Log", ["p"], "s" if threshold else "y")]
    if threshold:
        nodes += [node("Greater", ["m", "big"], "g"), node("Where", ["g", "m", "s"], "y")]
    net = load_network(save(tmp_path / "softplus.onnx", nodes, w, ["N", 2]))
    assert [l.activation for l in net.layers] == ["softplus"]
    x = RNG.normal(size=(4, 2))
    close(forward(net, x), np.logaddexp(0, x @ w["W"].astype(float)))


def test_cast_to_an_integer_is_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "m"), node("Cast", ["m"], "y", to=TensorProto.INT32)]
    err = refused(tmp_path, nodes, {"W": f32(2, 2)})
    assert err.place == "node '/y/Cast' (Cast)" and "INT32" in str(err)


def test_unsqueeze_of_the_batch_is_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "m"), node("Unsqueeze", ["m", "axes"], "y")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2), "axes": np.array([0], dtype=np.int64)})
    assert err.place == "node '/y/Unsqueeze' (Unsqueeze)" and "batch axis" in str(err)


def test_a_layer_after_unsqueeze_is_refused(tmp_path: Path) -> None:
    nodes = [node("MatMul", ["x", "W"], "m"), node("Unsqueeze", ["m", "axes"], "u"), node("MatMul", ["u", "W"], "y")]
    err = refused(tmp_path, nodes, {"W": f32(2, 2), "axes": np.array([1], dtype=np.int64)})
    assert err.place == "node '/y/MatMul' (MatMul)" and "only reshapes to the output" in str(err)


def test_gemm_weight_through_transpose_and_squeeze_at_opset_11(tmp_path: Path) -> None:
    """Gemm(x, Transpose(W)) exported without constant folding; Unsqueeze/Squeeze with axes attributes."""
    w = {"fc.weight": RNG.normal(size=(3, 2)), "b": RNG.normal(size=3)}
    nodes = [node("Transpose", ["fc.weight"], "wt", perm=[1, 0]), node("Gemm", ["x", "wt", "b"], "g"),
             node("Unsqueeze", ["g"], "u", axes=[1]), node("Squeeze", ["u"], "y", axes=[1])]
    net = load_network(save(tmp_path / "t.onnx", nodes, w, ["N", 2], opset=11, elem=TensorProto.DOUBLE))
    x = RNG.normal(size=(4, 2))
    assert [l.name for l in net.layers] == ["fc"]
    np.testing.assert_allclose(forward(net, x), x @ w["fc.weight"].T + w["b"], rtol=1e-12)


def test_a_recombination_with_per_unit_constants_is_refused(tmp_path: Path) -> None:
    """x·σ(c·x) with one c per unit is no single activation."""
    w = {"W": f32(2, 2), "c": np.array([1.0, 2.0], dtype=np.float32)}
    nodes = [node("MatMul", ["x", "W"], "m"), node("Mul", ["m", "c"], "s"), node("Sigmoid", ["s"], "t"),
             node("Mul", ["m", "t"], "y")]
    err = refused(tmp_path, nodes, w)
    assert err.place == "tensor 'm'" and "a branching graph" in str(err)
