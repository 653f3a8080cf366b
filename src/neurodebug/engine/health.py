"""Health checks: find the neurons that make a forward pass go wrong.

``check_health(trace)`` looks at every neuron of every layer for every sample
the trace holds and returns a ``HealthReport``: plain data, in step order, for
the command line, the TUI or a script. The detectors work on whole
(samples × units) arrays, one layer at a time; Python only loops over the
neurons that actually fire, and a finding builds its message when asked.

``explain`` says why one neuron of one sample is in trouble. The data types
live in ``findings.py`` and ``explanation.py``; this module re-exports them,
so front ends need one import.
"""

from __future__ import annotations

import math
from dataclasses import replace
from collections.abc import Iterable, Sequence

import numpy as np

from .activations import ACTIVATIONS, saturation_bound
from .explanation import Explanation, NonFiniteCause, Term, explain
from .findings import (
    DEAD, EXPLODING, KIND_TITLES, KINDS, NONFINITE, NOTE, PROBLEM, SATURATED, WRONG_OUTPUT, Finding,
    HealthReport, Rows, input_name, json_number, where_text,
)
from .network import Layer, Network
from .samples import Names
from .settings import DEFAULT_CONFIG, HealthConfig
from .numbers import fmt
from .outputs import NO_CLASS, Verdicts, judge
from .trace import Trace

_QUIET = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def sample_names(network: Network, n: int) -> Sequence[str]:
    """Names of the trace's rows: the network's samples' when the trace holds them."""
    if len(network.samples) == n:
        return network.samples.names
    return Names(None, n)


class _LayerContext:
    """What every finding of one layer shares."""

    def __init__(self, trace: Trace, l: int, names: Sequence[str]) -> None:
        self.trace = trace
        self.l = l
        self.layer: Layer = trace.network.layers[l]
        self.names = names
        self.n = trace.n_samples

    def finding(self, kind: str, j: int | None, rows: Iterable[int], row: int, value: float,
                threshold: float = math.nan, origin: bool = False, cause: str = "",
                severity: str = PROBLEM, verdict: str = "") -> Finding:
        layer = self.layer
        return Finding(
            kind, self.l, j, Rows(rows), origin, float(value), int(row), float(threshold),
            layer.name, layer.neuron_name(j) if (j is not None and layer.neuron_names) else None,
            layer.activation, self.names[row], self.n, cause, severity, verdict,
        )

    @property
    def is_output(self) -> bool:
        return self.l == len(self.trace.network.layers) - 1


# Student's t, one-sided 99.9 % quantile, by degrees of freedom (1–30, then
# 40, 60, 120 and ∞ as in the usual tables; in between, linear in 1/df).
_T999 = (318.309, 22.327, 10.215, 7.173, 5.893, 5.208, 4.785, 4.501, 4.297, 4.144, 4.025, 3.930, 3.852,
         3.787, 3.733, 3.686, 3.646, 3.610, 3.579, 3.552, 3.527, 3.505, 3.485, 3.467, 3.450, 3.435, 3.421,
         3.408, 3.396, 3.385)
_T999_TAIL = ((30, 3.385), (40, 3.307), (60, 3.232), (120, 3.160), (math.inf, 3.090))


def _t999(df: int) -> float:
    if df <= len(_T999):
        return _T999[df - 1]
    for (d0, t0), (d1, t1) in zip(_T999_TAIL, _T999_TAIL[1:]):
        if df <= d1:
            w = (1 / d0 - 1 / df) / (1 / d0 - (0.0 if math.isinf(d1) else 1 / d1))
            return t0 + w * (t1 - t0)
    return _T999_TAIL[-1][1]


def _comes_back_rarely(z: np.ndarray, limit: float) -> bool:
    """Would a new input drawn like these samples bring z back within ±limit
    less than once in a thousand? The one-sided 99.9 % prediction bound of
    the samples' z, mean ∓ t·s·√(1 + 1/n), must still lie past the limit."""
    z = np.asarray(z, dtype=np.float64)
    n = z.size
    if n < 2:
        return False
    past = abs(float(z.mean())) - limit
    spread = float(z.std(ddof=1)) * math.sqrt(1 + 1 / n)
    if past <= 0:
        return False
    return spread == 0 or past / spread >= _t999(n - 1)


def _on_every_sample(ctx: _LayerContext, z: np.ndarray, limit: float, config: HealthConfig) -> str:
    """PROBLEM when "on one side of ``limit`` in every sample" is evidence
    (many samples, or a few far past it and close together), else NOTE."""
    if ctx.n >= config.dataset_samples:
        return PROBLEM
    if ctx.n >= config.dead_min_samples and _comes_back_rarely(z, limit):
        return PROBLEM
    return NOTE


