"""The debugger's views, a tab each, with the underline in its first frame.

Textual puts the underline beneath the active tab a frame after the tabs are
first laid out (it reads the tab's place on screen), so the debugger's first
screen took one more paint to be complete: a full frame of its launch. The
tabs are plain labels in a row, so where the first active one sits is known
before any layout; the underline is put there on mount, and Textual's own
placement, a frame later, finds it there already and repaints nothing.
"""

from __future__ import annotations

from textual.widgets import Tab, TabbedContent, TabPane


class Views(TabbedContent):
    def __init__(self, *, initial: str, id: str | None = None) -> None:
        super().__init__(initial=initial, id=id)
        self._first = initial

    def on_mount(self) -> None:
        panes = [pane.id for pane in self.query(TabPane)]
        tabs = list(self.query(Tab))  # in the panes' order, in one row
        if self._first not in panes or len(tabs) != len(panes):
            return  # Textual places it, a frame later
        start = 0
        for tab in tabs[: panes.index(self._first)]:
            start += tab.styles.gutter.width + tab.label.cell_length
        tab = tabs[panes.index(self._first)]
        start += tab.styles.gutter.left
        underline = self.query_one("Underline")
        underline.highlight_start = start  # type: ignore[attr-defined]
        underline.highlight_end = start + tab.label.cell_length  # type: ignore[attr-defined]
