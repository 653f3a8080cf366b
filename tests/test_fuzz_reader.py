"""Fuzzing the reader: whatever is in the file, ``load_network`` returns a
Network or raises NetworkFileError. Nothing else, and no warnings."""

from __future__ import annotations

import copy
import json
import math
import random
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurodebug import NetworkFileError, load_network
from neurodebug.engine import SUPPORTED_ACTIVATIONS, Network
from neurodebug.io.json_format import LAYER_KEYS, NEURON_KEYS, NORM_KEYS, SAMPLE_KEYS, TOP_KEYS
from neurodebug.engine.trace import forward, trace_of

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = sorted(set(TOP_KEYS + LAYER_KEYS + NEURON_KEYS + SAMPLE_KEYS + NORM_KEYS))
WORDS = list(SUPPORTED_ACTIVATIONS) + ["float32", "float64", "neurodebug-network", "sigmod", ""]

numbers = st.one_of(
    st.integers(-3, 3),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 1e308, -1e308, 1e-320, 2**63, -(2**64), 10**400]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12), st.sampled_from(WORDS))
# What a hand-edited file gets wrong: the wrong kind of number, or not a number.
SPECIAL = [math.nan, math.inf, -math.inf, 10**400, -0.0, 1.5, 2**53 + 1, True, None, "1", "", [], {}, [[]], [1, "a"]]
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=6),
    ),
    max_leaves=40,
)


@st.composite
def valid_documents(draw) -> dict[str, Any]:
    """A network file the reader must accept. Its shape comes from a seeded
    Random so every optional part shows up often (Hypothesis' own booleans
    lean towards False)."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))

    def number() -> float | int:
        return rng.choice([rng.randint(-3, 3), round(rng.uniform(-10, 10), rng.randint(0, 17))])

    n_in = rng.randint(1, 4)
    layers, prev = [], n_in
    for i in range(rng.randint(1, 3)):
        units = rng.randint(1, 4)
        act = rng.choice(SUPPORTED_ACTIVATIONS)
        layer: dict[str, Any] = {"name": f"l{i}", "activation": act}
        if rng.random() < 0.5:
            layer["W"] = [[number() for _ in range(units)] for _ in range(prev)]
            layer["b"] = [number() for _ in range(units)]
            if rng.random() < 0.3:
                layer["neuron_names"] = [f"n{j}" for j in range(units)]
        else:
            layer["neurons"] = [{"w": [number() for _ in range(prev)], "b": number()} for _ in range(units)]
        if act == "clip" and rng.random() < 0.5:
            layer["min"] = rng.uniform(-3, 0)
            layer["max"] = layer["min"] + rng.uniform(0.01, 6)
        elif act == "hard_sigmoid" and rng.random() < 0.5:
            layer["alpha"], layer["beta"] = rng.uniform(0.01, 2), rng.uniform(-1, 2)
        elif act in ("leaky_relu", "elu") and rng.random() < 0.5:
            layer["alpha"] = rng.uniform(0, 1)
        layers.append(layer)
        prev = units
    doc: dict[str, Any] = {"layers": layers}
    if rng.random() < 0.5:
        doc.update({"format": "neurodebug-network", "version": 1})
    if rng.random() < 0.5:
        doc["normalization"] = {"mean": [number() for _ in range(n_in)],
                                "std": [rng.uniform(0.1, 5) for _ in range(n_in)]}
    if rng.random() < 0.5:
        doc["features"] = [f"f{i}" for i in range(n_in)]
    if rng.random() < 0.3:
        doc["outputs"] = [f"o{j}" for j in range(prev)]
    if rng.random() < 0.5:
        doc["dtype"] = rng.choice(["float32", "float64"])
    samples = []
    for k in range(rng.randint(0, 3)):
        sample: dict[str, Any] = {"name": f"s{k}", "x": [number() for _ in range(n_in)]}
        if rng.random() < 0.6:
            sample["label"] = rng.randint(0, max(1, prev - 1))
        if rng.random() < 0.3:
            sample["expected"] = [number() for _ in range(prev)]
        samples.append(sample)
    doc["samples"] = samples
    return doc


def _paths(doc: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, path + (i,))
    return out


def _path_into(rng: random.Random, doc: Any) -> tuple:
    """A path into the document: first a field (indices blurred, so
    ``samples[*].label`` is one choice like ``layers[*].W[*][*]``), then one of
    its places. A seeded Random, as Hypothesis' choices lean to the first key."""
    groups: dict[tuple, list[tuple]] = {}
    for path in _paths(doc):
        groups.setdefault(tuple("*" if isinstance(k, int) else k for k in path), []).append(path)
    field = rng.choice(sorted(groups, key=repr))
    return rng.choice(groups[field])


