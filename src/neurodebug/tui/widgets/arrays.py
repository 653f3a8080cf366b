"""The Arrays pane: the layer's input, the neuron's weights, b, z and a.

Large arrays show a window around the element in use plus their shape, min,
max, mean and NaN count. Up/down move the selection (what ``e`` edits): the
screen owns it; the pane asks for a new one with a SelectionChanged message.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from ...engine.curves import ArrayStats
from ...engine.numbers import fmt
from ...engine import Target
from ..frame import ArraysFrame, Frame, Selection
from ..messages import SelectionChanged
from .lines import TextBlock

SELECTED = "reverse bold"


class ArraysPane(TextBlock):
    BORDER_TITLE = "Arrays"
    BINDINGS = [
        Binding("up", "select(-1)", "Select previous", show=False),
        Binding("down", "select(1)", "Select next", show=False),
        Binding("pageup", "select(-8)", show=False),
        Binding("pagedown", "select(8)", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._requests = 0  # selection requests sent
        self._asked: Selection | None = None  # the last one sent

    # -- selection ---------------------------------------------------------------
    def action_select(self, delta: int) -> None:
        frame = self.frame
        if frame is None:
            return
        # Move on from the last selection asked for while the screen has not
        # answered it yet (keys typed faster than it redraws).
        answered = frame.selection_request == self._requests or self._asked is None
        base = frame.selection if answered else self._asked
        assert base is not None
        selection = base.moved(delta, frame.arrays.n_weights, frame.arrays.n_inputs)
        if selection == base:
            return
        self._requests += 1
        self._asked = selection
        self.post_message(SelectionChanged(selection, self._requests))

    def target(self) -> Target | None:
        """What ``e`` edits, as this pane shows it."""
        return None if self.frame is None else self.frame.selection.target()

    # -- drawing -------------------------------------------------------------------
    def render_text(self, frame: Frame, width: int) -> Text:
        arrays = frame.arrays
        out = Text()
        if arrays.raw_inputs:
            out.append("sample inputs (raw x)\n", "bold")
            name_w = max(3, min(12, width - 16))
            for row in arrays.rows:
                out.append(f"{row.index + 1:>3} {row.name:<{name_w}.{name_w}} ")
                out.append(f"{fmt(row.x, 6):>10}", SELECTED if row.index == arrays.selected_x else "")
                out.append("\n")
        else:
            self._table(out, arrays, width)
        if arrays.stats is not None:
            self._stats(out, *arrays.stats)
        if arrays.raw_note:
            out.append("  (x column: raw sample inputs, before normalisation)\n", "dim")
        # the neuron's own numbers
        out.append(f"\nneuron {arrays.neuron + 1}", "bold")
        if arrays.neuron_name is not None:
            out.append(f" ({arrays.neuron_name})", "bold")
        out.append("  b = ")
        out.append(fmt(arrays.bias, 6), SELECTED if arrays.bias_selected else "")
        out.append("\n")
        # the layer's vectors
        for vector in arrays.vectors:
            out.append(f"{vector.name} ({vector.units}): ", "bold")
            if vector.more_before:
                out.append("… ")
            for i, value, done in vector.entries:
                out.append(fmt(value, 4) if done else "·", "reverse" if i == arrays.neuron else "")
                out.append(" ")
            if vector.more_after:
                out.append("…")
            out.append("\n")
        out.append(f"\nselected: {arrays.label} · ↑/↓ move · e edit", "dim")
        return out

    @staticmethod
    def _table(out: Text, arrays: ArraysFrame, width: int) -> None:
        xs = [fmt(row.x, 5) for row in arrays.rows]
        ws = [fmt(row.w, 5) if row.w is not None else "" for row in arrays.rows]
        # Columns as wide as their widest number; the name gives way first.
        num_w = max(9, *(len(v) for v in xs + ws))
        name_w = max(3, min(12, width - 6 - 2 * num_w))
        out.append(f"{'i':>3} {'input':<{name_w}} {arrays.x_header:>{num_w}} {arrays.w_header:>{num_w}}\n", "bold")
        for row, x_text, w_text in zip(arrays.rows, xs, ws):
            out.append(f"{row.index + 1:>3} {row.name:<{name_w}.{name_w}} ")
            out.append(f"{x_text:>{num_w}}", SELECTED if row.index == arrays.selected_x else "")
            out.append(" ")
            out.append(f"{w_text:>{num_w}}", SELECTED if row.index == arrays.selected_w else "")
            out.append("\n")

    @staticmethod
    def _stats(out: Text, name: str, st: ArrayStats) -> None:
        out.append(
            f"  {name}: shape {st.shape} · min {fmt(st.min, 4)} · max {fmt(st.max, 4)}"
            f" · mean {fmt(st.mean, 4)} · NaN {st.nan}" + (f" · Inf {st.inf}" if st.inf else "") + "\n",
            "dim",
        )
