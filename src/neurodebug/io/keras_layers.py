"""Keras layers, in chain order, as neurodebug layers.

A Dense layer followed by an Activation (or ReLU, LeakyReLU, ELU, Softmax)
layer becomes one neurodebug layer; Dropout-like layers (and Identity) do
nothing at inference and are skipped; a Normalization before the first
Dense becomes the network's input normalisation.

BatchNormalization and Rescaling (read in keras_norms.py) stay steps of their
own: before the first Dense they are the network's input normalisation (one
norm at the input: a second is refused); after a Dense they are that layer's
norm, between its bias and its activation (``norm_at="z"``) while the layer's
activation is still linear, so that ``Dense → BatchNormalization →
Activation("relu")`` is one layer, or after its activation (``"a"``) once it
has one. A layer holds one norm: a second is refused.

Activation names map to the engine's entries (each lists its Keras names).
Two need the parameters Keras gives them: ``leaky_relu`` (slope 0.2) and
``hard_sigmoid``, which Keras 3 computes as relu6(x + 3)/6 (α = 1/6) and
Keras 2 as clip(0.2·x + 0.5, 0, 1): the file's Keras version decides.
``ReLU(max_value=m)`` is relu6 (m = 6) or clip(z, 0, m).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..engine.activations import KERAS_NAMES
from ..engine.network import Layer, Network, Norm, NormAt, Normalization, ShapeError
from .arrays import check_chain, check_declared, make_layer, make_network, numeric
from .errors import NetworkFileError, printable
from .keras_config import KerasLayer, KerasModel
from .keras_norms import batch_norm, rescaling, resized

SUPPORTED_LAYERS = (
    "InputLayer", "Dense", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax",
    "Normalization (at the input)", "BatchNormalization", "Rescaling", "Flatten", "Dropout", "Identity",
)
# Keras names of the activations neurodebug computes the same way (each engine activation says its own).
ACTIVATIONS = tuple(KERAS_NAMES)
INFERENCE_NO_OPS = ("Dropout", "AlphaDropout", "GaussianDropout", "GaussianNoise", "ActivityRegularization", "Identity")
LEAKY_RELU_FUNCTION_SLOPE = 0.2  # keras.activations.leaky_relu's default
LEAKY_RELU_LAYER_SLOPE = 0.3  # keras.layers.LeakyReLU's default
ELU_LAYER_ALPHA = 1.0  # keras.layers.ELU's default
HARD_SIGMOID = {3: {"alpha": 1.0 / 6.0, "beta": 0.5}, 2: {"alpha": 0.2, "beta": 0.5}}  # by Keras major version
KERAS_EPSILON = 1e-7  # Normalization divides by max(sqrt(variance), epsilon)

Weights = Callable[[KerasLayer], list[np.ndarray]]


def _major(version: str | None) -> int | None:
    """3 for "3.15.1", 2 for "2.15.0"; None when there is no version to read."""
    head = (version or "").split(".")[0]
    return int(head) if head.isdigit() else None


def _keras_activation(path: Path, layer: KerasLayer, value: Any,
                      version: str | None = None) -> tuple[str, dict[str, float]]:
    name = value
    if isinstance(value, dict):  # a serialized function: {"class_name": "function", "config": "relu"}
        name = value.get("config") if isinstance(value.get("config"), str) else value.get("class_name")
    if name is None:
        return "linear", {}
    if name == "leaky_relu":
        return "leaky_relu", {"alpha": LEAKY_RELU_FUNCTION_SLOPE}
    if name == "hard_sigmoid":
        major = _major(version)
        if major is None:
            raise NetworkFileError(path, layer.label, "activation 'hard_sigmoid' is relu6(x + 3)/6 in Keras 3 and "
                                   "clip(0.2·x + 0.5, 0, 1) in Keras 2, and the file does not say which Keras saved it")
        return "hard_sigmoid", HARD_SIGMOID[min(max(major, 2), 3)]
    if name in KERAS_NAMES:
        return KERAS_NAMES[str(name)], {}
    raise NetworkFileError(path, layer.label, f"activation '{name}' is not supported; supported: {', '.join(ACTIVATIONS)}")


def _known(shape: tuple[int | None, ...]) -> tuple[int, ...] | None:
    """The shape when every dimension is known, else None."""
    dims = tuple(d for d in shape if d is not None)
    return dims if len(dims) == len(shape) else None


class Builder:
    """Turns the chain of Keras layers into neurodebug layers."""

    def __init__(self, path: Path, model: KerasModel, weights: Weights, version: str | None = None) -> None:
        self.path = path
        self.model = model
        self.weights = weights
        self.version = version  # the Keras that saved the file ("3.15.1"), when it says
        self.layers: list[Layer] = []
        self.shape: tuple[int | None, ...] | None = None  # the tensor's non-batch dims, when known
        self.input_norm: tuple[KerasLayer, Norm] | None = None  # the Keras layer it came from, and the norm
        self.norm_from: dict[int, KerasLayer] = {}  # layer index → the Keras layer that gave it its norm

    def fail(self, layer: KerasLayer, message: str) -> NetworkFileError:
        return NetworkFileError(self.path, layer.label, message)

    def network(self, description: str) -> Network:
        handlers = {
            "InputLayer": self.input_layer, "Dense": self.dense, "Activation": self.activation,
            "ReLU": self.relu, "LeakyReLU": self.leaky_relu, "ELU": self.elu, "Softmax": self.softmax,
            "Normalization": self.normalization, "Flatten": self.flatten,
            "BatchNormalization": self.batch_normalization, "Rescaling": self.rescaling,
        }
        for layer in self.model.chain:
            if self.shape is None and not self.layers:
                self.input_layer(layer)  # Keras 2 puts batch_input_shape on the first layer
            if layer.class_name in INFERENCE_NO_OPS:
                continue
            handler = handlers.get(layer.class_name)
            if handler is None:
                raise self.fail(layer, f"is not supported; supported layers: {', '.join(SUPPORTED_LAYERS)}")
            handler(layer)
        if not self.layers:
            raise NetworkFileError(self.path, "", "the model has no Dense layer")
        return make_network(
            self.path, self.layers, normalization=self.input_normalization(),
            name=self.model.name, description=description,
        )

    # -- shapes and the input ------------------------------------------------
    def input_layer(self, layer: KerasLayer) -> None:
        shape = layer.config.get("batch_shape", layer.config.get("batch_input_shape"))
        if isinstance(shape, list) and len(shape) >= 2:
            self.shape = tuple(d if isinstance(d, int) else None for d in shape[1:])

    def flatten(self, layer: KerasLayer) -> None:
        if self.shape is None or len(self.shape) <= 1:
            return
        if layer.config.get("data_format") == "channels_first":
            raise self.fail(layer, "Flatten with data_format channels_first is not supported")
        known = _known(self.shape)
        self.shape = (math.prod(known),) if known is not None else (None,)  # (Python ints: no int64 overflow to 0)

    def normalization(self, layer: KerasLayer) -> None:
        if self.layers:
            raise self.fail(layer, f"Normalization is supported only at the input, before the first Dense layer (it follows '{self.layers[-1].name}')")
        if layer.config.get("invert"):
            raise self.fail(layer, "Normalization with invert=True is not supported")
        if layer.config.get("mean") is not None and layer.config.get("variance") is not None:
            mean = np.asarray(layer.config["mean"], dtype=np.float64)
            variance = np.asarray(layer.config["variance"], dtype=np.float64)
        else:
            stored = self.weights(layer)
            if len(stored) < 2:
                raise self.fail(layer, "has no mean and variance (was adapt() called before saving?)")
            mean, variance = stored[0], stored[1]
        place = layer.label
        mean = numeric(self.path, f"{place} mean", mean)
        variance = numeric(self.path, f"{place} variance", variance)
        if (variance < 0).any():
            raise self.fail(layer, "a variance is negative")
        std = np.maximum(np.sqrt(variance), variance.dtype.type(KERAS_EPSILON))
        axis = layer.config.get("axis", -1)
        self.at_input(layer, Normalization(self.per_feature(layer, mean, axis), self.per_feature(layer, std, axis),
                                           name=printable(layer.name)))

    def at_input(self, layer: KerasLayer, norm: Norm) -> None:
        if self.input_norm is not None:
            first = self.input_norm[0]
            raise self.fail(layer, f"the input is already normalised by {first.label}; "
                            "a second norm at the input is not supported")
        self.input_norm = (layer, norm)

    def batch_normalization(self, layer: KerasLayer) -> None:
        norm = batch_norm(self.path, layer, self.weights(layer), self.per_feature)
        self.place(layer, norm)

    def rescaling(self, layer: KerasLayer) -> None:
        self.place(layer, rescaling(self.path, layer, self.per_feature))

    def place(self, layer: KerasLayer, norm: Norm) -> None:
        """At the input before the first Dense; else on the last layer, before
        its activation while it has none, after it once it has one."""
        if not self.layers:
            self.at_input(layer, norm)
            return
        last = self.layers[-1]
        if last.norm is not None:
            raise self.fail(layer, f"'{last.name}' already has the norm of {self.norm_from[len(self.layers) - 1].label}; "
                            "a layer holds one norm")
        at = NormAt.Z if last.activation == "linear" else NormAt.A
        self.layers[-1] = self.rebuilt(layer, last, resized(norm, last.units), at)
        self.norm_from[len(self.layers) - 1] = layer

    def rebuilt(self, layer: KerasLayer, last: Layer, norm: Norm | None, at: NormAt,
                activation: str | None = None, params: dict[str, float] | None = None) -> Layer:
        """``last`` with a norm, or with an activation (keeping its norm)."""
        try:
            return Layer(last.name, activation or last.activation, last.W, last.b, last.neuron_names,
                         params=last.params if activation is None else params, norm=norm, norm_at=at)
        except (ShapeError, ValueError) as exc:
            raise self.fail(layer, str(exc)) from None

    def per_feature(self, layer: KerasLayer, values: np.ndarray, axis: Any) -> np.ndarray:
        """Spread per-axis statistics over every element of the input, flattened."""
        shape = None if self.shape is None else _known(self.shape)
        if values.size == 1 or shape is None:
            return values.ravel()
        axes = [] if axis is None else ([axis] if isinstance(axis, int) else list(axis))
        rank = len(shape) + 1
        try:
            keep = {a % rank for a in axes}
        except TypeError:
            raise self.fail(layer, f"cannot read axis {axis!r}") from None
        if 0 in keep:
            raise self.fail(layer, "normalising over the batch axis is not supported")
        dims = tuple(d if i + 1 in keep else 1 for i, d in enumerate(shape))
        if values.size != math.prod(dims):
            raise self.fail(layer, f"has {values.size} values per parameter, which do not fit its input's shape {self.shape}")
        # spread over the shape the file declares: refused past the array limit before it is made
        check_declared(self.path, layer.label, tuple(shape), np.dtype(np.float64))
        return np.broadcast_to(values.reshape(dims), shape).ravel()

    def input_normalization(self) -> Norm | None:
        if self.input_norm is None:
            return None
        layer, norm = self.input_norm
        n = self.layers[0].n_inputs
        norm = resized(norm, n)
        if norm.size != n:
            raise self.fail(layer, f"has {norm.size} values per parameter but the first Dense layer takes {n} inputs")
        return norm

    # -- layers ----------------------------------------------------------------
    def dense(self, layer: KerasLayer) -> None:
        cfg = layer.config
        policy = cfg.get("dtype")
        policy_name = policy.get("config", {}).get("name", "") if isinstance(policy, dict) else str(policy or "")
        if cfg.get("quantization_config") or any(q in str(policy_name) for q in ("int8", "int4", "float8", "gptq", "awq")):
            raise self.fail(layer, "a quantized Dense layer is not supported")
        if self.shape is not None and len(self.shape) > 1:
            raise self.fail(layer, f"Dense on a {'×'.join(str(d) for d in self.shape)} input is not supported; put a Flatten before it")
        units = cfg.get("units")
        use_bias = cfg.get("use_bias", True)
        stored = self.weights(layer)
        expected = 2 if use_bias else 1
        if len(stored) != expected:
            if cfg.get("lora_rank"):  # Keras 3's .h5 keeps LoRA's two matrices beside the kernel; .keras merges them
                raise self.fail(layer, f"holds LoRA weights (lora_rank = {cfg['lora_rank']}) apart from its kernel; "
                                "save the model as .keras, which merges them into the kernel")
            raise self.fail(layer, f"has {len(stored)} stored arrays, expected {expected} ({'kernel and bias' if use_bias else 'kernel'})")
        if stored[0].dtype.kind not in "f":
            raise self.fail(layer, f"the kernel has dtype {stored[0].dtype}; only float weights are supported")
        W = numeric(self.path, f"{layer.label} kernel", stored[0], 2, " (inputs × units)", finite=False)
        if isinstance(units, int) and W.shape[1] != units:
            raise self.fail(layer, f"the kernel has {W.shape[1]} columns but the layer has {units} units")
        prev = self.layers[-1] if self.layers else None
        check_chain(self.path, layer.label, W, prev, "the previous Dense layer")
        if prev is None and self.shape is not None and self.shape[0] is not None and self.shape[0] != W.shape[0]:
            raise self.fail(layer, f"the kernel takes {W.shape[0]} inputs but the input has {self.shape[0]} features")
        if use_bias:
            b = numeric(self.path, f"{layer.label} bias", stored[1], 1, finite=False)
            if b.shape != (W.shape[1],):
                raise self.fail(layer, f"the bias has {b.size} values, expected {W.shape[1]}")
        else:
            b = np.zeros(W.shape[1], dtype=W.dtype)
        activation, params = _keras_activation(self.path, layer, cfg.get("activation"), self.version)
        self.layers.append(make_layer(self.path, layer.label, layer.name, activation, W, b, params))
        self.shape = (W.shape[1],)

    def apply(self, layer: KerasLayer, activation: str, params: dict[str, float] | None = None) -> None:
        if activation == "linear":
            return
        if not self.layers:
            raise self.fail(layer, "an activation before the first Dense layer is not supported")
        last = self.layers[-1]
        if last.activation != "linear":
            after = f" and then its {last.norm.title}" if last.norm is not None and last.norm_at == NormAt.A else ""
            raise self.fail(
                layer,
                f"follows '{last.name}', which already applies {last.activation}{after}; "
                "a neurodebug layer applies one activation (use a linear Dense before it)",
            )
        self.layers[-1] = self.rebuilt(layer, last, last.norm, last.norm_at, activation, params)

    def activation(self, layer: KerasLayer) -> None:
        self.apply(layer, *_keras_activation(self.path, layer, layer.config.get("activation"), self.version))

    def number(self, layer: KerasLayer, key: str, default: float) -> float:
        value = layer.config.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(layer, f"{key} is {value!r}, expected a number")
        return float(value)

    def relu(self, layer: KerasLayer) -> None:
        """ReLU(max_value, negative_slope, threshold): relu, leaky_relu, relu6 or clip(z, 0, max_value)."""
        slope = self.number(layer, "negative_slope", 0.0)
        threshold = self.number(layer, "threshold", 0.0)
        top = layer.config.get("max_value")
        if threshold != 0.0:
            raise self.fail(layer, f"ReLU with threshold={threshold:g} is not supported (it jumps from 0 to "
                            "the threshold; only thresholds of 0)")
        if top is None and slope:
            self.apply(layer, "leaky_relu", {"alpha": slope})
            return
        if top is None:
            self.apply(layer, "relu")
            return
        top = self.number(layer, "max_value", 0.0)
        if slope:
            raise self.fail(layer, f"ReLU with both max_value={top:g} and negative_slope={slope:g} is not supported")
        if top <= 0:
            raise self.fail(layer, f"ReLU with max_value={top:g} is not supported (it outputs 0 whatever the input)")
        if top == 6.0:
            self.apply(layer, "relu6")
        else:
            self.apply(layer, "clip", {"min": 0.0, "max": top})

    def leaky_relu(self, layer: KerasLayer) -> None:
        cfg = layer.config
        slope = cfg.get("negative_slope", cfg.get("alpha", LEAKY_RELU_LAYER_SLOPE))
        self.apply(layer, "leaky_relu", {"alpha": float(slope)})

    def elu(self, layer: KerasLayer) -> None:
        self.apply(layer, "elu", {"alpha": self.number(layer, "alpha", ELU_LAYER_ALPHA)})

    def softmax(self, layer: KerasLayer) -> None:
        axis = layer.config.get("axis", -1)
        if isinstance(axis, list) and len(axis) == 1:
            axis = axis[0]
        if axis not in (-1, 1):
            raise self.fail(layer, f"Softmax over axis {axis} is not supported (only over the units, axis -1)")
        self.apply(layer, "softmax")
