"""Every key binding, driven through Pilot, checked on the session and the screen."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from textual import events

from neurodebug import Session, load_network
from neurodebug.engine import START
from neurodebug.tui.app import NeurodebugApp
from neurodebug.tui.dialogs import ConfirmDialog, EditDialog, QuitDialog, TextPage
from neurodebug.engine.trace import trace_of
from tui_helpers import SAMPLES, make_app, press, screen_text, settle, type_fast

SIZE = (100, 30)


async def test_n_steps_through_neuron_one_and_shows_166_5():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        assert s.cursor == START
        await press(pilot, "n")
        assert s.cursor == 0
        assert "z = 1×200 + (−2)×17 = 166" in screen_text(app)
        await press(pilot, "n")
        assert "z = 166 + 0.5 = 166.5" in screen_text(app)
        await press(pilot, "n")
        text = screen_text(app)
        assert "a = σ(166.5) ≈ 1.0000" in text
        assert "saturated" in text


@pytest.mark.parametrize("key", ["right", "space"])
async def test_right_and_space_also_step(key):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, key, key)
        assert app.session.cursor == 1
        assert "step 2/9" in screen_text(app)


@pytest.mark.parametrize("key", ["p", "left"])
async def test_step_back(key):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "n", "n", key)
        assert app.session.cursor == 1
        assert "step 2/9" in screen_text(app)
        await press(pilot, key, key, key)  # past the start stays at the start
        assert app.session.cursor == START
        assert "Ready." in screen_text(app)


async def test_N_finishes_a_neuron_then_the_next():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "N")
        assert app.session.step.kind == "activate" and app.session.step.neuron == 0
        assert "σ(166.5)" in screen_text(app)
        await press(pilot, "N")
        assert app.session.step.neuron == 1
        assert "σ(−48)" in screen_text(app)


async def test_L_finishes_a_layer_then_the_next():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "L")
        assert app.session.cursor == 5  # layer 1's last step
        await press(pilot, "L")
        assert app.session.at_end
        assert "σ(0.8)" in screen_text(app)


@pytest.mark.parametrize("keys", [("G",), ("end",)])
async def test_jump_to_end(keys):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, *keys)
        assert app.session.at_end
        assert "step 9/9" in screen_text(app)


@pytest.mark.parametrize("key", ["g", "home"])
async def test_jump_to_start(key):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "G", key)
        assert app.session.cursor == START
        assert "step 0/9" in screen_text(app)


async def test_breakpoint_and_continue():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "N", "n")  # neuron 2's dot product
        await press(pilot, "b")
        assert (0, 1) in app.session.breakpoints
        assert "●" in screen_text(app)
        assert "1 breakpoint" in screen_text(app)
        await press(pilot, "g", "c")
        assert app.session.cursor == 3  # stopped at neuron 2's first step
        await press(pilot, "c")
        assert app.session.at_end
        await press(pilot, "b")  # toggling on the output neuron
        await press(pilot, "g", "N", "n", "b")  # clear neuron 2's
        assert (0, 1) not in app.session.breakpoints


async def test_samples_switch_with_brackets():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "right_square_bracket")
        assert app.session.sample_index == 1
        assert 'sample 2/8 "city roast"' in screen_text(app)
        await press(pilot, "left_square_bracket", "left_square_bracket")
        assert app.session.sample_index == 7  # wraps around
        assert "scorched" in screen_text(app)


async def test_v_switches_granularity_keeping_the_position():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "n")  # neuron 1, add bias
        await press(pilot, "v")
        s = app.session
        assert s.granularity == "layer"
        assert (s.step.layer, s.step.kind) == (0, "bias")
        assert "per layer" in screen_text(app)
        assert "z = [166, −49] + [0.5, 1] = [166.5, −48]" in screen_text(app)
        await press(pilot, "v")
        assert s.granularity == "neuron" and s.step.kind == "bias"


async def test_tab_cycles_focus_between_panes():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = set()
        for _ in range(6):
            seen.add(app.focused.id if app.focused else None)
            await press(pilot, "tab")
        assert {"network", "operation", "arrays"} <= seen


async def test_help_screen_opens_and_closes():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, TextPage)
        assert "continue to the next breakpoint" in screen_text(app)
        await press(pilot, "escape")
        assert not isinstance(app.screen, TextPage)


async def test_q_quits_without_edits():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "q")
        await settle(pilot)
    assert app.return_code == 0


async def _edit_first_weight(pilot, app, value: str):
    """Select neuron 1's w1 in the Arrays pane and type a new value."""
    await press(pilot, "n")  # dot product of neuron 1: w1 is selected
    await press(pilot, "e")
    assert isinstance(app.screen, EditDialog)
    await press(pilot, "ctrl+a", "ctrl+k", *list(value), "enter")
    await settle(pilot)


