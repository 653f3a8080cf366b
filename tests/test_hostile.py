"""Hostile files: nothing read from outside the model's file, no memory bombs,
no non-finite parameters, no hangs, no tracebacks, nothing raw on the
terminal. Every file here is small and made by the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import warnings
import zipfile
from pathlib import Path

import h5py
import numpy as np
import onnx
import pytest
from onnx import TensorProto

from neurodebug.cli import main
from neurodebug.io import NetworkFileError, load_network, write_json_network
from neurodebug.io import files as io_files
from test_io_keras import dense_layer, input_layer, keras_file, layer, legacy_file, sequential, weights_h5
from test_io_onnx import node, save

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"


def refused(path: Path, *words: str) -> str:
    """Loading ``path`` fails with one printable line naming the file and ``words``."""
    with pytest.raises(NetworkFileError) as err:
        load_network(path)
    text = str(err.value)
    assert "\n" not in text and "\x1b" not in text and path.name in text
    for w in words:
        assert w in text, text
    return text


def exits_2(capsys, argv: list[str], *words: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


# -- HDF5 reads only what the file itself holds ----------------------------------------------
def legacy_model(path: Path, kernel: object, bias: np.ndarray | None = None) -> Path:
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "input_layer"}},
        {"class_name": "Dense", "config": dense_layer("d", 3, "relu")["config"]}]}}
    legacy_file(path, config, {"d": [("d/kernel:0", np.ones((2, 3), np.float32)),
                                     ("d/bias:0", np.zeros(3, np.float32) if bias is None else bias)]})
    with h5py.File(path, "a") as f:
        group = f["model_weights/d"]
        del group["d/kernel:0"]
        if callable(kernel):
            kernel(group, "d/kernel:0")
        else:
            group["d/kernel:0"] = kernel
    return path


def other_file(tmp_path: Path) -> Path:
    other = tmp_path / "elsewhere" / "other.h5"
    other.parent.mkdir()
    with h5py.File(other, "w") as f:
        f["k"] = np.full((2, 3), 7.0, np.float32)
    return other


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_an_external_link_out_of_an_h5_is_refused_by_name(tmp_path, how):
    other = other_file(tmp_path)
    target = str(other) if how == "absolute" else "../" + str(other.relative_to(tmp_path.parent))
    model = tmp_path / "model" / "m.h5"
    model.parent.mkdir()
    legacy_model(model, h5py.ExternalLink(target, "/k"))
    refused(model, "model_weights/d/d/kernel:0", "external link", "other.h5")


def test_a_virtual_dataset_is_refused_even_with_its_source_missing(tmp_path):
    other = other_file(tmp_path)

    def virtual(group, name):
        layout = h5py.VirtualLayout(shape=(2, 3), dtype="f4")
        layout[:] = h5py.VirtualSource(str(other), "k", shape=(2, 3))
        group.create_virtual_dataset(name, layout)

    model = legacy_model(tmp_path / "m.h5", virtual)
    refused(model, "virtual dataset")
    other.unlink()  # missing source: HDF5 would read fill values
    refused(model, "virtual dataset")


def test_external_raw_storage_is_refused(tmp_path):
    raw = tmp_path / "raw.bin"
    raw.write_bytes(np.full(6, 7.0, np.float32).tobytes())
    model = legacy_model(tmp_path / "m.h5",
                         lambda g, n: g.create_dataset(n, shape=(2, 3), dtype="f4", external=[(str(raw), 0, 24)]))
    refused(model, "external file", "raw.bin")


def test_a_kernel_declared_huge_and_never_written_is_refused_before_reading(tmp_path):
    model = legacy_model(tmp_path / "m.h5",
                         lambda g, n: g.create_dataset(n, shape=(200_000, 1_000_000), dtype="f4", chunks=(100, 100)))
    assert model.stat().st_size < 100_000  # a few KB that would ask for 745 GiB
    refused(model, "over the 2 GiB limit")
    small = legacy_model(tmp_path / "s.h5", lambda g, n: g.create_dataset(n, shape=(2, 3), dtype="f4", chunks=(1, 1)))
    refused(small, "never written")


def test_a_keras_archive_with_an_external_link_or_a_huge_kernel_is_refused(tmp_path):
    config = sequential("seq", [input_layer("input_layer", [2]), dense_layer("d", 3, "relu")])
    other = other_file(tmp_path)
    buf = weights_h5({"dense": ("d", [np.ones((2, 3), np.float32), np.zeros(3, np.float32)])})
    import io

    f = io.BytesIO(buf)
    with h5py.File(f, "a") as h5:
        del h5["layers/dense/vars/0"]
        h5["layers/dense/vars/0"] = h5py.ExternalLink(str(other), "/k")
    refused(keras_file(tmp_path / "link.keras", config, f.getvalue()), "model.weights.h5", "external link")
    f = io.BytesIO(buf)
    with h5py.File(f, "a") as h5:
        del h5["layers/dense/vars/0"]
        h5["layers/dense/vars"].create_dataset("0", shape=(100_000, 100_000), dtype="f4", chunks=(10, 10))
    refused(keras_file(tmp_path / "huge.keras", config, f.getvalue()), "over the 2 GiB limit")


# -- .npz and .npy: declared sizes, after conversion -------------------------------------------
def test_an_npz_whose_int8_array_becomes_gigabytes_of_float64_is_refused_unread(tmp_path):
    """300 MB of int8 zeros compress to a few hundred KB; as float64 they would take 2.2 GiB."""
    from numpy.lib import format as npy

    path = tmp_path / "bomb.npz"
    n = 300_000_000
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("layers/0/W.npy", "w", force_zip64=True) as fh:
            npy.write_array_header_1_0(fh, {"descr": "|i1", "fortran_order": False, "shape": (n // 2, 2)})
            chunk = bytes(1 << 22)
            for _ in range(n // len(chunk)):
                fh.write(chunk)
            fh.write(bytes(n % len(chunk)))
        zf.writestr("layers/0/b.npy", b"")
    assert path.stat().st_size < 2_000_000
    refused(path, "layers/0/W", "int8", "over the 2 GiB limit")


def test_an_npy_header_that_lies_about_its_size_is_refused(tmp_path):
    from numpy.lib import format as npy

    path = tmp_path / "lie.npy"
    with open(path, "wb") as fh:
        npy.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (1000, 1000)})
        fh.write(bytes(80))
    net = load_network(SAMPLES / "xor.json")
    from neurodebug.io.inputs import read_inputs

    with pytest.raises(NetworkFileError, match="declares 1,000,000 values"):
        read_inputs(path, net)


# -- every parameter finite after folding ----------------------------------------------------
def keras_leaky(tmp_path: Path, slope: object) -> Path:
    config = sequential("seq", [input_layer("input_layer", [2]), dense_layer("d", 3),
                                layer("LeakyReLU", "leaky", negative_slope=slope)])
    buf = weights_h5({"dense": ("d", [np.ones((2, 3), np.float32), np.zeros(3, np.float32)])})
    return keras_file(tmp_path / "leaky.keras", config, buf)


def test_a_nan_leaky_relu_slope_is_refused(tmp_path):
    path = keras_leaky(tmp_path, float("nan"))
    refused(path, "leaky", "slope alpha must be a finite number")


def onnx_gemm(tmp_path: Path, **attrs) -> Path:
    w = {"W": np.ones((3, 2), np.float32) * 10, "b": np.ones(3, np.float32)}
    nodes = [node("Gemm", ["x", "W", "b"], "g", "/fc/Gemm", transB=1, **attrs)]
    return save(tmp_path / "gemm.onnx", nodes, w, ["batch", 2], out="g")


@pytest.mark.parametrize(("attrs", "words"), [
    ({"alpha": float("nan")}, "alpha = nan is not a finite number"),
    ({"beta": float("inf")}, "beta = inf is not a finite number"),
    ({"alpha": 1e38}, "alpha = 1e+38 times the weights overflows float32"),
])
def test_gemm_factors_that_are_not_finite_or_overflow_are_refused(tmp_path, attrs, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way
        refused(onnx_gemm(tmp_path, **attrs), "/fc/Gemm", words)


def test_an_onnx_leaky_relu_alpha_nan_is_refused(tmp_path):
    w = {"W": np.ones((3, 2), np.float32), "b": np.ones(3, np.float32)}
    nodes = [node("Gemm", ["x", "W", "b"], "g", "/fc/Gemm", transB=1),
             node("LeakyRelu", ["g"], "y", "/act/LeakyRelu", alpha=float("nan"))]
    refused(save(tmp_path / "leaky.onnx", nodes, w, ["batch", 2]), "/act/LeakyRelu", "finite number")


def test_a_network_with_a_nan_weight_saves_and_reads_back(tmp_path, capsys):
    net = load_network(SAMPLES / "xor.json")
    net.layers[0].W[0, 0] = np.nan
    net.layers[1].b[0] = -np.inf
    out = write_json_network(net, tmp_path / "nan.json")
    again = load_network(out)
    assert np.isnan(again.layers[0].W[0, 0]) and again.layers[1].b[0] == -np.inf
    assert main(["convert", str(out), "-o", str(tmp_path / "again.json")]) == 0
    assert main(["check", str(tmp_path / "again.json")]) == 1


# -- no hang, no traceback --------------------------------------------------------------------
def test_csv_labels_nan_and_inf_are_refused(tmp_path, capsys):
    for cell in ("nan", "inf", "-inf", "1e400"):
        csv = tmp_path / "in.csv"
        csv.write_text(f"x1,x2,label\n1,0,{cell}\n")
        exits_2(capsys, ["check", str(SAMPLES / "xor.json"), "--inputs", str(csv)], "line 2, column 'label'")


def test_onnx_external_data_with_a_nul_in_its_location(tmp_path, capsys):
    path = onnx_gemm(tmp_path)
    model = onnx.load(path)
    tensor = model.graph.initializer[0]
    tensor.data_location = TensorProto.EXTERNAL
    del tensor.external_data[:]
    tensor.external_data.add(key="location", value="w\x00.bin")
    tensor.ClearField("raw_data")
    onnx.save(model, path)
    err = exits_2(capsys, ["check", str(path)], "gemm.onnx", "initializer 'W'", "not a valid file name")
    assert "\x00" not in err and "\\x00" in err


def test_missing_onnx_external_data_names_the_model(tmp_path, capsys):
    path = onnx_gemm(tmp_path)
    model = onnx.load(path)
    onnx.external_data_helper.convert_model_to_external_data(model, location="weights.bin", size_threshold=0)
    onnx.save(model, path)
    (tmp_path / "weights.bin").unlink()
    exits_2(capsys, ["check", str(path)], "gemm.onnx: initializer", "external data file 'weights.bin': no such file")


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@needs_fifo
def test_a_fifo_with_no_writer_is_refused_not_waited_on(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(io_files, "PIPE_WRITER_WAIT", 0.1)  # the error is the point, not the wait
    fifo = tmp_path / "net.json"
    os.mkfifo(fifo)
    exits_2(capsys, ["check", str(fifo)], "net.json", "no writer")


@needs_fifo
def test_a_fifo_as_binary_model_or_external_data_is_refused(tmp_path, capsys):
    fifo = tmp_path / "model.keras"
    os.mkfifo(fifo)
    exits_2(capsys, ["check", str(fifo)], "is a pipe")
    path = onnx_gemm(tmp_path)
    model = onnx.load(path)
    onnx.external_data_helper.convert_model_to_external_data(model, location="weights.bin", size_threshold=0)
    onnx.save(model, path)
    (tmp_path / "weights.bin").unlink()
    os.mkfifo(tmp_path / "weights.bin")
    exits_2(capsys, ["check", str(path)], "gemm.onnx: initializer", "is a pipe")


@needs_fifo
def test_reading_a_silent_pipe_can_be_cancelled(tmp_path):
    """A writer that opens the pipe and says nothing: the read waits, and gives
    up when the app quitting cancels it (here from another thread)."""
    from neurodebug.io.files import allow_reads, cancel_reads, read_bytes

    fifo = tmp_path / "slow.json"
    os.mkfifo(fifo)
    writer_open = threading.Event()
    release = threading.Event()

    def writer() -> None:
        fd = os.open(fifo, os.O_RDWR)  # a writer (and a reader) that never writes
        writer_open.set()
        release.wait()
        os.close(fd)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    writer_open.wait()
    canceller = threading.Timer(0.2, cancel_reads)
    canceller.start()
    try:
        with pytest.raises(NetworkFileError, match="cancelled"):
            read_bytes(fifo)
    finally:
        allow_reads()
        release.set()
        t.join()


def test_inputs_from_a_pipe_are_read_whole():
    csv = b"x1,x2,label\n0,0,0\n1,1,0\n"
    proc = subprocess.run([sys.executable, "-m", "neurodebug", "check", str(SAMPLES / "xor.json"),
                           "--inputs", "/dev/stdin"], input=csv, capture_output=True, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    assert b"2 samples" in proc.stdout


def test_a_large_csv_is_read_as_arrays(tmp_path):
    """200,000 rows go through NumPy's parser (linear; timed in benchmarks/, not here)."""
    rng = np.random.default_rng(5)
    x = np.round(rng.normal(size=(200_000, 2)), 4)
    lines = "\n".join(f"{a:.4f},{b:.4f},{int(a > 0)}" for a, b in x)
    path = tmp_path / "big.csv"
    path.write_text("temperature,duration,label\n" + lines + "\n")
    from neurodebug.io.inputs import read_inputs

    samples = read_inputs(path, load_network(SAMPLES / "coffee_roasting.json"))
    assert len(samples) == 200_000
    np.testing.assert_allclose(samples.x, x)
    assert samples.labels is not None and samples.labels.sum() == int((x[:, 0] > 0).sum())


