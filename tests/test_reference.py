"""The engine against a forward pass written independently in this file.

Every step of the plan, in both granularities, for single samples and batches,
must hold the value a plain vectorised NumPy forward pass computes. The
reference below shares no code with the engine: its own activations, its own
products-then-sum dot product, its own normalisation.

Two comparisons:

* step by step, each layer's reference is computed from the engine's own input
  to that layer (itself checked one layer earlier), so tolerances stay a few
  ulps no matter how deep the network;
* the whole pass (``outputs``, ``Network.forward``) against the reference run
  end to end, with a tolerance from a forward error bound.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurodebug.engine import (
    ACTIVATE,
    BIAS,
    DOT,
    NORM,
    NORMALIZE,
    PER_LAYER,
    PER_NEURON,
    BatchNorm,
    Layer,
    Network,
    Normalization,
    Plan,
    Rescaling,
)
from neurodebug.engine.trace import forward, trace_of

from activation_references import (
    ACTIVATION_NAMES,
    PER_LAYER_NAMES,
    SELU_ALPHA,
    SELU_LAMBDA,
    ref_activation,
    ref_rtol_ulps,
)

KINDS = (DOT, BIAS, ACTIVATE)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DETAIL_BUDGET = 240  # detail() calls per example; values are checked for every step


# -- the reference ------------------------------------------------------------------
# The activations: tests/activation_references.py, written from the definitions.


def ref_products(x, W):
    """products[s, i, j] = x[s, i] * W[i, j]: every term of every dot product."""
    return x[:, :, None] * W[None, :, :]


def ref_layer(x, layer):
    """(zdot, z, a) of one dense layer for a batch ``x`` (rows are samples),
    its batch norm or rescaling before (z) or after (a) the activation."""
    with np.errstate(all="ignore"):
        zdot = ref_products(x, layer.W).sum(axis=1)
        z = zdot + layer.b
        if layer.norm is not None and layer.norm_at == "z":
            z = ref_normalize(z, layer.norm)
        a = ref_activation(layer.activation, z, layer.params)
        if layer.norm is not None and layer.norm_at == "a":
            a = ref_normalize(a, layer.norm)
    return zdot, z, a


def ref_normalize(x, norm):
    """The three element-wise maps, from their definitions."""
    with np.errstate(all="ignore"):
        if isinstance(norm, BatchNorm):
            return norm.gamma * (x - norm.mean) / np.sqrt(norm.var + norm.eps) + norm.beta
        if isinstance(norm, Rescaling):
            return x * norm.scale + norm.offset
        return (x - norm.mean) / norm.std


def norm_atol(x, norm):
    """An absolute tolerance for a norm of ``x``: a few ulps of the largest
    term it adds (x − μ cancels, so a relative one cannot hold)."""
    with np.errstate(all="ignore"):
        if isinstance(norm, BatchNorm):
            factor = np.abs(norm.gamma) / np.sqrt(norm.var + norm.eps)
            size = (np.abs(x) + np.abs(norm.mean)) * factor + np.abs(norm.beta)
        elif isinstance(norm, Rescaling):
            size = np.abs(x * norm.scale) + np.abs(norm.offset)
        else:
            size = (np.abs(x) + np.abs(norm.mean)) / norm.std
    return 16 * eps_of(np.asarray(x), *norm.params().values()) * finite_max(size)


def ref_forward(net, x):
    """The whole pass: (normalised input, [(zdot, z, a) per layer]).

    Like the engine, it computes in the parameters' precision (float32 weights:
    float32 inputs), or a sigmoid that underflows to 0 in one and not in the
    other turns 0 × inf into NaN on one side only.
    """
    dtype = np.result_type(np.float32, *(l.W.dtype for l in net.layers), *(l.b.dtype for l in net.layers))
    x = np.atleast_2d(x).astype(dtype)
    xin = ref_normalize(x, net.normalization) if net.normalization is not None else x
    layers, h = [], xin
    for layer in net.layers:
        zdot, z, a = ref_layer(h, layer)
        layers.append((zdot, z, a))
        h = a
    return xin, layers


# The largest |g'(z)| of each activation (a whole-layer one: per unit of the row's largest error).
LIPSCHITZ = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "linear": 1.0, "softmax": 1.0, "log_softmax": 2.0,
             "gelu": 1.13, "gelu_tanh": 1.13, "silu": 1.1, "mish": 1.09, "selu": SELU_LAMBDA * SELU_ALPHA,
             "softplus": 1.0, "softsign": 1.0, "hard_silu": 1.5, "relu6": 1.0, "clip": 1.0}


def lipschitz(layer, a, e_z):
    """A bound on |g'| over [z − e_z, z + e_z]: a constant, or for eᶻ its own value there."""
    name = layer.activation
    if name in ("leaky_relu", "elu"):
        return max(1.0, abs(layer.params["alpha"]))
    if name == "hard_sigmoid":
        return layer.params["alpha"]
    if name == "exponential":
        return np.abs(a) * np.exp(np.minimum(e_z, 1.0)) * 2
    return LIPSCHITZ[name]