async def test_edit_recomputes_and_shows_old_and_new():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:  # wide enough for every pane to show it
        await _edit_first_weight(pilot, app, "0.17")
        s = app.session
        assert s.network.layers[0].W[0, 0] == 0.17
        assert s.sample_trace.z(0)[0] == pytest.approx(0.5)
        assert s.sample_trace.a(0)[0] == pytest.approx(0.6224593)
        await press(pilot, "n", "n")  # to the activation of neuron 1
        text = screen_text(app)
        assert "σ(0.5)" in text
        assert "was z 166.5 a 1" in text
        assert "L1.N1.w1: 1 → 0.17" in text  # the changes view
        assert "0.69 → 0.6" in text  # the output, before and after


async def test_escape_cancels_an_edit():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "e", "ctrl+a", "5", "escape")
        assert app.session.network.layers[0].W[0, 0] == 1.0
        assert not app.session.journal


# NaN and ∞ go into a weight or a bias on purpose (test_nan_and_inf_typed_into_a_weight_are_taken);
# an input refuses them (the file could not hold it).
@pytest.mark.parametrize("select,bad", [((), "abc"), (("a", "down", "down", "down"), "nan"),
                                        (("a", "down", "down", "down"), "inf"), ((), "")])
async def test_a_bad_value_is_refused_and_nothing_changes(select, bad):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        before = app.session.trace.outputs.copy()
        await press(pilot, "n", *select, "e", "ctrl+a", "ctrl+k", *list(bad), "enter")
        assert isinstance(app.screen, EditDialog)  # still open
        assert "refused" in screen_text(app)
        await press(pilot, "escape")
        assert app.session.network.layers[0].W[0, 0] == 1.0
        np.testing.assert_array_equal(app.session.trace.outputs, before)


async def test_undo_and_redo():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_first_weight(pilot, app, "0.17")
        await press(pilot, "u")
        assert app.session.network.layers[0].W[0, 0] == 1.0
        assert app.session.sample_trace.z(0)[0] == 166.5
        await press(pilot, "U")
        assert app.session.network.layers[0].W[0, 0] == 0.17
        await press(pilot, "u", "ctrl+r")
        assert app.session.network.layers[0].W[0, 0] == 0.17
        await press(pilot, "3")
        assert "L1.N1.w1: 1 → 0.17" in screen_text(app)


async def test_select_bias_and_input_with_arrows():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "a", "down", "down")  # w1 → w2 → b
        assert app.screen.query_one("#arrays").target().label() == "L1.N1.b"
        await press(pilot, "down")
        assert app.screen.query_one("#arrays").target().label() == "x1"
        await press(pilot, "e", "ctrl+a", "ctrl+k", *"190", "enter")
        assert app.session.sample.x[0] == 190
        assert app.session.sample_trace.z(0)[0] == pytest.approx(156.5)


