"""Why a neuron does not learn: what stops the gradients over the labelled samples.

``gradient_sizes.gradients_of`` measures every layer's gradient of the mean
loss; ``learning_findings`` turns them into findings beside the forward ones:

* **cannot learn** (a neuron): g′(z) is under the saturation slope in every
  labelled sample — a flat side of σ or tanh, an inactive ReLU's 0 — so
  ∂L/∂z = ∂L/∂a · g′(z) ≈ 0 and its weights and bias do not move, whatever
  the loss. It is a problem when the forward check found the same neuron
  saturated or dead as a problem (the same evidence rule), else a note. The
  output layer of bce or ce is left out: its ∂L/∂z is a − y, no slope in it;
* **cannot learn** (a layer's inputs): a first-layer input that is 0 in
  every labelled sample gives its weights ∂L/∂w = x · δ = 0 (a note);
* **vanishing / exploding gradient** (a layer): its gradient per parameter
  under 1/``gradient_ratio`` of a later layer's, or over ``gradient_ratio``
  times it; a gradient that is not finite where the loss is, exploding.

The gradients are the reason, never the alarm on their own: near a minimum
every gradient is small, so a small one says nothing until something (a
slope of 0, an input of 0, one layer against another) says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import conditions
from .activations import ACTIVATIONS
from .findings import NOTE, PROBLEM, Finding, Rows, input_name
from .kinds import FindingKind
from .layer_context import LayerContext
from .gradient_sizes import Gradients
from .learning_stats import LearningStats
from .numbers import fmt
from .settings import Settings
from .trace import Trace

CANNOT_LEARN = FindingKind.CANNOT_LEARN
VANISHING = FindingKind.VANISHING_GRADIENT
EXPLODING_GRADIENT = FindingKind.EXPLODING_GRADIENT
_EVERY = {1: "the only labelled sample", 2: "both labelled samples"}

__all__ = ["learning_findings"]


def learning_findings(trace: Trace, grads: Gradients, forward: Sequence[Finding], settings: Settings,
                      names: Sequence[str], stats: LearningStats | None = None, n: int | None = None) -> list[Finding]:
    """The findings of ``grads`` (see the module's docstring); ``forward``:
    the forward findings, whose severity a neuron's "cannot learn" takes.
    ``stats``: the labelled samples' values, gathered chunk by chunk (None:
    from ``trace``, which then holds every sample); ``n``: how many samples
    were checked (None: the trace's)."""
    if stats is None:
        stats = LearningStats.of(trace, grads.rows, grads.loss, settings)
    # A neuron's "cannot learn" takes its saturated or dead finding's severity (and a note's reason).
    stuck_forward = [f for f in forward if f.kind in (FindingKind.SATURATED, FindingKind.DEAD)]
    severe = {(f.layer, f.neuron) for f in stuck_forward if f.is_problem}
    said = {(f.layer, f.neuron): f.verdict for f in stuck_forward if not f.is_problem and f.verdict}
    out: list[Finding] = []
    for l in range(len(trace.network.layers)):
        ctx = LayerContext(trace, l, names, n)
        out += _stuck_neurons(ctx, grads, severe, said, settings, stats)
    out += _zero_inputs(LayerContext(trace, 0, names, n), grads, settings, stats)
    if math.isfinite(grads.value):  # a non-finite loss: the forward NaN findings say why
        out += _layer_sizes(trace, grads, names, settings, stats, n)
    return out


def _stuck_neurons(ctx: LayerContext, grads: Gradients, severe: set[tuple[int, int | None]],
                   said: dict[tuple[int, int | None], str], settings: Settings, stats: LearningStats) -> list[Finding]:
    layer, l = ctx.layer, ctx.l
    act = ACTIVATIONS[layer.activation]
    if not stats.judged[l]:
        return []
    rows = grads.rows
    stuck = np.flatnonzero(stats.stuck[l])
    if not stuck.size:
        return []
    out = []
    every = _EVERY.get(rows.size, f"all {rows.size} labelled samples")
    measured = f"measured on {every.removeprefix('all ')}"
    shared = Rows(rows)  # every one of them holds over all the labelled rows: one array for all
    dead = conditions.inactive(layer, stats.top[l])
    # Each stuck neuron's numbers, taken out of the arrays as Python values once for all
    columns = (a[stuck].tolist() for a in (stats.slope[l], stats.slope_row[l], stats.slope_z[l], stats.top[l],
                                            stats.top_row[l], dead, grads.layers[l].neurons))
    for j, most, slope_row, slope_z, top, top_row, inactive, size in zip(stuck.tolist(), *columns):
        # the sample closest to learning: the largest slope, or (all 0: dead) the largest z
        best, zb = (slope_row, slope_z) if most > 0 else (top_row, top)
        why = "dead: z ≤ 0" if most == 0 and inactive else "saturated"
        slope_text = "= 0" if most == 0 else f"≤ {fmt(most, 3)}"
        cause = f"{act.symbol}′(z) {slope_text} in {every} ({why}; z = {fmt(zb, 4)} there)"
        problem = (l, j) in severe
        # a note for the reason the forward check gave (too few samples), else for its count
        verdict = "" if problem else said.get((l, j), measured)
        out.append(ctx.finding(CANNOT_LEARN, j, shared, best, size,
                               settings.saturation_slope, cause=cause,
                               severity=PROBLEM if problem else NOTE, verdict=verdict))
    return out


def _zero_inputs(ctx: LayerContext, grads: Gradients, settings: Settings, stats: LearningStats) -> list[Finding]:
    """First-layer inputs that are 0 in every labelled sample: one note for the layer."""
    rows = grads.rows
    if rows.size < settings.dead_min_samples:
        return []
    zero = np.flatnonzero(stats.zero)
    if not zero.size:
        return []
    net = ctx.trace.network
    shown = ", ".join(input_name(net, 0, int(i)) for i in zero[:6]) + (", …" if zero.size > 6 else "")
    count = f"{zero.size} input{'s' if zero.size != 1 else ''}"
    cause = (f"the weights from {count} ({shown}): {'they are' if zero.size > 1 else 'it is'} 0 "
             f"in all {rows.size} labelled samples, so ∂L/∂w = x · δ = 0")
    return [ctx.finding(CANNOT_LEARN, None, rows, int(rows[0]), float(zero.size), cause=cause, severity=NOTE,
                        verdict="constant inputs (a blank border pixel) are common; such a weight keeps its start value")]


def _layer_sizes(trace: Trace, grads: Gradients, names: Sequence[str], settings: Settings, stats: LearningStats,
                 n: int | None) -> list[Finding]:
    """Vanishing and exploding gradients, each layer against the later ones."""
    out: list[Finding] = []
    sizes = [g.rms for g in grads.layers]
    ratio = settings.gradient_ratio
    evidence = grads.n_samples >= settings.dead_min_samples
    rows = grads.rows
    for l, size in enumerate(sizes):
        ctx = LayerContext(trace, l, names, n)
        if not math.isfinite(size):
            cause = (f"∂L/∂W is not finite (‖∂L/∂W‖ = {fmt(size)}) though the loss is {fmt(grads.value)}: "
                     "a step of gradient descent would write NaN or ∞ into its weights")
            out.append(ctx.finding(EXPLODING_GRADIENT, None, rows, int(rows[0]), size, ratio, cause=cause))
            continue
        severity = PROBLEM if evidence else NOTE
        verdict = "" if evidence else f"measured on {grads.n_samples} labelled sample{'s' if grads.n_samples != 1 else ''}"
        g = grads.layers[l]
        if g.weight_norm > 0 and g.norm > settings.exploding_gradient * g.weight_norm:
            step = 0.01 * g.norm / g.weight_norm
            cause = (f"‖∂L/∂W‖ = {fmt(g.norm, 3)} is {_times(g.norm / g.weight_norm)} its weights' ‖W‖ "
                     f"({fmt(g.weight_norm, 3)}): one step at a learning rate of 0.01 would move them by "
                     f"{_times(step)} their own size")
            out.append(ctx.finding(EXPLODING_GRADIENT, None, rows, int(rows[0]), g.norm, settings.exploding_gradient,
                                   cause=cause, severity=severity, verdict=verdict))
            continue
        later = [(k, s) for k, s in enumerate(sizes) if k > l and math.isfinite(s) and s > 0]
        if not later:
            continue
        big_k, big = max(later, key=lambda ks: ks[1])
        small_k, small = min(later, key=lambda ks: ks[1])
        if size < big / ratio:
            how = ("none at all" if size == 0 else
                   f"{fmt(size, 3)}, {fmt(size / big, 2)} × layer {big_k + 1}'s ({fmt(big, 3)}): "
                   f"it learns {_times(big / size)} slower")
            cause = f"its gradient per weight is {how}{_slope_reason(grads, stats, l, big_k)}"
            out.append(ctx.finding(VANISHING, None, rows, int(rows[0]), size, ratio, cause=cause,
                                   severity=severity, verdict=verdict))
        elif size > small * ratio:
            cause = (f"its gradient per weight, {fmt(size, 3)}, is {_times(size / small)} layer {small_k + 1}'s "
                     f"({fmt(small, 3)}): one learning rate cannot suit both")
            out.append(ctx.finding(EXPLODING_GRADIENT, None, rows, int(rows[0]), size, ratio, cause=cause,
                                   severity=severity, verdict=verdict))
    return out


def _times(r: float) -> str:
    """'3.2 ×', '177 ×', '4e+124 ×' → '4e124 ×'."""
    if r < 10:
        return f"{fmt(r, 2)} ×"
    if r < 1e6:
        return f"{r:,.0f} ×"
    return f"{r:.0e} ×".replace("e+", "e")


def _slope_reason(grads: Gradients, stats: LearningStats, l: int, k: int) -> str:
    """': ∂L/∂z shrinks ×0.21 per layer on its way back from layer 11; the
    activations' slopes do it (g′(z) averages 0.2)' — or the weights do."""
    per_layer = (grads.layers[l].delta / grads.layers[k].delta) ** (1 / (k - l)) if grads.layers[k].delta > 0 else 0.0
    if not (math.isfinite(per_layer) and per_layer > 0):
        return ""
    slopes = [s for s in (stats.mean_slope(m) for m in range(l, k)) if s is not None]
    text = f": ∂L/∂z shrinks ×{fmt(per_layer, 2)} per layer on its way back from layer {k + 1}"
    if not slopes:
        return text
    mean = float(np.mean(slopes))
    if mean <= 0.5:
        return f"{text}; the activations' slopes do it (g′(z) averages {fmt(mean, 2)})"
    return f"{text}; the weights do it (the slopes g′(z) average {fmt(mean, 2)})"
