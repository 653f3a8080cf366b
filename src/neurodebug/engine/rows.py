"""A dataset too big to trace at once: its rows, read a few at a time.

The debugger's usual trace keeps z, zdot and a of every layer for every
sample. For a dataset of a million rows that is gigabytes, and computing it
would hold up the first screen. Such a session traces only the row it shows
(``Session.rows``): a ``RowSource`` gives that row when it is asked for, and
the whole dataset is gone through by a scan in chunks (``chunks``), as
``check --inputs`` goes through it.

``RowSource`` is what the engine needs; ``io.input_rows`` opens a file as
one (a ``.npy`` read at its rows' file offsets), and ``SamplesRows`` wraps a
table already in memory (a CSV, or an array from Python).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np

from .network import Network
from .samples import Samples

TRACE_BUDGET = 256 * 1024**2  # bytes a whole-batch trace may take before the session traces one row at a time
SCAN_ROWS = 4096  # rows per chunk of a scan

__all__ = ["RowSource", "SCAN_ROWS", "SamplesRows", "TRACE_BUDGET", "trace_bytes", "traced_whole"]


class RowSource(Protocol):
    """The rows of a dataset, in order, read when asked for."""

    @property
    def name(self) -> str:
        """What the rows are, for messages: the file's name."""
        ...

    def __len__(self) -> int: ...

    def read(self, first: int, count: int = 1) -> Samples:
        """Rows ``first`` … ``first + count − 1``, named as in the whole
        dataset ("row 523418", or the file's name column)."""
        ...

    def chunks(self, rows: int = SCAN_ROWS) -> Iterator[Samples]:
        """Every row in order, ``rows`` at a time, each chunk named as ``read`` names them."""
        ...


class SamplesRows:
    """A table already in memory as a row source."""

    def __init__(self, samples: Samples, name: str = "the samples") -> None:
        self.samples = samples
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def __len__(self) -> int:
        return len(self.samples)

    def read(self, first: int, count: int = 1) -> Samples:
        rows = np.arange(first, min(first + count, len(self.samples)))
        return self.samples.take(rows)

    def chunks(self, rows: int = SCAN_ROWS) -> Iterator[Samples]:
        for first in range(0, len(self.samples), rows):
            yield self.read(first, rows)


def trace_bytes(network: Network, rows: int) -> int:
    """About what a whole-batch trace of ``rows`` rows holds: the inputs (raw
    and normalised) and each layer's zdot, z and a (a norm's extra arrays
    left out), in the network's compute dtype."""
    item = np.dtype(network.compute_dtype).itemsize
    per_row = 2 * network.n_inputs + 3 * sum(layer.units for layer in network.layers)
    return rows * per_row * item


def traced_whole(network: Network, rows: int, budget: int | None = None) -> bool:
    """Is a dataset of ``rows`` rows small enough to trace at once (within
    ``budget`` bytes; None: ``TRACE_BUDGET``)?"""
    return trace_bytes(network, rows) <= (TRACE_BUDGET if budget is None else budget)
