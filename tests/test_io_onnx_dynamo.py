"""MLPs exported by PyTorch's dynamo exporter, checked against PyTorch's stored
outputs (tests/fixtures/make_onnx_dynamo_fixtures.py) and stepped through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neurodebug.engine import Session
from neurodebug.engine.plan import PER_LAYER, PER_NEURON, Plan
from neurodebug.engine.samples import Sample, Samples
from neurodebug.engine.trace import forward, trace_of
from neurodebug.io import load_network

HERE = Path(__file__).parent / "fixtures" / "onnx_dynamo"
FIXTURES = sorted(p.name for p in HERE.glob("*.onnx"))


def expected(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((HERE / f"{name}.expected.json").read_text())
    return doc


def close(got: np.ndarray, want: np.ndarray) -> None:
    """rtol 1e-5; near 0, where a float32 sum's rounding is relative to its terms, not to the result,
    1e-6 of the largest value (as tests/test_io_onnx.py checks PyTorch's exports)."""
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max())


def test_both_opsets_of_every_model() -> None:
    opsets = {name.rsplit("_opset", 1)[1] for name in FIXTURES}
    assert opsets == {"18.onnx", "20.onnx"} and len(FIXTURES) == 36


@pytest.mark.parametrize("name", FIXTURES)
def test_gives_pytorch_outputs(name: str) -> None:
    doc = expected(name)
    net = load_network(HERE / name)
    assert [l.activation for l in net.layers] == doc["activations"]
    assert [l.name for l in net.layers] == (["1", "3"] if name.startswith("flatten") else ["0", "2", "4"])
    x = np.array(doc["x"], dtype=np.float32).reshape(len(doc["x"]), -1)
    close(forward(net, x), np.array(doc["y"]))
    trace = trace_of(net, x)
    assert len(trace.values) == len(doc["layers"])
    for values, want in zip(trace.values, doc["layers"]):
        close(values.a, np.array(want))


@pytest.mark.parametrize("name", FIXTURES)
def test_every_step_of_every_sample(name: str) -> None:
    doc = expected(name)
    net = load_network(HERE / name)
    x = np.array(doc["x"], dtype=np.float32).reshape(len(doc["x"]), -1)
    trace = trace_of(net, x)
    for granularity in (PER_NEURON, PER_LAYER):
        plan = Plan(net, granularity)
        for i in range(len(x)):
            sample = trace.sample(i)
            for step in plan:
                sample.value(step)
                assert sample.detail(step).formula
    net.samples = Samples.of([Sample(f"s{i}", row) for i, row in enumerate(x)], net.n_inputs)
    session = Session(net)
    session.to_end()
    assert session.at_end and session.step is not None
