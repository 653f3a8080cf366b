"""Activation functions: one object each, with everything the engine knows.

An ``Activation`` carries its function (numerically stable: ``exp`` only
ever sees non-positive arguments, so |z| up to 1e308 gives the right value
without a warning; NaN and ±∞ pass through as values), its derivative (also
stable: σ'(166.5) is 2e−73, not 0), how its formula is written, the range
of its curve, where it saturates or dies (or that it cannot), and its names
in Keras and ONNX. Every rule elsewhere — the step notes, the health
checks, the watches, the explanations, the plot, the readers — reads these
fields; adding an activation is one entry in ``ACTIVATIONS`` plus its tests
(docs/architecture.md shows how).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

DEFAULT_LEAKY_ALPHA = 0.01

Array = np.ndarray
Function = Callable[[Array, float], Array]  # g(z, alpha): alpha is read by the activations that take one


# -- the functions and their derivatives ------------------------------------------------
def sigmoid(z: Array, alpha: float = 0.0) -> Array:
    z = np.asarray(z)
    # exp(-|z|) lies in [0, 1], so neither branch can overflow.
    e: Array = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_slope(z: Array, alpha: float = 0.0) -> Array:
    # σ'(z) = e^−|z| / (1 + e^−|z|)²: no 1 − σ(z) that rounds to 0 past |z| ≈ 37.
    e = np.exp(-np.abs(np.asarray(z, dtype=np.float64)))
    return e / (1.0 + e) ** 2


def relu(z: Array, alpha: float = 0.0) -> Array:
    # np.maximum propagates NaN, unlike a boolean mask.
    a: Array = np.maximum(np.asarray(z), 0.0)
    return a


def relu_slope(z: Array, alpha: float = 0.0) -> Array:
    z = np.asarray(z, dtype=np.float64)
    return np.where(np.isnan(z), np.nan, np.where(z > 0, 1.0, 0.0))


def leaky_relu(z: Array, alpha: float = DEFAULT_LEAKY_ALPHA) -> Array:
    z = np.asarray(z)
    # NaN > 0 is False, and alpha * NaN is NaN: NaN propagates.
    return np.where(z > 0, z, alpha * z)


def leaky_relu_slope(z: Array, alpha: float = DEFAULT_LEAKY_ALPHA) -> Array:
    z = np.asarray(z, dtype=np.float64)
    return np.where(np.isnan(z), np.nan, np.where(z > 0, 1.0, alpha))


def tanh(z: Array, alpha: float = 0.0) -> Array:
    a: Array = np.tanh(np.asarray(z))
    return a


def tanh_slope(z: Array, alpha: float = 0.0) -> Array:
    # 1 − tanh²(z) = 4e^−2|z| / (1 + e^−2|z|)²: no cancellation where tanh rounds to ±1.
    e = np.exp(-np.abs(np.asarray(z, dtype=np.float64)))
    e2 = e * e  # e^−2|z|, without doubling a z near the float64 limit
    return 4.0 * e2 / (1.0 + e2) ** 2


def linear(z: Array, alpha: float = 0.0) -> Array:
    return np.asarray(z)


def linear_slope(z: Array, alpha: float = 0.0) -> Array:
    z = np.asarray(z, dtype=np.float64)
    return np.where(np.isnan(z), np.nan, 1.0)


def softmax(z: Array, alpha: float = 0.0, axis: int = -1) -> Array:
    """Softmax over ``axis``, shifted by the row's maximum so nothing overflows.

    As PyTorch, TensorFlow and ONNX Runtime compute it: a −∞ entry gets 0; a
    row holding NaN or +∞, or only −∞, is NaN (∞ − ∞), so the debugger shows
    what the framework that made the model shows.
    """
    z = np.asarray(z)
    with np.errstate(invalid="ignore", over="ignore"):
        e: Array = np.exp(z - np.max(z, axis=axis, keepdims=True))
        a: Array = e / np.sum(e, axis=axis, keepdims=True)
        return a


def softmax_slope(a: Array, alpha: float = 0.0) -> Array:
    """The diagonal term ∂a_j/∂z_j = a_j(1 − a_j): softmax is given its *outputs*."""
    a = np.asarray(a, dtype=np.float64)
    return a * (1.0 - a)


# -- where the slope falls below a threshold ----------------------------------------------
def sigmoid_bound(slope: float) -> float:
    # σ'(z) = s(1 − s) = slope  →  s = (1 + √(1 − 4·slope)) / 2, z = log(s / (1 − s))
    s = (1.0 + math.sqrt(1.0 - 4.0 * slope)) / 2.0
    return math.log(s / (1.0 - s))


def tanh_bound(slope: float) -> float:
    # 1 − tanh²(z) = slope  →  z = atanh(√(1 − slope))
    return math.atanh(math.sqrt(1.0 - slope))


# -- the object -------------------------------------------------------------------------
@dataclass(frozen=True)
class Activation:
    """What the engine knows about one activation function.

    ``text`` writes g applied to a symbol or number: ``σ(z)``, ``max(0, z)``.
    ``definition`` is the formula in terms of z (``{z}`` stands for the
    layer's z symbol). ``output_range`` is the curve's range when the output
    is confined to one (the plot's vertical axis, and the values reached
    only in floating point, written ≈). ``saturation_bound(slope)`` is the
    |z| past which g'(z) < slope, None when g cannot saturate. ``dies_at`` is
    the z at or below which the output is constant and the slope 0 for
    good (ReLU: 0), None when it cannot die.
    """

    name: str
    symbol: str
    fn: Function
    slope_fn: Function
    definition: str
    keras_names: tuple[str, ...] = ()
    onnx_ops: tuple[str, ...] = ()
    per_layer: bool = False  # softmax needs the whole layer at once
    output_range: tuple[float, float] | None = None
    bound_fn: Callable[[float], float] | None = None
    dies_at: float | None = None
    takes_alpha: bool = False
    written: str = ""  # how g(z) is written when not symbol(z), e.g. "max(0, {z})"
    class_cut: float | None = None  # one output unit votes for class 1 at a ≥ this (None: no class)

    def __call__(self, z: Array, alpha: float = DEFAULT_LEAKY_ALPHA) -> Array:
        return self.fn(z, alpha)

    def derivative(self, z: Array, alpha: float = DEFAULT_LEAKY_ALPHA) -> Array:
        """g'(z), stable for any z a float64 holds (softmax: pass a, not z)."""
        return self.slope_fn(z, alpha)

    def text(self, z: str) -> str:
        """g written out on ``z`` (a symbol or a number): 'σ(166.5)', 'max(0, z)'."""
        return self.written.format(z=z) if self.written else f"{self.symbol}({z})"

    @property
    def bounded(self) -> bool:
        return self.output_range is not None

    @property
    def can_saturate(self) -> bool:
        return self.bound_fn is not None

    @property
    def can_die(self) -> bool:
        return self.dies_at is not None

    def saturation_bound(self, slope: float) -> float | None:
        """The |z| beyond which g'(z) < ``slope``; None if g never flattens."""
        if self.bound_fn is None:
            return None
        return _bound(self.name, slope)

    def at_limit(self, z: float, a: float) -> bool:
        """Is a finite z's output an end of the range, which the mathematics
        never reaches (σ(166.5) is 1.0 only in floating point)?"""
        return self.output_range is not None and math.isfinite(z) and a in self.output_range


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", "σ", sigmoid, sigmoid_slope, "1 / (1 + e^−{z})",
                   keras_names=("sigmoid",), onnx_ops=("Sigmoid",), output_range=(0.0, 1.0), bound_fn=sigmoid_bound,
                   class_cut=0.5),
        Activation("relu", "relu", relu, relu_slope, "max(0, {z})",
                   keras_names=("relu",), onnx_ops=("Relu",), dies_at=0.0),
        Activation("leaky_relu", "leaky_relu", leaky_relu, leaky_relu_slope, "{z} if {z} > 0 else α·{z}",
                   keras_names=("leaky_relu",), onnx_ops=("LeakyRelu",), takes_alpha=True),
        Activation("tanh", "tanh", tanh, tanh_slope, "(e^{z} − e^−{z}) / (e^{z} + e^−{z})",
                   keras_names=("tanh",), onnx_ops=("Tanh",), output_range=(-1.0, 1.0), bound_fn=tanh_bound,
                   class_cut=0.0),
        Activation("linear", "linear", linear, linear_slope, "{z}", keras_names=("linear",)),
        Activation("softmax", "softmax", softmax, softmax_slope, "e^{z}_j / Σ_k e^{z}_k",
                   keras_names=("softmax",), onnx_ops=("Softmax",), per_layer=True, output_range=(0.0, 1.0),
                   class_cut=0.5),
    )
}

