"""Health checks: find the neurons that make a forward pass go wrong.

``check_health(trace)`` looks at every neuron of every layer for every sample
the trace holds and returns a ``HealthReport``: plain data, in step order, for
the command line, the TUI or a script. The detectors work on whole
(samples × units) arrays, one layer at a time; Python only loops over the
neurons that actually fire, and a finding builds its message when asked.

What each condition means is defined once, in ``conditions.py``; this
module decides which of them are findings, and whether each is a problem or
a note. ``explain`` says why one neuron of one sample is in trouble; the
data types live in ``findings.py`` and ``explanation.py`` and the words in
``report_text.py``; this module re-exports them, so front ends need one
import.
"""

from __future__ import annotations

import math
from functools import partial
from importlib import import_module
from typing import TYPE_CHECKING
from collections.abc import Callable, Sequence

import numpy as np

from . import conditions
from .activations import ACTIVATIONS
from .kinds import Severity
from .findings import (
    DEAD, EXPLODING, KIND_TITLES, KINDS, NONFINITE, NOTE, PROBLEM, SATURATED, WRONG_OUTPUT, Finding,
    HealthReport, input_name, where_text,
)
from .gradient_sizes import Gradients, gradients_of
from .kinds import LossKind
from .layer_context import LayerContext, per_neuron
from .learning import learning_findings
from .numbers import fmt, json_number, quiet
from .output_findings import check_outputs, judge_outputs
from .report_text import report_lines, worst_findings
from .settings import DEFAULT_CONFIG, HealthConfig
from .trace import Trace

if TYPE_CHECKING:  # re-exported below, imported when first asked for (__getattr__)
    from .explain import explain
    from .explanation import Explanation
    from .nonfinite import NonFiniteCause
    from .terms import Term

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


_FEW = 64  # up to this many samples, z's statistics are summed in plain Python (math.fsum)


def z_stats(z: np.ndarray) -> tuple[int, float, float]:
    """(n, mean, sample standard deviation) of one neuron's z, in float64."""
    z = np.asarray(z, dtype=np.float64)
    n = z.size
    if n < 2:
        return n, math.nan, math.nan
    if n <= _FEW and bool(np.isfinite(z).all()):  # a few samples: plain Python, without NumPy's per-call cost
        return _few_stats(z.tolist())
    return n, float(z.mean()), float(z.std(ddof=1))


def _few_stats(values: list[float]) -> tuple[int, float, float]:
    """``z_stats`` of a few finite values (at least 2), exactly summed."""
    n = len(values)
    mean = math.fsum(values) / n
    return n, mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))


class ColumnStats:
    """``z_stats(z[:, j])`` for the neurons ``cols`` of one layer, the same
    numbers: with a few samples, the columns' float64 values are read out
    once for all of them when first asked (a layer can have hundreds of
    dead neurons, each paying NumPy's per-call cost)."""

    def __init__(self, z: np.ndarray, cols: np.ndarray) -> None:
        self.z, self.cols = z, cols
        self._few: dict[int, list[float]] | None = None  # the finite columns' values

    def __call__(self, j: int) -> tuple[int, float, float]:
        if not 2 <= self.z.shape[0] <= _FEW:
            return z_stats(self.z[:, j])
        if self._few is None:
            z = np.asarray(self.z[:, self.cols], dtype=np.float64)
            finite = np.isfinite(z).all(axis=0)
            self._few = dict(zip(self.cols[finite].tolist(), z[:, finite].T.tolist()))
        values = self._few.get(j)
        return z_stats(self.z[:, j]) if values is None else _few_stats(values)


def comes_back_rarely(n: int, mean: float, std: float, limit: float, below: bool) -> bool:
    """Would a new input drawn like these samples bring z back over ``limit``
    (from below it, or from above) less than once in a thousand? The
    one-sided 99.9 % prediction bound of the samples' z, mean ± t·s·√(1 + 1/n),
    must still lie past the limit."""
    if n < 2:
        return False
    past = limit - mean if below else mean - limit
    spread = std * math.sqrt(1 + 1 / n)
    if past <= 0:
        return False
    return spread == 0 or past / spread >= _t999(n - 1)


