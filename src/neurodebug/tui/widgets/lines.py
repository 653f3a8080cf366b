"""A scrolling list of text lines drawn with Textual's Line API.

Only the visible lines are rendered, and each rendered line is cached until
the content changes, so a list of 12,000 neurons costs what a screenful does.
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
        self.virtual_size = Size(self.size.width, count)
        self.refresh()

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