def forward_error_bound(net, x, ref_layers, eps):
    """An upper bound on |engine - reference| for each layer's (zdot, z, a).

    Both sides round differently (summation order, activation formulas); the
    error of a layer's input is carried through |W| and the activation's
    Lipschitz constant, and each layer adds its own rounding.
    """
    n_eps = 4 * eps
    bounds = []
    with np.errstate(all="ignore"):
        h = np.abs(np.atleast_2d(x))
        e_in = np.zeros_like(h) + n_eps * h  # normalisation rounding
        for layer, (zdot, _z, a) in zip(net.layers, ref_layers):
            absW = np.abs(layer.W)
            e_zdot = e_in @ absW + (layer.n_inputs + 2) * n_eps * (h @ absW)
            e_z = e_zdot + n_eps * (np.abs(zdot) + np.abs(layer.b))
            per_layer = layer.activation in PER_LAYER_NAMES
            spread = e_z.max(axis=1, keepdims=True) if per_layer else e_z
            lip = lipschitz(layer, a, spread)
            e_a = lip * spread + 64 * n_eps * np.abs(a) + (64 * n_eps if per_layer else 0)
            bounds.append((e_zdot, e_z, e_a))
            h, e_in = np.abs(a), e_a
    return bounds


# -- comparing ----------------------------------------------------------------------
def eps_of(*arrays) -> float:
    return float(np.finfo(np.result_type(*[np.asarray(a).dtype for a in arrays], np.float32)).eps)


def finite_max(values) -> float:
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else 0.0


def assert_same(got, ref, *, atol=0.0, rtol_ulps=16, what=""):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, reference {ref.shape}"
    rtol = rtol_ulps * eps_of(got, ref)
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


# -- random networks -------------------------------------------------------------------
@dataclass
class Case:
    network: Network
    x: np.ndarray  # 1-D (one sample) or 2-D (a batch)


@st.composite
def activation_params(draw, name):
    """Parameters for an activation that takes some: the frameworks' and others."""
    if name in ("leaky_relu", "elu"):
        return {"alpha": draw(st.floats(0.001, 0.5) | st.just(1.0) if name == "elu" else st.floats(0.001, 0.5))}
    if name == "hard_sigmoid":
        return draw(st.sampled_from([{"alpha": 1 / 6, "beta": 0.5}, {"alpha": 0.2, "beta": 0.5}])
                    | st.fixed_dictionaries({"alpha": st.floats(0.05, 2.0), "beta": st.floats(-1.0, 1.5)}))
    if name == "clip":
        lo = draw(st.sampled_from([0.0, -1.0]) | st.floats(-3.0, 1.0))
        return {"min": lo, "max": lo + draw(st.floats(0.1, 6.0))}
    return {}


@st.composite
def structures(draw, max_layers=5, max_units=64):
    n_inputs = draw(st.integers(1, max_units))
    widths = draw(st.lists(st.integers(1, max_units), min_size=1, max_size=max_layers))
    acts = draw(st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=len(widths), max_size=len(widths)))
    params = [draw(activation_params(a)) for a in acts]
    normalized = draw(st.sampled_from([None, None, "normalization", "batchnorm", "rescaling"]))
    norms = [draw(st.sampled_from([None, None, ("batchnorm", "z"), ("batchnorm", "a"), ("rescaling", "z"),
                                   ("rescaling", "a")])) for _ in widths]
    return n_inputs, widths, acts, params, normalized, norms


