"""The Network pane: inputs, layers and neurons, each with z and a once computed."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from ...engine import ACTIVATE, BIAS, NORMALIZE, Session
from ...engine.numbers import fmt
from .lines import LineList, pieces_strip

INPUTS, INPUT, LAYER, NEURON, CHANGE = range(5)  # the kinds of row
STEPS_REDRAWN = 64  # a move over more steps than this redraws the whole pane


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

    def __init__(self, session: Session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.failing: frozenset[tuple[int, int]] = frozenset()  # neurons with a problem here
        self.noted: frozenset[tuple[int, int]] = frozenset()  # neurons with only notes here
        self._kind = np.zeros(0, np.int8)  # per row: INPUTS, INPUT, LAYER, NEURON or CHANGE
        self._layer = np.zeros(0, np.int32)
        self._index = np.zeros(0, np.int32)  # the input or neuron of the row
        self._layer_row: list[int] = []  # the header row of each layer
        self._neuron_row: list[np.ndarray] = []  # per layer: the row of each neuron
        self._rows_for: tuple[int, int] | None = None  # (edit result id, sample) the rows show
        self._shown: tuple | None = None  # what the lines on screen were drawn from
        self._shown_cursor: int | None = None
        self._current = 0  # the highlighted row

    def on_mount(self) -> None:
        self._build_rows()
        self.show()

    def _build_rows(self) -> None:
        """One row per input, layer and neuron, plus an old → new row under
        each neuron the last edit changed in this sample. Rows are NumPy
        columns (kind, layer, index): a 4096-unit layer costs no Python loop."""
        s = self.session
        net = s.network
        result = s.last_result if s.last_result is not None and s.last_result.sample == s.sample_index else None
        self._rows_for = (id(result), s.sample_index)
        kinds = [np.array([INPUTS], np.int8), np.full(net.n_inputs, INPUT, np.int8)]
        layers = [np.array([-1], np.int32), np.full(net.n_inputs, -1, np.int32)]
        indices = [np.array([-1], np.int32), np.arange(net.n_inputs, dtype=np.int32)]
        offset = 1 + net.n_inputs
        self._layer_row = []
        self._neuron_row = []
        for l, layer in enumerate(net.layers):
            self._layer_row.append(offset)
            changed = np.zeros(layer.units, bool)
            if result is not None and l in result.before:
                changed = result.changed_mask(l, "z") | result.changed_mask(l, "a")
            counts = 1 + changed.astype(np.int32)  # a changed neuron has a "was …" row under it
            starts = np.cumsum(counts) - counts
            kind = np.full(int(counts.sum()), CHANGE, np.int8)
            kind[starts] = NEURON
            kinds += [np.array([LAYER], np.int8), kind]
            layers += [np.full(1 + kind.size, l, np.int32)]
            indices += [np.array([-1], np.int32), np.repeat(np.arange(layer.units, dtype=np.int32), counts)]
            self._neuron_row.append(offset + 1 + starts)
            offset += 1 + kind.size
        self._kind = np.concatenate(kinds)
        self._layer = np.concatenate(layers)
        self._index = np.concatenate(indices)

    def show(self, failing: frozenset[tuple[int, int]] | None = None,
             noted: frozenset[tuple[int, int]] | None = None) -> None:
        """Redraw from the session (call after any change of cursor, sample or values)."""
        if failing is not None:
            self.failing = failing
        if noted is not None:
            self.noted = noted
        s = self.session
        result = s.last_result if s.last_result is not None and s.last_result.sample == s.sample_index else None
        if self._rows_for != (id(result), s.sample_index):
            self._build_rows()
        shown = (self._rows_for, s.values_version, s.granularity, id(s.plan), frozenset(s.breakpoints),
                 self.failing, self.noted)
        current = self._row_at(s.cursor)
        touched = self._rows_touched(self._shown_cursor, s.cursor, current) if shown == self._shown else None
        self._shown, self._shown_cursor, self._current = shown, s.cursor, current
        if touched is None:
            self.set_count(self._kind.size)
        else:
            self.update_lines(self._kind.size, touched)
        self.keep_visible(current, center=True)

    def forget(self) -> None:
        super().forget()
        self._rows_for = None
        self._shown_cursor = None

    def _rows_touched(self, old: int | None, new: int, new_row: int) -> set[int] | None:
        """The rows a move of the cursor from ``old`` to ``new`` redraws: the
        rows highlighted before and after and the neurons of the steps in
        between (None: too many, or a step of a whole layer or of the inputs)."""
        if old is None:
            return None
        lo, hi = sorted((old, new))
        if hi - lo > STEPS_REDRAWN:
            return None
        plan = self.session.plan
        rows = {self._current, new_row}
        for k in range(max(lo, 0), hi + 1):
            step = plan[k]
            if step.layer < 0 or step.neuron is None:
                return None
            rows.add(self.row_of(step.layer, step.neuron))
        return rows

    def current_row(self) -> int:
        """The highlighted row (as of the last ``show``)."""
        return self._current

    def _row_at(self, cursor: int) -> int:
        """The row highlighted when the cursor is at step ``cursor``."""
        if cursor < 0:
            return 0
        step = self.session.plan[cursor]
        if step.kind == NORMALIZE:
            return 0
        return self.row_of(step.layer, -1 if step.neuron is None else step.neuron)

    def row_of(self, layer: int, neuron: int) -> int:
        """The row of a neuron (-1: of the layer's header)."""
        if neuron < 0:
            return self._layer_row[layer]
        return int(self._neuron_row[layer][neuron])

    # -- drawing -------------------------------------------------------------------
    def _style(self, name: str) -> str:
        return self.get_component_rich_style(f"network--{name}")

    def line_text(self, index: int) -> Text:
        kind, l, j = int(self._kind[index]), int(self._layer[index]), int(self._index[index])
        s = self.session
        current = index == self._current
        if kind == INPUTS:
            norm = " → normalised x'" if s.network.normalization is not None else ""
            text = Text.assemble(("inputs ", self._style("layer")), f"({s.network.n_inputs}){norm}")
        elif kind == INPUT:
            text = self._input_line(j)
        elif kind == LAYER:
            layer = s.network.layers[l]
            bp = "●" if (l, None) in s.breakpoints else " "
            text = Text.assemble(
                (bp, self._style("breakpoint")),
                (f"L{l + 1} {layer.name}", self._style("layer")),
                f" · {layer.activation} · {layer.units} units",
            )
        elif kind == CHANGE:
            text = self._change_line(l, j)
        else:
            text = self._neuron_line(l, j)
        if current:
            text.stylize(self._style("current"))
        return text

    def _input_line(self, i: int) -> Text:
        s = self.session
        st = s.sample_trace
        name_w = max(4, min(14, self.scrollable_content_region.width - 24))
        text = Text(f"  {s.network.feature_name(i):<{name_w}.{name_w}} {fmt(st.x_raw[i]):>8}")
        if s.network.normalization is not None and s.done(-1, None, NORMALIZE):
            text.append(f" → {fmt(st.x[i], 4)}")
        result = s.last_result
        if result is not None and result.edit.target.kind == "input" and result.edit.target.index == i and result.sample == s.sample_index:
            text.append(f" was {fmt(result.edit.old)}", self._style("changed"))
        return text

    def _neuron_pieces(self, l: int, j: int, width: int) -> list[tuple[str, Style | None]]:
        """A neuron's row as (text, style) pieces: breakpoint, failing flag,
        name, then z and a (or · while not computed)."""
        s = self.session
        layer = s.network.layers[l]
        st = s.sample_trace
        pieces: list[tuple[str, Style | None]] = [
            ("●" if (l, j) in s.breakpoints else " ", self._style("breakpoint")),
            ("✗", self._style("failing")) if (l, j) in self.failing
            else ("○", self._style("noted")) if (l, j) in self.noted else (" ", None),
        ]
        # never round 166.5 to 166: shrink the name instead; room for "−0.7587"
        # plus a space when the pane is wide enough
        num_w, digits = (8 if width >= 31 else 7), 4
        name_w = max(3, min(14, width - 3 - 2 * (2 + num_w)))
        pieces.append((f" {layer.neuron_name(j):<{name_w}.{name_w}}", None))
        neuron = None if s.granularity == "layer" else j
        below = self.row_of(l, j) + 1
        changed = below < self._kind.size and self._kind[below] == CHANGE
        for quantity, kind, values in (("z", BIAS, st.z(l)), ("a", ACTIVATE, st.a(l))):
            # softmax's activation is one step for the whole layer
            layer_step = kind == ACTIVATE and layer.activation == "softmax"
            if not s.done(l, None if layer_step else neuron, kind):
                pieces.append((f" {quantity}{'·':>{num_w}}", self._style("pending")))
                continue
            value = fmt(values[j], digits)
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
        if self._kind[index] != NEURON:
            return super().draw_line(index, width, style)
        pieces = self._neuron_pieces(int(self._layer[index]), int(self._index[index]), width)
        return pieces_strip(pieces, width, style, self._style("current") if index == self._current else None)

    def _change_line(self, l: int, j: int) -> Text:
        """'was z 166.5 a 1 · Δz −166' under a neuron the last edit changed."""
        result = self.session.last_result
        assert result is not None
        text = Text("     was", self._style("changed"))
        deltas = []
        for quantity in ("z", "a"):
            c = result.changed(l, j, quantity)
            if c is not None:
                text.append(f" {quantity} {fmt(c.old, 4)}", self._style("changed"))
                deltas.append(f"Δ{quantity} {fmt(c.delta, 3)}")
        text.append("  " + " ".join(deltas), "dim")
        return text
