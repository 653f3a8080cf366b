"""Health checks: each detector on a network built for it, no false alarms on
the healthy samples, origin vs pass-on for NaN/Inf, and the explanations."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurodebug.engine import Layer, Network, Normalization, Sample
from neurodebug.engine.activations import saturation_bound
from neurodebug.engine.health import (
    DEAD, EXPLODING, NONFINITE, SATURATED, WRONG_OUTPUT, HealthConfig, HealthReport, check_health, explain,
    report_lines,
)
from neurodebug.engine.findings import CANNOT_LEARN, EXPLODING_GRADIENT, LEARNING_KINDS, VANISHING as VANISHING_GRADIENT
from neurodebug.engine.nonfinite import CANCELLATION, INPUT, OVERFLOW, UPSTREAM, WEIGHT
from neurodebug.engine.terms import round_up
from neurodebug.io import load_network
from neurodebug.engine.trace import trace_of

SAMPLES = Path(__file__).resolve().parent.parent / "sample_networks"


def net_of(layers: list[Layer], xs: list[list[float]], **kw) -> Network:
    labels = kw.pop("labels", [None] * len(xs))
    expected = kw.pop("expected", [None] * len(xs))
    samples = [
        Sample(f"s{i + 1}", np.array(x, dtype=float), lab, None if e is None else np.array(e, dtype=float))
        for i, (x, lab, e) in enumerate(zip(xs, labels, expected))
    ]
    return Network(layers, samples, **kw)


def report_of(net: Network, config: HealthConfig | None = None) -> HealthReport:
    config = config or HealthConfig()
    return check_health(trace_of(net), config)


def kinds(report: HealthReport) -> list[tuple[str, int, int | None]]:
    return [(f.kind, f.layer, f.neuron) for f in report.findings]


# -- healthy samples -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["coffee_roasting.json", "xor.json"])
def test_healthy_samples_raise_no_alarm(name):
    report = report_of(load_network(SAMPLES / name))
    assert report.ok, [f.message for f in report.findings]
    assert report.failing_neurons() == []
    assert report.summary().startswith("ok")


# -- saturation ------------------------------------------------------------------------
def test_saturated_sigmoid_and_tanh_past_the_bound():
    bound_s = saturation_bound("sigmoid", 1e-4)
    bound_t = saturation_bound("tanh", 1e-4)
    # One input; neuron 1 sits just past the bound, neuron 2 just inside it.
    sig = Layer("sig", "sigmoid", np.array([[bound_s + 0.01, bound_s - 0.01]]), np.zeros(2))
    tanh = Layer("tanh", "tanh", np.array([[1.0], [0.0]]) * (bound_t + 0.01), np.zeros(1))
    report = report_of(net_of([sig, tanh], [[1.0], [-1.0]]))
    assert (SATURATED, 0, 0) in kinds(report)
    assert (SATURATED, 0, 1) not in kinds(report)
    f = report.for_neuron(0, 0)[0]
    assert f.samples == (0, 1) and f.threshold == pytest.approx(bound_s)
    # tanh: a1_1 = σ(±9.22) ≈ 1 or 0, times 5.3+ → saturated only for the first sample
    t = [f for f in report.findings if f.layer == 1]
    assert [(f.kind, f.samples) for f in t] == [(SATURATED, (0,))]


def test_saturation_slope_is_configurable():
    layer = Layer("l", "sigmoid", np.array([[6.0]]), np.zeros(1))
    net = net_of([layer], [[1.0]])
    assert report_of(net).ok  # σ'(6) ≈ 0.0025 > 1e-4
    report = report_of(net, HealthConfig(saturation_slope=0.01))
    assert kinds(report) == [(SATURATED, 0, 0)]


def test_linear_and_relu_never_saturate():
    layers = [Layer("r", "relu", np.array([[50.0]]), np.ones(1)), Layer("o", "linear", np.array([[5.0]]), np.zeros(1))]
    assert report_of(net_of(layers, [[1.0], [2.0], [3.0]])).ok


# -- dead ReLU -------------------------------------------------------------------------
def test_dead_relu_needs_every_sample():
    W = np.array([[1.0, 1.0, 1.0]])
    b = np.array([-10.0, -1.5, 0.0])  # dead, alive for the last sample, z = 0 for x = 0
    layer = Layer("h", "relu", W, b)
    report = report_of(net_of([layer], [[0.0], [1.0], [2.0]]))
    assert kinds(report) == [(DEAD, 0, 0)]
    f = report.findings[0]
    assert f.samples == (0, 1, 2)
    assert f.value == -8.0 and f.row == 2  # the largest z, and where
    assert "dead ReLU" in f.message and "layer 1 (h), neuron 1" in f.message


def test_dead_needs_several_samples_and_ignores_leaky_relu():
    relu = Layer("h", "relu", np.array([[1.0]]), np.array([-10.0]))
    assert report_of(net_of([relu], [[0.0], [1.0]])).ok  # two samples say little
    assert kinds(report_of(net_of([relu], [[0.0], [1.0]]), HealthConfig(dead_min_samples=2))) == [(DEAD, 0, 0)]
    leaky = Layer("h", "leaky_relu", np.array([[1.0]]), np.array([-10.0]))
    assert report_of(net_of([leaky], [[0.0], [1.0], [2.0]])).ok


def test_dead_relu_sample():
    net = load_network(SAMPLES / "dead_relu.json")
    report = report_of(net)
    assert kinds(report) == [(DEAD, 0, 2)]
    assert "neuron 3 (balanced)" in report.findings[0].message


# -- exploding ---------------------------------------------------------------------------
def test_exploding_z_threshold():
    layer = Layer("l", "linear", np.array([[1.0, 1.0]]), np.array([0.0, 0.0]))
    net = net_of([layer], [[999.0], [-1001.0]])
    report = report_of(net)
    assert kinds(report) == [(EXPLODING, 0, 0), (EXPLODING, 0, 1)]
    assert report.findings[0].samples == (1,) and report.findings[0].value == -1001.0
    assert report_of(net, HealthConfig(exploding_z=2000)).ok


# -- NaN / Inf -------------------------------------------------------------------------
def overflow_net() -> Network:
    """Layer 1 neuron 1 overflows to ∞; layer 2 passes it on; layer 3 makes ∞ − ∞ = NaN."""
    l1 = Layer("sensor", "relu", np.array([[1e306, 0.0], [0.0, 1.0]]), np.array([0.0, 1.0]))
    l2 = Layer("mix", "relu", np.array([[1.0, 2.0], [1.0, 1.0]]), np.zeros(2))
    l3 = Layer("out", "linear", np.array([[2.0], [-1.0]]), np.zeros(1))
    return net_of([l1, l2, l3], [[0.0, 2.0], [250.0, 2.0]], expected=[[3.0], [3.0]])


def test_nonfinite_origin_and_pass_on():
    report = report_of(overflow_net())
    nonfinite = report.of_kind(NONFINITE)
    assert [(f.layer, f.neuron, f.origin) for f in nonfinite] == [
        (0, 0, True), (1, 0, False), (1, 1, False), (2, 0, False),
    ]
    assert all(f.samples == (1,) for f in nonfinite)
    origin = nonfinite[0]
    assert origin.value == math.inf and "overflowed" in origin.message
    assert "produced" in origin.message and "from finite operands" in origin.message
    last = nonfinite[-1]
    assert math.isnan(last.value)
    assert "∞ − ∞ turned it into NaN here" in last.message and "a2_1" in last.message
    # The NaN output also disagrees with the expected value, for that sample only.
    wrong = report.of_kind(WRONG_OUTPUT)
    assert [(f.layer, f.neuron, f.samples) for f in wrong] == [(2, 0, (1,))]
    assert report.for_sample(0) == ()
    assert report.failing_neurons(1) == [(0, 0), (1, 0), (1, 1), (2, 0)]


def test_nan_made_from_finite_operands_is_an_origin():
    # Two finite terms overflow with opposite signs: ∞ − ∞ inside one dot product.
    layer = Layer("l", "linear", np.array([[1e308], [-1e308]]), np.zeros(1))
    report = report_of(net_of([layer], [[10.0, 10.0]]))
    (f,) = report.findings
    assert f.kind == NONFINITE and f.origin and math.isnan(f.value)
    assert "∞ − ∞" in f.message
    e = explain(trace_of(net_of([layer], [[10.0, 10.0]])), 0, 0, 0)
    assert e.nonfinite is not None and e.nonfinite.kind == CANCELLATION and e.nonfinite.origin == (0, 0)


def test_a_non_finite_weight_is_where_it_starts():
    """An ∞ weight in the file: the neuron that holds it is the origin (the
    place to start), and what it passes on downstream is not."""
    l1 = Layer("l", "relu", np.array([[np.inf, 1.0]]), np.zeros(2))
    l2 = Layer("out", "linear", np.array([[1.0], [1.0]]), np.zeros(1))
    trace = trace_of(net_of([l1, l2], [[1.0]]))
    report = check_health(trace)
    assert [(f.kind, f.layer, f.neuron, f.origin) for f in report.findings] == [
        (NONFINITE, 0, 0, True), (NONFINITE, 1, 0, False)]
    f = report.findings[0]
    assert f.is_problem and "L1.N1.w1 = ∞" in f.message and "starts here" in f.message
    e = explain(trace, 0, 0, 0)
    assert e.nonfinite is not None and e.nonfinite.kind == WEIGHT and e.nonfinite.index == 0
    assert e.nonfinite.origin == (0, 0)
    downstream = explain(trace, 0, 1, 0).nonfinite
    assert downstream is not None and downstream.origin == (0, 0)


def test_nan_overflow_sample():
    report = report_of(load_network(SAMPLES / "nan_overflow.json"))
    origins = [f for f in report.of_kind(NONFINITE) if f.origin]
    assert [(f.layer, f.neuron) for f in origins] == [(0, 0)]
    assert "amplifier" in origins[0].message
    passed = [f for f in report.of_kind(NONFINITE) if not f.origin]
    assert [(f.layer, f.neuron) for f in passed] == [(1, 0), (1, 1), (2, 0)]


# -- wrong outputs ---------------------------------------------------------------------
def test_wrong_label_on_a_sigmoid_output():
    layer = Layer("out", "sigmoid", np.array([[1.0]]), np.zeros(1), neuron_names=["yes"])
    net = net_of([layer], [[2.0], [-2.0], [3.0]], labels=[1, 1, 0], output_names=["yes"])
    report = report_of(net)
    (f,) = report.findings
    assert (f.kind, f.layer, f.neuron, f.samples) == (WRONG_OUTPUT, 0, 0, (1, 2))
    assert "label 1" in f.message and "class 0" in f.message


def test_wrong_label_on_softmax_is_a_whole_output_finding():
    layer = Layer("out", "softmax", np.eye(3), np.zeros(3))
    net = net_of([layer], [[1.0, 0.0, 0.0], [0.0, 0.0, 5.0]], labels=[0, 1])
    report = report_of(net)
    (f,) = report.findings
    assert (f.kind, f.neuron, f.samples) == (WRONG_OUTPUT, None, (1,))
    assert report.failing_neurons() == []  # not a neuron: `f` does not stop there
    assert report.for_neuron(0, None) == (f,)


def test_expected_vector_with_tolerance():
    layer = Layer("out", "linear", np.eye(2), np.zeros(2))
    net = net_of([layer], [[1.0, 100.0], [0.5, 10.0]], expected=[[1.05, 105.0], [0.7, 10.0]])
    report = report_of(net)
    # 1.05 vs 1: inside 0.1; 100 vs 105: 5 ≤ 0.1·105 relative; 0.5 vs 0.7: off by 0.2.
    # (An input of 100 and an error of 5 make a large gradient too: a note.)
    assert kinds(report) == [(WRONG_OUTPUT, 0, 0), (EXPLODING_GRADIENT, 0, None)]
    assert report.findings[1].severity == "note"
    assert report.findings[0].samples == (1,)
    assert report_of(net, HealthConfig(output_tolerance=0.3)).ok


def test_linear_single_output_with_a_label_is_not_judged():
    layer = Layer("out", "linear", np.array([[1.0]]), np.zeros(1))
    assert report_of(net_of([layer], [[5.0]], labels=[0])).ok


# -- the report ------------------------------------------------------------------------
def test_report_order_helpers_and_json():
    report = report_of(load_network(SAMPLES / "coffee_unnormalized.json"))
    assert [(f.kind, f.layer, f.neuron) for f in report.findings] == [
        (SATURATED, 0, 0), (CANNOT_LEARN, 0, 0), (SATURATED, 0, 1), (CANNOT_LEARN, 0, 1),
        (SATURATED, 0, 2), (CANNOT_LEARN, 0, 2), (VANISHING_GRADIENT, 0, None), (WRONG_OUTPUT, 1, 0),
    ]
    assert not report.ok
    assert report.failing_neurons(0) == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert report.failing_neurons(4) == [(0, 0), (0, 1), (0, 2)]  # labelled 0: output right
    assert report.next_failing(None, 0) == (0, 0)
    assert report.next_failing((0, 2), 0) == (1, 0)
    assert report.next_failing((1, 0), 0) == (0, 0)  # wraps round
    assert {f.kind for f in report.for_sample(4)} == {SATURATED, CANNOT_LEARN, VANISHING_GRADIENT}
    assert report.counts()[SATURATED] == report.counts()[CANNOT_LEARN] == 3
    msg = report.findings[2].message
    assert msg.startswith("layer 1 (layer1), neuron 2 (too short): saturated sigmoid")
    assert "−" in msg  # a real minus sign
    doc = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert doc["ok"] is False and len(doc["findings"]) == 8
    assert doc["gradients"]["loss"] == "bce" and doc["gradients"]["samples"] == 8
    assert doc["findings"][0]["layer"] == 1 and doc["findings"][0]["neuron"] == 1  # 1-based


def test_json_of_non_finite_values():
    doc = report_of(overflow_net()).to_dict()
    text = json.dumps(doc, allow_nan=False)
    assert '"Infinity"' in text and '"NaN"' in text


def test_report_lines_group_and_explain():
    net = load_network(SAMPLES / "nan_overflow.json")
    trace = trace_of(net)
    lines = report_lines(check_health(trace), trace)
    text = "\n".join(lines)
    assert text.index("origin") < text.index("passed on")
    assert "the worst neurons, explained:" in text
    assert "overflowed to ∞" in text


def test_config_is_validated():
    with pytest.raises(ValueError):
        HealthConfig(saturation_slope=0.3)
    with pytest.raises(ValueError):
        HealthConfig(exploding_z=0)
    with pytest.raises(ValueError):
        HealthConfig(output_tolerance=-1)


# -- explanations ------------------------------------------------------------------------
def test_explain_names_the_raw_temperature_and_normalises():
    net = load_network(SAMPLES / "coffee_unnormalized.json")
    trace = trace_of(net)
    for j in (0, 2):  # too cold, burnt: both driven by temperature
        e = explain(trace, 0, 0, j)
        assert SATURATED in e.kinds
        assert e.dominant.name == "temperature" and e.dominant.index == 0
        assert e.dominant.input == 215.0  # the raw value: nothing normalised it
        assert e.dominant.share > 0.9
        assert e.unscaled_inputs and "temperature" in e.large_features
        assert e.normalization_source == "samples"
        x = trace.x_raw.astype(float)
        mean, std = x.mean(axis=0), x.std(axis=0)
        layer = net.layers[0]
        expected_z = float(((x[0] - mean) / std) @ layer.W[:, j] + layer.b[j])
        assert e.normalized_z == pytest.approx(expected_z)
        assert abs(e.normalized_z) < saturation_bound("sigmoid", 1e-4)  # normalised, it would not saturate
        text = "\n".join(e.lines)
        assert "temperature" in text and "not normalised" in text and "z would be" in text


def test_explain_normalises_with_the_file_statistics_when_the_trace_did_not():
    net = load_network(SAMPLES / "coffee_unnormalized.json")
    trace = trace_of(net)
    net.normalization = Normalization(np.array([220.0, 13.5]), np.array([35.0, 1.2]))
    e = explain(trace, 0, 0, 0)  # the trace ran without it
    assert e.normalization_source == "file"
    assert e.normalized_z == pytest.approx(-2.6 * (215 - 220) / 35 - 3.2)


def test_explain_one_sample_has_no_spread_to_normalise_by():
    net = load_network(SAMPLES / "seed_example.json")
    e = explain(trace_of(net), 0, 0, 0)
    assert e.z == 166.5 and e.dominant.name == "temperature"
    assert e.unscaled_inputs and e.normalized_z is None
    assert any("one sample" in line for line in e.lines)


def test_explain_constant_feature_is_centred_not_divided_by_zero():
    layer = Layer("l", "sigmoid", np.array([[1.0], [1.0]]), np.zeros(1))
    net = net_of([layer], [[200.0, 50.0], [220.0, 50.0]])
    e = explain(trace_of(net), 0, 0, 0)
    assert e.normalized_z == pytest.approx(-1.0)  # (200 − 210)/10 + (50 − 50)/1


def test_dead_relu_bias_fix_brings_it_back():
    net = load_network(SAMPLES / "dead_relu.json")
    trace = trace_of(net)
    for row in range(trace.n_samples):
        e = explain(trace, row, 0, 2)
        assert DEAD in e.kinds and e.bias_target == "L1.N3.b"
        assert e.bias_needed == pytest.approx(-e.z)
        assert e.bias_fix is not None and e.bias_needed < e.bias_fix < e.bias_needed * 1.01
        layer = net.layers[0]
        old = layer.b[2]
        layer.b[2] = old + e.bias_fix
        try:
            z = trace_of(net).values[0].z[:, 2]
            assert z[row] > 0
        finally:
            layer.b[2] = old
    e = explain(trace, 0, 0, 2)
    layer.b[2] = old + e.bias_fix_all
    assert (trace_of(net).values[0].z[:, 2] > 0).all()
    layer.b[2] = old + e.bias_fix_any
    z = trace_of(net).values[0].z[:, 2]
    assert (z > 0).any() and not (z > 0).all()
    layer.b[2] = old
    assert any("L1.N3.b" in line and "fix" in line for line in e.lines)


def test_round_up_is_just_above():
    assert round_up(33.0) == 33.1
    assert round_up(9.4823) == 9.49
    assert round_up(0.0) > 0
    for v in (1e-7, 0.5, 1.0, 9.99, 123456.7):
        assert v < round_up(v) <= v * 1.0101


def test_explain_names_the_first_non_finite_operand():
    net = overflow_net()
    trace = trace_of(net)
    e = explain(trace, 1, 0, 0)
    assert e.nonfinite is not None
    assert e.nonfinite.kind == OVERFLOW and e.nonfinite.index == 0 and e.nonfinite.origin == (0, 0)
    assert "x1" in e.nonfinite.text and "overflowed" in e.nonfinite.text
    e = explain(trace, 1, 2, 0)
    cause = e.nonfinite
    assert cause is not None and cause.kind == UPSTREAM
    assert cause.upstream == (1, 0) and cause.origin == (0, 0) and cause.index == 0
    assert cause.made_nan is not None and "∞ − ∞" in cause.made_nan
    assert math.isnan(e.z) and e.dominant.index is not None  # a ±∞ term, not the bias
    text = "\n".join(e.lines)
    assert "passed on" in text and "a2_1" in text


def test_explain_non_finite_input():
    layer = Layer("l", "linear", np.array([[1.0], [1.0]]), np.zeros(1))
    net = net_of([layer], [[1.0, 2.0]])
    trace = trace_of(net, np.array([[1.0, np.nan]]))
    e = explain(trace, 0, 0, 0)
    assert e.nonfinite is not None and e.nonfinite.kind == INPUT and e.nonfinite.index == 1


def test_explain_walks_back_to_a_saturated_upstream_neuron():
    net = load_network(SAMPLES / "coffee_unnormalized.json")
    e = explain(trace_of(net), 0, 1, 0)
    assert WRONG_OUTPUT in e.kinds
    assert e.dominant.name == "a1_3" and e.dominant_upstream == (0, 2)
    assert e.dominant_upstream_kinds == (SATURATED,)
    assert json.dumps(e.to_dict(), allow_nan=False)


def test_explain_rejects_bad_positions():
    trace = trace_of(load_network(SAMPLES / "xor.json"))
    with pytest.raises(IndexError):
        explain(trace, 9, 0, 0)
    with pytest.raises(IndexError):
        explain(trace, 0, 0, 5)


def test_terms_include_the_bias_sorted_by_size():
    trace = trace_of(load_network(SAMPLES / "coffee_roasting.json"))
    e = explain(trace, 0, 0, 0)
    sizes = [abs(t.value) for t in e.terms]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(1 for t in e.terms if t.index is None) == 1
    assert sum(t.share for t in e.terms) == pytest.approx(1.0)
    temperature = next(t for t in e.terms if t.name == "temperature")
    assert temperature.raw_input == 215.0  # the file normalises: the raw value is kept too
    assert temperature.input == pytest.approx((215 - 220) / 35)


def test_terms_of_a_wide_neuron_behave_as_a_tuple():
    """Terms are made when asked for (a wide layer's explanation reads the
    first few); as a sequence they are the tuple they stand for."""
    rng = np.random.default_rng(3)
    W = rng.standard_normal((300, 2))
    net = Network([Layer("wide", "relu", W, np.array([0.05, -40.0]))])
    trace = trace_of(net, rng.standard_normal(300))
    for j in (0, 1):
        terms = explain(trace, 0, 0, j).terms
        whole = tuple(terms)
        assert len(terms) == len(whole) == 301
        assert terms == whole and hash(terms) == hash(whole)
        assert terms[:5] == whole[:5] and terms[-1] == whole[-1] and terms[299:] == whole[299:]
        assert [t.value for t in whole if t.index is not None] == sorted(
            (float(x) for x in W[:, j] * trace.x[0]), key=abs, reverse=True)
        assert terms.shares(5) == [t.share for t in whole[5:]]
        with pytest.raises(IndexError):
            terms[301]
    assert explain(trace, 0, 0, 1).terms[0].name == "b"  # b = −40 outweighs every input


# -- quiet and fast ----------------------------------------------------------------------
def test_no_warning_escapes_on_nasty_values():
    # Run with warnings as errors (pytest config): overflow, inf − inf, 0 × inf.
    W = np.array([[1e308, -1e308, 0.0], [1e308, 1e308, 1.0]])
    l1 = Layer("l1", "tanh", W, np.array([1e308, 0.0, -np.inf]))
    l2 = Layer("l2", "softmax", np.ones((3, 2)), np.zeros(2))
    net = net_of([l1, l2], [[10.0, -10.0], [np.inf, 0.0], [0.0, 0.0]], labels=[0, 1, 0])
    trace = trace_of(net)
    report = check_health(trace)
    report_lines(report, trace)
    for f in report.findings:
        assert f.message
        if f.neuron is not None:
            for row in range(trace.n_samples):
                explain(trace, row, f.layer, f.neuron)
    json.dumps(report.to_dict(), allow_nan=False)


def test_a_large_network_with_thousands_of_findings():
    """4096-unit layers: most sigmoid neurons saturate. (How fast the check
    runs is measured in benchmarks/, not asserted here.)"""
    rng = np.random.default_rng(0)
    n = 4096
    layers = [
        Layer(f"l{i}", act, rng.standard_normal((n, n)).astype(np.float32) * scale, np.zeros(n, np.float32))
        for i, (act, scale) in enumerate([("relu", 1.0), ("sigmoid", 1.0)])
    ]
    net = net_of(layers, rng.standard_normal((3, n)).tolist())
    report = check_health(trace_of(net))
    assert len(report.findings) > 1000
    assert report.failing_neurons(0) == sorted(report.failing_neurons(0))


def test_the_engine_imports_no_textual_or_rich():
    code = (
        "import sys, neurodebug.engine.health, neurodebug.engine.explanation;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_float32_overflow_is_explained_in_float32():
    # 1e30 × 1e10 = 1e40 overflows float32 (max 3.4e38) but not float64: the
    # explanation must redo the product in the precision the trace used.
    layer = Layer("l", "linear", np.array([[1e30]], dtype=np.float32), np.zeros(1, np.float32))
    net = net_of([layer], [[1e10]])
    trace = trace_of(net, np.array([[1e10]], dtype=np.float32))
    assert trace.values[0].z.dtype == np.float32
    (f,) = check_health(trace).findings
    assert f.kind == NONFINITE and f.origin
    e = explain(trace, 0, 0, 0)
    assert e.nonfinite is not None and e.nonfinite.kind == OVERFLOW
    assert "float32" in e.nonfinite.text


# -- severity: problems and notes ------------------------------------------------------------
LAB_W1 = [[-8.93, 0.29, 12.9], [-0.1, -7.32, 10.81]]
LAB_B1 = [-9.82, -9.28, 0.96]
LAB_W2 = [[-31.18], [-27.59], [-32.56]]
LAB_B2 = [15.41]


def lab_network(xs) -> Network:
    """The course lab's trained coffee network, fed normalised inputs."""
    layers = [Layer("layer1", "sigmoid", np.array(LAB_W1), np.array(LAB_B1)),
              Layer("layer2", "sigmoid", np.array(LAB_W2), np.array(LAB_B2))]
    return net_of(layers, xs)


