"""Gradient descent: n full-batch steps W ← W − lr·∂L/∂W on a copy, the loss after each.

The steps run on copies of the weights and biases, in their own dtype, so
that n steps at once are bit for bit the n single steps one after another;
the session applies the result as one edit (``edits.DescentStep``), or
nothing when a step is not finite.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .kinds import LossKind
from .losses import backward_pass
from .network import Layer, Network
from .numbers import quiet

__all__ = ["MAX_STEPS", "Descent", "DescentError", "DescentStopped", "descend", "sparkline"]

MAX_STEPS = 10_000  # steps one edit takes at most (each is a forward and backward pass over the batch)
BARS = "▁▂▃▄▅▆▇█"


class DescentError(ValueError):
    """Steps that cannot be taken; the message says which and why (nothing changed)."""


class DescentStopped(Exception):
    """The steps were stopped (``progress`` said so) after ``done`` of them: nothing changed."""

    def __init__(self, done: int, steps: int) -> None:
        super().__init__(f"stopped after {done} of {steps} steps: nothing changed")
        self.done, self.steps = done, steps


@dataclass(frozen=True, eq=False)
class Descent:
    """What n steps give: every layer's (W, b) after the last, and the loss before and after each."""

    new: tuple[tuple[np.ndarray, np.ndarray], ...]
    norms: tuple[dict[str, np.ndarray], ...]  # per layer, its norm's trained parameters after (γ, β; scale, offset)
    loss: LossKind
    loss_before: float
    losses: tuple[float, ...]  # the mean loss after each step
    lr: float
    rows: int  # the labelled samples the loss is the mean over


def _params(net: Network) -> list[Layer]:
    """The layers with copies of their weights, biases and norms, in their own dtype."""
    out = []
    for l in net.layers:
        norm = copy.copy(l.norm)
        if norm is not None:
            for p in norm.PARAMS:
                setattr(norm, p, norm.param(p).copy())
        out.append(Layer(l.name, l.activation, l.W.copy(), l.b.copy(), params=l.params, norm=norm, norm_at=l.norm_at))
    return out


def descend(net: Network, x: np.ndarray, y: np.ndarray, loss: LossKind | str | None, lr: float,
            steps: int = 1, progress: Callable[[int], bool] | None = None) -> Descent:
    """``steps`` full-batch steps of gradient descent on the mean ``loss`` over
    ``x`` (the first layer's input, normalised) with targets ``y``. ``net``
    is not touched (it is read once, at the start). Raises ValueError (the
    step that went wrong) when the loss does not fit the output or a step
    gives a NaN or ∞ weight. ``progress(k)`` is told after each step k; when
    it returns False the steps stop there (DescentStopped)."""
    if not (math.isfinite(lr) and lr > 0):
        raise DescentError(f"learning rate {lr:g}: give a number > 0, e.g. 0.1")
    if not 1 <= steps <= MAX_STEPS:
        raise DescentError(f"{steps} steps: give a whole number from 1 to {MAX_STEPS}")
    net_copy = Network(_params(net))
    with quiet():  # a loss that overflows is a value, said in the journal, never a warning
        back = backward_pass(net_copy, x, y, loss)
        before, losses = back.value, []
        for k in range(1, steps + 1):
            for layer, g in zip(net_copy.layers, back.layers):
                layer.W = (layer.W - lr * g.dW).astype(layer.W.dtype)
                layer.b = (layer.b - lr * g.db).astype(layer.b.dtype)
                for name, dp in g.dnorm.items():  # a batch norm's γ and β, a rescaling's scale and offset
                    assert layer.norm is not None
                    old = layer.norm.param(name)
                    setattr(layer.norm, name, (old - lr * dp).astype(old.dtype))
            if not all(_finite(l) for l in net_copy.layers):
                at = "the step" if steps == 1 else f"step {k} of {steps}"
                raise DescentError(f"{at} is not finite (a NaN or ∞ weight, or a learning rate too large): "
                                   "nothing changed")
            back = backward_pass(net_copy, x, y, loss)
            losses.append(back.value)
            if progress is not None and not progress(k) and k < steps:
                raise DescentStopped(k, steps)
    norms = tuple({name: l.norm.param(name) for name in g.dnorm} if l.norm is not None else {}
                  for l, g in zip(net_copy.layers, back.layers))
    return Descent(tuple((l.W, l.b) for l in net_copy.layers), norms, back.loss, before, tuple(losses), lr, len(x))


def _finite(layer: Layer) -> bool:
    norm = layer.norm.params().values() if layer.norm is not None else ()
    return all(bool(np.isfinite(a).all()) for a in (layer.W, layer.b, *norm))


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
