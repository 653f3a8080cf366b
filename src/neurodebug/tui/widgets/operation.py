"""The Operation pane: the current step in symbols, with numbers, and why it matters."""

from __future__ import annotations

from rich.text import Text

from ...engine.numbers import fmt
from ..frame import Frame
from ..sections import Plot, Terms
from .lines import TextBlock

BAR = 18
PLOT_ROWS = 7


class OperationPane(TextBlock):
    BORDER_TITLE = "Operation"

    def render_text(self, frame: Frame, width: int) -> Text:
        op = frame.operation
        out = Text()
        ready = op.ready
        if ready is not None:
            out.append("Ready. ", "bold")
            out.append(f"Sample \"{ready.sample_name}\" is loaded: x = [{', '.join(fmt(v) for v in ready.x)}]\n")
            out.append("Press n (or →, space) to compute the first step, N to finish a neuron, L a layer, ? for help.\n", "dim")
            out.append(f"\n{ready.network_name}: {ready.shape}, {ready.params:,} parameters", "dim")
            if ready.description:
                out.append(f"\n{ready.description}", "dim italic")
            return out
        out.append(f"step {op.step_number}/{op.steps}  ", "dim")
        out.append(op.title + "\n", "bold")
        out.append(f"  {op.symbolic}\n", "italic")
        out.append(f"  {op.formula}\n", "bold cyan")
        for note in op.notes:
            out.append(f"  ⚠ {note}\n", "bold yellow")
        for line, style in op.why:
            out.append(line, style)
            out.append("\n")
        if op.terms is not None:
            out.append(self._terms(op.terms, width))
        elif op.plot is not None:
            out.append(self._plot(op.plot, width))
        return out

    @staticmethod
    def _terms(terms: Terms, width: int) -> Text:
        text = Text("\n  w_i·x_i, largest first:\n", "dim")
        bar_w = max(3, min(BAR, width - 46))
        for row in terms.rows:
            value = row.value
            bar = "█" * max(1 if value != 0 else 0, int(round(row.fraction * bar_w)))
            text.append(f"  {row.name:<10.10} {fmt(row.weight, 4):>8} × {fmt(row.input, 4):<8} = {fmt(value, 5):>9} ")
            text.append(bar + "\n", "green" if value >= 0 else "red")
        if terms.rest:
            text.append(f"  … {terms.rest} smaller terms, together {fmt(terms.rest_sum, 5)}\n", "dim")
        return text

    @staticmethod
    def _plot(plot: Plot, pane_width: int) -> Text:
        z = plot.z
        width = max(16, min(56, pane_width - 12))
        curve = plot.curve(width)
        if curve is None:
            return Text()
        grid = [[" "] * width for _ in range(PLOT_ROWS)]
        span = curve.g_hi - curve.g_lo

        def row_of(g: float) -> int:
            r = int(round((g - curve.g_lo) / span * (PLOT_ROWS - 1)))
            return PLOT_ROWS - 1 - max(0, min(PLOT_ROWS - 1, r))

        for c, g in enumerate(curve.gs):
            grid[row_of(float(g))][c] = "·"
        if curve.column is not None:
            g = float(curve.gs[curve.column])
            grid[row_of(g)][curve.column] = "●"
        text = Text(f"\n  where z sits on {plot.activation}:\n", "dim")
        for r, row in enumerate(grid):
            label = fmt(curve.g_hi, 3) if r == 0 else fmt(curve.g_lo, 3) if r == PLOT_ROWS - 1 else ""
            text.append(f"  {label:>6} │")
            line = "".join(row)
            if "●" in line:
                k = line.index("●")
                text.append(line[:k])
                text.append("●", "bold magenta")
                text.append(line[k + 1 :] + "\n")
            else:
                text.append(line + "\n")
        lo, hi = fmt(curve.lo, 3), fmt(curve.hi, 3)
        text.append(f"  {'':>6} └{lo}{'z = ' + fmt(z, 4):^{max(1, width - len(lo) - len(hi))}}{hi}\n", "dim")
        return text
