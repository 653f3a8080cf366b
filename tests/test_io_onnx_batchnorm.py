"""ONNX BatchNormalization as the engine's batch-norm step (never folded), from
both of PyTorch's exporters (tests/fixtures/make_onnx_batchnorm_fixtures.py),
and the places a BatchNormalization cannot go, refused in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from neurodebug.engine.norms import BatchNorm
from neurodebug.engine.plan import NORM, NORMALIZE, PER_LAYER, PER_NEURON, Plan
from neurodebug.engine.trace import forward, trace_of
from neurodebug.io import NetworkFileError, load_network, write_json_network

from stepping import step_everything

HERE = Path(__file__).parent / "fixtures" / "onnx_batchnorm"
FIXTURES = sorted(p.name for p in HERE.glob("*.onnx"))


def expected(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((HERE / f"{name}.expected.json").read_text())
    return doc


def test_every_place_from_both_exporters() -> None:
    assert len(FIXTURES) == 11
    for model in ("before", "after", "input", "output", "all"):
        assert {f"{model}_ts.onnx", f"{model}_dynamo.onnx"} <= set(FIXTURES)
        assert "BatchNormalization" in expected(f"{model}_ts.onnx")["ops"]
        assert "BatchNormalization" in expected(f"{model}_dynamo.onnx")["ops"]


@pytest.mark.parametrize("name", FIXTURES)
def test_gives_pytorch_outputs(name: str) -> None:
    doc = expected(name)
    net = load_network(HERE / name)
    assert [l.activation for l in net.layers] == doc["activations"]
    where = [None if net.normalization is None else "input"]
    where += [None if l.norm is None else str(l.norm_at) for l in net.layers]
    assert where == doc["norms"]
    x = np.array(doc["x"], dtype=np.float32)
    np.testing.assert_allclose(forward(net, x), np.array(doc["y"]), rtol=1e-5, atol=0)
    trace = trace_of(net, x)
    for values, want in zip(trace.values, doc["layers"]):
        want = np.array(want)
        np.testing.assert_allclose(values.a, want, rtol=1e-5, atol=1e-6 * np.abs(want).max())


@pytest.mark.parametrize("name", [n for n in FIXTURES if "optimised" not in n])
def test_the_norms_are_the_files_tensors_not_folded(name: str) -> None:
    model = onnx.load(HERE / name)
    stored = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    bns = [n for n in model.graph.node if n.op_type == "BatchNormalization"]
    net = load_network(HERE / name)
    norms = [net.normalization] if net.normalization is not None else []
    norms += [l.norm for l in net.layers if l.norm is not None]
    assert len(norms) == len(bns)
    for node, norm in zip(bns, norms):
        assert isinstance(norm, BatchNorm)
        eps = next(helper.get_attribute_value(a) for a in node.attribute if a.name == "epsilon")
        assert norm.eps == pytest.approx(eps, rel=1e-6)
        for param, tensor in zip(("gamma", "beta", "mean", "var"), node.input[1:]):
            assert norm.param(param).tobytes() == stored[tensor].tobytes()
    for layer, gemm in zip(net.layers, [n for n in model.graph.node if n.op_type == "Gemm"]):
        assert layer.W.tobytes() == stored[gemm.input[1]].T.tobytes()  # the weights as stored: nothing folded in


@pytest.mark.parametrize("name", FIXTURES)
def test_every_step_of_every_sample(name: str) -> None:
    doc = expected(name)
    net = load_network(HERE / name)
    for granularity in (PER_NEURON, PER_LAYER):
        kinds = {step.kind for step in Plan(net, granularity)}
        assert (NORM in kinds) == any(l.norm is not None for l in net.layers)
        assert (NORMALIZE in kinds) == (net.normalization is not None)
    step_everything(net, np.array(doc["x"], dtype=np.float32))


# -- where a BatchNormalization cannot go ------------------------------------------------------------
RNG_SEED = 11


def bn(inp: str, out: str, name: str, prefix: str, **attrs: Any) -> onnx.NodeProto:
    return helper.make_node("BatchNormalization", [inp, f"{prefix}.g", f"{prefix}.b", f"{prefix}.m", f"{prefix}.v"],
                            [out], name=name, **attrs)


def bn_weights(prefix: str, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    return {f"{prefix}.g": rng.normal(size=n).astype(np.float32), f"{prefix}.b": rng.normal(size=n).astype(np.float32),
            f"{prefix}.m": rng.normal(size=n).astype(np.float32),
            f"{prefix}.v": rng.uniform(0.5, 2, size=n).astype(np.float32)}


def refused(tmp_path: Path, nodes: list[onnx.NodeProto], weights: dict[str, np.ndarray],
            x_shape: list[Any] | None = None) -> NetworkFileError:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape or ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    onnx.save(model, tmp_path / "bad.onnx")
    with pytest.raises(NetworkFileError) as err:
        load_network(tmp_path / "bad.onnx")
    assert "\n" not in str(err.value)
    return err.value


W = {"W": np.array([[1.0, -1.0, 0.5], [2.0, 0.0, -0.5]], dtype=np.float32)}


def test_an_affine_free_batch_norm_as_the_unoptimised_dynamo_export_writes_it(tmp_path: Path) -> None:
    """BatchNorm1d(affine=False) with dynamo=True, optimize=False: γ and β are Expand(CastLike(1 or 0, z),
    Shape(z)[1:2]), one stored number over the units; read as γ = 1, β = 0 for every unit."""
    stats = {"m": np.array([0.5, -1.0, 2.0], dtype=np.float32), "v": np.array([1.0, 4.0, 0.25], dtype=np.float32)}
    nodes = [helper.make_node("MatMul", ["x", "W"], ["z"], name="fc")]
    for k, value in enumerate((1.0, 0.0)):
        nodes += [helper.make_node("Constant", [], [f"c{k}"], value_floats=[value]),
                  helper.make_node("CastLike", [f"c{k}", "z"], [f"l{k}"]),
                  helper.make_node("Shape", ["z"], [f"s{k}"], start=1, end=2),
                  helper.make_node("Expand", [f"l{k}", f"s{k}"], [f"e{k}"])]
    nodes += [helper.make_node("BatchNormalization", ["z", "e0", "e1", "m", "v"], ["n"], name="bn"),
              helper.make_node("Sigmoid", ["n"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in {**W, **stats}.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), tmp_path / "noaffine.onnx")
    net = load_network(tmp_path / "noaffine.onnx")
    norm = net.layers[0].norm
    assert isinstance(norm, BatchNorm)
    assert norm.gamma.tolist() == [1.0] * 3 and norm.beta.tolist() == [0.0] * 3
    x = np.array([[1.0, 2.0], [-0.5, 0.25]])
    z = x @ W["W"].astype(float)
    want = 1 / (1 + np.exp(-(z - stats["m"]) / np.sqrt(stats["v"] + 1e-5)))
    np.testing.assert_allclose(forward(net, x), want, rtol=1e-6)


def test_two_in_one_layer_are_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"], name="fc"), bn("m", "n1", "bn1", "p"),
             helper.make_node("Relu", ["n1"], ["r"]), bn("r", "y", "bn2", "q")]
    err = refused(tmp_path, nodes, {**W, **bn_weights("p", 3), **bn_weights("q", 3)})
    assert err.place == "node 'bn2' (BatchNormalization)"
    assert "layer 'fc' already has a batch norm before its activation ('bn1'); a neurodebug layer holds one" in str(err)


def test_one_after_another_is_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"], name="fc"), bn("m", "n1", "bn1", "p"), bn("n1", "y", "bn2", "p")]
    err = refused(tmp_path, nodes, {**W, **bn_weights("p", 3)})
    assert err.place == "node 'bn2' (BatchNormalization)" and "already has a batch norm" in str(err)


def test_two_at_the_input_are_refused(tmp_path: Path) -> None:
    nodes = [bn("x", "n1", "bn1", "p"), bn("n1", "n2", "bn2", "p"), helper.make_node("MatMul", ["n2", "W"], ["y"])]
    err = refused(tmp_path, nodes, {**W, **bn_weights("p", 2)})
    assert err.place == "node 'bn2' (BatchNormalization)"
    assert "a second normalisation at the input (after node 'bn1') is not supported" in str(err)


def test_a_scaler_then_a_batch_norm_at_the_input_are_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("Scaler", ["x"], ["s"], name="scaler", domain="ai.onnx.ml", offset=[0.0], scale=[2.0]),
             bn("s", "n", "bn", "p"), helper.make_node("MatMul", ["n", "W"], ["y"])]
    err = refused(tmp_path, nodes, {**W, **bn_weights("p", 2)})
    assert err.place == "node 'bn' (BatchNormalization)" and "after node 'scaler'" in str(err)


def test_an_activation_after_a_norm_after_the_activation_is_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"], name="fc"), helper.make_node("Relu", ["m"], ["r"]),
             bn("r", "n", "bn", "p"), helper.make_node("Tanh", ["n"], ["y"], name="tanh")]
    err = refused(tmp_path, nodes, {**W, **bn_weights("p", 3)})
    assert err.place == "node 'tanh' (Tanh)" and "already applies relu" in str(err)


@pytest.mark.parametrize("change, words", [
    ({"training_mode": 1}, "training_mode = 1 (statistics of the batch) is not supported"),
    ({"epsilon": -1.0}, "epsilon = -1.0 is not a finite number ≥ 0"),
])
def test_attributes_that_are_no_inference_norm_are_refused(tmp_path: Path, change: dict[str, Any], words: str) -> None:
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"]), bn("m", "y", "bn", "p", **change)]
    err = refused(tmp_path, nodes, {**W, **bn_weights("p", 3)})
    assert err.place == "node 'bn' (BatchNormalization)" and words in str(err)


def test_statistics_of_the_wrong_size_are_refused(tmp_path: Path) -> None:
    weights = {**W, **bn_weights("p", 3)}
    weights["p.v"] = weights["p.v"][:2]
    err = refused(tmp_path, [helper.make_node("MatMul", ["x", "W"], ["m"]), bn("m", "y", "bn", "p")], weights)
    assert "its scale, B, mean and var have 3, 3, 3, 2 values for 3 units" in str(err)


def test_a_batch_norm_over_channels_of_a_grid_is_refused(tmp_path: Path) -> None:
    nodes = [bn("x", "n", "bn", "p"), helper.make_node("Flatten", ["n"], ["f"]),
             helper.make_node("MatMul", ["f", "W6"], ["y"])]
    err = refused(tmp_path, nodes, {"W6": np.ones((6, 2), dtype=np.float32), **bn_weights("p", 2)}, ["N", 2, 3])
    assert err.place == "node 'bn' (BatchNormalization)" and "of a 3-D tensor (shape [batch, 2, 3])" in str(err)


def test_an_input_norm_that_does_not_fit_the_first_layer_is_refused(tmp_path: Path) -> None:
    nodes = [bn("x", "n", "bn", "p"), helper.make_node("MatMul", ["n", "W"], ["y"])]
    err = refused(tmp_path, nodes, {**W, **bn_weights("p", 3)}, ["N", None])
    assert err.place == "node 'bn' (BatchNormalization)" and "has 3 values but the first layer takes 2 inputs" in str(err)


@pytest.mark.parametrize("name", ["all_ts.onnx", "all_dynamo.onnx"])
def test_saved_as_json_the_norms_stay(tmp_path: Path, name: str) -> None:
    """What the debugger's save and `convert` write computes what the ONNX file computes."""
    net = load_network(HERE / name)
    write_json_network(net, tmp_path / "net.json")
    again = load_network(tmp_path / "net.json")
    assert [(l.norm is not None, l.norm_at) for l in again.layers] == [(l.norm is not None, l.norm_at) for l in net.layers]
    x = np.array(expected(name)["x"], dtype=np.float32)
    np.testing.assert_allclose(forward(again, x), forward(net, x), rtol=1e-6, atol=0)