async def test_save_writes_an_edited_copy_that_reproduces_the_values(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_first_weight(pilot, app, "0.17")
        await press(pilot, "s")
        await settle(pilot)
        saved = tmp_path / "seed_example.edited.json"
        assert saved.exists()
        assert not app.session.dirty
        again = load_network(saved)
        np.testing.assert_array_equal(trace_of(again).outputs, app.session.trace.outputs)
        # a second save asks before overwriting
        await press(pilot, "s")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "n")
        assert not isinstance(app.screen, ConfirmDialog)


async def test_a_failed_save_keeps_the_edits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_first_weight(pilot, app, "0.17")
        tmp_path.chmod(0o500)
        try:
            import neurodebug.tui.saving as saving

            def refuse(*args, **kwargs):
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr(saving, "write_json_network", refuse)
            await press(pilot, "s")
            await settle(pilot)
        finally:
            tmp_path.chmod(0o700)
        assert app.session.dirty
        assert app.session.network.layers[0].W[0, 0] == 0.17
        assert not (tmp_path / "seed_example.edited.json").exists()


QUIT_WAYS = {
    "q": ("q",),
    "ctrl+q": ("ctrl+q",),
    "ctrl+c": ("ctrl+c",),
    "palette": ("ctrl+p", *"Quit", "enter"),
}


@pytest.mark.parametrize("way", sorted(QUIT_WAYS))
async def test_every_way_out_asks_first_while_edits_are_unsaved(way, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_first_weight(pilot, app, "2")
        await press(pilot, *QUIT_WAYS[way])
        assert isinstance(app.screen, QuitDialog), way
        await press(pilot, *QUIT_WAYS[way])  # asking again does not stack a second question
        assert sum(isinstance(s, QuitDialog) for s in app.screen_stack) == 1
        await press(pilot, "n")
        assert app.is_running and app.session.dirty
        await press(pilot, *QUIT_WAYS[way])
        await press(pilot, "escape")
        assert app.is_running
        await press(pilot, *QUIT_WAYS[way])
        await press(pilot, "y")
    assert app.return_code == 0
    assert not list(tmp_path.iterdir())  # quitting without saving wrote nothing


@pytest.mark.parametrize("way", sorted(QUIT_WAYS))
async def test_every_way_out_quits_at_once_without_edits(way):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", *QUIT_WAYS[way])
    assert app.return_code == 0


async def test_save_and_quit_writes_the_edits_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_first_weight(pilot, app, "0.17")
        await press(pilot, "q", "s")
    assert app.return_code == 0
    saved = load_network(tmp_path / "seed_example.edited.json")
    assert saved.layers[0].W[0, 0] == 0.17


async def test_save_and_quit_over_an_existing_copy_asks_and_stays_if_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seed_example.edited.json").write_text("an older copy")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_first_weight(pilot, app, "0.17")
        await press(pilot, "q", "s")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "n")  # do not overwrite: the edits stay, and so does the app
        assert app.is_running and app.session.dirty
    assert (tmp_path / "seed_example.edited.json").read_text() == "an older copy"


async def test_closing_the_terminal_writes_unsaved_edits_to_a_recovery_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seed_example.recovered.json").write_text("an earlier recovery")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_first_weight(pilot, app, "0.17")
        app.terminal_closed()  # what SIGHUP and SIGTERM call
        await settle(pilot)
    assert app.recovered == Path("seed_example.recovered-2.json")
    assert load_network(tmp_path / app.recovered).layers[0].W[0, 0] == 0.17
    assert (tmp_path / "seed_example.recovered.json").read_text() == "an earlier recovery"


async def test_the_bundled_sample_saves_to_the_current_directory(tmp_path, monkeypatch):
    from neurodebug.cli import bundled_sample

    monkeypatch.chdir(tmp_path)
    sample = bundled_sample()
    app = NeurodebugApp(Session(load_network(sample)), path=sample, save_dir=Path.cwd())
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "e", "ctrl+a", "ctrl+k", *"0.5", "enter", "s")
    assert (tmp_path / "coffee_roasting.edited.json").exists()
    assert not (sample.parent / "coffee_roasting.edited.json").exists()


