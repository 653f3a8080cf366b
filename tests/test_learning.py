"""Why it doesn't learn: gradient findings against trained networks, healthy and broken.

The networks in tests/fixtures/learning/ were trained (or broken) with
PyTorch by make_learning.py there, which also stored PyTorch's own gradient
norms per layer; tests/fixtures/trained/ holds the health checks' trained
networks (Keras and PyTorch). A healthy network must get no learning problem;
a broken one must get the finding its break causes, where it was broken.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neurodebug.cli import main
from neurodebug.engine import Layer, Network, Samples
from neurodebug.engine.findings import CANNOT_LEARN, DEAD, EXPLODING_GRADIENT, LEARNING_KINDS, SATURATED, VANISHING
from neurodebug.engine.gradient_sizes import gradients_of
from neurodebug.engine.health import check_health
from neurodebug.engine.settings import Settings
from neurodebug.engine.trace import trace_of
from neurodebug.io import load_network
from neurodebug.io.inputs import read_inputs

FIXTURES = Path(__file__).parent / "fixtures"
LEARNING = FIXTURES / "learning"
TRAINED = FIXTURES / "trained"
SAMPLES = Path(__file__).parent.parent / "sample_networks"
CASES: list[dict[str, Any]] = json.loads((LEARNING / "manifest.json").read_text())
TRAINED_CASES: list[dict[str, Any]] = json.loads((TRAINED / "manifest.json").read_text())


def report_of(net: Network, loss: str | None = None) -> Any:
    return check_health(trace_of(net), Settings(), loss)


def learning(report: Any, severity: str | None = "problem") -> list[Any]:
    return [f for f in report.findings if f.kind in LEARNING_KINDS and (severity is None or f.severity == severity)]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_gradients_equal_pytorch_autograd(case: dict[str, Any]) -> None:
    grads = report_of(load_network(LEARNING / case["file"])).gradients
    assert grads is not None and str(grads.loss) == case["loss"]
    for ours, theirs in zip(grads.layers, case["autograd"], strict=True):
        assert ours.norm == pytest.approx(math.hypot(theirs["W"], theirs["b"]), rel=1e-6)


@pytest.mark.parametrize("case", [c for c in CASES if c["healthy"]], ids=[c["name"] for c in CASES if c["healthy"]])
def test_a_healthy_trained_network_learns(case: dict[str, Any]) -> None:
    report = report_of(load_network(LEARNING / case["file"]))
    forward_problems = {(f.layer, f.neuron) for f in report.problems if f.kind not in LEARNING_KINDS}
    # No learning problem of its own: one only ever sits on a neuron the forward check already calls broken.
    assert all((f.layer, f.neuron) in forward_problems for f in learning(report)), [f.message for f in learning(report)]
    assert not [f for f in learning(report) if f.kind != CANNOT_LEARN]


@pytest.mark.parametrize("case", [c for c in TRAINED_CASES if c["healthy"]],
                         ids=[c["name"] for c in TRAINED_CASES if c["healthy"]])
def test_the_health_checks_trained_networks_learn_too(case: dict[str, Any]) -> None:
    net = load_network(TRAINED / case["model"])
    net.samples = read_inputs(TRAINED / case["inputs"], net)
    report = report_of(net)
    assert report.ok, [f.message for f in report.problems]
    if case["test_accuracy"] is not None:  # labels: the gradients were measured
        assert report.gradients is not None and report.gradients.n_samples == len(net.samples)


BROKEN = [c for c in CASES if not c["healthy"]]


@pytest.mark.parametrize("case", BROKEN, ids=[c["name"] for c in BROKEN])
def test_a_broken_network_is_caught_where_it_was_broken(case: dict[str, Any]) -> None:
    report = report_of(load_network(LEARNING / case["file"]))
    expect = case["expect"]
    found = [f for f in learning(report) if f.kind == expect["kind"]]
    if expect.get("on_dead"):  # every ReLU training killed cannot learn, and nothing else is said to
        dead = {(f.layer, f.neuron) for f in report.problems if f.kind == DEAD}
        assert dead and {(f.layer, f.neuron) for f in found} == dead
        return
    where = [(f.layer + 1, None if f.neuron is None else f.neuron + 1) for f in found]
    assert (expect["layer"], expect.get("neuron")) in where, [f.message for f in learning(report, None)]


def test_the_seed_example_neuron_1_cannot_learn() -> None:
    report = report_of(load_network(SAMPLES / "seed_example.json"))
    f = report.for_neuron(0, 0)
    stuck = next(f for f in f if f.kind == CANNOT_LEARN)
    assert stuck.is_problem and stuck.value < 1e-70
    assert "σ′(z) ≤ 4.9e−73 in the only labelled sample (saturated; z = 166.5 there)" in stuck.message
    assert report.gradients is not None and report.gradients.loss == "bce"


def _net(layers: list[Layer], x: list[list[float]], labels: list[int] | None = None,
         expected: list[list[float]] | None = None) -> Network:
    return Network(layers, samples=Samples(np.array(x, dtype=float), None if labels is None else np.array(labels),
                                           None if expected is None else np.array(expected, dtype=float)))


def test_no_targets_no_gradients() -> None:
    net = load_network(SAMPLES / "seed_example.json")
    net.samples = Samples(net.samples.x)
    report = report_of(net)
    assert report.gradients is None and not learning(report, None)
    assert report.to_dict()["gradients"] is None


def test_the_bce_output_learns_however_saturated_but_an_mse_sigmoid_does_not() -> None:
    """With bce on the logit ∂L/∂z = a − y: no slope, nothing to stop it. With
    mse, σ′(z) multiplies the error: a saturated output cannot learn."""
    hidden = Layer("h", "linear", np.eye(1), np.zeros(1))
    out = Layer("o", "sigmoid", np.array([[30.0]]), np.zeros(1))
    x = [[1.0], [2.0], [3.0], [1.5]]
    bce = report_of(_net([hidden, out], x, labels=[0, 0, 0, 0]))
    assert not [f for f in learning(bce, None) if f.neuron is not None]
    mse = report_of(_net([hidden, out], x, expected=[[0.0]] * 4), "mse")
    assert [(f.kind, f.layer, f.neuron) for f in learning(mse, None)] == [(CANNOT_LEARN, 1, 0)]


def test_a_norm_of_1e_minus_180_is_not_rounded_to_0() -> None:
    net = load_network(SAMPLES / "coffee_unnormalized.json")
    grads = gradients_of(trace_of(net))
    assert grads is not None
    assert 0 < grads.layers[0].neurons[0] < 1e-150 and np.all(np.isfinite(grads.layers[0].neurons))


def test_chunks_give_the_same_gradients_as_one_batch() -> None:
    net = load_network(LEARNING / "digits_relu.json")
    trace = trace_of(net)
    whole, chunked = gradients_of(trace), gradients_of(trace, chunk=7)
    assert whole is not None and chunked is not None
    assert chunked.value == pytest.approx(whole.value, rel=1e-12)
    for a, b in zip(whole.layers, chunked.layers):
        np.testing.assert_allclose(b.neurons, a.neurons, rtol=1e-10, atol=1e-300)


def test_an_input_that_is_always_0_is_a_note_on_its_weights() -> None:
    layer = Layer("h", "tanh", np.array([[0.5, -0.3], [0.2, 0.1], [1.0, 1.0]]), np.zeros(2))
    out = Layer("o", "sigmoid", np.array([[1.0], [-1.0]]), np.zeros(1))
    x = [[0.1, 0.0, 0.3], [0.4, 0.0, -0.2], [-0.5, 0.0, 0.1], [0.2, 0.0, 0.9]]
    report = report_of(_net([layer, out], x, labels=[1, 0, 1, 0]))
    notes = [f for f in learning(report, "note") if f.neuron is None]
    assert len(notes) == 1 and notes[0].layer == 0 and not learning(report)
    assert "cannot learn: the weights from 1 input (x2): it is 0 in all 4 labelled samples" in notes[0].message


def test_a_non_finite_gradient_of_a_finite_loss_is_exploding() -> None:
    """h = 1e−310·x is tiny and the output 1e300·h of order 1: the loss is
    finite, but ∂L/∂w1 = x · 1e300 · δ overflows."""
    layer = Layer("h", "linear", np.array([[1e-310]]), np.zeros(1))
    out = Layer("o", "linear", np.array([[1e300]]), np.zeros(1))
    report = report_of(_net([layer, out], [[1e10], [2e10], [3e10]], expected=[[5.0], [6.0], [7.0]]))
    assert report.gradients is not None and math.isfinite(report.gradients.value)
    found = [f for f in learning(report) if f.kind == EXPLODING_GRADIENT]
    assert found and found[0].layer == 0 and "not finite" in found[0].message


def test_vanishing_names_the_slopes_it_crossed() -> None:
    report = report_of(load_network(LEARNING / "deep_sigmoid_vanishing.json"))
    first = next(f for f in learning(report) if f.kind == VANISHING and f.layer == 0)
    assert "slower: ∂L/∂z shrinks ×0.12 per layer on its way back from layer 11" in first.message
    assert "the activations' slopes do it (g′(z) averages 0.24)" in first.message
    small = report_of(load_network(LEARNING / "deep_tanh_small_init.json"))
    first = next(f for f in learning(small) if f.kind == VANISHING and f.layer == 0)
    assert "the weights do it (the slopes g′(z) average 0.96)" in first.message


def test_one_sample_makes_a_layer_finding_a_note() -> None:
    net = load_network(LEARNING / "deep_sigmoid_vanishing.json")
    net.samples = net.samples[:1]
    report = report_of(net)
    layers = [f for f in learning(report, None) if f.kind == VANISHING]
    assert layers and all(f.severity == "note" and "measured on 1 labelled sample" in f.message for f in layers)


def test_a_logits_classifier_gets_its_gradient_findings() -> None:
    """The usual PyTorch classifier ends in a Linear layer (CrossEntropyLoss
    takes the softmax): with class labels its gradients are ce's on the
    logits, the same as with the softmax written out, and a dead unit is
    found unable to learn (before, no loss fitted: no gradient, no finding)."""
    rng = np.random.default_rng(3)
    b1 = np.zeros(6)
    b1[[1, 4]] = -50.0  # two dead units
    hidden = Layer("fc1", "relu", rng.standard_normal((4, 6)), b1)
    W2, b2 = rng.standard_normal((6, 3)), rng.standard_normal(3)
    samples = Samples(rng.standard_normal((60, 4)), labels=rng.integers(0, 3, 60))
    logits = report_of(Network([hidden, Layer("fc2", "linear", W2, b2)], samples=samples))
    written = report_of(Network([hidden, Layer("fc2", "softmax", W2, b2)], samples=samples))
    assert logits.gradients is not None and str(logits.gradients.loss) == "ce"
    for ours, theirs in zip(logits.gradients.layers, written.gradients.layers, strict=True):
        assert ours.norm == pytest.approx(theirs.norm, rel=1e-12)
    assert [(f.layer, f.neuron) for f in learning(logits) if f.kind == CANNOT_LEARN] == [(0, 1), (0, 4)]


def test_cannot_learn_takes_the_forward_checks_evidence() -> None:
    """Saturated in both of two samples: too few to call it stuck, so only a note."""
    net = load_network(SAMPLES / "coffee_lab.json")
    report = report_of(net)
    stuck = [f for f in learning(report, None) if f.kind == CANNOT_LEARN]
    forward = {(f.layer, f.neuron): f.severity for f in report.findings if f.kind == SATURATED}
    assert stuck and all(f.severity == forward[(f.layer, f.neuron)] == "note" for f in stuck)


# -- the command -----------------------------------------------------------------
def test_check_prints_the_gradients_and_the_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(SAMPLES / "seed_example.json")])
    out = capsys.readouterr().out
    assert code == 1
    assert "cannot learn: its gradient ‖∂L/∂w, ∂L/∂b‖ = " in out
    assert "gradients of the mean bce loss (0.3711) over 1 labelled sample:" in out
    assert "  layer 2 (layer2): ‖∂L/∂W‖ = 0.438, per weight 0.253" in out


def test_check_json_has_the_gradients(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(LEARNING / "deep_tanh_small_init.json"), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert doc["gradients"]["loss"] == "bce" and len(doc["gradients"]["layers"]) == 11
    assert doc["counts"]["vanishing_gradient"] >= 1
    assert all(len(g["neurons"]) == 16 for g in doc["gradients"]["layers"][:-1])


def test_check_loss_must_fit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(LEARNING / "blobs_tanh.json"), "--loss", "bce"]) == 2
    assert "--loss bce: bce needs one sigmoid output unit" in capsys.readouterr().err
    assert main(["check", str(LEARNING / "blobs_tanh.json"), "--loss", "mse"]) == 2
    assert "--loss mse: mse needs an expected output of 4 values per sample, not a class label" in capsys.readouterr().err
    assert main(["check", str(LEARNING / "blobs_tanh.json"), "--loss", "ce"]) == 0


# -- every activation, every loss, random shapes ----------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from test_gradients import networks  # noqa: E402


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_the_checks_gradients_are_the_networks_gradients(case) -> None:
    """Random networks of every activation (norms too) and each loss: the
    check's gradient sizes are the norms of ``Network.gradients``, chunked or
    not, and the check raises and warns nothing (warnings are errors)."""
    net, X, y, loss = case
    labels = np.asarray(y) if loss != "mse" else None
    expected = np.asarray(y, dtype=float) if loss == "mse" else None
    net.samples = Samples(X, labels, expected)
    report = check_health(trace_of(net), Settings(), loss)
    assert report.gradients is not None
    chunked = gradients_of(trace_of(net), loss, chunk=2)
    assert chunked is not None
    for g, c, (dW, db) in zip(report.gradients.layers, chunked.layers, net.gradients(X, y, loss)):
        both = np.vstack([dW, db[None, :]])
        np.testing.assert_allclose(g.neurons, np.sqrt(np.sum(both ** 2, axis=0)), rtol=1e-9, atol=1e-300)
        np.testing.assert_allclose(c.neurons, g.neurons, rtol=1e-9, atol=1e-300)
    json_ready = report.to_dict()["gradients"]
    assert json_ready["loss"] == loss and len(json_ready["layers"]) == len(net.layers)
