"""Every bad input gets one clear line: the file, the place, what was expected.

One test per case of issue 2 §6. Each checks the NetworkFileError message from
``load_network`` and that the command line prints that one line on stderr and
exits 2, with no traceback.
"""

from __future__ import annotations

import builtins
import json
import math
import threading
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurodebug import NetworkFileError, load_network
from neurodebug.cli import main
from neurodebug.engine import SUPPORTED_ACTIVATIONS
from neurodebug.engine.trace import forward

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"

HIDDEN = {"name": "hidden", "activation": "sigmoid", "W": [[1, -0.5], [-2, 3]], "b": [0.5, 1]}
OUT = {"name": "out", "activation": "sigmoid", "W": [[0.7], [-1.2]], "b": [0.1]}
GOOD = {"layers": [HIDDEN, OUT], "samples": [{"name": "seed", "x": [200, 17], "label": 1}]}


def write(tmp_path: Path, content: Any, name: str = "net.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(NetworkFileError) as info:
        load_network(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    return message


def cli_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI in-process; it must exit 2 with one line on stderr."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert lines[0].startswith("neurodebug: error: ")
    return lines[0]


def assert_reported(capsys, path: Path, *fragments: str) -> str:
    """The loader's message holds every fragment, and trace and check print it."""
    message = load_error(path)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    for argv in (["trace", str(path)], ["check", str(path)]):
        line = cli_error(capsys, argv)
        assert message in line, line
    return message


def layers(*docs: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"layers": list(docs), **top}


# -- the file itself -----------------------------------------------------------------
def test_missing_file(tmp_path, capsys) -> None:
    assert_reported(capsys, tmp_path / "nowhere.json", "no such file")


def test_a_directory(tmp_path, capsys) -> None:
    folder = tmp_path / "net.json"
    folder.mkdir()
    assert_reported(capsys, folder, "is a directory, expected a network file")


def test_unreadable_file(tmp_path, capsys) -> None:
    path = write(tmp_path, GOOD)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read a mode-000 file (root)")
        assert_reported(capsys, path, "cannot read the file", "permission denied")
    finally:
        path.chmod(0o644)


def test_unreadable_file_as_root_too(tmp_path, capsys, monkeypatch) -> None:
    # Root reads a mode-000 file, so fake the two ways reading can be refused.
    path = write(tmp_path, GOOD)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if Path(p) == path else real_access(p, mode, *a, **k))
    assert_reported(capsys, path, "cannot read the file", "permission denied")
    monkeypatch.setattr(os, "access", real_access)

    real_open = builtins.open

    def refuse(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(Path, "read_bytes", lambda self: refuse(self))
    assert_reported(capsys, path, "cannot read the file", "Permission denied")


def test_not_utf8(tmp_path, capsys) -> None:
    path = write(tmp_path, b'{"layers": [\xff]}')
    assert_reported(capsys, path, "line 1:13", "not UTF-8", "0xff", "expected a JSON file")


def test_latin1_text_on_a_later_line(tmp_path, capsys) -> None:
    path = write(tmp_path, '{\n  "name": "caf\u00e9"\n}'.encode("latin-1"))
    assert_reported(capsys, path, "line 2:15", "not UTF-8")


def test_json_syntax_error_has_line_and_column(tmp_path, capsys) -> None:
    path = write(tmp_path, '{\n  "layers": [\n    {"activation": "relu",}\n  ]\n}')
    assert_reported(capsys, path, "line 3:27", "JSON syntax error", "property name")


def test_empty_file(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, ""), "empty", "expected a JSON network")


# -- the document ----------------------------------------------------------------------
def test_missing_field(tmp_path, capsys) -> None:
    hidden = {k: v for k, v in HIDDEN.items() if k != "activation"}
    message = assert_reported(capsys, write(tmp_path, layers(hidden, OUT)),
                              "layers[0] (hidden)", "missing field 'activation'")
    for name in SUPPORTED_ACTIVATIONS:
        assert name in message


def test_missing_layers(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, {"samples": []}), "top level", "missing field 'layers'")


