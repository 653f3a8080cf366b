"""The streaming check (engine/streaming.py) against the whole-batch one, and
the chunked input readers (io/input_chunks.py) against the whole readers."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest

from neurodebug.engine.health import check_health, report_lines
from neurodebug.engine.network import Layer, Network
from neurodebug.engine.samples import Samples
from neurodebug.engine.settings import DEFAULT_CONFIG
from neurodebug.engine.streaming import stream_health
from neurodebug.engine.trace import trace_of
from neurodebug.io.inputs import read_inputs
from neurodebug.streamed_check import check_file

ROWS = 10_000


def _network(seed: int = 7) -> Network:
    """20-16-8-3: a tanh layer with a few saturating neurons, a ReLU layer
    with dead ones, a softmax output; labels that are mostly right."""
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0, 0.3, (20, 16))
    w1[:, :3] *= 12  # saturates, often
    b1 = rng.normal(0, 0.1, 16)
    b1[3] = 30.0  # saturated in every sample: stuck
    w2 = rng.normal(0, 0.5, (16, 8))
    b2 = rng.normal(0, 0.1, 8)
    b2[:2] = -50.0  # dead
    w3 = rng.normal(0, 1.0, (8, 3))
    return Network([Layer("h1", "tanh", w1, b1), Layer("h2", "relu", w2, b2),
                    Layer("out", "softmax", w3, np.zeros(3))])


def _samples(net: Network, nan: bool, rows: int = ROWS, seed: int = 3) -> Samples:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (rows, net.n_inputs))
    x[77, 0] = 1e308  # overflows to ±∞ in layer 1 (an origin); tanh makes it ±1 again
    x[4321, 5] = np.nan if nan else np.inf  # NaN: every later neuron is NaN in that row, so none is dead
    labels = np.argmax(trace_of(net, np.nan_to_num(x)).outputs, axis=1)
    flip = rng.random(rows) < 0.03
    labels[flip] = (labels[flip] + 1) % 3
    labels[rng.random(rows) < 0.1] = -1  # some rows unlabelled
    return Samples(x, labels, prefix="row")


def _chunks(samples: Samples, size: int) -> list[Samples]:
    out = []
    for start in range(0, len(samples), size):
        stop = min(start + size, len(samples))
        part = samples.x[start:stop]
        labels = None if samples.labels is None else samples.labels[start:stop]
        expected = None if samples.expected is None else samples.expected[start:stop]
        out.append(Samples(part, labels, expected, prefix="row"))
    return out


def _same(a: object, b: object) -> None:
    fa, fb = a.findings, b.findings  # type: ignore[attr-defined]
    assert [f.message for f in fa] == [f.message for f in fb]
    for x, y in zip(fa, fb):
        assert dataclasses.asdict(x).keys() == dataclasses.asdict(y).keys()
        for field in dataclasses.fields(x):
            u, v = getattr(x, field.name), getattr(y, field.name)
            if isinstance(u, float) and np.isnan(u):
                assert np.isnan(v), (field.name, x.message)
            else:
                assert u == v, (field.name, x.message, u, v)


_WHOLE: dict[bool, tuple[Network, object]] = {}


def _whole(nan: bool) -> tuple[Network, object]:
    if nan not in _WHOLE:
        net = _network()
        net.samples = _samples(net, nan)
        _WHOLE[nan] = net, check_health(trace_of(net), DEFAULT_CONFIG)
    return _WHOLE[nan]


@pytest.mark.parametrize(("size", "nan"), [(1000, False), (333, False), (1000, True)])
def test_streaming_report_equals_the_whole_batch(size: int, nan: bool) -> None:
    net, report = _whole(nan)
    streamed = stream_health(dataclasses.replace(net, samples=[]), _chunks(net.samples, size), DEFAULT_CONFIG)
    kinds = {str(f.kind) for f in report.findings}  # type: ignore[attr-defined]
    assert {"saturated", "nonfinite", "wrong_output"} <= kinds
    assert nan or {"dead", "cannot_learn"} <= kinds  # a NaN row leaves no neuron after it dead, no slope finite
    _same(streamed, report)
    assert list(streamed.sample_names[:5]) == list(report.sample_names[:5])  # type: ignore[attr-defined]
    assert len(streamed.sample_names) == ROWS
    g, h = streamed.gradients, report.gradients  # type: ignore[attr-defined]
    assert g is not None and h is not None
    assert np.array_equal(g.value, h.value, equal_nan=True) and np.array_equal(g.rows, h.rows)
    for a, b in zip(g.layers, h.layers):
        assert np.array_equal([a.norm, a.delta, *a.neurons], [b.norm, b.delta, *b.neurons], equal_nan=True)


@pytest.mark.parametrize("size", [7, 50])
def test_the_evidence_rule_from_chunks_of_a_few_rows(size: int) -> None:
    """Under ``dataset_samples`` rows, stuck and dead take z's mean and spread:
    gathered chunk by chunk, they give the same severities."""
    net = _network(seed=11)
    rng = np.random.default_rng(5)
    x = rng.normal(0, 1, (60, net.n_inputs))
    labels = np.argmax(trace_of(net, x).outputs, axis=1)
    labels[::9] = (labels[::9] + 1) % 3
    net.samples = Samples(x, labels, prefix="row")
    report = check_health(trace_of(net), DEFAULT_CONFIG)
    assert any(f.kind == "saturated" and f.verdict.startswith("stuck") for f in report.findings)
    assert any(f.kind == "dead" for f in report.findings)
    _same(stream_health(dataclasses.replace(net, samples=[]), _chunks(net.samples, size), DEFAULT_CONFIG), report)


def test_check_of_a_file_in_chunks_prints_what_the_whole_check_prints(tmp_path: Path) -> None:
    """check --inputs: 10,000 CSV rows with labels read 1000 at a time give
    the whole-batch report's lines word for word, its explanations included
    (the worst rows read again); nothing is drawn when stderr is no terminal."""
    net = _network(seed=11)
    rng = np.random.default_rng(8)
    x = np.round(rng.normal(0, 1, (ROWS, net.n_inputs)), 3)
    labels = np.argmax(trace_of(net, x).outputs, axis=1)
    labels[::40] = (labels[::40] + 1) % 3
    path = tmp_path / "rows.csv"
    with open(path, "w") as fh:
        fh.write(",".join(f"x{i}" for i in range(net.n_inputs)) + ",label\n")
        np.savetxt(fh, np.column_stack([x, labels]), fmt=["%.3f"] * net.n_inputs + ["%d"], delimiter=",")
    whole_net = dataclasses.replace(net, samples=read_inputs(path, net))
    trace = trace_of(whole_net)
    report = check_health(trace, DEFAULT_CONFIG)
    expected = report_lines(report, trace)
    assert "the worst neurons, explained:" in expected
    progress = io.StringIO()
    checked = check_file(net, path, DEFAULT_CONFIG, lambda part: None, progress, rows=1000)
    assert checked.rows == ROWS and progress.getvalue() == ""
    _same(checked.report, report)
    assert report_lines(checked.report, checked.trace, explainer=checked.explain) == expected


def test_expected_outputs_from_chunks() -> None:
    """A regression's expected vectors (the mse gradients, wrong outputs per neuron), 37 rows at a time."""
    net = _network(seed=4)
    net = dataclasses.replace(net, layers=[*net.layers[:2], Layer("out", "linear", net.layers[2].W, np.zeros(3))])
    rng = np.random.default_rng(9)
    x = rng.normal(0, 1, (500, net.n_inputs))
    expected = trace_of(net, x).outputs + rng.normal(0, 0.05, (500, 3))
    expected[::50] = np.nan  # rows that expect nothing
    expected[7, 1] = 1e6  # far off
    net.samples = Samples(x, None, expected, prefix="row")
    report = check_health(trace_of(net), DEFAULT_CONFIG)
    assert sum(f.kind == "wrong_output" for f in report.findings) >= 2 and report.gradients is not None
    streamed = stream_health(dataclasses.replace(net, samples=[]), _chunks(net.samples, 37), DEFAULT_CONFIG)
    _same(streamed, report)
    assert streamed.gradients is not None and streamed.gradients.value == report.gradients.value


def test_progress_is_drawn_on_a_terminal_only(tmp_path: Path) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    net = _network(seed=11)
    np.save(tmp_path / "x.npy", np.random.default_rng(1).normal(size=(3000, net.n_inputs)).astype(np.float32))
    shown = Terminal()
    checked = check_file(net, tmp_path / "x.npy", DEFAULT_CONFIG, lambda part: None, shown, rows=1000)
    assert checked.rows == 3000
    assert shown.getvalue().startswith("\rrows 1,000 / 3,000") and shown.getvalue().endswith("\r\033[K")
