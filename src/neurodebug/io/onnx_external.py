"""Tensors an ONNX file declares or keeps beside it, checked before NumPy reads them.

Every declared size is checked against memory before a tensor is made, and
external data is read only from regular files inside the model's folder, and
only as many bytes as each tensor declares.
"""

from __future__ import annotations

import math
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from .arrays import check_declared
from .errors import NetworkFileError, printable
from .files import check_readable


def _tensors(model: Any) -> list[Any]:
    tensors = list(model.graph.initializer)
    for node in model.graph.node:
        tensors.extend(a.t for a in node.attribute if a.HasField("t"))
    return tensors


def load_external_data(path: Path, model: Any, onnx: Any, limit: int) -> None:
    """Read tensors stored beside the model, only from regular files inside its
    folder, and only as many bytes as each tensor declares."""
    folder = path.resolve().parent
    total = 0
    for tensor in _tensors(model):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in tensor.external_data}
        place = f"initializer '{tensor.name}'"
        location = info.get("location", "")
        shown = printable(location)
        pure = PurePosixPath(location.replace("\\", "/"))
        if not location or pure.is_absolute() or ".." in pure.parts or (len(location) > 1 and location[1] == ":"):
            raise NetworkFileError(path, place, f"external data at '{shown}' is outside the model's folder; refusing it")
        try:
            target = (folder / pure).resolve()
        except (ValueError, OSError):  # a NUL byte, a loop of links
            raise NetworkFileError(path, place, f"external data at '{shown}' is not a valid file name") from None
        if not target.is_relative_to(folder):
            raise NetworkFileError(path, place, f"external data at '{shown}' leads outside the model's folder; refusing it")
        try:
            check_readable(target, limit, pipe_ok=False)
        except NetworkFileError as exc:
            raise NetworkFileError(path, place, f"external data file '{shown}': {exc.message}") from None
        try:
            offset = int(info.get("offset", 0))
            length = int(info["length"]) if "length" in info else target.stat().st_size - offset
        except ValueError:
            raise NetworkFileError(path, place, "external data has a bad offset or length") from None
        declared = _declared_bytes(tensor, onnx)
        if declared is not None and length != declared:
            raise NetworkFileError(path, place, f"external data of {length:,} bytes for a tensor of {declared:,} bytes")
        total += max(length, 0)
        if offset < 0 or length < 0 or offset + length > target.stat().st_size or total > limit:
            raise NetworkFileError(path, place, f"external data range {offset}+{length} does not fit '{shown}' or the size limit")
        with open(target, "rb") as fh:
            fh.seek(offset)
            tensor.raw_data = fh.read(length)
        del tensor.external_data[:]
        tensor.data_location = onnx.TensorProto.DEFAULT


def _declared_bytes(tensor: Any, onnx: Any) -> int | None:
    """Bytes the tensor's dims and type say it holds (None: a type we do not size)."""
    try:
        dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type))
    except (KeyError, TypeError, ValueError):
        return None
    return math.prod(int(d) for d in tensor.dims) * dtype.itemsize


def check_declared_tensors(path: Path, model: Any, onnx: Any) -> None:
    """Refuse a tensor whose dims promise more than memory allows, before NumPy makes it."""
    for tensor in _tensors(model):
        if tensor.data_type == onnx.TensorProto.STRING and tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue  # class names, held in the parsed file already (never a weight)
        try:
            dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type))
        except (KeyError, TypeError, ValueError):
            continue
        check_declared(path, f"initializer '{tensor.name}'", tuple(int(d) for d in tensor.dims), dtype)
