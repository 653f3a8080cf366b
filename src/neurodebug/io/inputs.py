"""Inputs from a file: a CSV table with a header row, or a NumPy ``.npy`` array.

CSV: the header names the columns. A ``label`` column (a class index, or an
output name when the network names its outputs) and a ``name`` column are
optional; every other column is a feature. When the network names its
features, columns are matched by name, in any order; otherwise there must be
one column per input, in order. Commas, semicolons or tabs separate values.

``.npy``: a 2-D array (samples × inputs), a 1-D array holding one sample, or
N-D (samples × …) when the rest flattens to the network's inputs, as for an
image model that starts with a Flatten. Never unpickled.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..engine.network import Network
from ..engine.numbers import json_number
from ..engine.samples import NO_LABEL, Samples
from .arrays import check_declared, npy_header, numpy_load
from .errors import NetworkFileError, printable
from .files import MAX_FILE_BYTES, check_readable, is_pipe, read_bytes

LABEL_COLUMN = "label"
NAME_COLUMN = "name"
DELIMITERS = (",", ";", "\t")
_BLANK_LINES = re.compile(r"(?:[ \t]*\n)*")
_SPACE_LINES = re.compile(r"(?m)^[ \t]+$")  # lines of nothing but blanks
_EMPTY_LINES = re.compile(r"\n{2,}")


@dataclass
class InputTable:
    samples: Samples
    feature_names: list[str] | None  # the CSV header's feature columns, in the network's order


def read_inputs(path: str | os.PathLike[str], net: Network) -> Samples:
    """The samples in a .csv or .npy file, checked against the network."""
    return load_inputs(path, net).samples


def read_labels(path: str | os.PathLike[str], net: Network, rows: int | None) -> np.ndarray:
    """--labels FILE: one class index per input row, a 1-D ``.npy`` of
    integers (or of floats that are whole numbers; −1: no label), checked
    against the network's classes and the number of rows (None: not known
    yet, checked as the rows are read: ``input_rows.with_labels``)."""
    p = check_readable(path)
    if is_pipe(p) or file_kind(p) != "npy":
        raise NetworkFileError(p, "", "labels must be a .npy array of class indices, one per input row")
    arr = numpy_load(p, "labels")
    if not isinstance(arr, np.ndarray) or arr.ndim != 1 or arr.dtype.kind not in "iuf":
        shape = "×".join(map(str, getattr(arr, "shape", ()))) or "a scalar"
        raise NetworkFileError(p, "", f"expected a 1-D array of class indices, got {shape} "
                               f"of {getattr(arr, 'dtype', type(arr).__name__)}")
    if rows is not None and arr.shape[0] != rows:
        raise NetworkFileError(p, "", f"{arr.shape[0]:,} labels for {rows:,} input rows: one per row")
    n_classes = 2 if net.n_outputs == 1 else net.n_outputs
    with np.errstate(invalid="ignore"):
        bad = ~((arr == NO_LABEL) | ((arr >= 0) & (arr < n_classes) & (arr == np.floor(arr))))
    if bad.any():
        k = int(np.argmax(bad))
        raise NetworkFileError(p, f"label {k + 1}", f"{arr[k]:g} is no class: expected 0..{n_classes - 1} "
                               f"(or {NO_LABEL}: no label)")
    return arr.astype(np.int64)


def file_kind(p: Path) -> str:
    """"npy" or "csv": what an inputs file on disk holds, by its name or its
    first bytes; an archive (.npz) is refused."""
    try:
        with open(p, "rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        raise NetworkFileError(p, "", f"cannot read the file ({exc.strerror or exc})") from None
    if p.suffix.lower() == ".npy" or head == b"\x93NUMPY":
        return "npy"
    if p.suffix.lower() == ".npz" or head.startswith(b"PK"):
        raise NetworkFileError(p, "", "inputs must be a .csv table or a .npy array (not an archive)")
    return "csv"


def load_inputs(path: str | os.PathLike[str], net: Network, limit: int = MAX_FILE_BYTES, *,
                labels: str | os.PathLike[str] | None = None) -> InputTable:
    """The inputs of ``path``, read whole; ``labels`` (--labels FILE): a .npy
    of one class per row (``read_labels``), in place of the table's own."""
    p = check_readable(path, limit)
    if is_pipe(p):
        # A pipe is read once: take it whole (bounded), then look at it.
        raw = read_bytes(p, limit)
        if raw.startswith(b"\x93NUMPY"):
            table = InputTable(_samples_of_array(p, _npy_from_bytes(p, raw), net), None)
        elif raw.startswith(b"PK"):
            raise NetworkFileError(p, "", "inputs must be a .csv table or a .npy array (not an archive)")
        else:
            table = _read_csv(p, raw, net)
    elif file_kind(p) == "npy":
        table = InputTable(_samples_of_array(p, numpy_load(p, "array"), net), None)
    else:
        table = _read_csv(p, read_bytes(p, limit), net)
    too_big = net.first_unrepresentable(table.samples.x)
    if too_big is not None:
        (row, col), value = too_big
        raise NetworkFileError(p, f"sample {row + 1}, input {col + 1}",
                               f"{value:g} does not fit the network's {net.compute_dtype}")
    if labels is not None:
        table = replace(table, samples=table.samples.labelled(read_labels(labels, net, len(table.samples))))
    return table


