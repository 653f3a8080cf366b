"""Moving around like a debugger: the Network pane's neuron cursor, the row
cursors of Problems and Changes, clicks, focus, and the command palette's
order. Driven through Pilot, checked on the session and on the screen."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import ContentSwitcher

from neurodebug import Session, load_network
from neurodebug.engine import START
from neurodebug.tui.app import NeurodebugApp
from neurodebug.tui.entries import finding_at
from neurodebug.tui.messages import JumpTo, OpenEntry, ToggleBreakpoint
from neurodebug.tui.widgets.network_pane import NetworkPane
from neurodebug.tui.widgets.tabs import TabBar
from neurodebug.tui.widgets.views import ChangesView, ProblemsView
from tui_helpers import assert_nothing_stale, make_app, pane_text, press, screen_text, settle, type_fast

SIZE = (100, 30)
WIDE = (120, 40)


def focused(app) -> str | None:
    return app.focused.id if app.focused is not None else None


def network(app) -> NetworkPane:
    return app.screen.query_one(NetworkPane)


def reversed_rows(app, widget) -> list[int]:
    """The rows of ``widget``'s content (0 = its first visible line) drawn in reverse video."""
    region = widget.scrollable_content_region  # not the scrollbar's thumb
    out = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        if not region.y <= y < region.bottom:
            continue
        x = 0
        for segment in strip:
            end = x + len(segment.text)
            if end > region.x and x < region.right and segment.style is not None and segment.style.reverse:
                out.append(y - region.y)
                break
            x = end
    return out


def sent(seen, kind):
    """The messages of ``kind`` (the hook sees one at each pump it bubbles through)."""
    return list({id(m): m for m in seen if isinstance(m, kind)}.values())


def wide_network(tmp_path: Path, units: int = 40) -> NeurodebugApp:
    """A network whose hidden layer does not fit in the Network pane."""
    doc = {
        "format": "neurodebug-network", "version": 1, "name": "wide",
        "layers": [
            {"name": "hidden", "activation": "relu", "W": [[0.1 * (j + 1) for j in range(units)], [1.0] * units],
             "b": [0.0] * units},
            {"name": "out", "activation": "sigmoid", "W": [[0.01]] * units, "b": [0.0]},
        ],
        "samples": [{"name": "one", "x": [1, 2]}],
    }
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(doc))
    app = NeurodebugApp(Session(load_network(path)), path=Path(path.name))
    app.animation_level = "none"
    return app


# -- focus ------------------------------------------------------------------------------------
async def test_focus_starts_on_the_network_pane_with_its_cursor_on_the_first_neuron():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = network(app)
        assert focused(app) == "network"
        assert pane.cursor == (0, 0)
        assert reversed_rows(app, pane) == [pane.cursor_row - int(pane.scroll_y)]
        assert "too cold" in pane_text(app, pane)[pane.cursor_row]


async def test_one_tab_reaches_the_arrays_pane_and_a_does_too():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=WIDE) as pilot:
        await press(pilot, "tab")
        assert focused(app) == "arrays"
        seen = []
        for _ in range(6):
            await press(pilot, "tab")
            seen.append(focused(app))
        assert seen.index("operation") > seen.index("trace-pane")  # the views before the Operation pane
        assert "network" in seen
        await press(pilot, "g", "a")
        assert focused(app) == "arrays"
        await press(pilot, "shift+tab")
        assert focused(app) == "network"


async def test_one_tab_reaches_the_arrays_pane_when_narrow():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "n", "n", "tab")  # the first neuron's dot product: w1 selected
        assert focused(app) == "arrays"
        await press(pilot, "down")
        assert app.screen.selection.target().label() == "L1.N1.w2"


