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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine.network import Network, Sample
from .arrays import numpy_load
from .errors import NetworkFileError
from .files import MAX_FILE_BYTES, check_readable, read_bytes

LABEL_COLUMN = "label"
NAME_COLUMN = "name"
DELIMITERS = (",", ";", "\t")


@dataclass
class InputTable:
    samples: list[Sample]
    feature_names: list[str] | None  # the CSV header's feature columns, in the network's order


def read_inputs(path: str | os.PathLike[str], net: Network) -> list[Sample]:
    """The samples in a .csv or .npy file, checked against the network."""
    return load_inputs(path, net).samples


def load_inputs(path: str | os.PathLike[str], net: Network, limit: int = MAX_FILE_BYTES) -> InputTable:
    p = check_readable(path, limit)
    try:
        with open(p, "rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        raise NetworkFileError(p, "", f"cannot read the file ({exc.strerror or exc})") from None
    if p.suffix.lower() == ".npy" or head == b"\x93NUMPY":
        table = InputTable(_read_npy(p, net), None)
    elif p.suffix.lower() == ".npz" or head.startswith(b"PK"):
        raise NetworkFileError(p, "", "inputs must be a .csv table or a .npy array (not an archive)")
    else:
        table = _read_csv(p, read_bytes(p, limit), net)
    too_big = net.first_unrepresentable(np.stack([s.x for s in table.samples]))
    if too_big is not None:
        (row, col), value = too_big
        raise NetworkFileError(p, f"sample {row + 1}, input {col + 1}",
                               f"{value:g} does not fit the network's {net.compute_dtype}")
    return table


# -- .npy ------------------------------------------------------------------------
def _read_npy(path: Path, net: Network) -> list[Sample]:
    arr = numpy_load(path, "array")
    if not isinstance(arr, np.ndarray):
        raise NetworkFileError(path, "", "expected a single .npy array")
    if arr.dtype.kind not in "fiu":
        raise NetworkFileError(path, "", f"expected numbers, got an array of dtype {arr.dtype}")
    n = net.n_inputs
    if arr.ndim == 0:
        raise NetworkFileError(path, "", f"holds a single number; the network takes {n} inputs")
    if arr.ndim == 1:
        if arr.size == n:
            arr = arr.reshape(1, n)
        elif n == 1:
            arr = arr.reshape(-1, 1)
        else:
            raise NetworkFileError(path, "", f"holds {arr.size} values but the network takes {n} inputs per sample")
    elif arr.ndim > 2 and int(np.prod(arr.shape[1:])) == n:
        arr = arr.reshape(arr.shape[0], n)  # samples of an image (or any grid), flattened row-major
    shape = "×".join(str(d) for d in arr.shape)
    if arr.ndim != 2 or arr.shape[1] != n:
        hint = "; samples must be rows: transpose the array" if arr.ndim == 2 and arr.shape[0] == n else ""
        raise NetworkFileError(path, "", f"has shape {shape} but the network takes {n} inputs per sample (samples × {n}){hint}")
    if arr.shape[0] == 0:
        raise NetworkFileError(path, "", "holds no samples")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    elif arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        v = float(arr[row, col])
        shown = "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
        raise NetworkFileError(path, f"sample {row + 1}, input {col + 1}", f"is {shown}, expected a finite number")
    return [Sample(f"row {i + 1}", arr[i].copy()) for i in range(arr.shape[0])]


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


def _label(path: Path, place: str, cell: str, net: Network) -> int | None:
    text = cell.strip()
    if not text:
        return None
    n_classes = 2 if net.n_outputs == 1 else net.n_outputs
    if net.output_names and text in net.output_names:
        return net.output_names.index(text)
    try:
        value = float(text)
    except ValueError:
        known = f"one of {', '.join(net.output_names)} or" if net.output_names else ""
        raise NetworkFileError(path, place, f"'{text}' is not a class: expected {known} a class index 0..{n_classes - 1}") from None
    if value != int(value) or not 0 <= value < n_classes:
        raise NetworkFileError(path, place, f"class {text} out of range, expected 0..{n_classes - 1}")
    return int(value)


def _read_csv(path: Path, raw: bytes, net: Network) -> InputTable:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise NetworkFileError(path, f"line {line}", "not UTF-8 text; expected a CSV table") from None
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise NetworkFileError(path, "", "the file is empty; expected a header row naming the features, then one row per sample")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(lines[first])))
    except csv.Error as exc:
        raise NetworkFileError(path, "", f"not a readable CSV table ({exc})") from None
    rows_with_lines = [(i + 1, row) for i, row in enumerate(rows) if any(c.strip() for c in row)]
    if not rows_with_lines:
        raise NetworkFileError(path, "", "the file has no values; expected a header row naming the features, then one row per sample")
    header_line, header = rows_with_lines[0]
    names = [h.strip() for h in header]
    if all(_is_number(n) for n in names):
        raise NetworkFileError(path, f"line {header_line}", "the first row holds numbers; add a header row naming the features")
    feature_cols, label_col, name_col = _columns(path, header_line, names, net)
    samples: list[Sample] = []
    for line, row in rows_with_lines[1:]:
        if len(row) != len(names):
            raise NetworkFileError(path, f"line {line}", f"has {len(row)} values, expected {len(names)} (as in the header)")
        x = np.array([_number(path, f"line {line}, column '{names[c]}'", row[c]) for c in feature_cols])
        label = _label(path, f"line {line}, column '{names[label_col]}'", row[label_col], net) if label_col is not None else None
        name = row[name_col].strip() if name_col is not None else ""
        samples.append(Sample(name or f"row {len(samples) + 1}", x, label))
    if not samples:
        raise NetworkFileError(path, "", "has a header but no rows of inputs")
    return InputTable(samples, [names[c] for c in feature_cols])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _columns(path: Path, line: int, names: list[str], net: Network) -> tuple[list[int], int | None, int | None]:
    """Which columns are the features (in the network's order), the label and the name."""
    place = f"line {line} (header)"
    for i, name in enumerate(names):
        if not name:
            raise NetworkFileError(path, place, f"column {i + 1} has no name")
        if names.index(name) != i:
            raise NetworkFileError(path, place, f"column '{name}' appears twice")
    features = net.feature_names or []
    special = {n.lower(): i for i, n in enumerate(names) if n.lower() in (LABEL_COLUMN, NAME_COLUMN) and n not in features}
    label_col, name_col = special.get(LABEL_COLUMN), special.get(NAME_COLUMN)
    rest = [i for i in range(len(names)) if i not in (label_col, name_col)]
    n = net.n_inputs
    if net.feature_names:
        missing = [f for f in features if f not in names]
        if missing:
            raise NetworkFileError(
                path, place,
                f"no column for feature{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"(the network's features: {', '.join(features)})",
            )
        extra = [names[i] for i in rest if names[i] not in features]
        if extra:
            raise NetworkFileError(
                path, place,
                f"unknown column '{extra[0]}' (the network's features: {', '.join(features)}; "
                f"optional columns: {LABEL_COLUMN}, {NAME_COLUMN})",
            )
        return [names.index(f) for f in features], label_col, name_col
    if len(rest) != n:
        raise NetworkFileError(
            path, place,
            f"{len(rest)} feature columns ({', '.join(names[i] for i in rest)}) but the network takes {n} inputs",
        )
    return rest, label_col, name_col
