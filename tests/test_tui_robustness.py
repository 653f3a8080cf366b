"""Random keys and resizes never raise, on every sample network."""

from __future__ import annotations

import random

import pytest

from tui_helpers import SAMPLES, make_app, type_fast

KEYS = [
    "n", "p", "N", "L", "c", "G", "g", "b", "v", "e", "u", "U", "s", "f", "x", "a",
    "1", "2", "3", "4", "right", "left", "space", "home", "end", "tab", "shift+tab",
    "left_square_bracket", "right_square_bracket", "question_mark", "escape", "enter",
    "up", "down", "pageup", "pagedown", "0", "5", "minus", "full_stop", "y", "ctrl+r",
]
NETWORKS = sorted(p.name for p in SAMPLES.glob("*.json"))


@pytest.mark.parametrize("name", NETWORKS)
async def test_a_thousand_random_keys_never_raise(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "s" saves beside the (relative) original
    rng = random.Random(name)
    app = make_app(name)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_fast(pilot, [rng.choice(KEYS) for _ in range(1000)])
        assert app.is_running
        s = app.session
        assert -1 <= s.cursor < len(s.plan)


async def test_resizes_never_raise():
    app = make_app("coffee_roasting.json")
    rng = random.Random(7)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(40):
            await pilot.resize_terminal(rng.randint(10, 160), rng.randint(4, 60))
            await pilot.press(rng.choice(["n", "N", "v", "1", "a"]))
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.is_running
