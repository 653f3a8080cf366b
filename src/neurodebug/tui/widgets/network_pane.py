"""The Network pane: inputs, layers and neurons, each with z and a once computed."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from ...engine.numbers import fmt
from ..frame import Frame
from ..network_section import CHANGE, INPUT_ROW, INPUTS, LAYER, NEURON
from .lines import LineList, pieces_strip


class NetworkPane(LineList):
    """Every neuron of the network, one line each (Line API: big layers are cheap)."""

    BORDER_TITLE = "Network"
    COMPONENT_CLASSES = {
        "network--current",
        "network--layer",
        "network--breakpoint",
        "network--failing",
        "network--noted",
        "network--changed",
        "network--pending",
    }
    DEFAULT_CSS = """
    NetworkPane .network--current { background: $accent 40%; text-style: bold; }
    NetworkPane .network--layer { color: $primary; text-style: bold; }
    NetworkPane .network--breakpoint { color: $error; }
    NetworkPane .network--failing { color: $warning; text-style: bold; }
    NetworkPane .network--noted { color: $warning 60%; }
    NetworkPane .network--changed { color: $success; text-style: bold; }
    NetworkPane .network--pending { color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._current = 0  # the highlighted row

    def show(self, frame: Frame) -> None:
        """Draw ``frame``: the lines on screen whose key changed are drawn again."""
        super().show(frame)
        net = frame.network
        self._current = net.current_row
        self.show_lines(net.values.rows.kind.size)
        self.keep_visible(self._current, center=True)

    def current_row(self) -> int:
        """The highlighted row (as of the last ``show``)."""
        return self._current

    def line_key(self, index: int) -> object:
        """A row is drawn from the sample's values (their stamp), whether it
        is the current row, and for a neuron: computed yet, flagged, a
        breakpoint. (The rows themselves come with the values.)"""
        assert self.frame is not None
        net = self.frame.network
        rows = net.values.rows
        kind, l, j = int(rows.kind[index]), int(rows.layer[index]), int(rows.index[index])
        key: tuple = (net.values.stamp, index == self._current)
        if kind == NEURON:
            where = (l, j)
            return key + (bool(net.z_done[l][j]), bool(net.a_done[l][j]), where in net.values.failing,
                          where in net.values.noted, where in net.breakpoints)
        if kind == LAYER:
            return key + ((l, None) in net.breakpoints,)
        if kind == INPUT_ROW:
            return key + (net.x_done,)
        return key

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
        else:
            text = self._neuron_line(l, j)
        if index == self._current:
            text.stylize(self._style("current"))
        return text

    def _input_line(self, i: int) -> Text:
        assert self.frame is not None
        net = self.frame.network
        values = net.values
        name_w = max(4, min(14, self.scrollable_content_region.width - 24))
        text = Text(f"  {net.feature_name(i):<{name_w}.{name_w}} {fmt(values.x_raw[i]):>8}")
        if net.normalised and net.x_done:
            text.append(f" → {fmt(values.x[i], 4)}")
        if values.input_was is not None and values.input_was[0] == i:
            text.append(f" was {fmt(values.input_was[1])}", self._style("changed"))
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
        # never round 166.5 to 166: shrink the name instead; room for "−0.7587"
        # plus a space when the pane is wide enough
        num_w, digits = (8 if width >= 31 else 7), 4
        name_w = max(3, min(14, width - 3 - 2 * (2 + num_w)))
        pieces.append((f" {net.layers[l].neuron_name(j):<{name_w}.{name_w}}", None))
        rows = values.rows
        below = rows.row_of(l, j) + 1
        changed = below < rows.kind.size and rows.kind[below] == CHANGE
        for quantity, done, numbers in (("z", net.z_done, values.z), ("a", net.a_done, values.a)):
            if not done[l][j]:
                pieces.append((f" {quantity}{'·':>{num_w}}", self._style("pending")))
                continue
            value = fmt(numbers[l][j], digits)
            # a number wider than its column still stands apart from its letter
            cell = value.rjust(num_w) if len(value) < num_w else " " + value
            pieces.append((f" {quantity}{cell}", self._style("changed") if changed else None))
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
            return super().draw_line(index, width, style)
        pieces = self._neuron_pieces(int(rows.layer[index]), int(rows.index[index]), width)
        return pieces_strip(pieces, width, style, self._style("current") if index == self._current else None)

    def _change_line(self, l: int, j: int) -> Text:
        """'was z 166.5 a 1 · Δz −166' under a neuron the last edit changed."""
        assert self.frame is not None
        text = Text("     was", self._style("changed"))
        deltas = []
        for quantity, c in zip(("z", "a"), self.frame.network.values.was(l, j)):
            if c is not None:
                text.append(f" {quantity} {fmt(c.old, 4)}", self._style("changed"))
                deltas.append(f"Δ{quantity} {fmt(c.delta, 3)}")
        text.append("  " + " ".join(deltas), "dim")
        return text
