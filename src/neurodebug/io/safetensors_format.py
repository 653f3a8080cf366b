"""``.safetensors`` files of a PyTorch ``state_dict`` of Linear layers.

The format (https://github.com/huggingface/safetensors) is an 8-byte
little-endian header length N, N bytes of JSON
``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}``
and the raw little-endian buffer the offsets point into. It holds weights but
no architecture, so the activations come from the command line
(``--activations relu,relu,softmax``), one per Linear layer.

The reader is our own, some forty lines, with no dependency: it checks the
whole header (its length, UTF-8, no duplicate keys, dtypes, shapes against
offsets, offsets inside the buffer and not overlapping) and bounds every
declared size before it reads or allocates anything.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.activations import ACTIVATIONS, SUPPORTED_ACTIVATIONS
from ..engine.network import Layer, Network
from .arrays import check_chain, check_declared, make_layer, make_network, numeric
from .errors import NetworkFileError, over_limit, printable, size_text
from .files import MAX_ARRAY_BYTES, check_readable

MAX_HEADER_BYTES = 100 * 1024**2  # 100 MB, the limit the safetensors library sets itself
# Stored dtype → (bytes per value, NumPy dtype it is read as); BF16 is widened by hand.
DTYPES: dict[str, tuple[int, np.dtype]] = {
    "F16": (2, np.dtype("<f2")),
    "BF16": (2, np.dtype("<u2")),
    "F32": (4, np.dtype("<f4")),
    "F64": (8, np.dtype("<f8")),
}
_PARTS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """'layers.10' after 'layers.2', 'fc10' after 'fc2'."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _PARTS.split(name) if p)


def example_activations(n: int) -> str:
    return ",".join(["relu"] * (n - 1) + ["softmax"]) if n > 1 else "softmax"


def parse_activations(path: str | os.PathLike[str], text: str, layers: list[str]) -> list[tuple[str, dict[str, float]]]:
    """``relu,leaky_relu:0.1,clip:-2:3,softmax`` → [(name, params)], one per layer.

    A parameter is given after a colon, in the activation's order (leaky_relu:
    alpha; hard_sigmoid: alpha, beta; clip: min, max), or by name (clip:max=6).
    """
    n = len(layers)
    items = [t.strip() for t in text.split(",")]
    if len(items) != n or not all(items):
        given = len([t for t in items if t])
        raise NetworkFileError(path, "--activations", f"gives {given} activation{'' if given == 1 else 's'} but the file "
                               f"has {n} Linear layer{'' if n == 1 else 's'} ({', '.join(layers)}); give one per layer, "
                               f"e.g. --activations {example_activations(n)}")
    out = []
    for item, layer in zip(items, layers):
        name, *values = item.split(":")
        name = name.strip()
        if name not in ACTIVATIONS:
            raise NetworkFileError(path, "--activations", f'unknown activation "{name}" for layer {layer}; '
                                   f'supported: {", ".join(SUPPORTED_ACTIVATIONS)}')
        order = [p.name for p in ACTIVATIONS[name].params]
        params: dict[str, float] = {}
        for k, value in enumerate(values):
            key, _, number = value.rpartition("=")
            key = key.strip() or (order[k] if k < len(order) else "")
            if not key:
                takes = ", ".join(order) or "no parameters"
                raise NetworkFileError(path, "--activations", f"{item}: {name} takes {takes}")
            try:
                params[key] = float(number)
            except ValueError:
                raise NetworkFileError(path, "--activations", f"{item}: {key} = {number!r} is not a number") from None
        try:
            params = ACTIVATIONS[name].resolve(params)
        except ValueError as exc:
            raise NetworkFileError(path, "--activations", f"{item}: {exc}") from None
        out.append((name, params))
    return out


