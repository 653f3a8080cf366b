"""The backward pass written out step by step (trace --backward), checked against Network.gradients."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from neurodebug import load_network
from neurodebug.cli import main
from neurodebug.engine import BatchNorm, Layer, Network, trace_of
from neurodebug.engine.backward_steps import backward_steps

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"


def _steps_of(steps, kind):
    return [s for s in steps if s.title.endswith(kind)]


def test_the_seed_neuron_cannot_learn_its_slope_is_4_9e_73():
    net = load_network(SAMPLES / "seed_example.json")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        steps = backward_steps(trace_of(net).sample(0), 1)
    assert steps[0].title == "loss (bce)" and "ℓ = 0.371101" in steps[0].formula
    assert steps[1].formula == "∂L/∂z = 0.689974 − 1 = −0.310026"
    dz = next(s for s in steps if s.title == "layer 1 (layer1) · neuron 1 · ∂L/∂z")
    assert "σ′(166.5) = −0.217018 × 4.89744e−73" in dz.formula
    assert abs(float(dz.value)) < 1e-72


@pytest.mark.parametrize("output, loss, y", [("sigmoid", "bce", 0), ("softmax", "ce", 2), ("log_softmax", "ce", 1),
                                             ("tanh", "mse", np.array([0.5, -0.2, 0.1])),
                                             ("linear", "ce", 2), ("linear", "bce", 1)])
def test_every_gradient_step_equals_network_gradients(output, loss, y):
    rng = np.random.default_rng(5)
    k = 1 if loss == "bce" else 3
    norm = BatchNorm(rng.normal(1, 0.2, 4), rng.normal(0, 0.3, 4), rng.normal(0, 0.3, 4), rng.uniform(0.5, 2, 4))
    net = Network([Layer("h", "gelu", rng.normal(size=(2, 4)), rng.normal(size=4), norm=norm, norm_at="z"),
                   Layer("out", output, rng.normal(size=(4, k)), rng.normal(size=k))])
    x = rng.normal(size=2)
    steps = backward_steps(trace_of(net, x).sample(0), y, loss)
    grads = net.gradients(x[None, :], np.asarray(y)[None, ...] if np.ndim(y) else [y], loss)
    for l, (dW, db) in enumerate(grads):
        ws = [s for s in _steps_of(steps, "∂L/∂w") if s.title.startswith(f"layer {l + 1} ")]
        bs = [s for s in _steps_of(steps, "∂L/∂b") if s.title.startswith(f"layer {l + 1} ")]
        np.testing.assert_allclose(np.stack([s.value for s in ws], axis=1), dW, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose([float(s.value) for s in bs], db, rtol=1e-12, atol=1e-300)
    assert any("through the batch norm" in s.title for s in steps)


def test_the_backward_steps_of_logits_take_the_softmax_in_the_loss():
    rng = np.random.default_rng(8)
    net = Network([Layer("h", "relu", rng.normal(size=(2, 4)), rng.normal(size=4)),
                   Layer("out", "linear", rng.normal(size=(4, 3)), rng.normal(size=3))])
    st = trace_of(net, rng.normal(size=2)).sample(0)
    steps = backward_steps(st, 1, granularity="layer")  # the loss inferred from the class index: ce on the logits
    assert steps[0].title == "loss (ce)" and "softmax inside the loss" in steps[0].symbolic
    a = np.asarray(st.a(1), dtype=np.float64)
    expected = np.exp(a - a.max()) / np.exp(a - a.max()).sum() - np.eye(3)[1]
    (da,) = [s for s in steps if s.title.startswith("layer 2 ") and s.title.endswith("∂L/∂a")]
    assert "softmax(a2) − onehot(y)" in da.symbolic
    np.testing.assert_allclose(da.value, expected, rtol=1e-12)


def test_trace_backward_on_the_command_line(capsys):
    assert main(["trace", str(SAMPLES / "seed_example.json"), "--backward"]) == 0
    out = capsys.readouterr().out
    assert "backward:" in out and "4.89744e−73" in out
    assert main(["trace", str(SAMPLES / "seed_example.json"), "--backward", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["backward"][0]["title"] == "loss (bce)"
    assert main(["trace", str(SAMPLES / "seed_example.json"), "--backward", "--loss", "ce"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ce needs a softmax" in err[0]


def test_a_sample_without_a_label_is_one_line(tmp_path, capsys):
    doc = json.loads((SAMPLES / "seed_example.json").read_text())
    for s in doc["samples"]:
        s.pop("label", None)
        s.pop("expected", None)
    path = tmp_path / "nolabel.json"
    path.write_text(json.dumps(doc))
    assert main(["trace", str(path), "--backward"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no label or expected output" in err[0]


def test_the_session_steps_on_into_the_backward_pass_and_back():
    from neurodebug.engine import Session, parse_assignment

    s = Session(load_network(SAMPLES / "seed_example.json"))
    s.to_end()
    assert s.step_on() and s.in_backward and s.back_step.title == "loss (bce)"
    n = len(s.backward_steps())
    while s.step_on():
        pass
    assert s.back_cursor == n - 1
    before = s.backward_steps()[1].formula
    s.edit(*parse_assignment("L2.N1.b=2"))  # the values change: so does the backward pass
    assert s.backward_steps()[1].formula != before
    assert s.back_step is not None
    for _ in range(n):
        assert s.step_back()
    assert not s.in_backward and s.at_end
    s.to_start()
    assert not s.step_back()


def test_no_label_means_no_backward_pass():
    from neurodebug.engine import Session

    s = Session(load_network(SAMPLES / "dead_relu.json"))
    s.to_end()
    assert s.backward_steps() == [] and not s.step_on() and not s.in_backward


def test_one_descent_step_lowers_the_loss_and_undo_puts_every_number_back():
    from neurodebug.engine import Session
    from neurodebug.engine.edits import DescentStep
    from neurodebug.engine.losses import backward_pass

    s = Session(load_network(SAMPLES / "coffee_roasting.json"))
    net = s.network
    before = [(l.W.copy(), l.b.copy()) for l in net.layers]
    result = s.descend(0.5)
    step = result.edit
    assert isinstance(step, DescentStep) and step.loss == "bce" and step.samples == 8
    assert step.loss_after < step.loss_before
    x = net.normalization.apply(s.trace.x_raw)
    y = [smp.label for smp in net.samples]
    assert backward_pass(net, x, y).value == pytest.approx(step.loss_after)
    assert "gradient descent, lr 0.5: mean bce loss over 8 samples" in s.journal[-1].describe(net)
    s.undo()
    for layer, (W, b) in zip(net.layers, before):
        assert layer.W.tobytes() == W.tobytes() and layer.b.tobytes() == b.tobytes()
    s.redo()
    assert backward_pass(net, x, y).value == pytest.approx(step.loss_after)


def test_descent_refuses_what_cannot_be_a_step():
    from neurodebug.engine import EditError, Session

    s = Session(load_network(SAMPLES / "dead_relu.json"))
    with pytest.raises(EditError, match="no sample has a label"):
        s.descend(0.1)
    s2 = Session(load_network(SAMPLES / "seed_example.json"))
    with pytest.raises(EditError, match="give a number > 0"):
        s2.descend(-1.0)
    assert not s2.journal


async def test_D_in_the_debugger_descends_and_u_undoes_it():
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from tui_helpers import make_app, press, screen_text, settle
    from neurodebug.tui.dialogs import DescentDialog

    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        s = app.session
        W = s.network.layers[0].W.copy()
        await press(pilot, "D")
        assert isinstance(app.screen, DescentDialog)
        await press(pilot, "ctrl+a", "ctrl+k", "0", ".", "5", "enter")  # one step by default
        await settle(pilot)
        assert len(s.journal) == 1 and not (s.network.layers[0].W == W).all()
        await press(pilot, "3")
        text = screen_text(app)
        assert "gradient descent, lr 0.5:" in text and "0.0956891 → 0.0942934" in text
        await press(pilot, "u")
        assert (s.network.layers[0].W == W).all() and not s.journal
