"""The text panes' vertical scrollbar, drawn a row at a time.

Textual's ``ScrollBar`` renders itself whole through Rich on every repaint,
even when two of its rows changed, and gives the track above its thumb one
mouse action and the track below another, so that every row between an old
and a new thumb reads differently. ``TrackBar`` is the same bar (Textual's
own ``render_bar`` works out the thumb and its colours) drawn with the Line
API, its track all one style: a thumb that jumps repaints the rows it leaves
and reaches, nothing else. A click on the track pages towards it, as on
Textual's bar; the bar decides which way from where the thumb is.
"""

from __future__ import annotations

from math import ceil

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender, ScrollDown, ScrollUp
from textual.strip import Strip

GRAB = "grab"  # the thumb's mouse action (Textual's): dragging it scrolls
BACK, BAR = Color.parse("#555555"), Color.parse("bright_magenta")  # Textual's renderer's defaults


def bar_rows(size: int, count: int, window: int, position: float, width: int,
             back: Color = BACK, bar: Color = BAR) -> list[Segment] | None:
    """Each row of a vertical bar ``size`` rows high and ``width`` wide over
    ``count`` lines, ``window`` of them in view from ``position``: the
    segments Textual's scrollbar draws, its track all one style (no mouse
    action). None where Textual's renderer cannot draw it (it divides by zero)."""
    window = window if window < count else 0  # no thumb while everything fits
    try:
        # the renderer may return more rows than the bar has: those are cropped
        drawn = ScrollBar.renderer.render_bar(
            size=size, virtual_size=ceil(count), window_size=ceil(window), position=position,
            thickness=width, vertical=True, back_color=back, bar_color=bar).segments[:size]
    except ZeroDivisionError:
        return None
    track = Segment(" " * width, Style(bgcolor=back))
    return [segment if _action(segment) == GRAB else track for segment in drawn]


def _action(segment: Segment) -> object:
    style = segment.style
    return style.meta.get("@mouse.down") if style is not None else None


class TrackBar(ScrollBar):
    """Textual's vertical scrollbar with the Line API (see the module)."""

    def __init__(self, *, thickness: int = 1) -> None:
        super().__init__(vertical=True, name="vertical", thickness=thickness)
        self._drawn: tuple[tuple, list[Segment] | None] | None = None  # (inputs, rows) of the last look
        self._paint: tuple[list[Segment] | None, int] | None = None  # (rows, width) while a row is drawn
        # Each kind of row (the bar has three or four), as Textual's styles drew it, for this context:
        self._final: dict[Segment | None, Strip] = {}
        self._styled_for: tuple | None = None  # (width, the line filters, the background colours)

    def rows(self) -> list[Segment] | None:
        """The bar's rows as it now stands, in its colours (worked out once per look)."""
        # What Textual's bar would draw (its renderer, not yet rendered): the
        # colours for grabbed, hovered or neither, the thumb's size and place.
        drawn = self.render()
        assert isinstance(drawn, ScrollBarRender)
        colours = drawn.style
        assert isinstance(colours, Style)
        size = self.size
        key = (size, drawn.virtual_size, drawn.window_size, drawn.position, colours)
        if self._drawn is None or self._drawn[0] != key:
            self._drawn = (key, bar_rows(size.height, drawn.virtual_size, drawn.window_size, drawn.position,
                                         size.width, colours.bgcolor or BACK, colours.color or BAR))
        return self._drawn[1]

    def render_lines(self, crop: Region) -> list[Strip]:
        """The rows in ``crop``, each as Textual's styles draw it (its
        filters, the widget's tint and opacity), drawn once per kind of row:
        Textual's styles cache would draw every row of a bar again after a
        whole-screen refresh (a dialog closed), at some 50 µs a row."""
        rows, width = self.rows(), self.size.width
        context = (width, tuple(map(id, self.get_line_filters())), self.background_colors)
        if context != self._styled_for:
            self._final.clear()
            self._styled_for = context
        strips = []
        for y in crop.line_range:
            row = rows[y] if rows is not None and 0 <= y < len(rows) else None
            strip = self._final.get(row)
            if strip is None:
                line = Region(0, y, width, 1)
                self._styles_cache.set_dirty(line)
                self._paint = rows, width
                try:
                    strip = super().render_lines(line)[0]
                finally:
                    self._paint = None
                if len(self._final) > 16:  # the colours changed (hover, a theme)
                    self._final.clear()
                self._final[row] = strip
            strips.append(strip)
        x1, x2 = crop.column_span
        return strips if (x1, x2) == (0, width) else [strip.crop(x1, x2) for strip in strips]

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._final.clear()  # drawn with the old styles

    def render_line(self, y: int) -> Strip:
        rows, width = self._paint or (self.rows(), self.size.width)
        if rows is None or not 0 <= y < len(rows):
            return Strip.blank(width, self.rich_style)
        return Strip([rows[y]], width)

    async def _on_mouse_down(self, event: events.MouseDown) -> None:
        # The track has no mouse action of its own: a click above the thumb
        # pages up, below it down (the thumb's own action grabs it).
        rows = self.rows()
        if rows is not None and not self.grabbed and 0 <= event.y < len(rows) and _action(rows[event.y]) != GRAB:
            thumb = [y for y, row in enumerate(rows) if _action(row) == GRAB]
            if thumb:
                self.post_message(ScrollUp() if event.y < thumb[0] else ScrollDown())
        # (Textual then calls ScrollBar's handler, which stops the event, and Widget's.)