# -- .npy ------------------------------------------------------------------------
def _npy_from_bytes(path: Path, raw: bytes) -> np.ndarray:
    fh = io.BytesIO(raw)
    try:
        shape, dtype, header = npy_header(fh)
        check_declared(path, "", shape, dtype, len(raw) - header)
        fh.seek(0)
        return np.load(fh, allow_pickle=False)
    except NetworkFileError:
        raise
    except Exception as exc:
        raise NetworkFileError(path, "", f"cannot read the array ({type(exc).__name__}: {exc})") from None


def _samples_of_array(path: Path, arr: object, net: Network) -> Samples:
    if not isinstance(arr, np.ndarray):
        raise NetworkFileError(path, "", "expected a single .npy array")
    rows = array_rows(path, arr.shape, arr.dtype, net)
    arr = as_inputs(arr.reshape(rows, net.n_inputs))
    check_finite(path, arr)
    return Samples(np.ascontiguousarray(arr), prefix="row")


def array_rows(path: Path, shape: tuple[int, ...], dtype: np.dtype, net: Network) -> int:
    """How many samples an array of ``shape`` holds for the network (its rows,
    each of ``net.n_inputs`` values, row-major), or why it holds none."""
    if dtype.kind not in "fiu":
        raise NetworkFileError(path, "", f"expected numbers, got an array of dtype {dtype}")
    n = net.n_inputs
    size = math.prod(shape)
    if len(shape) == 0:
        raise NetworkFileError(path, "", f"holds a single number; the network takes {n} inputs")
    if len(shape) == 1:
        if size == n:
            shape = (1, n)
        elif n == 1:
            shape = (size, 1)
        else:
            raise NetworkFileError(path, "", f"holds {size} values but the network takes {n} inputs per sample")
    elif len(shape) > 2 and math.prod(shape[1:]) == n:
        shape = (shape[0], n)  # samples of an image (or any grid), flattened row-major
    shown = "×".join(str(d) for d in shape)
    if len(shape) != 2 or shape[1] != n:
        hint = "; samples must be rows: transpose the array" if len(shape) == 2 and shape[0] == n else ""
        raise NetworkFileError(path, "", f"has shape {shown} but the network takes {n} inputs per sample (samples × {n}){hint}")
    if shape[0] == 0:
        raise NetworkFileError(path, "", "holds no samples")
    return shape[0]


def as_inputs(arr: np.ndarray) -> np.ndarray:
    """Integers as float64, half floats as float32; other floats as they are."""
    if arr.dtype.kind != "f":
        return arr.astype(np.float64)
    if arr.dtype.itemsize < 4:
        return arr.astype(np.float32)
    return arr


def check_finite(path: Path, arr: np.ndarray, lines: np.ndarray | None = None, first: int = 0) -> None:
    """Refuse NaN and ±∞ inputs, naming the first (its file line, for a CSV;
    ``first``: the row number of ``arr``'s first row in the file, 0-based)."""
    with np.errstate(all="ignore"):
        if np.isfinite(arr.sum()):  # one reduction; an ∞ from summing large values looks closer
            return
    bad = ~np.isfinite(arr)
    if not bad.any():
        return
    row, col = (int(i) for i in np.argwhere(bad)[0])
    v = float(arr[row, col])
    place = f"sample {first + row + 1}, input {col + 1}" if lines is None else f"line {int(lines[row])}, input {col + 1}"
    raise NetworkFileError(path, place, f"is {json_number(v)}, expected a finite number")


# -- .csv -------------------------------------------------------------------------
def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _number(path: Path, place: str, cell: str) -> float:
    text = cell.strip().replace("\u2212", "-")
    try:
        value = float(text)
    except ValueError:
        shown = f"'{cell.strip()}'" if cell.strip() else "empty"
        raise NetworkFileError(path, place, f"{shown} is not a number") from None
    if not math.isfinite(value):
        raise NetworkFileError(path, place, f"'{cell.strip()}' is not a finite number")
    return value