def on_every_sample(n: int, stats: Callable[[], tuple[int, float, float]], limit: float, below: bool,
                    config: HealthConfig) -> Severity:
    """PROBLEM when "below (or above) ``limit`` in every one of the ``n``
    samples" is evidence (many samples, or a few far past it and close
    together: ``stats``, the (n, mean, std) of z), else NOTE."""
    if n >= config.dataset_samples:
        return PROBLEM
    if n >= config.dead_min_samples and comes_back_rarely(*stats(), limit, below):
        return PROBLEM
    return NOTE


def raw_input_dominates(x: np.ndarray, w: np.ndarray, config: HealthConfig) -> bool:
    """z's largest term is a feature in its own units (|x| > large_input):
    the lesson's saturated neuron, when nobody normalised the inputs of
    layer 1 (``x``: one sample's inputs, ``w``: the neuron's weights)."""
    x = np.asarray(x, dtype=np.float64)
    terms = np.abs(x * np.asarray(w, dtype=np.float64))
    k = int(np.argmax(np.where(np.isnan(terms), -1.0, terms)))
    return bool(abs(x[k]) > config.large_input)


def saturation_verdict(n: int, count: int, below: bool, above: bool, flat: tuple[float, float],
                       stats: Callable[[], tuple[int, float, float]], confidently_right: bool,
                       raw_dominates: Callable[[], bool], config: HealthConfig) -> tuple[Severity, str]:
    """A saturated neuron's severity and why: saturated in ``count`` of ``n``
    samples; ``below``/``above``: z past the lower/upper edge in every sample;
    ``confidently_right``: an output whose saturated samples are all right."""
    if confidently_right:
        return NOTE, "confidently right: the labels agree, and a trained classifier is meant to be sure"
    lo, hi = flat
    if count < n:
        return NOTE, "only in some samples, as a confident neuron is"
    if (below or above) and on_every_sample(n, stats, lo if below else hi, below, config) == PROBLEM:
        return PROBLEM, "stuck on one side: it no longer responds to its inputs"
    if raw_dominates():
        return PROBLEM, "driven there by a raw, unnormalised input: normalise the inputs"
    if below or above:
        return NOTE, f"too few samples ({n}) to call it stuck"
    # In every sample, some on each side: it still answers its inputs, as a switch.
    return NOTE, "some on each side: a switch, still responding to its inputs, its slope near 0 in all of them"


def saturated_finding(ctx: LayerContext, j: int, rows: np.ndarray, worst: int, value: float,
                      flat: tuple[float, float], severity: Severity, verdict: str) -> Finding:
    lo, hi = flat
    symmetric = lo == -hi
    edge = hi if symmetric or value > hi else lo
    return ctx.finding(SATURATED, j, rows, worst, value, edge, severity=severity, verdict=verdict, symmetric=symmetric)


def exploding_finding(ctx: LayerContext, j: int, rows: np.ndarray, worst: int, value: float,
                      config: HealthConfig) -> Finding:
    # A linear output may be large by design (a regression target in its units).
    big_output = ctx.is_output and ctx.layer.activation == "linear"
    return ctx.finding(EXPLODING, j, rows, worst, value, config.exploding_z,
                       severity=NOTE if big_output else PROBLEM,
                       verdict="a linear output may be this large (a target in its own units)" if big_output else "")


def dead_finding(ctx: LayerContext, j: int, worst: int, value: float, at: float, severity: Severity) -> Finding:
    verdict = "" if severity == PROBLEM else f"too few samples ({ctx.n}) to call it dead"
    return ctx.finding(DEAD, j, ctx.every_row, worst, value, at, severity=severity, verdict=verdict)


