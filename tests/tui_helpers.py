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