def _label(path: Path, place: str, cell: str, net: Network) -> int:
    """A class index from a label cell (an index or an output's name); NO_LABEL when empty."""
    text = cell.strip()
    if not text:
        return NO_LABEL
    n_classes = 2 if net.n_outputs == 1 else net.n_outputs
    if net.output_names and text in net.output_names:
        return net.output_names.index(text)
    try:
        value = float(text)
    except ValueError:
        known = f"one of {', '.join(net.output_names)} or" if net.output_names else ""
        raise NetworkFileError(path, place, f"'{text}' is not a class: expected {known} a class index 0..{n_classes - 1}") from None
    # NaN and ±∞ are numbers but no class (int() of them would raise).
    if not math.isfinite(value) or value != int(value) or not 0 <= value < n_classes:
        raise NetworkFileError(path, place, f"class {text} out of range, expected 0..{n_classes - 1}")
    return int(value)


@dataclass
class CsvTable:
    """A CSV text, its header read; rows still to read."""

    path: Path
    text: str
    delimiter: str
    names: list[str]  # the header's column names
    header_line: int
    body_start: int  # offset of the first row after the header
    features: list[int]  # columns, in the network's order
    label: int | None
    name: int | None


def _read_csv(path: Path, raw: bytes, net: Network) -> InputTable:
    table = csv_header(path, csv_text(path, raw, 0, "utf-8-sig"), net)
    return InputTable(csv_rows(table, net), [table.names[c] for c in table.features])


def csv_rows(t: CsvTable, net: Network, first: int = 0, empty_ok: bool = False) -> Samples:
    """The rows of ``t.text`` after ``t.body_start``: NumPy's fast parser,
    else the careful reader that names the bad cell. ``first``: the table's
    rows before these; ``empty_ok``: no rows is no error (a chunk)."""
    samples = _read_rows_fast(t, net, first)
    return samples if samples is not None else _read_rows(t, net, first, empty_ok)


