"""The Operation pane: the current step in symbols, with numbers, and why it matters.

What a learner reads first comes first: the step, its formula with the
numbers, at the last step the output and its verdict, the step's warnings,
then the picture (the terms of a dot product, or where z sits on the
activation, sized to the room left), then why the neuron fails as far as the
step has got. Numbers in columns are fitted (``fmt_fit``), never cut.
"""

from __future__ import annotations

from rich.text import Text

from ...engine.numbers import fmt, fmt_fit
from ...engine.pass_end import PassEnd, pass_end_text
from ..fit import cells, shorten_names
from ..frame import Frame
from ..sections import Plot, Terms
from .lines import TextBlock, wrap_hanging

BAR = 18
PLOT_ROWS = 7  # at most; fewer when the pane is short (never fewer than MIN_PLOT_ROWS)
MIN_PLOT_ROWS = 3
ROOMY = 18  # pane rows from which blank lines separate the parts
NUMBER = 9  # cells a number of the terms table takes at most when the pane is narrow
NAME_MIN = 6  # cells a name keeps in the terms table


def _rows(text: Text, width: int) -> int:
    """The rows ``text`` takes once wrapped to ``width``."""
    lines = list(text.split("\n", allow_blank=True))
    if lines and not lines[-1].plain:
        lines = lines[:-1]
    return sum(len(wrap_hanging(line, width)) for line in lines)


READY_INPUTS = 32  # inputs written out before the first step (a 784-pixel sample: the first 32, then …)


