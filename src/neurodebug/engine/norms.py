"""Element-wise affine steps: input normalisation, batch norm, rescaling.

Each is one object that knows its formula, its parameters by name (so an edit
can change ``gamma[2]`` like any weight) and how to compute itself. None is
ever folded into the weights: the debugger shows it as its own step.

* ``Normalization``: ``x' = (x − μ) / σ`` (the course's z-score; Keras's
  Normalization layer, scikit-learn's StandardScaler).
* ``BatchNorm``: ``y = (x − μ) / √(σ² + ε) · γ + β`` with the moving mean and
  variance a trained network uses for inference.
* ``Rescaling``: ``y = x · scale + offset`` (Keras's Rescaling, e.g. 1/255).

Where one sits: ``Network.normalization`` is one at the network's input; a
layer's ``norm`` sits between its bias and its activation (``norm_at="z"``)
or after its activation (``norm_at="a"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

import numpy as np

from .numbers import fmt, fmt_operand, fmt_vector, quiet

__all__ = ["BatchNorm", "Norm", "NormAt", "Normalization", "Rescaling", "SYMBOLS"]

SYMBOLS = {"mean": "μ", "std": "σ", "gamma": "γ", "beta": "β", "var": "σ²", "scale": "scale", "offset": "offset"}


class NormAt(StrEnum):
    """Where a layer's norm sits."""

    Z = "z"  # between the bias and the activation: a = g(norm(x·W + b))
    A = "a"  # after the activation: a = norm(g(x·W + b))


class Norm:
    """An element-wise affine map with named parameter vectors."""

    kind: ClassVar[str]  # "normalization", "batchnorm", "rescaling"
    title: ClassVar[str]  # what the step is called: "batch norm"
    PARAMS: ClassVar[tuple[str, ...]]  # editable vectors, in display order
    SHIFT: ClassVar[tuple[str, str] | None] = None  # (parameter, symbol) added last: y moves 1:1 with it
    name: str

    def apply(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def symbolic(self, x: str, y: str) -> str:
        """The formula in symbols: ``y = (x − μ) / √(σ² + ε) · γ + β``."""
        raise NotImplementedError

    def numbers(self, x: np.ndarray, y: np.ndarray, j: int | None = None) -> str:
        """The formula with the real numbers, for element ``j`` or the vector."""
        raise NotImplementedError

    def slope(self) -> np.ndarray:
        """∂y/∂x per element: what the map multiplies a change of its input by
        (the backward pass goes through it with this factor)."""
        raise NotImplementedError

    @property
    def size(self) -> int:
        return int(self.param(self.PARAMS[0]).shape[0])

    def param(self, name: str) -> np.ndarray:
        if name not in self.PARAMS:
            raise KeyError(name)
        value: np.ndarray = getattr(self, name)
        return value

    def params(self) -> dict[str, np.ndarray]:
        return {p: self.param(p) for p in self.PARAMS}

    def check_value(self, name: str, value: float) -> str | None:
        """Why ``value`` cannot be this parameter, or None."""
        return None

    def ok(self) -> np.ndarray:
        """Per element: every parameter is a number it can compute with."""
        good = np.ones(self.size, dtype=bool)
        for p in self.PARAMS:
            v = self.param(p)
            with quiet():
                good &= np.isfinite(v) & np.array([self.check_value(p, float(x)) is None for x in v])
        return good

    def bad_param(self, j: int) -> tuple[str, float] | None:
        """The first parameter of element ``j`` that cannot be computed with:
        (name, value), or None."""
        for p in self.PARAMS:
            value = float(self.param(p)[j])
            if not np.isfinite(value) or self.check_value(p, value) is not None:
                return p, value
        return None

    @property
    def param_count(self) -> int:
        return sum(int(v.size) for v in self.params().values())

    @property
    def nbytes(self) -> int:
        return sum(int(v.nbytes) for v in self.params().values())

    def _check_shapes(self) -> None:
        sizes = {p: np.shape(self.param(p)) for p in self.PARAMS}
        first = sizes[self.PARAMS[0]]
        if len(first) != 1 or any(s != first for s in sizes.values()):
            shapes = ", ".join(f"{p} {s}" for p, s in sizes.items())
            raise ValueError(f"{self.title}: the parameters must be vectors of one length ({shapes})")


def _vec(v: object, size: int | None) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(v))
    if size is not None and arr.shape == (1,) and size != 1:
        arr = np.full(size, arr[0], dtype=arr.dtype)  # a scalar, as Keras stores one, for every element
    return arr


def _pick(v: np.ndarray, j: int | None, first: bool = False) -> str:
    """One element (``j``) or the vector; an element after an operator in
    brackets when negative, as the dot product writes (−2)."""
    if j is None:
        return fmt_vector(v)
    return fmt(v[j]) if first else fmt_operand(v[j])


