"""Helpers for driving the app the way a user does and reading the screen."""

from __future__ import annotations

from pathlib import Path

from neurodebug import Session, load_network
from neurodebug.tui.app import NeurodebugApp

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"


def make_app(name: str = "seed_example.json", **session_options) -> NeurodebugApp:
    path = SAMPLES / name
    return NeurodebugApp(Session(load_network(path), **session_options), path=Path(path.name))


def screen_text(app: NeurodebugApp) -> str:
    """Everything on the screen now, as plain text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


async def type_fast(pilot, keys, burst: int = 50) -> None:
    """Send keys the way a fast typist does: a burst at a time, then let the
    app catch up. Pilot.press waits for idle after every key (~40 ms each)."""
    from textual import events
    from textual.app import _character_to_key  # noqa: PLC2701 - same mapping Pilot uses

    app = pilot.app
    keys = list(keys)
    for start in range(0, len(keys), burst):
        for key in keys[start : start + burst]:
            if len(key) == 1 and not key.isalnum():
                key = _character_to_key(key)
            char = key if len(key) == 1 else {"space": " "}.get(key)
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)
        await pilot.pause()
