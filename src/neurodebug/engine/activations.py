"""Activation functions: one object each, with everything the engine knows.

An ``Activation`` carries its function and derivative (``activation_functions``:
stable for any float64 z, NaN and ±∞ passing through as the frameworks pass
them), how its formula is written, the range of its curve, its parameters
(leaky_relu's and elu's α, clip's bounds), where it is flat — saturated
where g'(z) falls below a threshold for good, dead where it outputs exactly
0 with slope 0 — and its names in Keras and ONNX. Every rule elsewhere — the
step notes, the health checks, the watches, the explanations, the plot, the
readers and writers — reads these fields; adding an activation is one entry
in ``ACTIVATIONS`` plus its tests (docs/architecture.md shows how).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from . import activation_edges as edges
from . import activation_functions as f
from .numbers import fmt

DEFAULT_LEAKY_ALPHA = 0.01

Array = np.ndarray
Params = Mapping[str, float]
Function = Callable[..., Array]  # g(z, *parameter values), in the order ``params`` declares them
FlatFunction = Callable[..., tuple[float, float]]  # (slope, *parameter values) → (lo, hi)
DiesAt = Callable[..., float | None]  # (*parameter values) → the z at or below which g dies, or None


@dataclass(frozen=True)
class Param:
    """One parameter of an activation: its name in the files (``alpha``,
    ``min``), its default, and what it is, for messages."""

    name: str
    default: float
    meaning: str


@dataclass(frozen=True)
class Activation:
    """What the engine knows about one activation function.

    ``text`` writes g applied to a symbol or number: ``σ(z)``, ``clip(z, 0, 6)``.
    ``definition`` is the formula in terms of z (``{z}`` stands for the
    layer's z symbol). ``output_range`` is the curve's range when the output
    is confined to one (the plot's vertical axis); ``open_range``: its ends
    are reached only in floating point (σ(166.5) = 1.0, written ≈), not for
    real (hard_sigmoid is 1 from z = 3 on). ``bound_fn(slope, *values)`` is
    (lo, hi): g'(z) < slope for good where z < lo or z > hi (±∞: no flat
    side there), None when g never flattens. ``dies_at`` is the z at or
    below which g outputs exactly 0 with slope 0 for good (ReLU: 0), or a
    function of the parameter values giving it (None: it cannot die); a
    flat side that dies is not also saturated.
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
    bound_fn: FlatFunction | None = None
    dies_at: float | DiesAt | None = None
    params: tuple[Param, ...] = ()
    written: str = ""  # how g(z) is written when not symbol(z), e.g. "clip({z}, {min}, {max})"
    class_cut: float | None = None  # one output unit votes for class 1 at a ≥ this (None: no class)
    open_range: bool = True
    check: Callable[..., str | None] | None = None  # (*values) → what is wrong with them, or None

    # -- parameters ------------------------------------------------------------------
    @property
    def takes_alpha(self) -> bool:
        return any(p.name == "alpha" for p in self.params)

    @property
    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}

    def resolve(self, params: Params | None = None) -> dict[str, float]:
        """Every parameter of g, ``params`` over the defaults; raises
        ValueError for one g does not take, or a value it cannot use."""
        given = dict(params or {})
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            takes = ", ".join(p.name for p in self.params) or "no parameters"
            raise ValueError(f"{self.name} takes no parameter {unknown[0]!r} (it takes {takes})")
        out = {}
        for p in self.params:
            value = float(given.get(p.name, p.default))
            if not math.isfinite(value):
                raise ValueError(f"the {self.name} {p.meaning} {p.name} must be a finite number, got {value}")
            out[p.name] = value
        problem = self.check(*out.values()) if self.check is not None else None
        if problem:
            raise ValueError(problem)
        return out

    def _values(self, params: Params | None) -> tuple[float, ...]:
        if not self.params:
            if params:
                self.resolve(params)  # says which parameter g does not take
            return ()
        if params is not None and len(params) == len(self.params):
            try:  # a layer's parameters, complete and checked when it was made
                return tuple(float(params[p.name]) for p in self.params)
            except KeyError:
                pass
        return tuple(self.resolve(params).values())

    # -- computing ------------------------------------------------------------------------
    def __call__(self, z: Array, params: Params | None = None) -> Array:
        return self.fn(z, *self._values(params))

    def derivative(self, z: Array, params: Params | None = None) -> Array:
        """g'(z), stable for any z a float64 holds (a whole-layer g: pass a, not z)."""
        return self.slope_fn(z, *self._values(params))

    def text(self, z: str, params: Params | None = None) -> str:
        """g written out on ``z`` (a symbol or a number): 'σ(166.5)', 'clip(z, 0, 6)'."""
        if not self.written:
            return f"{self.symbol}({z})"
        values = dict(zip((p.name for p in self.params), self._values(params)))
        return self.written.format(z=z, **{k: fmt(v) for k, v in values.items()})

    # -- where it is flat ----------------------------------------------------------------------
    @property
    def bounded(self) -> bool:
        return self.output_range is not None

    @property
    def can_saturate(self) -> bool:
        return self.bound_fn is not None

    @property
    def can_die(self) -> bool:
        return self.dies_at is not None

    def flat(self, slope: float, params: Params | None = None) -> tuple[float, float] | None:
        """(lo, hi): g'(z) < ``slope`` for good where z < lo or z > hi; None
        where g never flattens (with these parameters)."""
        if self.bound_fn is None:
            return None
        lo, hi = _flat(self.name, slope, self._values(params))
        return None if (lo, hi) == (-math.inf, math.inf) else (lo, hi)

    def dying_point(self, params: Params | None = None) -> float | None:
        """The z at or below which g outputs 0 with slope 0 for good; None if it cannot die."""
        if self.dies_at is None or isinstance(self.dies_at, float):
            return self.dies_at
        return self.dies_at(*self._values(params))

    def saturation_bound(self, slope: float) -> float | None:
        """The |z| beyond which g'(z) < ``slope``, for a g flat on both sides
        at ±bound (σ, tanh, softsign); None if g never flattens there."""
        flat = self.flat(slope)
        if flat is None or flat[0] != -flat[1]:
            return None
        return flat[1]

    def at_limit(self, z: float, a: float) -> bool:
        """Is a finite z's output an end of the range, which the mathematics
        never reaches (σ(166.5) is 1.0 only in floating point)?"""
        return (self.output_range is not None and self.open_range and math.isfinite(z)
                and a in self.output_range)


