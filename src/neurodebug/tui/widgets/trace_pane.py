"""The Trace pane: every step executed so far, newest last."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from ..frame import Frame
from .lines import LineList, pieces_strip

KIND_SHORT = {"normalize": "norm", "dot": "dot ", "bias": "bias", "activate": "act "}


class TracePane(LineList):
    BORDER_TITLE = "Trace"
    # The scrollbar is always there: a trace that grows past the pane needs no layout pass.
    DEFAULT_CSS = """
    TracePane { overflow-y: scroll; }
    """

    def show(self, frame: Frame) -> None:
        super().show(frame)
        count = frame.trace.count
        self.show_lines(count)
        if count:
            self.keep_visible(count - 1)

    def line_key(self, index: int) -> object:
        # A step's line changes with the values, the sample and the plan (the
        # stamp of the lines' source), and is bold while it is the newest.
        assert self.frame is not None
        trace = self.frame.trace
        return (trace.lines.stamp, index == trace.cursor)

    def _pieces(self, index: int) -> list[tuple[str, str]]:
        assert self.frame is not None
        row = self.frame.trace.lines.row(index)
        pieces = [(f"{index + 1:>5} ", "dim"), (f"{KIND_SHORT[row.kind]} ", "bold"), (f"{row.where:<9} ", "cyan"),
                  (row.formula, "")]
        if row.warned:
            pieces.append((" ⚠", "bold yellow"))
        return pieces

    def line_text(self, index: int) -> Text:
        text = Text.assemble(*self._pieces(index))
        if self.frame is not None and index == self.frame.trace.cursor:
            text.stylize("bold")
        return text

    def draw_line(self, index: int, width: int, style: Style) -> Strip:
        get_style = self.app.console.get_style
        pieces = [(text, get_style(name) if name else None) for text, name in self._pieces(index)]
        bold = self.frame is not None and index == self.frame.trace.cursor
        return pieces_strip(pieces, width, style, get_style("bold") if bold else None)
