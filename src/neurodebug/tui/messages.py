"""Messages up: what the panes and the command palette ask of the debugger
screen. The screen owns the session and the selection; it answers each by
building a new frame and handing it down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from .frame import Selection

if TYPE_CHECKING:
    from ..engine.scan import ScanState
    from ..engine.session import ComputedHealth


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
    """Go to the first step of a neuron (``neuron`` None: of a layer).

    ``finish``: stand on its last step instead, with z and a computed (as
    ``f`` does), for a row that is about the neuron's values."""

    layer: int
    neuron: int | None
    finish: bool = False


@dataclass
class PickSample(Message):
    """Show sample ``index``."""

    index: int


@dataclass
class ToggleBreakpoint(Message):
    """``b`` in the Network pane: a breakpoint on the cursor's neuron
    (``neuron`` None: on the layer), not on the step's."""

    layer: int
    neuron: int | None


@dataclass
class OpenEntry(Message):
    """Enter or a click on a row of a side view: go where it points.

    ``view`` is "problems" or "changes"; ``section`` the part of the view
    (problems: "mine", "others", "notes"; changes: "edit", "outputs",
    "changed"), ``index`` the row's place in that part of the frame, and
    ``text`` what the row says (to find it again if the lists moved)."""

    view: str
    section: str
    index: int
    text: str = ""


@dataclass
class ScanProgress(Message):
    """The scan of every sample (a worker thread) has got further, or ended."""

    state: ScanState


@dataclass
class HealthComputed(Message):
    """A health report computed in a worker thread: a big network's first,
    or one slow to compute after an edit."""

    computed: ComputedHealth
