"""Watchpoints: parsing ``--break-on`` and where ``continue`` stops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurodebug.engine import Layer, Network, Sample, Session
from neurodebug.engine.plan import ACTIVATE, BIAS, DOT, NORMALIZE, PER_LAYER
from neurodebug.engine.settings import Settings
from neurodebug.engine.watch import NAN, SATURATED, ZABS, Watch, parse_watches
from neurodebug.io import load_network

SAMPLES = Path(__file__).resolve().parent.parent / "sample_networks"


def session_for(name: str, sample: str | None = None, watches: str = "", **kw) -> Session:
    net = load_network(SAMPLES / name)
    index = net.sample_index(sample) if sample else 0
    return Session(net, sample_index=index, watches=parse_watches(watches), **kw)


def where(session: Session) -> tuple[str, int, int | None]:
    step = session.step
    assert step is not None
    return step.kind, step.layer, step.neuron


# -- parsing -------------------------------------------------------------------------
def test_parse_watches_kinds_and_aliases():
    assert parse_watches("nan,saturated,z>50") == [Watch(NAN), Watch(SATURATED), Watch(ZABS, 50.0)]
    for alias in ("nan", "inf", "NaN/Inf", "nonfinite"):
        assert parse_watches(alias) == [Watch(NAN)]
    for alias in ("saturated", "saturation", "SAT"):
        assert parse_watches(alias) == [Watch(SATURATED)]
    assert parse_watches("|z|>2.5") == [Watch(ZABS, 2.5)]
    assert parse_watches("z>0") == [Watch(ZABS, 0.0)]
    assert parse_watches("") == [] and parse_watches(" , ,") == []


def test_parse_watches_tolerates_spaces_and_repeats():
    assert parse_watches(" nan , z > 50 ") == [Watch(NAN), Watch(ZABS, 50.0)]
    assert parse_watches("| z | > 1e3") == [Watch(ZABS, 1000.0)]
    assert parse_watches("nan,inf,nan") == [Watch(NAN)]
    with pytest.raises(ValueError, match="≥ 0"):
        parse_watches("z>\u22125")  # the screen's minus sign is read as a minus


@pytest.mark.parametrize(
    "text, fragment",
    [("foo", "unknown watch 'foo'"), ("z>", "z>NUMBER"), ("z>abc", "z>NUMBER"), ("z>-1", "≥ 0"),
     ("z>inf", "finite"), ("z>nan", "finite"), ("nan,bogus", "'bogus'")],
)
def test_parse_watches_errors_name_the_bad_part(text, fragment):
    with pytest.raises(ValueError, match=None) as info:
        parse_watches(text)
    assert fragment in str(info.value)


def test_watch_labels():
    assert Watch(NAN).label() == "NaN/Inf"
    assert Watch(SATURATED).label() == "saturation"
    assert Watch(ZABS, 50).label() == "|z| > 50"


# -- continue with watches -------------------------------------------------------------
def test_nan_watch_stops_at_the_first_non_finite_step():
    s = session_for("nan_overflow.json", "spike", "nan")
    reason = s.continue_()
    assert reason.kind == "watch"
    assert where(s) == (DOT, 0, 0)  # 1e306 × 250 overflows in the dot product
    assert "NaN/Inf first appears" in reason.text and "layer 1 (sensor), neuron 1" in reason.text
    # Continue goes on to the next distinct event, not to every step that
    # carries the ∞ on: the output's dot product, where ∞ − ∞ makes a NaN.
    stops = []
    while s.continue_().kind == "watch":
        stops.append(where(s))
    assert stops == [(DOT, 2, 0)]
    assert s.at_end


def test_nan_watch_stops_where_a_non_finite_weight_is_first_used():
    layer = Layer("l", "relu", np.array([[1.0, np.inf]]), np.array([0.0, np.nan]))
    s = Session(Network([layer], [Sample("s", np.array([2.0]))]), watches=[Watch(NAN)])
    assert s.continue_().kind == "watch" and where(s) == (DOT, 0, 1)  # ∞ weight: z = ∞ here
    assert s.continue_().kind == "watch" and where(s) == (BIAS, 0, 1)  # NaN bias: ∞ + NaN = NaN
    assert s.continue_().kind == "end"


def test_nan_watch_on_a_finite_sample_runs_to_the_end():
    s = session_for("nan_overflow.json", "idle", "nan")
    reason = s.continue_()
    assert reason.kind == "end" and s.at_end


def test_saturated_watch_stops_at_the_activation():
    s = session_for("coffee_unnormalized.json", watches="saturated")
    reason = s.continue_()
    assert reason.kind == "watch" and where(s) == (ACTIVATE, 0, 0)
    assert "saturated" in reason.text and "layer 1 (layer1), neuron 1" in reason.text
    s.continue_()
    assert where(s) == (ACTIVATE, 0, 1)
    s.continue_()
    assert where(s) == (ACTIVATE, 0, 2)
    assert s.continue_().kind == "end"  # the output neuron (z = −3.5) is not saturated


def test_saturated_watch_respects_the_session_slope():
    s = session_for("coffee_roasting.json", "light medium roast", "saturated")
    assert s.continue_().kind == "end"  # healthy: |z| ≤ 4.35 for this sample
    s = session_for("coffee_roasting.json", "light medium roast", "saturated", settings=Settings(saturation_slope=0.05))
    reason = s.continue_()  # σ' < 0.05 past |z| ≈ 2.94: neuron 2 (z = −4.35) now counts
    assert reason.kind == "watch" and where(s) == (ACTIVATE, 0, 1)


def test_zabs_watch_stops_at_the_bias_step():
    s = session_for("xor.json", "1 xor 1", "z>1.5")
    reason = s.continue_()
    assert reason.kind == "watch" and where(s) == (BIAS, 0, 0)  # h1: z = 2
    assert "|z| > 1.5" in reason.text
    assert s.continue_().kind == "end"
    s = session_for("xor.json", "0 xor 0", "z>1.5")
    assert s.continue_().kind == "end"


def test_the_earliest_of_several_watches_wins():
    # h2 of "0 xor 0" has z = −1: |z| > 0.5 at its bias step, before nothing else fires.
    s = session_for("xor.json", "0 xor 0", "nan,z>0.5")
    s.continue_()
    assert where(s) == (BIAS, 0, 1)
    # The seed: neuron 1's z = 166.5 is both > 100 (bias step) and saturated (activation step).
    s = session_for("seed_example.json", watches="saturated,z>100")
    reason = s.continue_()
    assert where(s) == (BIAS, 0, 0) and "|z| > 100" in reason.text
    reason = s.continue_()
    assert where(s) == (ACTIVATE, 0, 0) and "saturated" in reason.text


def test_breakpoint_before_a_watch_stops_first():
    s = session_for("coffee_unnormalized.json", watches="saturated")
    s.toggle_breakpoint(0, 0)  # at neuron 1's dot product, before its activation saturates
    reason = s.continue_()
    assert reason.kind == "breakpoint" and where(s) == (DOT, 0, 0)
    reason = s.continue_()
    assert reason.kind == "watch" and where(s) == (ACTIVATE, 0, 0)


def test_watch_before_a_breakpoint_stops_first():
    s = session_for("coffee_unnormalized.json", watches="saturated")
    s.toggle_breakpoint(1, 0)  # the output neuron
    reason = s.continue_()
    assert reason.kind == "watch" and where(s) == (ACTIVATE, 0, 0)
    s.continue_()
    s.continue_()
    assert where(s) == (ACTIVATE, 0, 2)
    reason = s.continue_()
    assert reason.kind == "breakpoint" and where(s) == (DOT, 1, 0)
    assert s.continue_().kind == "end"


def test_a_watch_at_the_breakpoint_step_reports_the_breakpoint():
    s = session_for("nan_overflow.json", "spike", "nan")
    s.toggle_breakpoint(0, 0)  # its dot product is also where ∞ first appears
    reason = s.continue_()
    assert reason.kind == "breakpoint" and where(s) == (DOT, 0, 0)


def test_watches_in_per_layer_granularity():
    s = session_for("nan_overflow.json", "spike", "nan", granularity=PER_LAYER)
    reason = s.continue_()
    assert reason.kind == "watch" and where(s) == (DOT, 0, None)
    assert "layer 1 (sensor)" in reason.text
    s = session_for("coffee_unnormalized.json", watches="saturated", granularity=PER_LAYER)
    s.continue_()
    assert where(s) == (ACTIVATE, 0, None)


def test_nan_watch_checks_the_normalised_input():
    layer = Layer("l", "sigmoid", np.array([[1.0]]), np.zeros(1))
    from neurodebug.engine import Normalization

    net = Network([layer], [Sample("s", np.array([1.0]))], normalization=Normalization(np.zeros(1), np.ones(1)))
    s = Session(net, watches=[Watch(NAN)])
    s.trace.set_input(0, 0, np.inf)
    s.trace.recompute(-1)
    reason = s.continue_()
    assert reason.kind == "watch" and where(s) == (NORMALIZE, -1, None)
    assert "normalised input" in reason.text


def test_softmax_activation_is_one_step_per_layer():
    layer = Layer("out", "softmax", np.array([[1e308, 1e308]]), np.zeros(2))
    net = Network([layer], [Sample("s", np.array([10.0]))])
    s = Session(net, watches=[Watch(ZABS, 1e300)])
    s.continue_()
    assert where(s) == (BIAS, 0, 0)  # |z| is watched where z is made: the bias step
    s = Session(net, watches=[Watch(NAN)])
    s.continue_()
    assert where(s) == (DOT, 0, 0)


def test_first_firing_honours_start_and_limit():
    s = session_for("coffee_unnormalized.json", watches="saturated")
    act = s.plan.index_of(0, 1, ACTIVATE)
    assert s.first_firing(0) == (s.plan.index_of(0, 0, ACTIVATE), s.first_firing(0)[1])
    assert s.first_firing(3)[0] == act  # past neuron 1: neuron 2 is next
    assert s.first_firing(3, limit=act) is None  # the limit (a breakpoint) comes first
    assert s.first_firing(len(s.plan) - 1) is None
    s.watches = []
    assert s.first_firing(0) is None


def test_continue_at_the_end():
    s = session_for("dead_relu.json", watches="nan")  # no labels: nothing after the forward pass
    s.to_end()
    reason = s.continue_()
    assert reason.kind == "end" and "already" in reason.text
    s = session_for("xor.json", watches="nan")  # labelled: on through the backward pass
    s.to_end()
    reason = s.continue_()
    assert reason.kind == "end" and reason.text == "reached the end of the backward pass"
    assert s.at_last_step and s.back_cursor == len(s.backward_steps()) - 1
    assert s.continue_().text == "already at the end of the backward pass"