def test_the_lab_network_is_healthy_with_notes():
    """A trained classifier is meant to be confident: saturation in some of
    two samples is worth a note, not a failed check."""
    report = report_of(lab_network([[-0.46714, 0.41591], [-0.46714, 3.1]]))
    assert report.ok and report.problems == ()
    assert {(f.kind, f.layer, f.neuron) for f in report.notes} == {
        (SATURATED, 0, 1), (SATURATED, 0, 2), (SATURATED, 1, 0)}
    assert report.failing_neurons() == [] and report.noted_neurons(1) == [(0, 1), (0, 2), (1, 0)]
    assert report.summary().startswith("ok: no problems found in 2 samples; 3 notes")
    doc = report.to_dict()
    assert doc["ok"] and doc["problems"] == 0 and doc["notes"] == 3
    assert {f["severity"] for f in doc["findings"]} == {"note"}


def sigmoid_layer(bias: float) -> Layer:
    return Layer("h", "sigmoid", np.array([[1.0]]), np.array([bias]))


def test_stuck_on_one_side_of_a_dataset_is_a_problem():
    rng = np.random.default_rng(11)
    xs = rng.uniform(-1, 1, size=(40, 1)).tolist()
    (f,) = report_of(net_of([sigmoid_layer(-50.0)], xs)).findings
    assert (f.kind, f.severity, len(f.samples)) == (SATURATED, "problem", 40)
    assert "stuck" in f.message
    # the same neuron on two samples: too few to say so
    (f,) = report_of(net_of([sigmoid_layer(-50.0)], xs[:2])).findings
    assert f.severity == "note" and "too few samples (2)" in f.message


