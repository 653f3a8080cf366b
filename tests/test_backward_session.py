"""The Session in the backward pass: per layer, keeping the position, N/L/G, continue, breakpoints and watches."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from neurodebug import load_network
from neurodebug.engine import Layer, Network, Sample, Session, parse_watches
from neurodebug.engine.kinds import BackKind
from neurodebug.engine.watch import GRAD, Watch

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"


def seed(**kw) -> Session:
    return Session(load_network(SAMPLES / "seed_example.json"), **kw)


def into_backward(s: Session, k: int = 0) -> Session:
    s.to_end()
    assert s.step_on()
    for _ in range(k):
        assert s.step_on()
    return s


def here(s: Session) -> tuple[int, int | None, str]:
    b = s.back_step
    assert b is not None
    return b.layer, b.neuron, b.kind


def test_the_backward_pass_follows_the_granularity():
    s = seed()
    assert len(s.backward_steps()) == 12
    s.toggle_granularity()
    steps = s.backward_steps()
    assert len(steps) == 8 and all(b.neuron is None for b in steps)


@pytest.mark.parametrize("k", range(12))
def test_switching_per_layer_and_back_keeps_the_layer_and_the_operation(k):
    s = into_backward(seed(), k)
    layer, neuron, kind = here(s)
    s.toggle_granularity()
    assert s.in_backward and here(s) == (layer, None, kind)
    s.toggle_granularity()  # a layer's step: its last neuron's step of that kind
    last = None if kind == BackKind.LOSS else s.network.layers[layer].units - 1
    assert here(s) == (layer, last, kind)


def test_switching_keeps_the_operation_through_norms_and_softmax():
    rng = np.random.default_rng(2)
    from neurodebug.engine import BatchNorm

    norm = BatchNorm(rng.normal(1, 0.2, 3), rng.normal(0, 0.3, 3), rng.normal(0, 0.3, 3), rng.uniform(0.5, 2, 3))
    net = Network([Layer("h", "tanh", rng.normal(size=(2, 3)), rng.normal(size=3), norm=norm, norm_at="z"),
                   Layer("out", "softmax", rng.normal(size=(3, 3)), rng.normal(size=3))],
                  [Sample("s", rng.normal(size=2), label=1)])
    s = Session(net)
    into_backward(s)
    while True:
        layer, neuron, kind = here(s)
        s.toggle_granularity()
        assert here(s)[0] == layer and here(s)[2] == kind
        s.toggle_granularity()
        if not s.step_on():
            break


def test_N_L_and_G_in_the_backward_pass():
    s = into_backward(seed())  # the loss
    s.next_neuron()
    assert here(s) == (1, 0, BackKind.DB)  # the output neuron's ∂L/∂z, ∂L/∂w, ∂L/∂b
    s.next_neuron()
    assert here(s) == (0, 0, BackKind.DB)
    s.step_back()
    s.next_layer()
    assert here(s) == (0, 1, BackKind.DB) and s.at_last_step
    s.next_neuron()
    assert s.at_last_step
    s.to_start()
    assert not s.in_backward and s.step is None
    into_backward(s)
    s.to_end()
    assert s.back_cursor == len(s.backward_steps()) - 1
    s.toggle_granularity()
    s.back_cursor = 0
    s.next_layer()
    assert here(s) == (1, None, BackKind.DB)


def test_continue_stops_at_a_breakpoint_in_the_backward_pass():
    s = seed()
    s.toggle_breakpoint(0, 1)
    s.to_end()
    reason = s.continue_()  # from the end of the forward pass: on into the backward one
    assert reason.kind == "breakpoint" and here(s) == (0, 1, BackKind.DA)
    assert reason.text == "breakpoint at layer 1 (layer1), neuron 2, backward ∂L/∂a"
    assert s.back_stop_here() is not None
    assert s.continue_().kind == "end" and s.at_last_step
    s.toggle_granularity()  # per layer: a neuron's breakpoint stops at its layer
    s.to_end()
    s.goto(s.cursor)
    reason = s.continue_()
    assert reason.kind == "breakpoint" and here(s) == (0, None, BackKind.DA)
    assert reason.text == "breakpoint at layer 1 (layer1), backward ∂L/∂a"


def test_the_saturated_watch_stops_where_a_neuron_cannot_learn():
    s = into_backward(seed(watches=parse_watches("saturated")))
    reason = s.continue_()
    assert reason.kind == "watch" and here(s) == (0, 0, BackKind.DZ)
    assert reason.text == "watch saturated: cannot learn from this sample at layer 1 (layer1), neuron 1, backward ∂L/∂z"
    assert s.continue_().kind == "watch" and here(s) == (0, 1, BackKind.DZ)
    assert s.continue_().kind == "end"
    s = into_backward(seed(watches=parse_watches("saturated"), granularity="layer"))
    assert s.continue_().kind == "watch" and here(s) == (0, None, BackKind.DZ)


def test_the_grad_watch_stops_where_a_gradient_is_larger():
    s = into_backward(seed(watches=parse_watches("grad>0.35")))
    reason = s.continue_()
    assert reason.kind == "watch" and here(s) == (0, 1, BackKind.DA)  # ∂L/∂a1_2 = 0.372031
    assert "|gradient| > 0.35" in reason.text
    assert s.continue_().kind == "end"
    assert parse_watches("grad>10, |grad| > 2") == [Watch(GRAD, 10.0), Watch(GRAD, 2.0)]
    with pytest.raises(ValueError, match="grad>NUMBER"):
        parse_watches("grad>x")


def test_a_non_finite_gradient_is_caught_where_it_first_appears():
    # An ∞ weight into a tanh output: the forward pass saturates (finite), the
    # output's δ is 0, and ∂L/∂a1 = ∞ × 0 = NaN first appears going back.
    W2 = np.array([[np.inf], [1.0]])
    net = Network([Layer("h", "sigmoid", np.array([[1.0, 1.0]]), np.zeros(2)),
                   Layer("out", "tanh", W2, np.zeros(1))], [Sample("s", np.array([0.5]), expected=np.array([0.2]))])
    s = Session(net, watches=parse_watches("nan"))
    s.to_end()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reason = s.continue_()
    assert reason.kind == "watch" and here(s) == (0, 0, BackKind.DA) and not np.isfinite(s.back_step.value)
    assert "NaN/Inf first appears" in reason.text
    assert s.continue_().kind == "end"  # a NaN passed on is not a new event


def test_a_nan_weight_is_caught_at_the_loss():
    net = Network([Layer("out", "sigmoid", np.array([[np.nan]]), np.zeros(1))], [Sample("s", np.array([1.0]), label=1)])
    s = Session(net, watches=parse_watches("nan"))
    s.to_end()
    reason = s.continue_()
    assert reason.kind == "watch" and here(s)[2] == BackKind.LOSS and reason.text.endswith("at the loss")
