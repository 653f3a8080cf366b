"""The status line: pieces of text in their styles, on one line.

It changes on nearly every key (the step count). Drawn as a Static, its one
line went through Rich's whole rendering on each change, about 0.7 ms of a
key's paint; drawn with the Line API it is one Strip, built when the pieces
or the width change, and the pieces that do not fit are left out whole (the
least important, last, first).
"""

from __future__ import annotations

from textual.strip import Strip
from textual.widget import Widget

from ..frame import fit_status
from .lines import pieces_strip


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine {
        height: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pieces: tuple[tuple[str, str], ...] = ()  # (text, Rich style name; "" for none)
        self._drawn: tuple[int, Strip] | None = None  # (width, strip) of the pieces as they are

    def show(self, pieces: tuple[tuple[str, str], ...]) -> None:
        if pieces != self._pieces:
            self._pieces = pieces
            self._drawn = None
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y != 0:
            return Strip.blank(width, self.rich_style)
        if self._drawn is None or self._drawn[0] != width:
            get_style = self.app.console.get_style
            pieces = [(text, get_style(style) if style else None) for text, style in fit_status(self._pieces, width)]
            self._drawn = (width, pieces_strip(pieces, width, self.rich_style))
        return self._drawn[1]

    def notify_style_update(self) -> None:
        # New CSS or a new theme: the drawn line carries the old colours.
        super().notify_style_update()
        self._drawn = None
