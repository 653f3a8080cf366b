"""The health report as text: the command line's words (any front end may reuse them)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from . import conditions
from .findings import (
    CANNOT_LEARN, DEAD, EXPLODING, EXPLODING_GRADIENT, KINDS, NONFINITE, SATURATED, VANISHING, WRONG_OUTPUT, Finding,
    HealthReport,
)
from .gradient_sizes import Gradients
from .network import Layer
from .numbers import fmt
from .settings import HealthConfig
from .trace import Trace

if TYPE_CHECKING:
    from .explanation import Explanation

GROUP_LIMIT = 10  # findings listed per group before "… and N more"


def worst_findings(report: HealthReport, count: int = 3) -> list[Finding]:
    """Up to ``count`` findings on distinct neurons, the ones to explain first:
    NaN/Inf origins, then the largest |z| (exploding, saturated), dead ReLUs,
    wrong outputs."""
    def rank(f: Finding) -> tuple[int, float]:
        if f.kind == NONFINITE:
            return (0 if f.origin else 9, 0.0)
        size = -abs(f.value) if math.isfinite(f.value) else 0.0
        return (1 + KINDS.index(f.kind), size)

    out: list[Finding] = []
    seen: set[tuple[int, int | None]] = set()
    for f in sorted((f for f in report.problems if f.neuron is not None), key=rank):
        if rank(f)[0] == 9 or (f.layer, f.neuron) in seen:
            continue
        seen.add((f.layer, f.neuron))
        out.append(f)
        if len(out) == count:
            break
    return out


def _group_header(kind: str, report: HealthReport, trace: Trace) -> str:
    config = report.config
    if kind == SATURATED:
        layers = [trace.network.layers[f.layer] for f in report.problems if f.kind == kind]
        regions = [text for _name, text in sorted({(layer.activation, _flat_text(layer, config)) for layer in layers})]
        if all(text.startswith("|z|") for text in regions):  # σ and tanh: "|z| > 9.21 for sigmoid, 5.3 for tanh"
            bounds = ", ".join(text.removeprefix("|z| > ") for text in regions)
            return f"saturated: the slope g′(z) < {fmt(config.saturation_slope)}, i.e. |z| > {bounds}"
        return f"saturated: the slope g′(z) < {fmt(config.saturation_slope)}, i.e. {', '.join(regions)}"
    if kind == EXPLODING:
        return f"exploding z: |z| > {fmt(config.exploding_z)}"
    if kind == DEAD:
        points = dict.fromkeys((trace.network.layers[f.layer].activation, f.threshold)
                               for f in report.problems if f.kind == kind)
        if list(points) == [("relu", 0.0)]:
            return "dead ReLU: z ≤ 0 in every sample, so it always outputs 0"
        where = ", ".join(f"z ≤ {fmt(at)} for {name}" for name, at in points)
        return f"dead: {where} in every sample, so it always outputs 0"
    if kind == WRONG_OUTPUT:
        return f"wrong output: the label's class, or the expected vector within {fmt(config.output_tolerance)}"
    if kind == CANNOT_LEARN:
        return (f"cannot learn: g′(z) < {fmt(config.saturation_slope)} in every labelled sample, "
                "so ∂L/∂z = ∂L/∂a · g′(z) ≈ 0 and its weights and bias stay where they are")
    if kind == VANISHING:
        return (f"vanishing gradient: a layer's gradient per weight under 1/{fmt(config.gradient_ratio)} "
                "of a later layer's")
    if kind == EXPLODING_GRADIENT:
        return (f"exploding gradient: ‖∂L/∂W‖ over {fmt(config.exploding_gradient)} × ‖W‖, a gradient per "
                f"weight over {fmt(config.gradient_ratio)} × a later layer's, or not finite")
    return "NaN/Inf"


def _flat_text(layer: Layer, config: HealthConfig) -> str:
    """Where the layer's activation counts as saturated: "|z| > 9.21 for
    sigmoid", "z < −5.6 for gelu", "z < −1 or z > 1 for clip"."""
    flat = conditions.flat_region(layer, config)
    assert flat is not None  # it has a saturated neuron
    lo, hi = flat
    if lo == -hi:
        return f"|z| > {fmt(hi, 3)} for {layer.activation}"
    sides = ([f"z < {fmt(lo, 3)}"] if math.isfinite(lo) else []) + ([f"z > {fmt(hi, 3)}"] if math.isfinite(hi) else [])
    return f"{' or '.join(sides)} for {layer.activation}"