class OperationPane(TextBlock):
    BORDER_TITLE = "Operation"

    def render_text(self, frame: Frame, width: int) -> Text:
        op = frame.operation
        out = Text()
        ready = op.ready
        height = self.scrollable_content_region.height
        gap = "\n" if height >= ROOMY else ""
        if ready is not None:
            out.append("Ready. ", "bold")
            shown = ", ".join(fmt(v) for v in ready.x[:READY_INPUTS])
            more = f", … ({len(ready.x):,} inputs: the Network pane lists them)" if len(ready.x) > READY_INPUTS else ""
            out.append(f"Sample \"{ready.sample_name}\" is loaded: x = [{shown}{more}]\n")
            out.append("Press n (or →, space) to compute the first step, N to finish a neuron, L a layer, ? for help.\n", "dim")
            out.append(f"\n{ready.network_name}: {ready.shape}, {ready.params:,} parameters", "dim")
            if ready.description:
                out.append(f"\n{ready.description}", "dim italic")
            return out
        out.append(f"step {op.step_number}/{op.steps}  ", "dim")
        out.append(op.title + "\n", "bold")
        out.append(f"  {op.symbolic}\n", "italic")
        out.append(f"  {op.formula}\n", "bold cyan")
        if op.end is not None:
            out.append_text(self._end(op.end))
        for note in op.notes:
            out.append(f"  ⚠ {note}\n", "bold yellow")
        why = self._block(op.why)
        if op.brief and _rows(out, width) + _rows(why, width) + len(gap) > height:
            why = self._block(op.brief)
        if op.terms is not None:
            out.append(gap)
            out.append_text(self._terms(op.terms, width))
        elif op.plot is not None:
            # The plot takes the rows left (3 to 7); where the why-block would
            # then not fit, the why-block comes first and the plot after it.
            used, told = _rows(out, width), _rows(why, width)
            room = height - used - told - 2 - (2 * len(gap) if op.why else len(gap))
            rows = max(MIN_PLOT_ROWS, min(PLOT_ROWS, room))
            plot = self._plot(op.plot, width, rows)
            if room < MIN_PLOT_ROWS and op.why:
                out.append(gap)
                out.append_text(why)
                why = Text()
            out.append(gap)
            out.append_text(plot)
        if why:
            out.append(gap)
            out.append_text(why)
        return out

    @staticmethod
    def _block(pieces: tuple[tuple[str, str], ...]) -> Text:
        text = Text()
        for line, style in pieces:
            text.append(line, style)
            text.append("\n")
        return text

    @staticmethod
    def _end(end: PassEnd) -> Text:
        """The output and its verdict, in the engine's words, as ``neurodebug
        trace`` ends: 'output: good roast = 0.97193 → class 1 (good roast), label 1: right ✓'."""
        line, verdict = pass_end_text(end)
        text = Text("  ")
        text.append(line, "bold")
        if verdict:
            text.append(verdict, "bold green" if end.right else "bold red")
        text.append("\n")
        return text

    @staticmethod
    def _terms(terms: Terms, width: int) -> Text:
        text = Text("  w_i·x_i, largest first:\n", "dim")
        rows = terms.rows
        if not rows:
            return text
        # Columns as wide as their widest entry; when the pane is narrow the
        # numbers take fewer digits (never cut), then the names give way, marked.
        full_name = max(cells(r.name) for r in rows)
        for limit in (None, NUMBER, 7):
            ws = [fmt(r.weight, 4) if limit is None else fmt_fit(r.weight, limit, 4) for r in rows]
            xs = [fmt(r.input, 4) if limit is None else fmt_fit(r.input, limit, 4) for r in rows]
            vs = [fmt(r.value, 5) if limit is None else fmt_fit(r.value, limit, 5) for r in rows]
            ww, xw, vw = (max(len(v) for v in column) for column in (ws, xs, vs))
            numbers = 2 + 1 + ww + 3 + xw + 3 + vw + 1
            if numbers + full_name + 1 <= width:
                break
        name_w = max(NAME_MIN, min(full_name, width - numbers - 1))
        names = shorten_names([r.name for r in rows], name_w)
        bar_w = max(0, min(BAR, width - numbers - name_w))
        for row, name, w, x, v in zip(rows, names, ws, xs, vs):
            pad = " " * (name_w - cells(name))
            text.append(f"  {name}{pad} {w:>{ww}} × {x:<{xw}} = {v:>{vw}} ")
            bar = "█" * max(1 if row.value != 0 and bar_w else 0, int(round(row.fraction * bar_w)))
            text.append(bar + "\n", "green" if row.value >= 0 else "red")
        if terms.rest:
            text.append(f"  … {terms.rest} smaller terms, together {fmt(terms.rest_sum, 5)}\n", "dim")
        return text

    @staticmethod
    def _plot(plot: Plot, pane_width: int, rows: int) -> Text:
        z = plot.z
        label_w = 6
        width = max(16, min(56, pane_width - label_w - 6))
        curve = plot.curve(width)
        if curve is None:
            return Text()
        grid = [[" "] * width for _ in range(rows)]
        span = curve.g_hi - curve.g_lo

        def row_of(g: float) -> int:
            r = int(round((g - curve.g_lo) / span * (rows - 1)))
            return rows - 1 - max(0, min(rows - 1, r))

        for c, g in enumerate(curve.gs):
            grid[row_of(float(g))][c] = "·"
        if curve.column is not None:
            g = float(curve.gs[curve.column])
            grid[row_of(g)][curve.column] = "●"
        text = Text(f"  where z sits on {plot.activation}:\n", "dim")
        for r, row in enumerate(grid):
            label = fmt_fit(curve.g_hi, label_w, 3) if r == 0 else fmt_fit(curve.g_lo, label_w, 3) if r == rows - 1 else ""
            text.append(f"  {label:>{label_w}} │")
            line = "".join(row)
            if "●" in line:
                k = line.index("●")
                text.append(line[:k])
                text.append("●", "bold magenta")
                text.append(line[k + 1 :] + "\n")
            else:
                text.append(line + "\n")
        lo, hi = fmt_fit(curve.lo, 8, 3), fmt_fit(curve.hi, 8, 3)
        marker = "z = " + fmt_fit(z, max(3, width - len(lo) - len(hi) - 6), 4)
        text.append(f"  {'':>{label_w}} └{lo}{marker:^{max(1, width - len(lo) - len(hi))}}{hi}\n", "dim")
        return text
