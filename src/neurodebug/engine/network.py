"""The network model: dense layers, optional input normalisation, samples.

Shapes follow the course's NumPy labs: a layer's ``W`` is (inputs × units) and
column j holds neuron j's weights, so ``z = x @ W + b`` for a row of inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .activations import ACTIVATIONS
from .kinds import LossKind
from .losses import backward_pass
from .norms import BatchNorm, Norm, NormAt, Normalization, Rescaling
from .samples import Sample, Samples

__all__ = ["BatchNorm", "Layer", "Network", "Norm", "NormAt", "Normalization", "Rescaling", "Sample", "Samples", "ShapeError"]

class ShapeError(ValueError):
    """Raised when arrays handed to the engine do not fit the network."""


@dataclass(init=False)
class Layer:
    """A dense layer: ``a = g(x @ W + b)``.

    ``params`` holds every parameter of the activation g by name, defaults
    filled in and checked (leaky_relu: {"alpha": 0.01}; clip: {"min": …,
    "max": …}; sigmoid: {}). ``alpha=`` is a shorthand for params={"alpha": …},
    and is ignored by an activation without an α (as every layer once had one).
    """

    name: str
    activation: str
    W: np.ndarray  # (inputs, units)
    b: np.ndarray  # (units,)
    neuron_names: list[str] | None
    params: dict[str, float]
    norm: Norm | None
    norm_at: NormAt

    def __init__(self, name: str, activation: str, W: np.ndarray, b: np.ndarray,
                 neuron_names: list[str] | None = None, alpha: float | None = None,
                 params: Mapping[str, float] | None = None,
                 norm: Norm | None = None, norm_at: NormAt | str = NormAt.Z) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}")
        act = ACTIVATIONS[activation]
        given = dict(params or {})
        if alpha is not None and act.takes_alpha:
            if given.get("alpha", alpha) != alpha:
                raise ValueError(f"alpha is given twice: {alpha} and {given['alpha']}")
            given["alpha"] = alpha
        self.name = name
        self.activation = activation
        self.params = act.resolve(given)
        self.neuron_names = neuron_names
        self.W = np.asarray(W)
        self.b = np.asarray(b)
        if self.W.ndim != 2 or self.b.shape != (self.W.shape[1],):
            raise ShapeError(f"layer {self.name}: W {self.W.shape} and b {self.b.shape} do not fit")
        self.norm = norm
        self.norm_at = NormAt(norm_at)
        if norm is not None and norm.size != self.units:
            raise ShapeError(f"layer {self.name}: its {norm.title} has {norm.size} values for {self.units} units")

    @property
    def alpha(self) -> float | None:
        """The activation's α (leaky_relu's slope, elu's scale…), None if it has none."""
        return self.params.get("alpha")

    @property
    def n_inputs(self) -> int:
        return int(self.W.shape[0])

    @property
    def units(self) -> int:
        return int(self.W.shape[1])

    @property
    def param_count(self) -> int:
        return int(self.W.size + self.b.size) + (self.norm.param_count if self.norm is not None else 0)

    @property
    def param_bytes(self) -> int:
        return int(self.W.nbytes + self.b.nbytes) + (self.norm.nbytes if self.norm is not None else 0)

    @property
    def operations(self) -> str:
        """What follows x·W + b, in words: "relu", "batch norm → relu", "tanh → rescale"."""
        if self.norm is None:
            return self.activation
        if self.norm_at == NormAt.Z:
            return f"{self.norm.title} → {self.activation}"
        return f"{self.activation} → {self.norm.title}"

    def norm_step_at(self, at: NormAt) -> bool:
        """Whether the layer has a norm at ``at``."""
        return self.norm is not None and self.norm_at == at

    def neuron_name(self, j: int) -> str:
        if self.neuron_names:
            return self.neuron_names[j]
        return f"n{j + 1}"


