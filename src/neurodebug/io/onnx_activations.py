"""ONNX activation nodes as one of the engine's activations and its parameters.

Each engine activation names its ONNX ops (``ONNX_OPS``); this module reads
the node's attributes (and Clip's constant inputs) into the activation's
parameters, with the defaults the ONNX specification gives, and refuses
what no engine activation computes, in one line. The patterns an exporter
writes for GELU (Div, Erf, Add, Mul, Mul), SiLU or Mish (several nodes using
the layer's output twice) are read in ``onnx_patterns.py``.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

from ..engine.activations import ONNX_OPS

ONNX_LEAKY_RELU_ALPHA = 0.01  # LeakyRelu's default alpha in the ONNX spec
ONNX_ELU_ALPHA = 1.0
ONNX_HARD_SIGMOID = {"alpha": 0.2, "beta": 0.5}
# Selu's defaults in the spec: the float32 roundings of Klambauer et al.'s constants, which the engine uses.
ONNX_SELU = {"alpha": 1.67326319217681884765625, "gamma": 1.05070102214813232421875}


class GraphReader(Protocol):
    opset: int

    def fail(self, node: Any, message: str) -> Exception: ...

    def attr(self, node: Any, name: str, default: Any) -> Any: ...

    def const(self, node: Any, name: str) -> np.ndarray: ...


def _number(reader: GraphReader, node: Any, name: str, default: float) -> float:
    value = float(reader.attr(node, name, default))
    if not math.isfinite(value):
        raise reader.fail(node, f"{name} = {value} is not a finite number")
    return value


def _clip_bounds(reader: GraphReader, node: Any) -> tuple[float, float]:
    """Clip's min and max: constant inputs from opset 11 on, attributes before."""
    if reader.opset < 11:
        return (float(reader.attr(node, "min", -math.inf)), float(reader.attr(node, "max", math.inf)))
    bounds = [-math.inf, math.inf]
    for k, name in enumerate(node.input[1:3]):
        if name:
            value = np.asarray(reader.const(node, name), dtype=np.float64)
            if value.size != 1:
                raise reader.fail(node, f"the bound '{name}' has {value.size} values; Clip takes one number")
            bounds[k] = float(value.ravel()[0])
    return bounds[0], bounds[1]


def _clip(reader: GraphReader, node: Any) -> tuple[str, dict[str, float]]:
    lo, hi = _clip_bounds(reader, node)
    if math.isnan(lo) or math.isnan(hi):
        raise reader.fail(node, "a bound of Clip is NaN")
    if lo == 0 and hi == math.inf:
        return "relu", {}
    if lo == 0 and hi == 6:
        return "relu6", {}
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise reader.fail(node, f"Clip with min = {lo:g}, max = {hi:g} is not supported "
                          "(both bounds finite, or min = 0 alone: a ReLU)")
    return "clip", {"min": lo, "max": hi}


def _prelu_slope(reader: GraphReader, node: Any) -> float:
    """PRelu's learned slope: one for the layer (PyTorch's nn.PReLU() by default) is a leaky ReLU's α."""
    if len(node.input) < 2 or not node.input[1]:
        raise reader.fail(node, "PRelu has no slope input")
    slope = np.asarray(reader.const(node, node.input[1]), dtype=np.float64).ravel()
    if slope.size == 0 or not np.all(np.isfinite(slope)):
        raise reader.fail(node, "PRelu's slope is empty or not finite")
    if np.any(slope != slope[0]):
        raise reader.fail(node, f"PRelu with a slope per unit ({slope.size} slopes) is not supported "
                          "(one slope for the layer, nn.PReLU(): a leaky ReLU)")
    return float(slope[0])


def _per_layer_axis(reader: GraphReader, node: Any, feature_major: bool) -> None:
    default = -1 if reader.opset >= 13 else 1
    axis = int(reader.attr(node, "axis", default))
    units_axis = (0, -2) if feature_major else (1, -1)
    if axis not in units_axis:
        raise reader.fail(node, f"{node.op_type} over axis {axis} is not supported (only over the units)")
    if reader.opset < 13 and feature_major:
        raise reader.fail(node, f"a {node.op_type} before opset 13 over a transposed tensor is not supported")


def activation_of(reader: GraphReader, node: Any, feature_major: bool) -> tuple[str, dict[str, float]]:
    """(engine activation, its parameters) for an activation node."""
    op = node.op_type
    if op in ("Softmax", "LogSoftmax"):
        _per_layer_axis(reader, node, feature_major)
    if op == "LeakyRelu":
        return "leaky_relu", {"alpha": _number(reader, node, "alpha", ONNX_LEAKY_RELU_ALPHA)}
    if op == "Elu":
        return "elu", {"alpha": _number(reader, node, "alpha", ONNX_ELU_ALPHA)}
    if op == "Celu":  # max(0, z) + min(0, α·(e^(z/α) − 1)): an ELU when α = 1 (PyTorch's CELU by default)
        alpha = _number(reader, node, "alpha", ONNX_ELU_ALPHA)
        if alpha != 1.0:
            raise reader.fail(node, f"Celu with alpha = {alpha:g} is not supported (only alpha = 1, an ELU)")
        return "elu", {"alpha": 1.0}
    if op == "PRelu":
        return "leaky_relu", {"alpha": _prelu_slope(reader, node)}
    if op == "HardSigmoid":
        return "hard_sigmoid", {k: _number(reader, node, k, v) for k, v in ONNX_HARD_SIGMOID.items()}
    if op == "Selu":
        given = {k: _number(reader, node, k, v) for k, v in ONNX_SELU.items()}
        if any(abs(given[k] - v) > 1e-6 * v for k, v in ONNX_SELU.items()):
            raise reader.fail(node, f"Selu with alpha = {given['alpha']:g}, gamma = {given['gamma']:g} is not "
                              "supported (only the standard constants, 1.67326 and 1.0507)")
        return "selu", {}
    if op == "Gelu":
        approximate = reader.attr(node, "approximate", b"none")
        approximate = approximate.decode("utf-8", "replace") if isinstance(approximate, bytes) else str(approximate)
        if approximate not in ("none", "tanh"):
            raise reader.fail(node, f"Gelu with approximate = '{approximate}' is not supported ('none' or 'tanh')")
        return ("gelu_tanh" if approximate == "tanh" else "gelu"), {}
    if op == "Clip":
        return _clip(reader, node)
    return ONNX_OPS[op], {}