def make_norm(kind, n, rng, scale=1.0, dtype=np.float64):
    """A norm of ``kind`` over ``n`` elements with random, valid parameters."""
    if kind == "normalization":
        return Normalization(rng.normal(0.0, scale, size=n), rng.uniform(0.1, 2.0, size=n) * scale)
    if kind == "batchnorm":
        return BatchNorm(rng.normal(1.0, 0.5, size=n).astype(dtype), rng.normal(0.0, 1.0, size=n).astype(dtype),
                         rng.normal(0.0, scale, size=n).astype(dtype),
                         (rng.uniform(0.0, 2.0, size=n) * scale**2).astype(dtype), float(rng.choice([1e-5, 1e-3])))
    return Rescaling(rng.normal(0.0, 1.0 / scale, size=n).astype(dtype), rng.normal(0.0, 1.0, size=n).astype(dtype))


@st.composite
def cases(draw, max_layers=5, max_units=64):
    n_inputs, widths, acts, params, normalized, norms = draw(structures(max_layers, max_units))
    dtype = draw(st.sampled_from([np.float64, np.float64, np.float32]))
    seed = draw(st.integers(0, 2**32 - 1))
    weight_scale = draw(st.sampled_from([0.01, 0.5, 1.0, 3.0, 30.0]))
    input_scale = draw(st.sampled_from([1e-3, 1.0, 10.0, 200.0, 1e4]))
    sparsity = draw(st.sampled_from([0.0, 0.0, 0.3]))
    rng = np.random.default_rng(seed)

    layers = []
    n_prev = n_inputs
    for i, (units, act, p, layer_norm) in enumerate(zip(widths, acts, params, norms)):
        W = rng.normal(0.0, weight_scale, size=(n_prev, units))
        W[rng.random(W.shape) < sparsity] = 0.0
        b = rng.normal(0.0, weight_scale, size=units)
        extra = {}
        if layer_norm is not None:
            extra = {"norm": make_norm(layer_norm[0], units, rng, weight_scale, dtype), "norm_at": layer_norm[1]}
        layers.append(Layer(f"layer{i + 1}", act, W.astype(dtype), b.astype(dtype), params=p, **extra))
        n_prev = units
    norm = None
    if normalized:
        norm = make_norm(normalized, n_inputs, rng, input_scale, dtype)
    net = Network(layers, normalization=norm)

    batch = draw(st.booleans())
    n_samples = draw(st.integers(1, 5)) if batch else 1
    x = rng.normal(0.0, input_scale, size=(n_samples, n_inputs))
    if draw(st.booleans()):
        x = np.round(x)  # integer-valued inputs, like the seed's [200, 17]
    x = x.astype(dtype)
    return Case(net, x if batch else x[0])


def expected_steps(net: Network, granularity: str) -> list[tuple[int, int | None, str]]:
    steps: list[tuple[int, int | None, str]] = []
    if net.normalization is not None:
        steps.append((-1, None, NORMALIZE))
    for l, layer in enumerate(net.layers):
        kinds = layer_kinds(layer)
        if granularity == PER_LAYER:
            steps += [(l, None, kind) for kind in kinds]
        elif layer.activation in PER_LAYER_NAMES:
            cut = kinds.index(ACTIVATE)  # the activation and what follows it: once for the layer
            for j in range(layer.units):
                steps += [(l, j, kind) for kind in kinds[:cut]]
            steps += [(l, None, kind) for kind in kinds[cut:]]
        else:
            for j in range(layer.units):
                steps += [(l, j, kind) for kind in kinds]
    return steps


def layer_kinds(layer: Layer) -> tuple:
    if layer.norm is None:
        return KINDS
    return (DOT, BIAS, NORM, ACTIVATE) if layer.norm_at == "z" else (DOT, BIAS, ACTIVATE, NORM)


