"""The Arrays pane: the layer's input, the neuron's weights, b, z and a.

Per neuron: the neuron's inputs beside its weights, its bias, and the
layer's z and a around it. Per layer (``v``): the layer's input beside its W
as a matrix, the selected neuron's column lit, and b, z and a under the
columns. Values not computed yet are pending (·). Large arrays show a window
around the element in use plus their shape, min, max, mean and NaN count.
Columns are aligned; numbers are fitted to them, never cut. Up/down move
the selection (what ``e`` edits): the screen owns it; the pane asks for a
new one with a SelectionChanged message.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from ...engine.curves import ArrayStats
from ...engine.numbers import fmt, fmt_fit
from ...engine import Target
from ..fit import cells, shorten_names
from ..frame import ArraysFrame, Frame, MatrixFrame, Selection
from ..messages import SelectionChanged
from .lines import TextBlock

SELECTED = "reverse bold"
LIT = "reverse"  # the current neuron's number over its column
LIT_CELL = "bold"  # the current neuron's column
VALUE = 7  # cells of a value in the layer's columns (fitted, never cut)
NUMBER = 9  # cells of x and w in a narrow pane
NAME_MIN = 6
NAME_LIMIT = 16


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
        selection = base.moved(delta, frame.arrays.n_weights, frame.arrays.n_inputs, frame.arrays.norm_params)
        if selection == base:
            return
        self._requests += 1
        self._asked = selection
        self.post_message(SelectionChanged(selection, self._requests))

    def target(self) -> Target | None:
        """What ``e`` edits, as this pane shows it."""
        return None if self.frame is None else self.frame.selection.target()

    # -- drawing -------------------------------------------------------------------
    def show(self, frame: Frame) -> None:
        super().show(frame)
        # what e edits, on the border: the pane's rows go to the numbers
        self.set_subtitle(f"selected: {frame.arrays.label} · ↑/↓ · e edit")

    def render_text(self, frame: Frame, width: int) -> Text:
        arrays = frame.arrays
        out = Text()
        if arrays.raw_inputs:
            out.append("sample inputs (raw x)\n", "bold")
            self._raw(out, arrays, width)
        elif arrays.matrix is not None:
            self._matrix(out, arrays, arrays.matrix, width)
        else:
            self._table(out, arrays, width)
        if arrays.stats is not None:
            self._stats(out, *arrays.stats)
        if arrays.raw_note:
            out.append("  (x column: raw sample inputs, before normalisation)\n", "dim")
        if arrays.matrix is None:
            # the neuron's own numbers, then the layer's around it
            out.append(f"neuron {arrays.neuron + 1}", "bold")
            if arrays.neuron_name is not None:
                out.append(f" ({arrays.neuron_name})", "bold")
            out.append("  b = ")
            out.append(fmt(arrays.bias, 6), SELECTED if arrays.bias_selected else "")
            out.append("\n")
            if arrays.norm:
                self._norm(out, arrays, width)
            self._vectors(out, arrays, width)
        return out

    @staticmethod
    def _norm(out: Text, arrays: ArraysFrame, width: int) -> None:
        """The neuron's norm parameters under its title: on one line
        (γ=0.95  β=0.066  μ=−0.859  σ²=1.741) if it fits, else one a line."""
        parts = [(f"{symbol}=", fmt(value, 5), k == arrays.norm_selected)
                 for k, (_, symbol, value) in enumerate(arrays.norm)]
        one_line = 4 + sum(len(a) + len(b) + 2 for a, b, _ in parts) - 2 <= width
        out.append(f"  {arrays.norm_title}:\n", "bold")
        for k, (label, number, selected) in enumerate(parts):
            out.append("    " if k == 0 or not one_line else "  ")
            out.append(label)
            out.append(number, SELECTED if selected else "")
            if not one_line:
                out.append("\n")
        if one_line:
            out.append("\n")

    @staticmethod
    def _raw(out: Text, arrays: ArraysFrame, width: int) -> None:
        xs = [fmt(row.x, 6) for row in arrays.rows]
        num_w = max(len(v) for v in xs) if xs else 1
        name_w = _name_width(arrays, width - 5 - num_w)
        for row, x_text in zip(arrays.rows, xs):
            out.append(f"{row.index + 1:>3} {_pad(row.name, name_w)} ")
            out.append(f"{x_text:>{num_w}}", SELECTED if row.index == arrays.selected_x else "")
            out.append("\n")
        _more(out, arrays.more_rows, "inputs")

    @staticmethod
    def _table(out: Text, arrays: ArraysFrame, width: int) -> None:
        # Columns as wide as their widest number (never cut: fewer digits
        # when the pane is narrow), the name as wide as the widest name.
        # In the backward pass, a third column: ∂L/∂w once it is computed.
        def number(v: float | None, digits: int, limit: int | None) -> str:
            if v is None:
                return ""
            return fmt(v, digits) if limit is None else fmt_fit(v, limit, digits)

        for digits, limit in ((5, None), (4, NUMBER), (3, 7)):
            xs = [number(row.x, digits, limit) for row in arrays.rows]
            ws = [number(row.w, digits, limit) for row in arrays.rows]
            gs = [number(row.grad, digits, limit) for row in arrays.rows] if arrays.g_header else []
            x_w = max(len(arrays.x_header), *(len(v) for v in xs))
            w_w = max(len(arrays.w_header), *(len(v) for v in ws))
            g_w = max(len(arrays.g_header), *(len(v) for v in gs)) + 1 if gs else 0
            if 4 + _widest(arrays) + 1 + x_w + 1 + w_w + g_w <= width:
                break
        name_w = _name_width(arrays, width - 6 - x_w - w_w - g_w)
        g_head = f" {arrays.g_header:>{g_w - 1}}" if gs else ""
        out.append(f"{'i':>3} {_pad('input', name_w)} {arrays.x_header:>{x_w}} {arrays.w_header:>{w_w}}{g_head}\n",
                   "bold")
        for k, (row, x_text, w_text) in enumerate(zip(arrays.rows, xs, ws)):
            out.append(f"{row.index + 1:>3} {_pad(row.name, name_w)} ")
            out.append(f"{x_text:>{x_w}}", SELECTED if row.index == arrays.selected_x else "")
            out.append(" ")
            out.append(f"{w_text:>{w_w}}", SELECTED if row.index == arrays.selected_w else "")
            if gs:
                out.append(f" {gs[k]:>{g_w - 1}}", "cyan")
            out.append("\n")
        _more(out, arrays.more_rows, "inputs")

    @staticmethod
    def _vectors(out: Text, arrays: ArraysFrame, width: int) -> None:
        """The layer's z and a around the neuron, in aligned columns (· not computed yet)."""
        if not arrays.vectors:
            return
        label_w = max(len("neuron"), *(len(v.name) + 2 for v in arrays.vectors))
        entries = arrays.vectors[0].entries
        shown = _around([i for i, _, _ in entries], arrays.neuron, (width - label_w) // (VALUE + 1))
        out.append(f"{'neuron':<{label_w}}", "bold")
        for i in shown:
            out.append(" ")
            out.append(f"{i + 1:>{VALUE}}", LIT if i == arrays.neuron else "bold")
        out.append("\n")
        for vector in arrays.vectors:
            out.append(f"  {vector.name:<{label_w - 2}}", "bold")
            for i, value, done in vector.entries:
                if i not in shown:
                    continue
                out.append(" ")
                out.append(f"{fmt_fit(value, VALUE, 4) if done else '·':>{VALUE}}", LIT if i == arrays.neuron else "")
            out.append("\n")
        first, last = shown[0], shown[-1]
        units = arrays.vectors[0].units
        if first > 0 or last < units - 1:
            out.append(f"  neurons {first + 1}–{last + 1} of {units} (around {arrays.neuron + 1})\n", "dim")

    @staticmethod
    def _matrix(out: Text, arrays: ArraysFrame, m: MatrixFrame, width: int) -> None:
        """x beside W (per layer): a window of the matrix, the selected
        neuron's column lit, then x·W, b, z and a under their columns."""
        L = m.layer + 1
        inp = arrays.x_header[:-2]
        below = ((f"{inp}·W{L}", m.zdot), (f"b{L}", m.b), (f"z{L}", m.z), (f"a{L}", m.a))
        # The most columns that fit: with the index column and 7-cell values,
        # else without the index, else with 6-cell values (fewer digits, never cut).
        title = f"W{L} {m.shape[0]}×{m.shape[1]}"
        best = None
        for index, value in ((True, VALUE), (False, VALUE), (False, VALUE - 1)):
            xs = [fmt_fit(row.x, value, 4) for row in arrays.rows]
            x_w = max(len(arrays.x_header), *(len(v) for v in xs))
            left = max(cells(title), _name_width(arrays, NAME_LIMIT))
            lead = (4 if index else 0) + left + 1 + x_w
            if lead + 2 + value > width:  # narrow: the name gives way
                left = max(NAME_MIN, left - (lead + 2 + value - width))
                lead = (4 if index else 0) + left + 1 + x_w
            shown = _around(list(m.columns), m.current, (width - lead - 2) // (value + 1))
            if best is None or len(shown) > len(best[-1]):
                best = (index, value, xs, x_w, left, lead, shown)
            if len(shown) == len(m.columns):
                break
        assert best is not None
        index, value, xs, x_w, left, lead, shown = best
        # the header names the matrix in the names' column: "W1 2×3"
        out.append((f"{'i':>3} " if index else "") + f"{_pad(title, left)} {arrays.x_header:>{x_w}} │", "bold")
        for k in shown:
            out.append(" ")
            out.append(f"{k + 1:>{value}}", LIT if k == m.current else "bold")
        out.append("\n")
        for r, (row, x_text) in enumerate(zip(arrays.rows, xs)):
            out.append((f"{row.index + 1:>3} " if index else "") + f"{_pad(row.name, left)} ")
            out.append(f"{x_text:>{x_w}}", SELECTED if row.index == arrays.selected_x else "")
            out.append(" │")
            for k in shown:
                selected = k == m.current and row.index == arrays.selected_w
                out.append(" ")
                out.append(f"{fmt_fit(m.w[r, m.columns.index(k)], value, 4):>{value}}",
                           SELECTED if selected else LIT_CELL if k == m.current else "")
            out.append("\n")
        _more(out, arrays.more_rows, "inputs")
        for name, values in below:
            out.append(f"{'':>{lead - len(name)}}{name} │", "bold")
            for k in shown:
                v = values[m.columns.index(k)]
                selected = name[0] == "b" and k == m.current and arrays.bias_selected
                out.append(" ")
                out.append(f"{'·' if v is None else fmt_fit(v, value, 4):>{value}}",
                           SELECTED if selected else LIT_CELL if k == m.current else "")
            out.append("\n")
        first, last = shown[0], shown[-1]
        if first > 0 or last < m.shape[1] - 1:
            out.append(f"  neurons {first + 1}–{last + 1} of {m.shape[1]} (around {m.current + 1})\n", "dim")

    @staticmethod
    def _stats(out: Text, name: str, st: ArrayStats) -> None:
        out.append(
            f"  {name}: shape {st.shape} · min {fmt(st.min, 4)} · max {fmt(st.max, 4)}"
            f" · mean {fmt(st.mean, 4)} · NaN {st.nan}" + (f" · Inf {st.inf}" if st.inf else "") + "\n",
            "dim",
        )


def _widest(arrays: ArraysFrame) -> int:
    return max([cells("input"), *(cells(row.name) for row in arrays.rows)])


def _name_width(arrays: ArraysFrame, room: int) -> int:
    """The name column: as wide as the widest name, narrower only when the
    pane is (the names then shortened visibly, still distinct)."""
    return max(NAME_MIN, min(_widest(arrays), room))


def _pad(name: str, width: int) -> str:
    """``name`` in ``width`` cells: padded, or shortened with a visible "…"."""
    if cells(name) > width:
        name = shorten_names([name], width)[0]
    return name + " " * max(0, width - cells(name))


def _around(indices: list[int], center: int, count: int) -> list[int]:
    """``count`` of ``indices`` (in order) around ``center``."""
    count = max(1, count)
    if len(indices) <= count:
        return indices
    k = indices.index(center) if center in indices else 0
    start = max(0, min(k - count // 2, len(indices) - count))
    return indices[start:start + count]


def _more(out: Text, more: tuple[int, int], what: str) -> None:
    before, after = more
    if before or after:
        parts = [f"{n} {what} {where}" for n, where in ((before, "above"), (after, "below")) if n]
        out.append("  … " + ", ".join(parts) + "\n", "dim")
