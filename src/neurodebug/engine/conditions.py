"""Failure conditions, each defined once, as masks over a layer's values.

Every function takes a layer's z (and a) — a scalar, a neuron's column, a
sample's row or the whole (samples × units) matrix — and returns a boolean
mask of the same shape. The activation is named (``"sigmoid"``, with its
default parameters) or given as the layer itself (its own parameters: an
elu's α, a clip's bounds). The health checks, the explanations, the watches
and the step notes all call these; none of them decides on its own what
"saturated" or "dead" means. docs/health-checks.md has the table for every
activation.

- **saturated**: on a flat side of g, where g'(z) stays below
  ``settings.saturation_slope`` for good: z < lo or z > hi, the edges of
  ``flat_region`` (|z| > 9.21 for σ, 5.30 for tanh at 1e−4; z < −5.6 for
  GELU, which is flat on the left only; z > 6 for relu6). ±∞ past an edge
  counts, NaN does not. A side where g dies is inactive, not saturated.
- **inactive**: z at or below where the activation dies (ReLU: z ≤ 0;
  hard_sigmoid: z ≤ −3): it outputs exactly 0 and passes no gradient.
  **dead**: inactive in every sample, judged from
  ``settings.dead_min_samples`` samples on.
- **exploding**: a finite |z| above ``settings.exploding_z``.
- **nonfinite**: z or a is NaN or ±∞.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .activations import ACTIVATIONS, Activation
from .network import Layer
from .settings import Settings

Array = np.ndarray
Mask = npt.NDArray[np.bool_]
Of = str | Layer  # an activation by name (default parameters), or a layer (its own)


def _activation(of: Of) -> tuple[Activation, dict[str, float] | None]:
    if isinstance(of, str):
        return ACTIVATIONS[of], None
    return ACTIVATIONS[of.activation], of.params


def flat_region(of: Of, settings: Settings) -> tuple[float, float] | None:
    """(lo, hi): saturated where z < lo or z > hi (−∞, ∞: no flat side
    there); None if the activation cannot saturate."""
    act, params = _activation(of)
    return act.flat(settings.saturation_slope, params)


def saturation_bound(of: Of, settings: Settings) -> float | None:
    """The |z| past which an activation flat on both sides at ±bound counts
    as saturated (σ, tanh, softsign); None for the others."""
    flat = flat_region(of, settings)
    return flat[1] if flat is not None and flat[0] == -flat[1] else None


def saturated(of: Of, z: Array | float, settings: Settings) -> Mask:
    z = np.asarray(z)
    flat = flat_region(of, settings)
    if flat is None:
        return np.zeros(z.shape, dtype=bool)
    lo, hi = flat
    with np.errstate(invalid="ignore"):
        return (z < lo) | (z > hi)  # NaN compares False: a NaN is not saturated


def dies_at(of: Of) -> float | None:
    """The z at or below which the activation outputs 0 with slope 0; None if it cannot die."""
    act, params = _activation(of)
    return act.dying_point(params)


def inactive(of: Of, z: Array | float) -> Mask:
    z = np.asarray(z)
    at = dies_at(of)
    if at is None:
        return np.zeros(z.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return z <= at  # NaN compares False


def dead(of: Of, z: Array, settings: Settings) -> Mask:
    """Per neuron (a column of ``z``, rows are samples): inactive in every sample."""
    z = np.asarray(z)
    n = z.shape[0]
    if n < settings.dead_min_samples:
        return np.zeros(z.shape[1:], dtype=bool)
    return np.asarray(inactive(of, z).all(axis=0))


def no_slope(of: Of, z: Array, settings: Settings) -> Mask:
    """Where the activation passes (almost) no gradient back: |g′(z)| under
    the saturation slope — a flat side, or an inactive ReLU's 0. False for a
    NaN slope and for a whole-layer activation (softmax), whose slope is a
    matrix."""
    act, params = _activation(of)
    z = np.asarray(z)
    if act.per_layer:
        return np.zeros(z.shape, dtype=bool)
    with np.errstate(all="ignore"):
        return slope_too_small(act.derivative(z, params), settings)


def slope_too_small(slope: Array | float, settings: Settings) -> Mask:
    """The rule ``no_slope`` applies, on slopes g′(z) already computed: finite
    and under the saturation slope in size."""
    slope = np.asarray(slope)
    with np.errstate(invalid="ignore"):
        return np.asarray(np.isfinite(slope) & (np.abs(slope) < settings.saturation_slope))


def exploding(z: Array | float, settings: Settings) -> Mask:
    z = np.asarray(z)
    with np.errstate(invalid="ignore"):
        finite: Mask = np.isfinite(z)
        magnitude: Array = np.abs(z)
        return finite & (magnitude > settings.exploding_z)


def nonfinite(z: Array | float, a: Array | float) -> Mask:
    z_finite: Mask = np.isfinite(np.asarray(z))
    a_finite: Mask = np.isfinite(np.asarray(a))
    return ~z_finite | ~a_finite


def badness(values: Array) -> Array:
    """0 for a finite value, 1 for ±∞, 2 for NaN: how far a value has fallen."""
    values = np.asarray(values)
    return np.where(np.isnan(values), 2, np.where(np.isinf(values), 1, 0))


def made_worse(given: Array | int, result: Array) -> Mask:
    """Where an operation's result is worse than what it was given: a
    non-finite result from finite operands, or NaN from ±∞ (∞ − ∞, 0 × ∞).
    A value merely passed on is not made worse."""
    return badness(result) > np.asarray(given)
