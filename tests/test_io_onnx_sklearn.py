"""scikit-learn MLPs converted by skl2onnx: read, stepped through and checked
against onnxruntime's stored outputs (tests/fixtures/make_onnx_sklearn_fixtures.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from neurodebug.engine.trace import forward, trace_of
from neurodebug.io import NetworkFileError, load_network

from stepping import step_everything

HERE = Path(__file__).parent / "fixtures" / "onnx_sklearn"
SKLEARN_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "linear", "softmax": "softmax"}
FIXTURES = sorted(p.name for p in HERE.glob("*.onnx"))
ULP_AT_ONE = 2.0**-23  # float32's spacing just below 1: the rounding a stored probability near 1 carries


def expected(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((HERE / f"{name}.expected.json").read_text())
    return doc


def test_every_fixture_is_tested() -> None:
    assert len(FIXTURES) == 9 and all((HERE / f"{name}.expected.json").exists() for name in FIXTURES)


@pytest.mark.parametrize("name", FIXTURES)
def test_gives_onnxruntime_outputs(name: str) -> None:
    doc = expected(name)
    net = load_network(HERE / name)
    want_acts = [SKLEARN_ACTIVATIONS[a] for a in doc["activations"]]
    binary = doc.get("classes") is not None and len(doc["classes"]) == 2
    if binary:  # one logistic unit p, read as softmax(0, z) = (1 − p, p): the file's two probability columns
        want_acts[-1] = "softmax"
    assert [l.activation for l in net.layers] == want_acts
    assert net.output_names == doc.get("classes")
    assert (net.normalization is not None) == name.startswith("pipeline")
    x = np.array(doc["x"], dtype=np.float32)
    want = np.array(doc["y"])
    got = forward(net, x)
    assert got.shape == want.shape
    if binary:
        # p matches onnxruntime's σ(z) to 1e-5; onnxruntime's 1 − p is exact (Sterbenz) but inherits p's absolute
        # rounding, so where p rounds to 1 it stores 0 for what softmax gives as e^−z: one ulp at 1 absolute
        np.testing.assert_allclose(got[:, 1], want[:, 1], rtol=1e-5, atol=0)
        np.testing.assert_allclose(got[:, 0], want[:, 0], rtol=1e-5, atol=ULP_AT_ONE)
        assert net.layers[-1].W[:, 0].tolist() == [0.0] * net.layers[-1].n_inputs and net.layers[-1].b[0] == 0
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=0)
    if "label" in doc:  # the label branch left off computes argmax of the probabilities, named by the classes
        assert [net.output_names[k] for k in got.argmax(axis=1)] == doc["label"]


@pytest.mark.parametrize("name", FIXTURES)
def test_every_step_of_every_sample(name: str) -> None:
    doc = expected(name)
    step_everything(load_network(HERE / name), np.array(doc["x"], dtype=np.float32))


@pytest.mark.parametrize("name", ["pipeline_scaler.onnx", "pipeline_scaler_binary_nozipmap.onnx"])
def test_the_scaler_is_the_input_normalisation(name: str) -> None:
    model = onnx.load(HERE / name)
    scaler = next(n for n in model.graph.node if n.op_type == "Scaler")
    attrs = {a.name: np.array(helper.get_attribute_value(a), dtype=np.float32) for a in scaler.attribute}
    net = load_network(HERE / name)
    assert net.normalization is not None
    assert net.normalization.mean.tolist() == attrs["offset"].tolist()
    np.testing.assert_allclose(net.normalization.std, 1 / attrs["scale"].astype(float), rtol=1e-7)
    x = np.array(expected(name)["x"], dtype=np.float32)
    np.testing.assert_allclose(trace_of(net, x).x, (x - attrs["offset"]) * attrs["scale"], rtol=1e-6, atol=1e-6)


def test_a_min_max_scaler_is_the_inputs_rescaling() -> None:
    """skl2onnx writes MinMaxScaler as Mul then Add by stored numbers: x' = x·scale + offset."""
    model = onnx.load(HERE / "pipeline_minmax.onnx")
    mul, add = by_op(model, "Mul"), by_op(model, "Add")
    stored = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    scale = next(stored[i] for i in mul.input if i in stored).astype(np.float64).ravel()
    offset = next(stored[i] for i in add.input if i in stored).astype(np.float64).ravel()
    net = load_network(HERE / "pipeline_minmax.onnx")
    assert net.normalization is not None and net.normalization.kind == "rescaling"
    np.testing.assert_allclose(net.normalization.scale, scale, rtol=1e-7)
    np.testing.assert_allclose(net.normalization.offset, offset * np.ones(4), rtol=1e-7)
    x = np.array(expected("pipeline_minmax.onnx")["x"], dtype=np.float32)
    np.testing.assert_allclose(trace_of(net, x).x, x * scale + offset, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("ops, want", [
    ([("Sub", "c", False), ("Div", "d", False)], lambda x, c, d: (x - c) / d),  # a StandardScaler written out
    ([("Mul", "c", True), ("Sub", "d", True)], lambda x, c, d: d - c * x),
])
def test_an_input_scaled_by_stored_numbers_is_its_rescaling(tmp_path: Path, ops: list[tuple[str, str, bool]],
                                                             want: Any) -> None:
    consts = {"c": np.array([2.0, 4.0], dtype=np.float32), "d": np.array(0.5, dtype=np.float32),
              "W": np.ones((2, 3), dtype=np.float32)}
    nodes, data = [], "x"
    for k, (op, const, const_first) in enumerate(ops):
        nodes.append(helper.make_node(op, [const, data] if const_first else [data, const], [f"s{k}"], name=f"s{k}"))
        data = f"s{k}"
    nodes.append(helper.make_node("MatMul", [data, "W"], ["y"], name="fc"))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in consts.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "scaled.onnx")
    net = load_network(tmp_path / "scaled.onnx")
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    np.testing.assert_allclose(trace_of(net, x).x, want(x, consts["c"].astype(float), 0.5), rtol=1e-6)
    assert net.layers[0].n_inputs == 2 and len(net.layers) == 1


