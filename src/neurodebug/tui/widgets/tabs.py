"""The debugger's views, a tab each: their names on a bar over the view shown.

One widget draws the bar: the names on one line and, under them, a rule
marked beneath the view shown. Textual's TabbedContent draws the same with a
widget per name, their underline, three containers and a TabPane around
each view; each of those is styled when the screen is mounted and visited by
the compositor on every frame that repaints the column: about 1.8 ms of a
key that repaints the whole screen (L, G), and more of the launch
(``benchmarks/README.md``). It reads as Textual's does: the
names muted and the shown one bright over its mark; a click on a name shows
its view; the names scroll when the column is too narrow for them all,
keeping the shown one in sight. It takes no focus: ←/→ are the debugger's
step keys, and 1-6 show the views (Textual's bar was a stop for Tab that no
key could use).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import ContentSwitcher

GAP = 1  # cells before each name
RULE, RULE_END_LEFT, RULE_START_RIGHT = "━", "╸", "╺"  # as Textual's tab underline draws them


class TabBar(Widget):
    """The views' names and the rule under them (two lines, the Line API)."""

    DEFAULT_CSS = """
    TabBar {
        height: 2;
    }
    TabBar > .tab-bar--name {
        color: $foreground 50%;
    }
    TabBar > .tab-bar--shown {
        color: $foreground;
    }
    TabBar > .tab-bar--rule {
        color: $foreground 10%;
    }
    TabBar > .tab-bar--mark {
        color: $block-cursor-background;
    }
    """
    COMPONENT_CLASSES = {"tab-bar--name", "tab-bar--shown", "tab-bar--rule", "tab-bar--mark"}

    class Picked(Message):
        """A name clicked: show that view."""

        def __init__(self, tab: str) -> None:
            super().__init__()
            self.tab = tab

    def __init__(self, tabs: Sequence[tuple[str, str]], shown: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tabs = tuple(tabs)  # (id, name), in order
        self._shown = shown
        self._drawn: dict[int, tuple[tuple, Strip]] = {}  # line → (what it was drawn from, strip)

    @property
    def shown(self) -> str:
        return self._shown

    @shown.setter
    def shown(self, tab: str) -> None:
        if tab != self._shown:
            self._shown = tab
            self.refresh()

    def _layout(self) -> tuple[dict[str, tuple[int, int]], int]:
        """Each name's (first cell, end) on the whole bar, and how far the bar
        is scrolled: as little as shows the shown name whole."""
        spans, x = {}, 0
        for tab, name in self.tabs:
            x += GAP
            spans[tab] = (x, x + cell_len(name))
            x += cell_len(name)
        return spans, max(0, spans[self._shown][1] - self.size.width)

    def spans(self) -> dict[str, tuple[int, int]]:
        """Where each name is now: (first cell, end) from the bar's left edge."""
        spans, offset = self._layout()
        return {tab: (start - offset, end - offset) for tab, (start, end) in spans.items()}

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        styles = tuple(base + self.get_component_rich_style(name) for name in
                       ("tab-bar--name", "tab-bar--shown", "tab-bar--rule", "tab-bar--mark"))
        key = (width, self._shown, styles)
        hit = self._drawn.get(y)
        if hit is not None and hit[0] == key:
            return hit[1]
        name_style, shown_style, rule_style, mark_style = styles
        spans, offset = self._layout()
        if y == 0:
            segments = []
            for tab, name in self.tabs:
                segments += [Segment(" " * GAP, base), Segment(name, shown_style if tab == self._shown else name_style)]
            strip = Strip(segments).crop(offset, offset + width)
        elif y == 1:
            start, end = (max(0, min(width, x - offset)) for x in spans[self._shown])
            segments = [Segment(RULE * max(0, start - 1), rule_style)]
            if start > 0:
                segments.append(Segment(RULE_END_LEFT, rule_style))
            segments.append(Segment(RULE * (end - start), mark_style))
            if end < width:
                segments += [Segment(RULE_START_RIGHT, rule_style), Segment(RULE * (width - end - 1), rule_style)]
            strip = Strip(segments)
        else:
            strip = Strip([])
        strip = strip.extend_cell_length(width, base).crop(0, width)
        self._drawn[y] = (key, strip)
        return strip

    def on_click(self, event: events.Click) -> None:
        for tab, (start, end) in self.spans().items():
            if start - GAP <= event.x < end:
                self.post_message(self.Picked(tab))
                return

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()


class Views(Vertical):
    """A TabBar over a ContentSwitcher of the views, one shown at a time.

    The view shown first is mounted with the bar; each other one when it is
    first shown (``first_shown`` is told of it at once, to hand it what to
    show): mounting the five others cost the launch about 10 ms, and a
    session shows few of them."""

    DEFAULT_CSS = """
    Views > ContentSwitcher {
        height: 1fr;
    }
    """

    class TabActivated(Message):
        """A view shown (a key, a click on its name)."""

        def __init__(self, tab: str) -> None:
            super().__init__()
            self.tab = tab

    def __init__(self, views: Sequence[tuple[str, str, Widget]], *, initial: str, id: str | None = None,
                 first_shown: Callable[[Widget], None] | None = None) -> None:
        """``views``: (tab id, name on the bar, the view widget, which has an id of its own)."""
        super().__init__(id=id)
        self._views = tuple(views)
        self._active = initial
        self._view = {tab: view for tab, _, view in views}
        self._first_shown = first_shown

    def compose(self) -> ComposeResult:
        yield TabBar([(tab, name) for tab, name, _ in self._views], self._active)
        view = self._view[self._active]
        yield ContentSwitcher(view, initial=view.id)

    @property
    def active(self) -> str:
        """The id of the view shown."""
        return self._active

    @active.setter
    def active(self, tab: str) -> None:
        if tab not in self._view:
            raise ValueError(f"no view {tab!r}")
        if tab == self._active:
            return
        self._active = tab
        switcher = self.query_one(ContentSwitcher)
        view = self._view[tab]
        if view.parent is None:  # shown for the first time: in the DOM now, composed by the next frame
            switcher.mount(view)
            if self._first_shown is not None:
                self._first_shown(view)
        switcher.current = view.id
        self.query_one(TabBar).shown = tab
        self.post_message(self.TabActivated(tab))

    @on(TabBar.Picked)
    def _picked(self, message: TabBar.Picked) -> None:
        message.stop()
        self.active = message.tab