def test_few_samples_far_past_the_bound_and_close_together_are_enough():
    # z = x − 50 for x in {0, 1, 2}: mean −49, std 1: the 99.9 % prediction
    # bound, −49 + 22.3 · 1.15 = −23, is still far past −9.21
    (f,) = report_of(net_of([sigmoid_layer(-50.0)], [[0.0], [1.0], [2.0]])).findings
    assert f.severity == "problem"
    # z = 10x − 12 for x in {0, 0.1, 0.2}: all past −9.21, but the bound is not
    layer = Layer("h", "sigmoid", np.array([[10.0]]), np.array([-12.0]))
    (f,) = report_of(net_of([layer], [[0.0], [0.1], [0.2]])).findings
    assert f.severity == "note"


def test_saturated_in_some_samples_is_a_note():
    xs = np.linspace(-20, 20, 41)[:, None].tolist()
    (f,) = report_of(net_of([sigmoid_layer(0.0)], xs)).findings
    assert f.kind == SATURATED and f.severity == "note" and 0 < len(f.samples) < 41


def test_saturated_in_every_sample_on_both_sides_is_a_switch_not_some_samples():
    # tanh(100·x) over x = ±0.1…±2: past ±5.3 in all 40 samples, half on each side
    layer = Layer("h", "tanh", np.array([[100.0]]), np.zeros(1))
    xs = np.concatenate([np.linspace(-2, -0.1, 20), np.linspace(0.1, 2, 20)])[:, None].tolist()
    (f,) = report_of(net_of([layer], xs)).findings
    assert f.kind == SATURATED and f.severity == "note" and len(f.samples) == 40
    assert "each side" in f.message and "some samples" not in f.message
    # One raw input (|x| > 10, nothing normalises it) driving it there is the lesson's problem, whatever the side.
    raw = [[-200.0 + 20 * k] for k in range(21) if k != 10]
    (f,) = report_of(net_of([Layer("h", "tanh", np.array([[1.0]]), np.zeros(1))], raw)).findings
    assert f.severity == "problem" and "raw, unnormalised input" in f.message


