"""The Network pane: inputs, layers and neurons, each with z and a once computed.

While it has focus a cursor walks its neuron rows (↑/↓, a click): Enter goes
to the cursor's neuron, ``b`` puts a breakpoint on it. The cursor is the
pane's own; what it asks for goes up as a Message (JumpTo, ToggleBreakpoint).
It follows the step: each time the step moves to another neuron, the cursor
stands on it again.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.strip import Strip

from ..frame import Frame
from ..messages import JumpTo, ToggleBreakpoint
from ..network_section import CHANGE, INPUT_ROW, INPUTS, LAYER, NEURON, THEIRS, NetworkFrame, NetworkRows
from .lines import LineList, pieces_strip

Place = tuple[int, int | None]  # (layer, neuron); neuron None: the layer's header row


class NetworkPane(LineList, inherit_bindings=False):
    """Every neuron of the network, one line each (Line API: big layers are cheap)."""

    BORDER_TITLE = "Network"
    # Not the scrolling keys of a ScrollView: Home and End stay the debugger's
    # (the start and the end of the pass).
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="network.up",
                tooltip="move the neuron cursor"),
        Binding("down", "cursor(1)", "Down", show=False, id="network.down",
                tooltip="move the neuron cursor"),
        Binding("pageup", "cursor_page(-1)", "Page up", show=False, id="network.pageup",
                tooltip="move the neuron cursor"),
        Binding("pagedown", "cursor_page(1)", "Page down", show=False, id="network.pagedown",
                tooltip="move the neuron cursor"),
        Binding("enter", "go", "Go", show=False, id="network.go",
                tooltip="go to the cursor's neuron (its first step)"),
        Binding("b", "breakpoint", "Break", show=False, id="network.breakpoint",
                tooltip="breakpoint on the cursor's neuron (on a layer's row: the layer)"),
    ]
    COMPONENT_CLASSES = {
        "network--cursor",
        "network--current",
        "network--layer",
        "network--breakpoint",
        "network--failing",
        "network--noted",
        "network--verified",
        "network--unverified",
        "network--changed",
        "network--pending",
    }
    DEFAULT_CSS = """
    NetworkPane .network--cursor { text-style: reverse; }
    NetworkPane .network--current { background: $accent 40%; text-style: bold; }
    NetworkPane .network--layer { color: $primary; text-style: bold; }
    NetworkPane .network--breakpoint { color: $error; }
    NetworkPane .network--failing { color: $warning; text-style: bold; }
    NetworkPane .network--noted { color: $warning 60%; }
    NetworkPane .network--verified { color: $success; }
    NetworkPane .network--unverified { color: $error; text-style: bold; }
    NetworkPane .network--changed { color: $success; text-style: bold; }
    NetworkPane .network--pending { color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._current = 0  # the highlighted row
        self._cursor: Place = (0, 0)  # where the cursor stands
        self._cursor_row = -1  # its row (as of the last ``show`` or move)
        self._followed: object = ()  # the step's place the cursor last followed
        self._moved = False  # moved by ↑/↓ or a click since it last followed the step
        self._starts: tuple[int, ...] = ()  # per layer: its first neuron's place in the list of every neuron

    def show(self, frame: Frame) -> None:
        """Draw ``frame``: the lines on screen whose key changed are drawn again."""
        super().show(frame)
        net = frame.network
        self._current = net.current_row
        if not self._starts:
            self._starts = tuple(accumulate((layer.units for layer in net.layers), initial=0))
        if net.current != self._followed:
            self._followed = net.current
            self._cursor, self._moved = self._step_place(net), False
        self._cursor_row = net.values.rows.row_of(*self._cursor)
        self.show_lines(net.values.rows.kind.size)
        self.keep_visible(self._cursor_row if self._moved else self._current, center=True)

    def current_row(self) -> int:
        """The highlighted row (as of the last ``show``)."""
        return self._current

    def content_width(self) -> int | None:
        """As wide as its widest row (CSS ``width: auto``), as the frame measured it."""
        return self.frame.network.width if self.frame is not None and self.frame.network.width else None

    # -- the cursor ------------------------------------------------------------------
    @property
    def cursor(self) -> Place:
        """(layer, neuron) the cursor stands on; neuron None: a layer's header."""
        return self._cursor

    @property
    def cursor_row(self) -> int:
        return self._cursor_row

    @staticmethod
    def _step_place(net: NetworkFrame) -> Place:
        """Where the cursor stands while it follows the step: the step's neuron
        (a layer step: the layer's header), before the first step the first neuron."""
        return net.current if net.current is not None else (0, 0)

    def _place_of(self, k: int) -> Place:
        """The k-th neuron of the network, counting every layer's."""
        layer = bisect_right(self._starts, k) - 1
        return layer, k - self._starts[layer]

    def move_cursor(self, place: Place) -> None:
        """Stand the cursor on ``place`` and keep it on screen."""
        if self.frame is None:
            return
        rows = self.frame.network.values.rows
        old = self._cursor_row
        self._cursor, self._moved = place, True
        self._cursor_row = rows.row_of(*place)
        for row in {old, self._cursor_row}:
            if 0 <= row < self.line_count:
                self.refresh_line(row)
        self.keep_visible(self._cursor_row)

    def action_cursor(self, delta: int) -> None:
        if self.frame is None or not self._starts:
            return
        layer, neuron = self._cursor
        start, total = self._starts[layer], self._starts[-1]
        # From a layer's header one step down is its first neuron, one up the
        # last neuron of the layer before.
        k = start + neuron + delta if neuron is not None else start + delta - (delta > 0)
        place = self._place_of(max(0, min(total - 1, k)))
        if place != self._cursor:
            self.move_cursor(place)

    def action_cursor_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_go(self) -> None:
        if self.frame is not None:
            self.post_message(JumpTo(*self._cursor))

    def action_breakpoint(self) -> None:
        if self.frame is not None:
            self.post_message(ToggleBreakpoint(*self._cursor))

    def on_click(self, event: events.Click) -> None:
        """A click on a neuron (or a layer's header) moves the cursor there and goes to it."""
        offset = event.get_content_offset(self)
        if offset is None or self.frame is None:
            return
        rows = self.frame.network.values.rows
        index = int(self.scroll_y) + offset.y
        if not 0 <= index < rows.kind.size:
            return
        kind, layer, neuron = int(rows.kind[index]), int(rows.layer[index]), int(rows.index[index])
        if kind in (NEURON, CHANGE, THEIRS):  # a "was …" or "yours …" row belongs to the neuron above it
            place: Place = (layer, neuron)
        elif kind == LAYER:
            place = (layer, None)
        else:
            return
        event.stop()
        self.move_cursor(place)
        self.post_message(JumpTo(*place))

    def on_resize(self) -> None:
        # (LineList's on_resize runs too: Textual calls each class's handler.)
        # A shorter pane keeps the row the user follows on screen.
        if self.frame is not None:
            self.keep_visible(self._cursor_row if self._moved else self._current, center=True)

    def on_focus(self) -> None:
        self.refresh()  # the cursor shows while the pane has focus

    def on_blur(self) -> None:
        self.refresh()

    def _cursor_on(self, index: int) -> bool:
        return index == self._cursor_row and self.has_focus

    def line_key(self, index: int) -> object:
        """What a row is drawn from: its own numbers (not the values' stamp,
        which changes with any of them), so an edit repaints only the rows
        that read differently; whether it is the current row or has the
        cursor; for a neuron: computed yet, flagged, a breakpoint. And the
        frame's epoch: a frame built from scratch draws everything again."""
        assert self.frame is not None
        net = self.frame.network
        values = net.values
        rows = values.rows
        kind, l, j = int(rows.kind[index]), int(rows.layer[index]), int(rows.index[index])
        key: tuple = (self.frame.epoch, kind, l, j, self._lit(index), self._cursor_on(index), net.number_width)
        if kind == NEURON:
            where = (l, j)
            z_done, a_done = bool(net.z_done[l][j]), bool(net.a_done[l][j])
            # (None, not False, for a number not computed: False == 0.0)
            return key + (float(values.z[l][j]) if z_done else None, float(values.a[l][j]) if a_done else None,
                          _was_below(rows, index), where in values.failing, where in values.noted, where in net.breakpoints,
                          values.verified.get(where), net.verifying, net.name_width)
        if kind == INPUT_ROW:
            normalised = float(values.x[j]) if net.normalised and net.x_done else None
            was = values.input_was[1] if values.input_was is not None and values.input_was[0] == j else None
            return key + (float(values.x_raw[j]), normalised, was, net.name_width)
        if kind == CHANGE:
            return key + tuple(None if c is None else (c.old, c.delta) for c in values.was(l, j))
        if kind == THEIRS:
            return key + (bool(net.a_done[l][j]), values.theirs[(l, j)])
        if kind == LAYER:
            return key + ((l, None) in net.breakpoints,)
        return key + (net.normalised,)  # the inputs' header

    # -- drawing -------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"network--{name}")

    def line_text(self, index: int) -> Text:
        assert self.frame is not None
        net = self.frame.network
        rows = net.values.rows
        kind, l, j = int(rows.kind[index]), int(rows.layer[index]), int(rows.index[index])
        if kind == INPUTS:
            norm = " → normalised x'" if net.normalised else ""
            text = Text.assemble(("inputs ", self._style("layer")), f"({net.n_inputs}){norm}")
        elif kind == INPUT_ROW:
            text = self._input_line(j)
        elif kind == LAYER:
            layer = net.layers[l]
            bp = "●" if (l, None) in net.breakpoints else " "
            text = Text.assemble(
                (bp, self._style("breakpoint")),
                (f"L{l + 1} {layer.name}", self._style("layer")),
                f" · {layer.activation} · {layer.units} units",
            )
        elif kind == CHANGE:
            text = self._change_line(l, j)
        elif kind == THEIRS:
            text = self._theirs_line(l, j)
        else:
            text = self._neuron_line(l, j)
        if self._lit(index):
            text.stylize(self._style("current"))
        return text

    def _lit(self, index: int) -> bool:
        """Is the row highlighted: the step's row, or a row of the layer a backward step is about?"""
        assert self.frame is not None
        net = self.frame.network
        if index == self._current:
            return True
        rows = net.values.rows
        return net.lit_layer is not None and int(rows.layer[index]) == net.lit_layer and int(rows.kind[index]) in (NEURON, LAYER)

    def _input_line(self, i: int) -> Text:
        assert self.frame is not None
        net = self.frame.network
        values = net.values
        # the name and number columns of the neurons' rows
        num_w = net.number_width
        name_w = max(4, min(net.name_width, self.scrollable_content_region.width - 3 - 2 * (3 + num_w)))
        text = Text(f"  {net.feature_name(i):<{name_w}.{name_w}} {net.number(values.x_raw[i]):>{num_w}}")
        if net.normalised and net.x_done:
            text.append(f" → {net.number(values.x[i])}")
        if values.input_was is not None and values.input_was[0] == i:
            text.append(f" was {net.number(values.input_was[1])}", self._style("changed"))
        return text

    def _neuron_pieces(self, l: int, j: int, width: int) -> list[tuple[str, Style | None]]:
        """A neuron's row as (text, style) pieces: breakpoint, failing flag,
        name, then z and a (or · while not computed)."""
        assert self.frame is not None
        net = self.frame.network
        values = net.values
        pieces: list[tuple[str, Style | None]] = [
            ("●" if (l, j) in net.breakpoints else " ", self._style("breakpoint")),
            ("✗", self._style("failing")) if (l, j) in values.failing
            else ("○", self._style("noted")) if (l, j) in values.noted else (" ", None),
        ]
        # the columns the frame measured (a name at most name_width, each
        # number fitted to number_width, never cut); a narrower pane shrinks the name
        num_w = net.number_width
        mark_w = 2 if net.verifying else 0
        name_w = max(3, min(net.name_width, width - 3 - 2 * (3 + num_w) - mark_w))
        pieces.append((f" {net.layers[l].neuron_name(j):<{name_w}.{name_w}}", None))
        changed = _was_below(values.rows, values.rows.row_of(l, j))
        for quantity, done, numbers in (("z", net.z_done, values.z), ("a", net.a_done, values.a)):
            if not done[l][j]:
                pieces.append((f" {quantity} {'·':>{num_w}}", self._style("pending")))
                continue
            pieces.append((f" {quantity} {net.number(numbers[l][j]):>{num_w}}",
                           self._style("changed") if changed else None))
        if net.verifying:  # theirs against ours, shown once a is computed
            ok = values.verified.get((l, j))
            if ok is None or not net.a_done[l][j]:
                pieces.append(("  ", None))
            else:
                pieces.append((" ✓", self._style("verified")) if ok else (" ✗", self._style("unverified")))
        return pieces

    def _neuron_line(self, l: int, j: int) -> Text:
        text = Text()
        for piece, style in self._neuron_pieces(l, j, self.scrollable_content_region.width):
            text.append(piece, style)
        return text

    def draw_line(self, index: int, width: int, style: Style) -> Strip:
        """Neuron rows (most rows of a big network) go straight to segments."""
        assert self.frame is not None
        rows = self.frame.network.values.rows
        if rows.kind[index] != NEURON:
            strip = super().draw_line(index, width, style)
        else:
            pieces = self._neuron_pieces(int(rows.layer[index]), int(rows.index[index]), width)
            strip = pieces_strip(pieces, width, style, self._style("current") if self._lit(index) else None)
        # the cursor across the whole width of its row
        return strip.apply_style(self._style("cursor")) if self._cursor_on(index) else strip

    def _theirs_line(self, l: int, j: int) -> Text:
        """'yours a 0.0024' under a neuron the verified code got wrong, once
        its a is computed (· before: nothing is shown before its step)."""
        assert self.frame is not None
        net = self.frame.network
        quantity, value = net.values.theirs[(l, j)]
        shown = net.number(value) if net.a_done[l][j] else "·"
        return Text(f"     yours {quantity} {shown}", self._style("unverified"))

    def _change_line(self, l: int, j: int) -> Text:
        """'was z 166.5 a 1  Δz −166' under a neuron the last edit changed
        (the Δs only where the pane has room: the Changes view lists them)."""
        assert self.frame is not None
        net = self.frame.network
        text = Text("     was", self._style("changed"))
        deltas = []
        for quantity, c in zip(("z", "a"), net.values.was(l, j)):
            if c is not None:
                text.append(f" {quantity} {net.number(c.old)}", self._style("changed"))
                deltas.append(f"Δ{quantity} {net.number(c.delta)}")
        room = self.scrollable_content_region.width - text.cell_len - 2
        while deltas and len(" ".join(deltas)) > room:
            deltas.pop()
        if deltas:
            text.append("  " + " ".join(deltas), "dim")
        return text


def _was_below(rows: NetworkRows, row: int) -> bool:
    """Has the neuron on ``row`` a "was …" row under it (the last edit changed it)?"""
    below = row + 1
    return below < rows.kind.size and bool(rows.kind[below] == CHANGE)
