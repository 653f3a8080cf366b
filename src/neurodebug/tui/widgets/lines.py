"""Scrolling text drawn with Textual's Line API.

Only the visible lines are rendered, and each rendered line is cached until
the content changes, so a list of 12,000 neurons costs what a screenful does.
A new line count updates the scroll range without a layout pass unless the
scrollbar has to appear or go: a step redraws the panes, it does not reflow
the screen.
"""

from __future__ import annotations

from collections import OrderedDict

from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

CACHE_LINES = 512


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
        self._cache: OrderedDict[tuple[int, int], Strip] = OrderedDict()

    # -- for subclasses ------------------------------------------------------------
    def line_text(self, index: int) -> Text:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_count(self, count: int) -> None:
        """Declare how many lines there are and drop every cached line."""
        self._count = count
        self._cache.clear()
        self._set_virtual_height(count)
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
    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if index >= self._count or width <= 0:
            return Strip.blank(width, self.rich_style)
        key = (index, width)
        strip = self._cache.get(key)
        if strip is None:
            text = self.line_text(index)
            text.no_wrap = True
            text.truncate(width, overflow="ellipsis")
            segments = list(text.render(self.app.console))
            strip = Strip(segments).extend_cell_length(width).crop(0, width).apply_style(self.rich_style)
            self._cache[key] = strip
            if len(self._cache) > CACHE_LINES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return strip

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

    def set_text(self, text: Text) -> None:
        """Show ``text`` (newlines and wrapping make the lines)."""
        self._text = text
        self._wrap()

    @property
    def text(self) -> Text:
        return self._text

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or not self.is_mounted:
            self._lines = []
        else:
            text = self._text.copy()
            text.rstrip()
            self._lines = list(text.wrap(self.app.console, width, overflow="fold"))
        self.set_count(len(self._lines))

    def line_text(self, index: int) -> Text:
        return self._lines[index].copy()

    def on_resize(self) -> None:
        super().on_resize()
        self._wrap()
