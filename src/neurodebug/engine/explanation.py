"""Why one neuron misbehaves for one sample: z taken apart, as plain data.

``explain(trace, row, layer, neuron)`` writes z = Σ w_i·x_i + b term by term,
names the dominant term, and adds what the neuron's trouble calls for: the z
the inputs would give normalised (saturation from raw inputs), the bias
change that brings a dead ReLU back, the first operand that was not finite.
``lines`` says it all in words; the other fields are there for a front end
that wants to draw it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .activations import ACTIVATIONS, saturation_bound
from .findings import (
    DEAD, EXPLODING, KIND_TITLES, KINDS, NONFINITE, SATURATED, WRONG_OUTPUT, input_name, json_number,
    where_text,
)
from .settings import DEFAULT_CONFIG, HealthConfig
from .numbers import fmt, fmt_operand
from .trace import Trace

_QUIET = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")
SHOWN_TERMS = 5  # terms written out in ``lines``; ``terms`` holds them all

# NonFiniteCause kinds
INPUT = "input"  # a layer-1 input was not finite
UPSTREAM = "upstream"  # an earlier neuron's activation was not finite
WEIGHT = "weight"
BIAS = "bias"
OVERFLOW = "overflow"  # one finite w_i × x_i overflowed
CANCELLATION = "cancellation"  # overflowed terms of both signs: ∞ − ∞ = NaN
SUM = "sum"  # finite terms whose sum overflowed
BIAS_ADD = "bias_add"  # w·x + b overflowed
ACTIVATION = "activation"


@dataclass(frozen=True)
class Term:
    """One term of z: w_i·x_i, or the bias (``index`` None)."""

    name: str  # "temperature", "a1_2" or "b"
    index: int | None  # the input (0-based); None for the bias
    weight: float | None
    input: float | None  # the value the neuron saw (normalised, for layer 1 of a normalising file)
    value: float  # w_i·x_i, or b
    share: float  # |value| / (Σ|w_i·x_i| + |b|); NaN when that sum is not finite
    raw_input: float | None = None  # layer 1: the raw feature value


@dataclass(frozen=True)
class NonFiniteCause:
    """The first operand that was not finite, or the operation that overflowed."""

    kind: str  # INPUT, UPSTREAM, WEIGHT, BIAS, OVERFLOW, CANCELLATION, SUM, BIAS_ADD, ACTIVATION
    text: str
    index: int | None = None  # the input or weight index, when there is one
    value: float = math.nan
    upstream: tuple[int, int] | None = None  # (layer, neuron) the non-finite input came from
    origin: tuple[int, int] | None = None  # (layer, neuron) that first made it from finite operands
    made_nan: str | None = None  # how ∞ became NaN in this neuron, if it did


@dataclass(frozen=True)
class Explanation:
    layer: int
    neuron: int
    row: int
    where: str  # "layer 1 (layer1), neuron 2 (too short)"
    sample_name: str
    activation: str
    zdot: float
    bias: float
    z: float
    a: float
    terms: Sequence[Term]  # every term, the bias included, largest |value| first (a Terms)
    dominant: Term
    kinds: tuple[str, ...]  # the findings that hold for this neuron and sample
    dominant_upstream: tuple[int, int] | None = None  # (layer, neuron) that made the dominant input
    dominant_upstream_kinds: tuple[str, ...] = ()  # that neuron's findings for this sample
    slope: float | None = None  # g'(z), for sigmoid and tanh
    saturation_bound: float | None = None
    unscaled_inputs: bool = False  # saturation (or explosion) driven by raw, unnormalised features
    large_features: tuple[str, ...] = ()
    normalized_z: float | None = None  # z with the inputs normalised
    normalized_a: float | None = None
    normalization_source: str | None = None  # "file" or "samples"
    norm_mean: tuple[float, ...] | None = None
    norm_std: tuple[float, ...] | None = None
    bias_target: str = ""  # "L1.N2.b", as --set and the edit box write it
    bias_needed: float | None = None  # ReLU with z ≤ 0: b must rise by more than this (−z)
    bias_fix: float | None = None  # a round change just above it: z > 0 for this sample
    bias_fix_any: float | None = None  # dead ReLU: z > 0 in at least one sample
    bias_fix_all: float | None = None  # z > 0 in every sample
    nonfinite: NonFiniteCause | None = None
    lines: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, 1-based like ``neurodebug trace --format json``."""
        num = json_number
        cause = self.nonfinite
        return {
            "layer": self.layer + 1,
            "neuron": self.neuron + 1,
            "sample": self.row + 1,
            "sample_name": self.sample_name,
            "where": self.where,
            "activation": self.activation,
            "z": num(self.z),
            "a": num(self.a),
            "bias": num(self.bias),
            "kinds": list(self.kinds),
            "dominant": {"name": self.dominant.name, "value": num(self.dominant.value),
                         "share": num(self.dominant.share)},
            "terms": [{"name": t.name, "weight": num(t.weight), "input": num(t.input),
                       "value": num(t.value), "share": num(t.share)} for t in self.terms[:SHOWN_TERMS]],
            "unscaled_inputs": self.unscaled_inputs,
            "normalized_z": num(self.normalized_z),
            "normalization_source": self.normalization_source,
            "bias_target": self.bias_target,
            "bias_fix": num(self.bias_fix),
            "bias_fix_any": num(self.bias_fix_any),
            "bias_fix_all": num(self.bias_fix_all),
            "nonfinite": None if cause is None else {
                "kind": cause.kind, "text": cause.text,
                "origin": None if cause.origin is None else [cause.origin[0] + 1, cause.origin[1] + 1],
            },
            "lines": list(self.lines),
        }


