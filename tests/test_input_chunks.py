"""--inputs FILE read in chunks (io/input_chunks.py): the same samples and
errors as the whole readers, one chunk in memory at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurodebug.engine.network import Layer, Network
from neurodebug.io import input_chunks as chunks_module
from neurodebug.io.errors import NetworkFileError
from neurodebug.io.input_chunks import input_chunks
from neurodebug.io.inputs import read_inputs


def _net(n: int = 3, outputs: int = 2) -> Network:
    rng = np.random.default_rng(0)
    return Network([Layer("h", "relu", rng.normal(size=(n, 4)), np.zeros(4)),
                    Layer("out", "softmax", rng.normal(size=(4, outputs)), np.zeros(outputs))])


def _all(path: Path, net: Network, rows: int) -> tuple[np.ndarray, np.ndarray | None, list[str], list[int]]:
    parts = list(input_chunks(path, net, rows))
    labels = [p.labels for p in parts]
    return (np.concatenate([p.x for p in parts]), None if labels[0] is None else np.concatenate(labels),
            [name for p in parts for name in p.names], [len(p) for p in parts])


@pytest.mark.parametrize("dtype", ["<f4", ">f8", "<i2", "<f2"])
@pytest.mark.parametrize("rows", [1, 5, 7, 23, 100])
def test_npy_chunks_equal_the_whole_array(tmp_path: Path, dtype: str, rows: int) -> None:
    net = _net()
    x = (np.random.default_rng(1).normal(size=(23, 3)) * 10).astype(dtype)
    path = tmp_path / "x.npy"
    np.save(path, x)
    whole = read_inputs(path, net)
    got, labels, names, sizes = _all(path, net, rows)
    assert np.array_equal(got, whole.x)
    assert next(iter(input_chunks(path, net, rows))).x.dtype == whole.x.dtype
    assert labels is None and max(sizes) <= rows and sum(sizes) == 23


def test_npy_of_images_and_of_one_sample(tmp_path: Path) -> None:
    net = _net(n=6)
    np.save(tmp_path / "grid.npy", np.arange(60.0).reshape(10, 2, 3))
    assert np.array_equal(_all(tmp_path / "grid.npy", net, 4)[0], np.arange(60.0).reshape(10, 6))
    np.save(tmp_path / "one.npy", np.arange(6.0))
    assert _all(tmp_path / "one.npy", net, 4)[0].shape == (1, 6)


def test_csv_chunks_equal_the_whole_table(tmp_path: Path) -> None:
    net = _net()
    lines = ["", "a;b;c;label;name"]
    for i in range(31):
        name = "" if i % 4 == 0 else f'"s{i}; quoted\nover two lines"' if i == 9 else f"s{i}"
        lines.append(f"{i};{-i / 3:.5g};{i * 0.5};{i % 2};{name}")
        if i % 6 == 0:
            lines.append("")  # blank lines are no rows
    path = tmp_path / "x.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    whole = read_inputs(path, net)
    assert "s9; quoted\nover two lines" in list(whole.names) or any("s9" in n for n in whole.names)
    for rows in (1, 2, 5, 8, 1000):
        got, labels, names, _sizes = _all(path, net, rows)
        assert np.array_equal(got, whole.x)
        assert labels is not None and whole.labels is not None and np.array_equal(labels, whole.labels)
        assert names == list(whole.names)


def test_take_reads_rows_again_by_index(tmp_path: Path) -> None:
    net = _net()
    x = np.random.default_rng(2).normal(size=(40, 3))
    np.save(tmp_path / "x.npy", x)
    taken = input_chunks(tmp_path / "x.npy", net, 6).take([33, 2])
    assert np.array_equal(taken.x, x[[2, 33]]) and list(taken.names) == ["row 3", "row 34"]
    (tmp_path / "x.csv").write_text("a,b,c\n" + "\n".join(",".join(map(str, r)) for r in x) + "\n")
    taken = input_chunks(tmp_path / "x.csv", net, 6).take([33, 2])
    assert np.array_equal(taken.x, x[[2, 33]]) and list(taken.names) == ["row 3", "row 34"]


def test_a_cut_npy_names_the_sample_it_ends_in(tmp_path: Path) -> None:
    path = tmp_path / "cut.npy"
    np.save(path, np.zeros((50, 3)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 8 * 3 * 10 - 5])  # 10 rows and 5 bytes short
    with pytest.raises(NetworkFileError, match=r"cut\.npy: sample 40: the file ends inside this sample"):
        list(input_chunks(path, _net(), 8))


def test_bad_rows_mid_file_name_the_line(tmp_path: Path) -> None:
    net = _net()
    body = [f"{i},{i},{i}" for i in range(100)]
    body[70] = "1,oops,3"
    path = tmp_path / "bad.csv"
    path.write_text("a,b,c\n" + "\n".join(body) + "\n")
    with pytest.raises(NetworkFileError) as whole:
        read_inputs(path, net)
    with pytest.raises(NetworkFileError) as chunked:
        list(input_chunks(path, net, 16))
    assert str(chunked.value) == str(whole.value) and "line 72, column 'b'" in str(chunked.value)
    x = np.zeros((30, 3))
    x[21, 2] = np.nan
    np.save(tmp_path / "nan.npy", x)
    with pytest.raises(NetworkFileError, match=r"sample 22, input 3: is NaN"):
        list(input_chunks(tmp_path / "nan.npy", net, 8))


def test_refusals(tmp_path: Path) -> None:
    net = _net()
    np.save(tmp_path / "f.npy", np.asfortranarray(np.zeros((5, 3))))
    with pytest.raises(NetworkFileError, match="Fortran"):
        input_chunks(tmp_path / "f.npy", net)
    np.save(tmp_path / "o.npy", np.array([[1, "a", None]], dtype=object), allow_pickle=True)
    with pytest.raises(NetworkFileError, match="Python objects"):
        input_chunks(tmp_path / "o.npy", net)
    np.save(tmp_path / "t.npy", np.zeros((3, 5)))
    with pytest.raises(NetworkFileError, match="has shape 3×5 but the network takes 3 inputs per sample"):
        input_chunks(tmp_path / "t.npy", net)
    (tmp_path / "h.csv").write_text("a,b,c\n")
    with pytest.raises(NetworkFileError, match="has a header but no rows of inputs"):
        list(input_chunks(tmp_path / "h.csv", net))


def test_a_npy_is_read_one_chunk_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the whole file: each read is one chunk's rows, and np.load / mmap are not used."""
    net = _net()
    np.save(tmp_path / "x.npy", np.ones((1000, 3), dtype=np.float32))
    sizes: list[int] = []
    block = chunks_module.InputChunks._read_block

    def spy(self: chunks_module.InputChunks, fh: object, first: int, count: int) -> np.ndarray:
        out = block(self, fh, first, count)  # type: ignore[arg-type]
        sizes.append(out.nbytes)
        return out

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("read whole")

    monkeypatch.setattr(chunks_module.InputChunks, "_read_block", spy)
    monkeypatch.setattr(np, "load", refuse)
    monkeypatch.setattr(np, "memmap", refuse)
    total = sum(len(chunk) for chunk in input_chunks(tmp_path / "x.npy", net, 64))
    assert total == 1000 and len(sizes) == 16 and max(sizes) == 64 * 3 * 4