def test_a_confidently_right_output_is_a_note_and_a_wrong_one_a_problem():
    layer = Layer("out", "sigmoid", np.array([[20.0]]), np.zeros(1))
    right = report_of(net_of([layer], [[1.0], [-1.0], [1.0]], labels=[1, 0, 1]))
    (f,) = right.findings
    assert f.kind == SATURATED and f.severity == "note" and "confidently right" in f.message
    wrong = report_of(net_of([layer], [[1.0], [-1.0], [1.0]], labels=[1, 1, 1]))
    assert [(f.kind, f.severity) for f in wrong.findings] == [(SATURATED, "note"), (WRONG_OUTPUT, "problem")]
    assert not wrong.ok


def test_wrong_outputs_on_a_dataset_are_weighed_as_an_error_rate():
    layer = Layer("out", "sigmoid", np.array([[1.0]]), np.zeros(1))
    xs = np.linspace(-3, 3, 100)[:, None]
    labels = (xs[:, 0] > 0).astype(int).tolist()
    labels[:3] = [1, 1, 1]  # 3 of 100 wrong: a trained model's usual error
    (f,) = report_of(net_of([layer], xs.tolist(), labels=labels)).findings
    assert f.kind == WRONG_OUTPUT and f.severity == "note" and "97.0% right" in f.message
    labels[:30] = [1] * 30  # 30 of 100 wrong: more than 20%
    (f,) = report_of(net_of([layer], xs.tolist(), labels=labels)).findings
    assert f.severity == "problem" and "more than 20%" in f.message
    # every wrong answer among a few hand-written cases is a problem
    (f,) = report_of(net_of([layer], [[1.0], [2.0], [-1.0]], labels=[1, 1, 1])).findings
    assert f.severity == "problem" and f.verdict == ""


