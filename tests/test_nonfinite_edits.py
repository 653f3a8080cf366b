"""NaN and ±∞ typed on purpose: a weight or bias takes them (to watch them
spread), an input does not (the file could not hold it), and the network
saved with them reads back the same."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from neurodebug.engine import EditError, Session, parse_assignment
from neurodebug.engine.edits import Target, WEIGHT, BIAS, INPUT
from neurodebug.engine.numbers import parse_number
from neurodebug.io import load_network, write_json_network

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"


@pytest.mark.parametrize(("text", "want"), [("nan", math.nan), ("NaN", math.nan), ("inf", math.inf),
                                            ("-inf", -math.inf), ("\u2212inf", -math.inf), ("∞", math.inf),
                                            ("Infinity", math.inf)])
def test_non_finite_words_parse_only_when_allowed(text, want):
    got = parse_number(text, non_finite=True)
    assert (math.isnan(got) and math.isnan(want)) or got == want
    with pytest.raises(ValueError, match="not a finite number"):
        parse_number(text)


def test_a_number_too_large_for_float64_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="too large"):
        parse_number("1e999", non_finite=True)


def test_a_nan_weight_spreads_and_saves_and_reads_back(tmp_path):
    s = Session(load_network(SAMPLES / "seed_example.json"))
    result = s.edit(Target(WEIGHT, 0, 0, 0), math.nan)
    assert math.isnan(result.edit.new)
    assert np.isnan(s.trace.values[0].z[0, 0]) and np.isnan(s.trace.outputs).all()
    detail = s.sample_trace.detail(s.plan[1])  # neuron 1's add-bias step: the NaN came in with w·x
    assert "not finite: w·x = NaN" in detail.notes
    path = write_json_network(s.network, tmp_path / "nan.json")
    back = load_network(path)
    assert np.isnan(back.layers[0].W[0, 0])
    s.undo()
    assert s.network.layers[0].W[0, 0] == 1 and not s.dirty


def test_an_infinite_bias_is_taken_and_an_infinite_input_refused():
    s = Session(load_network(SAMPLES / "seed_example.json"))
    s.edit(Target(BIAS, 0, 1), -math.inf)
    assert s.network.layers[0].b[1] == -math.inf
    before = s.trace.x_raw.copy()
    with pytest.raises(EditError, match="an input must be a finite number"):
        s.edit(Target(INPUT, index=0), math.inf)
    np.testing.assert_array_equal(s.trace.x_raw, before)
    assert len(s.journal) == 1


def test_an_assignment_takes_nan_only_when_asked():
    target, value = parse_assignment("L1.N1.w1=nan", non_finite=True)
    assert target == Target(WEIGHT, 0, 0, 0) and math.isnan(value)
    with pytest.raises(EditError, match="not a finite number"):
        parse_assignment("L1.N1.w1=nan")  # --set: a typo more often than a purpose


def test_a_value_the_target_already_holds_is_unchanged_as_its_array_keeps_it():
    """The edit box shows a value as the file keeps it; Enter on it (or the
    same number typed again) changes nothing and makes no edit."""
    s = Session(load_network(SAMPLES / "seed_example.json"))
    w, b, x = Target(WEIGHT, 0, 0, 0), Target(BIAS, 0, 0), Target(INPUT, index=0)
    assert s.unchanged(w, s.value_of(w)) and s.unchanged(x, s.value_of(x))
    assert not s.unchanged(w, s.value_of(w) + 1e-12)
    s.edit(b, math.nan)
    assert s.unchanged(b, math.nan) and not s.unchanged(b, 0.0)
    s.edit(b, math.inf)
    assert s.unchanged(b, math.inf) and not s.unchanged(b, -math.inf)
    assert s.dtype_of(w) == np.float64 and s.dtype_of(x) == s.trace.x_raw.dtype

    net = load_network(SAMPLES / "seed_example.json")
    net.layers[0].W = net.layers[0].W.astype(np.float32)
    net.layers[0].W[0, 0] = np.float32(0.17)
    s32 = Session(net)
    assert s32.dtype_of(w) == np.float32
    assert s32.unchanged(w, 0.17)  # the 0.17 it shows is the float32 it holds
    assert not s32.unchanged(w, 0.1700001)
    s32.edit(w, math.inf)
    assert s32.unchanged(w, math.inf)
    assert not s32.unchanged(w, 1e39)  # past float32: the edit refuses it, saying so
