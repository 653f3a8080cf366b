"""The Trace pane: every step executed so far, newest last."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from ...engine import Session
from .lines import LineList, pieces_strip

STEPS_REDRAWN = 64  # more new lines than this: redraw the whole pane
KIND_SHORT = {"normalize": "norm", "dot": "dot ", "bias": "bias", "activate": "act "}


class TracePane(LineList):
    BORDER_TITLE = "Trace"
    # The scrollbar is always there: a trace that grows past the pane needs no layout pass.
    DEFAULT_CSS = """
    TracePane { overflow-y: scroll; }
    """

    def __init__(self, session: Session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self._shown: tuple | None = None  # what the lines on screen were drawn from

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        s = self.session
        count = s.cursor + 1
        shown = (s.values_version, s.sample_index, s.granularity, id(s.plan))
        old = self.line_count
        if shown == self._shown and abs(count - old) <= STEPS_REDRAWN:
            # The lines that differ: the newest (bold) before and after (lines
            # gained or lost at the end are update_lines' business).
            self.update_lines(count, {old - 1, count - 1})
        else:
            self.set_count(count)
        self._shown = shown
        if count:
            self.keep_visible(count - 1)

    def _pieces(self, index: int) -> list[tuple[str, str]]:
        s = self.session
        step = s.plan[index]
        d = s.sample_trace.detail(step, s.settings)
        where = "" if step.layer < 0 else f"L{step.layer + 1}" + (f".N{step.neuron + 1}" if step.neuron is not None else "")
        pieces = [(f"{index + 1:>5} ", "dim"), (f"{KIND_SHORT[step.kind]} ", "bold"), (f"{where:<9} ", "cyan"), (d.formula, "")]
        if d.notes:
            pieces.append((" ⚠", "bold yellow"))
        return pieces

    def line_text(self, index: int) -> Text:
        text = Text.assemble(*self._pieces(index))
        if index == self.session.cursor:
            text.stylize("bold")
        return text

    def draw_line(self, index: int, width: int, style: Style) -> Strip:
        get_style = self.app.console.get_style
        pieces = [(text, get_style(name) if name else None) for text, name in self._pieces(index)]
        return pieces_strip(pieces, width, style, get_style("bold") if index == self.session.cursor else None)