# -- the step values -----------------------------------------------------------------
def check_trace_against_reference(net: Network, x: np.ndarray, granularity: str, detail_budget: int = DETAIL_BUDGET) -> None:
    trace = trace_of(net, x)
    batch = np.atleast_2d(x)
    plan = Plan(net, granularity)
    assert trace.n_samples == batch.shape[0]

    # Reference per layer, from the engine's own (already checked) layer input.
    if net.normalization is not None:
        assert_same(trace.x, ref_normalize(batch, net.normalization), atol=norm_atol(trace.x_raw, net.normalization),
                    what="normalised input")
    else:
        np.testing.assert_array_equal(trace.x, batch)
    refs = []
    for l, layer in enumerate(net.layers):
        xin = trace.layer_input(l)
        zdot, z, a = ref_layer(xin, layer)
        with np.errstate(all="ignore"):
            scale = np.abs(xin) @ np.abs(layer.W)
        dot_atol = (layer.n_inputs + 2) * 4 * eps_of(xin, layer.W) * finite_max(scale)
        v = trace.values[l]
        assert_same(v.zdot, zdot, atol=dot_atol, what=f"layer {l} zdot")
        # z and a from the engine's own zdot and z: exact apart from the last ulps.
        with np.errstate(all="ignore"):
            assert_same(v.biased, v.zdot + layer.b, rtol_ulps=1, what=f"layer {l} z")
            if layer.norm is not None and layer.norm_at == "z":
                assert_same(v.z, ref_normalize(v.biased, layer.norm), atol=norm_atol(v.biased, layer.norm),
                            rtol_ulps=16, what=f"layer {l} z'")
            else:
                assert v.z is v.biased
            a_from_z = ref_activation(layer.activation, v.z, layer.params)
        rtol_ulps = 64 * layer.units if layer.activation in PER_LAYER_NAMES else 16
        assert_same(v.activated, a_from_z, atol=8 * eps_of(v.a), rtol_ulps=rtol_ulps, what=f"layer {l} a")
        if layer.norm is not None and layer.norm_at == "a":
            with np.errstate(all="ignore"):
                assert_same(v.a, ref_normalize(v.activated, layer.norm), atol=norm_atol(v.activated, layer.norm),
                            rtol_ulps=16, what=f"layer {l} a after the norm")
        else:
            assert v.a is v.activated
        norm_out = v.a if layer.norm_at == "a" else v.z
        refs.append((xin, v.zdot, v.biased, v.activated, norm_out, dot_atol))

    rng = np.random.default_rng(len(plan))
    total = len(plan) * trace.n_samples
    detail_keep = 1.0 if total <= detail_budget else detail_budget / total
    for i in range(trace.n_samples):
        st_ = trace.sample(i)
        for step in plan:
            value = st_.value(step)
            if step.kind == NORMALIZE:
                expected = trace.x[i]
            else:
                xin, zdot, z, a, norm_out, dot_atol = refs[step.layer]
                vec = {DOT: zdot, BIAS: z, ACTIVATE: a, NORM: norm_out}[step.kind][i]
                expected = vec if step.neuron is None else vec[step.neuron]
            np.testing.assert_array_equal(value, expected, err_msg=f"step {step}")
            assert value.shape == (() if step.neuron is not None else np.shape(expected))
            if rng.random() >= detail_keep:
                continue
            d = st_.detail(step)
            assert d.step == step
            np.testing.assert_array_equal(d.result, value, err_msg=f"detail of {step}")
            assert isinstance(d.formula, str) and d.formula
            if step.kind == DOT and step.neuron is not None:
                layer = net.layers[step.layer]
                xin = refs[step.layer][0][i]
                assert d.products is not None
                with np.errstate(all="ignore"):
                    ref_terms = ref_products(xin[None, :], layer.W)[0, :, step.neuron]
                assert_same(d.products, ref_terms, rtol_ulps=1, what=f"products of {step}")
                with np.errstate(all="ignore"):
                    total_abs = np.abs(d.products).sum()
                atol = (layer.n_inputs + 2) * 4 * eps_of(d.products) * (total_abs if np.isfinite(total_abs) else 0.0)
                with np.errstate(all="ignore"):
                    summed = d.products.sum()
                assert_same(summed, value, atol=atol, what=f"sum of products of {step}")
                np.testing.assert_array_equal(d.operands["w"], layer.W[:, step.neuron])


