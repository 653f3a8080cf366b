"""Writing a network and reading it back changes nothing, down to the bit;
and writing never leaves a half-written or clobbered file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurodebug import load_network
from neurodebug.engine import SUPPORTED_ACTIVATIONS, Layer, Network, Normalization, Sample
from neurodebug.io import atomic_write_text, dumps_network, write_json_network
from neurodebug.io.npz_format import network_to_arrays, write_npz_network
from neurodebug.engine.trace import forward

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"


def bits(a: np.ndarray) -> tuple[str, tuple[int, ...], bytes]:
    """An array's dtype, shape and bytes: equal only if bit-identical (−0.0 too)."""
    a = np.ascontiguousarray(a)
    return a.dtype.str, a.shape, a.tobytes()


def assert_same_network(a: Network, b: Network) -> None:
    assert (a.name, a.description) == (b.name, b.description)
    assert a.feature_names == b.feature_names
    assert a.output_names == b.output_names
    assert len(a.layers) == len(b.layers)
    for la, lb in zip(a.layers, b.layers):
        assert (la.name, la.activation, la.neuron_names) == (lb.name, lb.activation, lb.neuron_names)
        assert la.alpha == lb.alpha
        assert [(k, repr(v)) for k, v in la.params.items()] == [(k, repr(v)) for k, v in lb.params.items()]
        assert bits(la.W) == bits(lb.W)
        assert bits(la.b) == bits(lb.b)
    assert (a.normalization is None) == (b.normalization is None)
    if a.normalization is not None:
        assert bits(a.normalization.mean) == bits(b.normalization.mean)
        assert bits(a.normalization.std) == bits(b.normalization.std)
    assert len(a.samples) == len(b.samples)
    for sa, sb in zip(a.samples, b.samples):
        assert (sa.name, sa.label) == (sb.name, sb.label)
        assert bits(sa.x) == bits(sb.x)
        assert (sa.expected is None) == (sb.expected is None)
        if sa.expected is not None:
            assert bits(sa.expected) == bits(sb.expected)
    if a.samples:
        x = np.stack([s.x for s in a.samples])
        assert bits(forward(a, x)) == bits(forward(b, x))


def roundtrip(net: Network, path: Path) -> Network:
    write_json_network(net, path, overwrite=True)
    return load_network(path)


# -- the samples ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["seed_example.json", "coffee_roasting.json", "xor.json"])
def test_samples_roundtrip(tmp_path, name) -> None:
    net = load_network(SAMPLES / name)
    again = roundtrip(net, tmp_path / name)
    assert_same_network(net, again)
    # Writing the copy again gives the same text: the format is stable.
    assert dumps_network(again) == dumps_network(net)


def test_written_file_is_plain_json_with_one_row_per_line(tmp_path) -> None:
    net = load_network(SAMPLES / "coffee_roasting.json")
    text = dumps_network(net)
    doc = json.loads(text)
    assert doc["format"] == "neurodebug-network" and doc["version"] == 1
    assert "[-2.6, 0.0, 2.5]" in text  # a W row on one line
    assert text.endswith("\n")


# -- random networks ------------------------------------------------------------------------------
# Names as files hold them: control characters are escaped on reading (a
# name reaches the terminal), so a read name has none and writes back as is.
names = (st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
         | st.sampled_from(["[1,2]", "[ 3 ]", "see [0, -1e5]", "", "\u03c3 \"q\" \\"]))
special_floats = st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                                  -1.7976931348623157e308, 0.1, 1 / 3, 1e-7, 123456789.123456789])


finite_floats = st.floats(allow_nan=False, allow_infinity=False) | special_floats


@st.composite
def activation_params(draw, act: str) -> dict[str, float] | None:
    """Any parameters the activation takes, any finite float it can use: all must come back bit for bit."""
    if act in ("leaky_relu", "elu"):
        return {"alpha": draw(finite_floats)}
    if act == "hard_sigmoid":
        return {"alpha": draw(finite_floats.filter(lambda v: v > 0)), "beta": draw(finite_floats)}
    if act == "clip":
        lo, hi = sorted(draw(st.lists(finite_floats, min_size=2, max_size=2, unique=True)))
        return {"min": lo, "max": hi}
    return None