def round_up(v: float) -> float:
    """The smallest 3-significant-digit number strictly above ``v`` (≥ 0)."""
    if not math.isfinite(v):
        return v
    if v <= 0:
        return 0.001 if v == 0 else 0.0
    step = 10.0 ** (math.floor(math.log10(v)) - 2)
    r = float(f"{(math.floor(v / step) + 1) * step:.4g}")
    while r <= v:
        r = float(f"{r + step:.4g}")
    return r


class Terms(Sequence[Term]):
    """Every term of z, the bias included, largest |value| first.

    A Term is made when it is asked for: the screen explains the neuron it
    stands on at every step and reads the first few terms, and a 4096-input
    neuron's 4097 Term objects took milliseconds to build. Indexing, slicing,
    iterating and comparing behave as on the tuple it stands for.
    """

    def __init__(self, trace: Trace, row: int, l: int, j: int) -> None:
        network = trace.network
        layer = network.layers[l]
        xin, w = _operands(trace, row, l, j)
        b = float(layer.b[j])
        # In the trace's own precision, so a float32 overflow shows as it happened.
        products = (w * xin).astype(np.float64)
        mags = np.abs(products)
        total = float(mags.sum() + abs(b))
        finite = math.isfinite(total) and total > 0
        # NaN sorts as the largest: a NaN term is the one to see first.
        sizes = np.where(np.isnan(mags), np.inf, mags)
        order = np.argsort(-sizes, kind="stable")
        self._network, self._l = network, l
        self._order, self._w, self._xin, self._products = order, w, xin, products
        self._shares = mags[order] / total if finite else np.full(order.size, math.nan)
        self._raw = trace.x_raw[row] if l == 0 and trace.x is not trace.x_raw else None
        self._bias = Term("b", None, None, None, b, abs(b) / total if finite else math.nan)
        # The bias goes in by size (ties: after the inputs; a NaN term counts as largest).
        b_size = math.inf if math.isnan(b) else abs(b)
        smaller = np.flatnonzero(sizes[order] < b_size)
        self._bias_at = int(smaller[0]) if smaller.size else int(order.size)
        self._len = int(order.size) + 1

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, k):  # type: ignore[override]
        if isinstance(k, slice):
            return tuple(self[i] for i in range(*k.indices(self._len)))
        if k < 0:
            k += self._len
        if not 0 <= k < self._len:
            raise IndexError("term index out of range")
        if k == self._bias_at:
            return self._bias
        n = k if k < self._bias_at else k - 1
        i = int(self._order[n])
        l = self._l
        return Term(
            input_name(self._network, l, i) if l == 0 else f"a{l}_{i + 1}", i,
            float(self._w[i]), float(self._xin[i]), float(self._products[i]), float(self._shares[n]),
            float(self._raw[i]) if self._raw is not None else None,
        )

    def shares(self, start: int = 0) -> list[float]:
        """The shares of terms ``start``… in order, without making the Terms."""
        shares = self._shares.tolist()
        shares.insert(self._bias_at, self._bias.share)
        return shares[start:]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Terms({len(self)} terms, first {self[0]!r})"