@dataclass(init=False)
class Normalization(Norm):
    """``x' = (x − mean) / std``."""

    kind: ClassVar[str] = "normalization"
    title: ClassVar[str] = "normalise"
    PARAMS: ClassVar[tuple[str, ...]] = ("mean", "std")
    mean: np.ndarray
    std: np.ndarray
    name: str

    def __init__(self, mean: object, std: object, name: str = "normalization", size: int | None = None) -> None:
        self.mean, self.std, self.name = _vec(mean, size), _vec(std, size), name
        self._check_shapes()

    def apply(self, x: np.ndarray) -> np.ndarray:
        with quiet():
            normalized: np.ndarray = (x - self.mean) / self.std
        return normalized

    def symbolic(self, x: str, y: str) -> str:
        return f"{y} = ({x} − μ) / σ"

    def numbers(self, x: np.ndarray, y: np.ndarray, j: int | None = None) -> str:
        return f"({_pick(x, j, True)} − {_pick(self.mean, j)}) / {_pick(self.std, j)} = {_pick(y, j, True)}"

    def slope(self) -> np.ndarray:
        with quiet():
            out: np.ndarray = 1.0 / self.std
        return out

    def check_value(self, name: str, value: float) -> str | None:
        if name == "std" and not value > 0:
            return "a standard deviation must be > 0"
        return None


@dataclass(init=False)
class BatchNorm(Norm):
    """``y = (x − mean) / √(var + eps) · gamma + beta``."""

    kind: ClassVar[str] = "batchnorm"
    title: ClassVar[str] = "batch norm"
    PARAMS: ClassVar[tuple[str, ...]] = ("gamma", "beta", "mean", "var")
    SHIFT: ClassVar[tuple[str, str] | None] = ("beta", "β")
    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    eps: float
    name: str

    def __init__(self, gamma: object, beta: object, mean: object, var: object,
                 eps: float = 1e-3, name: str = "batch_normalization", size: int | None = None) -> None:
        self.gamma, self.beta = _vec(gamma, size), _vec(beta, size)
        self.mean, self.var = _vec(mean, size), _vec(var, size)
        self.eps, self.name = float(eps), name
        self._check_shapes()
        if not self.eps >= 0:
            raise ValueError(f"{self.title}: epsilon must be ≥ 0, got {self.eps}")

    def apply(self, x: np.ndarray) -> np.ndarray:
        # The order PyTorch and Keras compute it in, so float32 results agree.
        with quiet():
            y: np.ndarray = (x - self.mean) / np.sqrt(self.var + self.eps) * self.gamma + self.beta
        return y

    def symbolic(self, x: str, y: str) -> str:
        return f"{y} = ({x} − μ) / √(σ² + ε) · γ + β"

    def numbers(self, x: np.ndarray, y: np.ndarray, j: int | None = None) -> str:
        return (f"({_pick(x, j, True)} − {_pick(self.mean, j)}) / √({_pick(self.var, j, True)} + {fmt(self.eps)})"
                f" · {_pick(self.gamma, j)} + {_pick(self.beta, j)} = {_pick(y, j, True)}")

    def slope(self) -> np.ndarray:
        with quiet():
            out: np.ndarray = self.gamma * (1.0 / np.sqrt(self.var + self.eps))
        return out

    def check_value(self, name: str, value: float) -> str | None:
        if name == "var" and not value + self.eps > 0:
            return f"a variance must be ≥ 0 (and σ² + ε > 0; ε = {self.eps:g})"
        return None


@dataclass(init=False)
class Rescaling(Norm):
    """``y = x · scale + offset``."""

    kind: ClassVar[str] = "rescaling"
    title: ClassVar[str] = "rescale"
    PARAMS: ClassVar[tuple[str, ...]] = ("scale", "offset")
    SHIFT: ClassVar[tuple[str, str] | None] = ("offset", "offset")
    scale: np.ndarray
    offset: np.ndarray
    name: str

    def __init__(self, scale: object, offset: object, name: str = "rescaling", size: int | None = None) -> None:
        self.scale, self.offset, self.name = _vec(scale, size), _vec(offset, size), name
        self._check_shapes()

    def apply(self, x: np.ndarray) -> np.ndarray:
        with quiet():
            y: np.ndarray = x * self.scale + self.offset
        return y

    def symbolic(self, x: str, y: str) -> str:
        return f"{y} = {x} · scale + offset"

    def numbers(self, x: np.ndarray, y: np.ndarray, j: int | None = None) -> str:
        return f"{_pick(x, j, True)} · {_pick(self.scale, j)} + {_pick(self.offset, j)} = {_pick(y, j, True)}"

    def slope(self) -> np.ndarray:
        return self.scale