def _check_layer(trace: Trace, l: int, config: HealthConfig, names: Sequence[str],
                 right: np.ndarray | None = None) -> list[Finding]:
    """``right``: per sample, whether the output agrees with its label or
    expected vector (None: no sample says): confident right outputs are notes."""
    ctx = LayerContext(trace, l, names)
    layer = ctx.layer
    vals = trace.values[l]
    z = vals.z
    zfin = np.isfinite(z)
    absz = np.abs(z)
    out: list[Finding] = []

    bad = conditions.nonfinite(z, vals.a)
    if bad.any():
        out += nonfinite_findings(ctx, bad, zfin)

    flat = conditions.flat_region(layer, config)
    if flat is not None:
        # ±∞ is saturated too, but reported as NaN/Inf (above), not twice.
        lo, hi = flat
        below, above = np.asarray((z < lo).all(axis=0)), np.asarray((z > hi).all(axis=0))
        raw = l == 0 and trace.x is trace.x_raw

        def raw_dominates(j: int, worst: int) -> bool:
            return raw and raw_input_dominates(trace.x[worst], layer.W[:, j], config)

        for j, rows, worst in per_neuron(zfin & conditions.saturated(layer, z, config), absz):
            severity, verdict = saturation_verdict(
                ctx.n, rows.size, bool(below[j]), bool(above[j]), flat, partial(z_stats, z[:, j]),
                ctx.is_output and right is not None and bool(right[rows].all()),
                partial(raw_dominates, j, worst), config)
            out.append(saturated_finding(ctx, j, rows, worst, z[worst, j], flat, severity, verdict))

    for j, rows, worst in per_neuron(conditions.exploding(z, config), absz):
        out.append(exploding_finding(ctx, j, rows, worst, z[worst, j], config))

    dead = np.flatnonzero(conditions.dead(layer, z, config))
    if dead.size:
        at = conditions.dies_at(layer)
        assert at is not None
        best = np.argmax(z[:, dead], axis=0)
        stats = ColumnStats(z, dead)
        for j, r in zip(dead.tolist(), best.tolist()):
            severity = on_every_sample(ctx.n, partial(stats, j), at, True, config)
            out.append(dead_finding(ctx, j, r, z[r, j], at, severity))
    return out


def nonfinite_findings(ctx: LayerContext, bad: np.ndarray, zfin: np.ndarray) -> list[Finding]:
    """Split non-finite neurons into origins (finite operands) and pass-ons."""
    trace, l, layer = ctx.trace, ctx.l, ctx.layer
    vals = trace.values[l]
    xin = trace.layer_input(l)
    in_ok = np.isfinite(xin).all(axis=1)
    w_ok = np.isfinite(layer.W).all(axis=0)
    b_ok = np.isfinite(layer.b)
    if layer.norm is not None:  # its norm's parameters are the neuron's own too
        b_ok &= layer.norm.ok()
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
    for j, rows, first in per_neuron(origin, score):
        out.append(ctx.finding(NONFINITE, j, rows, first, vals.z[first, j], origin=True,
                               cause=_origin_cause(ctx, first, j)))
    passons = per_neuron(passon, score)
    causes = _PassOnCauses(ctx, w_ok)
    for j, rows, first in passons:
        out.append(ctx.finding(NONFINITE, j, rows, first, vals.z[first, j], cause=causes(first, j)))
    return out


def _origin_cause(ctx: LayerContext, r: int, j: int) -> str:
    vals = ctx.trace.values[ctx.l]
    zdot, z = vals.zdot[r, j], vals.z[r, j]
    bad_parameter = _bad_parameter(ctx, j)
    if bad_parameter:
        return bad_parameter
    if not np.isfinite(zdot):
        if np.isnan(zdot):
            return "∞ − ∞ in its dot product (terms overflowed with opposite signs)"
        return f"its dot product w·x overflowed to {fmt(zdot)}"
    zsum, g = vals.biased[r, j], vals.activated[r, j]
    if not np.isfinite(zsum):
        return f"adding the bias overflowed: {fmt(zdot)} + {fmt(ctx.layer.b[j])} = {fmt(zsum)}"
    norm = ctx.layer.norm
    if not np.isfinite(z) and norm is not None:
        return f"its {norm.title} gave {fmt(z)} for z = {fmt(zsum)}"
    if np.isfinite(g) and norm is not None:
        return f"its {norm.title} gave {fmt(vals.a[r, j])} for g(z) = {fmt(g)}"
    return f"its activation gave {fmt(g)} for z = {fmt(z)}"