def test_missing_bias(tmp_path, capsys) -> None:
    hidden = {k: v for k, v in HIDDEN.items() if k != "b"}
    assert_reported(capsys, write(tmp_path, layers(hidden, OUT)),
                    "layers[0] (hidden)", "missing field 'b'", "2 numbers")


def test_missing_weights(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, layers({"name": "hidden", "activation": "relu"})),
                    "layers[0] (hidden)", "missing field 'W'", "'neurons'")


def test_wrong_type(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, layers({**HIDDEN, "b": "zero"}, OUT)),
                    "layers[0] (hidden).b", "expected a list of numbers", 'got the string "zero"')


def test_wrong_type_inside_a_matrix(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, layers({**HIDDEN, "W": [[1, "2"], [3, 4]]}, OUT)),
                    "layers[0] (hidden).W[0][1]", "expected a number", 'the string "2"')


def test_wrong_type_boolean_is_not_a_number(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, layers({**HIDDEN, "b": [True, 1]}, OUT)),
                    "layers[0] (hidden).b[0]", "expected a number, got true")


def test_ragged_matrix(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, layers({**HIDDEN, "W": [[1, 2], [3]]}, OUT)),
                    "layers[0] (hidden).W", "ragged", "row 1 has 1", "row 0 has 2")


def test_rows_not_matching_previous_units(tmp_path, capsys) -> None:
    message = assert_reported(capsys, write(tmp_path, layers(HIDDEN, {**OUT, "W": [[1], [2], [3]]})),
                              "layers[1] (out).W", "3 rows", "2 units", "expected 2 rows")
    assert "hidden" in message


def test_transposed_matrix_gets_a_hint(tmp_path, capsys) -> None:
    second = {**OUT, "activation": "relu", "W": [[1, 2, 3], [4, 5, 6]], "b": [0, 0, 0]}
    third = {"name": "three", "activation": "relu", "W": [[1, 2, 3]], "b": [0, 0, 0]}
    assert_reported(capsys, write(tmp_path, layers(HIDDEN, second, third)),
                    "layers[2] (three).W", "1 row", "3 units", "transposed", "inputs × units")


def test_neuron_weights_not_matching_previous_units(tmp_path, capsys) -> None:
    out = {"name": "out", "activation": "relu", "neurons": [{"w": [1, 2, 3], "b": 0}]}
    assert_reported(capsys, write(tmp_path, layers(HIDDEN, out)),
                    "layers[1] (out).neurons[0].w", "3 weights", "2 units", "expected 2")


def test_bias_length(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, layers({**HIDDEN, "b": [0.5]}, OUT)),
                    "layers[0] (hidden).b", "1 value", "expected 2", "one per unit")


def test_unknown_activation(tmp_path, capsys) -> None:
    message = assert_reported(capsys, write(tmp_path, layers({**HIDDEN, "activation": "sigmod"}, OUT)),
                              "layers[0] (hidden).activation", "unknown activation", '"sigmod"', "supported:")
    for name in SUPPORTED_ACTIVATIONS:
        assert name in message


@pytest.mark.parametrize(
    ("layer", "place", "words"),
    [
        ({"activation": "sigmoid", "alpha": 0.1}, "layers[0] (hidden).alpha",
         "only a leaky_relu, elu or hard_sigmoid layer takes 'alpha'"),
        ({"activation": "leaky_relu", "beta": 0.1}, "layers[0] (hidden).beta", "only a hard_sigmoid layer takes 'beta'"),
        ({"activation": "relu6", "max": 5}, "layers[0] (hidden).max", "only a clip layer takes 'max'"),
        ({"activation": "clip", "min": 1, "max": 1}, "layers[0] (hidden)", "clip needs min < max, got min = 1, max = 1"),
        ({"activation": "clip", "min": "0"}, "layers[0] (hidden).min", 'expected a number, got the string "0"'),
        ({"activation": "hard_sigmoid", "alpha": 0}, "layers[0] (hidden)", "hard_sigmoid needs a slope alpha > 0"),
        ({"activation": "elu", "alpha": "NaN"}, "layers[0] (hidden).alpha", 'expected a number, got the string "NaN"'),
    ],
    ids=["alpha-on-sigmoid", "beta-on-leaky", "max-on-relu6", "clip-order", "clip-string", "hard-sigmoid", "elu-nan"],
)
def test_activation_parameters(tmp_path, capsys, layer, place, words) -> None:
    message = assert_reported(capsys, write(tmp_path, layers({**HIDDEN, **layer}, OUT)), words)
    assert f": {place}: " in message


