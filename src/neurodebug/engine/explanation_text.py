"""An ``Explanation`` in words: the one place its numbers become sentences.

``explanation_lines`` returns every line (the command line's "the worst
neurons, explained", the TUI's `x` page) and the summary without the table
of terms (the TUI's "why this neuron fails" block).
"""

from __future__ import annotations

import math

from . import conditions
from .activations import ACTIVATIONS
from .explanation import SHOWN_TERMS, Explanation
from .findings import DEAD, EXPLODING, KIND_TITLES, NONFINITE, SATURATED, WRONG_OUTPUT
from .nonfinite import BIAS, WEIGHT
from .numbers import fmt, fmt_operand
from .refs import NeuronRef
from .settings import Settings
from .trace import Trace

def explanation_lines(e: Explanation, trace: Trace, settings: Settings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every line, the summary). The summary is the z line and every line
    after the terms, without the terms and without continuation lines."""
    head = f'{e.where}, sample "{e.sample_name}"'
    z_line = _z_line(e)
    why: list[str] = [_dominant_line(e)]
    why += _upstream(e, trace)
    why += _nonfinite(e)
    if EXPLODING in e.kinds:
        why.append(f"exploding: |z| = {fmt(abs(e.z), 4)} > {fmt(settings.exploding_z)}")
    why += _saturated(e, settings)
    why += _unscaled(e, trace, settings)
    dead, more = _bias(e)
    why += dead
    if WRONG_OUTPUT in e.kinds:
        why.append(_wrong_output(e, trace))
    lines = [head, z_line, *_term_lines(e), *why]
    if more:  # the fix line's continuation, indented under it (not in the summary)
        lines.insert(lines.index(more[0]) + 1, more[1])
    return tuple(lines), (z_line, *why)


def _z_line(e: Explanation) -> str:
    act = ACTIVATIONS[e.activation]
    # σ(166.5) is 1 in floating point, not in mathematics: say ≈.
    approx = act.at_limit(e.z, e.a)
    inp = "x" if e.layer == 0 else f"a{e.layer}"
    if e.zsum is not None:  # a norm between the bias and the activation
        return (f"z = w·{inp} + b = {fmt(e.zdot)} + {fmt_operand(e.bias)} = {fmt(e.zsum)};  "
                f"z' = {e.norm_title}(z) = {fmt(e.z)};  a = {act.symbol}(z') {'≈' if approx else '='} {fmt(e.a, 4)}")
    return (f"z = w·{inp} + b = {fmt(e.zdot)} + {fmt_operand(e.bias)} = {fmt(e.z)};  "
            f"a = {act.symbol}(z) {'≈' if approx else '='} {fmt(e.a, 4)}")


def _term_lines(e: Explanation) -> list[str]:
    """The terms, largest first, in aligned columns."""
    shown = e.terms[:SHOWN_TERMS]
    bodies = []
    for t in shown:
        if t.index is None:
            bodies.append(fmt(t.value))
        else:
            assert t.weight is not None and t.input is not None  # an input's term has both
            raw = f" (raw {fmt(t.raw_input)})" if t.raw_input is not None else ""
            bodies.append(f"{fmt_operand(t.weight)} × {fmt_operand(t.input)}{raw} = {fmt(t.value)}")
    width = max(len(t.name) for t in shown)
    body_width = max(len(text) for text in bodies)
    out = []
    for t, body in zip(shown, bodies):
        share = f"{t.share:7.1%}" if math.isfinite(t.share) else ""
        out.append(f"  {t.name:<{width}}  {body:<{body_width}}  {share}".rstrip())
    if len(e.terms) > SHOWN_TERMS:
        shares = e.terms.shares(SHOWN_TERMS)
        share = f", {sum(shares):.1%} together" if all(math.isfinite(s) for s in shares) else ""
        out.append(f"  … {len(shares)} more terms{share}")
    return out


def _dominant_line(e: Explanation) -> str:
    d = e.dominant
    if math.isfinite(d.share):
        return f"dominant term: {d.name} ({fmt(d.value)}), {d.share:.1%} of Σ|w_i·x_i| + |b|"
    return f"dominant term: {d.name} ({fmt(d.value)})"


def _upstream(e: Explanation, trace: Trace) -> list[str]:
    if e.dominant_upstream is None or not e.dominant_upstream_kinds:
        return []
    where = NeuronRef(*e.dominant_upstream).label(trace.network)
    return [f"{e.dominant.name} comes from {where}: " + ", ".join(KIND_TITLES[k] for k in e.dominant_upstream_kinds)]


def _nonfinite(e: Explanation) -> list[str]:
    cause = e.nonfinite
    if NONFINITE not in e.kinds or cause is None:
        return []
    here = cause.origin == (e.layer, e.neuron)
    if here and cause.kind in (WEIGHT, BIAS):
        out = [f"not finite: z = {fmt(e.z)} starts HERE: {cause.text}"]
    elif here:
        out = [f"not finite: z = {fmt(e.z)} was produced HERE from finite operands: {cause.text}"]
    else:
        out = [f"not finite: z = {fmt(e.z)} is passed on: {cause.text}"]
    if cause.made_nan:
        out.append(cause.made_nan)
    return out


def _saturated(e: Explanation, settings: Settings) -> list[str]:
    if SATURATED not in e.kinds or e.slope is None or e.flat is None:
        return []
    g = ACTIVATIONS[e.activation].symbol
    z = abs(e.z)
    # Past |z| ≈ 745 the slope underflows even float64: write its size as a power of e.
    here = f"= {fmt(e.slope, 2)}"
    if e.slope <= 1e-300 and e.activation == "sigmoid":
        here = f"≈ e^−{fmt(z, 4)}"
    elif e.slope <= 1e-300 and e.activation == "tanh":
        here = f"≈ 4·e^−{fmt(2 * z, 4)}"
    lo, hi = e.flat
    if e.saturation_bound is not None:
        where = f"|z| = {fmt(z, 4)} > {fmt(e.saturation_bound, 3)}"
    elif e.z < lo:
        where = f"z = {fmt(e.z, 4)} < {fmt(lo, 3)}"
    else:
        where = f"z = {fmt(e.z, 4)} > {fmt(hi, 3)}"
    return [f"saturated: {where}, where {g}′(z) < "
            f"{fmt(settings.saturation_slope)} (here {g}′(z) {here}): changing the inputs barely moves the output"]


def _unscaled(e: Explanation, trace: Trace, settings: Settings) -> list[str]:
    if not e.unscaled_inputs:
        return []
    d = e.dominant
    assert d.input is not None  # an input's term has its input
    out = [f"the inputs are not normalised (the file has no normalization): "
           f"{d.name} = {fmt(d.input)} is in raw units and dominates z"]
    if e.normalized_z is None or e.normalized_a is None or e.norm_mean is None or e.norm_std is None:
        out.append("with one sample there is no spread to normalise by: add samples "
                   "or a \"normalization\" block with the training mean and std")
        return out
    src = "the file's" if e.normalization_source == "file" else "the samples'"
    stats = "; ".join(f"{trace.network.feature_name(i)}: μ = {fmt(m, 4)}, σ = {fmt(s, 4)}"
                      for i, (m, s) in enumerate(zip(e.norm_mean, e.norm_std)) if i < 4)
    verdict = ""
    layer = trace.network.layers[e.layer]
    if conditions.flat_region(layer, settings) is not None:
        verdict = ", saturated even so" if conditions.saturated(layer, e.normalized_z, settings) else ", not saturated"
    out.append(f"normalised with {src} mean and std ({stats}), z would be "
               f"{fmt(e.normalized_z, 4)} and a = {fmt(e.normalized_a, 4)}{verdict}")
    return out


def _bias(e: Explanation) -> tuple[list[str], list[str]]:
    """(the dead-neuron lines, [the fix line, its continuation]) — only for a dead one."""
    if DEAD not in e.kinds or e.largest_z is None or e.dies_at is None:
        return [], []
    at = fmt(e.dies_at)
    who = "ReLU" if e.activation == "relu" else ACTIVATIONS[e.activation].symbol
    z = "z" if e.shift is None else "z'"  # what the activation takes: behind a norm, its output
    out = [f"dead {who}: {z} ≤ {at} in all {e.n_samples} samples (largest {z} = {fmt(e.largest_z, 4)}), so it outputs 0 "
           "and passes no gradient back"]
    fix = e.bias_fix
    if fix is None or e.z > e.dies_at:
        return out, []
    what, sym, old = ("the bias", "b", e.bias) if e.shift is None else (f"the {e.norm_title}'s {e.shift_symbol}", e.shift_symbol, e.shift)
    line = (f"fix: raise {what} {e.bias_target} by more than {fmt(e.dies_at - e.z, 4)}: +{fmt(fix)} "
            f"({sym} = {fmt(old, 4)} → {fmt(old + fix, 4)}) gives {z} = {fmt(e.z + fix, 3)} > {at} for this sample")
    out.append(line)
    more = []
    if e.bias_fix_any is not None and e.bias_fix_any != fix:
        more.append(f"+{fmt(e.bias_fix_any)} makes it fire in at least one sample (no longer dead)")
    if e.bias_fix_all is not None and e.bias_fix_all != fix and e.n_samples > 1:
        more.append(f"+{fmt(e.bias_fix_all)} makes {z} > {at} in all {e.n_samples} samples")
    return out, ([line, "     " + "; ".join(more)] if more else [])


def _wrong_output(e: Explanation, trace: Trace) -> str:
    f = e.wrong_output
    if f is None:
        return "wrong output"
    if f.row == e.row:
        return f"wrong output: {f.cause}"
    sample = trace.network.samples[e.row]
    out = trace.outputs[e.row]
    parts = []
    if sample.expected is not None:
        parts.append(f"expected {fmt(sample.expected[e.neuron], 4)}")
    if sample.label is not None:
        parts.append(f"label {sample.label}")
    return f"wrong output: the output {fmt(out[e.neuron], 4)}, " + ", ".join(parts)