# -- what is refused -----------------------------------------------------------------------------
def edited(tmp_path: Path, name: str, change: Any) -> Path:
    model = onnx.load(HERE / name)
    change(model)
    path = tmp_path / name
    onnx.save(model, path)
    return path


def refused(path: Path) -> NetworkFileError:
    with pytest.raises(NetworkFileError) as err:
        load_network(path)
    assert "\n" not in str(err.value)
    return err.value


def by_op(model: onnx.ModelProto, op: str) -> onnx.NodeProto:
    return next(n for n in model.graph.node if n.op_type == op)


def test_a_label_computed_from_a_hidden_layer_is_refused(tmp_path: Path) -> None:
    def change(m: onnx.ModelProto) -> None:
        by_op(m, "ArgMax").input[0] = "next_activations"
    err = refused(edited(tmp_path, "binary_logistic_nozipmap.onnx", change))
    assert err.place == "output 'label'" and "the ArgMax of 'next_activations', not of the other output" in str(err)


def test_a_label_branch_feeding_the_network_is_refused(tmp_path: Path) -> None:
    """The branch's tensor also used elsewhere: the label is no longer only derived from the probabilities."""
    def change(m: onnx.ModelProto) -> None:
        m.graph.node.append(helper.make_node("Identity", ["argmax_output"], ["spy"], name="spy"))
    err = refused(edited(tmp_path, "multiclass_identity_nozipmap.onnx", change))
    assert err.place == "output 'label'" and "also feeds node 'spy'" in str(err)


def test_a_label_through_an_op_that_is_no_lookup_is_refused(tmp_path: Path) -> None:
    """ArgMax → Add(1) → label: not a lookup, reshape or cast, so no label branch: two outputs refused."""
    def change(m: onnx.ModelProto) -> None:
        reshape = by_op(m, "Reshape")
        reshape.op_type = "Add"
        del reshape.attribute[:]
    err = refused(edited(tmp_path, "multiclass_identity_nozipmap.onnx", change))
    assert err.place == "graph" and "has 2 outputs ('label', 'probabilities'); only one is supported" in str(err)


def test_an_argmax_over_the_samples_is_refused(tmp_path: Path) -> None:
    def change(m: onnx.ModelProto) -> None:
        argmax = by_op(m, "ArgMax")
        del argmax.attribute[:]
        argmax.attribute.append(helper.make_attribute("axis", 0))
    err = refused(edited(tmp_path, "multiclass_identity_nozipmap.onnx", change))
    assert "its ArgMax runs over axis 0, not over the classes" in str(err)


def test_class_labels_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    def change(m: onnx.ModelProto) -> None:
        classes = next(t for t in m.graph.initializer if t.name == "classes")
        classes.CopyFrom(numpy_helper.from_array(np.array([0, 1, 2, 3], dtype=np.int64), "classes"))
    err = refused(edited(tmp_path, "multiclass_identity_nozipmap.onnx", change))
    assert "names 4 classes (0, 1, 2, 3) but the probabilities have 3 columns" in str(err)