@pytest.mark.parametrize(
    ("text", "place", "value"),
    [
        ('{"layers": [{"name": "h", "activation": "relu", "W": [[1]], "b": [0]}],'
         ' "normalization": {"mean": [NaN], "std": [1]}}', "normalization.mean[0]", "nan"),
        ('{"layers": [{"name": "h", "activation": "relu", "W": [[1]], "b": [0]}],'
         ' "samples": [{"x": [Infinity]}]}', "samples[0] (\"sample 1\").x[0]", "inf"),
    ],
)
def test_non_finite_inputs_and_normalisation(tmp_path, capsys, text, place, value) -> None:
    assert_reported(capsys, write(tmp_path, text), place, f"expected a finite number, got {value}")


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        ('{"layers": [{"name": "h", "activation": "relu", "W": [[NaN]], "b": [0]}]}', ("W", (0, 0)), math.nan),
        ('{"layers": [{"name": "h", "activation": "relu", "W": [[1]], "b": ["Infinity"]}]}', ("b", (0,)), math.inf),
        ('{"layers": [{"name": "h", "activation": "relu", "W": [[1]], "b": [-Infinity]}]}', ("b", (0,)), -math.inf),
        ('{"layers": [{"name": "h", "activation": "relu", "neurons": [{"w": ["-Infinity"], "b": "NaN"}]}]}',
         ("W", (0, 0)), -math.inf),
    ],
)
def test_non_finite_weights_and_biases_load(tmp_path, text, where, expected) -> None:
    """A broken network is what the debugger is for: NaN and ±∞ parameters
    load (as strings, as neurodebug writes them, or as Python's extensions)."""
    net = load_network(write(tmp_path, text))
    field, index = where
    value = float(getattr(net.layers[0], field)[index])
    assert value == expected or (math.isnan(expected) and math.isnan(value))


def test_a_matrix_reads_the_same_at_numpy_speed_as_number_by_number(tmp_path) -> None:
    """Plain rows go to NumPy whole; what needs a closer look (a string
    "NaN", an integer beyond float64) number by number. Both read every
    number as float() does, to the last bit."""
    ints = [2**53 + 1, 2**63 + 1, -(2**64) - 3, 10**308, 0, -1]
    floats = [1.5, -0.0, 5e-324, 1.7976931348623157e308, 0.1, -2.5e-310]
    for extra in ([], ["NaN"], [10**400]):  # all plain; a string among them; an integer float() cannot hold
        width = len(ints) + len(extra)
        W = [ints + extra, floats + [0.0] * len(extra)]
        text = json.dumps({"layers": [{"name": "h", "activation": "relu", "W": W, "b": [0] * width}]})
        got = load_network(write(tmp_path, text)).layers[0].W
        with np.errstate(over="ignore"):
            want = np.array([[float(v) if not isinstance(v, int) or v < 2**1024 else math.inf for v in row]
                             for row in W])
        assert got.dtype == np.float64
        assert got.tobytes() == want.tobytes(), extra


def test_no_layers(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, {"layers": []}), "layers", "no layers", "at least one")


def test_sample_of_the_wrong_length(tmp_path, capsys) -> None:
    doc = {**GOOD, "samples": [{"name": "too long", "x": [200, 17, 3]}]}
    assert_reported(capsys, write(tmp_path, doc), 'samples[0] ("too long").x', "3 values", "expected 2",
                    "takes 2 inputs")


def test_label_out_of_range(tmp_path, capsys) -> None:
    doc = {**GOOD, "samples": [{"name": "s", "x": [1, 2], "label": 5}]}
    assert_reported(capsys, write(tmp_path, doc), 'samples[0] ("s").label', "class 5", "expected 0..1")


