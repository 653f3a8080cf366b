"""One neuron's gradient check (the debugger's, at a ∂L/∂w or ∂L/∂b step) and n steps of gradient descent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurodebug import load_network
from neurodebug.engine import EditError, Layer, Network, Sample, Session, dense
from neurodebug.engine.descent import Descent, sparkline
from neurodebug.engine.edits import DescentStep
from neurodebug.engine.gradcheck import gradient_check, neuron_check
from neurodebug.engine.gradcheck_text import LineKind, neuron_check_brief, neuron_check_lines

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"


def _net() -> Network:
    rng = np.random.default_rng(4)
    return Network([Layer("h", "tanh", rng.normal(size=(3, 4)), rng.normal(size=4)),
                    Layer("o", "sigmoid", rng.normal(size=(4, 1)), rng.normal(size=1))])


def test_the_neuron_check_agrees_with_gradient_check_on_the_same_parameters():
    net = _net()
    x, y = np.array([[0.3, -1.2, 0.8]]), np.array([[1.0]])
    every = {(c.layer, c.neuron, c.param): c for c in gradient_check(net, x, y, "bce")}
    for l, layer in enumerate(net.layers):
        for j in range(layer.units):
            nc = neuron_check(net, x, y, l, j, "bce")
            assert nc.weights == layer.n_inputs == nc.weights_checked
            assert {c.param for c in nc.checks} == {*(f"w{i + 1}" for i in range(layer.n_inputs)), "b"}
            for c in nc.checks:
                assert c == every[(l, j, c.param)]  # the same numbers, bit for bit
            assert all(line.kind == LineKind.AGREES for line in neuron_check_lines(nc))


def test_a_neuron_with_784_inputs_checks_the_bias_and_the_16_largest_weights():
    rng = np.random.default_rng(7)
    net = Network([Layer("h", "relu", rng.normal(0, 0.05, size=(784, 8)), rng.normal(0, 0.1, size=8)),
                   Layer("o", "softmax", rng.normal(size=(8, 3)), np.zeros(3))])
    x = rng.uniform(0, 1, size=(1, 784))
    with pytest.raises(ValueError, match="at most 20000"):
        gradient_check(Network([Layer("h", "relu", np.zeros((784, 32)), np.zeros(32))]), x, np.zeros((1, 32)), "mse")
    j = int(np.argmax(dense.forward(net.layers[0], x).z[0]))  # an active ReLU: its gradients are not 0
    nc = neuron_check(net, x, np.array([2]), 0, j, "ce")
    assert nc.weights == 784 and nc.weights_checked == 16 and len(nc.checks) == 17 and nc.checks[-1].param == "b"
    dW = net.gradients(x, [2], "ce")[0][0][:, j]
    largest = {f"w{i + 1}" for i in np.argsort(-np.abs(dW))[:16]}
    assert {c.param for c in nc.checks[:-1]} == largest
    assert all(c.ok for c in nc.checks)
    lines = neuron_check_lines(nc)
    assert lines[-1].text == "checked 16 of 784 weights, the largest |∂L/∂w|, and the bias"
    brief = neuron_check_brief(nc)
    assert len(brief) == 2 and brief[1].text == "… 16 more agree (checked: 16 of 784 weights and the bias; h = 1e−06)"


def test_a_broken_derivative_is_a_mismatch_finding(monkeypatch):
    net = _net()
    x, y = np.array([[0.3, -1.2, 0.8]]), np.array([[1.0]])
    real = dense.activation_backward
    monkeypatch.setattr(dense, "activation_backward", lambda *a: 0.5 * real(*a))  # half of every g′(z)
    nc = neuron_check(net, x, y, 0, 1, "bce")
    assert nc.failing and len(nc.failing) == len(nc.checks)
    lines = neuron_check_lines(nc)
    assert lines[0].kind == LineKind.FAILS and lines[0].text.startswith("gradient check fails: ∂L/∂w")
    assert "analytic" in lines[0].text and "finite difference (h = 1e−06), relative error" in lines[0].text
    assert lines[0].text.endswith("✗")
    brief = neuron_check_brief(nc)
    assert len(brief) == 1 and brief[0].kind == LineKind.FAILS
    assert brief[0].text.startswith("gradient check fails for 4 of 4: ∂L/∂w") and brief[0].text.endswith("✗")
    assert all(c.ok for c in neuron_check(net, x, y, 1, 0, "bce").checks)  # the output's δ is a − y: right


def test_a_relu_on_its_kink_is_named_not_a_mismatch():
    net = Network([Layer("h", "relu", np.array([[1.0]]), np.array([0.0])),
                   Layer("o", "linear", np.array([[2.0]]), np.array([0.5]))])
    nc = neuron_check(net, np.array([[0.0]]), np.array([[1.0]]), 0, 0, "mse")  # z = 0: on the kink
    assert not nc.failing
    assert any("on a kink" in line.text for line in neuron_check_lines(nc))


def test_the_session_caches_the_check_until_the_values_change():
    from neurodebug.engine import parse_assignment

    s = Session(load_network(SAMPLES / "seed_example.json"))
    first = s.neuron_check(1, 0)
    assert s.neuron_check(1, 0) is first
    s.edit(*parse_assignment("L2.N1.b=0.3"))
    again = s.neuron_check(1, 0)
    assert again is not first and again.checks[-1].analytic != first.checks[-1].analytic
    lines = neuron_check_lines(again)
    assert lines[0].text.startswith("check: ∂L/∂w1 = ") and lines[0].text.endswith("✓")
    unresolved = next(line.text for line in neuron_check_lines(s.neuron_check(0, 0)) if "w1" in line.text)
    assert unresolved.endswith("below what a finite difference resolves ✓")  # σ′(166.5) ≈ 5e−73


# -- n steps of gradient descent ---------------------------------------------------------------
def _params(net: Network) -> list[bytes]:
    return [a.tobytes() for layer in net.layers for a in (layer.W, layer.b)]


@pytest.mark.parametrize("name, lr", [("coffee_roasting.json", 0.5), ("seed_example.json", 0.1), ("xor.json", 0.3)])
def test_n_steps_are_n_single_steps_bit_for_bit_and_undo_puts_every_number_back(name, lr):
    one, many = Session(load_network(SAMPLES / name)), Session(load_network(SAMPLES / name))
    before = _params(many.network)
    losses = [one.descend(lr).edit.loss_after for _ in range(7)]
    step = many.descend(lr, 7).edit
    assert isinstance(step, DescentStep) and step.steps == 7
    assert _params(one.network) == _params(many.network)
    assert list(step.losses) == losses and step.loss_after == losses[-1]
    assert np.array_equal(one.trace.outputs, many.trace.outputs)
    assert len(many.journal) == 1
    many.undo()
    assert _params(many.network) == before and not many.journal
    many.redo()
    assert _params(many.network) == _params(one.network)


def test_descent_is_worked_out_apart_from_applied_and_progress_can_stop_it():
    # The debugger works the steps out in a thread (Session.descent, on
    # copies) and applies them on its own (Session.apply_descent): together,
    # the same edit as descend; told to stop, nothing has changed.
    from neurodebug.engine.descent import DescentStopped

    worked, applied = Session(load_network(SAMPLES / "coffee_roasting.json")), \
        Session(load_network(SAMPLES / "coffee_roasting.json"))
    before = _params(worked.network)
    told: list[int] = []
    done = worked.descent(0.5, 5, lambda k: told.append(k) or True)
    assert told == [1, 2, 3, 4, 5] and done.lr == 0.5 and len(done.losses) == 5 and done.rows == 8
    assert _params(worked.network) == before and not worked.journal  # worked out, not applied
    step = worked.apply_descent(done).edit
    applied.descend(0.5, 5)
    assert _params(worked.network) == _params(applied.network)
    assert isinstance(step, DescentStep) and step.steps == 5 and len(worked.journal) == 1
    again = Session(load_network(SAMPLES / "coffee_roasting.json"))
    with pytest.raises(DescentStopped, match="stopped after 3 of 10 steps: nothing changed"):
        again.descent(0.5, 10, lambda k: k < 3)
    assert _params(again.network) == before and not again.journal
    assert isinstance(again.descent(0.5, 3, lambda k: k < 3), Descent)  # told to stop after the last: done


def test_the_loss_falls_on_coffee_roasting_and_the_journal_says_so():
    s = Session(load_network(SAMPLES / "coffee_roasting.json"))
    step = s.descend(0.5, 20).edit
    assert step.loss_after < step.loss_before and all(b < a for a, b in zip(step.losses, step.losses[1:]))
    text = step.describe(s.network)
    assert text.startswith("gradient descent ×20, lr 0.5: mean bce loss over 8 samples 0.0956891 → ")
    assert text.endswith(sparkline((step.loss_before, *step.losses))) and "█" in text and "▁" in text


def test_a_step_that_is_not_finite_changes_nothing_and_says_which():
    rng = np.random.default_rng(3)
    net = Network([Layer("h", "linear", rng.normal(size=(2, 3)), rng.normal(size=3)),
                   Layer("o", "linear", rng.normal(size=(3, 1)), rng.normal(size=1))],
                  samples=[Sample("a", [1.0, 2.0], expected=[1.0]), Sample("b", [-1.0, 0.5], expected=[0.0])])
    s = Session(net)
    before, outputs = _params(s.network), s.trace.outputs.copy()
    with pytest.raises(EditError, match=r"step \d+ of 500 is not finite") as err:
        s.descend(1.0, 500)  # diverges: the weights overflow after some steps
    assert "nothing changed" in str(err.value)
    assert _params(s.network) == before and np.array_equal(s.trace.outputs, outputs)
    assert not s.journal and s.values_version == 0
    for steps in (0, -1, 10_001):
        with pytest.raises(EditError, match="give a whole number from 1 to"):
            s.descend(0.1, steps)
    assert not s.journal


def test_sparkline():
    assert sparkline([3.0, 2.0, 1.0]) == "█▅▁"
    assert sparkline([1.0, float("nan")]) == "▁?"
    assert len(sparkline(list(range(100)), 16)) == 16


def test_descent_moves_a_batch_norms_gamma_and_beta_too_and_undo_puts_them_back():
    path = Path(__file__).parent / "fixtures" / "batchnorm_demo.json"
    one, many = Session(load_network(path)), Session(load_network(path))

    def norms(s):
        return [s.network.layers[l].norm.param(p).tobytes() for l in (0, 1) for p in ("gamma", "beta", "mean", "var")]

    before, stats = norms(many), [many.network.layers[0].norm.mean.tobytes(), many.network.layers[0].norm.var.tobytes()]
    for _ in range(5):
        one.descend(0.1)
    step = many.descend(0.1, 5).edit
    assert norms(one) == norms(many) and _params(one.network) == _params(many.network)
    assert norms(many) != before and step.loss_after < step.loss_before
    assert [many.network.layers[0].norm.mean.tobytes(), many.network.layers[0].norm.var.tobytes()] == stats
    many.undo()
    assert norms(many) == before
    many.redo()
    assert norms(many) == norms(one)


def test_a_batch_norms_gamma_and_beta_are_checked_with_the_neuron():
    s = Session(load_network(Path(__file__).parent / "fixtures" / "batchnorm_demo.json"))
    norm = s.network.layers[1].norm
    gamma, beta = norm.gamma.tobytes(), norm.beta.tobytes()
    nc = s.neuron_check(1, 0)  # its batch norm comes after the activation
    assert (norm.gamma.tobytes(), norm.beta.tobytes()) == (gamma, beta)  # checked on a copy
    assert [c.param for c in nc.checks][-3:] == ["b", "gamma", "beta"] and not nc.failing
    lines = [line.text for line in neuron_check_lines(nc)]
    assert any(t.startswith("check: ∂L/∂γ = ") for t in lines) and any(t.startswith("check: ∂L/∂β = ") for t in lines)
    assert neuron_check_brief(nc)[-1].text.endswith("weights and the bias, γ and β; h = 1e−06)")
    assert s.neuron_check(2, 0).checks[-1].param == "b"  # no norm: no γ, β
