"""Keras's BatchNormalization and Rescaling layers as the engine's norms.

Each is read into a ``BatchNorm`` or ``Rescaling`` of its own (never folded
into the weights); keras_layers.py decides where it sits: at the network's
input, or on the layer before it, between bias and activation (``z``) or
after the activation (``a``).

- ``BatchNormalization``: ``(x − moving_mean) / √(moving_variance + ε) · γ + β``
  with the moving statistics, as Keras computes at inference. Its variables,
  in ``model.weights.h5`` ``vars/0, 1, …`` as in a legacy ``.h5``'s
  ``weight_names``, are gamma (when ``scale``), beta (when ``center``),
  moving_mean, moving_variance; without gamma γ = 1, without beta β = 0.
- ``Rescaling``: ``x · scale + offset``, each a number or one per channel (the
  last axis), computed in the layer's float type as Keras does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..engine.norms import BatchNorm, Norm, Normalization, Rescaling
from .arrays import numeric
from .errors import NetworkFileError, printable
from .keras_config import KerasLayer

# Spreads per-axis values over the flattened features: (layer, values, axis) → one value per feature.
Spread = Callable[[KerasLayer, np.ndarray, Any], np.ndarray]

KERAS_BN_EPSILON = 1e-3  # keras.layers.BatchNormalization's default


def _flag(path: Path, layer: KerasLayer, key: str, default: bool) -> bool:
    value = layer.config.get(key, default)
    if not isinstance(value, bool):
        raise NetworkFileError(path, layer.label, f"{key} is {value!r}, expected true or false")
    return value


def _float_type(layer: KerasLayer) -> type[np.floating[Any]]:
    """The layer's compute type: float64 under a float64 policy, else float32 (Keras's default)."""
    policy = layer.config.get("dtype")
    name = policy.get("config", {}).get("name", "") if isinstance(policy, dict) else policy
    return np.float64 if isinstance(name, str) and "float64" in name else np.float32


def batch_norm(path: Path, layer: KerasLayer, stored: list[np.ndarray], spread: Spread) -> BatchNorm:
    cfg = layer.config
    if cfg.get("renorm"):
        raise NetworkFileError(path, layer.label, "BatchNormalization with renorm=True is not supported")
    scale = _flag(path, layer, "scale", True)
    center = _flag(path, layer, "center", True)
    eps = cfg.get("epsilon", KERAS_BN_EPSILON)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps >= 0:
        raise NetworkFileError(path, layer.label, f"epsilon is {eps!r}, expected a number ≥ 0")
    names = ["gamma"] * scale + ["beta"] * center + ["moving_mean", "moving_variance"]
    if len(stored) != len(names):
        raise NetworkFileError(path, layer.label, f"has {len(stored)} stored arrays, expected {len(names)} "
                               f"({', '.join(names)}, as center={center} and scale={scale} say)")
    values = {}
    for name, array in zip(names, stored):
        # Learned values, like weights: a NaN in them is something to debug, not a broken file.
        values[name] = numeric(path, f"{layer.label} {name}", array, 1, " (one per feature)", finite=False)
    sizes = {v.size for v in values.values()}
    if len(sizes) != 1:
        shapes = ", ".join(f"{k} {v.size}" for k, v in values.items())
        raise NetworkFileError(path, layer.label, f"its arrays differ in length ({shapes})")
    var = values["moving_variance"]
    if (var < 0).any():
        j = int(np.flatnonzero(var < 0)[0])
        raise NetworkFileError(path, f"{layer.label} moving_variance[{j}]", f"is {float(var[j]):g}, expected ≥ 0")
    mean = values["moving_mean"]
    gamma = values.get("gamma", np.ones_like(mean))
    beta = values.get("beta", np.zeros_like(mean))
    axis = cfg.get("axis", -1)
    gamma, beta, mean, var = (spread(layer, v, axis) for v in (gamma, beta, mean, var))
    return BatchNorm(gamma, beta, mean, var, float(eps), name=printable(layer.name))


def _numbers(path: Path, layer: KerasLayer, key: str, default: float) -> np.ndarray:
    value = layer.config.get(key, default)
    values = value if isinstance(value, list) else [value]
    if not values or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        raise NetworkFileError(path, layer.label, f"{key} is {value!r}, expected a number or a list of numbers")
    return numeric(path, f"{layer.label} {key}", np.asarray(values, dtype=np.float64), 1)


def rescaling(path: Path, layer: KerasLayer, spread: Spread) -> Rescaling:
    scale = _numbers(path, layer, "scale", 1.0)
    offset = _numbers(path, layer, "offset", 0.0)
    if scale.size != offset.size and 1 not in (scale.size, offset.size):
        raise NetworkFileError(path, layer.label, f"has {scale.size} scales but {offset.size} offsets")
    size = max(scale.size, offset.size)
    scale, offset = (np.broadcast_to(v, (size,)) for v in (scale, offset))
    kind = _float_type(layer)
    scale, offset = (spread(layer, v.astype(kind), -1) for v in (scale, offset))
    return Rescaling(scale, offset, name=printable(layer.name))


def resized(norm: Norm, size: int) -> Norm:
    """The norm with a single value (Rescaling(1/255)) given to each of ``size`` features."""
    if norm.size != 1 or size == 1:
        return norm
    if isinstance(norm, BatchNorm):
        return BatchNorm(norm.gamma, norm.beta, norm.mean, norm.var, norm.eps, name=norm.name, size=size)
    if isinstance(norm, Rescaling):
        return Rescaling(norm.scale, norm.offset, name=norm.name, size=size)
    if isinstance(norm, Normalization):
        return Normalization(norm.mean, norm.std, name=norm.name, size=size)
    return norm