@pytest.mark.parametrize("label", ["NaN", "Infinity", "-Infinity", "1e400", "1.5", "true"])
def test_label_that_is_no_class_index(tmp_path, capsys, label) -> None:
    text = json.dumps(GOOD).replace('"label": 1', f'"label": {label}')
    assert_reported(capsys, write(tmp_path, text), 'samples[0] ("seed").label', "expected a class index")


def test_normalization_std_must_be_positive(tmp_path, capsys) -> None:
    doc = {**GOOD, "normalization": {"mean": [0, 0], "std": [1, 0]}}
    assert_reported(capsys, write(tmp_path, doc), "normalization.std[1]", "positive")


def test_unknown_field_suggests_the_right_one(tmp_path, capsys) -> None:
    hidden = {**{k: v for k, v in HIDDEN.items() if k != "activation"}, "actvation": "relu"}
    assert_reported(capsys, write(tmp_path, layers(hidden, OUT)), "layers[0]", "unknown field 'actvation'",
                    "did you mean 'activation'")


def test_duplicate_field(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, '{"layers": [], "layers": []}'), "duplicate field 'layers'")


def test_top_level_not_an_object(tmp_path, capsys) -> None:
    assert_reported(capsys, write(tmp_path, "[1, 2]"), "top level", "expected an object", "a list of 2")


def test_both_w_and_neurons(tmp_path, capsys) -> None:
    hidden = {**HIDDEN, "neurons": [{"w": [1, 2], "b": 0}]}
    assert_reported(capsys, write(tmp_path, layers(hidden, OUT)), "layers[0] (hidden)", "not both")


def test_error_text_is_safe_to_print(tmp_path, capsys) -> None:
    # A lone surrogate in the file (valid JSON) must not break printing the error.
    path = write(tmp_path, '{"layers": [{"name": "h\\ud800", "activation": "nope", "W": [[1]], "b": [0]}]}')
    message = load_error(path)
    message.encode("utf-8")
    assert "unknown activation" in message


# -- the command line's own input ---------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ("200,abc", ["--input", "value 2", "'abc'", "not a number", "200,17"]),
        ("200", ["--input", "1 values", "takes 2 inputs"]),
        ("200,17,3", ["--input", "3 values", "takes 2 inputs"]),
        ("200,nan", ["--input", "value 2", "not finite"]),
        ("200,,17", ["--input", "value 2", "not a number"]),
        ("", ["--input", "empty"]),
    ],
)
def test_malformed_input_option(capsys, value, fragments) -> None:
    line = cli_error(capsys, ["trace", str(SAMPLES / "seed_example.json"), "--input", value])
    for fragment in fragments:
        assert fragment in line, line


def test_unknown_sample_name(capsys) -> None:
    line = cli_error(capsys, ["trace", str(SAMPLES / "seed_example.json"), "--sample", "nope"])
    assert "'nope'" in line and "seed example" in line


