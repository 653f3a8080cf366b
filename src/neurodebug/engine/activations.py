"""Activation functions, written to be numerically stable.

Every function takes a NumPy array ``z`` and returns ``g(z)``. None of them
overflows: ``exp`` only ever sees non-positive arguments, so |z| up to 1e308
gives 0 or 1 without a warning. NaN and Inf pass through as values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

DEFAULT_LEAKY_ALPHA = 0.01


def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z)
    # exp(-|z|) lies in [0, 1], so neither branch can overflow.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(z: np.ndarray) -> np.ndarray:
    # np.maximum propagates NaN, unlike a boolean mask.
    return np.maximum(np.asarray(z), 0.0)


def leaky_relu(z: np.ndarray, alpha: float = DEFAULT_LEAKY_ALPHA) -> np.ndarray:
    z = np.asarray(z)
    # NaN > 0 is False, and alpha * NaN is NaN: NaN propagates.
    return np.where(z > 0, z, alpha * z)


def tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(np.asarray(z))


def linear(z: np.ndarray) -> np.ndarray:
    return np.asarray(z)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax over ``axis``, shifted by the row's maximum so nothing overflows.

    As PyTorch, TensorFlow and ONNX Runtime compute it: a −∞ entry gets 0; a
    row holding NaN or +∞, or only −∞, is NaN (∞ − ∞), so the debugger shows
    what the framework that made the model shows.
    """
    z = np.asarray(z)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)


@dataclass(frozen=True)
class Activation:
    """What the engine knows about one activation function."""

    name: str
    symbol: str
    fn: Callable[..., np.ndarray]
    per_layer: bool = False  # softmax needs the whole layer at once
    bounded: bool = False  # outputs confined to a finite interval
    can_saturate: bool = False  # sigmoid and tanh flatten out for large |z|
    can_die: bool = False  # ReLU outputs 0 for every z <= 0

    def __call__(self, z: np.ndarray, alpha: float = DEFAULT_LEAKY_ALPHA) -> np.ndarray:
        if self.name == "leaky_relu":
            return self.fn(z, alpha)
        return self.fn(z)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", "σ", sigmoid, bounded=True, can_saturate=True),
    "relu": Activation("relu", "relu", relu, can_die=True),
    "leaky_relu": Activation("leaky_relu", "leaky_relu", leaky_relu),
    "tanh": Activation("tanh", "tanh", tanh, bounded=True, can_saturate=True),
    "linear": Activation("linear", "linear", linear),
    "softmax": Activation("softmax", "softmax", softmax, per_layer=True, bounded=True),
}

SUPPORTED_ACTIVATIONS: tuple[str, ...] = tuple(ACTIVATIONS)


def derivative(name: str, z: np.ndarray, alpha: float = DEFAULT_LEAKY_ALPHA) -> np.ndarray:
    """Slope g'(z) of an element-wise activation (softmax: the diagonal term)."""
    z = np.asarray(z, dtype=float)
    if name == "sigmoid":
        # σ'(z) = e^−|z| / (1 + e^−|z|)²: no 1 − σ(z) that rounds to 0 past |z| ≈ 37
        e = np.exp(-np.abs(z))
        return e / (1.0 + e) ** 2
    if name == "softmax":
        s = z  # softmax: pass a, not z
        return s * (1.0 - s)
    if name == "tanh":
        t = np.tanh(z)
        return 1.0 - t * t
    if name == "relu":
        return np.where(z > 0, 1.0, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, alpha)
    return np.ones_like(z)


def saturation_bound(name: str, slope: float) -> float:
    """The |z| beyond which the activation's slope falls below ``slope``."""
    if not 0 < slope < 0.25:
        raise ValueError("slope threshold must lie in (0, 0.25)")
    if name == "sigmoid":
        # σ'(z) = s(1-s) = slope  →  s = (1 + sqrt(1 - 4·slope)) / 2
        s = (1.0 + np.sqrt(1.0 - 4.0 * slope)) / 2.0
        return float(np.log(s / (1.0 - s)))
    if name == "tanh":
        # 1 - tanh²(z) = slope  →  z = atanh(sqrt(1 - slope))
        return float(np.arctanh(np.sqrt(1.0 - slope)))
    raise ValueError(f"{name} does not saturate")
