"""The step plan: forward propagation cut into the operations a learner sees.

Per neuron, each neuron j of a layer takes three steps: the dot product w·x,
adding the bias, the activation (softmax: one step for the whole layer, after
the layer's dot products and biases). Per layer: the matrix product, adding the
bias vector, the activation. A normalisation step comes first when the network
declares one.

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

NORMALIZE, DOT, BIAS, ACTIVATE = StepKind.NORMALIZE, StepKind.DOT, StepKind.BIAS, StepKind.ACTIVATE
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


class Plan:
    def __init__(self, network: Network, granularity: Granularity | str = PER_NEURON) -> None:
        if granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
        self.granularity = Granularity(granularity)
        self._softmax = [ACTIVATIONS[layer.activation].per_layer for layer in network.layers]
        self._units = [layer.units for layer in network.layers]
        self.has_normalize = network.normalization is not None
        self._starts: list[int] = []
        k = 1 if self.has_normalize else 0
        for l in range(len(self._units)):
            self._starts.append(k)
            k += self._layer_len(l)
        self._len = k

    def _layer_len(self, l: int) -> int:
        if self.granularity == PER_LAYER:
            return 3
        units = self._units[l]
        return 2 * units + 1 if self._softmax[l] else 3 * units

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
        if self.granularity == PER_LAYER:
            return Step(k, KINDS[r], l, None)
        if self._softmax[l]:
            if r == 2 * self._units[l]:
                return Step(k, ACTIVATE, l, None)
            return Step(k, KINDS[r % 2], l, r // 2)
        return Step(k, KINDS[r % 3], l, r // 3)

    # -- positions ----------------------------------------------------------
    def layer_start(self, l: int) -> int:
        return self._starts[l]

    def layer_end(self, l: int) -> int:
        """Index of the layer's last step."""
        return self._starts[l] + self._layer_len(l) - 1

    def index_of(self, layer: int, neuron: int | None, kind: StepKind | str) -> int:
        """The step index for (layer, neuron, kind) in this granularity.

        A neuron-level position asked of a per-layer plan maps to the layer
        step of the same kind, and a layer-level one asked of a per-neuron plan
        maps to the first neuron's step of that kind (softmax: the layer step).
        """
        if kind == NORMALIZE or layer < 0:
            return 0
        start = self._starts[layer]
        r = KINDS.index(kind)
        if self.granularity == PER_LAYER:
            return start + r
        j = 0 if neuron is None else neuron
        if self._softmax[layer]:
            if kind == ACTIVATE:
                return start + 2 * self._units[layer]
            return start + 2 * j + r
        return start + 3 * j + r

    def indices(self, layer: int, kind: StepKind | str) -> np.ndarray:
        """The step index of ``kind`` for every neuron of ``layer``."""
        units = self._units[layer]
        if self.granularity == PER_LAYER or (kind == ACTIVATE and self._softmax[layer]):
            return np.full(units, self.index_of(layer, None, kind), dtype=np.int64)
        stride = 2 if self._softmax[layer] else 3
        return self._starts[layer] + stride * np.arange(units, dtype=np.int64) + KINDS.index(kind)

    def neuron_start(self, layer: int, neuron: int) -> int:
        return self.index_of(layer, neuron, DOT)

    @property
    def n_layers(self) -> int:
        return len(self._units)
