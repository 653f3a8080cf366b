"""The key bar: the keys that matter most, in the order they matter, on one line.

Textual's Footer lists the bindings of whatever has focus and rebuilds a
widget per key each time focus or the screen changes (a sixth of the time a
burst of keys took in a profile); the debugger's keys do not depend on focus,
so one line of text, fitted to the width, says the same for nothing.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

# (keys, what they do), most important first: what does not fit is left out
# from the end, never cut in the middle.
KEYS: tuple[tuple[str, str], ...] = (
    ("?", "help"),
    ("f", "failing"),
    ("q", "quit"),
    ("n", "step"),
    ("p", "back"),
    ("N", "neuron"),
    ("L", "layer"),
    ("c", "continue"),
    ("b", "break"),
    ("e", "edit"),
    ("u", "undo"),
    ("x", "explain"),
    ("[ ]", "sample"),
    ("v", "neuron/layer"),
    ("s", "save"),
    ("1-4", "views"),
    ("^p", "palette"),
)
GAP = "  "


def key_line(width: int, keys: tuple[tuple[str, str], ...] = KEYS) -> Content:
    """As many of ``keys`` as fit in ``width`` cells, whole, in order."""
    parts: list[str | tuple[str, str]] = []
    used = 0
    for key, label in keys:
        piece = len(key) + 1 + len(label) + (len(GAP) if parts else 0)
        if used + piece > width:
            break
        if parts:
            parts.append(GAP)
        parts += [(key, "bold $accent"), (f" {label}", "$text-muted")]
        used += piece
    return Content.assemble(*parts)


class KeyBar(Static):
    """One line at the bottom of the debugger."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    _width: int | None = None  # the width its line was fitted to

    def on_mount(self) -> None:
        # Docked along the bottom of the screen, it is the screen's width less
        # its padding: fitted now, its line is in the screen's first frame
        # instead of a frame after the first layout.
        self._fit(self.screen.size.width - self.styles.gutter.width)

    def on_resize(self) -> None:
        self._fit(self.size.width)

    def _fit(self, width: int) -> None:
        width = max(0, width)
        if width != self._width:  # the same line again would be one more paint
            self._width = width
            self.update(key_line(width), layout=False)  # one line, whatever it says
