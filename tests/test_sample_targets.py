"""The sample's label and expected outputs as edits: y, y1, … (the loss and the backward pass follow them)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tui_helpers import SAMPLES, make_app, press, screen_text, settle

from neurodebug.cli import main
from neurodebug.engine import Layer, Network, Samples, Session
from neurodebug.engine.edits import TARGET, EditError, Target, parse_target
from neurodebug.engine.sample_targets import sample_target
from neurodebug.io import load_network
from neurodebug.tui.dialogs import EditDialog


def test_y_parses_as_the_label_and_yk_as_an_expected_output() -> None:
    assert parse_target("y") == Target(TARGET) and parse_target(" Y3 ") == Target(TARGET, index=2)
    assert parse_target("y").label() == "y" and parse_target("y2").label() == "y2"
    with pytest.raises(EditError, match="outputs count from 1"):
        parse_target("y0")


def test_changing_the_label_changes_the_loss_and_undo_puts_it_back() -> None:
    s = Session(load_network(SAMPLES / "seed_example.json"))
    y = Target(TARGET)
    assert s.value_of(y) == 1.0 and s.health().gradients is not None
    before = s.health().gradients.value  # type: ignore[union-attr]
    outputs = s.trace.outputs.copy()
    s.edit(y, 0)
    assert s.sample.label == 0 and s.health().gradients.value > before  # type: ignore[union-attr]
    assert any(f.kind == "wrong_output" for f in s.health().problems)  # σ = 0.69 is class 1, not 0
    assert np.array_equal(s.trace.outputs, outputs)  # no value of the pass moved
    assert s.backward_steps()[0].formula.endswith("y = 0)")
    s.undo()
    assert s.sample.label == 1 and s.health().gradients.value == before  # type: ignore[union-attr]
    s.edit(y, math.nan)  # no label: no loss, no backward steps
    assert s.sample.label is None and s.health().gradients is None and s.backward_steps() == []
    s.undo()
    assert s.sample.label == 1


@pytest.mark.parametrize("value", [2, 0.5, -1, math.inf])
def test_a_label_that_is_no_class_is_refused_and_nothing_changes(value: float) -> None:
    s = Session(load_network(SAMPLES / "seed_example.json"))
    with pytest.raises(EditError, match="a whole number 0..1"):
        s.edit(Target(TARGET), value)
    assert s.sample.label == 1 and not s.journal


def test_an_expected_output_of_a_regression() -> None:
    net = Network([Layer("out", "linear", np.array([[2.0]]), np.zeros(1))], samples=Samples(np.array([[1.0], [3.0]])))
    s = Session(net)
    assert sample_target(net, 0) == Target(TARGET, index=0)
    assert math.isnan(s.value_of(Target(TARGET, index=0))) and s.health().gradients is None
    s.edit(Target(TARGET, index=0), 2.5)  # a = 2: off by 0.5
    grads = s.health().gradients
    assert grads is not None and grads.loss == "mse" and grads.value == pytest.approx(0.25)
    with pytest.raises(EditError, match="the network has 1 outputs"):
        s.edit(Target(TARGET, index=1), 1.0)
    s.undo()
    assert s.health().gradients is None


def test_a_multi_output_sample_without_an_expected_vector_is_refused() -> None:
    net = Network([Layer("out", "linear", np.eye(2), np.zeros(2))], samples=Samples(np.array([[1.0, 2.0]])))
    s = Session(net)
    with pytest.raises(EditError, match="no expected output vector; give all 2"):
        s.edit(Target(TARGET, index=1), 1.0)


def test_set_y_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["trace", str(SAMPLES / "seed_example.json"), "--set", "y=0", "--backward"])
    out = capsys.readouterr().out
    assert code == 0 and "y = 0)" in out


async def test_y_in_the_debugger_sets_the_label() -> None:
    app = make_app("seed_example.json")
    async with app.run_test(size=(120, 40)) as pilot:
        s = app.session
        await press(pilot, "y")
        assert isinstance(app.screen, EditDialog)
        await press(pilot, "ctrl+a", "ctrl+k", "3", "enter")
        assert isinstance(app.screen, EditDialog) and "a whole number 0..1" in screen_text(app)
        await press(pilot, "ctrl+a", "ctrl+k", "0", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, EditDialog) and s.sample.label == 0
        assert any(n.message.startswith("y: 1 → 0") for n in app._notifications)  # the toast
        await press(pilot, "G", "n")  # past the output: the loss for label 0
        assert s.back_step is not None and "y = 0)" in s.back_step.formula
        await press(pilot, "u")
        assert s.sample.label == 1


def test_a_changed_label_is_saved(tmp_path) -> None:
    from neurodebug.io.json_writer import write_json_network

    net = load_network(SAMPLES / "seed_example.json")
    Session(net).edit(Target(TARGET), 0)
    write_json_network(net, tmp_path / "net.json")
    assert load_network(tmp_path / "net.json").samples[0].label == 0
