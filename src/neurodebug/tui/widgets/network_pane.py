"""The Network pane: inputs, layers and neurons, each with z and a once computed."""

from __future__ import annotations

from rich.text import Text

from ...engine import ACTIVATE, BIAS, NORMALIZE, Session
from ...engine.numbers import fmt
from .lines import LineList

INPUTS, INPUT, LAYER, NEURON, CHANGE = "inputs", "input", "layer", "neuron", "change"


class NetworkPane(LineList):
    """Every neuron of the network, one line each (Line API: big layers are cheap)."""

    BORDER_TITLE = "Network"
    COMPONENT_CLASSES = {
        "network--current",
        "network--layer",
        "network--breakpoint",
        "network--failing",
        "network--changed",
        "network--pending",
    }
    DEFAULT_CSS = """
    NetworkPane .network--current { background: $accent 40%; text-style: bold; }
    NetworkPane .network--layer { color: $primary; text-style: bold; }
    NetworkPane .network--breakpoint { color: $error; }
    NetworkPane .network--failing { color: $warning; text-style: bold; }
    NetworkPane .network--changed { color: $success; text-style: bold; }
    NetworkPane .network--pending { color: $text-muted; }
    """

    def __init__(self, session: Session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.failing: frozenset[tuple[int, int]] = frozenset()
        self._rows: list[tuple[str, int, int]] = []
        self._row_of_neuron: dict[tuple[int, int], int] = {}
        self._rows_for: tuple[int, int] | None = None  # (edit result id, sample) the rows show

    def on_mount(self) -> None:
        self._build_rows()
        self.show()

    def _build_rows(self) -> None:
        """One row per input, layer and neuron, plus an old → new row under
        each neuron the last edit changed in this sample."""
        s = self.session
        net = s.network
        result = s.last_result if s.last_result is not None and s.last_result.sample == s.sample_index else None
        self._rows_for = (id(result), s.sample_index)
        rows: list[tuple[str, int, int]] = [(INPUTS, -1, -1)]
        rows += [(INPUT, -1, i) for i in range(net.n_inputs)]
        self._row_of_neuron = {}
        for l, layer in enumerate(net.layers):
            rows.append((LAYER, l, -1))
            self._row_of_neuron[(l, -1)] = len(rows) - 1
            changed = set()
            if result is not None and l in result.before:
                mask = result.changed_mask(l, "z") | result.changed_mask(l, "a")
                changed = set(int(j) for j in mask.nonzero()[0])
            for j in range(layer.units):
                self._row_of_neuron[(l, j)] = len(rows)
                rows.append((NEURON, l, j))
                if j in changed:
                    rows.append((CHANGE, l, j))
        self._rows = rows

    def show(self, failing: frozenset[tuple[int, int]] | None = None) -> None:
        """Redraw from the session (call after any change of cursor, sample or values)."""
        if failing is not None:
            self.failing = failing
        s = self.session
        result = s.last_result if s.last_result is not None and s.last_result.sample == s.sample_index else None
        if self._rows_for != (id(result), s.sample_index):
            self._build_rows()
        self.set_count(len(self._rows))
        self.keep_visible(self.current_row(), center=True)

    def current_row(self) -> int:
        step = self.session.step
        if step is None or step.kind == NORMALIZE:
            return 0
        return self._row_of_neuron[(step.layer, -1 if step.neuron is None else step.neuron)]

    def row_of(self, layer: int, neuron: int) -> int:
        return self._row_of_neuron[(layer, neuron)]

    # -- drawing -------------------------------------------------------------------
    def _style(self, name: str) -> str:
        return self.get_component_rich_style(f"network--{name}")

    def line_text(self, index: int) -> Text:
        kind, l, j = self._rows[index]
        s = self.session
        current = index == self.current_row()
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

    def _neuron_line(self, l: int, j: int) -> Text:
        s = self.session
        layer = s.network.layers[l]
        st = s.sample_trace
        bp = "●" if (l, j) in s.breakpoints else " "
        flag = "✗" if (l, j) in self.failing else " "
        text = Text.assemble((bp, self._style("breakpoint")), (flag, self._style("failing")))
        width = self.scrollable_content_region.width
        num_w, digits = 7, 4  # never round 166.5 to 166: shrink the name instead
        name_w = max(3, min(14, width - 3 - 2 * (2 + num_w)))
        text.append(f" {layer.neuron_name(j):<{name_w}.{name_w}}")
        neuron = None if s.granularity == "layer" else j
        changed = any(r == (CHANGE, l, j) for r in self._rows[self._row_of_neuron[(l, j)] + 1 : self._row_of_neuron[(l, j)] + 2])
        for quantity, kind, values in (("z", BIAS, st.z(l)), ("a", ACTIVATE, st.a(l))):
            # softmax's activation is one step for the whole layer
            layer_step = kind == ACTIVATE and layer.activation == "softmax"
            done = s.done(l, None if layer_step else neuron, kind)
            if not done:
                text.append(f" {quantity}{'·':>{num_w}}", self._style("pending"))
                continue
            text.append(f" {quantity}{fmt(values[j], digits):>{num_w}}", self._style("changed") if changed else "")
        return text

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