def _raw_input_dominates(ctx: _LayerContext, j: int, row: int, config: HealthConfig) -> bool:
    """Layer 1, inputs nobody normalised, and z's largest term a feature in
    its own units (|x| > large_input): the lesson's saturated neuron."""
    trace = ctx.trace
    if ctx.l != 0 or trace.x is not trace.x_raw:
        return False
    x = np.asarray(trace.x[row], dtype=np.float64)
    terms = np.abs(x * np.asarray(ctx.layer.W[:, j], dtype=np.float64))
    k = int(np.argmax(np.where(np.isnan(terms), -1.0, terms)))
    return bool(abs(x[k]) > config.large_input)


def _saturation_severity(ctx: _LayerContext, j: int, rows: np.ndarray, bound: float,
                         config: HealthConfig, right: np.ndarray | None) -> tuple[str, str]:
    z = ctx.trace.values[ctx.l].z[:, j]
    if ctx.is_output and right is not None and right[rows].all():
        return NOTE, "confidently right: the labels agree, and a trained classifier is meant to be sure"
    n = ctx.n
    if rows.size == n and ((z > 0).all() or (z < 0).all()):
        if _on_every_sample(ctx, z, bound, config) == PROBLEM:
            return PROBLEM, "stuck on one side: it no longer responds to its inputs"
        worst = int(rows[np.argmax(np.abs(z[rows]))])
        if _raw_input_dominates(ctx, j, worst, config):
            return PROBLEM, "driven there by a raw, unnormalised input: normalise the inputs"
        return NOTE, f"too few samples ({n}) to call it stuck"
    return NOTE, "only in some samples, as a confident neuron is"


def _per_neuron(mask: np.ndarray, score: np.ndarray) -> list[tuple[int, np.ndarray, int]]:
    """(neuron, rows where mask holds, worst row by score) for every firing neuron.

    One ``nonzero`` over the transposed mask instead of a loop over all neurons.
    """
    cols, rows = np.nonzero(mask.T)
    if cols.size == 0:
        return []
    worst = np.argmax(np.where(mask, score, -np.inf), axis=0)
    splits = np.flatnonzero(np.diff(cols)) + 1
    out = []
    for group in np.split(np.arange(cols.size), splits):
        j = int(cols[group[0]])
        out.append((j, rows[group], int(worst[j])))
    return out


def _check_layer(trace: Trace, l: int, config: HealthConfig, names: Sequence[str],
                 right: np.ndarray | None = None) -> list[Finding]:
    """``right``: per sample, whether the output agrees with its label or
    expected vector (None: no sample says): confident right outputs are notes."""
    ctx = _LayerContext(trace, l, names)
    layer = ctx.layer
    act = ACTIVATIONS[layer.activation]
    vals = trace.values[l]
    z = vals.z
    zfin = np.isfinite(z)
    absz = np.abs(z)
    out: list[Finding] = []

    bad = ~zfin | ~np.isfinite(vals.a)
    if bad.any():
        out += _nonfinite(ctx, bad, zfin)

    if act.can_saturate:
        bound = saturation_bound(layer.activation, config.saturation_slope)
        for j, rows, worst in _per_neuron(zfin & (absz > bound), absz):
            severity, verdict = _saturation_severity(ctx, j, rows, bound, config, right)
            out.append(ctx.finding(SATURATED, j, rows, worst, z[worst, j], bound,
                                   severity=severity, verdict=verdict))

    # A linear output may be large by design (a regression target in its units).
    big_output = ctx.is_output and layer.activation == "linear"
    for j, rows, worst in _per_neuron(zfin & (absz > config.exploding_z), absz):
        out.append(ctx.finding(EXPLODING, j, rows, worst, z[worst, j], config.exploding_z,
                               severity=NOTE if big_output else PROBLEM,
                               verdict="a linear output may be this large (a target in its own units)"
                               if big_output else ""))

    if act.can_die and ctx.n >= config.dead_min_samples:
        # NaN <= 0 is False: a neuron with a NaN somewhere is not called dead.
        dead = np.flatnonzero((z <= 0).all(axis=0))
        if dead.size:
            best = np.argmax(z[:, dead], axis=0)
            for j, r in zip(dead.tolist(), best.tolist()):
                severity = _on_every_sample(ctx, z[:, j], 0.0, config)
                verdict = "" if severity == PROBLEM else f"too few samples ({ctx.n}) to call it dead"
                out.append(ctx.finding(DEAD, j, np.arange(ctx.n), r, z[r, j], 0.0, severity=severity, verdict=verdict))
    return out


