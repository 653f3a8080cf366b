"""The frame between the session and the panes, and the messages going up.

Panes draw from an immutable Frame the screen builds after each action;
they send Messages up (the selection, palette jumps) and never hold the
session.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
import subprocess
import sys
from dataclasses import FrozenInstanceError

import numpy as np
import pytest

from neurodebug import Session, load_network
from neurodebug.engine import ACTIVATE, BIAS, NORMALIZE, START, Layer, Network, Sample
from neurodebug.tui.dialogs import EditDialog
from neurodebug.tui.frame import Selection, build_frame, summary_lines
from neurodebug.tui.messages import JumpTo, PickSample, SelectionChanged
from neurodebug.tui.widgets.lines import LineList
from tui_helpers import SAMPLES, flagged_explanations, make_app, press, screen_text, settle, type_fast

SIZE = (100, 30)
NETWORKS = sorted(p.name for p in SAMPLES.glob("*.json"))


def sent(seen: list, kind: type) -> list:
    """The messages of ``kind`` (the hook sees one at each pump it bubbles through)."""
    return list({id(m): m for m in seen if isinstance(m, kind)}.values())


def softmax_network() -> Network:
    rng = np.random.default_rng(3)
    layers = [Layer("hidden", "relu", rng.normal(size=(3, 4)), rng.normal(size=4)),
              Layer("out", "softmax", rng.normal(size=(4, 3)), rng.normal(size=3))]
    samples = [Sample(f"s{i + 1}", rng.normal(size=3)) for i in range(2)]
    return Network(layers, samples)


# -- the frame, without a screen ------------------------------------------------------------
def test_a_frame_is_immutable_and_each_is_newer():
    s = Session(load_network(SAMPLES / "seed_example.json"))
    first = build_frame(s, Selection())
    with pytest.raises(FrozenInstanceError):
        first.version = 7  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        first.network.values.stamp = 7  # type: ignore[misc]
    with pytest.raises(ValueError):
        first.network.values.z[0][0] = 1.0  # a copy, read-only: an edit does not reach into a frame
    s.forward()
    second = build_frame(s, Selection(), first)
    assert second.version == first.version + 1
    assert second.epoch == first.epoch


def test_a_step_carries_over_what_it_does_not_change_and_an_edit_does_not():
    s = Session(load_network(SAMPLES / "seed_example.json"))
    before = build_frame(s, Selection())
    s.forward()
    stepped = build_frame(s, Selection(), before)
    assert stepped.network.values is before.network.values
    assert stepped.trace.lines is before.trace.lines
    assert (stepped.changes, stepped.journal, stepped.problems) == (before.changes, before.journal, before.problems)
    assert stepped.operation is not before.operation
    s.edit(Selection().target(), 0.17)
    edited = build_frame(s, Selection(), stepped)
    assert edited.network.values.stamp == edited.version
    assert edited.trace.lines.stamp == edited.version
    assert edited.changes.stamp == edited.journal.stamp == edited.version
    assert edited.changes.edit is not None and "0.17" in edited.changes.edit
    # From scratch (ctrl+l): every part new, and a new epoch for the text panes' line keys.
    fresh = build_frame(s, Selection(), edited, fresh=True)
    assert fresh.epoch == fresh.version == edited.version + 1
    assert fresh.network.values.stamp == fresh.trace.lines.stamp == fresh.problems.stamp == fresh.version


def test_the_journal_describes_each_edit_once(monkeypatch):
    # An edit never changes: the next frame's Journal describes only the new
    # ones (a long session's every edit would be described again after each).
    from neurodebug.engine.edits import Edit
    from neurodebug.tui.sections import journal_frame

    described: list[float] = []
    describe = Edit.describe
    monkeypatch.setattr(Edit, "describe", lambda self, net: (described.append(self.new), describe(self, net))[1])
    s = Session(load_network(SAMPLES / "seed_example.json"))
    journal = None
    for value in (0.1, 0.2, 0.3):
        s.edit(Selection().target(), value)
        described.clear()
        journal = journal_frame(s, 1, (), journal)
        assert described == [value]  # the new edit alone
    s.undo()
    described.clear()
    journal = journal_frame(s, 2, (), journal)
    assert described == [] and len(journal.edits) == 2 and "0.3" in journal.undone[0]
    fresh = journal_frame(s, 3, (), None)  # from scratch (ctrl+l): every one described again, the same
    assert described == [0.1, 0.2, 0.3] and (fresh.edits, fresh.undone) == (journal.edits, journal.undone)


@pytest.mark.parametrize("granularity", ["neuron", "layer"])
@pytest.mark.parametrize("make", [softmax_network, lambda: load_network(SAMPLES / "coffee_roasting.json")],
                         ids=["softmax", "normalising"])
def test_what_is_computed_is_the_sessions_done_at_every_step(make, granularity):
    """The frame says what is computed by the engine's rule (a softmax layer
    activates in one step): no pane decides it."""
    s = Session(make(), granularity=granularity)
    frame = None
    for cursor in range(START, len(s.plan)):
        s.goto(cursor)
        frame = build_frame(s, Selection(), frame)
        net = frame.network
        assert net.x_done == s.done(-1, None, NORMALIZE)
        for l, layer in enumerate(s.network.layers):
            for j in range(layer.units):
                assert net.z_done[l][j] == s.done(l, j, BIAS), (cursor, l, j)
                assert net.a_done[l][j] == s.done(l, j, ACTIVATE), (cursor, l, j)
        for _, _, done in frame.arrays.vectors[1].entries:
            assert isinstance(done, bool)


def test_the_why_block_is_the_z_line_and_the_findings():
    """summary_lines reads the Explanation by its structure; on every sample
    network it gives what the screen showed before (every line after the
    first that is not indented)."""
    checked = 0
    for name, row, l, j, e in flagged_explanations():
        assert summary_lines(e) == tuple(line for line in e.lines[1:] if not line.startswith("  ")), (name, row, l, j)
        checked += 1
    assert checked > 20


def test_the_frame_loads_no_ui():
    code = ("import json, sys; import neurodebug.tui.frame, neurodebug.tui.sections, neurodebug.tui.network_section; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_selection_walks_weights_bias_then_inputs():
    w1 = Selection("weight", 0, 0, 0)
    assert w1.moved(1, 2, 2) == Selection("weight", 0, 0, 1)
    assert w1.moved(2, 2, 2) == Selection("bias", 0, 0, 0)
    assert w1.moved(3, 2, 2) == Selection("input", 0, 0, 0)
    assert w1.moved(100, 2, 2) == Selection("input", 0, 0, 1)
    assert w1.moved(-5, 2, 2) == w1
    assert Selection("weight", 0, 0, 9).moved(1, 2, 2) == Selection("weight", 0, 0, 1)  # not in the list: from the top
    assert Selection("input", 1, 0, 1).target().label() == "x2"
    assert Selection("bias", 1, 2, 0).target().label() == "L2.N3.b"


# -- the screen ---------------------------------------------------------------------------------
async def test_panes_draw_from_the_frame_not_the_session():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")
        screen = app.screen
        assert len(screen.query(LineList)) == 4  # Network, Operation, Arrays, Trace: a view mounts when first shown
        await press(pilot, "2", "3", "4", "5", "6", "1", "n")
        panes = list(screen.query(LineList))
        assert len(panes) == 9  # Network, Operation, Arrays and the six views
        for pane in panes:
            assert not hasattr(pane, "session"), pane.id
            assert pane.frame is screen.frame, pane.id
        version = screen.frame.version
        await press(pilot, "n")
        assert screen.frame.version > version


async def test_arrow_keys_send_the_selection_up():
    seen = []
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await press(pilot, "n", "a", "down")
        messages = sent(seen, SelectionChanged)
        assert [m.selection.target().label() for m in messages] == ["L1.N1.w2"]
        assert app.screen.selection == messages[0].selection == app.screen.frame.selection
        assert "selected: L1.N1.w2" in screen_text(app)
        await press(pilot, "n")  # the cursor moves: the selection follows it
        assert app.screen.selection.target().label() == "L1.N1.b"


async def test_arrow_keys_typed_faster_than_the_screen_redraws_are_not_lost():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "a")
        await type_fast(pilot, ["down", "down", "down"])  # w1 → w2 → b → x1
        assert app.screen.selection.target().label() == "x1"
        await type_fast(pilot, ["up"] * 10)
        assert app.screen.selection.target().label() == "L1.N1.w1"
        await type_fast(pilot, ["down", "down", "e"])  # e edits what the keys before it selected
        assert isinstance(app.screen, EditDialog)
        assert "L1.N1.b" in screen_text(app)


async def test_the_palette_moves_the_debugger_with_messages():
    seen = []
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await press(pilot, "ctrl+p", *"L1.N3")
        await settle(pilot)
        await press(pilot, "enter")
        assert [(m.layer, m.neuron) for m in sent(seen, JumpTo)] == [(0, 2)]
        await press(pilot, "ctrl+p", *"Sample 2")
        await settle(pilot)
        await press(pilot, "enter")
        assert [m.index for m in sent(seen, PickSample)] == [1]
        assert app.session.sample_index == 1
        assert 'sample 2/8 "city roast"' in screen_text(app)


async def _edit_and_watch(monkeypatch, inline_s: float) -> list:
    """An edit made with the report's time limit ``inline_s``: what happens
    in order, paints and the report (whether the screen said "checking…" then)."""
    from neurodebug.engine import Target
    from neurodebug.engine.edits import WEIGHT
    from neurodebug.tui import debugger

    monkeypatch.setattr(debugger, "HEALTH_INLINE_S", inline_s)
    app = make_app("coffee_roasting.json")
    events: list = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        paint, report = screen._compositor_refresh, screen._start_health
        monkeypatch.setattr(screen, "_compositor_refresh", lambda: (events.append("paint"), paint())[1])
        monkeypatch.setattr(screen, "_start_health",
                            lambda: (events.append(("report", "checking…" in screen_text(app))), report())[1])
        await settle(pilot)
        events.clear()
        app.session.edit(Target(WEIGHT, 0, 0, 0), -7.5)
        screen.after_edit()
        # Textual's own timing, not settle's (which paints whenever anything is pending):
        for _ in range(100_000):
            if not app.session.health_pending and events and events[-1] == "paint":
                break
            await asyncio.sleep(0.001)
        await settle(pilot)
        assert "checking…" not in screen_text(app)
        assert not app.session.health_pending
    return events


async def test_a_slow_health_report_comes_a_frame_after_the_edits_values(monkeypatch):
    events = await _edit_and_watch(monkeypatch, inline_s=-1.0)  # every report is slow
    assert ("report", True) in events
    assert "paint" in events[: events.index(("report", True))]  # the values were painted first
    assert "paint" in events[events.index(("report", True)):]  # and the report after


class HeldHealthJobs:
    """Each health job of ``session`` waits for its gate (``release``) before
    computing; ``release_all`` opens every gate (a test that fails must, or a
    worker left waiting keeps the app from closing)."""

    def __init__(self, monkeypatch, session) -> None:
        import threading

        self.gates: list[threading.Event] = []
        job = session.health_job

        def held_job():
            compute, gate = job(), threading.Event()
            self.gates.append(gate)
            return lambda: (gate.wait(60), compute())[1]

        monkeypatch.setattr(session, "health_job", held_job)

    def release_all(self) -> None:
        for gate in self.gates:
            gate.set()


async def until(pilot, condition) -> None:
    """Until ``condition()``, a turn of the app's loop at a time (``settle``
    would wait for a held worker): a broken screen fails in seconds."""
    for _ in range(2_000):
        if condition():
            return
        await pilot.pause()
    raise AssertionError("never happened")


@asynccontextmanager
async def first_screen_checking(monkeypatch, name: str):
    """The app on sample ``name`` read as a big network, on its first
    screen while its first report is held ("checking…"): (app, pilot,
    held jobs), every job released at the end."""
    from neurodebug.tui import debugger

    monkeypatch.setattr(debugger, "FIRST_REPORT_LATER_PARAMS", 0)  # every network is big
    app = make_app(name)
    held = HeldHealthJobs(monkeypatch, app.session)
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await until(pilot, lambda: len(held.gates) == 1 and "checking…" in screen_text(app))
            yield app, pilot, held
        finally:
            held.release_all()


def assert_report_of_the_values_now(s) -> None:
    from neurodebug.engine.health import check_health

    expected = check_health(s.trace, s.settings, s.loss)
    assert [f.message for f in s.health().findings] == [f.message for f in expected.findings]


async def test_a_slow_health_report_is_computed_in_a_thread_and_keys_go_on_meanwhile(monkeypatch):
    # A big network's report takes longer than a frame: the edit's values are
    # drawn with "checking…", a worker thread computes the report, keys are
    # handled meanwhile, one report is computed at a time, a report of values
    # edited since is dropped (and that of the values now computed next), and
    # the report of the values on screen replaces "checking…".
    from neurodebug.engine import Target
    from neurodebug.engine.edits import WEIGHT
    from neurodebug.tui import debugger

    monkeypatch.setattr(debugger, "HEALTH_INLINE_S", -1.0)  # every report is slow
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        s, screen = app.session, app.screen
        await settle(pilot)
        held = HeldHealthJobs(monkeypatch, s)
        gates = held.gates
        taken: list[bool] = []
        take = s.take_health
        monkeypatch.setattr(s, "take_health", lambda computed: (taken.append(take(computed)), taken[-1])[1])
        asked: list[int] = []  # the values_version of each call of _start_health
        start = screen._start_health
        monkeypatch.setattr(screen, "_start_health", lambda: (asked.append(s.values_version), start())[1])

        try:
            weight = Target(WEIGHT, 0, 0, 0)
            s.edit(weight, -7.5)
            screen.after_edit()
            await until(pilot, lambda: len(gates) == 1 and "checking…" in screen_text(app))
            first = s.values_version
            cursor = s.cursor
            await pilot.press("n")
            await until(pilot, lambda: s.cursor == cursor + 1)
            assert "checking…" in screen_text(app) and s.health_pending
            s.edit(weight, 3.25)  # a second edit while the first report is being computed
            screen.after_edit()
            await until(pilot, lambda: asked[-1:] == [s.values_version])
            assert len(gates) == 1 and "checking…" in screen_text(app)  # one report at a time
            gates[0].set()  # the first report arrives: it is of values since edited, and is dropped
            await until(pilot, lambda: taken == [False] and len(gates) == 2)  # then that of the values now starts
            await pilot.pause()
            assert s.health_pending and s.values_version == first + 1 and "checking…" in screen_text(app)
            gates[1].set()
            await until(pilot, lambda: taken == [False, True])
            await settle(pilot)
            assert "checking…" not in screen_text(app)
            assert_report_of_the_values_now(s)
        finally:
            held.release_all()
        assert not any(w.is_running for w in app.workers)


async def test_a_big_networks_first_screen_comes_before_its_health_report(monkeypatch):
    # A first report slower than a frame (a big network's) follows the first
    # screen from a worker thread, as an edit's does: the screen says
    # "checking…" and takes keys meanwhile, then shows the report of its values.
    async with first_screen_checking(monkeypatch, "coffee_roasting.json") as (app, pilot, held):
        s = app.session
        assert s.health_pending and "Ready." in screen_text(app)  # the first screen, complete but its report
        cursor = s.cursor
        await pilot.press("n")
        await until(pilot, lambda: s.cursor == cursor + 1)
        assert "checking…" in screen_text(app) and len(held.gates) == 1
        held.gates[0].set()
        await until(pilot, lambda: not s.health_pending)
        await settle(pilot)
        assert "checking…" not in screen_text(app)
        assert_report_of_the_values_now(s)
        assert s.health_s is not None  # timed: the next report's way is the rule of edits


async def test_f_while_the_report_is_computed_answers_when_it_comes(monkeypatch):
    # f needs the report: while a worker computes it, the presses wait for
    # it (the report is not computed a second time on the event loop), then
    # each goes to the next failing neuron as it would have.
    async with first_screen_checking(monkeypatch, "coffee_unnormalized.json") as (app, pilot, held):
        s = app.session
        cursor = s.cursor
        await pilot.press("f", "f")
        await pilot.pause()
        assert s.health_pending and s.cursor == cursor  # not computed here, no move yet
        held.gates[0].set()
        await until(pilot, lambda: not s.health_pending and s.cursor != cursor)
        await settle(pilot)
        failing = s.health().failing_neurons(s.sample_index)
        first = min(j for l, j in failing if l == 0)
        assert (s.step.layer, s.step.neuron) == (0, first + 1)  # the second failing neuron: two f presses
        assert (0, first + 1) in failing


async def test_a_small_networks_first_screen_comes_with_its_health_report(monkeypatch):
    from neurodebug.tui import debugger

    started: list[int] = []
    monkeypatch.setattr(debugger.DebuggerScreen, "_in_thread",
                        lambda self, work, job, group, exit_on_error=True: started.append(group))
    app = make_app("coffee_roasting.json")
    assert app.session.health_s is None  # no report computed yet
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not app.session.health_pending and "health" not in started
        assert "checking…" not in screen_text(app)


def test_the_first_report_comes_later_from_a_million_parameters_on(monkeypatch):
    from neurodebug.tui import debugger

    session = Session(load_network(SAMPLES / "coffee_roasting.json"))
    params = session.network.param_count
    monkeypatch.setattr(debugger, "FIRST_REPORT_LATER_PARAMS", params + 1)
    assert not debugger.report_later(session)
    monkeypatch.setattr(debugger, "FIRST_REPORT_LATER_PARAMS", params)
    assert debugger.report_later(session)
    session.health()  # once a report is timed, its time decides
    assert session.health_s is not None
    assert debugger.report_later(session) == (session.health_s > debugger.HEALTH_INLINE_S)


async def test_the_screen_is_resumed_once_each_time_it_comes_back_on_top(monkeypatch):
    # Textual calls the resume handler of every class of the screen: the
    # debugger's must not call Screen's again (two relayouts and repaints),
    # and the first time it skips restyling nodes styled a moment before.
    from textual.screen import Screen

    resumed: list[tuple[str, bool]] = []
    handler = Screen._on_screen_resume

    def counted(self, event):
        resumed.append((type(self).__name__, event.refresh_styles))
        return handler(self, event)

    monkeypatch.setattr(Screen, "_on_screen_resume", counted)
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert [r for r in resumed if r[0] == "DebuggerScreen"] == [("DebuggerScreen", False)]
        resumed.clear()
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert [r[0] for r in resumed] == ["EditDialog", "DebuggerScreen"]


async def test_a_quick_health_report_comes_with_the_edits_values(monkeypatch):
    events = await _edit_and_watch(monkeypatch, inline_s=60.0)
    assert not any(isinstance(e, tuple) for e in events) and "paint" in events


async def test_an_edit_redraws_the_network_rows_whose_numbers_changed_and_no_others(tmp_path):
    # A neuron's row is keyed on its own z and a: an edit of L1.N1.w1 at the
    # first step changes L1.N1's z and nothing else computed yet, so the
    # rows of the neurons not yet computed (and the inputs) stay as drawn.
    from neurodebug.engine import Target
    from neurodebug.engine.edits import WEIGHT
    from neurodebug.io import write_json_network
    from neurodebug.tui.widgets.network_pane import NetworkPane
    from tui_helpers import pane_text

    rng = np.random.default_rng(5)
    net = Network([Layer("h", "relu", rng.normal(size=(4, 24)), rng.normal(size=24)),
                   Layer("out", "sigmoid", rng.normal(size=(24, 2)), rng.normal(size=2))],
                  [Sample("s1", rng.normal(size=4))])
    path = write_json_network(net, tmp_path / "wide.json")
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "n")  # step 1: L1.N1's dot product
        screen, pane = app.screen, app.screen.query_one(NetworkPane)
        drawn: list[int] = []
        draw = pane.draw_line
        pane.draw_line = lambda index, width, style: (drawn.append(index), draw(index, width, style))[1]
        # The first edit adds L1.N1's "was" row, the second the outputs' (the
        # edit changed them too, though they are not computed yet at this step):
        # rows move down. The third keeps every row where it was.
        for value in (-3.0, 2.0, 0.5):
            before = pane_text(app, pane)
            drawn.clear()
            app.session.edit(Target(WEIGHT, 0, 0, 0), value)
            screen.after_edit()
            await settle(pilot)
            after = pane_text(app, pane)
            assert len(before) == len(after)
            changed = {int(pane.scroll_y) + y for y, (a, b) in enumerate(zip(before, after)) if a != b}
            assert changed, "the edit shows in the Network pane"
            assert changed <= set(drawn)
            if value == 0.5:
                assert set(drawn) == changed, f"rows drawn again though they read the same: {sorted(set(drawn) - changed)}"
        assert pane.stale_lines() == []