@st.composite
def networks(draw, dtype=None) -> Network:
    dtype = dtype or draw(st.sampled_from([np.float64, np.float32]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_in = draw(st.integers(1, 6))
    widths = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))

    def numbers(shape):
        scale = 10.0 ** rng.integers(-30, 30, size=shape)
        values = rng.normal(size=shape) * scale
        if draw(st.booleans()):
            flat = values.reshape(-1)
            flat[rng.integers(flat.size)] = draw(special_floats)
        if dtype == np.float32:
            with np.errstate(over="ignore", under="ignore"):
                values = np.clip(values, -3e38, 3e38)
        return values.astype(dtype)

    layers, prev = [], n_in
    for units in widths:
        act = draw(st.sampled_from(SUPPORTED_ACTIVATIONS))
        neuron_names = draw(st.none() | st.lists(names.filter(bool), min_size=units, max_size=units))
        params = draw(activation_params(act))
        layers.append(Layer(draw(names), act, numbers((prev, units)), numbers(units), neuron_names, params=params))
        prev = units
    norm = None
    if draw(st.booleans()):
        norm = Normalization(rng.normal(size=n_in) * 100, rng.uniform(0.01, 100, size=n_in))
    samples = []
    for _ in range(draw(st.integers(0, 3))):
        label = draw(st.none() | st.integers(0, max(1, prev - 1)))
        expected = draw(st.none() | st.just(rng.normal(size=prev)))
        samples.append(Sample(draw(names), rng.normal(size=n_in) * 1e3, label, expected))
    features = draw(st.none() | st.lists(names, min_size=n_in, max_size=n_in))
    outputs = draw(st.none() | st.lists(names, min_size=prev, max_size=prev))
    return Network(layers, samples, features, outputs, norm, draw(names), draw(names))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(networks())
