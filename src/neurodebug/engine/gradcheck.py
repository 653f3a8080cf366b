"""Gradient check: every analytic ∂L/∂w and ∂L/∂b beside a central finite difference.

(L(θ + h) − L(θ − h)) / 2h, in float64, for the mean loss over the batch.
The relative error is |analytic − numeric| / max(|analytic|, |numeric|, r/TOLERANCE)
with r = 32ε·max(|L|, 1)/h ≈ 7e−9 the difference quotient's own rounding (L is
computed from values of order 1 even where it is 0 itself): two values agree
when it is at most TOLERANCE, so a gradient far below r is never a finding —
a finite difference cannot resolve it. Where a sample sits exactly on
a kink (a ReLU at z = 0) the central difference averages the two sides; the
analytic gradient takes one side, as PyTorch does: a parameter whose
one-sided difference agrees is at a kink, not a mismatch.

``neuron_check`` does the same for one neuron (the debugger's ∂L/∂w and
∂L/∂b steps): its bias, its weights with the largest |∂L/∂w| and, behind a
batch norm, its γ and β.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .kinds import LossKind
from .losses import backward_pass
from .network import Layer, Network
from .norms import Norm

__all__ = ["NeuronCheck", "ParamCheck", "TOLERANCE", "gradient_check", "neuron_check"]

TOLERANCE = 1e-5
STEP = 1e-6
MAX_PARAMETERS = 20_000  # two passes each: past this, check a small network instead
MAX_WEIGHTS = 16  # a neuron's weights checked at most (the largest |∂L/∂w|)


@dataclass(frozen=True)
class ParamCheck:
    layer: int
    neuron: int
    param: str  # "w2", "b"
    analytic: float
    numeric: float
    rel_error: float
    agrees: bool
    kink: bool = False  # the central difference straddles a kink; a one-sided one agrees
    resolved: bool = True  # larger than what a finite difference resolves: its relative error means something

    @property
    def label(self) -> str:
        return f"L{self.layer + 1}.N{self.neuron + 1}.{self.param}"

    @property
    def ok(self) -> bool:
        return self.agrees or self.kink


def gradient_check(net: Network, x: np.ndarray, y: np.ndarray, loss: LossKind | str | None = None,
                   h: float = STEP) -> list[ParamCheck]:
    """Check every weight and bias of ``net`` on the batch ``x`` (the first
    layer's input, already normalised) with targets ``y``. Computed on a
    float64 copy: the network itself is not touched."""
    count = sum(layer.W.size + layer.b.size for layer in net.layers)
    if count > MAX_PARAMETERS:
        raise ValueError(f"the network has {count} weights and biases; a gradient check runs two passes for each: "
                         f"check one of at most {MAX_PARAMETERS}")
    checker = _Checker(net, x, y, loss, h)
    out = []
    for l, layer in enumerate(checker.copy.layers):
        for arr, name in ((layer.W, "w"), (layer.b, "b")):
            out += [checker.check(l, name, idx) for idx in np.ndindex(arr.shape)]
    return out


@dataclass(frozen=True)
class NeuronCheck:
    """One neuron's gradient check for one sample: its bias and its weights
    with the largest |∂L/∂w| (all of them when it has few)."""

    layer: int
    neuron: int
    checks: tuple[ParamCheck, ...]  # the weights checked (largest |∂L/∂w| first), the bias, its norm's γ and β
    weights: int  # the neuron's weights, checked or not
    h: float = STEP

    @property
    def weights_checked(self) -> int:
        return sum(1 for c in self.checks if c.param.startswith("w"))

    @property
    def failing(self) -> tuple[ParamCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)


def neuron_check(net: Network, x: np.ndarray, y: np.ndarray, layer: int, neuron: int,
                 loss: LossKind | str | None = None, h: float = STEP, max_weights: int = MAX_WEIGHTS) -> NeuronCheck:
    """``gradient_check`` for one neuron's parameters only: its bias and at most
    ``max_weights`` weights, those with the largest |analytic gradient|, so a
    neuron with 784 inputs costs 2 × 17 passes, not 2 × 785. The same
    numbers ``gradient_check`` gives for those parameters."""
    checker = _Checker(net, x, y, loss, h)
    dW = checker.grads[layer][0][:, neuron]
    order = np.argsort(-np.abs(dW), kind="stable")[:max_weights]
    checks = [checker.check(layer, "w", (int(i), neuron)) for i in order]
    checks.append(checker.check(layer, "b", (neuron,)))
    checks += [checker.check(layer, name, (neuron,)) for name in checker.dnorm[layer]]  # a batch norm's γ, β
    return NeuronCheck(layer, neuron, tuple(checks), int(dW.size), h)


def _copy64(norm: Norm | None) -> Norm | None:
    """A copy of a norm with its parameters in float64 (a check perturbs them by h)."""
    if norm is None:
        return None
    out = copy.copy(norm)
    for p in norm.PARAMS:
        setattr(out, p, np.array(norm.param(p), dtype=np.float64))
    return out


class _Checker:
    """The analytic gradients of a float64 copy, and the check of one parameter of it."""

    def __init__(self, net: Network, x: np.ndarray, y: np.ndarray, loss: LossKind | str | None, h: float) -> None:
        self.copy = Network([Layer(l.name, l.activation, np.array(l.W, dtype=np.float64),
                                   np.array(l.b, dtype=np.float64), params=l.params, norm=_copy64(l.norm),
                                   norm_at=l.norm_at) for l in net.layers])
        self.x, self.y, self.loss, self.h = np.asarray(x, dtype=np.float64), y, loss, h
        back = backward_pass(self.copy, self.x, y, loss)
        if not np.isfinite(back.value):
            raise ValueError(f"the loss is {back.value} for this sample: there is no gradient to check")
        self.value = back.value
        self.grads = [(g.dW, g.db) for g in back.layers]
        self.dnorm = [g.dnorm for g in back.layers]  # a norm's trained parameters: γ and β, scale and offset
        floor = 1e-6 * max(max(float(np.abs(dW).max(initial=0)), float(np.abs(db).max(initial=0)))
                           for dW, db in self.grads)
        self.floor = max(floor, 1e-300)
        self.noise = 32 * float(np.finfo(np.float64).eps) * max(abs(back.value), 1.0) / h

    def check(self, l: int, name: str, idx: tuple[int, ...]) -> ParamCheck:
        layer, h, noise = self.copy.layers[l], self.h, self.noise
        if name in ("w", "b"):
            arr, g = (layer.W, self.grads[l][0]) if name == "w" else (layer.b, self.grads[l][1])
        else:
            assert layer.norm is not None
            arr, g = layer.norm.param(name), self.dnorm[l][name]
        old = arr[idx]
        arr[idx] = old + h
        up = backward_pass(self.copy, self.x, self.y, self.loss).value
        arr[idx] = old - h
        down = backward_pass(self.copy, self.x, self.y, self.loss).value
        arr[idx] = old
        numeric = (up - down) / (2 * h)
        analytic = float(g[idx])

        def close(a: float, b: float, rel: float) -> bool:
            return abs(a - b) <= rel * max(abs(a), abs(b)) + noise

        # relative, on a scale no finer than the difference quotient resolves
        rel_error = abs(analytic - numeric) / max(abs(analytic), abs(numeric), noise / TOLERANCE, self.floor)
        agrees = rel_error <= TOLERANCE
        # one side of a kink: (L(θ + h) − L(θ)) / h or (L(θ) − L(θ − h)) / h
        kink = not agrees and (close(analytic, (up - self.value) / h, 1e-3)
                               or close(analytic, (self.value - down) / h, 1e-3))
        param = f"w{idx[0] + 1}" if name == "w" else name
        resolved = max(abs(analytic), abs(numeric)) > noise
        return ParamCheck(l, int(idx[-1]), param, analytic, float(numeric), float(rel_error), agrees, kink, resolved)