@SETTINGS
@given(cases())
def test_every_step_matches_the_reference(case: Case) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for granularity in (PER_NEURON, PER_LAYER):
            check_trace_against_reference(case.network, case.x, granularity)


@SETTINGS
@given(cases())
def test_whole_pass_matches_the_reference(case: Case) -> None:
    net, x = case.network, case.x
    xin, ref_layers = ref_forward(net, x)
    eps = eps_of(np.asarray(x), *[layer.W for layer in net.layers])
    bounds = forward_error_bound(net, xin, ref_layers, eps)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = trace_of(net, x)
        out = forward(net, x)
    for l, ((zdot, z, a), (e_zdot, e_z, e_a)) in enumerate(zip(ref_layers, bounds)):
        v = trace.values[l]
        assert_same(v.zdot, zdot, atol=finite_max(e_zdot), what=f"layer {l} zdot")
        assert_same(v.z, z, atol=finite_max(e_z), what=f"layer {l} z")
        assert_same(v.a, a, atol=finite_max(e_a), what=f"layer {l} a")
    expected = ref_layers[-1][2] if np.ndim(x) == 2 else ref_layers[-1][2][0]
    assert out.shape == expected.shape
    assert_same(out, expected, atol=finite_max(bounds[-1][2]), what="Network.forward")


@SETTINGS
@given(cases())
def test_forward_takes_one_sample_or_a_batch(case: Case) -> None:
    net = case.network
    batch = np.atleast_2d(case.x)
    xin, ref_layers = ref_forward(net, batch)
    eps = eps_of(batch, *[layer.W for layer in net.layers])
    atol = finite_max(forward_error_bound(net, xin, ref_layers, eps)[-1][2])
    outs = forward(net, batch)
    assert outs.shape == (batch.shape[0], net.n_outputs)
    for i, row in enumerate(batch):
        one = forward(net, row)
        assert one.shape == (net.n_outputs,)
        assert_same(one, ref_layers[-1][2][i], atol=atol, what=f"row {i} alone")
        assert_same(outs[i], ref_layers[-1][2][i], atol=atol, what=f"row {i} in the batch")
    # Plain lists work too.
    np.testing.assert_array_equal(forward(net, batch.tolist()), forward(net, batch.astype(float)))


def test_forward_rejects_the_wrong_shape() -> None:
    from neurodebug.engine import ShapeError

    net = Network([Layer("l", "sigmoid", np.ones((2, 3)), np.zeros(3))])
    with pytest.raises(ShapeError, match="2 input features"):
        forward(net, [1.0, 2.0, 3.0])
    with pytest.raises(ShapeError):
        forward(net, np.ones((2, 2, 2)))
    with pytest.raises(ShapeError, match="numbers"):
        forward(net, ["a", "b"])


def test_steps_are_views_not_copies() -> None:
    rng = np.random.default_rng(0)
    net = Network([
        Layer("l1", "tanh", rng.normal(size=(3, 4)), rng.normal(size=4)),
        Layer("l2", "softmax", rng.normal(size=(4, 3)), rng.normal(size=3)),
    ])
    trace = trace_of(net, rng.normal(size=(5, 3)))
    for granularity in (PER_NEURON, PER_LAYER):
        plan = Plan(net, granularity)
        st_ = trace.sample(2)
        for step in plan:
            arrays = trace.values[step.layer]
            base = {DOT: arrays.zdot, BIAS: arrays.z, ACTIVATE: arrays.a}[step.kind]
            assert np.shares_memory(st_.value(step), base)
            assert np.shares_memory(st_.detail(step).result, base)


