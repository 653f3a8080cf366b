"""One dense layer's arithmetic, forward and backward, on arrays.

Forward, for a batch ``x`` (rows are samples)::

    zdot = x @ W            z_sum = zdot + b
    z    = norm(z_sum)      (a norm before the activation, else z = z_sum)
    g    = g(z)
    a    = norm(g)          (a norm after the activation, else a = g)

Backward, given ∂L/∂a for every sample, the chain rule through the same
operations in reverse: ∂L/∂g (through a norm after g), ∂L/∂z = ∂L/∂g · g′(z)
(a whole-layer g: its Jacobian), ∂L/∂z_sum (through a norm before g),
∂L/∂W = xᵀ · ∂L/∂z_sum, ∂L/∂b = Σ ∂L/∂z_sum, ∂L/∂x = ∂L/∂z_sum · Wᵀ.

This module sits below ``network.py`` and knows a layer only by the
attributes it reads (``DenseLayer``), so both the trace and
``Network.gradients`` compute with the one rule written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .activations import ACTIVATIONS
from .norms import BatchNorm, Norm, NormAt, Rescaling
from .numbers import quiet

__all__ = ["DenseLayer", "LayerBackward", "LayerForward", "backward", "forward", "norm_backward"]


class DenseLayer(Protocol):
    """What the arithmetic reads of a layer (``network.Layer`` has it)."""

    W: np.ndarray
    b: np.ndarray
    activation: str
    params: dict[str, float]
    norm: Norm | None
    norm_at: NormAt


@dataclass(frozen=True, eq=False)
class LayerForward:
    """Every intermediate vector of one layer, for every sample. ``zsum`` is
    ``z`` and ``g`` is ``a`` (the same arrays) where the layer has no norm."""

    zdot: np.ndarray
    zsum: np.ndarray
    z: np.ndarray
    g: np.ndarray
    a: np.ndarray


def forward(layer: DenseLayer, x: np.ndarray) -> LayerForward:
    act = ACTIVATIONS[layer.activation]
    norm = layer.norm
    with quiet():
        zdot = x @ layer.W
        zsum = zdot + layer.b
        z = norm.apply(zsum) if norm is not None and layer.norm_at == NormAt.Z else zsum
        g = act(z, layer.params)
        a = norm.apply(g) if norm is not None and layer.norm_at == NormAt.A else g
    return LayerForward(zdot, zsum, z, g, a)


@dataclass(frozen=True, eq=False)
class LayerBackward:
    """∂L/∂ of everything in one layer: per sample (rows) for the vectors,
    summed over the samples for the parameters."""

    da: np.ndarray  # ∂L/∂a, what the next layer sent back
    dg: np.ndarray  # ∂L/∂g(z) (∂L/∂a without a norm after g)
    dz: np.ndarray  # ∂L/∂z, z what the activation takes
    dzsum: np.ndarray  # ∂L/∂(x·W + b) (∂L/∂z without a norm before g)
    dW: np.ndarray
    db: np.ndarray
    dx: np.ndarray | None  # ∂L/∂x: what goes back to the layer before (None: not asked for)
    dnorm: dict[str, np.ndarray]  # the norm's trained parameters: γ, β (batch norm); scale, offset


def norm_backward(norm: Norm, given: np.ndarray, dout: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Through ``y = norm(given)``: (∂L/∂given, ∂L/∂ of its trained parameters).

    A batch norm used for inference is an affine map per element with the
    moving statistics fixed: its μ and σ² are statistics, not trained, so
    only γ and β get a gradient (as in Keras and PyTorch in eval mode)."""
    with quiet():
        dgiven = dout * norm.slope()
        if isinstance(norm, BatchNorm):
            xhat = (given - norm.mean) * (1.0 / np.sqrt(norm.var + norm.eps))
            return dgiven, {"gamma": np.sum(dout * xhat, axis=0), "beta": np.sum(dout, axis=0)}
        if isinstance(norm, Rescaling):
            return dgiven, {"scale": np.sum(dout * given, axis=0), "offset": np.sum(dout, axis=0)}
        return dgiven, {}  # a Normalization: mean and std are statistics, not trained


def activation_backward(layer: DenseLayer, z: np.ndarray, g: np.ndarray, dg: np.ndarray) -> np.ndarray:
    """∂L/∂z from ∂L/∂g: g′(z) element by element, or a whole-layer g's Jacobian."""
    act = ACTIVATIONS[layer.activation]
    with quiet():
        if layer.activation == "softmax":  # ∂a_j/∂z_k = a_j(δ_jk − a_k)
            out: np.ndarray = g * (dg - np.sum(dg * g, axis=-1, keepdims=True))
            return out
        if layer.activation == "log_softmax":  # ∂a_j/∂z_k = δ_jk − softmax_k
            out = dg - np.exp(g) * np.sum(dg, axis=-1, keepdims=True)
            return out
        assert not act.per_layer, f"no Jacobian written for {layer.activation}"
        out = dg * act.derivative(z, layer.params).astype(z.dtype, copy=False)
        return out


def backward(layer: DenseLayer, x: np.ndarray, fwd: LayerForward, da: np.ndarray,
             dz: np.ndarray | None = None, input_gradient: bool = True) -> LayerBackward:
    """Back through one layer. ``dz``: ∂L/∂z given directly (a loss written
    on the logits, softmax with cross-entropy: a − y), skipping g.
    ``input_gradient``: compute ∂L/∂x (the first layer's goes nowhere, and
    costs a float64 copy of W when W is float32)."""
    norm = layer.norm
    dnorm: dict[str, np.ndarray] = {}
    with quiet():
        if dz is None:
            dg = da
            if norm is not None and layer.norm_at == NormAt.A:
                dg, dnorm = norm_backward(norm, fwd.g, da)
            dz = activation_backward(layer, fwd.z, fwd.g, dg)
        else:
            dg = da
        dzsum = dz
        if norm is not None and layer.norm_at == NormAt.Z:
            dzsum, dnorm = norm_backward(norm, fwd.zsum, dz)
        dW = x.T @ dzsum
        db = np.sum(dzsum, axis=0)
        dx = times_transpose(dzsum, layer.W) if input_gradient else None
    return LayerBackward(da, dg, dz, dzsum, dW, db, dx, dnorm)


CAST_BLOCK = 1 << 21  # values of W cast at a time (16 MB of float64)


def times_transpose(d: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``d @ W.T`` in ``d``'s precision. A W of another precision is cast
    first (a float32 W in a float64 product takes NumPy's slow mixed-type
    path: 4× the cast and the BLAS call), a block of its rows at a time: a
    whole float64 copy of a 4096×4096 layer would be 134 MB more at the
    peak. Each output is still one dot product over every unit."""
    if W.dtype == d.dtype:
        same: np.ndarray = d @ W.T
        return same
    out = np.empty((d.shape[0], W.shape[0]), dtype=d.dtype)
    step = max(1, CAST_BLOCK // max(1, W.shape[1]))
    for start in range(0, W.shape[0], step):
        out[:, start:start + step] = d @ W[start:start + step].astype(d.dtype).T
    return out
