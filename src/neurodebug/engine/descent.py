"""Gradient descent: n full-batch steps W ← W − lr·∂L/∂W on a copy, the loss after each.

The steps run on copies of the weights and biases, in their own dtype, so
that n steps at once are bit for bit the n single steps one after another;
the session applies the result as one edit (``edits.DescentStep``), or
nothing when a step is not finite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .kinds import LossKind
from .losses import backward_pass
from .network import Layer, Network
from .numbers import quiet

__all__ = ["MAX_STEPS", "Descent", "DescentError", "descend", "sparkline"]

MAX_STEPS = 10_000  # steps one edit takes at most (each is a forward and backward pass over the batch)
BARS = "▁▂▃▄▅▆▇█"


class DescentError(ValueError):
    """Steps that cannot be taken; the message says which and why (nothing changed)."""


@dataclass(frozen=True, eq=False)
class Descent:
    """What n steps give: every layer's (W, b) after the last, and the loss before and after each."""

    new: tuple[tuple[np.ndarray, np.ndarray], ...]
    loss: LossKind
    loss_before: float
    losses: tuple[float, ...]  # the mean loss after each step


def _params(net: Network) -> list[Layer]:
    """The layers with copies of their weights and biases, in their own dtype."""
    return [Layer(l.name, l.activation, l.W.copy(), l.b.copy(), params=l.params, norm=l.norm, norm_at=l.norm_at)
            for l in net.layers]


def descend(net: Network, x: np.ndarray, y: np.ndarray, loss: LossKind | str | None, lr: float,
            steps: int = 1) -> Descent:
    """``steps`` full-batch steps of gradient descent on the mean ``loss`` over
    ``x`` (the first layer's input, normalised) with targets ``y``. ``net``
    is not touched. Raises ValueError (the step that went wrong) when the
    loss does not fit the output or a step gives a NaN or ∞ weight."""
    if not (math.isfinite(lr) and lr > 0):
        raise DescentError(f"learning rate {lr:g}: give a number > 0, e.g. 0.1")
    if not 1 <= steps <= MAX_STEPS:
        raise DescentError(f"{steps} steps: give a whole number from 1 to {MAX_STEPS}")
    copy = Network(_params(net))
    with quiet():  # a loss that overflows is a value, said in the journal, never a warning
        back = backward_pass(copy, x, y, loss)
        before, losses = back.value, []
        for k in range(1, steps + 1):
            for layer, g in zip(copy.layers, back.layers):
                layer.W = (layer.W - lr * g.dW).astype(layer.W.dtype)
                layer.b = (layer.b - lr * g.db).astype(layer.b.dtype)
            if not all(np.isfinite(l.W).all() and np.isfinite(l.b).all() for l in copy.layers):
                at = "the step" if steps == 1 else f"step {k} of {steps}"
                raise DescentError(f"{at} is not finite (a NaN or ∞ weight, or a learning rate too large): "
                                   "nothing changed")
            back = backward_pass(copy, x, y, loss)
            losses.append(back.value)
    return Descent(tuple((l.W, l.b) for l in copy.layers), back.loss, before, tuple(losses))


def sparkline(values: tuple[float, ...] | list[float], width: int = 16) -> str:
    """The values as bars, lowest ▁ to highest █, at most ``width`` of them
    (evenly picked, first and last kept); a NaN or ∞ is '?'."""
    vals = list(values)
    if len(vals) > width:
        picks = np.linspace(0, len(vals) - 1, width).round().astype(int)
        vals = [vals[int(i)] for i in picks]
    finite = [v for v in vals if math.isfinite(v)]
    if not finite:
        return "?" * len(vals)
    lo, hi = min(finite), max(finite)
    span = hi - lo
    out = []
    for v in vals:
        if not math.isfinite(v):
            out.append("?")
        else:
            out.append(BARS[int(round((v - lo) / span * (len(BARS) - 1))) if span > 0 else 0])
    return "".join(out)