@pytest.mark.parametrize("key,tab", [("1", "trace"), ("2", "changes"), ("3", "journal"), ("4", "problems")])
async def test_number_keys_show_views(key, tab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, key)
        assert app.screen.query_one("#views").active == tab


async def test_command_palette_jumps_to_a_neuron():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "ctrl+p")
        await press(pilot, *"L1.N3")
        await settle(pilot)
        await press(pilot, "enter")
        await settle(pilot)
        step = app.session.step
        assert (step.layer, step.neuron, step.kind) == (0, 2, "dot")
        assert "burnt" in screen_text(app)


async def test_narrow_terminal_is_usable():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "n", "n")
        text = screen_text(app)
        assert "166.5" in text
        assert "Arrays" in text
        await press(pilot, "1")
        assert "Trace" in screen_text(app)
        await press(pilot, "a")
        assert "Arrays" in screen_text(app)


async def test_resizing_to_tiny_and_back_never_raises():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "n")
        for size in [(40, 12), (20, 5), (60, 16), (80, 24), (40, 12), (120, 40)]:
            await pilot.resize_terminal(*size)
            await settle(pilot)
            if size[0] < 60 or size[1] < 16:
                assert "too small" in " ".join(screen_text(app).split())
        assert "166.5" in screen_text(app)


async def test_f_lands_on_a_saturated_neuron_and_names_the_raw_input():
    app = make_app("coffee_unnormalized.json")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f")
        s = app.session
        step = s.step
        assert (step.layer, step.kind) == (0, "activate")
        assert (0, step.neuron) in s.health().failing_neurons(s.sample_index)
        text = " ".join(screen_text(app).split())
        assert "saturated" in text
        assert "dominant term: temperature" in text
        assert "✗" in text
        await press(pilot, "f")
        assert s.step.neuron == step.neuron + 1


async def test_f_on_a_healthy_network_says_so():
    app = make_app("xor.json")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f")
        assert app.session.cursor == START
        await press(pilot, "4")
        assert "ok: no problems" in screen_text(app)


async def test_x_explains_the_current_neuron():
    app = make_app("coffee_unnormalized.json")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "x")  # nothing to explain before the first step
        assert not isinstance(app.screen, TextPage)
        await press(pilot, "N", "x")
        assert isinstance(app.screen, TextPage)
        text = " ".join(screen_text(app).split())
        assert "dominant term: temperature" in text
        assert "would be" in text  # z with the inputs normalised
        await press(pilot, "escape")
        assert not isinstance(app.screen, TextPage)


async def test_problems_view_lists_findings():
    app = make_app("coffee_unnormalized.json")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "4")
        text = " ".join(screen_text(app).split())
        assert "saturated" in text and "this sample" in text


# -- feedback: toasts --------------------------------------------------------------------------------
def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.parametrize("key", ["N", "L", "c"])
async def test_a_key_that_goes_forward_at_the_end_of_the_pass_says_so(key):
    app = make_app("dead_relu.json")  # no labels (N, L and c go on into the backward pass of a labelled sample)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await press(pilot, "G", key)
        assert app.session.at_end
        assert toasts(app) == ["end of the pass: g goes back to the start"]
        assert "end of the pass" in screen_text(app)


@pytest.mark.parametrize("key", ["n", "right", "space"])
async def test_stepping_on_at_the_end_goes_into_the_backward_pass_then_says_so(key):
    app = make_app()  # the seed's sample has a label: past its output come the loss and the gradients
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        s = app.session
        await press(pilot, "G", key)
        assert s.in_backward and s.back_cursor == 0
        assert "backward · loss (bce)" in screen_text(app) and "backward 1/12" in screen_text(app)
        for _ in range(len(s.backward_steps())):
            await press(pilot, key)
        assert s.back_cursor == len(s.backward_steps()) - 1
        assert toasts(app) == ["end of the backward pass: p steps back, g goes to the start"]