# -- the plan ---------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(structures(max_layers=5, max_units=64), st.sampled_from([PER_NEURON, PER_LAYER]))
def test_plan_invariants(structure, granularity) -> None:
    n_inputs, widths, acts, _alphas, normalized, norms = structure
    layers, n_prev = [], n_inputs
    for i, (units, act, layer_norm) in enumerate(zip(widths, acts, norms)):
        extra = {} if layer_norm is None else {"norm": Rescaling(np.ones(units), np.zeros(units)),
                                               "norm_at": layer_norm[1]}
        layers.append(Layer(f"l{i}", act, np.zeros((n_prev, units)), np.zeros(units), **extra))
        n_prev = units
    norm = Normalization(np.zeros(n_inputs), np.ones(n_inputs)) if normalized else None
    net = Network(layers, normalization=norm)
    plan = Plan(net, granularity)

    expected = expected_steps(net, granularity)
    steps = list(plan)
    assert len(plan) == len(expected) == len(steps)
    # Every (layer, neuron, kind) exactly once, in the order of the pass.
    positions = [(s.layer, s.neuron, s.kind) for s in steps]
    assert positions == expected
    assert len(set(positions)) == len(positions)
    for k, step in enumerate(steps):
        assert step.index == k
        assert plan[k] == step
        assert plan.index_of(step.layer, step.neuron, step.kind) == k
    assert plan[-1] == steps[-1]
    assert plan[-len(plan)] == steps[0]
    with pytest.raises(IndexError):
        plan[len(plan)]
    with pytest.raises(IndexError):
        plan[-len(plan) - 1]

    for l, layer in enumerate(net.layers):
        start, end = plan.layer_start(l), plan.layer_end(l)
        assert plan[start].layer == plan[end].layer == l
        assert start == 0 or plan[start - 1].layer != l
        assert end == len(plan) - 1 or plan[end + 1].layer == l + 1
        for kind in layer_kinds(layer):
            idx = plan.indices(l, kind)
            assert idx.shape == (layer.units,)
            for j, k in enumerate(idx):
                step = plan[int(k)]
                assert (step.layer, step.kind) == (l, kind)
                assert step.neuron in (j, None)
                assert int(k) == plan.index_of(l, j, kind)
            whole_layer = layer.activation in PER_LAYER_NAMES and layer_kinds(layer).index(kind) >= layer_kinds(layer).index(ACTIVATE)
            if granularity == PER_NEURON and not whole_layer:
                assert len(set(idx.tolist())) == layer.units
        for j in range(layer.units):
            assert plan[plan.neuron_start(l, j)].kind == DOT
            # Within a neuron: dot product, then bias, (norm), then activation, (norm).
            order = [plan.index_of(l, j, kind) for kind in layer_kinds(layer)]
            assert order == sorted(order) and len(set(order)) == len(order)


def test_plan_rejects_an_unknown_granularity() -> None:
    net = Network([Layer("l", "relu", np.ones((1, 1)), np.zeros(1))])
    with pytest.raises(ValueError, match="granularity"):
        Plan(net, "weight")


# -- extreme values ------------------------------------------------------------------------
EXTREMES = [0.0, -0.0, 1e-300, -1e-300, 1.0, -1.0, 36.0, -36.0, 709.0, -709.0, 710.0, -710.0,
            1e4, -1e4, 1e154, -1e154, 1e300, -1e300, 1e308, -1e308, 1.7976931348623157e308,
            -1.7976931348623157e308]
NONFINITE = [np.inf, -np.inf, np.nan]


def bias_network(z: np.ndarray, activation: str, alpha: float = 0.01) -> Network:
    """One layer whose z is exactly ``z``: zero weights, zero input, bias z."""
    z = np.asarray(z, dtype=float)
    return Network([Layer("l", activation, np.zeros((1, z.size)), z, alpha=alpha)])