# -- the Network pane's cursor --------------------------------------------------------------------
async def test_the_cursor_follows_the_step():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE) as pilot:
        pane = network(app)
        await press(pilot, "N")  # the normalisation: no neuron yet
        assert pane.cursor == (0, 0)
        await press(pilot, "N", "N")
        assert pane.cursor == (0, 1)
        await press(pilot, "L")
        assert pane.cursor == (0, 2)
        await press(pilot, "v")  # per layer: the step is the layer, and so is the cursor
        assert pane.cursor == (0, None)
        assert "L1 layer1" in pane_text(app, pane)[pane.cursor_row]


async def test_up_and_down_walk_the_neurons_skipping_other_rows_and_enter_goes_there():
    seen = []
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        pane = network(app)
        await press(pilot, "down", "down", "down")
        assert pane.cursor == (1, 0)  # past layer 2's header
        assert app.session.cursor == START  # moving the cursor does not step
        await press(pilot, "down")
        assert pane.cursor == (1, 0)  # the last neuron stays the last
        await press(pilot, "up")
        assert pane.cursor == (0, 2)
        lines = pane_text(app, pane)
        assert reversed_rows(app, pane) == [pane.cursor_row - int(pane.scroll_y)]
        assert "burnt" in lines[pane.cursor_row]
        await press(pilot, "enter")
        assert [(m.layer, m.neuron) for m in sent(seen, JumpTo)] == [(0, 2)]
        step = app.session.step
        assert (step.layer, step.neuron, step.kind) == (0, 2, "dot")
        assert "burnt" in screen_text(app)
        await press(pilot, "up", "up", "up", "up")
        assert pane.cursor == (0, 0)


async def test_the_cursor_shows_only_while_the_pane_has_focus():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE) as pilot:
        pane = network(app)
        await press(pilot, "down")
        assert reversed_rows(app, pane) == [pane.cursor_row]
        await press(pilot, "tab")
        assert reversed_rows(app, pane) == []
        await press(pilot, "shift+tab")
        assert reversed_rows(app, pane) == [pane.cursor_row]


async def test_the_cursor_scrolls_to_stay_visible_and_pages(tmp_path):
    app = wide_network(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = network(app)
        height = pane.scrollable_content_region.height
        assert pane.line_count > height
        for _ in range(30):
            await press(pilot, "down")
        assert pane.cursor == (0, 30)
        top = int(pane.scroll_y)
        assert top <= pane.cursor_row < top + height
        assert reversed_rows(app, pane) == [pane.cursor_row - top]
        assert "n31" in pane_text(app, pane)[pane.cursor_row - top]
        await press(pilot, "pageup")
        assert pane.cursor == (0, 30 - (height - 1))
        assert int(pane.scroll_y) <= pane.cursor_row < int(pane.scroll_y) + height
        await press(pilot, "pagedown", "pagedown", "pagedown")
        assert pane.cursor == (1, 0)
        await press(pilot, "enter")
        assert (app.session.step.layer, app.session.step.neuron) == (1, 0)
        # a new frame (a step) keeps the cursor's row on screen, then the cursor follows the step
        await press(pilot, "g")
        assert pane.cursor == (0, 0)


async def test_home_and_end_stay_the_debuggers_in_the_network_pane(tmp_path):
    app = wide_network(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert focused(app) == "network"
        await press(pilot, "end")
        assert app.session.at_end
        await press(pilot, "home")
        assert app.session.cursor == START


async def test_b_in_the_network_pane_toggles_the_cursors_neuron_and_elsewhere_the_steps():
    seen = []
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await press(pilot, "N", "N", "down", "down")  # the step on neuron 1 (after the normalisation), the cursor on neuron 3
        await press(pilot, "b")
        assert app.session.breakpoints == {(0, 2)}
        assert [(m.layer, m.neuron) for m in sent(seen, ToggleBreakpoint)] == [(0, 2)]
        assert app.session.step.neuron == 0  # no step taken
        toast = [n.message for n in app._notifications][-1]
        assert "burnt" in toast and "set" in toast
        pane = network(app)
        assert "●" in pane_text(app, pane)[pane.cursor_row]
        await press(pilot, "b")
        assert app.session.breakpoints == set()
        await press(pilot, "a", "b")  # the Arrays pane has focus: b is the step's
        assert app.session.breakpoints == {(0, 0)}


async def test_b_on_a_layer_row_in_per_layer_mode_breaks_on_the_layer():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "v", "n", "n")
        assert network(app).cursor == (0, None)
        await press(pilot, "b")
        assert app.session.breakpoints == {(0, None)}


async def test_clicking_a_neuron_moves_the_cursor_there_and_goes_to_it():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE) as pilot:
        pane = network(app)
        row = pane.frame.network.values.rows.row_of(0, 1)
        await press(pilot, "tab")  # a click gives the focus back
        await pilot.click(pane, offset=(6, 1 + row))
        await settle(pilot)
        assert focused(app) == "network"
        assert pane.cursor == (0, 1)
        step = app.session.step
        assert (step.layer, step.neuron, step.kind) == (0, 1, "dot")
        assert reversed_rows(app, pane) == [row]
        # a layer's header: the layer's first step
        await pilot.click(pane, offset=(6, 1 + pane.frame.network.values.rows.row_of(1, None)))
        await settle(pilot)
        assert (app.session.step.layer, app.session.step.neuron) == (1, 0)
        # an input's row goes nowhere
        await pilot.click(pane, offset=(6, 2))
        await settle(pilot)
        assert (app.session.step.layer, app.session.step.neuron) == (1, 0)


