"""In the debugger: the gradient check at a ∂L/∂w step, and D with n steps."""

from __future__ import annotations

import json
import time

import numpy as np
from textual import events

from tui_helpers import SAMPLES, make_app, press, screen_text, settle, type_fast

from neurodebug.engine import dense
from neurodebug.tui.dialogs import DescentDialog


def _params(net) -> list[bytes]:
    return [a.tobytes() for layer in net.layers for a in (layer.W, layer.b)]


async def _to_step(pilot, s, title_end: str, layer: int) -> None:
    """n from the end of the forward pass until the backward step of ``layer`` ending in ``title_end``."""
    await press(pilot, "G", "n")
    while not (s.back_step.title.endswith(title_end) and s.back_step.layer == layer):
        assert s.step_on()
    await press(pilot, "ctrl+l")


async def test_the_dw_step_shows_the_gradient_check():
    app = make_app()  # the seed example: its sample has label 1
    async with app.run_test(size=(120, 40)) as pilot:
        s = app.session
        await press(pilot, "G", "n", "n", "n")
        assert s.back_step.title.endswith("· ∂L/∂w") and s.back_step.layer == 1
        text = screen_text(app)
        assert "check: ∂L/∂w1 = −0.310026 analytic, −0.310026 finite difference (h = 1e−06)," in text
        assert "relative error 1.7e−10 ✓" in text and "check: ∂L/∂b = −0.310026 analytic" in text
        await press(pilot, "n")  # ∂L/∂b: the same check
        assert s.back_step.title.endswith("∂L/∂b") and "check: ∂L/∂b = −0.310026" in screen_text(app)
        await press(pilot, "n")  # ∂L/∂a of the layer before: no check
        assert "check:" not in screen_text(app)


async def test_at_80x24_the_worst_and_a_count():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "G", "n", "n", "n")
        text = screen_text(app)
        assert "check: ∂L/∂w1 = −0.310026 analytic," in text and "… 2 more agree (checked: 2 of 2" in text


async def test_a_wrong_derivative_shows_gradient_check_fails(monkeypatch):
    real = dense.activation_backward
    monkeypatch.setattr(dense, "activation_backward", lambda *a: 0.5 * real(*a))  # half of every g′(z)
    app = make_app("coffee_roasting.json")  # its hidden neurons are not saturated: the error shows
    async with app.run_test(size=(120, 40)) as pilot:
        s = app.session
        await _to_step(pilot, s, "∂L/∂w", 0)
        text = screen_text(app)
        assert "gradient check fails: ∂L/∂w" in text and "✗" in text
        lines = app.screen.query_one("#operation").render_text(app.screen.query_one("#operation").frame, 80)
        failing = [span for span in lines.spans if str(span.style) == "bold red"]
        assert failing  # drawn in the pane's problem style


async def test_D_takes_ten_steps_as_one_edit_and_u_undoes_them():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        s = app.session
        before = _params(s.network)
        await press(pilot, "D")
        assert isinstance(app.screen, DescentDialog)
        await press(pilot, "ctrl+a", "ctrl+k", "0", ".", "5", "tab", "ctrl+a", "ctrl+k", "x", "enter")
        assert isinstance(app.screen, DescentDialog) and "refused: steps 'x'" in screen_text(app)
        assert _params(s.network) == before and not s.journal  # refused: nothing changed
        await press(pilot, "ctrl+a", "ctrl+k", "1", "0", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, DescentDialog)
        assert len(s.journal) == 1 and s.journal[0].steps == 10
        await press(pilot, "3")
        text = screen_text(app)
        assert "gradient descent ×10, lr 0.5:" in text and "0.0956891 → 0.0863905" in text  # the Journal
        assert "█▇▆▅▄▄▃▃▂▂▁" in text  # the loss after each step
        await press(pilot, "u")
        assert _params(s.network) == before and not s.journal
        await press(pilot, "U")
        assert len(s.journal) == 1 and s.journal[0].steps == 10


