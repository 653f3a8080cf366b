"""What the ONNX reader still refuses, in one line naming the node: recurrent
layers, a local function's call, and the new patterns where they do not fit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from neurodebug.io import NetworkFileError, load_network


def refused(tmp_path: Path, nodes: list[onnx.NodeProto], weights: dict[str, np.ndarray], x_shape: list[Any],
            functions: list[onnx.FunctionProto] | None = None, extra_opsets: list[Any] | None = None) -> NetworkFileError:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), *(extra_opsets or [])],
                              functions=functions or [])
    onnx.save(model, tmp_path / "bad.onnx")
    with pytest.raises(NetworkFileError) as err:
        load_network(tmp_path / "bad.onnx")
    assert "\n" not in str(err.value)
    return err.value


@pytest.mark.parametrize("op, gates", [("LSTM", 4), ("GRU", 3), ("RNN", 1)])
def test_recurrent_layers_are_refused(tmp_path: Path, op: str, gates: int) -> None:
    hidden, features = 3, 2
    w = {"W": np.ones((1, gates * hidden, features), dtype=np.float32),
         "R": np.ones((1, gates * hidden, hidden), dtype=np.float32)}
    nodes = [helper.make_node(op, ["x", "W", "R"], ["y"], name=f"/rnn/{op}", hidden_size=hidden)]
    err = refused(tmp_path, nodes, w, [5, "N", features])
    assert err.place == f"node '/rnn/{op}' ({op})" and f"op {op} is not supported; supported: Gemm" in str(err)


def test_a_local_function_call_is_refused_by_its_domain(tmp_path: Path) -> None:
    """The exporters may write a module as a local function; its call is a node of the function's domain."""
    body = helper.make_function("pkg.local", "Block", ["a", "w"], ["b"],
                                [helper.make_node("MatMul", ["a", "w"], ["b"])],
                                opset_imports=[helper.make_opsetid("", 17)])
    nodes = [helper.make_node("Block", ["x", "W"], ["y"], name="block", domain="pkg.local")]
    err = refused(tmp_path, nodes, {"W": np.ones((2, 2), dtype=np.float32)}, ["N", 2], functions=[body],
                  extra_opsets=[helper.make_opsetid("pkg.local", 1)])
    assert err.place == "node 'block' (Block)" and "op Block of domain 'pkg.local' is not supported" in str(err)


def test_a_zipmap_inside_the_network_is_refused(tmp_path: Path) -> None:
    """A ZipMap is stepped back over only at the graph's output."""
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"]),
             helper.make_node("ZipMap", ["m"], ["z"], name="zip", domain="ai.onnx.ml", classlabels_int64s=[0, 1]),
             helper.make_node("Identity", ["z"], ["y"])]
    err = refused(tmp_path, nodes, {"W": np.ones((2, 2), dtype=np.float32)}, ["N", 2],
                  extra_opsets=[helper.make_opsetid("ai.onnx.ml", 3)])
    assert err.place == "node 'zip' (ZipMap)" and "of domain 'ai.onnx.ml' is not supported" in str(err)


@pytest.mark.parametrize("dims", [(-2, 1), (-1, -2)])
def test_an_initializer_with_a_negative_dimension_is_refused(tmp_path: Path, dims: tuple[int, int]) -> None:
    """Dims of −2 × 1 (or −1 × −2, whose product is positive) hold no array: refused by name, whatever the data."""
    W = numpy_helper.from_array(np.ones((2, 1), dtype=np.float32), "W")
    del W.dims[:]
    W.dims.extend(dims)
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [W])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "neg.onnx")
    with pytest.raises(NetworkFileError) as err:
        load_network(tmp_path / "neg.onnx")
    assert err.value.place == "initializer 'W'" and "a negative size" in str(err.value)