# -- Problems and Changes ---------------------------------------------------------------------------------
async def test_enter_on_a_problem_goes_to_its_neuron():
    seen = []
    app = make_app("coffee_unnormalized.json")
    async with app.run_test(size=WIDE, message_hook=seen.append) as pilot:
        await press(pilot, "4")
        view = app.screen.query_one(ProblemsView)
        assert focused(app) == "problems-view"
        assert view.cursor == ("mine", 0)
        await press(pilot, "down", "down")
        assert view.cursor == ("mine", 2)
        finding = finding_at(app.session, "mine", 2)
        first, last = next((first, last) for e, first, last in view.entries() if e == ("mine", 2))
        top = int(view.scroll_y)
        assert reversed_rows(app, view) == [y - top for y in range(first, last + 1) if 0 <= y - top]
        assert "burnt" in " ".join(pane_text(app, view)[first - top:last - top + 1])
        await press(pilot, "enter")
        assert [(m.view, m.section, m.index) for m in sent(seen, OpenEntry)] == [("problems", "mine", 2)]
        step = app.session.step
        assert (step.layer, step.neuron, step.kind) == (finding.layer, finding.neuron, "activate")  # z and a computed
        assert app.session.sample_index == 0
        assert "burnt" in screen_text(app)
        await press(pilot, "up", "up", "up")
        assert view.cursor == ("mine", 0)


async def test_keys_typed_before_a_narrow_view_is_laid_out_are_not_lost():
    """4 ↓ ↓ Enter typed at once at 80×24: the view was hidden, it has no rows
    until the screen lays it out; the keys wait for them."""
    app = make_app("coffee_unnormalized.json")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_fast(pilot, ["4", "down", "down", "enter"])
        finding = finding_at(app.session, "mine", 2)
        step = app.session.step
        assert step is not None and (step.layer, step.neuron) == (finding.layer, finding.neuron)
        assert app.screen.query_one(ProblemsView).cursor == ("mine", 2)


async def test_a_problem_of_another_sample_is_shown_in_its_sample():
    app = make_app("nan_overflow.json")
    async with app.run_test(size=WIDE) as pilot:
        await press(pilot, "4")
        view = app.screen.query_one(ProblemsView)
        assert view.cursor == ("others", 0)
        finding = finding_at(app.session, "others", 0)
        await press(pilot, "enter")
        s = app.session
        assert s.sample_index == finding.row == 2
        assert (s.step.layer, s.step.neuron) == (finding.layer, finding.neuron)
        assert 'sample 3/3 "spike"' in screen_text(app)
        assert any('"spike"' in n.message for n in app._notifications)
        # the list is now this sample's: the cursor found its row again
        assert view.cursor[0] == "mine"
        assert finding_at(s, *view.cursor).message == finding.message