def _nonfinite(ctx: _LayerContext, bad: np.ndarray, zfin: np.ndarray) -> list[Finding]:
    """Split non-finite neurons into origins (finite operands) and pass-ons."""
    trace, l, layer = ctx.trace, ctx.l, ctx.layer
    vals = trace.values[l]
    xin = trace.layer_input(l)
    in_ok = np.isfinite(xin).all(axis=1)
    w_ok = np.isfinite(layer.W).all(axis=0)
    b_ok = np.isfinite(layer.b)
    operands_ok = in_ok[:, None] & w_ok[None, :] & b_ok[None, :]
    origin = ~zfin & operands_ok
    # A finite z with a non-finite activation: the activation made it, unless a
    # whole-layer activation (softmax) saw another neuron's non-finite z.
    afin_bad = bad & zfin
    if ACTIVATIONS[layer.activation].per_layer:
        afin_bad &= zfin.all(axis=1, keepdims=True)
    origin |= afin_bad & operands_ok
    # A NaN or ±∞ weight or bias of its own, on finite inputs: it starts here too.
    origin |= bad & in_ok[:, None] & ~(w_ok & b_ok)[None, :]
    passon = bad & ~origin

    order = np.arange(ctx.n, dtype=float)[:, None] * -1.0  # the first sample is the "worst"
    score = np.broadcast_to(order, bad.shape)
    out: list[Finding] = []
    for j, rows, first in _per_neuron(origin, score):
        out.append(ctx.finding(NONFINITE, j, rows, first, vals.z[first, j], origin=True,
                               cause=_origin_cause(ctx, first, j)))
    passons = _per_neuron(passon, score)
    causes = _PassOnCauses(ctx, w_ok)
    for j, rows, first in passons:
        out.append(ctx.finding(NONFINITE, j, rows, first, vals.z[first, j], cause=causes(first, j)))
    return out


def _origin_cause(ctx: _LayerContext, r: int, j: int) -> str:
    vals = ctx.trace.values[ctx.l]
    zdot, z = vals.zdot[r, j], vals.z[r, j]
    bad_parameter = _bad_parameter(ctx, j)
    if bad_parameter:
        return bad_parameter
    if not np.isfinite(zdot):
        if np.isnan(zdot):
            return "∞ − ∞ in its dot product (terms overflowed with opposite signs)"
        return f"its dot product w·x overflowed to {fmt(zdot)}"
    if not np.isfinite(z):
        return f"adding the bias overflowed: {fmt(zdot)} + {fmt(ctx.layer.b[j])} = {fmt(z)}"
    return f"its activation gave {fmt(vals.a[r, j])} for z = {fmt(z)}"


def _bad_parameter(ctx: _LayerContext, j: int) -> str:
    """'its weight L1.N7.w37 = ∞ (in the file)' when neuron j has a non-finite parameter."""
    layer, l = ctx.layer, ctx.l
    bad_w = np.flatnonzero(~np.isfinite(layer.W[:, j]))
    if bad_w.size:
        i = int(bad_w[0])
        more = f" (and {bad_w.size - 1} more)" if bad_w.size > 1 else ""
        return f"its weight L{l + 1}.N{j + 1}.w{i + 1} = {fmt(layer.W[i, j])}{more} is not a number it can compute with"
    if not np.isfinite(layer.b[j]):
        return f"its bias L{l + 1}.N{j + 1}.b = {fmt(layer.b[j])} is not a number it can compute with"
    return ""