async def test_stepping_on_without_a_label_says_the_end_of_the_pass():
    app = make_app("dead_relu.json")  # no labels: no loss to go back from
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await press(pilot, "G", "n")
        assert app.session.at_end and not app.session.in_backward
        assert toasts(app) == ["end of the pass: g goes back to the start"]


async def test_the_seed_neuron_cannot_learn_stepping_backward_and_p_returns():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        s = app.session
        await press(pilot, "G", *["n"] * 6)  # loss, ∂L/∂z out, ∂L/∂w, ∂L/∂b, ∂L/∂a1_1, ∂L/∂z1_1
        text = screen_text(app)
        assert "∂L/∂z = −0.217018 × σ′(166.5) = −0.217018 × 4.89744e−73 = −1.06283e−73" in text
        assert "cannot learn from this sample: σ′(166.5) = 4.9e−73" in text
        assert s.back_step is not None and (s.back_step.layer, s.back_step.neuron) == (0, 0)
        await press(pilot, *["p"] * 6)
        assert not s.in_backward and s.at_end
        await press(pilot, "g")
        assert not s.in_backward and s.step is None


async def test_the_same_toast_again_is_one_toast_with_a_count():
    app = make_app("dead_relu.json")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await press(pilot, "G", "n", "n", "n")
        assert toasts(app) == ["end of the pass: g goes back to the start  (×3)"]
        text = screen_text(app)
        assert text.count("end of the pass") == 1 and "(×3)" in text
        await press(pilot, "g", "p")  # another toast: a toast of its own
        assert toasts(app)[-1] == "start of the pass: n steps forward"
        assert len(toasts(app)) == 2


@pytest.mark.parametrize("key", ["left_square_bracket", "right_square_bracket"])
async def test_brackets_with_one_sample_say_how_to_add_more(key):
    app = make_app()  # the seed example has one sample
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, key)
        assert app.session.sample_index == 0
        assert toasts(app) == ["only one sample; --inputs FILE adds more"]


async def test_the_failing_toast_names_the_neuron_and_the_problem_in_words():
    app = make_app("coffee_unnormalized.json")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f")
        assert toasts(app) == ["layer 1 (layer1), neuron 1 (too cold): saturated, cannot learn"]
        await press(pilot, "f", "f", "f")
        assert toasts(app)[-1] == "layer 2 (layer2), neuron 1 (good roast): wrong output"
        for message in toasts(app):
            assert "_" not in message and "nonfinite" not in message


async def test_toasts_name_neurons_as_the_file_does():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "N", "N", "a", "b")  # b on the step (the Arrays pane has focus)
        assert toasts(app) == ["breakpoint set at layer 1 (layer1), neuron 1 (too cold)"]


# -- the edit dialog -------------------------------------------------------------------------------------------
async def test_the_edit_dialog_shows_the_value_as_the_file_has_it():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_first_weight(pilot, app, "0.17")
        await press(pilot, "e")
        assert isinstance(app.screen, EditDialog)
        assert app.screen.query_one("#edit-value").value == "0.17"
        assert "current value: 0.17" in screen_text(app)
        assert "0.17000000000000001" not in screen_text(app)


def test_a_value_reads_as_the_file_writes_it():
    from neurodebug.tui.dialogs import as_in_file

    assert as_in_file(0.17) == "0.17"
    assert as_in_file(float(np.float32(0.17)), np.float32) == "0.17"
    assert as_in_file(float(np.float32(0.17))) == "0.17000000178813934"  # a float64 holds what it holds
    assert as_in_file(1e-30, np.float32) == "1e-30"
    assert as_in_file(-2.0) == "-2.0"
    assert [as_in_file(v) for v in (math.nan, math.inf, -math.inf)] == ["nan", "inf", "-inf"]
    for v in (0.1, 1 / 3, 2.5e-310, 1.7976931348623157e308):
        assert float(as_in_file(v)) == v
    for v in (0.1, 1 / 3, 3.4e38):
        assert np.float32(as_in_file(float(np.float32(v)), np.float32)) == np.float32(v)