async def test_clicking_a_problem_goes_to_its_neuron():
    app = make_app("coffee_unnormalized.json")
    async with app.run_test(size=WIDE) as pilot:
        await press(pilot, "4")
        view = app.screen.query_one(ProblemsView)
        # neuron 1's two findings (saturated, cannot learn), then neuron 2's
        first, last = next((first, last) for e, first, last in view.entries() if e == ("mine", 2))
        view.scroll_to(y=first, animate=False)
        await press(pilot, "tab")  # a click gives the focus back
        await settle(pilot)
        top = int(view.scroll_y)
        assert "too short" in " ".join(" ".join(pane_text(app, view)[first - top:last - top + 1]).split())
        inside = view.content_region.y - view.region.y
        await pilot.click(view, offset=(4, inside + first - top))
        await settle(pilot)
        assert focused(app) == "problems-view"
        assert view.cursor == ("mine", 2)
        assert (app.session.step.layer, app.session.step.neuron) == (0, 1)


async def test_enter_on_a_change_goes_to_the_neuron_it_changed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await press(pilot, "n", "e", "ctrl+a", "ctrl+k", *"0.17", "enter")
        await press(pilot, "2")
        view = app.screen.query_one(ChangesView)
        assert focused(app) == "changes-view"
        assert view.cursor == ("edit", 0)
        await press(pilot, "enter")
        assert (app.session.step.layer, app.session.step.neuron) == (0, 0)  # the edited neuron
        listed = [e for e, _, _ in view.entries()]
        last = listed[-1]
        assert last[0] == "changed"
        change = app.screen.frame.changes.changed[last[1]]
        await press(pilot, *["down"] * len(listed))
        assert view.cursor == last
        await press(pilot, "enter")
        step = app.session.step
        assert (step.layer, step.neuron, step.kind) == (change.layer, change.neuron, "activate")
        # a click on the output's row: the output layer in that sample
        outputs = next(first for e, first, _ in view.entries() if e[0] == "outputs")
        await press(pilot, "g")
        view.scroll_to(y=outputs, animate=False)
        await settle(pilot)
        inside = view.content_region.y - view.region.y
        await pilot.click(view, offset=(4, inside + outputs - int(view.scroll_y)))
        await settle(pilot)
        assert view.cursor == ("outputs", 0)
        assert app.session.step.layer == 1 and app.session.at_end


async def _click_tab(pilot, name: str) -> None:
    bar = pilot.app.screen.query_one(TabBar)
    start, end = bar.spans()[name]
    await pilot.click(bar, offset=(start + (end - start) // 2, 0))
    await settle(pilot)


async def test_the_tabs_are_clickable():
    app = make_app("coffee_unnormalized.json")
    async with app.run_test(size=WIDE) as pilot:
        views = app.screen.query_one("#views")
        for tab in ("problems", "journal", "changes", "trace", "code"):  # (Samples: past the edge at 120 columns)
            await _click_tab(pilot, tab)
            assert views.active == tab
            assert views.query_one(ContentSwitcher).visible_content.id.startswith(tab)
        await _click_tab(pilot, "problems")
        assert "saturated" in screen_text(app)


async def test_the_tab_bar_marks_the_view_shown_and_keeps_it_in_sight():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=WIDE) as pilot:
        bar = app.screen.query_one(TabBar)
        names, rule = pane_text(app, bar)[:2]
        assert names.startswith(" Trace Changes Journal Problems Code S")  # one cell before each name
        start, end = bar.spans()["trace"]
        assert names[start:end] == "Trace"
        assert rule[start - 1] == "╸" and rule[end] == "╺"  # the mark under the shown name, as Textual drew it
        await press(pilot, "6")  # Samples: the last name, past the column's edge at first
        names, rule = pane_text(app, bar)[:2]
        start, end = bar.spans()["samples"]
        assert names[start:end] == "Samples" and end <= bar.size.width
        assert rule[start - 1] == "╸" and set(rule[start:end]) == {"━"}


async def test_the_tab_bar_takes_no_focus_and_tab_goes_from_the_arrays_to_the_view():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=WIDE) as pilot:
        assert app.screen.query_one(TabBar) not in app.screen.focus_chain
        await press(pilot, "tab", "tab")
        assert focused(app) == "trace-pane"