def _capped(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"  … and {len(lines) - limit} more (--format json lists them all)"]


def report_lines(report: HealthReport, trace: Trace, explain_count: int = 3,
                 limit: int = GROUP_LIMIT, explainer: Callable[[Finding], Explanation] | None = None) -> list[str]:
    """The report as text: the summary, the findings grouped by kind (NaN/Inf
    origins first, pass-ons summed up per layer), then the worst neurons
    explained (by ``explainer`` when the trace does not hold every sample)."""
    lines = [f"health: {report.summary()}"]
    for kind in KINDS:
        found = tuple(f for f in report.problems if f.kind == kind)
        if not found:
            continue
        lines.append("")
        if kind != NONFINITE:
            lines.append(_group_header(kind, report, trace) + ":")
            lines += _capped([f"  {f.message}" for f in found], limit)
            continue
        origins = [f for f in found if f.origin]
        passons = [f for f in found if not f.origin]
        if origins:
            lines.append("NaN/Inf starts here, from finite operands or a weight or bias that is not finite "
                         "(the origin: start here):")
            lines += _capped([f"  {f.message}" for f in origins], limit)
        if passons:
            lines.append("NaN/Inf passed on from an earlier non-finite value:")
            lines += _capped(_passon_lines(passons), limit)
    if report.notes:
        lines.append("")
        lines.append("notes (worth knowing, not problems):")
        lines += _capped([f"  {f.message}" for f in report.notes], limit)
    gradients = gradient_section(report, trace)
    if gradients:
        lines.append("")
        lines += gradients
    worst = worst_findings(report, explain_count)
    if worst:
        lines.append("")
        lines.append("the worst neurons, explained:")
        for f in worst:
            assert f.neuron is not None
            if explainer is not None:
                e = explainer(f)
            else:
                from .explain import explain  # (imported with the first report that explains a neuron)

                e = explain(trace, f.row, f.layer, f.neuron, report.config)
            lines.append(f"  {e.lines[0]}")
            lines += [f"    {line}" for line in e.lines[1:]]
    return lines


def gradient_section(report: HealthReport, trace: Trace) -> list[str]:
    """The report's gradients (``gradient_lines``), or why there are none
    although samples have targets (a heading and the reason); [] when no
    sample has a target."""
    if report.gradients is not None:
        return gradient_lines(report.gradients, trace)
    if report.gradients_refused is not None:
        return ["gradients: not computed, no loss taken of the samples' targets:", f"  {report.gradients_refused}"]
    return []


def gradient_lines(grads: Gradients, trace: Trace) -> list[str]:
    """'gradients of the mean bce loss (0.0701) over 200 labelled samples:' and
    one line per layer: its size per weight and its weakest neuron."""
    n = grads.n_samples
    lines = [f"gradients of the mean {grads.loss} loss ({fmt(grads.value, 4)}) over {n} labelled "
             f"sample{'s' if n != 1 else ''}:"]
    for g in grads.layers:
        layer = trace.network.layers[g.layer]
        weakest = int(np.argmin(np.where(np.isnan(g.neurons), np.inf, g.neurons))) if g.neurons.size else 0
        neuron = (f"; its weakest neuron {weakest + 1}: {fmt(float(g.neurons[weakest]), 3)}"
                  if g.neurons.size > 1 else "")
        lines.append(f"  layer {g.layer + 1} ({layer.name}): ‖∂L/∂W‖ = {fmt(g.norm, 3)}, "
                     f"per weight {fmt(g.rms, 3)}{neuron}")
    return lines


def _passon_lines(passons: list[Finding], per_layer: int = 3) -> list[str]:
    """One line per pass-on neuron, or one per layer when a layer has many."""
    out: list[str] = []
    by_layer: dict[int, list[Finding]] = {}
    for f in passons:
        by_layer.setdefault(f.layer, []).append(f)
    for group in by_layer.values():
        if len(group) <= per_layer:
            out += [f"  {f.message}" for f in group]
            continue
        first = group[0]
        names = ", ".join(str(f.neuron + 1) for f in group[:6] if f.neuron is not None)
        more = ", …" if len(group) > 6 else ""
        rows = np.unique(np.concatenate([f.samples.array for f in group]))
        out.append(f"  layer {first.layer + 1} ({first.layer_name}): {len(group)} neurons pass it on "
                   f"(neurons {names}{more}) in {len(rows)} of {first.n_samples} samples; "
                   f"e.g. neuron {first.neuron + 1 if first.neuron is not None else '?'}: {first.cause}")
    return out
