"""--inputs FILE as a row source (``engine.rows.RowSource``) for the debugger
on a dataset too big to trace at once.

A ``.npy`` file is read at its rows' file offsets: a row when it is shown, a
chunk at a time when it is scanned, never whole and never memory-mapped
(``input_chunks``' reader, with its checks: a cut file, a value that does not
fit the network's dtype, NaN or ∞ name the row). Any other input (a CSV
table, a pipe) is read whole as before (``inputs.load_inputs``: bounded by
the file-size limit) and served from memory (``engine.rows.SamplesRows``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..engine.network import Network
from ..engine.rows import SCAN_ROWS, RowSource, SamplesRows
from ..engine.samples import Samples
from .errors import NetworkFileError, printable
from .files import is_pipe
from .input_chunks import InputChunks, input_chunks
from .inputs import InputTable, load_inputs, read_labels

__all__ = ["NpyRows", "open_rows", "with_labels"]


class NpyRows:
    """The rows of a ``.npy`` file, read at their offsets when asked for."""

    def __init__(self, chunks: InputChunks, labels: np.ndarray | None = None) -> None:
        assert chunks.npy is not None and chunks.total is not None
        self._chunks = chunks
        self._total = chunks.total
        self._labels = labels  # one class per row (--labels), or None

    @property
    def name(self) -> str:
        return printable(self._chunks.path.name)

    def __len__(self) -> int:
        return self._total

    def read(self, first: int, count: int = 1) -> Samples:
        count = max(0, min(count, self._total - first))
        with open(self._chunks.path, "rb") as fh:
            x = self._chunks.npy_rows(fh, first, count)
        labels = None if self._labels is None else self._labels[first:first + count]
        return Samples(x, labels, names=[f"row {r + 1}" for r in range(first, first + count)])

    def chunks(self, rows: int = SCAN_ROWS) -> Iterator[Samples]:
        # a reader of its own: a scan runs in another thread than ``read``
        # (named "row 1", "row 2", … through the whole file, as the check names them)
        return with_labels(InputChunks(self._chunks.path, self._chunks.net, rows), self._labels)


def with_labels(chunks: Iterable[Samples], labels: np.ndarray | None,
                path: str | os.PathLike[str] | None = None) -> Iterator[Samples]:
    """The chunks of a table in order, each with its rows' ``labels`` (None:
    as they are). A table of more or fewer rows than labels (from ``path``)
    is refused when that shows."""
    first = 0
    for chunk in chunks:
        n = len(chunk)
        if labels is not None and first + n > labels.shape[0]:
            raise NetworkFileError(Path(path or "labels"), "", f"{labels.shape[0]:,} labels for more input rows: "
                                   "one per row")
        yield chunk if labels is None else chunk.labelled(labels[first:first + n])
        first += n
    if labels is not None and first != labels.shape[0]:
        raise NetworkFileError(Path(path or "labels"), "", f"{labels.shape[0]:,} labels for {first:,} input rows: "
                               "one per row")


def open_rows(path: str | os.PathLike[str], net: Network,
              labels: str | os.PathLike[str] | None = None) -> tuple[RowSource, InputTable | None]:
    """The inputs of ``path`` as a row source, and the whole table when it was
    read whole (a CSV, a pipe: its feature names are there). A ``.npy`` file
    is only looked at (its header, its size); its rows are read when asked.
    ``labels``: a .npy of one class per row (``inputs.read_labels``), in
    place of the table's own."""
    chunks = None if is_pipe(path) else input_chunks(path, net)  # a pipe is read once: whole, below
    if chunks is not None and chunks.npy is not None:  # a .npy file on disk
        assert chunks.total is not None
        classes = None if labels is None else read_labels(labels, net, chunks.total)
        return NpyRows(chunks, classes), None
    table = load_inputs(path, net, labels=labels)
    return SamplesRows(table.samples, printable(Path(path).name)), table