@lru_cache(maxsize=256)
def _flat(name: str, slope: float, values: tuple[float, ...]) -> tuple[float, float]:
    if not 0 < slope < 0.25:
        raise ValueError("slope threshold must lie in (0, 0.25)")
    fn = ACTIVATIONS[name].bound_fn
    assert fn is not None
    lo, hi = fn(slope, *values)
    return float(lo), float(hi)


def _positive_alpha(alpha: float, beta: float) -> str | None:
    return None if alpha > 0 else f"hard_sigmoid needs a slope alpha > 0, got {alpha:g}"


def _ordered(lo: float, hi: float) -> str | None:
    return None if lo < hi else f"clip needs min < max, got min = {lo:g}, max = {hi:g}"


def _dead_if_flat(alpha: float) -> float | None:
    return 0.0 if alpha == 0 else None  # leaky_relu and elu with α = 0 are ReLUs


ALPHA_SLOPE = Param("alpha", DEFAULT_LEAKY_ALPHA, "slope")
LN_HALF = math.log(0.5)

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", "σ", f.sigmoid, f.sigmoid_slope, "1 / (1 + e^−{z})",
                   keras_names=("sigmoid",), onnx_ops=("Sigmoid",), output_range=(0.0, 1.0),
                   bound_fn=edges.sigmoid_flat, class_cut=0.5),
        Activation("relu", "relu", f.relu, f.relu_slope, "max(0, {z})",
                   keras_names=("relu",), onnx_ops=("Relu",), dies_at=0.0),
        Activation("leaky_relu", "leaky_relu", f.leaky_relu, f.leaky_relu_slope, "{z} if {z} > 0 else α·{z}",
                   keras_names=("leaky_relu",), onnx_ops=("LeakyRelu", "PRelu"), params=(ALPHA_SLOPE,),
                   bound_fn=edges.leaky_relu_flat, dies_at=_dead_if_flat),
        Activation("tanh", "tanh", f.tanh, f.tanh_slope, "(e^{z} − e^−{z}) / (e^{z} + e^−{z})",
                   keras_names=("tanh",), onnx_ops=("Tanh",), output_range=(-1.0, 1.0), bound_fn=edges.tanh_flat,
                   class_cut=0.0),
        Activation("linear", "linear", f.linear, f.linear_slope, "{z}", keras_names=("linear",)),
        Activation("softmax", "softmax", f.softmax, f.softmax_slope, "e^{z}_j / Σ_k e^{z}_k",
                   keras_names=("softmax",), onnx_ops=("Softmax",), per_layer=True, output_range=(0.0, 1.0),
                   class_cut=0.5),
        Activation("gelu", "gelu", f.gelu, f.gelu_slope, "{z}·Φ({z})",
                   keras_names=("gelu",), onnx_ops=("Gelu",), bound_fn=edges.gelu_flat),
        Activation("gelu_tanh", "gelu_tanh", f.gelu_tanh, f.gelu_tanh_slope,
                   "½·{z}·(1 + tanh(√(2/π)·({z} + 0.044715·{z}³)))", bound_fn=edges.gelu_tanh_flat),
        Activation("silu", "silu", f.silu, f.silu_slope, "{z}·σ({z})",
                   keras_names=("silu", "swish"), bound_fn=edges.silu_flat),
        Activation("mish", "mish", f.mish, f.mish_slope, "{z}·tanh(log(1 + e^{z}))",
                   keras_names=("mish",), onnx_ops=("Mish",), bound_fn=edges.mish_flat),
        Activation("elu", "elu", f.elu, f.elu_slope, "{z} if {z} > 0 else α·(e^{z} − 1)",
                   keras_names=("elu", "celu"), onnx_ops=("Elu", "Celu"), params=(Param("alpha", 1.0, "scale"),),
                   bound_fn=edges.elu_flat, dies_at=_dead_if_flat),
        Activation("selu", "selu", f.selu, f.selu_slope, "λ·{z} if {z} > 0 else λ·α·(e^{z} − 1)",
                   keras_names=("selu",), onnx_ops=("Selu",), bound_fn=edges.selu_flat),
        Activation("softplus", "softplus", f.softplus, f.softplus_slope, "log(1 + e^{z})",
                   keras_names=("softplus",), onnx_ops=("Softplus",), bound_fn=edges.softplus_flat),
        Activation("softsign", "softsign", f.softsign, f.softsign_slope, "{z} / (1 + |{z}|)",
                   keras_names=("softsign",), onnx_ops=("Softsign",), output_range=(-1.0, 1.0),
                   bound_fn=edges.softsign_flat, class_cut=0.0),
        Activation("hard_sigmoid", "hard_sigmoid", f.hard_sigmoid, f.hard_sigmoid_slope,
                   "max(0, min(1, α·{z} + β))", keras_names=("hard_sigmoid",), onnx_ops=("HardSigmoid",),
                   params=(Param("alpha", 1.0 / 6.0, "slope"), Param("beta", 0.5, "offset")),
                   output_range=(0.0, 1.0), open_range=False, bound_fn=edges.hard_sigmoid_flat,
                   dies_at=lambda alpha, beta: -beta / alpha, class_cut=0.5, check=_positive_alpha),
        Activation("hard_silu", "hard_silu", f.hard_silu, f.hard_silu_slope, "{z}·min(max({z} + 3, 0), 6) / 6",
                   keras_names=("hard_silu", "hard_swish"), onnx_ops=("HardSwish",), dies_at=-3.0),
        Activation("exponential", "exp", f.exponential, f.exponential_slope, "e^{z}",
                   keras_names=("exponential",), onnx_ops=("Exp",), bound_fn=edges.exponential_flat),
        Activation("relu6", "relu6", f.relu6, f.relu6_slope, "min(max(0, {z}), 6)",
                   keras_names=("relu6",), bound_fn=edges.relu6_flat, dies_at=0.0),
        Activation("clip", "clip", f.clip, f.clip_slope, "min(max({z}, min), max)",
                   keras_names=("hard_tanh",), onnx_ops=("Clip",),
                   params=(Param("min", -1.0, "lower bound"), Param("max", 1.0, "upper bound")),
                   written="clip({z}, {min}, {max})", bound_fn=edges.clip_flat,
                   dies_at=lambda lo, hi: 0.0 if lo == 0 else None, check=_ordered),
        Activation("log_softmax", "log_softmax", f.log_softmax, f.log_softmax_slope,
                   "{z}_j − log Σ_k e^{z}_k", keras_names=("log_softmax",), onnx_ops=("LogSoftmax",),
                   per_layer=True, class_cut=LN_HALF),
    )
}

