"""--verify in the debugger: their value beside ours, ✓ or ✗, and f to the next ✗."""

from __future__ import annotations

import re
import shutil
import signal
from pathlib import Path

import pytest

from neurodebug import Session, load_network
from neurodebug.io.learner_code import verify_file
from neurodebug.tui.app import NeurodebugApp

from test_tui_terminal import Terminal
from tui_helpers import SAMPLES, press, screen_text, settle

VERIFY = Path(__file__).parent / "fixtures" / "verify"


@pytest.fixture(scope="module")
def reports():
    """Each learner file run once against the coffee network (a child process each)."""
    net = load_network(SAMPLES / "coffee_roasting.json")
    return {name: verify_file(VERIFY / name, net, timeout=60) for name in ("bug_bias_twice.py", "dense_loop.py")}


def _app(report) -> NeurodebugApp:
    s = Session(load_network(SAMPLES / "coffee_roasting.json"))
    s.verified = report
    app = NeurodebugApp(s, path=Path("coffee_roasting.json"))
    app.animation_level = "none"
    return app


async def test_f_goes_to_the_first_wrong_neuron_and_says_why(reports):
    app = _app(reports["bug_bias_twice.py"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        s = app.session
        await press(pilot, "f")
        assert (s.sample_index, s.step.layer, s.step.neuron, s.step.kind) == (0, 0, 0, "activate")
        text = screen_text(app)
        assert "my_dense gave a1_1 = 0.00240314 ✗ (ours 0.0557996)" in text
        assert "bias added twice" in text
        assert "a 0.0558 ✗" in text  # the Network pane's mark
        assert "yours a 0.0024" in text  # and their value under ours
        await press(pilot, "f")
        assert (s.step.layer, s.step.neuron) == (0, 1)
        mismatches = s.verified.mismatches()
        for _ in range(len(mismatches) - 2):
            await press(pilot, "f")
        await press(pilot, "f")  # past the last one: back to the first
        assert (s.sample_index, s.step.layer, s.step.neuron) == mismatches[0]


async def test_before_its_step_their_value_is_not_shown(reports):
    app = _app(reports["bug_bias_twice.py"])
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "n", "n")  # normalise, dot product of L1.N1: a not computed yet
        text = screen_text(app)
        assert "my_dense gave" not in text and "✗" not in text
        assert "yours a ·" in text and "yours a 0" not in text


async def test_a_correct_my_dense_is_all_ticks_and_f_finds_failing_neurons_again(reports):
    app = _app(reports["dense_loop.py"])
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "v", "n", "n", "n", "n")  # per layer: layer 1's activation
        assert "my_dense gave a1: every neuron agrees ✓" in screen_text(app)
        await press(pilot, "G")
        rows = screen_text(app).splitlines()
        marked = [row for row in rows if re.search(r" a +\S+ ✓", row)]
        assert len(marked) == 4  # three hidden neurons and the output
        assert not any(re.search(r" a +\S+ ✗", row) for row in rows)


def test_the_command_line_runs_the_code_and_shows_the_marks(tmp_path):
    shutil.copy(SAMPLES / "coffee_roasting.json", tmp_path)
    shutil.copy(VERIFY / "bug_bias_twice.py", tmp_path)
    term = Terminal(["coffee_roasting.json", "--verify", "bug_bias_twice.py"], tmp_path, size=(120, 40))
    try:
        term.wait_for("Ready")
        term.send("f")
        term.wait_for("bias added twice")
        term.send("q")
        assert term.wait_exit() == 0
    finally:
        if term.proc.poll() is None:
            term.proc.send_signal(signal.SIGKILL)
            term.proc.wait()


def test_a_file_that_cannot_be_imported_is_one_line_and_exit_2(tmp_path):
    shutil.copy(SAMPLES / "coffee_roasting.json", tmp_path)
    shutil.copy(VERIFY / "no_functions.py", tmp_path)
    term = Terminal(["coffee_roasting.json", "--verify", "no_functions.py"], tmp_path)
    try:
        assert term.wait_exit() == 2
        assert "no_functions.py" in term.text()
    finally:
        if term.proc.poll() is None:
            term.proc.send_signal(signal.SIGKILL)
            term.proc.wait()
