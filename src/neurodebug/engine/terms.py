"""The terms of a neuron's z = Σ w_i·x_i + b, largest first, made when read."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from .findings import input_name
from .trace import Trace


@dataclass(frozen=True)
class Term:
    """One term of z: w_i·x_i, or the bias (``index`` None)."""

    name: str  # "temperature", "a1_2" or "b"
    index: int | None  # the input (0-based); None for the bias
    weight: float | None
    input: float | None  # the value the neuron saw (normalised, for layer 1 of a normalising file)
    value: float  # w_i·x_i, or b
    share: float  # |value| / (Σ|w_i·x_i| + |b|); NaN when that sum is not finite
    raw_input: float | None = None  # layer 1: the raw feature value


def round_up(v: float) -> float:
    """The smallest 3-significant-digit number strictly above ``v`` (≥ 0)."""
    if not math.isfinite(v):
        return v
    if v <= 0:
        return 0.001 if v == 0 else 0.0
    step = 10.0 ** (math.floor(math.log10(v)) - 2)
    r = float(f"{(math.floor(v / step) + 1) * step:.4g}")
    while r <= v:
        r = float(f"{r + step:.4g}")
    return r


class Terms(Sequence[Term]):
    """Every term of z, the bias included, largest |value| first.

    A Term is made when it is asked for: the screen explains the neuron it
    stands on at every step and reads the first few terms, and a 4096-input
    neuron's 4097 Term objects took milliseconds to build. Indexing, slicing,
    iterating and comparing behave as on the tuple it stands for.
    """

    def __init__(self, trace: Trace, row: int, l: int, j: int) -> None:
        network = trace.network
        layer = network.layers[l]
        xin, w = operands(trace, row, l, j)
        b = float(layer.b[j])
        # In the trace's own precision, so a float32 overflow shows as it happened.
        products = (w * xin).astype(np.float64)
        mags = np.abs(products)
        total = float(mags.sum() + abs(b))
        finite = math.isfinite(total) and total > 0
        # NaN sorts as the largest: a NaN term is the one to see first.
        sizes = np.where(np.isnan(mags), np.inf, mags)
        order = np.argsort(-sizes, kind="stable")
        self._network, self._l = network, l
        self._order, self._w, self._xin, self._products = order, w, xin, products
        self._shares = mags[order] / total if finite else np.full(order.size, math.nan)
        self._raw = trace.x_raw[row] if l == 0 and trace.x is not trace.x_raw else None
        self._bias = Term("b", None, None, None, b, abs(b) / total if finite else math.nan)
        # The bias goes in by size (ties: after the inputs; a NaN term counts as largest).
        b_size = math.inf if math.isnan(b) else abs(b)
        smaller = np.flatnonzero(sizes[order] < b_size)
        self._bias_at = int(smaller[0]) if smaller.size else int(order.size)
        self._len = int(order.size) + 1

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, k: int) -> Term: ...
    @overload
    def __getitem__(self, k: slice) -> tuple[Term, ...]: ...
    def __getitem__(self, k: int | slice) -> Term | tuple[Term, ...]:
        if isinstance(k, slice):
            return tuple(self[i] for i in range(*k.indices(self._len)))
        if k < 0:
            k += self._len
        if not 0 <= k < self._len:
            raise IndexError("term index out of range")
        if k == self._bias_at:
            return self._bias
        n = k if k < self._bias_at else k - 1
        i = int(self._order[n])
        l = self._l
        return Term(
            input_name(self._network, l, i) if l == 0 else f"a{l}_{i + 1}", i,
            float(self._w[i]), float(self._xin[i]), float(self._products[i]), float(self._shares[n]),
            float(self._raw[i]) if self._raw is not None else None,
        )

    def shares(self, start: int = 0) -> list[float]:
        """The shares of terms ``start``… in order, without making the Terms."""
        shares = self._shares.tolist()
        shares.insert(self._bias_at, self._bias.share)
        return shares[start:]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Terms({len(self)} terms, first {self[0]!r})"


def operands(trace: Trace, row: int, l: int, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Neuron j's input row and weights in the dtype the trace computed in."""
    dtype = trace.values[l].zdot.dtype
    xin = np.asarray(trace.layer_input(l)[row]).astype(dtype, copy=False)
    w = np.asarray(trace.network.layers[l].W[:, j]).astype(dtype, copy=False)
    return xin, w