def test_a_dead_relu_needs_evidence():
    layer = Layer("h", "relu", np.array([[1.0]]), np.array([-0.1]))
    # z ≤ 0 in five samples, but spread close to 0: a sparse unit, not shown dead
    (f,) = report_of(net_of([layer], [[-1.0], [-0.5], [0.0], [-2.0], [0.05]])).findings
    assert (f.kind, f.severity) == (DEAD, "note") and "too few samples (5)" in f.message
    assert report_of(net_of([layer], [[-1.0], [-0.5], [0.0], [-2.0], [0.05]])).ok
    # a hundred samples say it by their count
    xs = np.linspace(-2, 0.05, 100)[:, None].tolist()
    (f,) = report_of(net_of([layer], xs)).findings
    assert (f.kind, f.severity) == (DEAD, "problem")


def test_an_exploding_linear_output_is_a_note_a_hidden_one_a_problem():
    hidden = Layer("h", "relu", np.array([[5000.0]]), np.zeros(1))
    out = Layer("price", "linear", np.array([[1.0]]), np.zeros(1))
    report = report_of(net_of([hidden, out], [[1.0], [2.0]]))
    assert [(f.kind, f.layer, f.severity) for f in report.findings] == [
        (EXPLODING, 0, "problem"), (EXPLODING, 1, "note")]


