"""Every activation is one object: each entry of ACTIVATIONS is checked here
for what the rest of the engine relies on — derivative against finite
differences, flat sides against the derivative, stability over the whole
float64 range, values and slopes against PyTorch's — so adding an activation
means adding its entry, its independent reference
(tests/activation_references.py) and its row in tests/fixtures/
make_activation_reference.py."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurodebug.engine import conditions
from neurodebug.engine.activations import (
    ACTIVATIONS,
    KERAS_NAMES,
    ONNX_OPS,
    PARAM_NAMES,
    SUPPORTED_ACTIVATIONS,
    TAKE_ALPHA,
    derivative,
    saturation_bound,
)
from neurodebug.engine.network import Layer
from neurodebug.engine.normal import normal_cdf, normal_pdf
from neurodebug.engine.settings import Settings
from test_reference import ACTIVATION_NAMES

FIXTURES = Path(__file__).parent / "fixtures"
ELEMENTWISE = [a for a in ACTIVATIONS.values() if not a.per_layer]
# Parameters other than the defaults, for the activations that take some.
OTHER_PARAMS = {"leaky_relu": {"alpha": 0.1}, "elu": {"alpha": 0.7}, "hard_sigmoid": {"alpha": 0.2, "beta": 0.5},
                "clip": {"min": -2.0, "max": 3.0}}
SETS = [(a, None) for a in ACTIVATIONS.values()] + [(ACTIVATIONS[n], p) for n, p in OTHER_PARAMS.items()]


def set_id(case):
    act, params = case if isinstance(case, tuple) else (case, None)
    return act.name + ("" if params is None else "(" + ",".join(f"{v:g}" for v in params.values()) + ")")


def kinks(act, params):
    """Where g has no derivative: its dying point, the edges of a piecewise-flat side, hard_silu's 3."""
    out = [0.0]
    if act.dying_point(params) is not None:
        out.append(act.dying_point(params))
    flat = act.flat(1e-4, params)
    if flat is not None and act.name in ("hard_sigmoid", "relu6", "clip"):
        out += [v for v in flat if math.isfinite(v)]
    return out + ([3.0] if act.name == "hard_silu" else [])


def test_every_activation_has_an_independent_reference():
    assert set(ACTIVATION_NAMES) == set(ACTIVATIONS) == set(SUPPORTED_ACTIVATIONS)