SUPPORTED_ACTIVATIONS: tuple[str, ...] = tuple(ACTIVATIONS)
ONNX_OPS: dict[str, str] = {op: a.name for a in ACTIVATIONS.values() for op in a.onnx_ops}
KERAS_NAMES: dict[str, str] = {k: a.name for a in ACTIVATIONS.values() for k in a.keras_names}
TAKE_ALPHA: tuple[str, ...] = tuple(a.name for a in ACTIVATIONS.values() if a.takes_alpha)


@lru_cache(maxsize=64)
def _bound(name: str, slope: float) -> float:
    if not 0 < slope < 0.25:
        raise ValueError("slope threshold must lie in (0, 0.25)")
    fn = ACTIVATIONS[name].bound_fn
    assert fn is not None
    return float(fn(slope))


def derivative(name: str, z: Array, alpha: float = DEFAULT_LEAKY_ALPHA) -> Array:
    """g'(z) of the activation called ``name`` (softmax: pass a, not z)."""
    return ACTIVATIONS[name].derivative(z, alpha)


def saturation_bound(name: str, slope: float) -> float:
    """The |z| beyond which the activation's slope falls below ``slope``."""
    bound = ACTIVATIONS[name].saturation_bound(slope)
    if bound is None:
        raise ValueError(f"{name} does not saturate")
    return bound