class _Header:
    """The checked header: tensors by name, and where the buffer starts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tensors: dict[str, tuple[str, tuple[int, ...], int, int]] = {}
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise self.fail("", f"is {len(head)} bytes, too short for a safetensors file (an 8-byte header length first)")
            n = int.from_bytes(head, "little")
            if n > MAX_HEADER_BYTES:
                raise self.fail("header", over_limit("declares a header of", n, MAX_HEADER_BYTES))
            if 8 + n > size:
                raise self.fail("header", f"declares {size_text(n)} of header but the file is {size_text(size)}; "
                                "not a safetensors file, or cut short")
            raw = fh.read(n)
        self.start, self.buffer = 8 + n, size - 8 - n
        try:
            doc = json.loads(raw.decode("utf-8"), object_pairs_hook=self._no_duplicates,
                             parse_constant=self._no_constant)
        except UnicodeDecodeError as exc:
            raise self.fail("header", f"is not UTF-8 (byte {exc.start})") from None
        except (ValueError, RecursionError) as exc:
            raise self.fail("header", f"is not valid JSON ({str(exc).splitlines()[0][:120]})") from None
        if not isinstance(doc, dict):
            raise self.fail("header", f"expected a JSON object of tensors, got {type(doc).__name__}")
        meta = doc.pop("__metadata__", {})
        if not isinstance(meta, dict):
            raise self.fail("__metadata__", "expected an object of strings")
        total = 0
        for name, entry in doc.items():
            total += self._entry(name, entry)
        if total > MAX_ARRAY_BYTES:
            raise self.fail("", over_limit("its tensors take, read and converted,", total, MAX_ARRAY_BYTES))
        spans = sorted((begin, end, name) for name, (_, _, begin, end) in self.tensors.items() if end > begin)
        for (_, end, first), (begin, _, second) in zip(spans, spans[1:]):
            if begin < end:
                raise self.fail(printable(second), f"its data overlaps that of {printable(first)}")

    def fail(self, place: str, message: str) -> NetworkFileError:
        return NetworkFileError(self.path, place, message)

    def _no_duplicates(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise self.fail(printable(key), "appears twice in the header")
            out[key] = value
        return out

    def _no_constant(self, name: str) -> Any:
        raise self.fail("header", f"holds {name}, which is not JSON")

    def _entry(self, name: str, entry: Any) -> int:
        place = printable(name)
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= set(entry):
            raise self.fail(place, 'expected {"dtype", "shape", "data_offsets"}')
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPES:
            shown = printable(str(dtype))[:40]
            raise self.fail(place, f"dtype {shown} is not read; expected F16, BF16, F32 or F64 (Linear weights)")
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape) or len(shape) > 8:
            raise self.fail(place, f"shape {printable(str(shape))[:60]} is not a list of sizes")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(type(o) is int for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= self.buffer):
            raise self.fail(place, f"data_offsets {printable(str(offsets))[:60]} are not [begin, end] "
                            f"within the {size_text(self.buffer)} of data")
        itemsize, np_dtype = DTYPES[dtype]
        span = offsets[1] - offsets[0]
        count = math.prod(shape)
        if count * itemsize != span:
            raise self.fail(place, f"shape {'×'.join(map(str, shape)) or '()'} of {dtype} takes {count * itemsize:,} "
                            f"bytes but data_offsets span {span:,}")
        # BF16 is checked as float16: two bytes stored, four once widened to float32
        size = check_declared(self.path, place, tuple(shape), np.dtype("<f2") if dtype == "BF16" else np_dtype, span)
        self.tensors[name] = (dtype, tuple(shape), offsets[0], offsets[1])
        return size

    def read(self, fh: Any, name: str) -> np.ndarray:
        dtype, shape, begin, end = self.tensors[name]
        fh.seek(self.start + begin)
        data = fh.read(end - begin)
        if len(data) != end - begin:
            raise self.fail(printable(name), "the file ends inside its data")
        arr = np.frombuffer(data, dtype=DTYPES[dtype][1]).reshape(shape)
        if dtype == "BF16":  # bfloat16 is the top half of a float32
            return (arr.astype(np.uint32) << 16).view(np.float32)
        return arr


def read_safetensors_network(path: str | os.PathLike[str], activations: str | None = None) -> Network:
    """A network of the Linear layers in a safetensors ``state_dict``, with the
    given activations (comma-separated, one per layer)."""
    p = check_readable(path, pipe_ok=False)
    header = _Header(p)
    modules: dict[str, dict[str, str]] = {}
    for name in header.tensors:
        module, _, kind = name.rpartition(".")
        if kind not in ("weight", "bias") or not module:
            raise header.fail(printable(name), "is not a Linear layer's weight or bias (only Linear layers are read: "
                              "<module>.weight, <module>.bias)")
        modules.setdefault(module, {})[kind] = name
    if not modules:
        raise header.fail("", "holds no tensors; expected Linear layers (0.weight, 0.bias, …)")
    order = sorted(modules, key=natural_key)
    for module in order:
        if "weight" not in modules[module]:
            raise header.fail(printable(module) + ".bias", f"has no {printable(module)}.weight beside it")
    if activations is None:
        n = len(order)
        raise NetworkFileError(p, "", f"holds weights but no architecture: give the activations, e.g. --activations "
                               f"{example_activations(n)} (one per Linear layer, {n} here)")
    acts = parse_activations(p, activations, [printable(m) for m in order])
    layers: list[Layer] = []
    with open(p, "rb") as fh:
        for module, (activation, params) in zip(order, acts):
            place = printable(module)
            w_name = modules[module]["weight"]
            W = numeric(p, f"{place}.weight", header.read(fh, w_name), 2, " (out_features × in_features)", finite=False)
            if W.size == 0:
                raise header.fail(f"{place}.weight", f"is empty (shape {W.shape[0]}×{W.shape[1]})")
            W = np.ascontiguousarray(W.T)  # PyTorch's out × in → our inputs × units
            check_chain(p, f"{place}.weight", W, layers[-1] if layers else None, "the previous layer")
            if "bias" in modules[module]:
                b = numeric(p, f"{place}.bias", header.read(fh, modules[module]["bias"]), 1,
                            f" of {W.shape[1]} biases", finite=False)
                if b.shape != (W.shape[1],):
                    raise header.fail(f"{place}.bias", f"has {b.size} values, expected {W.shape[1]} "
                                      f"(one per output of {place}.weight)")
            else:  # Linear(bias=False)
                b = np.zeros(W.shape[1], dtype=W.dtype)
            layers.append(make_layer(p, place, place, activation, W, b, params))
    return make_network(p, layers, name=p.stem)