@pytest.mark.parametrize("case", [c for c in SETS if not c[0].per_layer], ids=set_id)
@given(z=st.floats(-30, 30))
def test_the_derivative_is_the_slope_of_the_function(case, z):
    act, params = case
    if any(abs(z - k) < 1e-3 for k in kinks(act, params)):
        return
    h = 1e-6
    numeric = (float(act(np.array(z + h), params)) - float(act(np.array(z - h), params))) / (2 * h)
    assert float(act.derivative(np.array(z), params)) == pytest.approx(numeric, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("case", SETS, ids=set_id)
def test_function_and_derivative_are_quiet_for_any_float64(case):
    act, params = case
    z = np.array([-1.7e308, -1e300, -745.0, -1.0, 0.0, 1.0, 745.0, 1e300, 1.7e308, np.inf, -np.inf, np.nan])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is the right answer
        a = act(z, params)
        act.derivative(a if act.per_layer else z, params)
        big32 = float(np.finfo(np.float32).max)
        a32 = act(np.array([-big32, -1e30, -90.0, -1.0, 0.0, 1.0, 90.0, 1e30, big32, np.inf, -np.inf, np.nan],
                           dtype=np.float32), params)
    assert a.shape == z.shape and a.dtype == np.float64 and a32.dtype == np.float32


@pytest.mark.parametrize("case", [c for c in SETS if c[0].flat(1e-4, c[1]) is not None], ids=set_id)
@pytest.mark.parametrize("slope", [1e-2, 1e-4, 1e-8])
def test_the_flat_sides_are_where_the_slope_stays_below_the_threshold(case, slope):
    act, params = case
    lo, hi = act.flat(slope, params)
    settings = Settings(saturation_slope=slope)
    layer = Layer("l", act.name, np.zeros((1, 1)), np.zeros(1), params=params)
    for edge, outward in ((lo, -1.0), (hi, 1.0)):
        if not math.isfinite(edge):
            continue
        step = 1e-3 * max(1.0, abs(edge))
        beyond = edge + outward * np.array([step, 10 * step, 1e3 * step, 1e300])
        inside = np.array(edge - outward * step)
        assert (np.abs(act.derivative(beyond, params)) < slope).all()
        assert abs(float(act.derivative(inside, params))) >= slope
        assert conditions.saturated(layer, beyond, settings).all()
        assert not conditions.saturated(layer, inside, settings)
        slope_at_edge = abs(float(act.derivative(np.array(edge), params)))
        if act.name not in ("hard_sigmoid", "relu6", "clip", "leaky_relu", "elu"):  # smooth there
            assert slope_at_edge == pytest.approx(slope, rel=1e-6)
    assert conditions.saturated(layer, np.array([np.nan]), settings).tolist() == [False]
    if math.isfinite(lo):
        assert conditions.saturated(layer, np.array([-np.inf]), settings).tolist() == [True]


def test_the_saturation_bound_of_the_symmetric_ones():
    for name in ("sigmoid", "tanh", "softsign", "clip"):
        act = ACTIVATIONS[name]
        lo, hi = act.flat(1e-4)
        assert act.saturation_bound(1e-4) == saturation_bound(name, 1e-4) == hi == -lo
    assert ACTIVATIONS["clip"].flat(1e-4, {"min": -2.0, "max": 3.0}) == (-2.0, 3.0)
    with pytest.raises(ValueError):
        saturation_bound("gelu", 1e-4)  # flat on the left only: Activation.flat says where


@pytest.mark.parametrize("act", [a for a in ACTIVATIONS.values() if a.flat(1e-4) is None], ids=lambda a: a.name)
def test_what_cannot_saturate_never_is(act):
    assert act.saturation_bound(1e-4) is None
    assert not conditions.saturated(act.name, np.array([1e300, -1e300, np.inf, -np.inf]), Settings()).any()
    with pytest.raises(ValueError):
        saturation_bound(act.name, 1e-4)


# What "saturated" (g' < 1e−4 for good) and "dead" (exactly 0, slope 0) mean for each:
# docs/health-checks.md has the same table.
FLAT_SIDES = {
    "sigmoid": ((-9.2101, 9.2101), None), "tanh": ((-5.2983, 5.2983), None), "softsign": ((-99.0, 99.0), None),
    "relu": (None, 0.0), "leaky_relu": (None, None), "linear": (None, None), "softmax": (None, None),
    "log_softmax": (None, None), "gelu": ((-4.4102, math.inf), None), "gelu_tanh": ((-4.2606, math.inf), None),
    "silu": ((-11.5682, math.inf), None), "mish": ((-11.5682, math.inf), None), "elu": ((-9.2103, math.inf), None),
    "selu": ((-9.7746, math.inf), None), "softplus": ((-9.2102, math.inf), None),
    "exponential": ((-9.2103, math.inf), None), "hard_sigmoid": ((-math.inf, 3.0), -3.0),
    "hard_silu": (None, -3.0), "relu6": ((-math.inf, 6.0), 0.0), "clip": ((-1.0, 1.0), None),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_what_saturated_and_dead_mean_for_each(name):
    flat, dies = FLAT_SIDES[name]
    act = ACTIVATIONS[name]
    got = act.flat(1e-4)
    assert (got is None) == (flat is None)
    if flat is not None:
        assert got == pytest.approx(flat, abs=1e-4)
    assert act.dying_point() == dies


def test_parameters_move_the_flat_sides():
    assert ACTIVATIONS["elu"].flat(1e-4, {"alpha": 0.0}) is None  # α = 0: a ReLU, which dies instead
    assert ACTIVATIONS["elu"].dying_point({"alpha": 0.0}) == 0.0
    assert ACTIVATIONS["elu"].flat(1e-4, {"alpha": 1e-5}) == (0.0, math.inf)  # its whole left side is below 1e−4
    assert ACTIVATIONS["leaky_relu"].flat(1e-4, {"alpha": 1e-5}) == (0.0, math.inf)
    assert ACTIVATIONS["leaky_relu"].dying_point({"alpha": 0.0}) == 0.0
    keras2 = {"alpha": 0.2, "beta": 0.5}
    assert ACTIVATIONS["hard_sigmoid"].flat(1e-4, keras2) == (-math.inf, 2.5)
    assert ACTIVATIONS["hard_sigmoid"].dying_point(keras2) == -2.5
    assert ACTIVATIONS["clip"].flat(1e-4, {"min": 0.0, "max": 2.5}) == (-math.inf, 2.5)  # below 0 it dies
    assert ACTIVATIONS["clip"].dying_point({"min": 0.0, "max": 2.5}) == 0.0
    assert ACTIVATIONS["clip"].dying_point({"min": -1.0, "max": 1.0}) is None  # −1 is not 0: saturated there


@pytest.mark.parametrize("case", SETS, ids=set_id)
def test_dying_and_output_range_agree_with_the_function(case):
    act, params = case
    z = np.linspace(-50, 50, 2001)
    a = act(z, params)
    if act.output_range is not None:
        lo, hi = act.output_range
        assert (a >= lo).all() and (a <= hi).all()
    at = act.dying_point(params)
    layer = Layer("l", act.name, np.zeros((1, 1)), np.zeros(1), params=params)
    if at is not None:
        below = z <= at
        assert np.all(a[below] == 0) and np.all(act.derivative(z[below], params) == 0)
        assert conditions.inactive(layer, z).tolist() == below.tolist()
        assert not conditions.saturated(layer, z[below], Settings()).any()  # dead there, not saturated
    else:
        assert not conditions.inactive(layer, z).any()
    if act.class_cut is not None and act.output_range is not None:
        assert act.output_range[0] <= act.class_cut <= act.output_range[1]


def test_parameters_are_checked():
    assert Layer("l", "elu", np.ones((1, 1)), np.zeros(1)).params == {"alpha": 1.0}
    assert Layer("l", "leaky_relu", np.ones((1, 1)), np.zeros(1)).alpha == 0.01
    assert Layer("l", "sigmoid", np.ones((1, 1)), np.zeros(1), alpha=0.3).params == {}  # α is ignored there
    bad = [("clip", {"min": 1.0, "max": 1.0}, "clip needs min < max"),
           ("hard_sigmoid", {"alpha": 0.0}, "hard_sigmoid needs a slope alpha > 0"),
           ("elu", {"alpha": math.nan}, "the elu scale alpha must be a finite number"),
           ("leaky_relu", {"alpha": math.inf}, "the leaky_relu slope alpha must be a finite number"),
           ("relu6", {"max": 5.0}, "relu6 takes no parameter 'max'"),
           ("clip", {"alpha": 1.0}, "clip takes no parameter 'alpha' (it takes min, max)")]
    for name, params, message in bad:
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            Layer("l", name, np.ones((1, 1)), np.zeros(1), params=params)
    assert set(PARAM_NAMES) == {"alpha", "beta", "min", "max"}
    assert TAKE_ALPHA == ("leaky_relu", "elu", "hard_sigmoid")


def test_readers_names_come_from_the_entries():
    assert KERAS_NAMES == {k: a.name for a in ACTIVATIONS.values() for k in a.keras_names}
    assert ONNX_OPS["Sigmoid"] == "sigmoid" and ONNX_OPS["LeakyRelu"] == "leaky_relu"
    assert all(name in ACTIVATIONS for name in ONNX_OPS.values())
    assert KERAS_NAMES["swish"] == "silu" and KERAS_NAMES["hard_tanh"] == "clip" and ONNX_OPS["HardSwish"] == "hard_silu"


def test_the_written_form_of_each_activation():
    assert ACTIVATIONS["sigmoid"].text("166.5") == "σ(166.5)"
    assert ACTIVATIONS["relu"].text("z1_1") == "relu(z1_1)"
    assert ACTIVATIONS["clip"].text("z1_1") == "clip(z1_1, −1, 1)"
    assert ACTIVATIONS["clip"].text("z1", {"min": 0.0, "max": 2.5}) == "clip(z1, 0, 2.5)"
    assert ACTIVATIONS["gelu"].text("z2_3") == "gelu(z2_3)"
    assert ACTIVATIONS["sigmoid"].at_limit(166.5, 1.0) and not ACTIVATIONS["sigmoid"].at_limit(0.0, 0.5)
    assert not ACTIVATIONS["relu"].at_limit(-3.0, 0.0)  # relu's 0 is exact: no ≈
    assert not ACTIVATIONS["hard_sigmoid"].at_limit(5.0, 1.0)  # nor is hard_sigmoid's 1 from z = 3 on


def test_derivative_by_name_is_the_entry_s():
    z = np.array([-3.0, 0.5, 200.0])
    for name, act in ACTIVATIONS.items():
        np.testing.assert_array_equal(derivative(name, z), act.derivative(z))
    assert math.isclose(float(derivative("sigmoid", np.array(166.5))), math.exp(-166.5), rel_tol=1e-12)
    assert float(derivative("leaky_relu", np.array(-1.0), {"alpha": 0.3})) == 0.3


# -- against PyTorch ---------------------------------------------------------------------
# tests/fixtures/make_activation_reference.py evaluated PyTorch's functions and autograd.
TORCH = json.loads((FIXTURES / "activation_reference.json").read_text())
TORCH_Z = np.array([float(v) for v in TORCH["z"]])
TORCH_FINITE_Z = np.array([float(v) for v in TORCH["finite_z"]])
# Where the engine and PyTorch part, and why (any other difference fails):
TORCH_VALUES_DIFFER = {("hard_silu", 1e308): "PyTorch's x·(x + 3)/6 overflows to ∞; x·((x + 3)/6) is 1e308"}
TORCH_SLOPES_DIFFER = {
    ("gelu_tanh", 1e308): "PyTorch's backward computes ∞·0 = NaN; the engine gives the limit, 1",
    ("gelu_tanh", -1e308): "PyTorch's backward computes ∞·0 = NaN; the engine gives the limit, 0",
    ("hard_sigmoid", -2.5): "at the kink the engine takes the flat side's 0, as PyTorch's own hardsigmoid does; "
                            "torch.clamp passes the gradient there",
    ("hard_sigmoid", 2.5): "the same kink on the other side",
}


def _floats(values):
    return np.array([float(v) for v in values])


@pytest.mark.parametrize("case", TORCH["elementwise"], ids=lambda c: c["name"] + json.dumps(c["params"]))
def test_values_and_slopes_against_pytorch(case):
    act, params = ACTIVATIONS[case["name"]], case["params"]
    want, got = _floats(case["values"]), act(TORCH_Z, params)
    for z in [z for (name, z) in TORCH_VALUES_DIFFER if name == act.name]:
        k = int(np.flatnonzero(TORCH_Z == z)[0])
        want[k] = got[k]
    # PyTorch's tails lose digits (0.5·x·(1 + erf(x/√2)) cancels past x = −5, σ(1 − σ) past 20): 1e−15 absolute.
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15, equal_nan=True)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[np.isinf(want)], want[np.isinf(want)])
    slopes, got_slopes = _floats(case["slopes"]), act.derivative(TORCH_FINITE_Z, params)
    for z in [z for (name, z) in TORCH_SLOPES_DIFFER if name == act.name]:
        k = np.flatnonzero(TORCH_FINITE_Z == z)
        if k.size and (act.name != "hard_sigmoid" or params["alpha"] == 0.2):
            slopes[k] = got_slopes[k]
    # PyTorch's hardsigmoid backward multiplies by 1/6 as a float32, even in float64.
    rtol = 1e-7 if act.name == "hard_sigmoid" and params["alpha"] != 0.2 else 1e-12
    np.testing.assert_allclose(got_slopes, slopes, rtol=rtol, atol=1e-15, equal_nan=True)


@pytest.mark.parametrize("case", TORCH["per_layer"], ids=lambda c: c["name"])
def test_whole_layer_activations_against_pytorch(case):
    rows = np.array([_floats(row) for row in TORCH["rows"]])
    want = np.array([_floats(row) for row in case["values"]])
    got = ACTIVATIONS[case["name"]](rows)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300, equal_nan=True)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))


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
