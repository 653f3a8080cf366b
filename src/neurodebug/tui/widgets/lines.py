"""Scrolling text drawn with Textual's Line API.

Only the visible lines are rendered, and each rendered line is cached until
the content changes, so a list of 12,000 neurons costs what a screenful does.
A new line count updates the scroll range without a layout pass unless the
scrollbar has to appear or go: a step redraws the panes, it does not reflow
the screen.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from rich.cells import cell_len, get_character_cell_size, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from .track_bar import TrackBar

if TYPE_CHECKING:
    from ..frame import Frame

CACHE_LINES = 512
DEFAULT_SHARE = 0.34  # of its container, for a pane sized by CSS ``width: auto`` that does not say what it needs
HANG = 2  # a wrapped line's continuation is indented this much past the line's own indent


def wrap_hanging(line: Text, width: int, hang: int = HANG) -> list[Text]:
    """``line`` wrapped at spaces to ``width`` cells, each continuation
    indented ``hang`` cells past the line's own leading spaces (a hanging
    indent: a wrapped formula or note reads as one item). A word longer than
    the room is folded, never dropped."""
    plain = line.plain
    if cell_len(plain) <= width or width <= 0:
        return [line]
    lead = len(plain) - len(plain.lstrip(" "))
    indent = min(lead + hang, width // 3)
    # The pieces found on the plain text, then the Text divided once: a slice
    # of a Text divides all of it, and a long line makes dozens of pieces.
    spans: list[tuple[int, int]] = []
    start, n = 0, len(plain)
    narrow = all(get_character_cell_size(c) == 1 for c in set(plain))  # a cell a character
    while start < n:
        room = width if not spans else width - indent
        end = min(n, start + max(0, room)) if narrow else _fitting(plain, start, room)
        space = plain.rfind(" ", start + 1, end)
        if end < n and space > start:
            end = space  # break at the last space that fits
        end = max(end, start + 1)
        spans.append((start, end))
        start = end
        while start < n and plain[start] == " ":
            start += 1
    if all(span.start == 0 and span.end == n for span in line.spans):
        return _wrap_uniform(line, plain, spans, indent)
    offsets = sorted({offset for span in spans for offset in span} - {0, n})
    parts = line.divide(offsets)
    part_at = {offset: k for k, offset in enumerate((0, *offsets))}
    out: list[Text] = []
    for start, _ in spans:
        piece = parts[part_at[start]]
        piece.rstrip()
        out.append(piece if not out else Text(" " * indent) + piece)
    return out


def _wrap_uniform(line: Text, plain: str, pieces: list[tuple[int, int]], indent: int) -> list[Text]:
    """``wrap_hanging``'s lines for a line in one style throughout (a row of
    a view): each piece made from its plain text, the same Text that dividing
    the line, ``rstrip`` and the indent's ``+`` would make, without them."""
    styles = [span.style for span in line.spans]
    out: list[Text] = []
    for start, end in pieces:
        text = plain[start:end].rstrip()
        length = len(text)
        own = [Span(0, length, style) for style in styles] if length else []
        if not out:
            out.append(Text(text, style=line.style, justify=line.justify, overflow=line.overflow, spans=own))
            continue
        # Text(" " * indent) + piece: the piece's style becomes a span, its spans move past the indent
        moved = [Span(indent, indent + length, line.style)] if line.style else []
        moved += [Span(indent, indent + length, style) for style in styles] if length else []
        out.append(Text(" " * indent + text, spans=moved))
    return out


def _fitting(plain: str, start: int, room: int) -> int:
    """The end of the longest run of ``plain`` from ``start`` within ``room`` cells."""
    n = len(plain)
    end, used = start, 0
    while end < n:
        size = get_character_cell_size(plain[end])
        if used + size > room:
            break
        used += size
        end += 1
    return end


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


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Increasing ``rows`` as (first, length) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][0] + runs[-1][1] == row:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((row, 1))
    return runs