class _PassOnCauses:
    """Why a neuron passes a non-finite value on, with the per-sample work
    (which input is bad, which neurons turn ∞ into NaN) done once per sample
    for the whole layer rather than once per neuron."""

    def __init__(self, ctx: _LayerContext, w_ok: np.ndarray) -> None:
        self.ctx = ctx
        self.w_ok = w_ok
        self.rows: dict[int, tuple[str, np.ndarray, np.ndarray]] = {}

    def _row(self, r: int) -> tuple[str, np.ndarray, np.ndarray]:
        if r in self.rows:
            return self.rows[r]
        ctx = self.ctx
        W = ctx.layer.W
        xin = ctx.trace.layer_input(ctx.l)[r]
        bad_in = np.flatnonzero(~np.isfinite(xin))
        text = ""
        units = W.shape[1]
        minus_inf = zero_inf = np.zeros(units, dtype=bool)
        if bad_in.size:
            i = int(bad_in[0])
            text = f"its input {input_name(ctx.trace.network, ctx.l, i)} = {fmt(xin[i])}"
            if not np.isnan(xin).any():
                # Only ±∞ comes in: a NaN here is made by this neuron, from a
                # +∞ term and a −∞ term, or from 0 × ∞.
                pos, neg = xin == np.inf, xin == -np.inf
                up = (W[pos] > 0).any(axis=0) | (W[neg] < 0).any(axis=0)
                down = (W[pos] < 0).any(axis=0) | (W[neg] > 0).any(axis=0)
                minus_inf = up & down
                zero_inf = (W[pos | neg] == 0).any(axis=0)
        self.rows[r] = (text, minus_inf, zero_inf)
        return self.rows[r]

    def __call__(self, r: int, j: int) -> str:
        ctx = self.ctx
        layer, l = ctx.layer, ctx.l
        text, minus_inf, zero_inf = self._row(r)
        if text:
            if np.isnan(ctx.trace.values[l].z[r, j]) and self.w_ok[j]:
                if minus_inf[j]:
                    text += "; ∞ − ∞ turned it into NaN here"
                elif zero_inf[j]:
                    text += "; 0 × ∞ turned it into NaN here"
            return text
        if not self.w_ok[j]:
            i = int(np.flatnonzero(~np.isfinite(layer.W[:, j]))[0])
            return f"its weight L{l + 1}.N{j + 1}.w{i + 1} = {fmt(layer.W[i, j])}"
        if not np.isfinite(layer.b[j]):
            return f"its bias L{l + 1}.N{j + 1}.b = {fmt(layer.b[j])}"
        return "another neuron of its softmax layer is not finite"


def judge_outputs(trace: Trace, config: HealthConfig) -> Verdicts | None:
    """Each sample's outputs judged against its label and expected vector;
    None when the trace was not run on the network's own samples."""
    network = trace.network
    if len(network.samples) != trace.n_samples:
        return None
    return judge(network, trace.outputs, config.output_tolerance)


def _output_severity(verdicts: Verdicts, config: HealthConfig, out: list[Finding]) -> list[Finding]:
    """Wrong outputs among a few hand-picked samples are each a problem; on a
    dataset, a trained model's usual share of mistakes is a note."""
    if not out:
        return out
    judged = verdicts.judged
    total, wrong = int(judged.sum()), int((judged & ~verdicts.right).sum())
    if total < config.min_labelled:
        return out
    share = f"{wrong} of {total} labelled samples wrong ({1 - wrong / total:.1%} right)"
    if wrong / total > config.max_error_rate:
        return [replace(f, verdict=f"{share}, more than {config.max_error_rate:.0%}") for f in out]
    return [replace(f, severity=NOTE, verdict=f"{share}, a trained model's usual error") for f in out]


def _check_outputs(trace: Trace, config: HealthConfig, names: Sequence[str]) -> list[Finding]:
    """Outputs that disagree with a sample's label or expected vector."""
    verdicts = judge_outputs(trace, config)
    if verdicts is None:
        return []  # the trace was not run on the file's samples: nothing to compare
    network = trace.network
    l = len(network.layers) - 1
    ctx = _LayerContext(trace, l, names)
    outputs = trace.outputs
    units = outputs.shape[1]
    out: list[Finding] = []

    # Expected vectors: one finding per output neuron that misses.
    expected = network.samples.expected
    if verdicts.by_expected.any():
        assert expected is not None
        miss = ~verdicts.expected_right
        with np.errstate(**_QUIET):
            err = np.abs(outputs.astype(np.float64) - expected)
        score = np.where(np.isnan(err), np.inf, err)
        for j, hit, worst in _per_neuron(miss, score):
            off = (f"off by {fmt(err[worst, j], 3)}, tolerance {fmt(config.output_tolerance)}"
                   if np.isfinite(err[worst, j]) else "not a finite number")
            cause = f"output {fmt(outputs[worst, j], 4)}, expected {fmt(expected[worst, j], 4)} ({off})"
            out.append(ctx.finding(WRONG_OUTPUT, j, hit, worst, outputs[worst, j],
                                   config.output_tolerance, cause=cause))

    # Labels: the class the outputs vote for (``predicted_classes``).
    wrong = np.flatnonzero(verdicts.by_label & ~verdicts.label_right)
    if wrong.size:
        labels = network.samples.labels
        assert labels is not None
        j = 0 if units == 1 else None
        # The first wrong sample is the one quoted: "worst" has no common
        # measure across sigmoid, tanh and softmax outputs.
        r = int(wrong[0])
        cls = int(verdicts.classes[r])
        value = outputs[r, 0] if units == 1 else math.nan
        got = "no class (not finite)" if cls == NO_CLASS else f"class {_class_name(network, cls)}"
        shown = fmt(outputs[r, 0], 4) if units == 1 else _vector_text(outputs[r])
        cause = f"label {_class_name(network, int(labels[r]))}, the output {shown} gives {got}"
        found = ctx.finding(WRONG_OUTPUT, j, wrong, r, value, cause=cause)
        # Merge with an expected-vector finding of the same output neuron.
        for k, f in enumerate(out):
            if f.neuron == j:
                out[k] = replace(f, samples=f.samples | found.samples)
                break
        else:
            out.append(found)
    return _output_severity(verdicts, config, out)


