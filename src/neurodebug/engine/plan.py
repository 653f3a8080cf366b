"""The step plan: forward propagation cut into the operations a learner sees.

Per neuron, each neuron j of a layer takes three steps: the dot product w·x,
adding the bias, the activation (softmax: one step for the whole layer, after
the layer's dot products and biases). A layer with a batch norm or rescaling
takes a fourth, before or after the activation. Per layer: the matrix product,
adding the bias vector, (the norm), the activation. A normalisation step comes
first when the network declares one.

The plan is arithmetic over layer offsets, never a list of step objects, so a
4096-unit layer costs nothing to plan and any step is found in O(log layers).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .activations import ACTIVATIONS
from .kinds import Granularity, StepKind
from .network import Network
from .norms import NormAt

NORMALIZE, DOT, BIAS, ACTIVATE, NORM = (
    StepKind.NORMALIZE, StepKind.DOT, StepKind.BIAS, StepKind.ACTIVATE, StepKind.NORM)
KINDS = (DOT, BIAS, ACTIVATE)

PER_NEURON, PER_LAYER = Granularity.NEURON, Granularity.LAYER
GRANULARITIES = (PER_NEURON, PER_LAYER)


@dataclass(frozen=True)
class Step:
    """One operation of the pass. ``neuron`` is None for a whole-layer step."""

    index: int
    kind: StepKind
    layer: int  # -1 for the normalisation step
    neuron: int | None = None


@dataclass(frozen=True)
class _Layout:
    """How one layer's steps are laid out: ``each`` is taken neuron by neuron
    (neuron 1's dot, bias, activation, then neuron 2's…), then ``after`` once
    for the whole layer. Per layer, ``each`` is empty and every kind is in
    ``after``."""

    each: tuple[StepKind, ...]
    after: tuple[StepKind, ...]
    units: int

    def __len__(self) -> int:
        return len(self.each) * self.units + len(self.after)


def _layout(kinds: tuple[StepKind, ...], per_layer_from: int, units: int, granularity: Granularity) -> _Layout:
    if granularity == PER_LAYER:
        return _Layout((), kinds, units)
    return _Layout(kinds[:per_layer_from], kinds[per_layer_from:], units)


class Plan:
    def __init__(self, network: Network, granularity: Granularity | str = PER_NEURON) -> None:
        if granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
        self.granularity = Granularity(granularity)
        self._layouts: list[_Layout] = []
        for layer in network.layers:
            kinds = [DOT, BIAS, ACTIVATE]
            if layer.norm is not None:
                kinds.insert(2 if layer.norm_at == NormAt.Z else 3, NORM)
            # a whole-layer activation (softmax) and everything after it is one step for the layer
            cut = kinds.index(ACTIVATE) if ACTIVATIONS[layer.activation].per_layer else len(kinds)
            self._layouts.append(_layout(tuple(kinds), cut, layer.units, self.granularity))
        self.has_normalize = network.normalization is not None
        self._starts: list[int] = []
        k = 1 if self.has_normalize else 0
        for layout in self._layouts:
            self._starts.append(k)
            k += len(layout)
        self._len = k

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Step]:
        return (self[k] for k in range(self._len))

    def __getitem__(self, k: int) -> Step:
        if k < 0:
            k += self._len
        if not 0 <= k < self._len:
            raise IndexError(f"step {k} out of range 0..{self._len - 1}")
        if self.has_normalize and k == 0:
            return Step(0, NORMALIZE, -1, None)
        l = bisect.bisect_right(self._starts, k) - 1
        r = k - self._starts[l]
        lay = self._layouts[l]
        stride = len(lay.each)
        if r < stride * lay.units:
            return Step(k, lay.each[r % stride], l, r // stride)
        return Step(k, lay.after[r - stride * lay.units], l, None)

    # -- positions ----------------------------------------------------------
    def layer_start(self, l: int) -> int:
        return self._starts[l]

    def layer_end(self, l: int) -> int:
        """Index of the layer's last step."""
        return self._starts[l] + len(self._layouts[l]) - 1

    def has_kind(self, layer: int, kind: StepKind | str) -> bool:
        lay = self._layouts[layer]
        return kind in lay.each or kind in lay.after

    def neuron_kinds(self, layer: int) -> tuple[StepKind, ...]:
        """The kinds taken neuron by neuron (per layer: every kind, each once)."""
        lay = self._layouts[layer]
        return lay.each or lay.after

    def kinds(self, layer: int) -> tuple[StepKind, ...]:
        """The layer's kinds of step in the order one neuron meets them."""
        lay = self._layouts[layer]
        return lay.each + lay.after

    def index_of(self, layer: int, neuron: int | None, kind: StepKind | str) -> int:
        """The step index for (layer, neuron, kind) in this granularity.

        A neuron-level position asked of a per-layer plan maps to the layer
        step of the same kind, and a layer-level one asked of a per-neuron plan
        maps to the first neuron's step of that kind (softmax: the layer step).
        A layer without a norm step answers NORM with its activation step.
        """
        if kind == NORMALIZE or layer < 0:
            return 0
        lay = self._layouts[layer]
        if kind == NORM and not self.has_kind(layer, NORM):
            kind = ACTIVATE
        start = self._starts[layer]
        if kind in lay.each:
            j = 0 if neuron is None else neuron
            return start + len(lay.each) * j + lay.each.index(StepKind(kind))
        return start + len(lay.each) * lay.units + lay.after.index(StepKind(kind))

    def indices(self, layer: int, kind: StepKind | str) -> np.ndarray:
        """The step index of ``kind`` for every neuron of ``layer``."""
        lay = self._layouts[layer]
        if kind == NORM and not self.has_kind(layer, NORM):
            kind = ACTIVATE
        if kind not in lay.each:
            return np.full(lay.units, self.index_of(layer, None, kind), dtype=np.int64)
        stride = len(lay.each)
        return self._starts[layer] + stride * np.arange(lay.units, dtype=np.int64) + lay.each.index(StepKind(kind))

    def neuron_start(self, layer: int, neuron: int) -> int:
        return self.index_of(layer, neuron, DOT)

    @property
    def n_layers(self) -> int:
        return len(self._layouts)