def test_cli_subprocess_exits_2_without_traceback(tmp_path) -> None:
    path = write(tmp_path, layers(HIDDEN, {**OUT, "W": [[1], [2], [3]]}))
    for argv in (["trace", str(path)], ["check", str(path)], ["trace", str(tmp_path / "missing.json")]):
        proc = subprocess.run([sys.executable, "-m", "neurodebug", *argv], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc
        assert proc.stdout == ""
        lines = proc.stderr.splitlines()
        assert len(lines) == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        assert lines[0].startswith(f"neurodebug: error: {argv[1]}: ")


# -- the two ways of writing a layer ----------------------------------------------------------
def test_neurons_style_and_w_style_load_the_same(tmp_path) -> None:
    w_style = {
        "features": ["temperature", "duration"],
        "layers": [
            {"name": "layer1", "activation": "sigmoid", "W": [[1, -0.5], [-2, 3]], "b": [0.5, 1],
             "neuron_names": ["n1", "n2"]},
            {"name": "layer2", "activation": "softmax", "W": [[0.7, 0.1, -1], [-1.2, 2, 0]], "b": [0.1, 0, -0.2]},
        ],
        "samples": [{"name": "seed", "x": [200, 17]}, {"name": "other", "x": [-1, 0.5]}],
    }
    neurons_style = {
        "features": ["temperature", "duration"],
        "layers": [
            {"name": "layer1", "activation": "sigmoid", "neurons": [
                {"name": "n1", "w": [1, -2], "b": 0.5},
                {"name": "n2", "w": [-0.5, 3], "b": 1},
            ]},
            {"name": "layer2", "activation": "softmax", "neurons": [
                {"w": [0.7, -1.2], "b": 0.1},
                {"w": [0.1, 2], "b": 0},
                {"w": [-1, 0], "b": -0.2},
            ]},
        ],
        "samples": [{"name": "seed", "x": [200, 17]}, {"name": "other", "x": [-1, 0.5]}],
    }
    a = load_network(write(tmp_path, w_style, "w.json"))
    b = load_network(write(tmp_path, neurons_style, "neurons.json"))
    for la, lb in zip(a.layers, b.layers, strict=True):
        assert la.W.shape == lb.W.shape
        np.testing.assert_array_equal(la.W, lb.W)
        np.testing.assert_array_equal(la.b, lb.b)
        assert la.W.dtype == lb.W.dtype and la.b.dtype == lb.b.dtype
        assert la.neuron_names == lb.neuron_names
        assert (la.name, la.activation) == (lb.name, lb.activation)
    x = np.stack([s.x for s in a.samples])
    np.testing.assert_array_equal(forward(a, x), forward(b, x))


def test_neurons_must_agree_on_their_length_in_the_first_layer(tmp_path, capsys) -> None:
    first = {"name": "h", "activation": "relu", "neurons": [{"w": [1, 2], "b": 0}, {"w": [1], "b": 0}]}
    assert_reported(capsys, write(tmp_path, layers(first)), "layers[0] (h).neurons[1].w", "1 weight", "expected 2")


def test_float32_file_with_a_number_float32_cannot_hold(tmp_path, capsys) -> None:
    doc = {"dtype": "float32", "layers": [{**HIDDEN, "W": [[1, -0.5], [-2, 1e39]]}, OUT]}
    assert_reported(capsys, write(tmp_path, doc), "layers[0] (hidden).W[1][1]", "1e+39", "float32")
    out = {"name": "out", "activation": "relu", "neurons": [{"w": [1, 2], "b": -4e38}]}
    doc = {"dtype": "float32", "layers": [HIDDEN, out]}
    assert_reported(capsys, write(tmp_path, doc), "layers[1] (out).neurons[0].b", "float32")
    # The largest float32 itself is fine.
    doc = {"dtype": "float32", "layers": [{**HIDDEN, "b": [float(np.finfo(np.float32).max), 0]}]}
    assert load_network(write(tmp_path, doc)).layers[0].b[0] == np.finfo(np.float32).max


def test_a_layer_bias_beside_neurons_is_refused(tmp_path, capsys) -> None:
    # Each neuron carries its own b; a layer-level b here would be ignored.
    hidden = {"name": "hidden", "activation": "relu", "neurons": [{"w": [1, 2], "b": 0}], "b": [5]}
    assert_reported(capsys, write(tmp_path, layers(hidden)), "layers[0] (hidden)", "'neurons'", "not both")


def test_some_neurons_named_keeps_those_names(tmp_path) -> None:
    hidden = {"name": "hidden", "activation": "relu",
              "neurons": [{"name": "hot", "w": [1, 2], "b": 0}, {"w": [3, 4], "b": 0}]}
    net = load_network(write(tmp_path, layers(hidden)))
    assert net.layers[0].neuron_names == ["hot", "n2"]
    w_style = {**HIDDEN, "neuron_names": ["", "cold"]}
    net = load_network(write(tmp_path, layers(w_style), "w.json"))
    assert net.layers[0].neuron_names == ["n1", "cold"]


def test_a_device_is_not_read(tmp_path, capsys) -> None:
    # /dev/zero never ends: reading it whole would exhaust memory.
    link = tmp_path / "net.json"
    link.symlink_to("/dev/zero")
    assert_reported(capsys, link, "is a device", "expected a network file")


def test_a_nul_in_the_path(tmp_path) -> None:
    with pytest.raises(NetworkFileError, match="not a valid file name"):
        load_network(str(tmp_path / "a\0b.json"))


def _feed_fifo(path: Path, data: bytes) -> threading.Thread:

    def feed() -> None:
        try:
            with open(path, "wb") as fh:
                fh.write(data)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_read_and_bounded(tmp_path) -> None:
    from neurodebug.io.files import read_bytes

    fifo = tmp_path / "net.json"
    os.mkfifo(fifo)
    thread = _feed_fifo(fifo, json.dumps(GOOD).encode())
    net = load_network(fifo)
    thread.join(5)
    assert net.shape_summary() == "2-2-1"
    # A pipe has no size up front, so the limit is enforced while reading.
    thread = _feed_fifo(fifo, b"x" * 100)
    with pytest.raises(NetworkFileError, match="over the"):
        read_bytes(fifo, limit=10)
    thread.join(5)


def test_the_format_reference_examples_load(tmp_path) -> None:
    # Every complete document in docs/network-format.md is a valid file.
    import re

    doc_text = (SAMPLES.parent / "docs" / "network-format.md").read_text(encoding="utf-8")
    complete = [b for b in re.findall(r"```json\n(.*?)```", doc_text, re.S) if b.lstrip().startswith('{\n  "')]
    assert len(complete) >= 3
    for k, block in enumerate(complete):
        net = load_network(write(tmp_path, block, f"example{k}.json"))
        assert net.samples
        assert np.isfinite(forward(net, net.samples[0].x)).all()


def test_a_pipe_and_a_bom_file_without_extension_load(tmp_path) -> None:
    import os

    from neurodebug import load_network

    text = (SAMPLES / "xor.json").read_bytes()
    bom = tmp_path / "net"
    bom.write_bytes(b"\xef\xbb\xbf" + text)
    assert load_network(bom).name == "xor"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    import threading

    def feed() -> None:  # the writer end of the pipe
        with open(fifo, "wb") as fh:
            fh.write(text)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        assert load_network(fifo).name == "xor"
    finally:
        writer.join(timeout=10)


# -- issue 14: a normalisation given as Keras stores it -------------------------------------
def test_normalization_may_give_the_variance_as_keras_stores_it(tmp_path):
    doc = json.loads((SAMPLES / "coffee_lab.json").read_text())
    assert doc["normalization"] == {"mean": [218.66783, 13.430685], "variance": [1596.934, 1.2733253]}
    net = load_network(SAMPLES / "coffee_lab.json")
    np.testing.assert_allclose(net.normalization.std, np.sqrt([1596.934, 1.2733253]), rtol=0, atol=0)
    outputs = forward(net, np.array([[200.0, 13.9], [200.0, 17.0]]))[:, 0]
    assert f"{outputs[0]:.5f}" == "0.97193" and f"{outputs[1]:.3g}" == "3.29e-08"
    for norm, words in [({"mean": [0, 0]}, "give one of 'std' or 'variance'"),
                        ({"mean": [0, 0], "std": [1, 1], "variance": [1, 1]}, "not both"),
                        ({"mean": [0, 0], "variance": [1, 0]}, "normalization.variance[1]")]:
        doc["normalization"] = norm
        path = tmp_path / "n.json"
        path.write_text(json.dumps(doc))
        with pytest.raises(NetworkFileError, match=re.escape(words)):
            load_network(path)


# -- the fast paths read what the number-by-number reader reads -------------------------
JSON_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**400), 10**400), st.booleans(),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1"]), st.none(),
)


@given(values=st.lists(JSON_NUMBERS, max_size=6), finite=st.booleans())
def test_a_vector_read_at_numpys_speed_is_the_one_read_number_by_number(values, finite) -> None:
    from neurodebug.io.json_format import _Reader

    reader = _Reader("net.json")

    def slow() -> np.ndarray:
        out = [reader.number(x, f"b[{i}]", finite) for i, x in enumerate(values)]
        if not out:
            raise reader.fail("b", "is empty, expected at least one number")
        return np.array(out, dtype=np.float64)

    try:
        expected = slow()
    except NetworkFileError as exc:
        with pytest.raises(NetworkFileError) as got:
            reader.vector(values, "b", finite=finite)
        assert str(got.value) == str(exc)
        return
    np.testing.assert_array_equal(reader.vector(values, "b", finite=finite), expected)