def _class_name(network: Network, cls: int) -> str:
    last = network.layers[-1]
    if last.units == 1:
        name = network.output_name(0)
        return f"{cls} ({'not ' if cls == 0 else ''}{name})"
    return f"{cls} ({network.output_name(cls)})"


def _vector_text(v: np.ndarray, limit: int = 6) -> str:
    parts = [fmt(x, 3) for x in v[:limit]]
    return "[" + ", ".join(parts) + (", …" if v.size > limit else "") + "]"


def _order(f: Finding) -> tuple[int, int, int, int]:
    # Whole-output findings come after the layer's neurons; origins before pass-ons.
    neuron = f.neuron if f.neuron is not None else 1 << 62
    return (f.layer, neuron, KINDS.index(f.kind), 0 if f.origin else 1)


def check_health(trace: Trace, config: HealthConfig = DEFAULT_CONFIG) -> HealthReport:
    """Run every detector over every layer and sample of ``trace``."""
    names = sample_names(trace.network, trace.n_samples)
    findings: list[Finding] = []
    verdicts = judge_outputs(trace, config)
    right = None if verdicts is None or not verdicts.judged.any() else verdicts.right
    with np.errstate(**_QUIET):
        for l in range(len(trace.network.layers)):
            findings += _check_layer(trace, l, config, names, right)
        findings += _check_outputs(trace, config, names)
    findings.sort(key=_order)
    return HealthReport(tuple(findings), names, config)


# -- the report as text (the command line; any front end may reuse it) ---------------
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
        acts = sorted({trace.network.layers[f.layer].activation for f in report.problems if f.kind == kind})
        bounds = ", ".join(f"{fmt(saturation_bound(a, config.saturation_slope), 3)} for {a}" for a in acts)
        return f"saturated: the slope g′(z) < {fmt(config.saturation_slope)}, i.e. |z| > {bounds}"
    if kind == EXPLODING:
        return f"exploding z: |z| > {fmt(config.exploding_z)}"
    if kind == DEAD:
        return "dead ReLU: z ≤ 0 in every sample, so it always outputs 0"
    if kind == WRONG_OUTPUT:
        return f"wrong output: the label's class, or the expected vector within {fmt(config.output_tolerance)}"
    return "NaN/Inf"


def _capped(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"  … and {len(lines) - limit} more (--format json lists them all)"]


def report_lines(report: HealthReport, trace: Trace, explain_count: int = 3,
                 limit: int = GROUP_LIMIT) -> list[str]:
    """The report as text: the summary, the findings grouped by kind (NaN/Inf
    origins first, pass-ons summed up per layer), then the worst neurons explained."""
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
            lines.append("NaN/Inf produced here from finite operands (the origin: start here):")
            lines += _capped([f"  {f.message}" for f in origins], limit)
        if passons:
            lines.append("NaN/Inf passed on from an earlier non-finite value:")
            lines += _capped(_passon_lines(passons), limit)
    if report.notes:
        lines.append("")
        lines.append("notes (worth knowing, not problems):")
        lines += _capped([f"  {f.message}" for f in report.notes], limit)
    worst = worst_findings(report, explain_count)
    if worst:
        lines.append("")
        lines.append("the worst neurons, explained:")
        for f in worst:
            assert f.neuron is not None
            e = explain(trace, f.row, f.layer, f.neuron, report.config)
            lines.append(f"  {e.lines[0]}")
            lines += [f"    {line}" for line in e.lines[1:]]
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


__all__ = [
    "DEAD", "EXPLODING", "KINDS", "KIND_TITLES", "NONFINITE", "SATURATED", "WRONG_OUTPUT",
    "Explanation", "Finding", "HealthConfig", "HealthReport", "NonFiniteCause", "Term", "check_health", "explain",
    "input_name", "json_number", "report_lines", "sample_names", "where_text", "worst_findings",
]
