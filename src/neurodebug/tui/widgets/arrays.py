"""The Arrays pane: the layer's input, the neuron's weights, b, z and a.

Large arrays show a window around the element in use plus their shape, min,
max, mean and NaN count. Up/down move the selection (what ``e`` edits).
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from ...engine import BIAS, DOT, NORMALIZE, Session, Target
from ...engine.curves import array_stats, window
from ...engine.edits import INPUT, WEIGHT
from ...engine.edits import BIAS as BIAS_TARGET
from ...engine.numbers import fmt
from .lines import TextBlock

ROWS = 9  # rows of a windowed array


class ArraysPane(TextBlock):
    BORDER_TITLE = "Arrays"
    BINDINGS = [
        Binding("up", "select(-1)", "Select previous", show=False),
        Binding("down", "select(1)", "Select next", show=False),
        Binding("pageup", "select(-8)", show=False),
        Binding("pagedown", "select(8)", show=False),
    ]

    def __init__(self, session: Session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.sel_neuron = 0  # the neuron whose weights are shown
        self.sel_layer = 0
        self.sel_kind = WEIGHT  # what is selected: a weight, the bias, or an input
        self.sel_index = 0
        self._followed: int | None = None  # the cursor the selection last followed

    def on_mount(self) -> None:
        self.show()

    # -- selection ---------------------------------------------------------------
    def follow_step(self) -> None:
        """After the cursor moves, select an operand of the new step.

        The selection the user made with ↑/↓ stays while the cursor stays.
        """
        s = self.session
        if s.cursor == self._followed:
            return
        self._followed = s.cursor
        step = s.step
        if step is None or step.kind == NORMALIZE:
            self.sel_layer, self.sel_neuron = 0, min(self.sel_neuron, s.network.layers[0].units - 1)
            self.sel_kind, self.sel_index = INPUT, 0
            return
        same_neuron = step.layer == self.sel_layer and step.neuron in (None, self.sel_neuron)
        self.sel_layer = step.layer
        if step.neuron is not None:
            self.sel_neuron = step.neuron
        self.sel_neuron = min(self.sel_neuron, s.network.layers[step.layer].units - 1)
        if step.kind == DOT:
            if not (same_neuron and self.sel_kind == WEIGHT):
                self.sel_kind, self.sel_index = WEIGHT, 0
        else:
            self.sel_kind, self.sel_index = BIAS_TARGET, 0

    def _items(self) -> list[tuple[str, int]]:
        n = self.session.network.layers[self.sel_layer].n_inputs
        items = [(WEIGHT, i) for i in range(n)] + [(BIAS_TARGET, 0)]
        items += [(INPUT, i) for i in range(self.session.network.n_inputs)]
        return items

    def action_select(self, delta: int) -> None:
        items = self._items()
        try:
            k = items.index((self.sel_kind, self.sel_index))
        except ValueError:
            k = 0
        self.sel_kind, self.sel_index = items[max(0, min(len(items) - 1, k + delta))]
        self.show()

    def target(self) -> Target:
        if self.sel_kind == INPUT:
            return Target(INPUT, index=self.sel_index)
        if self.sel_kind == BIAS_TARGET:
            return Target(BIAS_TARGET, self.sel_layer, self.sel_neuron)
        return Target(WEIGHT, self.sel_layer, self.sel_neuron, self.sel_index)

    # -- drawing -------------------------------------------------------------------
    def show(self) -> None:
        self.set_text(self._render_text())

    def _render_text(self) -> Text:
        s = self.session
        net = s.network
        st = s.sample_trace
        l, j = self.sel_layer, self.sel_neuron
        layer = net.layers[l]
        out = Text()
        if self.sel_kind == INPUT and l > 0:
            out.append("sample inputs (raw x)\n", "bold")
            self._column(out, st.x_raw, self.sel_index, lambda i: net.feature_name(i), selected=True)
        else:
            xin = st.layer_input(l)
            w = layer.W[:, j]
            src = "x" if l == 0 else f"a{l}"
            center = self.sel_index if self.sel_kind in (WEIGHT, INPUT) else 0
            rows = window(xin.size, center, ROWS)
            raw_x = l == 0 and self.sel_kind == INPUT
            xs = [fmt(st.x_raw[i] if raw_x else xin[i], 5) for i in rows]
            ws = [fmt(w[i], 5) for i in rows]
            # Columns as wide as their widest number; the name gives way first.
            num_w = max(9, *(len(v) for v in xs + ws))
            name_w = max(3, min(12, self.scrollable_content_region.width - 6 - 2 * num_w))
            head_w = f"w{l + 1}_{j + 1}[i]"
            out.append(f"{'i':>3} {'input':<{name_w}} {src + '_i':>{num_w}} {head_w:>{num_w}}\n", "bold")
            for i, x_text, w_text in zip(rows, xs, ws):
                name = net.feature_name(i) if l == 0 else f"a{l}_{i + 1}"
                out.append(f"{i + 1:>3} {name:<{name_w}.{name_w}} ")
                sel_x = self.sel_kind == INPUT and self.sel_index == i and l == 0
                out.append(f"{x_text:>{num_w}}", "reverse bold" if sel_x else "")
                out.append(" ")
                sel_w = self.sel_kind == WEIGHT and self.sel_index == i
                out.append(f"{w_text:>{num_w}}", "reverse bold" if sel_w else "")
                out.append("\n")
            if xin.size > len(rows):
                self._stats(out, "w", w)
            if l == 0 and self.sel_kind == INPUT and net.normalization is not None:
                out.append("  (x column: raw sample inputs, before normalisation)\n", "dim")
        # the neuron's own numbers
        sel_b = self.sel_kind == BIAS_TARGET
        out.append(f"\nneuron {j + 1}", "bold")
        if layer.neuron_names:
            out.append(f" ({layer.neuron_name(j)})", "bold")
        out.append("  b = ")
        out.append(fmt(layer.b[j], 6), "reverse bold" if sel_b else "")
        out.append("\n")
        softmax = layer.activation == "softmax"
        # the layer's vectors
        for name, values, kind in (("z", st.z(l), BIAS), ("a", st.a(l), "activate")):
            layer_step = s.granularity == "layer" or (softmax and kind == "activate")
            out.append(f"{name}{l + 1} ({layer.units}): ", "bold")
            idx = window(values.size, j, 7)
            if idx.start > 0:
                out.append("… ")
            for i in idx:
                done = s.done(l, None if layer_step else i, kind)
                out.append(fmt(values[i], 4) if done else "·", "reverse" if i == j else "")
                out.append(" ")
            if idx.stop < values.size:
                out.append("…")
            out.append("\n")
        out.append(f"\nselected: {self.target().label()} · ↑/↓ move · e edit", "dim")
        return out

    def _column(self, out: Text, values, sel: int, label, selected: bool) -> None:
        rows = window(values.size, sel, ROWS)
        for i in rows:
            name_w = max(3, min(12, self.scrollable_content_region.width - 16))
            out.append(f"{i + 1:>3} {label(i):<{name_w}.{name_w}} ")
            out.append(f"{fmt(values[i], 6):>10}", "reverse bold" if selected and i == sel else "")
            out.append("\n")
        if values.size > len(rows):
            self._stats(out, "x", values)

    @staticmethod
    def _stats(out: Text, name: str, values) -> None:
        st = array_stats(values)
        out.append(
            f"  {name}: shape {st.shape} · min {fmt(st.min, 4)} · max {fmt(st.max, 4)}"
            f" · mean {fmt(st.mean, 4)} · NaN {st.nan}" + (f" · Inf {st.inf}" if st.inf else "") + "\n",
            "dim",
        )
