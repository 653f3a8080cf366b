"""The Trace pane: every step executed so far, newest last, one line each."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from ...engine.numbers import fmt_fit
from ..fit import cells, fit_tokens
from ..frame import Frame
from .lines import LineList, pieces_strip


class TracePane(LineList):
    BORDER_TITLE = "Trace"
    # The scrollbar is always there: a trace that grows past the pane needs no layout pass.
    DEFAULT_CSS = """
    TracePane { overflow-y: scroll; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._following = True  # the newest step kept in view, until the user scrolls it out of view

    def show(self, frame: Frame) -> None:
        super().show(frame)
        count = frame.trace.count
        if count != self.line_count:
            self._following = True  # a step taken or undone: the newest is shown again
        self.show_lines(count)
        self._follow()

    def _follow(self) -> None:
        if self._following and self.line_count:
            self.keep_visible(self.line_count - 1)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        height = self.scrollable_content_region.height
        if height > 0:  # (hidden, it has no view to scroll)
            self._following = int(new_value) + height >= self.line_count

    def laid_out(self) -> None:
        # Shorter, it keeps its newest step in view: after a resize, and when
        # the focus border comes or goes (two rows, with no Resize for them).
        self._follow()

    def line_key(self, index: int) -> object:
        # A step's line changes with the values, the sample and the plan (the
        # stamp of the lines' source), and is bold while it is the newest.
        assert self.frame is not None
        trace = self.frame.trace
        return (trace.lines.stamp, index == trace.cursor)

    def _pieces(self, index: int, width: int) -> list[tuple[str, str]]:
        """The step's number, kind, neuron and formula; a formula longer than
        the room is shortened by whole terms (``fit_tokens``), keeping its
        result, or gives way to the result alone: no number is cut."""
        assert self.frame is not None
        lines = self.frame.trace.lines
        row = lines.row(index)
        pieces = [(f"{index + 1:>5} ", "dim"), (f"{row.kind} ", "bold"),
                  (f"{row.where:<{lines.where_width}} ", "cyan")]
        room = max(1, width - sum(cells(text) for text, _ in pieces) - (2 if row.warned else 0))
        formula = fit_tokens(row.formula, room)
        if formula != row.formula and not formula.endswith(row.formula.rsplit(" ", 1)[-1]):
            # no room for the working: the result alone, fitted
            if row.value is not None:
                formula = f"{row.name} = {fmt_fit(row.value, max(1, room - cells(row.name) - 3))}"
            else:
                formula = fit_tokens(f"{row.name} = {row.values}", room)
        pieces.append((formula, ""))
        if row.warned:
            pieces.append((" ⚠", "bold yellow"))
        return pieces

    def line_text(self, index: int) -> Text:
        text = Text.assemble(*self._pieces(index, self.scrollable_content_region.width))
        if self.frame is not None and index == self.frame.trace.cursor:
            text.stylize("bold")
        return text

    def draw_line(self, index: int, width: int, style: Style) -> Strip:
        get_style = self.app.console.get_style
        pieces = [(text, get_style(name) if name else None) for text, name in self._pieces(index, width)]
        bold = self.frame is not None and index == self.frame.trace.cursor
        return pieces_strip(pieces, width, style, get_style("bold") if bold else None)
