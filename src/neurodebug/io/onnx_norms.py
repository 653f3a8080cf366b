"""ONNX ``BatchNormalization`` as the engine's own batch-norm step, never folded.

y = (x − mean) / √(var + epsilon) · scale + B, per unit (the channel axis 1
of a (batch × units) tensor), with the stored moving statistics: a network
exported for inference (``training_mode`` 0). Where it sits decides what it
becomes:

- before the first layer: the network's input normalisation;
- after a layer's Gemm or MatMul (and its bias Add), before any activation:
  the layer's norm at z, a = g(BN(x·W + b));
- after the layer's activation: the layer's norm at a, a = BN(g(x·W + b)).

A second one in the same place (two in a layer, or one after another) has
nowhere to go in a neurodebug layer and is refused, naming the node.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..engine.network import Layer, ShapeError
from ..engine.norms import BatchNorm, Norm, NormAt
from .arrays import numeric
from .errors import NetworkFileError

ONNX_BN_EPSILON = 1e-5  # the spec's default


class Reader(Protocol):
    path: Path
    opset: int
    per_unit: set[str]  # tensors holding one number meant for every unit (an Expand over the units)

    def fail(self, node: Any, message: str) -> NetworkFileError: ...

    def attr(self, node: Any, name: str, default: Any) -> Any: ...

    def const(self, node: Any, name: str) -> np.ndarray: ...


def _place(node: Any) -> str:
    return f"node '{node.name or node.op_type}' ({node.op_type})"


def norm_name(node: Any, scale_name: str) -> str:
    """PyTorch's module path ("1.weight" → "1"), else the node's name."""
    if scale_name.endswith(".weight") and scale_name != ".weight":
        return scale_name.removesuffix(".weight")
    name = node.name.strip("/").removesuffix("/BatchNormalization")
    return name or "batch_norm"


def batch_norm_of(reader: Reader, node: Any, dims: list[int | None] | None, feature_major: bool) -> BatchNorm:
    """The node's BatchNorm, its four vectors one value per unit."""
    if feature_major:
        raise reader.fail(node, "a BatchNormalization of a transposed (units × batch) tensor is not supported")
    if dims is not None and len(dims) != 1:
        raise reader.fail(node, f"a BatchNormalization of a {len(dims) + 1}-D tensor (shape [batch, "
                          f"{', '.join('?' if d is None else str(d) for d in dims)}]) is not supported; only of "
                          "[batch, units]")
    if int(reader.attr(node, "training_mode", 0)) != 0:
        raise reader.fail(node, "training_mode = 1 (statistics of the batch) is not supported; export the model "
                          "in eval mode")
    if len(node.input) != 5 or not all(node.input):
        raise reader.fail(node, "a BatchNormalization needs its input, scale, B, mean and var")
    eps = float(reader.attr(node, "epsilon", ONNX_BN_EPSILON))
    if not (np.isfinite(eps) and eps >= 0):
        raise reader.fail(node, f"epsilon = {eps} is not a finite number ≥ 0")
    vectors = []
    for role, name in zip(("scale", "B", "mean", "var"), node.input[1:]):
        value = numeric(reader.path, f"{_place(node)} {role} '{name}'", reader.const(node, name), finite=False)
        if value.ndim != 1:
            raise reader.fail(node, f"its {role} '{name}' has shape {value.shape}; one value per unit is expected")
        vectors.append(value)
    units = max(v.size for v in vectors)
    vectors = [np.full(units, v[0], dtype=v.dtype) if name in reader.per_unit and v.size == 1 else v
               for v, name in zip(vectors, node.input[1:])]
    sizes = {v.size for v in vectors}
    if len(sizes) != 1 or (dims is not None and dims[0] is not None and dims[0] not in sizes):
        raise reader.fail(node, f"its scale, B, mean and var have {', '.join(str(v.size) for v in vectors)} values"
                          + (f" for {dims[0]} units" if dims is not None and dims[0] is not None else ""))
    gamma, beta, mean, var = vectors
    try:
        return BatchNorm(gamma, beta, mean, var, eps=eps, name=norm_name(node, node.input[1]))
    except ValueError as exc:
        raise reader.fail(node, str(exc)) from None


def norm_at(reader: Reader, node: Any, last: Layer) -> NormAt:
    """Where a BatchNormalization after ``last`` goes, or refused when that place is taken."""
    if last.norm is not None:
        where = "before" if last.norm_at == NormAt.Z else "after"
        raise reader.fail(node, f"layer '{last.name}' already has a {last.norm.title} {where} its activation "
                          f"('{last.norm.name}'); a neurodebug layer holds one")
    return NormAt.Z if last.activation == "linear" else NormAt.A


def with_norm(path: Path, node: Any, layer: Layer, norm: Norm | None, at: NormAt) -> Layer:
    """``layer`` with ``norm`` at ``at`` (None: as it is)."""
    if norm is None:
        return layer
    try:
        return Layer(layer.name, layer.activation, layer.W, layer.b, layer.neuron_names, params=layer.params,
                     norm=norm, norm_at=at)
    except (ShapeError, ValueError) as exc:
        raise NetworkFileError(path, _place(node), str(exc)) from None