@dataclass
class Network:
    layers: list[Layer]
    # Assign a Samples table or any sequence of Sample: it is kept as a table.
    samples: Samples = field(default_factory=list)  # type: ignore[assignment]
    feature_names: list[str] | None = None
    output_names: list[str] | None = None
    normalization: Norm | None = None  # at the input, before the first layer
    name: str = "network"
    description: str = ""
    source: str | None = None  # the file it was read from, if any

    def __setattr__(self, name: str, value: object) -> None:
        if name == "samples" and not isinstance(value, Samples):
            layers = self.__dict__.get("layers")
            value = Samples.of(value, layers[0].n_inputs if layers else None)  # type: ignore[arg-type]
        super().__setattr__(name, value)

    def __post_init__(self) -> None:
        if not self.layers:
            raise ShapeError("a network needs at least one layer")
        for prev, layer in zip(self.layers, self.layers[1:]):
            if layer.n_inputs != prev.units:
                raise ShapeError(
                    f"layer {layer.name} takes {layer.n_inputs} inputs "
                    f"but layer {prev.name} has {prev.units} units"
                )
        if self.normalization is not None and self.normalization.size != self.layers[0].n_inputs:
            raise ShapeError(f"the input {self.normalization.title} has {self.normalization.size} values "
                             f"for {self.layers[0].n_inputs} inputs")

    # -- shape -------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_inputs

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].units

    @property
    def param_count(self) -> int:
        return sum(layer.param_count for layer in self.layers)

    @property
    def param_bytes(self) -> int:
        return sum(layer.param_bytes for layer in self.layers)

    def feature_name(self, i: int) -> str:
        if self.feature_names:
            return self.feature_names[i]
        return f"x{i + 1}"

    def output_name(self, j: int) -> str:
        if self.output_names:
            return self.output_names[j]
        return self.layers[-1].neuron_name(j)

    def shape_summary(self) -> str:
        sizes = [str(self.n_inputs)] + [str(layer.units) for layer in self.layers]
        return "-".join(sizes)

    # -- computing -----------------------------------------------------------
    def as_batch(self, x: np.ndarray | list[float]) -> tuple[np.ndarray, bool]:
        """Return ``x`` as a 2-D batch and whether it was a single sample."""
        arr = np.asarray(x)
        if arr.dtype.kind not in "fiub":
            raise ShapeError(f"inputs must be numbers, got dtype {arr.dtype}")
        single = arr.ndim == 1
        batch = arr[np.newaxis, :] if single else arr
        if batch.ndim != 2 or batch.shape[1] != self.n_inputs:
            raise ShapeError(
                f"the network takes {self.n_inputs} input features, got shape {arr.shape}"
            )
        # Compute in the weights' precision, as the framework that made them
        # does: a float32 model sees float32 inputs.
        too_big = self.first_unrepresentable(batch)
        if too_big is not None:
            (row, col), value = too_big
            where = f"input {col + 1}" if single else f"sample {row + 1}, input {col + 1}"
            raise ShapeError(f"{where} = {value:g} does not fit the network's {self.compute_dtype} "
                             f"(at most ±{float(np.finfo(self.compute_dtype).max):.4g})")
        return batch.astype(self.compute_dtype, copy=False), single

    def gradients(self, X: np.ndarray | list[float], y: np.ndarray | list[float] | list[int],
                  loss: LossKind | str | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """∂L/∂W and ∂L/∂b of every layer, in the weights' layout, for the
        mean ``loss`` over the batch ``X`` (the reduction Keras and PyTorch
        use by default): ``bce`` (one sigmoid output, or one linear unit: a
        logit; labels 0/1), ``ce`` (softmax, or several linear units: logits;
        class indices), ``mse`` (expected vectors); None infers it from the
        output activation (and, on logits, from class indices). Computed in float64."""
        batch, _ = self.as_batch(X)
        x = self.normalization.apply(batch) if self.normalization is not None else batch
        back = backward_pass(self, x, y, loss)
        return [(layer.dW, layer.db) for layer in back.layers]

    def first_unrepresentable(self, x: np.ndarray) -> tuple[tuple[int, int], float] | None:
        """The first finite input value (row, column) that the network's
        precision cannot hold (1e39 in a float32 network), or None."""
        x = np.atleast_2d(np.asarray(x))
        dtype = self.compute_dtype
        if x.dtype.kind != "f" or np.finfo(x.dtype).max <= np.finfo(dtype).max:
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            bad = np.isfinite(x) & (np.abs(x) > np.finfo(dtype).max)
        if not bad.any():
            return None
        row, col = (int(k) for k in np.argwhere(bad)[0])
        return (row, col), float(x[row, col])

    @property
    def compute_dtype(self) -> np.dtype:
        return np.result_type(np.float32, *(layer.W.dtype for layer in self.layers), *(layer.b.dtype for layer in self.layers))

    def sample_index(self, name: str) -> int:
        try:
            return self.samples.index_of(name)
        except KeyError:
            names = ", ".join(self.samples.names[:12]) + (", …" if len(self.samples) > 12 else "")
            raise KeyError(f"no sample named {name!r} (samples: {names or 'none'})") from None