def _bad_parameter(ctx: LayerContext, j: int) -> str:
    """'its weight L1.N7.w37 = ∞ (in the file)' when neuron j has a non-finite parameter."""
    layer, l = ctx.layer, ctx.l
    bad_w = np.flatnonzero(~np.isfinite(layer.W[:, j]))
    if bad_w.size:
        i = int(bad_w[0])
        more = f" (and {bad_w.size - 1} more)" if bad_w.size > 1 else ""
        return f"its weight L{l + 1}.N{j + 1}.w{i + 1} = {fmt(layer.W[i, j])}{more} is not a number it can compute with"
    if not np.isfinite(layer.b[j]):
        return f"its bias L{l + 1}.N{j + 1}.b = {fmt(layer.b[j])} is not a number it can compute with"
    bad = layer.norm.bad_param(j) if layer.norm is not None else None
    if bad is not None:
        assert layer.norm is not None
        return (f"its {layer.norm.title}'s L{l + 1}.N{j + 1}.{bad[0]} = {fmt(bad[1])} "
                "is not a number it can compute with")
    return ""


class _PassOnCauses:
    """Why a neuron passes a non-finite value on, with the per-sample work
    (which input is bad, which neurons turn ∞ into NaN) done once per sample
    for the whole layer rather than once per neuron."""

    def __init__(self, ctx: LayerContext, w_ok: np.ndarray) -> None:
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
        bad = layer.norm.bad_param(j) if layer.norm is not None else None
        if bad is not None:
            return f"its {layer.norm.title}'s L{l + 1}.N{j + 1}.{bad[0]} = {fmt(bad[1])}"  # type: ignore[union-attr]
        return "another neuron of its softmax layer is not finite"


def finding_order(f: Finding) -> tuple[int, int, int, int]:
    # Whole-output findings come after the layer's neurons; origins before pass-ons.
    neuron = f.neuron if f.neuron is not None else 1 << 62
    return (f.layer, neuron, KINDS.index(f.kind), 0 if f.origin else 1)


def check_health(trace: Trace, config: HealthConfig = DEFAULT_CONFIG,
                 loss: LossKind | str | None = None) -> HealthReport:
    """Run every detector over every layer and sample of ``trace``; where
    samples have a label or expected output, the gradients of ``loss``
    (inferred from the output when None) too: why a neuron does not learn."""
    names = trace.network.samples.names_for(trace.n_samples)
    findings: list[Finding] = []
    verdicts = judge_outputs(trace, config)
    right = None if verdicts is None or not verdicts.judged.any() else verdicts.right
    with quiet():
        for l in range(len(trace.network.layers)):
            findings += _check_layer(trace, l, config, names, right)
        findings += check_outputs(trace, config, names)
    refused = None
    try:
        grads = gradients_of(trace, loss)
    except ValueError as exc:
        grads, refused = None, str(exc)
    if grads is not None:
        findings += learning_findings(trace, grads, findings, config, names)
    findings.sort(key=finding_order)
    return HealthReport(tuple(findings), names, config, grads, refused)


# explain and its types: the first screen explains nothing, so they are
# imported when first asked for (PEP 562), as the package's public names are.
_LAZY = {"explain": ".explain", "Explanation": ".explanation", "NonFiniteCause": ".nonfinite", "Term": ".terms"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEAD", "EXPLODING", "KINDS", "KIND_TITLES", "NONFINITE", "SATURATED", "WRONG_OUTPUT",
    "Explanation", "Finding", "Gradients", "HealthConfig", "HealthReport", "NonFiniteCause", "Term", "check_health", "explain",
    "input_name", "json_number", "judge_outputs", "report_lines", "where_text", "worst_findings",
]