def _operands(trace: Trace, row: int, l: int, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Neuron j's input row and weights in the dtype the trace computed in."""
    dtype = trace.values[l].zdot.dtype
    xin = np.asarray(trace.layer_input(l)[row]).astype(dtype, copy=False)
    w = np.asarray(trace.network.layers[l].W[:, j]).astype(dtype, copy=False)
    return xin, w


def _kinds(trace: Trace, row: int, l: int, j: int, config: HealthConfig) -> tuple[str, ...]:
    """The same tests as ``check_health``, for one neuron and one sample."""
    layer = trace.network.layers[l]
    act = ACTIVATIONS[layer.activation]
    vals = trace.values[l]
    z, a = float(vals.z[row, j]), float(vals.a[row, j])
    kinds = []
    if not (math.isfinite(z) and math.isfinite(a)):
        kinds.append(NONFINITE)
    if math.isfinite(z) and abs(z) > config.exploding_z:
        kinds.append(EXPLODING)
    if act.can_saturate and math.isfinite(z) and abs(z) > saturation_bound(layer.activation, config.saturation_slope):
        kinds.append(SATURATED)
    if act.can_die and trace.n_samples >= config.dead_min_samples and bool((vals.z[:, j] <= 0).all()):
        kinds.append(DEAD)
    if l == len(trace.network.layers) - 1:
        from .health import _check_outputs, sample_names  # health imports this module

        names = sample_names(trace.network, trace.n_samples)
        for f in _check_outputs(trace, config, names):
            if f.neuron in (j, None) and row in f.samples:
                kinds.append(WRONG_OUTPUT)
                break
    return tuple(k for k in KINDS if k in kinds)


def _slope(activation: str, z: float) -> float:
    """g'(z) without the cancellation of s·(1 − s) at s = 1: σ'(166.5) is 2e−73, not 0."""
    if activation == "sigmoid":
        e = math.exp(-abs(z))
        return e / (1.0 + e) ** 2
    e = math.exp(-2.0 * abs(z))  # tanh'(z) = 1 − tanh² = 4e^{−2|z|} / (1 + e^{−2|z|})²
    return 4.0 * e / (1.0 + e) ** 2


def _first_bad_input(trace: Trace, row: int, l: int) -> int | None:
    bad = np.flatnonzero(~np.isfinite(trace.layer_input(l)[row]))
    return int(bad[0]) if bad.size else None


def _origin_of(trace: Trace, row: int, l: int, i: int) -> tuple[int, int] | None:
    """Follow the first non-finite input back to the neuron that made it."""
    while l > 0:
        l, j = l - 1, i  # input i of layer l is neuron i of layer l − 1
        k = _first_bad_input(trace, row, l)
        if k is None:
            return (l, j)  # finite inputs: it overflowed, or its own parameter is not finite
        i = k
    return None  # it came in with the inputs


def _nonfinite_cause(trace: Trace, row: int, l: int, j: int) -> NonFiniteCause:
    network = trace.network
    layer = network.layers[l]
    vals = trace.values[l]
    xin, w = _operands(trace, row, l, j)
    products = w * xin
    zdot, z = float(vals.zdot[row, j]), float(vals.z[row, j])
    inf_pos = np.flatnonzero(np.isposinf(products))
    inf_neg = np.flatnonzero(np.isneginf(products))
    zero_inf = np.flatnonzero(np.isnan(products) & np.isfinite(w) & (w == 0))

    def name(i: int) -> str:
        return input_name(network, l, i)

    made_nan = None
    if math.isnan(z) and not np.isnan(xin).any() and np.isfinite(w).all():
        if inf_pos.size and inf_neg.size:
            p, n = int(inf_pos[0]), int(inf_neg[0])
            made_nan = (f"∞ − ∞ = NaN here: term {name(p)} = {fmt_operand(w[p])} × {fmt(xin[p])} = ∞ "
                        f"and term {name(n)} = {fmt_operand(w[n])} × {fmt(xin[n])} = −∞")
        elif zero_inf.size:
            i = int(zero_inf[0])
            made_nan = f"0 × ∞ = NaN here: term {name(i)} = 0 × {fmt(xin[i])}"

    i = _first_bad_input(trace, row, l)
    if i is not None:
        if l == 0:
            text = f"the input {name(i)} = {fmt(xin[i])} is not finite"
            return NonFiniteCause(INPUT, text, i, float(xin[i]), made_nan=made_nan)
        origin = _origin_of(trace, row, l, i)
        text = f"its input {name(i)} = {fmt(xin[i])} comes from {where_text(network, l - 1, i)}"
        if origin is not None and origin != (l - 1, i):
            text += f", which passed on what {where_text(network, *origin)} produced"
        return NonFiniteCause(UPSTREAM, text, i, float(xin[i]), (l - 1, i), origin, made_nan)
    here = (l, j)  # its inputs are finite: whatever follows starts in this neuron
    bad_w = np.flatnonzero(~np.isfinite(w))
    if bad_w.size:
        k = int(bad_w[0])
        return NonFiniteCause(WEIGHT, f"its weight L{l + 1}.N{j + 1}.w{k + 1} = {fmt(w[k])} is not finite",
                              k, float(w[k]), origin=here, made_nan=made_nan)
    if not math.isfinite(float(layer.b[j])):
        return NonFiniteCause(BIAS, f"its bias L{l + 1}.N{j + 1}.b = {fmt(layer.b[j])} is not finite",
                              None, float(layer.b[j]), origin=here, made_nan=made_nan)
    if not math.isfinite(zdot):
        if inf_pos.size and inf_neg.size:
            p, n = int(inf_pos[0]), int(inf_neg[0])
            text = (f"terms overflowed with opposite signs: {name(p)}: {fmt_operand(w[p])} × {fmt(xin[p])} = ∞, "
                    f"{name(n)}: {fmt_operand(w[n])} × {fmt(xin[n])} = −∞, and ∞ − ∞ = NaN")
            return NonFiniteCause(CANCELLATION, text, p, float(products[p]), origin=here)
        overflowed = np.concatenate([inf_pos, inf_neg])
        if overflowed.size:
            k = int(overflowed.min())
            text = (f"the term {name(k)} = {fmt_operand(w[k])} × {fmt_operand(xin[k])} overflowed to "
                    f"{fmt(products[k])} (past ±{fmt(np.finfo(products.dtype).max, 3)} in {products.dtype})")
            return NonFiniteCause(OVERFLOW, text, k, float(products[k]), origin=here)
        return NonFiniteCause(SUM, f"every term is finite but their sum overflowed to {fmt(zdot)}",
                              None, zdot, origin=here)
    if not math.isfinite(z):
        text = f"adding the bias overflowed: {fmt(zdot)} + {fmt_operand(layer.b[j])} = {fmt(z)}"
        return NonFiniteCause(BIAS_ADD, text, None, z, origin=here)
    a = float(vals.a[row, j])
    return NonFiniteCause(ACTIVATION, f"the activation gave {fmt(a)} for z = {fmt(z)}", None, a, origin=here)


def _normalized(trace: Trace, row: int, l: int, j: int, large: float) -> dict:
    """z with the inputs normalised: the file's statistics, else the samples'."""
    network = trace.network
    if l != 0 or trace.x is not trace.x_raw:
        return {}  # only layer 1 sees inputs, and these were normalised already
    x_raw = np.asarray(trace.x_raw, dtype=np.float64)
    with np.errstate(**_QUIET):
        big = np.flatnonzero((np.abs(x_raw) > large).any(axis=0))
    out: dict = {"large_features": tuple(network.feature_name(int(i)) for i in big)}
    if not big.size:
        return out
    norm = network.normalization
    if norm is not None:
        mean, std, source = np.asarray(norm.mean, float), np.asarray(norm.std, float), "file"
    elif trace.n_samples < 2:
        return out  # one sample has no spread to scale by
    else:
        mean, std, source = x_raw.mean(axis=0), x_raw.std(axis=0), "samples"
        std = np.where(std > 0, std, 1.0)  # a constant feature is centred, not scaled
    layer = network.layers[l]
    xn = (x_raw[row] - mean) / std
    zn = float(xn @ np.asarray(layer.W[:, j], float) + float(layer.b[j]))
    an = float(ACTIVATIONS[layer.activation](np.array([zn]), layer.alpha)[0])
    out.update(normalized_z=zn, normalized_a=an, normalization_source=source,
               norm_mean=tuple(float(v) for v in mean), norm_std=tuple(float(v) for v in std))
    return out


def explain(trace: Trace, row: int, layer: int, neuron: int, config: HealthConfig = DEFAULT_CONFIG) -> Explanation:
    """Explain neuron ``neuron`` of layer ``layer`` (0-based) for sample ``row``."""
    network = trace.network
    if not 0 <= row < trace.n_samples:
        raise IndexError(f"sample {row} out of range 0..{trace.n_samples - 1}")
    lay = network.layers[layer]
    if not 0 <= neuron < lay.units:
        raise IndexError(f"layer {layer + 1} has {lay.units} neurons, not {neuron + 1}")
    with np.errstate(**_QUIET):
        return _explain(trace, row, layer, neuron, config)


def _explain(trace: Trace, row: int, l: int, j: int, config: HealthConfig) -> Explanation:
    network = trace.network
    layer = network.layers[l]
    act = ACTIVATIONS[layer.activation]
    vals = trace.values[l]
    zdot, z, a = float(vals.zdot[row, j]), float(vals.z[row, j]), float(vals.a[row, j])
    b = float(layer.b[j])
    terms = Terms(trace, row, l, j)
    dominant = terms[0]
    kinds = _kinds(trace, row, l, j, config)
    own = len(network.samples) == trace.n_samples
    sample_name = network.samples.names[row] if own else f"sample {row + 1}"
    where = where_text(network, l, j)
    fields: dict = {}
    lines = [f'{where}, sample "{sample_name}"']
    g = act.symbol
    # σ(166.5) is 1 in floating point, not in mathematics: say ≈.
    approx = act.bounded and math.isfinite(z) and a in (0.0, 1.0, -1.0)
    lines.append(f"z = w·{'x' if l == 0 else f'a{l}'} + b = {fmt(zdot)} + {fmt_operand(b)} = {fmt(z)};  "
                 f"a = {g}(z) {'≈' if approx else '='} {fmt(a, 4)}")

    # The terms, largest first, in aligned columns.
    shown = terms[:SHOWN_TERMS]
    bodies = []
    for t in shown:
        if t.index is None:
            bodies.append(fmt(t.value))
        else:
            raw = f" (raw {fmt(t.raw_input)})" if t.raw_input is not None else ""
            bodies.append(f"{fmt_operand(t.weight)} × {fmt_operand(t.input)}{raw} = {fmt(t.value)}")
    width = max(len(t.name) for t in shown)
    body_width = max(len(text) for text in bodies)
    for t, body in zip(shown, bodies):
        share = f"{t.share:7.1%}" if math.isfinite(t.share) else ""
        lines.append(f"  {t.name:<{width}}  {body:<{body_width}}  {share}".rstrip())
    if len(terms) > SHOWN_TERMS:
        shares = terms.shares(SHOWN_TERMS)
        share = f", {sum(shares):.1%} together" if all(math.isfinite(s) for s in shares) else ""
        lines.append(f"  … {len(shares)} more terms{share}")
    if math.isfinite(dominant.share):
        lines.append(f"dominant term: {dominant.name} ({fmt(dominant.value)}), "
                     f"{dominant.share:.1%} of Σ|w_i·x_i| + |b|")
    else:
        lines.append(f"dominant term: {dominant.name} ({fmt(dominant.value)})")

    if l > 0 and dominant.index is not None and math.isfinite(dominant.share):
        # Walk back: a dominant input made by a troubled neuron is the lead to follow.
        up = (l - 1, dominant.index)
        up_kinds = tuple(k for k in _kinds(trace, row, *up, config) if k != WRONG_OUTPUT)
        fields.update(dominant_upstream=up, dominant_upstream_kinds=up_kinds)
        if up_kinds:
            lines.append(f"{dominant.name} comes from {where_text(network, *up)}: "
                         + ", ".join(KIND_TITLES[k] for k in up_kinds))
    if NONFINITE in kinds:
        cause = _nonfinite_cause(trace, row, l, j)
        fields["nonfinite"] = cause
        if cause.origin == (l, j) and cause.kind in (WEIGHT, BIAS):
            lines.append(f"not finite: z = {fmt(z)} starts HERE: {cause.text}")
        elif cause.origin == (l, j):
            lines.append(f"not finite: z = {fmt(z)} was produced HERE from finite operands: {cause.text}")
        else:
            lines.append(f"not finite: z = {fmt(z)} is passed on: {cause.text}")
        if cause.made_nan:
            lines.append(cause.made_nan)
    if EXPLODING in kinds:
        lines.append(f"exploding: |z| = {fmt(abs(z), 4)} > {fmt(config.exploding_z)}")
    if act.can_saturate and math.isfinite(z):
        bound = saturation_bound(layer.activation, config.saturation_slope)
        slope = _slope(layer.activation, z)
        fields.update(slope=slope, saturation_bound=bound)
        if SATURATED in kinds:
            # Past |z| ≈ 745 the slope underflows even float64: write its size as a power of e.
            here = f"= {fmt(slope, 2)}" if slope > 1e-300 else (
                f"≈ e^−{fmt(abs(z), 4)}" if layer.activation == "sigmoid" else f"≈ 4·e^−{fmt(2 * abs(z), 4)}")
            lines.append(f"saturated: |z| = {fmt(abs(z), 4)} > {fmt(bound, 3)}, where {g}′(z) < "
                         f"{fmt(config.saturation_slope)} (here {g}′(z) {here}): "
                         "changing the inputs barely moves the output")
    if SATURATED in kinds or EXPLODING in kinds:
        norm = _normalized(trace, row, l, j, config.large_input)
        fields.update(norm)
        large = norm.get("large_features", ())
        if dominant.index is not None and dominant.name in large:
            fields["unscaled_inputs"] = True
            lines.append(f"the inputs are not normalised (the file has no normalization): "
                         f"{dominant.name} = {fmt(dominant.input)} is in raw units and dominates z")
            if "normalized_z" in norm:
                src = "the file's" if norm["normalization_source"] == "file" else "the samples'"
                stats = "; ".join(
                    f"{network.feature_name(i)}: μ = {fmt(m, 4)}, σ = {fmt(s, 4)}"
                    for i, (m, s) in enumerate(zip(norm["norm_mean"], norm["norm_std"]))
                    if i < 4
                )
                zn, an = norm["normalized_z"], norm["normalized_a"]
                verdict = "" if not act.can_saturate else (
                    ", saturated even so" if abs(zn) > fields["saturation_bound"] else ", not saturated")
                lines.append(f"normalised with {src} mean and std ({stats}), z would be "
                             f"{fmt(zn, 4)} and a = {fmt(an, 4)}{verdict}")
            else:
                lines.append("with one sample there is no spread to normalise by: add samples "
                             "or a \"normalization\" block with the training mean and std")
    if act.can_die and math.isfinite(z):
        fields.update(_bias_fixes(trace, row, l, j, kinds, lines))
    fields["bias_target"] = f"L{l + 1}.N{j + 1}.b"
    if WRONG_OUTPUT in kinds:
        lines.append(_output_line(trace, row, j, config))
    return Explanation(
        l, j, row, where, sample_name, layer.activation, zdot, b, z, a, terms, dominant, kinds,
        lines=tuple(lines), **fields,
    )


def _bias_fixes(trace: Trace, row: int, l: int, j: int, kinds: tuple[str, ...], lines: list[str]) -> dict:
    zs = np.asarray(trace.values[l].z[:, j], dtype=np.float64)
    z = float(zs[row])
    b = float(trace.network.layers[l].b[j])
    n = trace.n_samples
    out: dict = {}
    finite = zs[np.isfinite(zs)]
    if finite.size and finite.min() <= 0:
        out["bias_fix_all"] = round_up(-float(finite.min()))
    if DEAD in kinds:
        zmax = float(finite.max())
        out["bias_fix_any"] = round_up(-zmax)
        lines.append(f"dead ReLU: z ≤ 0 in all {n} samples (largest z = {fmt(zmax, 4)}), so it outputs 0 "
                     "and passes no gradient back")
    if z > 0:
        return out
    out["bias_needed"] = -z
    fix = out["bias_fix"] = round_up(-z)
    if DEAD not in kinds:
        return out  # an inactive ReLU for one sample is normal: no advice
    target = f"L{l + 1}.N{j + 1}.b"
    lines.append(f"fix: raise the bias {target} by more than {fmt(-z, 4)}: +{fmt(fix)} "
                 f"(b = {fmt(b, 4)} → {fmt(b + fix, 4)}) gives z = {fmt(z + fix, 3)} > 0 for this sample")
    more = []
    if "bias_fix_any" in out and out["bias_fix_any"] != fix:
        more.append(f"+{fmt(out['bias_fix_any'])} makes it fire in at least one sample (no longer dead)")
    if "bias_fix_all" in out and out["bias_fix_all"] != fix and n > 1:
        more.append(f"+{fmt(out['bias_fix_all'])} makes z > 0 in all {n} samples")
    if more:
        lines.append("     " + "; ".join(more))
    return out


def _output_line(trace: Trace, row: int, j: int, config: HealthConfig) -> str:
    from .health import _check_outputs, sample_names

    for f in _check_outputs(trace, config, sample_names(trace.network, trace.n_samples)):
        if f.neuron in (j, None) and row in f.samples:
            if f.row == row:
                return f"wrong output: {f.cause}"
            sample = trace.network.samples[row]
            out = trace.outputs[row]
            parts = []
            if sample.expected is not None:
                parts.append(f"expected {fmt(sample.expected[j], 4)}")
            if sample.label is not None:
                parts.append(f"label {sample.label}")
            return f"wrong output: the output {fmt(out[j], 4)}, " + ", ".join(parts)
    return "wrong output"