async def test_a_float32_weight_shows_as_the_float32_it_is(tmp_path):
    doc = json.loads((SAMPLES / "seed_example.json").read_text())
    doc["dtype"] = "float32"
    doc["layers"][0]["W"] = [[0.17, -0.5], [-2, 3]]
    path = tmp_path / "f32.json"
    path.write_text(json.dumps(doc))
    net = load_network(path)
    assert net.layers[0].W.dtype == np.float32 and float(net.layers[0].W[0, 0]) != 0.17
    app = NeurodebugApp(Session(net), path=Path(path.name))
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "e")
        assert app.screen.query_one("#edit-value").value == "0.17"
        # too large for a float32: refused, the dialog stays as typed and says why
        await press(pilot, "ctrl+a", "ctrl+k", *"1e39", "enter")
        assert isinstance(app.screen, EditDialog)
        assert app.screen.query_one("#edit-value").value == "1e39"
        assert "does not fit in float32" in " ".join(screen_text(app).split())
        assert not app.session.journal
        await press(pilot, "ctrl+a", "ctrl+k", *"0.25", "enter")
        assert not isinstance(app.screen, EditDialog)
        assert app.session.network.layers[0].W[0, 0] == np.float32(0.25)


@pytest.mark.parametrize("typed,expected", [("nan", math.nan), ("inf", math.inf), ("-inf", -math.inf)])
async def test_nan_and_inf_typed_into_a_weight_are_taken(typed, expected):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_first_weight(pilot, app, typed)
        assert not isinstance(app.screen, EditDialog)
        w = app.session.network.layers[0].W[0, 0]
        assert (math.isnan(w) and math.isnan(expected)) or w == expected
        assert not np.isfinite(app.session.sample_trace.z(0)[0])
        await press(pilot, "e")  # and the dialog shows it back the way it is typed
        assert app.screen.query_one("#edit-value").value == typed


async def test_nan_typed_into_a_bias_is_taken_and_into_an_input_refused_with_the_reason():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "a", "down", "down", "e")  # the bias
        assert "nan, inf or -inf" in screen_text(app)
        await press(pilot, "ctrl+a", "ctrl+k", *"nan", "enter")
        assert math.isnan(app.session.network.layers[0].b[0])
        await press(pilot, "a", "down", "e", "ctrl+a", "ctrl+k", *"nan", "enter")  # x1
        assert isinstance(app.screen, EditDialog)
        assert "an input must be a finite number" in " ".join(screen_text(app).split())
        assert app.screen.query_one("#edit-value").value == "nan"
        await press(pilot, "escape")
        assert app.session.sample.x[0] == 200


