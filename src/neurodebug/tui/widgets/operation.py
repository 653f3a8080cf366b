"""The Operation pane: the current step in symbols, with numbers, and why it matters."""

from __future__ import annotations

from rich.text import Text

from ...engine import DOT, Session
from ...engine.curves import activation_curve, rank_terms
from ...engine.numbers import fmt
from .lines import TextBlock

BAR = 18
TERMS = 12
PLOT_ROWS = 7


class OperationPane(TextBlock):
    BORDER_TITLE = "Operation"

    def __init__(self, session: Session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.extra: list[Text] = []  # explanation lines the screen adds

    def on_mount(self) -> None:
        self.show()

    def show(self, extra: list[Text] | None = None) -> None:
        if extra is not None:
            self.extra = extra
        self.set_text(self._render_text())

    def _render_text(self) -> Text:
        s = self.session
        d = s.detail()
        out = Text()
        if d is None:
            out.append("Ready. ", "bold")
            out.append(f"Sample \"{s.sample.name}\" is loaded: x = [{', '.join(fmt(v) for v in s.sample.x)}]\n")
            out.append("Press n (or →, space) to compute the first step, N to finish a neuron, L a layer, ? for help.\n", "dim")
            out.append(f"\n{s.network.name}: {s.network.shape_summary()}, {s.network.param_count:,} parameters", "dim")
            if s.network.description:
                out.append(f"\n{s.network.description}", "dim italic")
            return out
        out.append(f"step {d.step.index + 1}/{len(s.plan)}  ", "dim")
        out.append(d.title + "\n", "bold")
        out.append(f"  {d.symbolic}\n", "italic")
        out.append(f"  {d.formula}\n", "bold cyan")
        for note in d.notes:
            out.append(f"  ⚠ {note}\n", "bold yellow")
        for line in self.extra:
            out.append(line)
            out.append("\n")
        if d.products is not None and d.step.kind == DOT:
            out.append(self._terms(d))
        elif d.step.kind == "activate" and d.step.neuron is not None:
            out.append(self._plot(d))
        return out

    def _terms(self, d) -> Text:
        s = self.session
        l = d.step.layer
        products = d.products
        w = s.network.layers[l].W[:, d.step.neuron]
        xin = s.sample_trace.layer_input(l)
        ranked = rank_terms(products, TERMS)
        text = Text("\n  w_i·x_i, largest first:\n", "dim")
        bar_w = max(3, min(BAR, self.scrollable_content_region.width - 46))
        for idx, frac in zip(ranked.indices, ranked.fractions):
            i = int(idx)
            name = s.network.feature_name(i) if l == 0 else f"a{l}_{i + 1}"
            value = products[i]
            bar = "█" * max(1 if value != 0 else 0, int(round(float(frac) * bar_w)))
            text.append(f"  {name:<10.10} {fmt(w[i], 4):>8} × {fmt(xin[i], 4):<8} = {fmt(value, 5):>9} ")
            text.append(bar + "\n", "green" if value >= 0 else "red")
        if ranked.rest:
            text.append(f"  … {ranked.rest} smaller terms, together {fmt(ranked.rest_sum, 5)}\n", "dim")
        return text

    def _plot(self, d) -> Text:
        s = self.session
        layer = s.network.layers[d.step.layer]
        z = float(s.sample_trace.z(d.step.layer)[d.step.neuron])
        width = max(16, min(56, self.scrollable_content_region.width - 12))
        curve = activation_curve(layer.activation, z, width, layer.alpha)
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
        text = Text(f"\n  where z sits on {layer.activation}:\n", "dim")
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