# -- messages that are one printable line -------------------------------------------------------
def test_a_file_name_with_an_escape_sequence_is_printed_escaped(tmp_path, capsys):
    evil = tmp_path / "evil\x1b[2J.json"
    evil.write_text("{")
    err = exits_2(capsys, ["check", str(evil)])
    assert "\x1b" not in err and "\\x1b[2J" in err


def test_a_nul_in_a_csv_value_is_printed_escaped(tmp_path, capsys):
    csv = tmp_path / "in.csv"
    csv.write_bytes(b"x1,x2\n1,2\x003\n")
    err = exits_2(capsys, ["check", str(SAMPLES / "xor.json"), "--inputs", str(csv)], "line 2")
    assert "\x00" not in err and "\\x00" in err


def test_the_size_limit_message_tells_the_sizes_apart(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    path.write_bytes(b" " * 1025)
    with pytest.raises(NetworkFileError) as err:
        io_files.read_bytes(path, limit=1024)
    assert "1,025 bytes, over the 1,024-byte limit" in str(err.value)
    from neurodebug.io.errors import over_limit

    assert over_limit("the file is", 3 * 1024**3, 2 * 1024**3) == "the file is 3 GiB, over the 2 GiB limit"


def test_a_duplicate_json_key_names_its_line(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text('{"layers": [\n  {"activation": "relu",\n   "W": [[1]], "b": [0],\n   "W": [[2]]}\n]}')
    refused(path, "line 4", "duplicate field 'W'")


def test_a_json_integer_too_long_for_python_is_a_number_not_a_traceback(tmp_path):
    digits = "9" * 5000  # past Python's 4300-digit int conversion limit
    doc = json.loads((SAMPLES / "xor.json").read_text())
    text = json.dumps(doc).replace('"W": [[1,', f'"W": [[{digits},', 1)
    path = tmp_path / "big.json"
    path.write_text(text)
    net = load_network(path)  # a weight: read like 1e999, as +∞
    assert net.layers[0].W[0, 0] == np.inf
    doc["normalization"] = {"mean": [0, 0], "std": [1, 1]}
    path.write_text(json.dumps(doc).replace('"mean": [0', f'"mean": [{digits}'))
    refused(path, "normalization.mean[0]", "finite")

# -- names from a file never act on the screen ---------------------------------------------------
async def test_names_with_markup_and_escape_sequences_are_shown_as_text(tmp_path, monkeypatch):
    from neurodebug import Session
    from neurodebug.tui.app import NeurodebugApp
    from tui_helpers import press, screen_text

    doc = json.loads((SAMPLES / "xor.json").read_text())
    doc["name"] = "[/bold] net \x1b[2J"
    doc["features"] = ["[red]a[/]", "b\x1b]0;title\x07"]
    doc["layers"][0]["name"] = "[/x] hidden"
    doc["samples"][0]["name"] = "[link=http://x]s[/link]\x00"
    path = tmp_path / "evil [1].json"
    path.write_text(json.dumps(doc))
    monkeypatch.chdir(tmp_path)
    app = NeurodebugApp(Session(load_network(path)), path=Path(path.name))
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "n", "N", "e", "escape", "x", "escape", "ctrl+p", *"hidden", "enter",
                    "n", "e", *"2", "enter", "s", "4", "q")
        text = screen_text(app)
        assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
        assert "[/x] hidden" in text or "[red]a[/]" in text
        await press(pilot, "s")  # save and quit
    assert app.return_code == 0


def test_a_huge_value_or_name_quoted_in_an_error_is_shown_by_its_ends(tmp_path, capsys):
    """A label cell of 5,000 digits, a column name of 100,000 characters: the error stays one short line."""
    net = tmp_path / "net.json"
    net.write_text(json.dumps({"layers": [{"activation": "sigmoid", "W": [[1.0], [2.0]], "b": [0.0]}]}))
    rows = tmp_path / "rows.csv"
    rows.write_text("x1,x2,label\n1,2," + "7" * 5000 + "\n")
    assert main(["check", str(net), "--inputs", str(rows)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(": line 2, column 'label': class " + "7" * 48 + "…(5,000 characters)…" + "7" * 12
                        + " out of range, expected 0..1")
    rows.write_text("x1," + "y" * 100_000 + "\n1,abc\n")
    assert main(["check", str(net), "--inputs", str(rows)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(": line 2, column '" + "y" * 47 + "…(100,002 characters)…" + "y" * 11 + "': 'abc' is not a number")
    assert len(err) < 500


def test_a_long_message_is_cut_and_counted():
    from neurodebug.io.errors import MESSAGE_CHARS

    words = " ".join(f"n{i}" for i in range(2000))
    text = str(NetworkFileError("net.json", "layers[0]", f"expected one of {words}"))
    assert text.startswith("net.json: layers[0]: expected one of n0 n1 ")
    assert text.endswith(" more characters)") and len(text) < MESSAGE_CHARS + 100
