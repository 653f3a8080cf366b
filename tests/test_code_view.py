"""The Code view: the network as the lesson's NumPy code, lit at the current step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurodebug import load_network
from neurodebug.engine import PER_LAYER, PER_NEURON, Layer, Network, Plan, Sample, trace_of
from neurodebug.engine.code import code_view
from neurodebug.engine.plan import ACTIVATE, BIAS, DOT, NORM, NORMALIZE

from activation_references import ref_activation
from tui_helpers import SAMPLES, make_app, press, screen_text

FIXTURES = Path(__file__).parent / "fixtures"


def expected_line(step, granularity) -> str:
    """The start of the line that computes ``step`` in the seed example."""
    L = step.layer + 1
    if granularity == PER_LAYER:
        inp = "x" if step.layer == 0 else f"a{step.layer}"
        return f"z{L} = np.matmul({inp}, W{L}) + b{L}" if step.kind in (DOT, BIAS) else f"a{L} = sigmoid(z{L})"
    J = step.neuron + 1
    inp = "x" if step.layer == 0 else f"a{step.layer}"
    if step.kind in (DOT, BIAS):
        return f"z{L}_{J} = np.dot(w{L}_{J}, {inp}) + b{L}_{J}"
    return f"a{L}_{J} = sigmoid(z{L}_{J})"


@pytest.mark.parametrize("granularity", [PER_NEURON, PER_LAYER])
def test_every_step_of_the_seed_lights_its_line(granularity):
    net = load_network(SAMPLES / "seed_example.json")
    plan = Plan(net, granularity)
    st = trace_of(net).sample(0)
    view = code_view(plan, st, -1)
    assert view.current is None and not any(view.values)
    for step in plan:
        view = code_view(plan, st, step.index)
        assert view.current is not None
        line = view.lines[view.current]
        assert line.text == expected_line(step, granularity)
        assert step.index in line.steps
        # the value beside it is the step's own result
        value = view.values[view.current]
        assert value, f"no value beside the line of {step}"
        if granularity == PER_NEURON and (step.layer, step.neuron) == (0, 0):
            assert value == {DOT: "w·x = 166", BIAS: "= 166.5", ACTIVATE: "= 1"}[step.kind]
        # lines of later steps have no value yet
        later = [k for k, ln in enumerate(view.lines) if ln.steps and min(ln.steps) > step.index]
        assert all(view.values[k] == "" for k in later)


def _lesson_function(name: str):
    def g(z, **params):
        return ref_activation(name, np.asarray(z, dtype=float), params)
    return g


def _run(lines, activations) -> dict:
    """Execute the shown code with the lesson's definitions; its variables."""
    scope = {"np": np, **activations}
    exec("\n".join(line.text for line in lines), scope)  # noqa: S102 - our own generated code, in a test
    return scope


@pytest.mark.parametrize("path", [SAMPLES / "seed_example.json", SAMPLES / "coffee_roasting.json",
                                  FIXTURES / "batchnorm_demo.json"])
@pytest.mark.parametrize("granularity", [PER_NEURON, PER_LAYER])
def test_the_code_runs_and_computes_what_the_engine_does(path, granularity):
    net = load_network(path)
    trace = trace_of(net)
    plan = Plan(net, granularity)
    acts = {name: _lesson_function(name) for name in {layer.activation for layer in net.layers}}
    for row in range(trace.n_samples):
        st = trace.sample(row)
        view = code_view(plan, st, len(plan) - 1)
        scope = _run(view.lines, acts)
        L = len(net.layers)
        got = scope.get(f"a{L}", None)
        if got is None:  # one output neuron, per neuron: a2_1
            got = scope[f"a{L}_1"]
        np.testing.assert_allclose(np.ravel(got), st.outputs, rtol=1e-6, atol=1e-9)


def test_a_big_layer_is_a_window_around_the_current_neuron():
    rng = np.random.default_rng(0)
    net = Network([Layer("h", "relu", rng.normal(size=(784, 128)), rng.normal(size=128)),
                   Layer("out", "softmax", rng.normal(size=(128, 10)), rng.normal(size=10))],
                  [Sample("s", rng.normal(size=784))])
    plan = Plan(net, PER_NEURON)
    st = trace_of(net).sample(0)
    view = code_view(plan, st, plan.index_of(0, 116, BIAS))
    texts = [line.text for line in view.lines]
    assert len(texts) < 60
    assert "w1_117 = W1[:, 116]  # 784 weights" in texts
    assert view.lines[view.current].text == "z1_117 = np.dot(w1_117, x) + b1_117"
    assert "# … neurons 1–114 as below" in texts and "# … neurons 120–128 as above" in texts
    assert texts[0] == 'x = X[0]  # sample "s", 784 features'
    last = code_view(plan, st, len(plan) - 1)
    assert last.lines[last.current].text == "a2 = softmax(np.array([z2_1, z2_2, …, z2_10]))"


def test_norm_lines_are_lit_at_their_steps():
    net = load_network(FIXTURES / "batchnorm_demo.json")
    plan = Plan(net, PER_NEURON)
    st = trace_of(net).sample(0)
    assert code_view(plan, st, 0).lines[code_view(plan, st, 0).current].text.startswith("x = x * np.array([0.005")
    k = plan.index_of(0, 0, NORM)
    view = code_view(plan, st, k)
    assert view.lines[view.current].text == "z1_1 = (z1_1 - (-0.859)) / np.sqrt(1.741 + 0.001) * 0.95 + 0.066"
    assert view.values[view.current] == "= 1.6236"
    k = plan.index_of(1, 0, NORM)
    view = code_view(plan, st, k)
    assert view.lines[view.current].text.startswith("a2_1 = (h2_1 - 0.37)")
    assert plan[0].kind == NORMALIZE


@pytest.mark.parametrize("mode", ["neuron", "layer"])
async def test_the_code_pane_lights_the_right_line_at_every_step(mode):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "5")
        if mode == "layer":
            await press(pilot, "v")
        s = app.session
        for _ in range(len(s.plan)):
            await press(pilot, "n")
            lit = [line for line in screen_text(app).splitlines() if "▶ " in line]
            assert len(lit) == 1, lit
            want = expected_line(s.step, s.granularity)
            assert want[:30] in lit[0], (s.step, lit[0])
