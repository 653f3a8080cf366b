"""Every activation is one object: each entry of ACTIVATIONS is checked here
for what the rest of the engine relies on — derivative against finite
differences, saturation bound against the derivative, stability over the
whole float64 range — so adding an activation means adding its entry and
its independent reference (tests/test_reference.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurodebug.engine import conditions
from neurodebug.engine.activations import ACTIVATIONS, KERAS_NAMES, ONNX_OPS, derivative, saturation_bound
from neurodebug.engine.normal import normal_cdf, normal_pdf
from neurodebug.engine.settings import Settings
from test_reference import ACTIVATION_NAMES

ELEMENTWISE = [a for a in ACTIVATIONS.values() if not a.per_layer]


def test_every_activation_has_an_independent_reference():
    assert set(ACTIVATION_NAMES) == set(ACTIVATIONS)


@pytest.mark.parametrize("act", ELEMENTWISE, ids=lambda a: a.name)
@given(z=st.floats(-30, 30).filter(lambda v: abs(v) > 1e-3))
def test_the_derivative_is_the_slope_of_the_function(act, z):
    h = 1e-6
    numeric = (float(act(np.array(z + h), 0.1)) - float(act(np.array(z - h), 0.1))) / (2 * h)
    assert float(act.derivative(np.array(z), 0.1)) == pytest.approx(numeric, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("act", ACTIVATIONS.values(), ids=lambda a: a.name)
def test_function_and_derivative_are_quiet_for_any_float64(act):
    z = np.array([-1.7e308, -1e300, -745.0, -1.0, 0.0, 1.0, 745.0, 1e300, 1.7e308, np.inf, -np.inf, np.nan])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is the right answer
        a = act(z)
        act.derivative(a if act.per_layer else z)
    assert a.shape == z.shape


@pytest.mark.parametrize("act", [a for a in ACTIVATIONS.values() if a.can_saturate], ids=lambda a: a.name)
@pytest.mark.parametrize("slope", [1e-2, 1e-4, 1e-8])
def test_the_saturation_bound_is_where_the_slope_falls_below_the_threshold(act, slope):
    bound = act.saturation_bound(slope)
    assert bound == saturation_bound(act.name, slope)
    assert float(act.derivative(np.array(bound))) == pytest.approx(slope, rel=1e-6)
    settings = Settings(saturation_slope=slope)
    z = np.array([bound * 0.999, bound * 1.001, -bound * 1.001, np.inf, np.nan])
    assert conditions.saturated(act.name, z, settings).tolist() == [False, True, True, True, False]


@pytest.mark.parametrize("act", [a for a in ACTIVATIONS.values() if not a.can_saturate], ids=lambda a: a.name)
def test_what_cannot_saturate_never_is(act):
    assert act.saturation_bound(1e-4) is None
    assert not conditions.saturated(act.name, np.array([1e300, -1e300]), Settings()).any()
    with pytest.raises(ValueError):
        saturation_bound(act.name, 1e-4)


@pytest.mark.parametrize("act", ACTIVATIONS.values(), ids=lambda a: a.name)
def test_dying_and_output_range_agree_with_the_function(act):
    z = np.linspace(-50, 50, 2001)
    a = act(z)
    if act.output_range is not None:
        lo, hi = act.output_range
        assert (a >= lo).all() and (a <= hi).all()
    if act.dies_at is not None:
        below = z <= act.dies_at
        assert np.all(a[below] == a[below][0]) and np.all(act.derivative(z[below]) == 0)
        assert conditions.inactive(act.name, z).tolist() == below.tolist()
    else:
        assert not conditions.inactive(act.name, z).any()
    if act.class_cut is not None and act.output_range is not None:
        assert act.output_range[0] <= act.class_cut <= act.output_range[1]


def test_readers_names_come_from_the_entries():
    assert KERAS_NAMES == {k: a.name for a in ACTIVATIONS.values() for k in a.keras_names}
    assert ONNX_OPS["Sigmoid"] == "sigmoid" and ONNX_OPS["LeakyRelu"] == "leaky_relu"
    assert all(name in ACTIVATIONS for name in ONNX_OPS.values())


def test_the_written_form_of_each_activation():
    assert ACTIVATIONS["sigmoid"].text("166.5") == "σ(166.5)"
    assert ACTIVATIONS["relu"].text("z1_1") == "relu(z1_1)"
    assert ACTIVATIONS["sigmoid"].at_limit(166.5, 1.0) and not ACTIVATIONS["sigmoid"].at_limit(0.0, 0.5)
    assert not ACTIVATIONS["relu"].at_limit(-3.0, 0.0)  # relu's 0 is exact: no ≈


def test_derivative_by_name_is_the_entry_s():
    z = np.array([-3.0, 0.5, 200.0])
    for name, act in ACTIVATIONS.items():
        np.testing.assert_array_equal(derivative(name, z), act.derivative(z))
    assert math.isclose(float(derivative("sigmoid", np.array(166.5))), math.exp(-166.5), rel_tol=1e-12)


# -- Φ and φ, which GELU is made of ----------------------------------------------------
NORMAL_REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "normal_reference.json").read_text())["rows"]
TINY = np.finfo(np.float64).tiny


@pytest.mark.parametrize("column, fn", [(1, normal_cdf), (2, normal_pdf)], ids=["cdf", "pdf"])
def test_the_normal_distribution_against_mpmath(column, fn):
    # tests/fixtures/make_normal_cdf.py wrote these at 50 digits.
    z = np.array([float(row[0]) for row in NORMAL_REFERENCE])
    want = np.array([float(row[column]) for row in NORMAL_REFERENCE])
    got = fn(z)
    normal = want >= TINY
    np.testing.assert_allclose(got[normal], want[normal], rtol=1e-15, atol=0)
    np.testing.assert_allclose(got[~normal], want[~normal], rtol=0, atol=1e-320)


def test_the_normal_cdf_against_math_erfc():
    z = np.linspace(-3, 3, 6001)
    want = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in z])
    # erfc of the rounded z/√2 is itself off by up to z²·2⁻⁵³ relative.
    np.testing.assert_allclose(normal_cdf(z), want, rtol=2e-15, atol=0)
    np.testing.assert_allclose(normal_pdf(z), np.exp(-z * z / 2) / math.sqrt(2 * math.pi), rtol=2e-15)


def test_the_normal_distribution_at_the_ends():
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is the right answer
        z = np.array([-np.inf, -1.7e308, -40.0, -38.6, 0.0, 40.0, 1.7e308, np.inf, np.nan])
        cdf, pdf = normal_cdf(z), normal_pdf(z)
    np.testing.assert_array_equal(cdf, [0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0, np.nan])
    np.testing.assert_array_equal(pdf, [0.0, 0.0, 0.0, 0.0, 1 / math.sqrt(2 * math.pi), 0.0, 0.0, 0.0, np.nan])
    assert 0 < float(normal_pdf(np.array(-38.5))) < 1e-320  # a subnormal, not 0
    assert normal_cdf(np.array(0.3)).shape == () and normal_cdf(np.float32(0.3)).dtype == np.float64
