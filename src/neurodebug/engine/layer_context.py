"""What every detector of one layer shares: the layer, its sample names, and
how a finding is made and grouped per neuron."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cached_property

import numpy as np

from .findings import PROBLEM, Finding, Rows
from .kinds import FindingKind, Severity
from .network import Layer
from .trace import Trace


class LayerContext:
    """What every finding of one layer shares."""

    def __init__(self, trace: Trace, l: int, names: Sequence[str], n: int | None = None) -> None:
        """``n``: how many samples were checked, when not the trace's (a
        streaming check: the trace is one chunk's)."""
        self.trace = trace
        self.l = l
        self.layer: Layer = trace.network.layers[l]
        self.names = names
        self.n = trace.n_samples if n is None else n

    def finding(self, kind: FindingKind, j: int | None, rows: Iterable[int], row: int, value: float,
                threshold: float = math.nan, origin: bool = False, cause: str = "",
                severity: Severity = PROBLEM, verdict: str = "", symmetric: bool = False) -> Finding:
        layer = self.layer
        return Finding(
            kind, self.l, j, Rows(rows), origin, float(value), int(row), float(threshold),
            layer.name, layer.neuron_name(j) if (j is not None and layer.neuron_names) else None,
            layer.activation, self.names[row], self.n, cause, severity, verdict, symmetric,
        )

    @cached_property
    def every_row(self) -> Rows:
        """All ``n`` samples' rows, made once: a layer's dead neurons (dead in
        every sample by definition) share the one array."""
        return Rows(np.arange(self.n))

    @property
    def is_output(self) -> bool:
        return self.l == len(self.trace.network.layers) - 1


def per_neuron(mask: np.ndarray, score: np.ndarray) -> list[tuple[int, np.ndarray, int]]:
    """(neuron, rows where mask holds, worst row by score) for every firing neuron.

    One ``nonzero`` over the transposed mask instead of a loop over all neurons.
    """
    cols, rows = np.nonzero(mask.T)
    if cols.size == 0:
        return []
    worst = np.argmax(np.where(mask, score, -np.inf), axis=0)
    splits = np.flatnonzero(np.diff(cols)) + 1
    out = []
    for group in np.split(np.arange(cols.size), splits):
        j = int(cols[group[0]])
        out.append((j, rows[group], int(worst[j])))
    return out
