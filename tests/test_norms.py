"""Batch norm and rescaling as steps of their own: formulas, edits, files, health, the screen.

The values themselves are checked against an independent pass in
test_reference.py (every activation, norms before and after it); here is
everything around them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from neurodebug import Session, load_network
from neurodebug.engine import (
    NORM, NORMALIZE, PER_LAYER, PER_NEURON, BatchNorm, EditError, Layer, Network, Normalization, Plan,
    Rescaling, Sample, parse_assignment, parse_watches, trace_of,
)
from neurodebug.engine.edits import NORM as NORM_TARGET
from neurodebug.engine.edits import Target, parse_target
from neurodebug.engine.explain import explain
from neurodebug.engine.health import check_health
from neurodebug.io import NetworkFileError, write_json_network
from neurodebug.io.npz_format import write_npz_network
from neurodebug.tui.app import NeurodebugApp
from neurodebug.tui.dialogs import EditDialog
from tui_helpers import press, screen_text, settle

FIXTURE = Path(__file__).parent / "fixtures" / "batchnorm_demo.json"


def bn(n: int, gamma=1.0, beta=0.0, mean=0.0, var=1.0, eps=1e-3) -> BatchNorm:
    return BatchNorm(gamma, beta, mean, var, eps, size=n)


def one_neuron(norm, at="z", activation="relu", x=(1.0, 2.0)) -> Network:
    layer = Layer("l1", activation, np.array([[1.0], [1.0]]), np.array([0.5]), norm=norm, norm_at=at)
    return Network([layer], [Sample("s", np.array(x), label=1)])


# -- formulas and steps ----------------------------------------------------------------
def test_batch_norm_step_writes_the_formula_with_the_real_numbers():
    net = one_neuron(BatchNorm([2.0], [0.5], [1.0], [3.999], 1e-3, name="bn"))
    st = trace_of(net).sample(0)
    steps = list(Plan(net, PER_NEURON))
    assert [s.kind for s in steps] == ["dot", "bias", "norm", "activate"]
    d = st.detail(steps[2])
    assert d.symbolic == "z1_1' = (z1_1 − μ) / √(σ² + ε) · γ + β"
    assert d.formula == "z' = (3.5 − 1) / √(3.999 + 0.001) · 2 + 0.5 = 3"
    assert float(d.result) == 3.0 and "batch norm before the activation (bn)" in d.title
    act = st.detail(steps[3])
    assert act.symbolic == "a1_1 = g(z1_1') = relu(z1_1')" and act.formula == "a = relu(3) = 3"


def test_a_norm_after_the_activation_takes_h_and_gives_a():
    net = one_neuron(Rescaling([10.0], [-1.0]), at="a", activation="sigmoid", x=(0.0, -0.5))
    st = trace_of(net).sample(0)
    kinds = [s.kind for s in Plan(net, PER_NEURON)]
    assert kinds == ["dot", "bias", "activate", "norm"]
    act, norm = (st.detail(s) for s in list(Plan(net, PER_NEURON))[2:])
    assert act.symbolic.startswith("h1_1 = g(z1_1)") and act.formula.startswith("h = σ(0)")
    assert norm.symbolic == "a1_1 = h1_1 · scale + offset"
    assert norm.formula == "a = 0.5 · 10 + (−1) = 4"
    assert st.outputs[0] == 4.0


def test_softmax_layer_norm_after_the_activation_is_one_layer_step():
    W = np.eye(3)
    net = Network([Layer("out", "softmax", W, np.zeros(3), norm=Rescaling(2.0, 0.0, size=3), norm_at="a")])
    plan = Plan(net, PER_NEURON)
    assert [(s.kind, s.neuron) for s in plan][-2:] == [("activate", None), ("norm", None)]
    assert len(plan) == 2 * 3 + 2
    assert len(Plan(net, PER_LAYER)) == 4


def test_input_batch_norm_is_the_first_step():
    norm = BatchNorm([1.0, 2.0], [0.0, 1.0], [10.0, 20.0], [4.0, 9.0], 0.0, name="bn_in")
    net = Network([Layer("l1", "linear", np.eye(2), np.zeros(2))], [Sample("s", np.array([12.0, 23.0]))],
                  normalization=norm)
    st = trace_of(net).sample(0)
    first = Plan(net, PER_NEURON)[0]
    assert first.kind == NORMALIZE
    d = st.detail(first)
    assert d.symbolic == "x' = (x − μ) / √(σ² + ε) · γ + β"
    np.testing.assert_array_equal(d.result, [1.0, 3.0])
    assert "batch norm the inputs (bn_in)" == d.title


def test_per_neuron_N_finishes_a_neuron_through_its_norm():
    net = one_neuron(bn(1))
    s = Session(net)
    s.next_neuron()
    assert s.step.kind == "activate"
    net2 = one_neuron(bn(1), at="a")
    s2 = Session(net2)
    s2.next_neuron()
    assert s2.step.kind == NORM


# -- edits ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, label", [
    ("L1.N1.gamma=2", "L1.N1.gamma"), ("l1.n1.BETA = -1", "L1.N1.beta"), ("L1.N1.mean=0.25", "L1.N1.mean"),
    ("L1.N1.var=4", "L1.N1.var"),
])
def test_norm_parameters_are_edited_like_weights_and_undone_exactly(text, label):
    net = one_neuron(BatchNorm([1.5], [0.25], [0.1], [2.0], 1e-3))
    s = Session(net)
    before = s.trace.outputs.copy()
    target, value = parse_assignment(text)
    assert target.label() == label and target.kind == NORM_TARGET
    result = s.edit(target, value)
    assert s.value_of(target) == value
    assert not np.array_equal(s.trace.outputs, before) or value == 0.0
    assert result.changes(), "the edit must show what changed downstream"
    s.undo()
    np.testing.assert_array_equal(s.trace.outputs, before)
    s.redo()
    assert s.value_of(target) == value


def test_input_normalisation_parameters_are_edited_as_x_i_dot_param():
    net = Network([Layer("l1", "linear", np.eye(2), np.zeros(2))], [Sample("s", np.array([10.0, 20.0]))],
                  normalization=Normalization([0.0, 0.0], [1.0, 1.0]))
    s = Session(net)
    target, value = parse_assignment("x2.std=4")
    s.edit(target, value)
    np.testing.assert_array_equal(s.trace.outputs[0], [10.0, 5.0])
    assert "std of the input normalise" in target.describe(net)


@pytest.mark.parametrize("text, why", [
    ("L1.N1.var=-1", "variance must be ≥ 0"),
    ("L1.N2.gamma=1", "layer 1 has 1 neurons"),
    ("L1.N1.std=1", "has gamma, beta, mean, var, not std"),
    ("x1.mean=1", "the inputs have no normalisation"),
])
def test_a_bad_norm_edit_is_refused_and_changes_nothing(text, why):
    net = one_neuron(bn(1))
    s = Session(net)
    before = s.trace.outputs.copy()
    target, value = parse_assignment(text)
    with pytest.raises(EditError, match=why):
        s.edit(target, value)
    np.testing.assert_array_equal(s.trace.outputs, before)
    assert not s.journal


def test_a_zero_std_is_refused():
    net = Network([Layer("l1", "linear", np.eye(1), np.zeros(1))], [Sample("s", np.array([1.0]))],
                  normalization=Normalization([0.0], [1.0]))
    s = Session(net)
    with pytest.raises(EditError, match="standard deviation must be > 0"):
        s.edit(parse_target("x1.std"), 0.0)


def test_target_labels_round_trip():
    for t in (Target(NORM_TARGET, 0, 2, param="gamma"), Target(NORM_TARGET, -1, -1, 3, param="mean")):
        assert parse_target(t.label()) == t


# -- files -------------------------------------------------------------------------------
def _all_norms_network(dtype=np.float64) -> Network:
    rng = np.random.default_rng(7)
    W1, b1 = rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=4).astype(dtype)
    W2, b2 = rng.normal(size=(4, 2)).astype(dtype), rng.normal(size=2).astype(dtype)
    n1 = BatchNorm(*(rng.normal(size=4).astype(dtype) for _ in range(3)), rng.uniform(0.1, 2, 4).astype(dtype),
                   1e-5, name="bn1")
    n2 = Rescaling(rng.normal(size=2).astype(dtype), rng.normal(size=2).astype(dtype), name="resc")
    n0 = BatchNorm(*(rng.normal(size=3).astype(dtype) for _ in range(3)), rng.uniform(0.1, 2, 3).astype(dtype),
                   1e-3, name="bn_in")
    return Network([Layer("d1", "gelu", W1, b1, norm=n1, norm_at="z"),
                    Layer("d2", "softmax", W2, b2, norm=n2, norm_at="a")],
                   [Sample("s1", rng.normal(size=3).astype(dtype))], normalization=n0, name="norms")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_norms_round_trip_bit_exact(tmp_path, suffix, dtype):
    net = _all_norms_network(dtype)
    path = tmp_path / f"n{suffix}"
    (write_json_network if suffix == ".json" else write_npz_network)(net, path)
    back = load_network(path)
    for a, b in zip(net.layers, back.layers):
        assert type(a.norm) is type(b.norm) and a.norm_at == b.norm_at and a.norm.name == b.norm.name
        for p in a.norm.PARAMS:
            assert a.norm.param(p).tobytes() == b.norm.param(p).tobytes()
    assert back.normalization.eps == net.normalization.eps
    assert trace_of(back).outputs.tobytes() == trace_of(net).outputs.tobytes()


@pytest.mark.parametrize("norm, place", [
    ({"kind": "batch", "mean": [0], "variance": [1]}, "layers[0] (l).norm.kind"),
    ({"kind": "batchnorm", "mean": [0]}, "missing field 'variance'"),
    ({"kind": "batchnorm", "mean": [0], "variance": [-2]}, "layers[0] (l).norm.variance[0]"),
    ({"kind": "batchnorm", "mean": [0, 1], "variance": [1]}, "layers[0] (l).norm.mean"),
    ({"kind": "rescaling", "scale": [1], "at": "x"}, "layers[0] (l).norm.at"),
    ({"kind": "rescaling", "scale": [1], "gamma": [1]}, "gamma"),
])
def test_a_bad_norm_in_a_file_is_one_line_naming_the_place(tmp_path, norm, place):
    import json
    doc = {"format": "neurodebug-network", "layers": [{"name": "l", "activation": "relu", "W": [[1.0]], "b": [0.0],
                                                       "norm": norm}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(NetworkFileError) as info:
        load_network(path)
    message = str(info.value)
    assert place in message and "\n" not in message and "bad.json" in message


# -- health and explanations ------------------------------------------------------------------
def test_a_nan_gamma_is_the_origin_and_named():
    net = one_neuron(BatchNorm([math.nan], [0.0], [0.0], [1.0]))
    report = check_health(trace_of(net))
    origins = [f for f in report.findings if f.kind == "nonfinite"]
    assert origins and "L1.N1.gamma = NaN" in origins[0].cause
    e = explain(trace_of(net), 0, 0, 0)
    assert e.nonfinite is not None and "gamma" in e.nonfinite.text


def test_a_dead_relu_behind_a_batch_norm_is_fixed_through_beta():
    # z' = (z − 10) / √(1 + 0) · 1 − 1 < 0 in every sample: raising β brings it back
    norm = BatchNorm([1.0], [-1.0], [10.0], [1.0], 0.0)
    layer = Layer("l1", "relu", np.array([[1.0]]), np.array([0.0]), norm=norm)
    net = Network([layer], [Sample(f"s{i}", np.array([float(v)])) for i, v in enumerate(np.linspace(0, 5, 100))])
    e = explain(trace_of(net), 3, 0, 0)
    assert e.bias_target == "L1.N1.beta" and e.zsum == pytest.approx(5 / 99 * 3)
    assert any(line.startswith("fix: raise the batch norm's β L1.N1.beta") and " gives z' = " in line
               for line in e.lines)
    assert any("makes z' > 0 in all 100 samples" in line for line in e.lines)  # what β moves is z', not z
    assert any(line.startswith("dead ReLU: z' ≤ 0 in all 100 samples (largest z' = −6)") for line in e.lines)
    assert "z' = batch norm(z) = " in e.lines[1]
    s = Session(net)
    s.set_sample(3)
    s.edit(parse_target(e.bias_target), e.shift + e.bias_fix)
    assert s.sample_trace.a(0)[0] > 0


def test_the_demo_network_steps_end_to_end_in_both_modes():
    net = load_network(FIXTURE)
    for granularity in (PER_NEURON, PER_LAYER):
        plan = Plan(net, granularity)
        t = trace_of(net)
        for i in range(t.n_samples):
            st = t.sample(i)
            for step in plan:
                d = st.detail(step)
                np.testing.assert_array_equal(d.result, st.value(step))
                assert d.formula


# -- the screen ---------------------------------------------------------------------------------
def _app() -> NeurodebugApp:
    app = NeurodebugApp(Session(load_network(FIXTURE)), path=Path(FIXTURE.name))
    app.animation_level = "none"
    return app


async def test_tui_shows_the_norm_step_and_edits_gamma_then_undoes():
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "n", "n", "n", "n")  # rescale, dot, bias, batch norm of L1.N1
        text = screen_text(app)
        assert "z1_1' = (z1_1 − μ) / √(σ² + ε) · γ + β" in text
        assert "z' = (1.30499 − (−0.859)) / √(1.741 + 0.001) · 0.95 + 0.066 = 1.6236" in text
        assert "batch norm → relu" in text and all(p in text for p in ("γ=0.95", "β=0.066", "μ=−0.859", "σ²=1.741"))
        assert "bn   L1.N1" in text
        assert app.screen.selection.target().label() == "L1.N1.gamma"
        s = app.session
        before = s.trace.outputs.copy()
        await press(pilot, "e")
        assert isinstance(app.screen, EditDialog)
        await press(pilot, "ctrl+a", "ctrl+k", "2", "enter")
        await settle(pilot)
        assert s.network.layers[0].norm.gamma[0] == 2.0
        assert not np.array_equal(s.trace.outputs, before)
        await press(pilot, "u")
        np.testing.assert_array_equal(s.trace.outputs, before)
        assert s.network.layers[0].norm.gamma[0] == 0.95


async def test_tui_arrow_keys_walk_bias_then_norm_parameters_then_inputs():
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "n", "n", "n", "a")  # the bias step of L1.N1: the bias is selected; a: Arrays
        screen = app.screen
        assert screen.selection.target().label() == "L1.N1.b"
        await press(pilot, "down")
        assert screen.selection.target().label() == "L1.N1.gamma"
        await press(pilot, "down", "down", "down")
        assert screen.selection.target().label() == "L1.N1.var"
        await press(pilot, "down")
        assert screen.selection.target().label() == "x1"
        await press(pilot, "e")
        assert isinstance(app.screen, EditDialog)
        await press(pilot, "escape")
        await press(pilot, "up", "up")
        assert screen.selection.target().label() == "L1.N1.mean"
        await press(pilot, "e", "ctrl+a", "ctrl+k", "-", "1", "enter")
        assert isinstance(app.screen, EditDialog) is False
        assert app.session.network.layers[0].norm.mean[0] == -1.0


async def test_tui_refuses_a_negative_variance_and_keeps_the_dialog():
    app = _app()
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "n", "n", "n", "n", "a", "down", "down", "down")
        assert app.screen.selection.target().label() == "L1.N1.var"
        before = app.session.trace.outputs.copy()
        await press(pilot, "e", "ctrl+a", "ctrl+k", "-", "5", "enter")
        assert isinstance(app.screen, EditDialog)
        assert "refused" in screen_text(app) and "variance" in screen_text(app)
        await press(pilot, "escape")
        np.testing.assert_array_equal(app.session.trace.outputs, before)
        assert not app.session.journal


def test_the_nan_watch_stops_at_the_norm_that_makes_the_nan():
    net = one_neuron(BatchNorm([1.0], [0.0], [0.0], [1.0]))
    net.layers[0].norm.gamma[0] = math.inf  # z' = ∞ from a finite z
    s = Session(net, watches=parse_watches("nan"))
    stop = s.continue_()
    assert s.step.kind == NORM and stop.kind == "watch"