# Their true value passes float64 for some of EXTREMES: λ·1.8e308, e^710, −1e308 − 1e308 in a log-softmax.
OVERFLOWS = ("selu", "exponential", "log_softmax")


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_activations_stay_quiet_for_huge_z(activation: str) -> None:
    z = np.array(EXTREMES)
    if activation in PER_LAYER_NAMES:
        zs = [z, np.array([1e308, -1e308]), np.array([-1e308, -1e308]), np.array([1e308, 1e308, 0.0])]
    else:
        zs = [z]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for zz in zs:
            net = bias_network(zz, activation)
            a = forward(net, np.zeros(1))
            expected = ref_activation(activation, zz[None, :], net.layers[0].params)[0]
            if activation not in OVERFLOWS:
                assert np.isfinite(a).all()
            np.testing.assert_array_equal(np.isfinite(a), np.isfinite(expected))
            assert_same(a, expected, atol=1e-300, rtol_ulps=ref_rtol_ulps(activation, zz), what=activation)
            for granularity in (PER_NEURON, PER_LAYER):
                st_ = trace_of(net, np.zeros(1)).sample(0)
                for step in Plan(net, granularity):
                    st_.detail(step)
    if activation == "sigmoid":
        # σ(−710) = e^−710 / (1 + e^−710) is e^−710, a subnormal, not 0.
        np.testing.assert_array_equal(forward(bias_network([1e308, -1e308, 710, -710], "sigmoid"), [0.0]),
                                      [1.0, 0.0, 1.0, np.exp(-710.0)])
    if activation == "tanh":
        np.testing.assert_array_equal(forward(bias_network([1e308, -1e308], "tanh"), [0.0]), [1.0, -1.0])
    if activation == "softmax":
        np.testing.assert_array_equal(forward(bias_network([1e308, -1e308], "softmax"), [0.0]), [1.0, 0.0])
        np.testing.assert_array_equal(forward(bias_network([1e308, 1e308], "softmax"), [0.0]), [0.5, 0.5])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-1e308, 1e308), st.sampled_from(EXTREMES + NONFINITE)), min_size=1, max_size=8),
    st.sampled_from(ACTIVATION_NAMES),
    st.floats(0.001, 0.5),
)
def test_any_z_gives_the_reference_activation(values, activation, alpha) -> None:
    z = np.array(values)
    net = bias_network(z, activation, alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = trace_of(net, np.zeros(1))
        st_ = trace.sample(0)
        for granularity in (PER_NEURON, PER_LAYER):
            for step in Plan(net, granularity):
                st_.detail(step)
    np.testing.assert_array_equal(trace.values[0].z[0], z)
    expected = ref_activation(activation, z[None, :], net.layers[0].params)[0]
    rtol_ulps = 64 * z.size if activation in PER_LAYER_NAMES else ref_rtol_ulps(activation, z)
    assert_same(trace.outputs[0], expected, atol=1e-300, rtol_ulps=rtol_ulps, what=activation)


def test_an_overflowing_dot_product_is_a_value() -> None:
    net = Network([
        Layer("l1", "sigmoid", np.array([[1.0, -1.0, 1.0], [1.0, -1.0, -1.0]]), np.zeros(3)),
        Layer("l2", "linear", np.ones((3, 1)), np.zeros(1)),
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = trace_of(net, [1e308, 1e308])
        for granularity in (PER_NEURON, PER_LAYER):
            for step in Plan(net, granularity):
                trace.sample(0).detail(step)
    np.testing.assert_array_equal(trace.values[0].zdot[0], [np.inf, -np.inf, 0.0])
    np.testing.assert_array_equal(trace.values[0].a[0], [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(trace.outputs[0], [1.5])


@st.composite
def nonfinite_cases(draw):
    case = draw(cases(max_layers=3, max_units=8))
    net, x = case.network, np.array(case.x, dtype=float)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    specials = np.array(NONFINITE)
    flat = x.reshape(-1)
    for k in draw(st.lists(st.integers(0, flat.size - 1), max_size=3)):
        flat[k] = rng.choice(specials)
    target = net.layers[draw(st.integers(0, len(net.layers) - 1))]
    if draw(st.booleans()):
        W = target.W.copy()
        W.reshape(-1)[rng.integers(W.size)] = rng.choice(specials)
        target.W = W
    return Case(net, x)


@settings(max_examples=80, deadline=None)
@given(nonfinite_cases())
def test_nan_and_inf_propagate_as_values(case: Case) -> None:
    net, x = case.network, case.x
    _, ref_layers = ref_forward(net, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for granularity in (PER_NEURON, PER_LAYER):
            check_trace_against_reference(net, x, granularity, detail_budget=10**6)
        trace = trace_of(net, x)
        out = forward(net, x)
    # Where the reference is NaN or infinite, so is the engine, exactly.
    for l, (zdot, z, a) in enumerate(ref_layers):
        for name, got, ref in (("zdot", trace.values[l].zdot, zdot), ("z", trace.values[l].z, z), ("a", trace.values[l].a, a)):
            np.testing.assert_array_equal(np.isnan(got), np.isnan(ref), err_msg=f"layer {l} {name} NaN")
            np.testing.assert_array_equal(np.isposinf(got), np.isposinf(ref), err_msg=f"layer {l} {name} +inf")
            np.testing.assert_array_equal(np.isneginf(got), np.isneginf(ref), err_msg=f"layer {l} {name} -inf")
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref_layers[-1][2] if np.ndim(x) == 2 else ref_layers[-1][2][0]))


def test_a_nan_weight_poisons_its_neuron_and_what_follows() -> None:
    W1 = np.array([[1.0, 2.0], [3.0, np.nan]])
    net = Network([
        Layer("l1", "relu", W1, np.zeros(2)),
        Layer("l2", "sigmoid", np.array([[1.0], [0.0]]), np.zeros(1)),
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = trace_of(net, [1.0, 1.0])
        notes = [trace.sample(0).detail(s).notes for s in Plan(net, PER_NEURON)]
    np.testing.assert_array_equal(trace.values[0].a[0], [4.0, np.nan])
    # 0 × NaN is NaN: the output neuron sees the NaN even through a zero weight.
    assert np.isnan(trace.outputs[0, 0])
    assert any("not finite" in n for ns in notes for n in ns)


def test_an_infinite_input_propagates() -> None:
    net = Network([Layer("l", "tanh", np.array([[1.0, -1.0, 0.0]]), np.zeros(3))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = forward(net, [np.inf])
    np.testing.assert_array_equal(out, [1.0, -1.0, np.nan])


# -- recomputing after an edit -------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(cases(max_layers=4, max_units=16), st.data())
def test_recompute_redoes_only_the_edited_layer_and_after(case: Case, data) -> None:
    net, x = case.network, case.x
    trace = trace_of(net, x)
    l = data.draw(st.integers(0, len(net.layers) - 1))
    layer = net.layers[l]
    i, j = data.draw(st.integers(0, layer.n_inputs - 1)), data.draw(st.integers(0, layer.units - 1))
    before = list(trace.values)
    W = layer.W.copy()
    W[i, j] = data.draw(st.floats(-10, 10))
    layer.W = W
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        snap = trace.recompute(l)
    # Layers before the edit keep their very arrays; the replaced ones are handed back.
    for k in range(l):
        assert trace.values[k] is before[k]
    assert sorted(snap.layers) == list(range(l, len(net.layers)))
    for k in snap.layers:
        assert snap.layers[k] is before[k]
        assert trace.values[k] is not before[k]
    fresh = trace_of(net, x)
    for k in range(len(net.layers)):
        for name in ("zdot", "z", "a"):
            np.testing.assert_array_equal(getattr(trace.values[k], name), getattr(fresh.values[k], name))


def test_recompute_after_an_input_change() -> None:
    rng = np.random.default_rng(1)
    net = Network([Layer("l", "sigmoid", rng.normal(size=(2, 3)), rng.normal(size=3))],
                  normalization=Normalization(np.array([1.0, 2.0]), np.array([2.0, 4.0])))
    x = np.array([[3.0, 4.0], [5.0, 6.0]])
    trace = trace_of(net, x)
    trace.set_input(1, 0, 7.0)
    trace.recompute(-1)
    np.testing.assert_array_equal(x, [[3.0, 4.0], [5.0, 6.0]])  # the caller's array is untouched
    fresh = trace_of(net, [[3.0, 4.0], [7.0, 6.0]])
    np.testing.assert_array_equal(trace.x, fresh.x)
    np.testing.assert_array_equal(trace.outputs, fresh.outputs)
