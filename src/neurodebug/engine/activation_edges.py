"""Where each activation is flat: the edges past which its slope stays
below a threshold for good.

Each function takes the slope threshold and the activation's parameter
values, positionally as in ``activation_functions``, and returns (lo, hi):
g'(z) < slope for good where z < lo or z > hi; −∞ and ∞ mean no flat side
there. Closed forms where g' inverts (σ, tanh, softsign, the exponentials),
a grid and bisection for the z·gate activations whose slope dips below 0
first (GELU, SiLU, Mish), the kinks themselves for the piecewise-linear ones.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .activation_functions import (
    FLAT_PAST,
    SELU_ALPHA,
    SELU_SCALE,
    Array,
    gelu_slope,
    gelu_tanh_slope,
    mish_slope,
    silu_slope,
)

Flat = tuple[float, float]
NONE: Flat = (-math.inf, math.inf)


def sigmoid_flat(slope: float) -> Flat:
    # σ'(z) = s(1 − s) = slope  →  s = (1 + √(1 − 4·slope)) / 2, z = log(s / (1 − s))
    s = (1.0 + math.sqrt(1.0 - 4.0 * slope)) / 2.0
    b = math.log(s / (1.0 - s))
    return -b, b


def tanh_flat(slope: float) -> Flat:
    # 1 − tanh²(z) = slope  →  z = atanh(√(1 − slope))
    b = math.atanh(math.sqrt(1.0 - slope))
    return -b, b


def softsign_flat(slope: float) -> Flat:
    b = 1.0 / math.sqrt(slope) - 1.0  # 1/(1 + |z|)² = slope
    return -b, b


def softplus_flat(slope: float) -> Flat:
    return math.log(slope / (1.0 - slope)), math.inf  # σ(z) = slope


def exponential_flat(slope: float) -> Flat:
    return math.log(slope), math.inf


def elu_flat(slope: float, alpha: float) -> Flat:
    if alpha == 0:
        return NONE  # a ReLU: its flat side is where it dies
    return min(math.log(slope / abs(alpha)), 0.0), math.inf


def selu_flat(slope: float) -> Flat:
    return math.log(slope / (SELU_SCALE * SELU_ALPHA)), math.inf


def leaky_relu_flat(slope: float, alpha: float) -> Flat:
    # α = 0 is a ReLU, which dies there; a slope |α| under the threshold is flat.
    return (0.0, math.inf) if 0 < abs(alpha) < slope else NONE


def hard_sigmoid_flat(slope: float, alpha: float, beta: float) -> Flat:
    return -math.inf, (1.0 - beta) / alpha  # below −β/α it dies


def relu6_flat(slope: float) -> Flat:
    return -math.inf, 6.0


def clip_flat(slope: float, lo: float, hi: float) -> Flat:
    return (-math.inf if lo == 0 else lo), hi  # clip(z, 0, hi) dies below 0


def lower_edge(slope_fn: Callable[[Array], Array], slope: float) -> float:
    """The z up to which |g'| stays below ``slope`` from −∞ on, for a g whose
    slope vanishes on the left and dips below 0 before it rises (GELU, SiLU,
    Mish): found on a grid of step 0.01 from −800, then by bisection."""
    zs = np.linspace(-FLAT_PAST, 5.0, 80_501)
    reached = np.abs(slope_fn(zs)) >= slope
    k = int(np.argmax(reached))
    if k == 0:
        return -math.inf
    a, b = float(zs[k - 1]), float(zs[k])
    while True:
        m = (a + b) / 2
        if m in (a, b):
            return a
        if abs(float(slope_fn(np.array(m)))) >= slope:
            b = m
        else:
            a = m


def gelu_flat(slope: float) -> Flat:
    return lower_edge(gelu_slope, slope), math.inf


def gelu_tanh_flat(slope: float) -> Flat:
    return lower_edge(gelu_tanh_slope, slope), math.inf


def silu_flat(slope: float) -> Flat:
    return lower_edge(silu_slope, slope), math.inf


def mish_flat(slope: float) -> Flat:
    return lower_edge(mish_slope, slope), math.inf
