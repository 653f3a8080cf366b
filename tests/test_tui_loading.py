"""The app loads in a worker, reports a bad file as exit 2, and honours watches."""

from __future__ import annotations

from pathlib import Path

from neurodebug import Session, load_network
from neurodebug.engine import parse_watches
from neurodebug.tui.app import LoadingScreen, NeurodebugApp
from neurodebug.tui.debugger import DebuggerScreen
from tui_helpers import SAMPLES, press, screen_text, settle


async def test_the_loader_runs_in_a_worker_and_opens_the_debugger():
    steps = []

    def loader(progress):
        progress("reading")
        steps.append("loaded")
        return Session(load_network(SAMPLES / "coffee_roasting.json"))

    app = NeurodebugApp(path=Path("coffee_roasting.json"), loader=loader)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert steps == ["loaded"]
        assert isinstance(app.screen, DebuggerScreen)
        await press(pilot, "n")
        assert "normalise" in screen_text(app)


async def test_a_bad_file_in_the_loader_exits_2_with_the_message(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"layers": [}')

    app = NeurodebugApp(path=bad, loader=lambda progress: Session(load_network(bad)))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()  # the worker fails and the app exits
        await settle(pilot)
    assert app.return_code == 2
    assert "bad.json" in app.error and "line 1:13" in app.error


def test_loading_screen_shows_progress():
    screen = LoadingScreen("big.npz")
    assert screen.what == "big.npz"


async def test_continue_stops_at_a_watch():
    session = Session(load_network(SAMPLES / "nan_overflow.json"))
    session.watches = parse_watches("nan")
    session.set_sample(session.network.sample_index("spike"))
    app = NeurodebugApp(session, path=Path("nan_overflow.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "c")
        step = session.step
        assert step is not None and not session.at_end
        assert (step.layer, step.neuron, step.kind) == (0, 0, "dot")  # the overflow
        assert "watch NaN/Inf" in screen_text(app)  # the status line lists the watches
        assert "∞" in screen_text(app)


def test_the_debugger_command_refuses_a_missing_file_before_the_screen_changes(capsys, tmp_path):
    from neurodebug.cli import main

    assert main([str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.json" in err[0] and "no such file" in err[0]


def test_the_bundled_sample_exists():
    from neurodebug.cli import bundled_sample

    assert bundled_sample().is_file()
    assert load_network(bundled_sample()).name == "coffee roasting"
