"""neurodebug convert MODEL -o OUT: any model to our JSON (or .npz), names and float32 kept."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neurodebug.cli import main
from neurodebug.io import NetworkFileError, load_network
from neurodebug.io.convert import convert_file
from neurodebug.engine.trace import forward

FIXTURES = Path(__file__).parent / "fixtures"
MODELS = ["torch_mlp.onnx", "keras_sequential.keras", "keras_functional.h5"]


def same_network(a, b) -> None:
    assert [(l.name, l.activation, l.alpha) for l in a.layers] == [(l.name, l.activation, l.alpha) for l in b.layers]
    for la, lb in zip(a.layers, b.layers):
        assert la.W.dtype == lb.W.dtype and la.W.tobytes() == lb.W.tobytes()
        assert la.b.tobytes() == lb.b.tobytes()
    assert (a.normalization is None) == (b.normalization is None)
    x = np.random.default_rng(0).normal(size=(4, a.n_inputs)).astype(np.float32)
    if a.normalization is None:
        assert np.array_equal(forward(a, x), forward(b, x))
        return
    # The same numbers, but the JSON reader keeps normalisation in float64, so
    # the pass after it runs in float64: equal to float32 precision only.
    assert np.array_equal(a.normalization.mean, b.normalization.mean)
    assert np.array_equal(a.normalization.std, b.normalization.std)
    np.testing.assert_allclose(forward(a, x), forward(b, x), rtol=1e-6)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_conversion_is_lossless(tmp_path: Path, model: str, suffix: str) -> None:
    out = convert_file(FIXTURES / model, tmp_path / f"net{suffix}")
    assert out == tmp_path / f"net{suffix}"
    same_network(load_network(FIXTURES / model), load_network(out))


def test_json_output_keeps_layer_names_and_float32(tmp_path: Path) -> None:
    out = convert_file(FIXTURES / "keras_functional.h5", tmp_path / "net.json")
    doc = json.loads(out.read_text())
    assert doc["dtype"] == "float32"
    assert [layer["name"] for layer in doc["layers"]] == ["dense_a", "dense_b", "logit"]
    assert doc["layers"][0]["activation"] == "leaky_relu"


def test_existing_output_is_refused_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "net.json"
    out.write_text("precious")
    with pytest.raises(NetworkFileError, match="already exists; use --force to overwrite it"):
        convert_file(FIXTURES / "torch_mlp.onnx", out)
    assert out.read_text() == "precious"
    convert_file(FIXTURES / "torch_mlp.onnx", out, overwrite=True)
    assert load_network(out).n_outputs == 3


def test_the_model_itself_is_never_overwritten(tmp_path: Path) -> None:
    model = tmp_path / "net.json"
    convert_file(FIXTURES / "torch_mlp.onnx", model)
    before = model.read_bytes()
    with pytest.raises(NetworkFileError, match="is the model being converted"):
        convert_file(model, model, overwrite=True)
    assert model.read_bytes() == before


def test_unknown_output_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NetworkFileError, match="must end in .json or .npz"):
        convert_file(FIXTURES / "torch_mlp.onnx", tmp_path / "net.onnx")


def test_unwritable_output_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(NetworkFileError, match="cannot write the file"):
        convert_file(FIXTURES / "torch_mlp.onnx", tmp_path / "no such folder" / "net.json")


def test_bad_model_is_a_file_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(NetworkFileError):
        convert_file(bad, tmp_path / "net.json")
    assert not (tmp_path / "net.json").exists()


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "net.json"
    assert main(["convert", str(FIXTURES / "keras_sequential.keras"), "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert main(["convert", str(FIXTURES / "keras_sequential.keras"), "-o", str(out)]) == 2
    assert "already exists; use --force" in capsys.readouterr().err
    assert main(["convert", str(FIXTURES / "keras_sequential.keras"), "-o", str(out), "--force"]) == 0
    net = load_network(out)
    assert [l.name for l in net.layers] == ["hidden", "probs"] and net.normalization is not None


@pytest.mark.parametrize(("name", "words"), [("model.pt", "torch.onnx.export"), ("weights.pkl", "never loaded")])
def test_pickle_based_files_are_explained_not_opened(tmp_path: Path, name: str, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 a torch zip or a pickle")
    with pytest.raises(NetworkFileError, match=words):
        load_network(path)
