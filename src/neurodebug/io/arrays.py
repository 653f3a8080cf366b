"""Checks shared by the binary readers (.npz, Keras, ONNX).

Arrays from these files arrive already shaped, so the work is checking their
kind and values and turning every failure into a NetworkFileError.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..engine.activations import takers
from ..engine.network import Layer, Network, ShapeError
from ..engine.numbers import json_number
from .errors import NetworkFileError, over_limit, printable, size_text
from .files import MAX_ARRAY_BYTES

Path = str | os.PathLike[str]


def numeric(path: Path, place: str, value: Any, ndim: int | None = None, what: str = "",
            finite: bool = True) -> np.ndarray:
    """A real-valued array, float32 kept as float32 so weights stay bit-exact.

    float16 widens to float32 and integers to float64; anything else (text,
    complex, records) is refused. Every value must be finite unless
    ``finite`` is False: weights and biases may be NaN or ±∞ (a broken
    network is what the debugger is for, and the health check names the
    neuron); inputs, normalisation and the like may not.
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub":
        raise NetworkFileError(path, place, f"expected numbers, got an array of dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        shape = "×".join(str(n) for n in arr.shape) or "a single value"
        kind = {0: "a single number", 1: "a vector", 2: "a matrix"}.get(ndim, f"{ndim}-D")
        raise NetworkFileError(path, place, f"expected {kind}{what}, got shape {shape}")
    if arr.dtype.kind == "f" and arr.dtype.itemsize <= 2:
        arr = arr.astype(np.float32)
    elif arr.dtype.kind == "f" and arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    elif arr.dtype.kind in "iub":
        arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr) if finite else np.zeros(arr.shape, dtype=bool)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), arr.shape) if arr.ndim else ()
        at = "[" + ",".join(str(int(i)) for i in index) + "]" if index else ""
        v = float(arr[index] if index else arr[()])
        raise NetworkFileError(path, f"{place}{at}", f"is {json_number(v)}, expected a finite number")
    return arr


def text(path: Path, place: str, value: Any) -> str:
    """A single string stored as a NumPy scalar (unicode or UTF-8 bytes)."""
    arr = np.asarray(value)
    if arr.ndim != 0 or arr.dtype.kind not in "US":
        raise NetworkFileError(path, place, f"expected a single string, got an array of dtype {arr.dtype}, shape {arr.shape}")
    item = arr[()]
    return printable(item.decode("utf-8", errors="replace") if isinstance(item, bytes) else str(item), newlines=True)


def class_labels(path: Path, key: str, labels: np.ndarray, n_outputs: int) -> np.ndarray:
    """Integer labels of a file's samples as int64, each a class of an output
    of ``n_outputs`` units (two classes for one unit) or -1 for none; the first
    that is neither refused by its index, ``key[i]``."""
    n_classes = 2 if n_outputs == 1 else n_outputs
    flat = labels.astype(np.int64)
    wrong = np.flatnonzero((flat != -1) & ((flat < 0) | (flat >= n_classes)))
    if wrong.size:
        i = int(wrong[0])
        raise NetworkFileError(path, f"{key}[{i}]",
                               f"class {int(flat[i])} out of range, expected 0..{n_classes - 1} or -1 for none")
    return flat  # -1: no label, as in Samples


def texts(path: Path, place: str, value: Any, length: int, of: str) -> list[str]:
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.dtype.kind not in "US":
        raise NetworkFileError(path, place, f"expected a list of {length} strings, got dtype {arr.dtype}, shape {arr.shape}")
    if arr.size != length:
        raise NetworkFileError(path, place, f"has {arr.size} names but there are {length} {of}")
    return [printable(s.decode("utf-8", errors="replace") if isinstance(s, bytes) else str(s)) for s in arr.tolist()]


def make_network(path: Path, layers: list[Layer], **kwargs: Any) -> Network:
    """Build the Network, reporting a shape the readers missed as a file error."""
    for key in ("name", "description"):
        if isinstance(kwargs.get(key), str):
            kwargs[key] = printable(kwargs[key], newlines=key == "description")
    try:
        return Network(layers, source=os.fspath(path), **kwargs)
    except (ShapeError, ValueError) as exc:
        raise NetworkFileError(path, "", str(exc)) from None


def make_layer(path: Path, place: str, name: str, activation: str, W: np.ndarray, b: np.ndarray,
               params: Mapping[str, float] | None = None, neuron_names: list[str] | None = None) -> Layer:
    """The layer, its activation's ``params`` checked (a missing one takes its
    default); what does not fit is a file error at ``place``."""
    name = printable(name)
    neuron_names = None if neuron_names is None else [printable(n) for n in neuron_names]
    try:
        return Layer(name, activation, W, b, neuron_names, params=params)
    except (ShapeError, ValueError) as exc:
        raise NetworkFileError(path, place, str(exc)) from None


def takers_text(param: str) -> str:
    """'a leaky_relu, elu or hard_sigmoid': the activations that take ``param``, for messages."""
    names = takers(param)
    return "a " + (f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0])