def csv_text(path: Path, raw: bytes, lines_before: int, encoding: str = "utf-8") -> str:
    """Bytes of a CSV as text with "\n" line ends; ``lines_before``: the
    file's lines before ``raw`` (to name the line of a bad byte)."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = lines_before + raw[: exc.start].count(b"\n") + 1
        raise NetworkFileError(path, f"line {line}", "not UTF-8 text; expected a CSV table") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def csv_header(path: Path, text: str, net: Network) -> CsvTable:
    """The table's header read (the first row with a value), its columns
    matched to the network; the rows after it still to read."""
    start = _BLANK_LINES.match(text).end()  # type: ignore[union-attr]
    if start == len(text):
        raise NetworkFileError(path, "", "the file is empty; expected a header row naming the features, then one row per sample")
    while True:  # the header is the first row with a value (a row of "" is none)
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        header_text = text[start:end]
        delimiter = _delimiter(header_text)
        try:
            header = next(csv.reader([header_text], delimiter=delimiter), [])
        except csv.Error as exc:
            raise NetworkFileError(path, "", f"not a readable CSV table ({exc})") from None
        if any(h.strip() for h in header):
            break
        if end >= len(text):
            raise NetworkFileError(path, "", "the file has no values; expected a header row naming the features, "
                                   "then one row per sample")
        start = end + 1
    header_line = text.count("\n", 0, start) + 1
    names = [h.strip() for h in header]
    if all(_is_number(n) for n in names):
        raise NetworkFileError(path, f"line {header_line}", "the first row holds numbers; add a header row naming the features")
    features, label, name = _columns(path, header_line, names, net)
    return CsvTable(path, text, delimiter, names, header_line, end + 1, features, label, name)


def _read_rows_fast(t: CsvTable, net: Network, first: int = 0) -> Samples | None:
    """The rows read by NumPy's C parser, in linear time: ten million rows in
    seconds. None when the table is anything but plain (quotes, a row with
    another number of values, a cell that is not a number, a bad label): the
    careful reader then finds and names the exact place."""
    body = t.text[t.body_start:]
    if '"' in body:
        return None
    if _SPACE_LINES.search(body):
        body = _SPACE_LINES.sub("", body)
    rows = _count_rows(body)
    if rows == 0 or body.count(t.delimiter) != rows * (len(t.names) - 1):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "input contained no data" and the like: the careful reader says it better
            x = np.loadtxt(io.StringIO(body), usecols=t.features, dtype=np.float64,
                           delimiter=t.delimiter, ndmin=2, comments=None)
            extra = [c for c in (t.label, t.name) if c is not None]
            text_cols = np.loadtxt(io.StringIO(body), usecols=extra, dtype=str,
                                   delimiter=t.delimiter, ndmin=2, comments=None) if extra else None
    except (ValueError, UserWarning, IndexError):
        return None
    if x.shape[0] != rows or not np.isfinite(x).all():
        return None
    labels = names = None
    k = 0
    if t.label is not None:
        assert text_cols is not None
        cells = np.char.strip(text_cols[:, k])
        k += 1
        distinct, which = np.unique(cells, return_inverse=True)
        try:
            classes = np.array([_label(t.path, "", str(cell), net) for cell in distinct], dtype=np.int64)
        except NetworkFileError:
            return None
        labels = classes[which.ravel()]
    if t.name is not None:
        assert text_cols is not None
        cells = np.char.strip(text_cols[:, k])
        given = [printable(str(c)) if c else f"row {first + i + 1}" for i, c in enumerate(cells.tolist())]
        names = given
    return Samples(x, labels, names=names, prefix="row")


def _count_rows(body: str) -> int:
    """Rows of a body whose blank lines are gone but for a last newline."""
    stripped = body.strip("\n")
    if not stripped:
        return 0
    if "\n\n" in stripped:
        stripped = _EMPTY_LINES.sub("\n", stripped)
    return stripped.count("\n") + 1


def _read_rows(t: CsvTable, net: Network, first: int = 0, empty_ok: bool = False) -> Samples:
    """Row by row with the csv module, naming the line and column of the first
    bad cell. ``first``: the rows of the table before these (a chunk's);
    ``empty_ok``: no rows is no error (a chunk of blank lines)."""
    try:
        rows = csv.reader(io.StringIO(t.text[t.body_start:], newline=""), delimiter=t.delimiter)
        xs: list[list[float]] = []
        labels: list[int] = []
        names: list[str] = []
        for offset, row in enumerate(rows):
            if not any(c.strip() for c in row):
                continue
            line = t.header_line + 1 + offset
            if len(row) != len(t.names):
                raise NetworkFileError(t.path, f"line {line}", f"has {len(row)} values, expected {len(t.names)} (as in the header)")
            xs.append([_number(t.path, f"line {line}, column '{t.names[c]}'", row[c]) for c in t.features])
            if t.label is not None:
                labels.append(_label(t.path, f"line {line}, column '{t.names[t.label]}'", row[t.label], net))
            if t.name is not None:
                names.append(printable(row[t.name].strip()) or f"row {first + len(xs)}")
    except csv.Error as exc:
        raise NetworkFileError(t.path, "", f"not a readable CSV table ({exc})") from None
    if not xs and not empty_ok:
        raise NetworkFileError(t.path, "", "has a header but no rows of inputs")
    return Samples(np.array(xs, dtype=np.float64).reshape(len(xs), len(t.features)), np.array(labels, dtype=np.int64) if t.label is not None else None,
                   names=names if t.name is not None else None, prefix="row")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _some(names: list[str], shown: int = 12) -> str:
    """The first names of a list, for a message: a header of 100,000 columns is not one line."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f", … ({more:,} more)" if more > 0 else "")


def _columns(path: Path, line: int, names: list[str], net: Network) -> tuple[list[int], int | None, int | None]:
    """Which columns are the features (in the network's order), the label and the name."""
    place = f"line {line} (header)"
    at: dict[str, int] = {}  # each name's column (a dictionary: a header can have a million)
    for i, name in enumerate(names):
        if not name:
            raise NetworkFileError(path, place, f"column {i + 1} has no name")
        if at.setdefault(name, i) != i:
            raise NetworkFileError(path, place, f"column '{name}' appears twice")
    features = net.feature_names or []
    special = {n.lower(): i for i, n in enumerate(names) if n.lower() in (LABEL_COLUMN, NAME_COLUMN) and n not in features}
    label_col, name_col = special.get(LABEL_COLUMN), special.get(NAME_COLUMN)
    rest = [i for i in range(len(names)) if i not in (label_col, name_col)]
    n = net.n_inputs
    if net.feature_names:
        missing = [f for f in features if f not in at]
        if missing:
            raise NetworkFileError(
                path, place,
                f"no column for feature{'s' if len(missing) > 1 else ''} {_some(missing)} "
                f"(the network's features: {_some(features)})",
            )
        known = set(features)
        extra = [names[i] for i in rest if names[i] not in known]
        if extra:
            raise NetworkFileError(
                path, place,
                f"unknown column '{extra[0]}' (the network's features: {_some(features)}; "
                f"optional columns: {LABEL_COLUMN}, {NAME_COLUMN})",
            )
        return [at[f] for f in features], label_col, name_col
    if len(rest) != n:
        raise NetworkFileError(
            path, place,
            f"{len(rest)} feature columns ({_some([names[i] for i in rest])}) but the network takes {n} inputs",
        )
    return rest, label_col, name_col
