"""The app loads in a worker, reports a bad file as exit 2, and honours watches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurodebug import Layer, Network, Sample, Session, load_network
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


def _wide_network():
    """784 inputs: more rows than the Network and Arrays panes show."""
    rng = np.random.default_rng(7)
    return Network([Layer("h", "relu", rng.normal(size=(784, 16)) / 28, np.zeros(16)),
                    Layer("out", "sigmoid", rng.normal(size=(16, 1)), np.zeros(1))],
                   [Sample("s1", rng.random(784))])


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("network", ["coffee_roasting", "wide"])
async def test_the_first_frame_of_the_debugger_is_its_whole_first_screen(network, size):
    """Nothing of the first screen comes a frame late: the key bar, the
    underline of the active tab, the Network pane's width with its scrollbar,
    the Arrays pane's scrollbar thumb. (Each did; the screen was complete only
    two to four paints after the first.)"""
    net = load_network(SAMPLES / "coffee_roasting.json") if network != "wide" else _wide_network()
    app = NeurodebugApp(path=Path(f"{network}.json"), loader=lambda progress: Session(net))
    frames: list[str] = []
    shown = app._display

    def display(screen, renderable):  # every frame the debugger paints, as text
        if renderable is not None and isinstance(screen, DebuggerScreen):
            frames.append(screen_text(app))
        return shown(screen, renderable)

    app._display = display
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, DebuggerScreen)
        final = screen_text(app)
    assert frames and frames[0] == final
    assert "n step" in final and ("Trace" in final or size[0] < 100)  # the views are hidden when narrow


async def test_a_resize_to_the_size_laid_out_lays_nothing_out_again():
    """The first layout sends the screen a Resize to the size it was just laid
    out at; Textual would lay it all out again (a layout and a paint before the
    first key is handled). A real resize still lays it out."""
    app = NeurodebugApp(path=Path("coffee_roasting.json"),
                        loader=lambda progress: Session(load_network(SAMPLES / "coffee_roasting.json")))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DebuggerScreen)
        layouts = []
        laid_out = screen._refresh_layout
        screen._refresh_layout = lambda *args, **kwargs: (layouts.append(args), laid_out(*args, **kwargs))[1]
        screen._screen_resized(screen._compositor.size)
        assert layouts == []
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert layouts and screen._compositor.size == (100, 30)
