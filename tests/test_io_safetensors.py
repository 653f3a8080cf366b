"""PyTorch state_dicts as .safetensors: Linear layers with the activations
given on the command line, torch's outputs, and hostile headers refused."""

from __future__ import annotations

import json
import struct
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neurodebug.cli import main
from neurodebug.engine.trace import forward
from neurodebug.io import NetworkFileError, load_network
from neurodebug.io.safetensors_format import natural_key

FIXTURES = Path(__file__).parent / "fixtures"
MADE = ["torch_mlp.safetensors", "torch_nobias.safetensors", "torch_float64.safetensors", "torch_bf16.safetensors"]


def expected(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    return doc


def write(path: Path, tensors: dict[str, np.ndarray], header: dict[str, Any] | None = None,
          raw_header: bytes | None = None, length: int | None = None, data: bytes | None = None) -> Path:
    """A safetensors file as the format defines it; ``header``/``raw_header``/``length`` override the parts."""
    doc: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    buf = b""
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        code = {"float32": "F32", "float64": "F64", "float16": "F16"}[str(arr.dtype)]
        doc[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [len(buf), len(buf) + arr.nbytes]}
        buf += arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    if header is not None:
        doc.update(header)
    raw = raw_header if raw_header is not None else json.dumps(doc).encode()
    path.write_bytes(struct.pack("<Q", len(raw) if length is None else length) + raw + (buf if data is None else data))
    return path


def mlp(tmp_path: Path, **kw: Any) -> Path:
    rng = np.random.default_rng(1)
    t = {"0.weight": rng.normal(size=(8, 4)).astype(np.float32), "0.bias": np.zeros(8, np.float32),
         "2.weight": rng.normal(size=(3, 8)).astype(np.float32), "2.bias": np.ones(3, np.float32)}
    return write(tmp_path / "net.safetensors", t, **kw)


# -- files saved by torch + safetensors ------------------------------------------------------------
@pytest.mark.parametrize("name", MADE)
def test_torch_state_dict_gives_torch_outputs(name: str) -> None:
    e = expected(name)
    net = load_network(FIXTURES / name, e["activations"])
    assert [l.name for l in net.layers] == e["layers"]
    assert [l.activation for l in net.layers] == [a.split(":")[0] for a in e["activations"].split(",")]
    x = np.array(e["x"])
    np.testing.assert_allclose(forward(net, x), np.array(e["y"]), rtol=1e-5, atol=1e-7)


def test_weights_are_transposed_and_dtypes_kept() -> None:
    net = load_network(FIXTURES / "torch_mlp.safetensors", "relu,relu,softmax")
    assert [(l.n_inputs, l.units) for l in net.layers] == [(4, 8), (8, 8), (8, 3)]
    assert all(l.W.dtype == np.float32 for l in net.layers)
    assert load_network(FIXTURES / "torch_float64.safetensors", "relu,softmax").layers[0].W.dtype == np.float64
    assert load_network(FIXTURES / "torch_bf16.safetensors", "relu,softmax").layers[0].W.dtype == np.float32


def test_bias_false_gives_zeros_and_parameters_are_read() -> None:
    net = load_network(FIXTURES / "torch_nobias.safetensors", "tanh,leaky_relu:0.1,sigmoid")
    assert not net.layers[0].b.any() and net.layers[0].b.shape == (8,)
    assert net.layers[1].params == {"alpha": 0.1}


def test_natural_sort() -> None:
    names = ["layers.10", "fc10", "layers.2", "fc2", "fc1"]
    assert sorted(names, key=natural_key) == ["fc1", "fc2", "fc10", "layers.2", "layers.10"]


def test_float16_and_named_parameters(tmp_path: Path) -> None:
    w = np.arange(6, dtype=np.float16).reshape(3, 2)
    path = write(tmp_path / "h.safetensors", {"lin.weight": w})
    net = load_network(path, "clip:max=2")
    assert net.layers[0].W.dtype == np.float32 and net.layers[0].W.shape == (2, 3)
    assert net.layers[0].params["max"] == 2


# -- the activations -------------------------------------------------------------------------------
def test_without_activations_says_how_to_give_them(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "torch_mlp.safetensors"
    with pytest.raises(NetworkFileError) as err:
        load_network(path)
    assert str(err.value) == (f"{path}: holds weights but no architecture: give the activations, "
                              "e.g. --activations relu,relu,softmax (one per Linear layer, 3 here)")
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().err
    assert out.count("\n") == 1 and "--activations relu,relu,softmax" in out


@pytest.mark.parametrize("given, words", [
    ("relu,softmax", ["gives 2 activations", "3 Linear layers (0, 2, 4)", "e.g. --activations relu,relu,softmax"]),
    ("relu,relu,relu,softmax", ["gives 4 activations"]),
    ("relu,,softmax", ["gives 2 activations"]),
    ("relu,rleu,softmax", ['unknown activation "rleu" for layer 2', "supported:"]),
    ("relu,leaky_relu:x,softmax", ["alpha = 'x' is not a number"]),
    ("relu,relu:1,softmax", ["relu takes no parameters"]),
    ("relu,clip:3:1,softmax", ["clip needs min < max"]),
])
def test_mismatched_activations_are_one_line(capsys: pytest.CaptureFixture[str], given: str, words: list[str]) -> None:
    path = str(FIXTURES / "torch_mlp.safetensors")
    assert main(["check", path, "--activations", given]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "--activations" in err, err
    for w in words:
        assert w in err, err


def test_activations_for_another_format_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    sample = Path(__file__).resolve().parents[1] / "sample_networks" / "coffee_roasting.json"
    assert main(["check", str(sample), "--activations", "relu"]) == 2
    assert "only a .safetensors file takes them" in capsys.readouterr().err


# -- the commands ----------------------------------------------------------------------------------
def test_check_and_trace_with_activations(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "torch_mlp.safetensors")
    x = ",".join(f"{v:.6g}" for v in expected("torch_mlp.safetensors")["x"][0])
    assert main(["check", path, "--activations", "relu,relu,softmax"]) == 0
    out = capsys.readouterr().out
    assert "valid: 3 layers" in out and "0 4×8 relu" in out and "4 8×3 softmax" in out
    assert main(["trace", path, "--activations", "relu,relu,softmax", "--input", x, "--per-layer"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("torch_mlp: ") and "softmax" in out


def test_trace_json_matches_torch(capsys: pytest.CaptureFixture[str]) -> None:
    e = expected("torch_mlp.safetensors")
    x = ",".join(repr(float(v)) for v in e["x"][0])
    assert main(["trace", str(FIXTURES / "torch_mlp.safetensors"), "--activations", e["activations"],
                 "--input", x, "--per-layer", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)["outputs"]
    np.testing.assert_allclose(got, e["y"][0], rtol=1e-5, atol=1e-7)


def test_convert_with_activations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "net.json"
    assert main(["convert", str(FIXTURES / "torch_nobias.safetensors"), "-o", str(out),
                 "--activations", "tanh,leaky_relu:0.1,sigmoid"]) == 0
    net = load_network(out)
    assert [l.activation for l in net.layers] == ["tanh", "leaky_relu", "sigmoid"]
    assert net.layers[1].params == {"alpha": 0.1}
    capsys.readouterr()


# -- hostile files ---------------------------------------------------------------------------------
def refused(path: Path, *words: str, activations: str = "relu,softmax") -> str:
    with pytest.raises(NetworkFileError) as err:
        load_network(path, activations)
    text = str(err.value)
    assert "\n" not in text and "\x1b" not in text and path.name in text, text
    for w in words:
        assert w in text, text
    return text


def test_header_length_over_the_file(tmp_path: Path) -> None:
    refused(mlp(tmp_path, length=10_000), "declares 9.77 KiB of header but the file is")


def test_header_over_100_mb(tmp_path: Path) -> None:
    refused(mlp(tmp_path, length=2**63), "over the 100 MiB limit")


def test_too_short(tmp_path: Path) -> None:
    p = tmp_path / "short.safetensors"
    p.write_bytes(b"\x01\x02")
    refused(p, "too short")


@pytest.mark.parametrize("entry, words", [
    ({"0.weight": {"dtype": "F32", "shape": [8, 4], "data_offsets": [0, 10**9]}}, ["data_offsets", "within"]),
    ({"0.weight": {"dtype": "F32", "shape": [8, 4], "data_offsets": [-4, 124]}}, ["data_offsets"]),
    ({"0.weight": {"dtype": "I64", "shape": [8, 4], "data_offsets": [0, 256]}}, ["dtype I64 is not read"]),
    ({"0.weight": {"dtype": "F32", "shape": [8, 5], "data_offsets": [0, 128]}}, ["takes 160 bytes but data_offsets span 128"]),
    ({"0.bias": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}, ["overlaps"]),
    ({"0.weight": {"dtype": "F32", "shape": "8x4", "data_offsets": [0, 128]}}, ["not a list of sizes"]),
    ({"0.weight": [1, 2]}, ['expected {"dtype"']),
    ({"__metadata__": [1]}, ["__metadata__"]),
    ({"0.running_mean": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}, ["not a Linear layer's weight or bias"]),
])
def test_bad_entries(tmp_path: Path, entry: dict[str, Any], words: list[str]) -> None:
    refused(mlp(tmp_path, header=entry), *words)


def test_huge_declared_shape_is_refused_before_allocating(tmp_path: Path) -> None:
    n = 2**40
    head = {"0.weight": {"dtype": "F64", "shape": [n, n], "data_offsets": [0, 128]}}
    tracemalloc.start()
    try:
        refused(mlp(tmp_path, header=head), "0.weight")
        assert tracemalloc.get_traced_memory()[1] < 8 * 1024**2
    finally:
        tracemalloc.stop()


def test_huge_offsets_past_the_data(tmp_path: Path) -> None:
    head = {"0.weight": {"dtype": "F32", "shape": [2**30, 4], "data_offsets": [0, 2**32]}}
    refused(mlp(tmp_path, header=head), "0.weight", "data_offsets")


@pytest.mark.parametrize("raw, words", [
    (b'{"a.weight": 1, "a.weight": 2}', ["a.weight", "appears twice"]),
    (b'{"\xff\xfe": 1}', ["is not UTF-8"]),
    (b'{"x": NaN}', ["NaN"]),
    (b"[1, 2]", ["expected a JSON object"]),
    (b"{" * 100_000, ["not valid JSON"]),
    (b'{"\\u001b[31mred.weight": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}, "\\u001b[31mred.weight": 0}',
     ["\\x1b[31mred.weight", "appears twice"]),
    (b"{}", ["holds no tensors"]),
])
def test_bad_headers(tmp_path: Path, raw: bytes, words: list[str]) -> None:
    refused(mlp(tmp_path, raw_header=raw), *words)


def test_data_cut_short(tmp_path: Path) -> None:
    refused(mlp(tmp_path, data=b"\0" * 16), "data_offsets")


def test_bias_without_weight_and_bad_chain(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    t = {"0.weight": rng.normal(size=(8, 4)), "0.bias": np.zeros(8), "2.bias": np.zeros(3)}
    refused(write(tmp_path / "a.safetensors", t), "2.bias", "no 2.weight")
    t = {"0.weight": rng.normal(size=(8, 4)), "2.weight": rng.normal(size=(3, 5))}
    refused(write(tmp_path / "b.safetensors", t), "2.weight", "take 5 inputs but the previous layer 0 has 8 units")
    t = {"0.weight": rng.normal(size=(8, 4)), "0.bias": np.zeros(4)}
    refused(write(tmp_path / "c.safetensors", t), "0.bias", "has 4 values, expected 8", activations="relu")


def test_hostile_via_cli_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = mlp(tmp_path, length=2**40)
    assert main(["check", str(path), "--activations", "relu,softmax"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "net.safetensors" in err


def test_debugger_options_take_activations() -> None:
    """The debugger's loader goes through open_session with the main parser's options."""
    from neurodebug.cli import build_parsers, open_session

    path = FIXTURES / "torch_mlp.safetensors"
    args = build_parsers()[0].parse_args([str(path), "--activations", "relu,relu,softmax"])
    session = open_session(args, path, zeros_if_empty=True)
    assert session.network.n_inputs == 4 and session.network.n_outputs == 3
    assert session.network.name == "torch_mlp"


def test_nan_weights_open_for_the_health_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = np.ones((2, 3), np.float32)
    w[1, 2] = np.nan
    path = write(tmp_path / "nan.safetensors", {"out.weight": w})
    assert main(["check", str(path), "--activations", "linear", "--input", "1,2,3"]) == 1
    assert "NaN" in capsys.readouterr().out


def test_names_are_shown_escaped(tmp_path: Path) -> None:
    path = write(tmp_path / "esc.safetensors", {"\x1b[2Jfc.weight": np.ones((2, 2), np.float32)})
    net = load_network(path, "relu")
    assert net.layers[0].name == "\\x1b[2Jfc"
    text = refused(path, "\\x1b[2Jfc", activations="relu,relu")
    assert "\x1b" not in text


def test_found_by_content_without_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "weights"
    path.write_bytes((FIXTURES / "torch_mlp.safetensors").read_bytes())
    assert [l.units for l in load_network(path, "relu,relu,softmax").layers] == [8, 8, 3]
    with pytest.raises(NetworkFileError, match="holds weights but no architecture"):
        load_network(path)