def test_saturation_from_raw_inputs_is_a_problem_even_in_one_sample():
    report = report_of(load_network(SAMPLES / "seed_example.json"))
    forward = [f for f in report.findings if f.kind not in LEARNING_KINDS]
    assert [(f.kind, f.neuron, f.severity) for f in forward] == [
        (SATURATED, 0, "problem"), (SATURATED, 1, "problem")]
    assert "raw, unnormalised input" in forward[0].message
    # With its label, each of them also cannot learn, a problem on the same evidence.
    learning = [(f.kind, f.layer, f.neuron, f.severity) for f in report.findings if f.kind in LEARNING_KINDS]
    assert learning == [(CANNOT_LEARN, 0, 0, "problem"), (CANNOT_LEARN, 0, 1, "problem"),
                        (VANISHING_GRADIENT, 0, None, "note")]


@pytest.mark.parametrize("n", [1, 2, 5, 64, 65, 200])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_stats_are_z_stats_of_each_column(n: int, dtype: type) -> None:
    """A layer's dead neurons take their statistics from one read of z: the
    very numbers ``z_stats`` gives column by column, non-finite columns included."""
    from neurodebug.engine.health import ColumnStats, z_stats
    from neurodebug.engine.numbers import quiet

    rng = np.random.default_rng(n)
    z = (rng.standard_normal((n, 9)) * 10 - 4).astype(dtype)
    z[0, 2], z[-1, 5], z[0, 7] = np.nan, np.inf, -np.inf
    cols = np.array([0, 2, 3, 5, 7, 8])
    stats = ColumnStats(z, cols)
    for j in cols.tolist():
        with quiet():  # as in check_health: ∞ − ∞ in the spread of a column with ±∞
            got, want = stats(j), z_stats(z[:, j])
        assert got[0] == want[0]
        for a, b in zip(got[1:], want[1:]):
            assert a == b or (math.isnan(a) and math.isnan(b)), (j, got, want)