async def test_a_value_typed_right_after_e_goes_into_the_box():
    """e0.5⏎ typed faster than the dialog comes up (a fast typist, tmux
    send-keys): the keys after e went to the pane that had the focus and were
    lost, and the Enter applied the value the box started with."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")  # L1.N1's dot product: e edits w1
        await type_fast(pilot, ["e", *"0.5", "enter"])
        s = app.session
        assert [(e.target.label(), e.new) for e in s.journal] == [("L1.N1.w1", 0.5)]
        assert s.network.layers[0].W[0, 0] == 0.5
        assert not isinstance(app.screen, EditDialog)


async def test_a_refused_value_typed_ahead_stays_in_the_box_with_the_reason():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")
        await type_fast(pilot, ["e", *"0.5x", "backspace", "backspace", "y", "enter"])
        assert isinstance(app.screen, EditDialog)
        assert app.screen.query_one("#edit-value").value == "0.y"
        assert "refused: '0.y' is not a number" in screen_text(app)
        assert not app.session.journal
        await press(pilot, "backspace", "5", "enter")
        assert app.session.network.layers[0].W[0, 0] == 0.5


async def test_keys_that_come_before_the_box_has_the_focus_go_in_when_it_gets_it():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        answers = []
        dialog = EditDialog("w1", "a weight", 1.0, apply=lambda value: None)
        app.push_screen(dialog, answers.append)  # not mounted yet: nothing has the focus
        assert dialog.focused is None
        taken = [await dialog.arrived(events.Key(key, char)) for key, char in
                 [("minus", "-"), ("2", "2"), ("x", "x"), ("backspace", None), ("enter", "\r"), ("n", "n")]]
        assert taken == [True] * 6  # held for the box; the n kept for after the Enter
        await settle(pilot)
        assert answers == [-2.0]


async def test_editing_keys_typed_fast_apply_in_the_order_typed():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")
        await type_fast(pilot, ["e", "ctrl+a", "ctrl+k", "2", "home", "1", "end", "backspace", "3", "enter"])
        assert [e.new for e in app.session.journal] == [13.0]


async def test_keys_typed_right_after_the_enter_or_escape_go_to_the_debugger():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        await press(pilot, "n")
        await type_fast(pilot, ["e", *"0.5", "enter", "n", "n"])
        assert [e.new for e in s.journal] == [0.5] and s.cursor == 2
        await type_fast(pilot, ["e", *"0.7", "escape", "p"])
        assert [e.new for e in s.journal] == [0.5] and s.cursor == 1
        assert not isinstance(app.screen, EditDialog)


async def test_enter_on_the_value_it_has_makes_no_edit():
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await press(pilot, "n", "e", "enter")
        assert not app.session.journal and not app.session.dirty
        assert not isinstance(app.screen, EditDialog)
        assert toasts(app) == ["L1.N1.w1 unchanged: it is 1"]
        await press(pilot, "e", "ctrl+a", "ctrl+k", *"1.0", "enter")  # the same number typed again
        assert not app.session.journal


# -- help and README, written from the bindings -----------------------------------------------------------
def test_every_binding_has_a_line_in_the_help_and_none_is_left_over():
    from neurodebug.tui.keymap import help_text, key_lines, key_names, sources

    text = help_text()
    lines = key_lines()
    assert "Other keys" not in [title for title, _ in lines]
    listed = {(title, key) for title, rows in lines for keys, _ in rows for key in keys}
    for scope, bindings in sources():
        for binding in bindings:
            assert binding.id or scope == "arrays", binding  # every binding of ours has an id
            for key in key_names(binding):
                assert any(k == key for _, k in listed), (scope, binding)
                assert key in text
    for title, rows in lines:
        assert title in text
        for _, what in rows:
            assert what and what.split()[0] in text


def test_the_help_knows_the_screens_the_apps_and_the_panes_keys():
    from neurodebug.tui.keymap import help_text

    text = help_text()
    for words in ("n  →  space", "q  ctrl+q  ctrl+c", "ctrl+p", "tab  shift+tab", "breakpoint on the cursor's neuron",
                  "go to the row's neuron", "select a weight, the bias or an input", "Stepping", "Inspecting",
                  "Editing", "In the Network pane"):
        assert words in text, words


def test_the_readme_key_table_is_the_bindings():
    from neurodebug.tui.keymap import key_table_markdown

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert key_table_markdown() in readme, "README's key table drifted: paste key_table_markdown() into it"


async def test_the_help_page_is_generated_from_the_bindings():
    from neurodebug.tui.keymap import help_text

    app = make_app()
    async with app.run_test(size=(120, 60)) as pilot:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, TextPage)
        shown = " ".join(screen_text(app).split())
        for line in help_text().splitlines()[:12]:
            assert " ".join(line.split()) in shown, line
