"""Where a non-finite z came from: the first operand that was not finite,
followed back to the neuron that made it, or the operation that overflowed."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .findings import input_name, where_text
from .kinds import CauseKind
from .numbers import fmt, fmt_operand
from .terms import operands
from .trace import Trace

INPUT, UPSTREAM, WEIGHT, BIAS = CauseKind.INPUT, CauseKind.UPSTREAM, CauseKind.WEIGHT, CauseKind.BIAS
OVERFLOW, CANCELLATION, SUM = CauseKind.OVERFLOW, CauseKind.CANCELLATION, CauseKind.SUM
BIAS_ADD, ACTIVATION, NORM = CauseKind.BIAS_ADD, CauseKind.ACTIVATION, CauseKind.NORM


@dataclass(frozen=True)
class NonFiniteCause:
    """The first operand that was not finite, or the operation that overflowed."""

    kind: CauseKind
    text: str
    index: int | None = None  # the input or weight index, when there is one
    value: float = math.nan
    upstream: tuple[int, int] | None = None  # (layer, neuron) the non-finite input came from
    origin: tuple[int, int] | None = None  # (layer, neuron) that first made it from finite operands
    made_nan: str | None = None  # how ∞ became NaN in this neuron, if it did


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


def nonfinite_cause(trace: Trace, row: int, l: int, j: int) -> NonFiniteCause:
    network = trace.network
    layer = network.layers[l]
    vals = trace.values[l]
    xin, w = operands(trace, row, l, j)
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
            k = int(zero_inf[0])
            made_nan = f"0 × ∞ = NaN here: term {name(k)} = 0 × {fmt(xin[k])}"

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
    norm = layer.norm
    bad = norm.bad_param(j) if norm is not None else None
    if norm is not None and bad is not None:
        why = "is not finite" if not math.isfinite(bad[1]) else "cannot be computed with"
        return NonFiniteCause(NORM, f"its {norm.title}'s L{l + 1}.N{j + 1}.{bad[0]} = {fmt(bad[1])} {why}",
                              None, bad[1], origin=here, made_nan=made_nan)
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
    zsum, g, a = float(vals.biased[row, j]), float(vals.activated[row, j]), float(vals.a[row, j])
    if not math.isfinite(zsum):
        text = f"adding the bias overflowed: {fmt(zdot)} + {fmt_operand(layer.b[j])} = {fmt(zsum)}"
        return NonFiniteCause(BIAS_ADD, text, None, zsum, origin=here)
    if norm is not None and not math.isfinite(z):
        return NonFiniteCause(NORM, f"the {norm.title} gave {fmt(z)} for z = {fmt(zsum)}", None, z, origin=here)
    if norm is not None and math.isfinite(g):
        return NonFiniteCause(NORM, f"the {norm.title} gave {fmt(a)} for g(z) = {fmt(g)}", None, a, origin=here)
    return NonFiniteCause(ACTIVATION, f"the activation gave {fmt(g)} for z = {fmt(z)}", None, g, origin=here)
