"""MLPs exported by PyTorch's dynamo exporter, checked against PyTorch's stored
outputs (tests/fixtures/make_onnx_dynamo_fixtures.py) and stepped through."""

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

HERE = Path(__file__).parent / "fixtures" / "onnx_dynamo"
FIXTURES = sorted(p.name for p in HERE.glob("*.onnx"))


def expected(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((HERE / f"{name}.expected.json").read_text())
    return doc


def close(got: np.ndarray, want: np.ndarray) -> None:
    """rtol 1e-5; near 0, where a float32 sum's rounding is relative to its terms, not to the result,
    1e-6 of the largest value (as tests/test_io_onnx.py checks PyTorch's exports)."""
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max())


def test_both_opsets_of_every_model() -> None:
    opsets = {name.rsplit("_opset", 1)[1] for name in FIXTURES}
    assert opsets == {"18.onnx", "20.onnx", "20_unoptimised.onnx"} and len(FIXTURES) == 41


@pytest.mark.parametrize("name", FIXTURES)
def test_gives_pytorch_outputs(name: str) -> None:
    doc = expected(name)
    net = load_network(HERE / name)
    assert [l.activation for l in net.layers] == doc["activations"]
    assert [l.name for l in net.layers] == (["1", "3"] if name.startswith("flatten") else ["0", "2", "4"])
    x = np.array(doc["x"], dtype=np.float32).reshape(len(doc["x"]), -1)
    close(forward(net, x), np.array(doc["y"]))
    trace = trace_of(net, x)
    assert len(trace.values) == len(doc["layers"])
    for values, want in zip(trace.values, doc["layers"]):
        close(values.a, np.array(want))


@pytest.mark.parametrize("name", FIXTURES)
def test_every_step_of_every_sample(name: str) -> None:
    doc = expected(name)
    step_everything(load_network(HERE / name), np.array(doc["x"], dtype=np.float32).reshape(len(doc["x"]), -1))


# -- what the unoptimised export writes, one construct at a time ------------------------------------
def save(tmp_path: Path, nodes: list[onnx.NodeProto], weights: dict[str, np.ndarray]) -> Path:
    graph = helper.make_graph(nodes, "main_graph", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=[numpy_helper.from_array(v, k) for k, v in weights.items()])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]), path)
    return path


W = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)


def test_scale_by_one_and_castlike_bounds_are_read(tmp_path: Path) -> None:
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"]),
             helper.make_node("Constant", [], ["one"], value_float=1.0),
             helper.make_node("CastLike", ["one", "m"], ["one_c"]),
             helper.make_node("Mul", ["m", "one_c"], ["s"]),
             helper.make_node("Constant", [], ["lo"], value_float=-1.5),
             helper.make_node("Constant", [], ["hi"], value_floats=[2.0]),
             helper.make_node("CastLike", ["lo", "s"], ["lo_c"]),
             helper.make_node("CastLike", ["hi", "s"], ["hi_c"]),
             helper.make_node("Clip", ["s", "lo_c", "hi_c"], ["c"]),
             helper.make_node("Div", ["c", "one_c"], ["y"])]
    net = load_network(save(tmp_path, nodes, {"W": W}))
    assert [(l.activation, l.params) for l in net.layers] == [("clip", {"min": -1.5, "max": 2.0})]
    x = np.array([[1.0, 2.0], [-3.0, 0.5]])
    np.testing.assert_allclose(forward(net, x), np.clip(x @ W, -1.5, 2.0), rtol=1e-6)


def test_a_scale_that_is_not_one_is_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"]), helper.make_node("Constant", [], ["two"], value_float=2.0),
             helper.make_node("Mul", ["m", "two"], ["y"], name="scale")]
    with pytest.raises(NetworkFileError) as err:
        load_network(save(tmp_path, nodes, {"W": W}))
    assert err.value.place == "node 'scale' (Mul)" and "op Mul is not supported" in str(err.value)


def test_a_constant_of_text_is_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("Constant", [], ["t"], name="words", value_string="hello"),
             helper.make_node("MatMul", ["x", "W"], ["y"])]
    with pytest.raises(NetworkFileError) as err:
        load_network(save(tmp_path, nodes, {"W": W}))
    assert err.value.place == "node 'words' (Constant)" and "holds no tensor or numbers" in str(err.value)
