"""The debugger on a dataset read a row at a time, and the Samples view, as a
user drives them: the first screen, [ and ], the palette's jump to a row, the
background scan and its lists, Enter on a listed sample, an edit that starts
the scan again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurodebug.engine import Session
from neurodebug.engine.edits import WEIGHT, Target
from neurodebug.engine.network import Layer, Network
from neurodebug.engine.samples import Samples
from neurodebug.io.input_rows import open_rows
from neurodebug.tui import debugger
from neurodebug.tui.app import NeurodebugApp
from neurodebug.tui.debugger import DebuggerScreen

from tui_helpers import press, screen_text, settle

ROWS = 20_000


def _network() -> Network:
    rng = np.random.default_rng(2)
    return Network([Layer("h", "tanh", rng.normal(0, 0.6, (4, 6)), np.zeros(6)),
                    Layer("out", "softmax", rng.normal(0, 1.5, (6, 3)), np.zeros(3))])


@pytest.fixture
def rows_file(tmp_path: Path) -> Path:
    x = np.random.default_rng(4).normal(0, 1, (ROWS, 4)).astype(np.float32)
    x[12_345] = 40.0  # a row that stands out: saturates the tanh layer
    path = tmp_path / "rows.npy"
    np.save(path, x)
    return path


def _app(rows_file: Path, labelled: bool = False) -> NeurodebugApp:
    net = _network()
    if labelled:
        x = np.load(rows_file, allow_pickle=False)
        from neurodebug.engine.rows import SamplesRows
        from neurodebug.engine.trace import trace_of

        labels = np.argmax(trace_of(net, x.astype(np.float64)).outputs, axis=1)
        labels[[7, 19_000]] = (labels[[7, 19_000]] + 1) % 3  # two rows the network gets wrong
        rows = SamplesRows(Samples(x, labels, prefix="row"), "rows.csv")
    else:
        rows, _ = open_rows(rows_file, net)
    app = NeurodebugApp(Session(net, rows=rows), path=Path("net.json"))
    app.animation_level = "none"
    return app


def _screen(app: NeurodebugApp) -> DebuggerScreen:
    screen = app.screen
    assert isinstance(screen, DebuggerScreen)
    return screen


async def test_the_first_screen_shows_row_1_of_all_of_them_and_brackets_move_a_row(rows_file: Path) -> None:
    app = _app(rows_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert 'sample 1/20,000 "row 1"' in screen_text(app)
        await press(pilot, "[")
        s = _screen(app).session
        assert s.row == ROWS - 1 and 'sample 20,000/20,000 "row 20000"' in screen_text(app)
        await press(pilot, "]", "]", "n", "n")
        assert s.row == 1 and len(s.samples) == 1
        x = np.load(rows_file, allow_pickle=False)[1].astype(np.float64)
        np.testing.assert_allclose(s.sample_trace.x, x)


async def test_the_palette_goes_to_a_row_by_its_number(rows_file: Path) -> None:
    app = _app(rows_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", *"12,346")
        assert "Sample 12,346" in screen_text(app)
        await press(pilot, "enter")
        s = _screen(app).session
        assert s.row == 12_345 and s.sample.name == "row 12346"


async def test_the_scan_lists_the_samples_that_matter_and_enter_shows_one(rows_file: Path) -> None:
    app = _app(rows_file, labelled=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _screen(app)
        state = screen.scan_state
        assert state is not None and state.done and state.scanned == ROWS and state.report is not None
        await press(pilot, "6")
        text = screen_text(app)
        assert "wrong — 2 of 20,000 rows" in text
        assert "over every row:" in text
        ranking = state.ranking
        assert ranking is not None and [r.row for r in ranking.wrong] == [7, 19_000] or \
            [r.row for r in ranking.wrong] == [19_000, 7]
        first = ranking.wrong[0].row
        await press(pilot, "enter")  # the cursor starts on the first listed row
        s = screen.session
        assert s.row == first and s.at_end
        assert "✗ problems here" in screen_text(app)  # its own output is wrong: not "in other samples"


@pytest.mark.parametrize("report_s", [60.0, -1.0], ids=["report with the values", "report a frame later"])
async def test_an_edit_scans_again_with_the_new_values(rows_file: Path, report_s: float, monkeypatch) -> None:
    monkeypatch.setattr(debugger, "HEALTH_INLINE_S", report_s)
    app = _app(rows_file, labelled=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _screen(app)
        before = screen.scan_state
        assert before is not None and before.version == 0
        s = screen.session
        s.edit(Target(WEIGHT, 1, 0, 0), 25.0)
        screen.after_edit()
        await settle(pilot)
        after = screen.scan_state
        assert after is not None and after.done and after.version == s.edits_version == 1
        assert after.ranking is not None and before.ranking is not None
        assert after.ranking.wrong_count != before.ranking.wrong_count


async def test_a_label_edit_is_refused_before_any_dialog_and_changes_nothing(rows_file: Path) -> None:
    app = _app(rows_file, labelled=True)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        s = _screen(app).session
        label = s.sample.label
        await press(pilot, "y")
        assert isinstance(app.screen, DebuggerScreen)  # no edit dialog
        assert any("they are not edited here" in n.message for n in app._notifications)
        assert s.sample.label == label and not s.journal


async def test_a_row_the_file_cannot_give_is_said_and_the_shown_one_stays(tmp_path: Path) -> None:
    x = np.random.default_rng(4).normal(0, 1, (ROWS, 4)).astype(np.float32)
    x[ROWS - 1, 2] = np.nan  # the last row; the scan meets it at its end
    path = tmp_path / "bad.npy"
    np.save(path, x)
    app = _app(path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        screen = _screen(app)
        state = screen.scan_state
        assert state is not None and state.done and state.error is not None and "sample 20000" in state.error
        await press(pilot, "[")  # row 20,000: NaN
        s = screen.session
        assert s.row == 0 and s.sample.name == "row 1"
        assert any("sample 20000, input 3" in n.message for n in app._notifications)
        await press(pilot, "6")
        assert "the scan stopped after 16,384 rows" in screen_text(app)


async def test_a_small_sessions_samples_are_ranked_when_the_view_is_shown_and_after_each_edit_there() -> None:
    from tui_helpers import make_app

    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = _screen(app)
        assert screen.scan_state is None  # nothing scanned while Samples is not shown
        await press(pilot, "6")
        state = screen.scan_state
        assert state is not None and state.done and state.scanned == 8 and state.report is None
        assert "least confident — lowest probability" in screen_text(app)
        s = screen.session
        s.edit(Target(WEIGHT, 1, 0, 0), -40.0)  # the output neuron says "bad roast" to every sample
        screen.after_edit()
        await settle(pilot)
        after = screen.scan_state
        assert after is not None and after.version == 1 and after.ranking is not None
        assert after.ranking.wrong_count > 0 and "wrong — " in screen_text(app)


async def test_descent_is_refused_on_rows_read_one_at_a_time_before_any_dialog(rows_file: Path) -> None:
    app = _app(rows_file, labelled=True)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        s = _screen(app).session
        weights = s.network.layers[0].W.copy()
        await press(pilot, "D")
        assert isinstance(app.screen, DebuggerScreen)
        assert any("gradient descent is over every labelled sample" in n.message for n in app._notifications)
        np.testing.assert_array_equal(s.network.layers[0].W, weights)
        assert not s.journal