# -- the command palette ----------------------------------------------------------------------------------
async def test_the_palette_lists_our_commands_before_textuals():
    from textual.command import CommandList

    app = make_app("coffee_roasting.json")
    async with app.run_test(size=WIDE) as pilot:
        await press(pilot, "ctrl+p")
        await settle(pilot)
        options = app.screen.query_one(CommandList)
        shown = [str(options.get_option_at_index(i).prompt).split("\n")[0] for i in range(options.option_count)]
        ours = [k for k, text in enumerate(shown) if text.startswith(("Go to", "Sample"))]
        textuals = [k for k, text in enumerate(shown) if text in ("Theme", "Quit", "Keys", "Screenshot")]
        assert len(textuals) == 4 and ours
        assert max(ours) < min(textuals), shown
        assert shown.count("Quit") == 1  # the app's provider of them stands aside here



async def test_a_shorter_terminal_keeps_the_current_neuron_in_the_network_pane(tmp_path):
    app = wide_network(tmp_path, units=80)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.screen.query_one(NetworkPane)
        for _ in range(70):  # neuron 70 of the hidden layer, centred in a tall pane
            await press(pilot, "N")
        assert any(line.lstrip().startswith("n70 ") for line in pane_text(app, pane))
        await pilot.resize_terminal(80, 20)
        await settle(pilot)
        assert any(line.lstrip().startswith("n70 ") for line in pane_text(app, pane)), pane_text(app, pane)
        await press(pilot, "up", "up")  # the cursor, moved by hand, is what stays
        await pilot.resize_terminal(70, 16)
        await settle(pilot)
        assert any(line.lstrip().startswith("n68 ") for line in pane_text(app, pane)), pane_text(app, pane)


async def test_the_trace_keeps_its_newest_step_in_view_when_the_focus_border_takes_two_rows():
    """The focus border narrows a view by two rows without a Resize: a trace
    that filled the pane exactly must scroll to keep its newest step shown."""
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "1")  # the narrow layout shows the Trace in place of the Arrays pane
        trace = app.screen.query_one("#trace-pane")
        while trace.line_count < trace.size.height:
            await press(pilot, "n")
        assert int(trace.scroll_y) == 0  # it fits: nothing scrolled
        app.screen.set_focus(trace)
        await settle(pilot)
        assert trace.size.height < trace.line_count  # the border took its rows
        assert int(trace.scroll_y) + trace.size.height == trace.line_count  # the newest step on its last row
        await assert_nothing_stale(pilot, "focus on the Trace")
        app.screen.set_focus(app.screen.query_one(NetworkPane))
        await settle(pilot)
        assert int(trace.scroll_y) == 0
        await assert_nothing_stale(pilot, "focus back on the Network pane")


async def test_a_trace_scrolled_back_by_the_user_stays_there_until_the_trace_changes():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=WIDE) as pilot:
        trace = app.screen.query_one("#trace-pane")
        await press(pilot, "G")
        newest = trace.line_count - 1
        assert int(trace.scroll_y) + trace.size.height > newest  # the newest step shown
        app.screen.set_focus(trace)
        await press(pilot, "pageup", "pageup")
        top = int(trace.scroll_y)
        assert top + trace.size.height <= newest  # scrolled back past it
        await press(pilot, "ctrl+l")  # a redraw keeps what the user scrolled to
        assert int(trace.scroll_y) == top
        await press(pilot, "p")  # a step back: the trace changed, its newest step is shown again
        assert int(trace.scroll_y) + trace.size.height >= trace.line_count == newest
