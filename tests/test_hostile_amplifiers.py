"""Small hostile files that used to make the readers ask for gigabytes or
minutes: a gap in layer numbers, a million sample rows, a normalisation
spread over a declared shape, a tensor joined to itself, a header of many
columns. Each is refused (or read) in one line, within a memory bound
measured with tracemalloc (NumPy reports its arrays to it), and a crash of a
headless command is one line with exit 3, not a traceback with exit 1.
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from neurodebug import cli
from neurodebug.cli import main
from neurodebug.engine.samples import Samples
from neurodebug.io import NetworkFileError, load_network

MB = 1 << 20


def npy(a: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, a)
    return out.getvalue()


def peak_bytes(fn: Callable[[], Any]) -> tuple[Any, int]:
    """What ``fn`` returned or raised, and the most memory Python and NumPy held meanwhile."""
    tracemalloc.start()
    try:
        try:
            result: Any = fn()
        except NetworkFileError as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


ONE_LAYER = {"layers/0/W.npy": npy(np.ones((1, 1))), "layers/0/b.npy": npy(np.zeros(1)),
             "layers/0/activation.npy": npy(np.array("relu"))}


def test_a_gap_in_layer_numbers_is_named_without_counting_up_to_the_last(tmp_path: Path) -> None:
    path = tmp_path / "gap.npz"
    with zipfile.ZipFile(path, "w") as z:
        for key, value in ONE_LAYER.items():
            z.writestr(key, value)
        z.writestr("layers/999999999/W.npy", npy(np.ones((1, 1))))  # was a list of a billion numbers
    err, peak = peak_bytes(lambda: load_network(path))
    assert isinstance(err, NetworkFileError) and "layers/1: missing, but layers/999999999 exists" in str(err)
    assert peak < 20 * MB


def test_a_course_layer_number_too_long_is_an_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "course.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("W1.npy", npy(np.ones((1, 1))))
        z.writestr("b1.npy", npy(np.zeros(1)))
        z.writestr("W1000000000000.npy", npy(np.ones((1, 1))))  # was a MemoryError traceback
    err, peak = peak_bytes(lambda: load_network(path, activations="relu"))
    assert isinstance(err, NetworkFileError) and "W1000000000000: unknown key" in str(err)
    assert peak < 20 * MB


@pytest.mark.parametrize("course", [False, True])
def test_a_million_sample_rows_cost_their_numbers_not_an_object_each(tmp_path: Path, course: bool) -> None:
    n = 1_000_000
    path = tmp_path / "rows.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:  # a few KB on disk
        if course:
            z.writestr("W1.npy", npy(np.ones((1, 1))))
            z.writestr("b1.npy", npy(np.zeros(1)))
            z.writestr("X.npy", npy(np.zeros((n, 1), np.int8)))
            z.writestr("y.npy", npy(np.ones(n, np.int64)))
        else:
            for key, value in ONE_LAYER.items():
                z.writestr(key, value)
            z.writestr("samples/x.npy", npy(np.zeros((n, 1), np.int8)))
            z.writestr("samples/labels.npy", npy(np.full(n, -1, np.int64)))
    net, peak = peak_bytes(lambda: load_network(path, activations="relu" if course else None))
    assert isinstance(net.samples, Samples) and len(net.samples) == n
    assert net.samples.names[n - 1] == f"sample {n}"
    assert peak < 100 * MB  # the rows as float64 (8 MB) and their labels, not ~550 MB of Sample objects


def keras_normalized(path: Path, dims: list[int]) -> Path:
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}

    def keras_layer(cls: str, name: str, **cfg: Any) -> dict[str, Any]:
        return {"module": "keras.layers", "class_name": cls, "registered_name": None,
                "config": {"name": name, "dtype": policy, **cfg}}

    config = {"module": "keras", "class_name": "Sequential", "registered_name": None, "config": {"name": "seq", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
         "config": {"batch_shape": [None, *dims], "name": "in"}},
        keras_layer("Normalization", "norm", axis=[-1], invert=False, mean=[0.0, 0.0], variance=[1.0, 1.0]),
        keras_layer("Flatten", "flatten", data_format="channels_last"),
        keras_layer("Dense", "d", units=1, activation="linear", use_bias=True)]}}
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        group = f.create_group("layers/dense/vars")
        group.attrs["name"] = "d"
        group.create_dataset("0", data=np.ones((4, 1), np.float32))
        group.create_dataset("1", data=np.zeros(1, np.float32))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", weights.getvalue())
    return path


def test_a_normalization_spread_over_a_huge_declared_shape_is_refused_before_it_is_made(tmp_path: Path) -> None:
    path = keras_normalized(tmp_path / "norm.keras", [16000, 16000, 2])  # was 8 GB, then a shape error
    err, peak = peak_bytes(lambda: load_network(path))
    assert isinstance(err, NetworkFileError) and "layer 'norm'" in str(err) and "over the 2 GiB limit" in str(err)
    assert peak < 50 * MB


def test_a_tensor_joined_to_itself_is_not_folded_into_gigabytes(tmp_path: Path) -> None:
    nodes = [helper.make_node("Concat", [f"c{i}", f"c{i}"], [f"c{i + 1}"], axis=0) for i in range(40)]
    nodes.append(helper.make_node("Gemm", ["x", "W", "B"], ["y"]))
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(np.ones((4, 3), np.float32), "W"),
                     numpy_helper.from_array(np.zeros(3, np.float32), "B"), numpy_helper.from_array(np.ones(8), "c0")])
    path = tmp_path / "doubling.onnx"  # 1.5 KB; 40 doublings of 64 bytes: 70 TB
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    err, peak = peak_bytes(lambda: load_network(path))
    assert isinstance(err, NetworkFileError) and "not on the path from the input to the output" in str(err)
    assert peak < 50 * MB


def test_a_header_of_many_columns_is_checked_in_one_pass_and_told_in_one_short_line(tmp_path: Path, capsys) -> None:
    net = tmp_path / "net.json"
    net.write_text('{"features":["x1","x2"],"layers":[{"activation":"sigmoid","W":[[1],[1]],"b":[0]}]}')
    n = 100_000  # was an hour: each name looked for in the list of all of them
    csv = tmp_path / "wide.csv"
    csv.write_text(",".join(f"c{i}" for i in range(n)) + "\n" + ",".join("1" * n) + "\n")
    assert main(["check", str(net), "--inputs", str(csv)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "no column for features x1, x2" in line and len(line) < 400


def test_a_crash_in_a_headless_command_is_one_line_and_exit_3(tmp_path: Path, capsys, monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(cli, "load_network", broken)
    net = tmp_path / "net.json"
    net.write_text('{"layers":[{"activation":"sigmoid","W":[[1]],"b":[0]}]}')
    assert main(["check", str(net)]) == 3  # not 1, which says "a problem was found"
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("neurodebug: internal error: MemoryError at ") and line.endswith("please report it")


def test_reading_a_small_file_sets_aside_what_it_holds_not_the_limit(tmp_path: Path) -> None:
    from neurodebug.io.files import read_bytes

    path = tmp_path / "small.bin"
    path.write_bytes(b"0123456789")
    data, peak = peak_bytes(lambda: read_bytes(path))
    assert data == b"0123456789" and peak < MB  # was 2 GiB (read(limit + 1)), refused outright under a memory cap


def test_characters_that_reorder_or_hide_text_are_shown_escaped() -> None:
    from neurodebug.io.errors import printable

    assert printable("evil\u202etxt.json") == "evil\\u202etxt.json"  # a right-to-left override
    assert printable("a\u200bb\u2028c\u2066d\ufeff") == "a\\u200bb\\u2028c\\u2066d\\ufeff"
    assert printable("café · 200 °C ✓ σ′") == "café · 200 °C ✓ σ′"  # printable text is left alone


def test_a_batch_norm_whose_variance_and_epsilon_overflow_reads_without_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "norm.json"  # σ² + ε = ∞: allowed (a broken layer is what the debugger is for), silently
    path.write_text('{"layers":[{"activation":"relu","W":[[1]],"b":[1],'
                    '"norm":{"kind":"batchnorm","mean":[0],"variance":[1e308],"epsilon":1e308}}]}')
    assert load_network(path).layers[0].norm is not None  # the suite turns a RuntimeWarning into an error