async def test_a_learning_rate_typed_right_after_D_goes_into_its_box():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await type_fast(pilot, ["D", *"0.5", "enter"])  # faster than the dialog comes up
        s = app.session
        assert not isinstance(app.screen, DescentDialog)
        assert len(s.journal) == 1 and s.journal[0].lr == 0.5 and s.journal[0].steps == 1
        await type_fast(pilot, ["D", *"0.2", "tab", *"12", "enter"])  # Tab: on to the steps, its text replaced
        assert len(s.journal) == 2 and s.journal[1].lr == 0.2 and s.journal[1].steps == 12


async def test_D_refuses_a_diverging_step_in_the_dialog(tmp_path):
    doc = json.loads((SAMPLES / "xor.json").read_text())
    doc["layers"][1]["b"] = [0.5]  # off the solution: the gradient is not 0
    path = tmp_path / "xor_off.json"
    path.write_text(json.dumps(doc))
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        s = app.session
        before = _params(s.network)
        await press(pilot, "D", "ctrl+a", "ctrl+k", "1", "0", "tab", "ctrl+a", "ctrl+k", *"1000", "enter")
        assert isinstance(app.screen, DescentDialog)
        assert "refused: step 239 of 1000 is not finite" in screen_text(app)
        assert _params(s.network) == before and not s.journal and np.isfinite(s.trace.outputs).all()
        await press(pilot, "escape")
        assert not isinstance(app.screen, DescentDialog) and not s.journal


async def test_D_works_the_steps_out_in_a_thread_and_escape_stops_them(monkeypatch):
    # Steps that take long (a big network's) are worked out in a worker
    # thread: the dialog says how far they have got, Escape stops them with
    # nothing changed and the dialog open, and Escape again closes it.
    from neurodebug.engine.descent import DescentStopped
    from neurodebug.tui import dialogs

    monkeypatch.setattr(dialogs.DescentDialog, "PROGRESS_EVERY", 0.0)
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        s = app.session
        before = _params(s.network)
        taken: list[int] = []

        def slow(lr, steps, progress):  # a step at a time until told to stop (or 20,000 of them)
            for k in range(1, 20_001):
                taken.append(k)
                if not progress(k):
                    raise DescentStopped(k, steps)
                time.sleep(0.0005)
            raise AssertionError("never stopped")

        monkeypatch.setattr(s, "descent", slow)
        await press(pilot, "D")
        await pilot.press("enter")  # (press would wait for the worker: it runs until stopped)
        dialog = app.screen
        assert isinstance(dialog, DescentDialog)
        for _ in range(10_000):  # until the dialog has said how far the steps got
            if "working out step" in screen_text(app):
                break
            await pilot.pause()
        assert "working out step" in screen_text(app) and dialog.running
        assert all(box.disabled for box in dialog.query("Input"))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DescentDialog) and not dialog.running
        assert "stopped after" in screen_text(app) and "nothing changed" in screen_text(app)
        assert _params(s.network) == before and not s.journal
        assert not any(box.disabled for box in dialog.query("Input"))
        for _ in range(10_000):  # the thread saw it at its next step
            if not any(w.is_running for w in app.workers):
                break
            await pilot.pause()
        assert not any(w.is_running for w in app.workers)
        await press(pilot, "escape")
        assert not isinstance(app.screen, DescentDialog) and not s.journal and _params(s.network) == before


async def test_keys_held_for_the_descent_dialog_follow_a_tab_to_the_steps_box():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.action_descend()  # the dialog is pushed, not mounted yet: nothing has the focus
        dialog = app.screen
        assert isinstance(dialog, DescentDialog) and dialog.focused is None
        for key, char in [("0", "0"), ("full_stop", "."), ("3", "3"), ("tab", "\t"), ("7", "7"), ("enter", "\r")]:
            assert await dialog.arrived(events.Key(key, char))  # held for the boxes
        await settle(pilot)
        s = app.session
        assert not isinstance(app.screen, DescentDialog)
        assert [(d.lr, d.steps) for d in s.journal] == [(0.3, 7)]