def test_a_layers_dead_neurons_share_one_array_of_rows() -> None:
    W = np.array([[1.0, -1.0, -2.0], [1.0, -1.0, -2.0]])
    net = net_of([Layer("h", "relu", W, np.array([0.0, -1.0, -1.0]))], [[1, 2], [2, 1], [3, 3]])
    dead = check_health(trace_of(net)).of_kind(DEAD)
    assert [f.neuron for f in dead] == [1, 2]
    assert tuple(dead[0].samples) == (0, 1, 2)
    assert dead[0].samples.array is dead[1].samples.array


def test_a_health_job_is_of_the_values_it_was_made_with_and_dropped_after_an_edit():
    # The screen computes a big network's report in a worker thread while
    # keys (and edits) go on. The job's trace keeps the values and samples of
    # its moment (an edit replaces those) and has a network of its own
    # structure sharing the parameters (no copy of a big network's weights);
    # an edit writes into those, so a report of values since edited is dropped.
    import numpy as np

    from neurodebug.engine import Session, Target
    from neurodebug.engine.edits import INPUT, TARGET, WEIGHT

    s = Session(load_network(SAMPLES / "coffee_roasting.json"))
    assert s.health_pending
    before = [f.message for f in check_health(s.trace, s.settings, s.loss).findings]
    quiet = s.health_job()()
    assert quiet.version == 0 and [f.message for f in quiet.report.findings] == before

    job = s.health_job()
    twin = job.args[1]
    assert twin.network is not s.network and twin.network.layers[0] is not s.network.layers[0]
    assert twin.network.layers[0].W is s.network.layers[0].W  # shared, not copied
    x_raw, values = twin.x_raw, list(twin.values)
    s.edit(Target(WEIGHT, 0, 0, 0), 40.0)  # written into the shared weights
    s.edit(Target(INPUT, -1, None, 0), 1e3)  # replaces the inputs and the values
    s.edit(Target(TARGET, -1, None, -1), 1.0)  # replaces the labels
    assert twin.x_raw is x_raw and all(a is b for a, b in zip(twin.values, values))
    assert twin.network.samples._labels is not s.network.samples._labels
    computed = job()
    assert computed.version == 0 and s.values_version == 3
    assert not s.take_health(quiet) and not s.take_health(computed) and s.health_pending  # of values since edited
    now = s.health_job()()
    assert s.take_health(now) and not s.health_pending and s.health() is now.report
    assert not s.take_health(s.health_job()())  # a report is there already
    fresh = [f.message for f in check_health(s.trace, s.settings, s.loss).findings]
    assert [f.message for f in s.health().findings] == fresh != before
    assert np.shares_memory(twin.network.layers[0].W, s.network.layers[0].W)
