"""Scrolling text drawn with Textual's Line API.

Only the visible lines are rendered, and each rendered line is cached until
the content changes, so a list of 12,000 neurons costs what a screenful does.
A new line count updates the scroll range without a layout pass unless the
scrollbar has to appear or go: a step redraws the panes, it does not reflow
the screen.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

CACHE_LINES = 512


def pieces_strip(
    pieces: list[tuple[str, Style | None]], width: int, base: Style, overlay: Style | None = None
) -> Strip:
    """The Strip Rich would render for ``Text`` made of ``pieces`` (then
    ``stylize(overlay)``, ``truncate(width, overflow="ellipsis", pad=True)``
    and the widget's ``base`` style), built without the Text: a neuron or a
    trace row is drawn several times faster this way."""
    plain = "".join(text for text, _ in pieces)
    length = cell_len(plain)
    if length > width:
        plain = set_cell_size(plain, width - 1) + "…" if width > 0 else ""
    end = len(plain)
    segments = []
    offset = 0
    for text, style in pieces:
        start, offset = offset, offset + len(text)
        if start >= end or not text:
            continue
        combined = style + overlay if style and overlay else style or overlay
        segments.append(Segment(plain[start:min(offset, end)], base + combined if combined else base))
    if offset < end:  # set_cell_size padded a split wide character, or the ellipsis: the last style goes on
        segments.append(Segment(plain[offset:], segments[-1].style if segments else base))
    if length < width:
        segments.append(Segment(" " * (width - length), base))
    return Strip(segments, width)


class LineList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LineList {
        height: 1fr;
        overflow-x: hidden;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._count = 0
        self._cache: OrderedDict[int, tuple[int, Strip]] = OrderedDict()  # line → (width, strip)
        self._paint: tuple[int, Style] | None = None  # (width, style) while render_lines runs
        self._shown: object = None  # what the lines on screen were drawn from (subclasses)

    # -- for subclasses ------------------------------------------------------------
    def line_text(self, index: int) -> Text:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_count(self, count: int) -> None:
        """Declare how many lines there are and redraw them all."""
        self._count = count
        self._cache.clear()
        self._set_virtual_height(count)
        self.refresh()

    def update_lines(self, count: int, changed: Iterable[int]) -> None:
        """Declare how many lines there are, and that among the lines both the
        old and the new count hold only ``changed`` differ from what is on
        screen: only those, and the lines gained or lost at the end, are
        drawn again."""
        old, self._count = self._count, count
        top = int(self.scroll_y)
        height = self.scrollable_content_region.height
        # Lines past the shorter count appear or go: blank ↔ text.
        ends = range(max(min(old, count), top), min(max(old, count), top + height))
        for index in (*changed, *ends):
            self._cache.pop(index, None)
            if top <= index < top + height:
                self.refresh_line(index)
        for index in [i for i in self._cache if i >= count]:
            del self._cache[index]
        self._set_virtual_height(count)

    def forget(self) -> None:
        """Drop every line drawn and everything remembered about what is on
        screen: the next ``show`` draws the pane from scratch."""
        self._cache.clear()
        self._shown = None
        self.refresh()

    def _set_virtual_height(self, count: int) -> None:
        new = Size(self.size.width, count)
        old = self.virtual_size
        if new == old:
            return
        height = self.scrollable_content_region.height
        overflow = self.styles.overflow_y
        toggles = overflow == "auto" and (old.height > height) != (count > height)
        if not self.is_mounted or height <= 0 or toggles or old.width != new.width:
            # The scrollbar appears or goes (or the size is not known yet):
            # the screen must lay out again.
            self.virtual_size = new
            return
        # Same scrollbars: a new scroll range and thumb, no reflow.
        self.set_reactive(ScrollView.virtual_size, new)
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            bar.window_virtual_size = count
            bar.refresh()
        self.scroll_y = self.validate_scroll_y(self.scroll_y)

    @property
    def line_count(self) -> int:
        return self._count

    def keep_visible(self, index: int, center: bool = False) -> None:
        """Scroll the least needed so that line ``index`` is on screen."""
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_y)
        if center and not top <= index < top + height:
            self.scroll_to(y=max(0, index - height // 2), animate=False)
        elif index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    # -- Line API ------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        # The width and the base style, once per paint rather than once per line.
        self._paint = (self.scrollable_content_region.width, self.rich_style)
        try:
            return super().render_lines(crop)
        finally:
            self._paint = None

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width, style = self._paint or (self.scrollable_content_region.width, self.rich_style)
        if index >= self._count or width <= 0:
            return Strip.blank(width, style)
        hit = self._cache.get(index)
        if hit is not None and hit[0] == width:
            self._cache.move_to_end(index)
            return hit[1]
        strip = self.draw_line(index, width, style)
        self._cache[index] = (width, strip)
        if len(self._cache) > CACHE_LINES:
            self._cache.popitem(last=False)
        return strip

    def draw_line(self, index: int, width: int, style: Style) -> Strip:
        """Line ``index`` drawn now, bypassing the cache."""
        text = self.line_text(index)
        text.no_wrap = True
        text.truncate(width, overflow="ellipsis", pad=True)  # exactly `width` cells
        return Strip(Segment.apply_style(text.render(self.app.console), style), width)

    def stale_lines(self) -> list[int]:
        """Cached lines that differ from what the content now says (for tests:
        a redraw that skipped a changed line leaves it here)."""
        style = self.rich_style
        return [
            index for index, (width, strip) in self._cache.items()
            if index >= self._count or list(strip) != list(self.draw_line(index, width, style))
        ]

    def notify_style_update(self) -> None:
        # New CSS or a new theme: the cached lines carry the old colours.
        super().notify_style_update()
        self._cache.clear()

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, self._count)


class TextBlock(LineList):
    """A block of Rich text wrapped to the pane's width, drawn line by line.

    The scrollbar is always there, so the wrap width stays put and a redraw
    whose text is longer or shorter than the pane needs no layout pass.
    """

    DEFAULT_CSS = """
    TextBlock {
        overflow-y: scroll;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._text = Text()
        self._lines: list[Text] = []
        self._wrapped_width = -1  # the width self._lines were wrapped to

    def set_text(self, text: Text) -> None:
        """Show ``text`` (newlines and wrapping make the lines)."""
        self._text = text
        self._wrap()

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or not self.is_mounted:
            lines: list[Text] = []
        else:
            text = self._text.copy()
            text.rstrip()
            # Most lines fit: only the long ones go through Rich's word wrap.
            lines = []
            for line in text.split("\n", allow_blank=True):
                if cell_len(line.plain) <= width:
                    lines.append(line)
                else:
                    lines.extend(line.wrap(self.app.console, width, overflow="fold"))
        old, self._lines = self._lines, lines
        if self._wrapped_width != width:
            self._wrapped_width = width
            self.set_count(len(lines))
            return
        # Redraw only the lines that differ: most of a pane stays put between steps.
        changed = [i for i in range(max(len(old), len(lines))) if i >= len(old) or i >= len(lines) or old[i] != lines[i]]
        self.update_lines(len(lines), changed)

    def line_text(self, index: int) -> Text:
        return self._lines[index].copy()

    def forget(self) -> None:
        super().forget()
        self._wrapped_width = -1

    def show(self) -> None:
        """Build the text from what the pane shows (subclasses)."""

    def _rebuild(self) -> None:
        # The text itself may depend on the width (column widths, bar and
        # plot sizes): build it again, not only wrap it again.
        self._cache.clear()
        self._shown = None
        self.show()
        self._wrap()

    def on_resize(self) -> None:
        self._rebuild()

    def render_lines(self, crop: Region) -> list[Strip]:
        # A border that comes with focus narrows the text without a Resize
        # event: the width is checked where it is used.
        width = self.scrollable_content_region.width
        if width > 0 and width != self._wrapped_width and self.is_mounted:
            self._rebuild()
        return super().render_lines(crop)
