"""--inputs FILE in chunks of rows, for a dataset too big to hold at once.

The same files, rules and error messages as ``inputs.py`` (whose code this
shares): a ``.npy`` array read row block by row block at its file offset
(never mapped, never whole: one chunk's bytes are in memory at a time), a CSV
table read a chunk of lines at a time. ``InputChunks.take`` reads a few rows
again by their index (the worst samples, to explain them).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..engine.network import Network
from ..engine.samples import Samples
from .arrays import check_declared, npy_layout
from .errors import NetworkFileError
from .files import check_readable, is_pipe
from .inputs import array_rows, as_inputs, check_finite, csv_header, csv_rows, csv_text, file_kind, load_inputs

CHUNK_ROWS = 4096  # rows per chunk: 13 MB of a 784-input float32 array
_NO_LIMIT = sys.maxsize  # the file is streamed: its size is not what memory holds

__all__ = ["CHUNK_ROWS", "InputChunks", "input_chunks"]


class InputChunks:
    """The samples of one input file, chunk by chunk (``Samples`` of at most
    ``rows`` rows each, in file order). ``total`` is the row count when the
    file says it up front (.npy), else None; ``done`` the rows read so far."""

    def __init__(self, path: Path, net: Network, rows: int = CHUNK_ROWS) -> None:
        if rows < 1:
            raise ValueError(f"chunks of {rows} rows")
        self.path = path
        self.net = net
        self.rows = rows
        self.done = 0
        self.total: int | None = None
        self.whole: Samples | None = None  # a pipe: read once, whole (bounded as inputs.py bounds it)
        self.npy: tuple[np.dtype, int] | None = None  # (dtype, data offset) of a .npy file
        if is_pipe(path):
            self.whole = load_inputs(path, net).samples
            self.total = len(self.whole)
            return
        if file_kind(path) == "npy":
            self._npy_header()

    # -- .npy ----------------------------------------------------------------------
    def _npy_header(self) -> None:
        p = self.path
        try:
            with open(p, "rb") as fh:
                shape, dtype, header, fortran = npy_layout(fh)
        except NetworkFileError:
            raise
        except Exception as exc:  # NumPy parses the untrusted header with ast: anything can come out
            raise NetworkFileError(p, "", f"cannot read the array ({type(exc).__name__}: {exc})") from None
        stored = os.path.getsize(p) - header
        check_declared(p, "", shape, dtype, None, limit=_NO_LIMIT)  # objects refused
        self.total = array_rows(p, shape, dtype, self.net)
        row_bytes = self.net.n_inputs * dtype.itemsize
        if self.total * row_bytes > stored:
            raise NetworkFileError(p, f"sample {stored // row_bytes + 1}",
                                   f"the file ends inside this sample: it declares {self.total:,} samples "
                                   f"({self.total * row_bytes:,} bytes) but stores {stored:,} bytes (cut short?)")
        if fortran and len(shape) > 1 and math.prod(shape[1:]) > 1:
            raise NetworkFileError(p, "", "is stored in Fortran (column) order, so its rows cannot be read one "
                                   "chunk at a time; save it with np.save(path, np.ascontiguousarray(a))")
        self.npy = (dtype, header)

    def _read_block(self, fh: BinaryIO, first: int, count: int) -> np.ndarray:
        """``count`` rows from row ``first`` on: one chunk's bytes, read into one array."""
        assert self.npy is not None
        dtype, header = self.npy
        n = self.net.n_inputs
        data = np.empty((count, n), dtype=dtype)
        fh.seek(header + first * n * dtype.itemsize)
        got = fh.readinto(data.view(np.uint8).reshape(-1))  # type: ignore[attr-defined]
        if got != data.nbytes:
            row = first + got // max(1, n * dtype.itemsize) + 1
            raise NetworkFileError(self.path, f"sample {row}", "the file ends inside this row (it was cut short)")
        return data

    def _npy_samples(self, x: np.ndarray, first: int) -> Samples:
        return Samples(self._checked(x, first), prefix="row")

    def _checked(self, x: np.ndarray, first: int) -> np.ndarray:
        x = as_inputs(x)
        check_finite(self.path, x, first=first)
        self._check_fits(x, first)
        return np.ascontiguousarray(x)

    def npy_rows(self, fh: BinaryIO, first: int, count: int) -> np.ndarray:
        """Rows ``first`` … ``first + count − 1`` of a .npy file open as ``fh``, checked."""
        return self._checked(self._read_block(fh, first, count), first)

    def _check_fits(self, x: np.ndarray, first: int) -> None:
        too_big = self.net.first_unrepresentable(x)
        if too_big is not None:
            (row, col), value = too_big
            raise NetworkFileError(self.path, f"sample {first + row + 1}, input {col + 1}",
                                   f"{value:g} does not fit the network's {self.net.compute_dtype}")

    # -- .csv ----------------------------------------------------------------------
    def _csv_chunks(self) -> Iterator[Samples]:
        p, net = self.path, self.net
        with open(p, "rb") as fh:
            head = b""
            for line in fh:  # the header: the first line with a value
                head += line
                if line.strip(b' \t\r\n,;"'):
                    break
            table = csv_header(p, csv_text(p, head, 0, "utf-8-sig"), net)
            pending = table.text[table.body_start:]  # rows read with the header (a file of "\r" line ends)
            before = table.header_line  # the file's lines before the next chunk
            for raw, lines in _line_groups(fh, self.rows):
                text = pending + csv_text(p, raw, before)
                chunk = replace(table, text=text, header_line=before, body_start=0)
                pending = ""
                before += lines
                samples = csv_rows(chunk, net, first=self.done, empty_ok=True)
                if len(samples):
                    self._check_fits(samples.x, self.done)
                    yield samples
            if pending:
                samples = csv_rows(replace(table, text=pending, body_start=0), net, first=self.done, empty_ok=True)
                if len(samples):
                    self._check_fits(samples.x, self.done)
                    yield samples
        if not self.done:
            raise NetworkFileError(p, "", "has a header but no rows of inputs")

    # -- reading -------------------------------------------------------------------
    def __iter__(self) -> Iterator[Samples]:
        self.done = 0
        for samples in self._chunks():
            self.done += len(samples)
            yield samples

    def _chunks(self) -> Iterator[Samples]:
        if self.whole is not None:
            for start in range(0, len(self.whole), self.rows):
                yield self.whole.take(np.arange(start, min(start + self.rows, len(self.whole))))
        elif self.npy is not None:
            assert self.total is not None
            with open(self.path, "rb") as fh:
                for start in range(0, self.total, self.rows):
                    count = min(self.rows, self.total - start)
                    yield self._npy_samples(self._read_block(fh, start, count), start)
        else:
            yield from self._csv_chunks()

    def take(self, rows: Sequence[int]) -> Samples:
        """The samples at ``rows`` (0-based, file order), read again; their
        names are the whole file's ("row 7", or the name column's)."""
        wanted = sorted(set(int(r) for r in rows))
        if self.npy is not None and self.whole is None:
            with open(self.path, "rb") as fh:
                parts = [self._read_block(fh, r, 1) for r in wanted]
            x = as_inputs(np.concatenate(parts)) if parts else np.zeros((0, self.net.n_inputs))
            return Samples(x, names=[f"row {r + 1}" for r in wanted])
        found: list[Samples] = []
        start = 0
        for chunk in self:
            here = np.array([r - start for r in wanted if start <= r < start + len(chunk)], dtype=np.int64)
            if here.size:
                part = chunk.take(here)
                given = chunk.names.given
                names = [part.names[k] if given is not None else f"row {start + int(i) + 1}"
                         for k, i in enumerate(here.tolist())]
                found.append(Samples(part.x, part.labels, part.expected, names))
            start += len(chunk)
            if wanted and start > wanted[-1]:
                break
        out = found[0] if found else Samples(np.zeros((0, self.net.n_inputs)))
        for more in found[1:]:
            out = out + more
        return out


def _line_groups(fh: BinaryIO, rows: int) -> Iterator[tuple[bytes, int]]:
    """(bytes, lines) of ``rows`` lines at a time, never ending inside a
    quoted cell (an odd count of quotes so far: a cell spans lines)."""
    group: list[bytes] = []
    quotes = 0
    for line in fh:
        group.append(line)
        quotes += line.count(b'"')
        if len(group) >= rows and quotes % 2 == 0:
            yield b"".join(group), len(group)
            group, quotes = [], 0
    if group:
        yield b"".join(group), len(group)


def input_chunks(path: str | os.PathLike[str], net: Network, rows: int = CHUNK_ROWS) -> InputChunks:
    """The samples of a .csv or .npy file, ``rows`` at a time, checked as ``read_inputs`` checks them."""
    return InputChunks(check_readable(path, _NO_LIMIT), net, rows)
