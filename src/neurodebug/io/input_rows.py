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
from collections.abc import Iterator
from pathlib import Path

from ..engine.network import Network
from ..engine.rows import SCAN_ROWS, RowSource, SamplesRows
from ..engine.samples import Samples
from .errors import printable
from .files import is_pipe
from .input_chunks import InputChunks, input_chunks
from .inputs import InputTable, file_kind, load_inputs

__all__ = ["NpyRows", "open_rows"]


class NpyRows:
    """The rows of a ``.npy`` file, read at their offsets when asked for."""

    def __init__(self, chunks: InputChunks) -> None:
        assert chunks.npy is not None and chunks.total is not None
        self._chunks = chunks
        self._total = chunks.total

    @property
    def name(self) -> str:
        return printable(self._chunks.path.name)

    def __len__(self) -> int:
        return self._total

    def read(self, first: int, count: int = 1) -> Samples:
        count = max(0, min(count, self._total - first))
        with open(self._chunks.path, "rb") as fh:
            x = self._chunks.npy_rows(fh, first, count)
        return Samples(x, names=[f"row {r + 1}" for r in range(first, first + count)])

    def chunks(self, rows: int = SCAN_ROWS) -> Iterator[Samples]:
        # a reader of its own: a scan runs in another thread than ``read``
        # (named "row 1", "row 2", … through the whole file, as the check names them)
        yield from InputChunks(self._chunks.path, self._chunks.net, rows)


def open_rows(path: str | os.PathLike[str], net: Network) -> tuple[RowSource, InputTable | None]:
    """The inputs of ``path`` as a row source, and the whole table when it was
    read whole (a CSV, a pipe: its feature names are there). A ``.npy`` file
    is only looked at (its header, its size); its rows are read when asked."""
    chunks = input_chunks(path, net)
    p = Path(path)
    if chunks.npy is not None and chunks.whole is None and not is_pipe(p) and file_kind(chunks.path) == "npy":
        return NpyRows(chunks), None
    table = load_inputs(path, net)
    return SamplesRows(table.samples, printable(p.name)), table