class LineList(ScrollView, can_focus=True):
    """Lines drawn on demand from ``frame`` and cached by what they show.

    Each line has a key (``line_key``): what it is drawn from, such as the
    frame stamp of its data and its own state (current, computed, flagged).
    A cached line is used only while its key and the width are the ones it
    was drawn with, so a new frame needs no invalidation: ``show_lines``
    repaints the lines on screen whose key changed, and a frame built from
    scratch (new stamps, new epoch) repaints everything.
    """

    DEFAULT_CSS = """
    LineList {
        height: 1fr;
        overflow-x: hidden;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.frame: Frame | None = None  # what the pane shows (set by the screen through show())
        self._count = 0
        self._cache: OrderedDict[int, tuple[object, int, Strip]] = OrderedDict()  # line → (key, width, strip)
        self._paint: tuple[int, Style] | None = None  # (width, style) while render_lines runs
        self._wanted_width: int | None = None  # content_width() as last laid out
        self._subtitle: str | None = None  # as last set by set_subtitle

    # -- for subclasses ------------------------------------------------------------
    def show(self, frame: Frame) -> None:
        """Draw ``frame`` (subclasses: what of it this pane shows)."""
        self.frame = frame
        wanted = self.content_width()
        if wanted != self._wanted_width:
            # a pane sized to its content (CSS ``width: auto``) takes its new width
            self._wanted_width = wanted
            self.refresh(layout=True)

    def content_width(self) -> int | None:
        """The cells the pane's rows need, when it is sized to its content
        (CSS ``width: auto``); None: a share of the container (DEFAULT_SHARE)."""
        return None

    def get_content_width(self, container: Size, viewport: Size) -> int:
        wanted = self.content_width()
        if wanted is None:
            return int(container.width * DEFAULT_SHARE)
        return wanted

    def line_key(self, index: int) -> object:
        """What line ``index`` is drawn from: equal keys, equal lines."""
        return None

    @property
    def vertical_scrollbar(self) -> TrackBar:
        # Textual's property, making a TrackBar (track_bar.py) instead of its ScrollBar.
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = TrackBar(thickness=self.scrollbar_size_vertical)
            self._vertical_scrollbar.display = False
            self.app._start_widget(self, self._vertical_scrollbar)
        assert isinstance(self._vertical_scrollbar, TrackBar)
        return self._vertical_scrollbar

    def line_text(self, index: int) -> Text:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_count(self, count: int) -> None:
        """Declare how many lines there are and redraw them all."""
        self._count = count
        self._cache.clear()
        self._set_virtual_height(count)
        self.refresh()

    def show_lines(self, count: int) -> None:
        """Declare how many lines there are, and repaint the lines on screen
        that now show something else: a different key, or text ↔ blank past
        the shorter of the old and the new count."""
        old, self._count = self._count, count
        self._set_virtual_height(count)
        top = int(self.scroll_y)
        height = self.scrollable_content_region.height
        changed = []
        for index in range(top, min(top + height, max(old, count))):
            hit = self._cache.get(index)
            if index < count and hit is not None and hit[0] == self.line_key(index):
                continue
            changed.append(index)
        # Only the changed lines, a run of them at a time: a whole-pane
        # refresh would also render the border and every unchanged line again.
        for start, length in _runs(changed):
            self.refresh_lines(start, length)
        # Lines past the new end stay cached: their key is checked before one
        # is used again, and the Trace's end comes back after every g, G.

    def _set_virtual_height(self, count: int) -> None:
        new = Size(self.size.width, count)
        old = self.virtual_size
        if new == old:
            return
        height = self.scrollable_content_region.height
        overflow = self.styles.overflow_y
        toggles = overflow == "auto" and (old.height > height) != (count > height)
        if self.is_mounted and not self.size:
            # Hidden (a tab not shown) or not laid out yet: the layout that
            # shows it sizes its scrollbar; a step must not lay out the screen.
            self.set_reactive(ScrollView.virtual_size, new)
            return
        if not self.is_mounted or height <= 0 or toggles:
            # The scrollbar appears or goes (or the size is not known yet):
            # the screen must lay out again.
            self.virtual_size = new
            return
        # Same scrollbars: a new scroll range and thumb, no reflow. (The
        # virtual width follows the pane's: nothing scrolls sideways.)
        self.set_reactive(ScrollView.virtual_size, new)
        if self.show_vertical_scrollbar:
            self._move_thumb(count, self.vertical_scrollbar.position)
        self.scroll_y = self.validate_scroll_y(self.scroll_y)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # ScrollView's, with the thumb repainted only when it moves on screen.
        if self.show_vertical_scrollbar:
            self._move_thumb(self.vertical_scrollbar.window_virtual_size, new_value)
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)

    def _move_thumb(self, count: int, position: float) -> None:
        """Give the scrollbar a new line count and position, repainting the
        rows of it whose look changes and no other: each row of a scrollbar
        costs what a line of text does to paint, and they were a sixth of a
        step's paint when every key repainted all of them."""
        bar = self.vertical_scrollbar
        position = bar.validate_position(position)
        if (count, position) == (bar.window_virtual_size, bar.position):
            return
        shown = bar.rows()  # as painted (the bar keeps its last look)
        bar.set_reactive(ScrollBar.window_virtual_size, count)
        bar.set_reactive(ScrollBar.position, position)
        drawn = bar.rows()  # worked out once, for this comparison and the paint
        if shown is None or drawn is None or len(shown) != len(drawn):
            bar.refresh()
            return
        # Only the rows the thumb leaves or reaches (the TrackBar draws those alone).
        rows = [y for y, (old, new) in enumerate(zip(shown, drawn)) if old != new]
        if rows:  # (refresh() with no region repaints it all)
            width = bar.size.width
            bar.refresh(*(Region(0, start, width, length) for start, length in _runs(rows)))

    def set_subtitle(self, subtitle: str) -> None:
        """``border_subtitle``, repainting the bottom border row alone, and
        only when it reads differently (setting ``border_subtitle`` repaints
        the whole pane)."""
        if subtitle == self._subtitle:
            return
        self._subtitle = subtitle
        outer = self.outer_size
        if not self.is_mounted or not outer or not self.styles.border_bottom[0]:
            self.border_subtitle = subtitle
            return
        # What the descriptor stores, without its refresh of the whole pane.
        self._border_subtitle = self.render_str(subtitle).expand_tabs(4).split()[0]
        offset = self.content_offset  # refresh() regions are relative to the content
        self.refresh(Region(-offset.x, outer.height - 1 - offset.y, outer.width, 1))

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
        key = self.line_key(index)
        hit = self._cache.get(index)
        if hit is not None and hit[1] == width and hit[0] == key:
            self._cache.move_to_end(index)
            return hit[2]
        strip = self.draw_line(index, width, style)
        self._cache[index] = (key, width, strip)
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
        """Cached lines that would be used (their key is the line's key now)
        but differ from a fresh drawing (for tests: a key that misses
        something the line shows leaves lines here)."""
        style = self.rich_style
        return [
            index for index, (key, width, strip) in self._cache.items()
            if index < self._count
            and key == self.line_key(index) and list(strip) != list(self.draw_line(index, width, style))
        ]

    def notify_style_update(self) -> None:
        # New CSS or a new theme: the cached lines carry the old colours.
        super().notify_style_update()
        self._cache.clear()

    def on_resize(self) -> None:
        self._cache.clear()
        self._set_virtual_height(self._count)  # the layout that resized the pane placed its scrollbar

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # Textual tells a widget its new size in the layout pass, before it
        # paints the frame; the Resize event comes after it, and none comes
        # when the focus border narrows the content. What depends on the size
        # is redone here, in time for that frame.
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        self.laid_out()
        return changed

    def laid_out(self) -> None:
        """The pane has its size for the frame about to be painted (subclasses)."""


