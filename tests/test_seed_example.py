"""Values checked by hand: the lesson's seed example, coffee roasting and XOR."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from neurodebug import load_network
from neurodebug.engine import ACTIVATE, BIAS, DOT, PER_LAYER, PER_NEURON, Plan
from neurodebug.engine.trace import forward, trace_of

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"


@pytest.fixture
def seed():
    return load_network(SAMPLES / "seed_example.json")


def neuron_details(net, layer, neuron, granularity=PER_NEURON, sample=0):
    plan = Plan(net, granularity)
    st = trace_of(net).sample(sample)
    return {kind: st.detail(plan[plan.index_of(layer, neuron, kind)]) for kind in (DOT, BIAS, ACTIVATE)}


def test_seed_network_is_the_lesson(seed) -> None:
    assert seed.shape_summary() == "2-2-1"
    layer1 = seed.layers[0]
    # W is inputs × units: column j is neuron j's w.
    np.testing.assert_array_equal(layer1.W[:, 0], [1, -2])
    np.testing.assert_array_equal(layer1.W[:, 1], [-0.5, 3])
    np.testing.assert_array_equal(layer1.b, [0.5, 1])
    np.testing.assert_array_equal(seed.samples[0].x, [200, 17])


def test_neuron_1_by_hand(seed) -> None:
    d = neuron_details(seed, 0, 0)
    # 1×200 + (−2)×17 = 200 − 34 = 166; + 0.5 = 166.5; σ(166.5) = 1 − 5.6e−73 ≈ 1.
    assert float(d[DOT].result) == 166.0
    np.testing.assert_array_equal(d[DOT].products, [200.0, -34.0])
    assert float(d[BIAS].result) == 166.5
    assert float(d[ACTIVATE].result) == pytest.approx(1.0, abs=1e-12)
    assert d[DOT].formula == "z = 1×200 + (−2)×17 = 166"
    assert d[BIAS].formula == "z = 166 + 0.5 = 166.5"
    assert d[ACTIVATE].formula == "a = σ(166.5) ≈ 1.0000"
    assert d[DOT].symbolic == "z1_1 = w1_1 · x"
    assert d[ACTIVATE].symbolic == "a1_1 = g(z1_1) = σ(z1_1)"


def test_neuron_2_by_hand(seed) -> None:
    d = neuron_details(seed, 0, 1)
    # (−0.5)×200 + 3×17 = −100 + 51 = −49; + 1 = −48; σ(−48) = 1.4252e−21.
    assert float(d[DOT].result) == -49.0
    np.testing.assert_array_equal(d[DOT].products, [-100.0, 51.0])
    assert float(d[BIAS].result) == -48.0
    assert float(d[ACTIVATE].result) == pytest.approx(1.0 / (1.0 + math.exp(48.0)), rel=1e-12)
    assert d[DOT].formula == "z = (−0.5)×200 + 3×17 = −49"
    assert d[BIAS].formula == "z = −49 + 1 = −48"
    assert d[ACTIVATE].formula.startswith("a = σ(−48) ≈ 0.0000")


def test_output_neuron_by_hand(seed) -> None:
    a1 = np.array([1.0 / (1.0 + math.exp(-166.5)), 1.0 / (1.0 + math.exp(48.0))])
    z2 = 0.7 * a1[0] - 1.2 * a1[1] + 0.1
    (out,) = forward(seed, [200, 17])
    assert out == pytest.approx(1.0 / (1.0 + math.exp(-z2)), rel=1e-12)
    assert out == pytest.approx(0.689974, abs=1e-6)


def test_per_layer_steps_of_the_seed(seed) -> None:
    plan = Plan(seed, PER_LAYER)
    st = trace_of(seed).sample(0)
    dot, bias, act = (st.detail(plan[k]) for k in range(3))
    np.testing.assert_array_equal(dot.result, [166.0, -49.0])
    np.testing.assert_array_equal(bias.result, [166.5, -48.0])
    assert bias.formula == "z = [166, −49] + [0.5, 1] = [166.5, −48]"
    assert act.result[0] == pytest.approx(1.0)
    assert act.result[1] == pytest.approx(1.4252e-21, rel=1e-4)


def test_trace_command_shows_the_seed(capsys) -> None:
    from neurodebug.cli import main

    assert main(["trace", str(SAMPLES / "seed_example.json")]) == 0
    out = capsys.readouterr().out
    for text in ("z = 1×200 + (−2)×17 = 166", "z = 166 + 0.5 = 166.5", "a = σ(166.5) ≈ 1.0000",
                 "z = −49 + 1 = −48"):
        assert text in out


def test_coffee_roasting_predicts_its_labels() -> None:
    net = load_network(SAMPLES / "coffee_roasting.json")
    assert net.shape_summary() == "2-3-1"
    assert net.normalization is not None
    labels = np.array([s.label for s in net.samples])
    assert set(labels) == {0, 1}, "good and bad roasts"
    outputs = forward(net, np.stack([s.x for s in net.samples]))[:, 0]
    predicted = (outputs >= 0.5).astype(int)
    np.testing.assert_array_equal(predicted, labels, err_msg=str(dict(zip([s.name for s in net.samples], outputs))))
    # And confidently: no roast sits near the 0.5 boundary.
    assert np.all(np.abs(outputs - 0.5) > 0.2)


def test_coffee_roasting_one_roast_by_hand() -> None:
    net = load_network(SAMPLES / "coffee_roasting.json")
    x = np.array([215.0, 13.8])
    xn = (x - [220, 13.5]) / [35, 1.2]
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    a1 = sig(xn @ np.array([[-2.6, 0.0, 2.5], [0.0, -3.0, 2.5]]) + [-3.2, -3.6, -3.75])
    a2 = sig(a1 @ np.array([-7.0, -7.0, -7.0]) + 3.5)
    (out,) = forward(net, x)
    assert out == pytest.approx(a2, rel=1e-12)


def test_xor_is_exact() -> None:
    net = load_network(SAMPLES / "xor.json")
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    np.testing.assert_array_equal(forward(net, x)[:, 0], [0.0, 1.0, 1.0, 0.0])
    for s in net.samples:
        np.testing.assert_array_equal(forward(net, s.x), s.expected)
    # h1 = relu(x1 + x2), h2 = relu(x1 + x2 − 1), y = h1 − 2·h2
    trace = trace_of(net, x)
    np.testing.assert_array_equal(trace.values[0].a, [[0, 0], [1, 0], [1, 0], [2, 1]])