def check_chain(path: Path, place: str, W: np.ndarray, prev: Layer | None, prev_label: str) -> None:
    """The layer's weight rows must match the previous layer's units."""
    if prev is not None and W.shape[0] != prev.units:
        hint = "; they look transposed: W is (inputs × units)" if W.shape[1] == prev.units else ""
        raise NetworkFileError(
            path, place,
            f"the weights take {W.shape[0]} inputs but {prev_label} {prev.name} has {prev.units} units{hint}",
        )


def converted_itemsize(dtype: np.dtype) -> int:
    """Bytes per element once read: float16 widens to float32, integers and
    booleans to float64 (``numeric``); text keeps its own size."""
    if dtype.kind == "f":
        return max(4, dtype.itemsize)
    if dtype.kind in "iub":
        return 8
    return dtype.itemsize


def npy_header(fh: Any) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, header length) of the .npy stream at ``fh``, read from its
    header alone: nothing is allocated for the data it declares."""
    shape, dtype, header, _fortran = npy_layout(fh)
    return shape, dtype, header


def npy_layout(fh: Any) -> tuple[tuple[int, ...], np.dtype, int, bool]:
    """``npy_header`` and whether the data is in Fortran (column) order."""
    from numpy.lib import format as npy

    start = fh.tell() if hasattr(fh, "tell") else 0
    version = npy.read_magic(fh)
    reader = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
    if reader is None:
        reader = getattr(npy, f"read_array_header_{version[0]}_{version[1]}", None)
        if reader is None:
            raise ValueError(f"unknown .npy format version {version}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shape, fortran, dtype = reader(fh)
    header = (fh.tell() if hasattr(fh, "tell") else 0) - start
    return tuple(int(d) for d in shape), np.dtype(dtype), header, bool(fortran)


def check_declared(path: Path, place: str, shape: tuple[int, ...], dtype: np.dtype,
                   stored: int | None = None, limit: int = MAX_ARRAY_BYTES) -> int:
    """The bytes an array declared as ``shape`` × ``dtype`` takes once read and
    converted, refused past ``limit`` or past what the file really stores
    (``stored`` bytes), before anything is allocated. Returns that size."""
    if any(d < 0 for d in shape):
        raise NetworkFileError(path, place, f"declares a negative size ({'×'.join(map(str, shape))}), which no array has")
    count = math.prod(shape)
    if dtype.hasobject:
        raise NetworkFileError(path, place, "holds Python objects, which are never unpickled")
    if stored is not None and count * dtype.itemsize > stored:
        raise NetworkFileError(path, place, f"declares {count:,} values ({size_text(count * dtype.itemsize)}) "
                               f"but stores only {size_text(stored)}")
    size = count * converted_itemsize(dtype)
    if size > limit:
        shown = "×".join(f"{d:,}" for d in shape)
        raise NetworkFileError(path, place, over_limit(f"a {shown} array of {dtype} takes", size, limit))
    return size


def numpy_load(path: Path, what: str, limit: int = MAX_ARRAY_BYTES) -> Any:
    """``np.load`` of an .npy (an array) or .npz (a dict of arrays), never
    unpickling, and never allocating what a header merely declares: every
    array's size (after conversion) is checked against ``limit`` first."""
    _check_headers(path, what, limit)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # notices about old headers are not the user's problem
            loaded = np.load(path, allow_pickle=False)
            if isinstance(loaded, np.lib.npyio.NpzFile):
                with loaded:
                    return {key: loaded[key] for key in loaded.files}
            return loaded
    except ValueError as exc:
        if "pickle" in str(exc):
            raise NetworkFileError(path, "", f"cannot read the {what}: it holds Python objects, which are never unpickled") from None
        raise NetworkFileError(path, "", f"cannot read the {what}: {exc}") from None
    except Exception as exc:  # NumPy parses the untrusted header with ast and tokenize: anything can come out
        raise NetworkFileError(path, "", f"cannot read the {what} ({type(exc).__name__}: {exc})") from None


def _check_headers(path: Path, what: str, limit: int) -> None:
    """Read each array's header (an .npy, or every member of an .npz) and
    refuse declared sizes beyond the limit, in total."""
    import zipfile

    total = 0
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    with zf.open(info) as fh:
                        shape, dtype, header = npy_header(fh)
                    key = info.filename.removesuffix(".npy")
                    total += check_declared(path, key, shape, dtype, info.file_size - header, limit)
        else:
            with open(path, "rb") as fh:
                shape, dtype, header = npy_header(fh)
                stored = os.fstat(fh.fileno()).st_size - header
            total += check_declared(path, "", shape, dtype, stored, limit)
    except NetworkFileError:
        raise
    except Exception as exc:  # the header is untrusted text NumPy parses: anything can come out
        raise NetworkFileError(path, "", f"cannot read the {what} ({type(exc).__name__}: {exc})") from None
    if total > limit:
        raise NetworkFileError(path, "", over_limit("its arrays take, read and converted,", total, limit))