def test_one_minus_p_after_several_units_is_refused(tmp_path: Path) -> None:
    """Concat(1 − p, p) is the binary classifier's pattern only after a one-unit sigmoid layer."""
    def change(m: onnx.ModelProto) -> None:
        by_op(m, "Sigmoid").op_type = "Tanh"
    err = refused(edited(tmp_path, "binary_relu.onnx", change))
    assert "Concat(1 − p, p) is supported after a one-unit sigmoid layer" in str(err) and "applies tanh" in str(err)


@pytest.mark.parametrize("scale, words", [
    ([0.5, 0.0, 1.0, 1.0], "scale[1] = 0; only positive scales (1/std) are supported"),
    ([0.5, 1.0], "has 2 scale values but the first layer takes 4 inputs"),
    ([float("nan")], "scale[0] = nan is not a finite number"),
])
def test_a_scaler_that_is_no_normalisation_is_refused(tmp_path: Path, scale: list[float], words: str) -> None:
    def change(m: onnx.ModelProto) -> None:
        scaler = by_op(m, "Scaler")
        attr = next(a for a in scaler.attribute if a.name == "scale")
        attr.CopyFrom(helper.make_attribute("scale", scale))
    err = refused(edited(tmp_path, "pipeline_scaler.onnx", change))
    assert err.place == "node 'Scaler' (Scaler)" and words in str(err)


def test_a_scaler_after_the_first_layer_is_refused(tmp_path: Path) -> None:
    w = np.ones((2, 2), dtype=np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"], name="fc"),
             helper.make_node("Scaler", ["m"], ["y"], name="late", domain="ai.onnx.ml", offset=[0.0], scale=[2.0])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(w, "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    onnx.save(model, tmp_path / "late.onnx")
    err = refused(tmp_path / "late.onnx")
    assert err.place == "node 'late' (Scaler)" and "only at the input, once, before the first layer" in str(err)


def test_an_op_of_another_domain_is_refused_by_its_domain(tmp_path: Path) -> None:
    """A custom-domain node spelled like a standard activation is not that activation."""
    def change(m: onnx.ModelProto) -> None:
        by_op(m, "Sigmoid").domain = "com.example"
        m.opset_import.append(helper.make_opsetid("com.example", 1))
    err = refused(edited(tmp_path, "regressor_logistic.onnx", change))
    assert err.place == "node 'Sigmoid' (Sigmoid)" and "op Sigmoid of domain 'com.example' is not supported" in str(err)


def test_two_outputs_of_a_regressor_are_refused(tmp_path: Path) -> None:
    def change(m: onnx.ModelProto) -> None:
        m.graph.output.append(helper.make_tensor_value_info("next_activations", TensorProto.FLOAT, None))
    err = refused(edited(tmp_path, "regressor_logistic.onnx", change))
    assert err.place == "graph" and "has 2 outputs ('variable', 'next_activations')" in str(err)


@pytest.mark.parametrize("first, words", [
    ("Scaler", "a second normalisation at the input (after node 'first') is not supported"),
    ("Mul3", "scales the input by 3 scale values but the first layer takes 2 inputs"),
])
def test_an_input_scaling_that_does_not_fit_is_refused(tmp_path: Path, first: str, words: str) -> None:
    consts = {"W": np.ones((2, 2), dtype=np.float32), "c": np.array([2.0, 3.0, 4.0] if first == "Mul3" else [2.0],
                                                                     dtype=np.float32)}
    if first == "Scaler":
        head = helper.make_node("Scaler", ["x"], ["h"], name="first", domain="ai.onnx.ml", offset=[0.0], scale=[2.0])
        nodes = [head, helper.make_node("Mul", ["h", "c"], ["s"], name="then")]
    else:
        nodes = [helper.make_node("Mul", ["x", "c"], ["s"], name="first")]
    nodes.append(helper.make_node("MatMul", ["s", "W"], ["y"], name="fc"))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in consts.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    onnx.save(model, tmp_path / "bad.onnx")
    err = refused(tmp_path / "bad.onnx")
    assert words in str(err)


def test_an_input_scaling_of_two_sizes_is_refused(tmp_path: Path) -> None:
    consts = {"W": np.ones((3, 2), dtype=np.float32), "c": np.array([2.0, 3.0, 4.0], dtype=np.float32),
              "d": np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype=np.float32)}
    nodes = [helper.make_node("Mul", ["x", "c"], ["s"], name="scale"),
             helper.make_node("Add", ["s", "d"], ["t"], name="shift"),
             helper.make_node("MatMul", ["t", "W"], ["y"], name="fc")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in consts.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "sizes.onnx")
    err = refused(tmp_path / "sizes.onnx")
    assert err.place == "node 'shift' (Add)" and "takes 5 values where the input's scaling so far has 3" in str(err)