SUPPORTED_ACTIVATIONS: tuple[str, ...] = tuple(ACTIVATIONS)
ONNX_OPS: dict[str, str] = {op: a.name for a in ACTIVATIONS.values() for op in a.onnx_ops}
KERAS_NAMES: dict[str, str] = {k: a.name for a in ACTIVATIONS.values() for k in a.keras_names}
TAKE_ALPHA: tuple[str, ...] = tuple(a.name for a in ACTIVATIONS.values() if a.takes_alpha)
PARAM_NAMES: tuple[str, ...] = tuple(dict.fromkeys(p.name for a in ACTIVATIONS.values() for p in a.params))


def takers(param: str) -> tuple[str, ...]:
    """The activations that take the parameter called ``param``."""
    return tuple(a.name for a in ACTIVATIONS.values() if any(p.name == param for p in a.params))


def derivative(name: str, z: Array, params: Params | None = None) -> Array:
    """g'(z) of the activation called ``name`` (a whole-layer g: pass a, not z)."""
    return ACTIVATIONS[name].derivative(z, params)


def saturation_bound(name: str, slope: float) -> float:
    """The |z| beyond which the activation's slope falls below ``slope``
    (σ, tanh, softsign: flat at ±bound; the others have ``Activation.flat``)."""
    bound = ACTIVATIONS[name].saturation_bound(slope)
    if bound is None:
        raise ValueError(f"{name} does not saturate at ±bound")
    return bound