class TextBlock(LineList):
    """A block of Rich text wrapped to the pane's width, drawn line by line.

    Each line's key is its text (and the frame's epoch): a new frame
    repaints only the lines that read differently. The scrollbar is always
    there, so the wrap width stays put and a redraw whose text is longer or
    shorter than the pane needs no layout pass.
    """

    DEFAULT_CSS = """
    TextBlock {
        overflow-y: scroll;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Text] = []
        self._epoch = 0  # the frame epoch the lines were drawn in
        self._wrapped_width = -1  # the width self._lines were wrapped to

    def render_text(self, frame: Frame, width: int) -> Text:
        """The pane's text for ``frame`` at ``width`` cells (subclasses)."""
        return Text()

    def text_lines(self, frame: Frame, width: int) -> list[Text]:
        """The pane's lines before wrapping: ``render_text``'s, split. A view
        of many rows builds them one by one instead (no Text of them all to
        divide)."""
        text = self.render_text(frame, width)
        text.rstrip()
        return list(text.split("\n", allow_blank=True))

    def show(self, frame: Frame) -> None:
        super().show(frame)
        self._draw()

    def _draw(self) -> None:
        # The text itself may depend on the width (column widths, bar and
        # plot sizes): build it again, not only wrap it again.
        width = self.scrollable_content_region.width
        if width <= 0 or not self.is_mounted or self.frame is None:
            self._set_lines([], width)
            return
        # Most lines fit: only the long ones are wrapped, with a hanging indent.
        lines = []
        for line in self.text_lines(self.frame, width):
            if cell_len(line.plain) <= width:
                lines.append(line)
            else:
                lines.extend(wrap_hanging(line, width))
        self._set_lines(lines, width)

    def _set_lines(self, lines: list[Text], width: int) -> None:
        self._lines = lines
        self._epoch = self.frame.epoch if self.frame is not None else 0
        if self._wrapped_width != width:
            self._wrapped_width = width
            self.set_count(len(lines))
        else:
            self.show_lines(len(lines))

    def line_key(self, index: int) -> object:
        return (self._epoch, self._lines[index]) if index < len(self._lines) else None

    def line_text(self, index: int) -> Text:
        return self._lines[index].copy()

    def on_resize(self) -> None:
        self._cache.clear()
        self._draw()

    def laid_out(self) -> None:
        # The text wrapped to the new width now, so that the frame shows its
        # scrollbar's thumb too. (Drawn lazily in render_lines instead, the
        # thumb came a frame later: the first screen was complete a frame late.)
        self._rewrap()

    def render_lines(self, crop: Region) -> list[Strip]:
        # A border that comes with focus narrows the text without a Resize
        # event: the width is checked where it is used.
        self._rewrap()
        return super().render_lines(crop)

    def _rewrap(self) -> None:
        """The text drawn again if the pane's width is not the one it was wrapped to."""
        width = self.scrollable_content_region.width
        if width > 0 and width != self._wrapped_width and self.is_mounted:
            self._draw()
