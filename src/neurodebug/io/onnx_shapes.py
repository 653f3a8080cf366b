"""The tensor flowing along an ONNX chain, and the nodes that only reshape it.

``Flatten`` or ``Reshape`` to [batch, features] at the input flattens a grid;
after the last layer, ``Squeeze``/``Unsqueeze`` (not of the batch axis) and
reshapes keep one row per sample, and skl2onnx's ``Reshape`` of a
multi-output regressor to one column ([-1, 1]) lists each sample's outputs
one under another. Nothing but reshapes may follow these at the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..engine.network import Layer
from .errors import NetworkFileError


@dataclass
class Tensor:
    """The tensor flowing along the chain."""

    name: str
    dims: list[int | None] | None  # non-batch dims when known
    feature_major: bool = False  # (features × batch) after a Gemm with the data as B


class Reader(Protocol):
    layers: list[Layer]
    at_output: bool

    def fail(self, node: Any, message: str) -> NetworkFileError: ...

    def attr(self, node: Any, name: str, default: Any) -> Any: ...

    def const(self, node: Any, name: str) -> np.ndarray: ...


def squeeze(reader: Reader, node: Any, x: Tensor, out: str) -> Tensor:
    """Squeeze or Unsqueeze after the last layer: the values stay, one row per sample."""
    if not reader.layers:
        raise reader.fail(node, f"a {node.op_type} before the first layer is not supported")
    if x.feature_major:
        raise reader.fail(node, f"a {node.op_type} of a transposed (features × batch) tensor is not supported")
    axes = reader.attr(node, "axes", None)
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = reader.const(node, node.input[1]).astype(np.int64).ravel().tolist()
    if not axes or 0 in axes:
        raise reader.fail(node, f"a {node.op_type} of the batch axis (or of every axis of size 1) is not supported")
    reader.at_output = True
    return Tensor(out, x.dims, False)


def reshape(reader: Reader, node: Any, x: Tensor, out: str) -> Tensor:
    """Flatten or Reshape: to [batch, features] at the input; after the last layer, only what keeps the values."""
    if x.feature_major:
        raise reader.fail(node, "reshaping a transposed (features × batch) tensor is not supported")
    dims = x.dims
    n = None  # the number of features, when every dim is known
    if dims is not None:
        known = [d for d in dims if d is not None]
        if len(known) == len(dims):
            n = int(np.prod(known))
    if node.op_type == "Flatten":
        axis = reader.attr(node, "axis", 1)
        if axis != 1:
            raise reader.fail(node, f"Flatten with axis={axis} is not supported (only axis=1, keeping the batch)")
        target = n
    else:
        shape = reader.const(node, node.input[1]).astype(np.int64).ravel().tolist() if len(node.input) > 1 else []
        if reader.layers and shape in ([-1, 1], [-1]) and dims is not None and len(dims) == 1:
            # each sample's outputs one under another (skl2onnx's multi-output MLPRegressor): the values
            # stay, in order, and nothing but reshapes may follow
            reader.at_output = True
            return Tensor(out, dims, False)
        if len(shape) != 2 or shape[1] < -1 or shape == [-1, -1]:
            raise reader.fail(node, f"Reshape to {shape} is not supported (only to [batch, features])")
        if shape[1] > 0:
            target = int(shape[1])
        elif shape[1] == 0:  # 0 copies the input's dim
            target = dims[0] if dims is not None and len(dims) == 1 else None
        else:
            target = n
        if n is not None and target is not None and target != n:
            raise reader.fail(node, f"Reshape to {shape} does not keep the {n} features of a sample")
    if reader.layers and (dims is None or len(dims) != 1):
        raise reader.fail(node, "a Flatten or Reshape after the first layer is supported only when it changes nothing")
    return Tensor(out, [target], False)
