"""The Operation pane's gradient check, at a neuron's ∂L/∂w or ∂L/∂b step
of the backward pass: the engine's lines (``gradcheck_text``) with styles."""

from __future__ import annotations

from ..engine import Session
from ..engine.gradcheck_text import CheckLine, LineKind, neuron_check_brief, neuron_check_lines

Piece = tuple[str, str]  # (text, Rich style name), as sections.Piece

STYLES = {LineKind.AGREES: "green", LineKind.FAILS: "bold red", LineKind.ABOUT: "dim"}
CHECKED_AT = ("∂L/∂w", "∂L/∂b")  # the backward steps (by how their titles end) that show the check


def backward_check(s: Session) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    """(a line per parameter checked, the worst and a count) for the backward
    step the cursor is on; both empty at any other step."""
    back = s.back_step
    if back is None or back.neuron is None or not back.title.endswith(CHECKED_AT):
        return (), ()
    found = s.neuron_check(back.layer, back.neuron)
    if found is None:
        return (), ()
    return _pieces(neuron_check_lines(found)), _pieces(neuron_check_brief(found))


def _pieces(lines: tuple[CheckLine, ...]) -> tuple[Piece, ...]:
    return tuple((f"  {line.text}", STYLES[line.kind]) for line in lines)
