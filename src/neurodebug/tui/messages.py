"""Messages up: what the panes and the command palette ask of the debugger
screen. The screen owns the session and the selection; it answers each by
building a new frame and handing it down."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from .frame import Selection


@dataclass
class SelectionChanged(Message):
    """The Arrays pane moved the selection (↑/↓): ``e`` edits this now.

    ``request`` counts the pane's requests; the frame that answers says which
    one it answers, so keys typed faster than the screen redraws each move
    on from the last one asked, not from the last one drawn."""

    selection: Selection
    request: int


@dataclass
class JumpTo(Message):
    """Go to the first step of a neuron (``neuron`` None: of a layer)."""

    layer: int
    neuron: int | None


@dataclass
class PickSample(Message):
    """Show sample ``index``."""

    index: int
