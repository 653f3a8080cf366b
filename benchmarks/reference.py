"""The yardstick: a bare, vectorised NumPy forward pass of the same network."""

from __future__ import annotations

from time import perf_counter
from typing import Callable

import numpy as np

from neurodebug.engine import Network


def _activate(name: str, z: np.ndarray, alpha: float) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "leaky_relu":
        return np.where(z > 0, z, alpha * z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return z


def forward_from(net: Network, a: np.ndarray, first: int = 0) -> np.ndarray:
    """Layers ``first``… of ``net`` on the batch ``a`` (that layer's input)."""
    for layer in net.layers[first:]:
        a = _activate(layer.activation, a @ layer.W + layer.b, layer.alpha)
    return a


def batch(net: Network) -> np.ndarray:
    """The samples as the engine batches them (same dtype)."""
    x, _ = net.as_batch(np.stack([s.x for s in net.samples]))
    if net.normalization is not None:
        x = net.normalization.apply(x)
    return x


def median_ms(fn: Callable[[], object], repeat: int = 30, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = perf_counter()
        fn()
        times.append((perf_counter() - t) * 1e3)
    return float(np.median(times))


def numpy_forward_ms(net: Network, repeat: int = 30) -> float:
    """The whole pass over every sample."""
    x = batch(net)
    with np.errstate(all="ignore"):
        return median_ms(lambda: forward_from(net, x, 0), repeat)


def numpy_from_layer_ms(net: Network, layer: int, repeat: int = 30) -> float:
    """The pass from ``layer`` on, its input already computed (what an edit there needs)."""
    with np.errstate(all="ignore"):
        a = batch(net)
        for before in net.layers[:layer]:
            a = _activate(before.activation, a @ before.W + before.b, before.alpha)
        return median_ms(lambda: forward_from(net, a, layer), repeat)
