"""--inputs FILE: CSV tables with a header, and .npy arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurodebug.cli import main
from neurodebug.engine.network import Layer, Network
from neurodebug.io import NetworkFileError
from neurodebug.io.inputs import load_inputs, read_inputs
from neurodebug.io.json_writer import write_json_network


def net(names: list[str] | None = None, outputs: int = 3, output_names: list[str] | None = None) -> Network:
    layer = Layer("out", "softmax" if outputs > 1 else "sigmoid", np.ones((2, outputs)), np.zeros(outputs))
    return Network([layer], feature_names=names, output_names=output_names)


def write(tmp_path: Path, text: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# -- CSV ---------------------------------------------------------------------------------------
def test_columns_matched_by_feature_name(tmp_path: Path) -> None:
    path = write(tmp_path, "label,duration,temperature,name\n2,15,200,good roast\n,12.5,180,\n")
    samples = read_inputs(path, net(["temperature", "duration"]))
    assert [s.name for s in samples] == ["good roast", "row 2"]
    assert [s.x.tolist() for s in samples] == [[200.0, 15.0], [180.0, 12.5]]
    assert [s.label for s in samples] == [2, None]


def test_columns_in_order_when_the_network_names_none(tmp_path: Path) -> None:
    table = load_inputs(write(tmp_path, "a;b\n1;2\n\n3;−4\n"), net())
    assert [s.x.tolist() for s in table.samples] == [[1.0, 2.0], [3.0, -4.0]]
    assert table.feature_names == ["a", "b"]


def test_tabs_and_a_byte_order_mark(tmp_path: Path) -> None:
    samples = read_inputs(write(tmp_path, "\ufeffp\tq\tLabel\n1\t2\t1\n", encoding="utf-8"), net(outputs=1))
    assert samples[0].x.tolist() == [1.0, 2.0] and samples[0].label == 1


def test_label_by_output_name(tmp_path: Path) -> None:
    samples = read_inputs(write(tmp_path, "a,b,label\n1,2,dog\n"), net(output_names=["cat", "dog", "bird"]))
    assert samples[0].label == 1


@pytest.mark.parametrize(
    ("text", "place", "words"),
    [
        ("temperature,label\n1,0\n", "line 1 (header)", "no column for feature duration"),
        ("temperature,duration,extra\n1,2,3\n", "line 1 (header)", "unknown column 'extra'"),
        ("temperature,duration\n1,abc\n", "line 2, column 'duration'", "'abc' is not a number"),
        ("temperature,duration\n1,\n", "line 2, column 'duration'", "empty is not a number"),
        ("temperature,duration\n1,nan\n", "line 2, column 'duration'", "not a finite number"),
        ("temperature,duration\n1,2,3\n", "line 2", "has 3 values, expected 2"),
        ("temperature,duration,label\n1,2,7\n", "line 2, column 'label'", "class 7 out of range, expected 0..2"),
        ("temperature,duration,label\n1,2,fish\n", "line 2, column 'label'", "'fish' is not a class"),
        ("1,2\n3,4\n", "line 1", "add a header row"),
        ("temperature,temperature\n1,2\n", "line 1 (header)", "appears twice"),
        ("temperature,\n1,2\n", "line 1 (header)", "column 2 has no name"),
        ("temperature,duration\n", "", "no rows of inputs"),
        ("\n\n", "", "the file is empty"),
        ('""\n', "", "the file has no values"),
    ],
)
def test_bad_csv_names_line_and_column(tmp_path: Path, text: str, place: str, words: str) -> None:
    with pytest.raises(NetworkFileError) as err:
        read_inputs(write(tmp_path, text), net(["temperature", "duration"]))
    assert err.value.place == place
    assert words in str(err.value)


def test_wrong_column_count_without_feature_names(tmp_path: Path) -> None:
    with pytest.raises(NetworkFileError, match=r"3 feature columns \(a, b, c\) but the network takes 2 inputs"):
        read_inputs(write(tmp_path, "a,b,c\n1,2,3\n"), net())


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"a,b\n1,\xff\n")
    with pytest.raises(NetworkFileError, match="line 2: not UTF-8"):
        read_inputs(path, net())


# -- .npy ----------------------------------------------------------------------------------------
def npy(tmp_path: Path, arr: np.ndarray, name: str = "x.npy") -> Path:
    path = tmp_path / name
    np.save(path, arr)
    return path


def test_npy_rows_keep_float32(tmp_path: Path) -> None:
    arr = np.arange(6, dtype=np.float32).reshape(3, 2)
    samples = read_inputs(npy(tmp_path, arr), net())
    assert [s.name for s in samples] == ["row 1", "row 2", "row 3"]
    assert samples[2].x.dtype == np.float32 and samples[2].x.tolist() == [4.0, 5.0]


def test_npy_one_sample_and_integers(tmp_path: Path) -> None:
    samples = read_inputs(npy(tmp_path, np.array([3, 4])), net())
    assert len(samples) == 1 and samples[0].x.dtype == np.float64


def test_npy_vector_for_a_one_input_network(tmp_path: Path) -> None:
    one = Network([Layer("l", "linear", np.ones((1, 1)), np.zeros(1))])
    assert len(read_inputs(npy(tmp_path, np.array([1.0, 2.0, 3.0])), one)) == 3


def test_npy_grid_samples_flatten(tmp_path: Path) -> None:
    grid = Network([Layer("l", "linear", np.ones((6, 1)), np.zeros(1))])
    arr = np.arange(12.0).reshape(2, 2, 3)
    samples = read_inputs(npy(tmp_path, arr), grid)
    assert samples[1].x.tolist() == [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]


def test_npy_sniffed_without_extension(tmp_path: Path) -> None:
    assert len(read_inputs(npy(tmp_path, np.ones((4, 2)), "inputs.bin.npy").rename(tmp_path / "inputs"), net())) == 4


@pytest.mark.parametrize(
    ("arr", "words"),
    [
        (np.ones((2, 3)), "has shape 2×3 but the network takes 2 inputs"),
        (np.ones((2, 5)), "samples must be rows: transpose"),
        (np.ones(5), "holds 5 values but the network takes 2 inputs"),
        (np.array(1.0), "holds a single number"),
        (np.array([["a", "b"]]), "expected numbers"),
        (np.array([[1.0, np.inf]]), "sample 1, input 2: is Infinity"),
        (np.zeros((0, 2)), "holds no samples"),
    ],
)
def test_bad_npy(tmp_path: Path, arr: np.ndarray, words: str) -> None:
    with pytest.raises(NetworkFileError) as err:
        read_inputs(npy(tmp_path, arr), net())
    assert words in str(err.value)


def test_npy_objects_are_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(NetworkFileError, match="never unpickled"):
        read_inputs(path, net())


@pytest.mark.parametrize("header", [b"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2", b"{'descr': '06f8'}"])
def test_npy_with_a_broken_header_is_a_file_error(tmp_path: Path, header: bytes) -> None:
    path = tmp_path / "x.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
    with pytest.raises(NetworkFileError, match="cannot read the array"):
        read_inputs(path, net())


def test_archives_are_not_inputs(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    np.savez(path, x=np.ones((1, 2)))
    with pytest.raises(NetworkFileError, match="not an archive"):
        read_inputs(path, net())


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NetworkFileError, match="no such file"):
        read_inputs(tmp_path / "nope.csv", net())


# -- through the command line ------------------------------------------------------------------
def test_trace_with_csv_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_json_network(net(["temperature", "duration"]), tmp_path / "net.json")
    csv_path = write(tmp_path, "duration,temperature,name\n1,2,first\n3,4,second\n")
    assert main(["trace", str(path), "--inputs", str(csv_path), "--sample", "second", "--per-layer"]) == 0
    assert 'sample "second" x = [4, 3]' in capsys.readouterr().out


def test_trace_with_bad_inputs_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_json_network(net(), tmp_path / "net.json")
    csv_path = write(tmp_path, "a,b\n1,oops\n")
    assert main(["trace", str(path), "--inputs", str(csv_path)]) == 2
    assert "line 2, column 'b': 'oops' is not a number" in capsys.readouterr().err