@st.composite
def near_valid_documents(draw) -> Any:
    doc = draw(valid_documents())
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 3))):
        path = _path_into(rng, doc)
        if not path:
            doc = draw(json_values)
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = rng.choice(["replace", "replace", "delete", "add", "duplicate"])
        if action == "replace":
            # Mostly a scalar: NaN, a huge integer or a wrong word where a number belongs.
            parent[key] = draw(st.one_of(st.sampled_from(SPECIAL), scalars, json_values))
        elif action == "delete":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[rng.choice(KEYS)] = draw(st.one_of(scalars, json_values))
        elif action == "add":
            parent.insert(key, draw(json_values))
        elif isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
    return doc


_DIR = Path(tempfile.mkdtemp(prefix="neurodebug-fuzz-"))


def check_file(raw: bytes, suffix: str = ".json") -> Network | None:
    path = _DIR / f"fuzz{suffix}"
    path.write_bytes(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            net = load_network(path)
        except NetworkFileError as exc:
            message = str(exc)
            assert message and "\n" not in message
            message.encode("utf-8")
            return None
        assert isinstance(net, Network)
        if net.samples:
            # A network the reader accepts can be traced and explained.
            trace = trace_of(net)
            from neurodebug.engine import PER_NEURON, Plan

            plan = Plan(net, PER_NEURON)
            for k in range(min(len(plan), 30)):
                trace.sample(0).detail(plan[k])
        return net


@FUZZ
@given(json_values)
def test_arbitrary_json(doc) -> None:
    check_file(json.dumps(doc).encode())


@settings(FUZZ, max_examples=600)
@given(near_valid_documents())
def test_near_valid_documents(doc) -> None:
    check_file(json.dumps(doc).encode())


@settings(max_examples=50, deadline=None)
@given(valid_documents())
def test_valid_documents_load(doc) -> None:
    net = check_file(json.dumps(doc).encode())
    assert net is not None
    assert len(net.layers) == len(doc["layers"])
    assert len(net.samples) == len(doc["samples"])


@FUZZ
@given(st.binary(max_size=400), st.sampled_from([".json", ".json", ""]))
def test_arbitrary_bytes(raw, suffix) -> None:
    check_file(raw, suffix)


@FUZZ
@given(st.data())
def test_damaged_sample_files(data) -> None:
    name = data.draw(st.sampled_from(["seed_example.json", "coffee_roasting.json", "xor.json"]))
    raw = bytearray((SAMPLES / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = data.draw(st.integers(0, len(raw) - 1))
        if action == "flip":
            raw[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del raw[at:]
        elif action == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=4))
        else:
            del raw[at:at + data.draw(st.integers(1, 8))]
        if not raw:
            break
    check_file(bytes(raw))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        '{"a":' * 100_000,
        "1" * 5000,
        '{"layers": [{"activation": "relu", "W": [[' + "9" * 5000 + "]], \"b\": [0]}]}",
        '{"layers": [{"activation": "relu", "W": [[1]], "b": [0]}], "samples": [{"x": [1], "label": NaN}]}',
        '{"layers": [{"activation": "relu", "W": [[1]], "b": [0]}], "samples": [{"x": [1], "label": 1e400}]}',
        '{"layers": [{"activation": "relu", "W": [[1]], "b": [0]}], "version": NaN}',
        '{"layers": [{"activation": "leaky_relu", "alpha": Infinity, "W": [[1]], "b": [0]}]}',
        '"\\ud800"',
        "\ufeff{}",
    ],
)
def test_pathological_documents(text) -> None:
    check_file(text.encode("utf-8", "surrogatepass"))


def test_the_fuzz_reaches_valid_networks() -> None:
    # Guard against a fuzz that only ever exercises the first error.
    assert check_file((SAMPLES / "coffee_roasting.json").read_bytes()) is not None
    assert math.isfinite(float(forward(load_network(SAMPLES / "xor.json"), [1, 0])[0]))