def test_any_network_roundtrips_bit_for_bit(tmp_path, net) -> None:
    assert_same_network(net, roundtrip(net, tmp_path / "net.json"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(networks(dtype=np.float32))
def test_float32_networks_stay_float32(tmp_path, net) -> None:
    again = roundtrip(net, tmp_path / "net32.json")
    assert json.loads((tmp_path / "net32.json").read_text())["dtype"] == "float32"
    for layer in again.layers:
        assert layer.W.dtype == np.float32 and layer.b.dtype == np.float32
    assert_same_network(net, again)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(networks())
def test_any_network_roundtrips_through_npz_bit_for_bit(tmp_path, net) -> None:
    write_npz_network(net, tmp_path / "net.npz", overwrite=True)
    assert_same_network(net, load_network(tmp_path / "net.npz"))


def test_activation_parameters_in_the_files(tmp_path) -> None:
    """Every parameter is written, the defaults too; a file without them (every file before
    parameters) reads as before, with the defaults."""
    net = Network([Layer("c", "clip", np.ones((1, 2)), np.zeros(2), params={"min": 0.0, "max": 2.5}),
                   Layer("h", "hard_sigmoid", np.ones((2, 1)), np.zeros(1), params={"alpha": 0.2})])
    layers = json.loads(dumps_network(net))["layers"]
    assert [{k: v for k, v in ldoc.items() if k not in ("W", "b")} for ldoc in layers] == [
        {"name": "c", "activation": "clip", "min": 0.0, "max": 2.5},
        {"name": "h", "activation": "hard_sigmoid", "alpha": 0.2, "beta": 0.5}]
    assert sorted(k for k in network_to_arrays(net) if k.startswith("layers/1/")) == [
        "layers/1/W", "layers/1/activation", "layers/1/alpha", "layers/1/b", "layers/1/beta", "layers/1/name"]
    plain = tmp_path / "plain.json"
    plain.write_text('{"layers": [{"activation": "elu", "W": [[1]], "b": [0]}, '
                     '{"activation": "leaky_relu", "alpha": 0.2, "W": [[1]], "b": [0]}]}')
    assert [layer.params for layer in load_network(plain).layers] == [{"alpha": 1.0}, {"alpha": 0.2}]


def test_text_that_looks_like_numbers_survives(tmp_path) -> None:
    net = load_network(SAMPLES / "xor.json")
    net.description = "weights [1,1] and [ 1, -2 ]\nsee [0,\n1]"
    net.feature_names = ["[1,2]", "[ 3 ]"]
    net.samples[0] = Sample("[0, 0]", net.samples[0].x, expected=net.samples[0].expected)
    assert_same_network(net, roundtrip(net, tmp_path / "xor.json"))


# -- atomic writes -------------------------------------------------------------------------------
def test_refuses_to_overwrite_by_default(tmp_path) -> None:
    path = tmp_path / "net.json"
    path.write_bytes(b"original")
    net = load_network(SAMPLES / "xor.json")
    with pytest.raises(FileExistsError):
        write_json_network(net, path)
    assert path.read_bytes() == b"original"
    write_json_network(net, path, overwrite=True)
    assert_same_network(net, load_network(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.json"]


def test_overwrite_keeps_the_file_mode(tmp_path) -> None:
    path = tmp_path / "net.json"
    path.write_text("{}")
    path.chmod(0o600)
    write_json_network(load_network(SAMPLES / "xor.json"), path, overwrite=True)
    assert path.stat().st_mode & 0o777 == 0o600
    fresh = write_json_network(load_network(SAMPLES / "xor.json"), tmp_path / "new.json")
    assert fresh.stat().st_mode & 0o777 == 0o644


def _fail(*args, **kwargs):
    raise OSError(28, "No space left on device")


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("target", "failure", "error"),
    [
        (os, ("replace", _fail), OSError),
        (os, ("fsync", _fail), OSError),
        (os, ("fsync", _interrupt), KeyboardInterrupt),
        (os, ("chmod", _fail), OSError),
    ],
)
def test_failure_mid_write_leaves_the_original(tmp_path, monkeypatch, target, failure, error) -> None:
    path = tmp_path / "net.json"
    original = (SAMPLES / "seed_example.json").read_bytes()
    path.write_bytes(original)
    net = load_network(SAMPLES / "xor.json")
    monkeypatch.setattr(target, *failure)
    with pytest.raises(error):
        write_json_network(net, path, overwrite=True)
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.json"], "a temporary file was left behind"


def test_failure_in_the_write_itself(tmp_path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"keep me")
    # A lone surrogate cannot be encoded: the write fails after the file is opened.
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(path, "fine so far \ud800", overwrite=True)
    assert path.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_failure_writing_a_new_file_leaves_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(os, "replace", _fail)
    with pytest.raises(OSError):
        write_json_network(load_network(SAMPLES / "xor.json"), tmp_path / "new.json")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_mixed_float32_and_float64_layers_keep_their_values(tmp_path) -> None:
    rng = np.random.default_rng(7)
    net = Network([
        Layer("f32", "tanh", rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)),
        Layer("f64", "linear", rng.normal(size=(3, 1)), rng.normal(size=1)),
    ], samples=[Sample("s", np.array([0.5, -1.0]))])
    again = roundtrip(net, tmp_path / "mixed.json")
    for la, lb in zip(net.layers, again.layers):
        # Written as float64, the float32 values survive exactly, and so do the float64 ones.
        np.testing.assert_array_equal(la.W.astype(np.float64), lb.W)
        np.testing.assert_array_equal(la.b.astype(np.float64), lb.b)
    assert bits(forward(net, [0.5, -1.0])) == bits(forward(again, [0.5, -1.0]))


def test_control_characters_in_names_are_escaped_and_then_stable(tmp_path) -> None:
    doc = json.loads((SAMPLES / "xor.json").read_text())
    doc["name"] = "evil\x1b[2J"
    doc["features"] = ["a\x00b", "tab\there"]
    doc["samples"][0]["name"] = "\x9b31m"
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(doc))
    net = load_network(path)
    assert net.name == "evil\\x1b[2J" and net.feature_names == ["a\\x00b", "tab\\there"]
    assert net.samples[0].name == "\\x9b31m"
    again = roundtrip(net, tmp_path / "again.json")
    assert again.name == net.name and again.feature_names == net.feature_names
