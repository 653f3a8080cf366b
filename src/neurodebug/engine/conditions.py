"""Failure conditions, each defined once, as masks over a layer's values.

Every function takes a layer's z (and a) — a scalar, a neuron's column, a
sample's row or the whole (samples × units) matrix — and returns a boolean
mask of the same shape. The health checks, the explanations, the watches
and the step notes all call these; none of them decides on its own what
"saturated" or "dead" means.

- **saturated**: g'(z) below ``settings.saturation_slope``, i.e. |z| past
  the activation's saturation bound (9.21 for σ, 5.30 for tanh at 1e−4);
  ±∞ counts, NaN does not. Only activations that flatten out saturate.
- **inactive**: z at or below where the activation dies (ReLU: z ≤ 0):
  the output is constant and no gradient passes. **dead**: inactive in
  every sample, judged from ``settings.dead_min_samples`` samples on.
- **exploding**: a finite |z| above ``settings.exploding_z``.
- **nonfinite**: z or a is NaN or ±∞.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .activations import ACTIVATIONS
from .settings import Settings

Array = np.ndarray
Mask = npt.NDArray[np.bool_]


def saturation_bound(activation: str, settings: Settings) -> float | None:
    """The |z| past which the activation counts as saturated; None if it cannot."""
    return ACTIVATIONS[activation].saturation_bound(settings.saturation_slope)


def saturated(activation: str, z: Array | float, settings: Settings) -> Mask:
    z = np.asarray(z)
    bound = saturation_bound(activation, settings)
    if bound is None:
        return np.zeros(z.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        magnitude: Array = np.abs(z)
        return magnitude > bound  # NaN compares False: a NaN is not saturated


def inactive(activation: str, z: Array | float) -> Mask:
    z = np.asarray(z)
    at = ACTIVATIONS[activation].dies_at
    if at is None:
        return np.zeros(z.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return z <= at  # NaN compares False


def dead(activation: str, z: Array, settings: Settings) -> Mask:
    """Per neuron (a column of ``z``, rows are samples): inactive in every sample."""
    z = np.asarray(z)
    n = z.shape[0]
    if n < settings.dead_min_samples:
        return np.zeros(z.shape[1:], dtype=bool)
    return np.asarray(inactive(activation, z).all(axis=0))


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
