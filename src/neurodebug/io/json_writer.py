"""Writing the JSON network format: the W form, every optional field, the
shortest decimal that reads back bit for bit, NaN/±∞ as strings, one matrix
row per line, atomically."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.network import BatchNorm, Network, Norm, Normalization, Rescaling
from ..engine.numbers import json_value
from .files import atomic_write_text
from .json_format import FORMAT_NAME, FORMAT_VERSION


def _floats(values: np.ndarray) -> list[Any]:
    # float() of a float32 or float64 gives Python's shortest round-trip repr.
    out = np.asarray(values, dtype=np.float64).tolist()
    if np.isfinite(values).all():
        return out
    # NaN and ±∞ as the engine writes them everywhere (what the reader takes back).
    return json_value(out)


def _norm_arrays(norm: Norm | None, inputs: bool = False) -> list[np.ndarray]:
    """The arrays that decide the file's dtype (an input normalisation's mean
    and std are read as float64 whatever the dtype)."""
    if norm is None or (inputs and isinstance(norm, Normalization)):
        return []
    return list(norm.params().values())


def _norm_doc(norm: Norm) -> dict[str, Any]:
    if isinstance(norm, Normalization):
        doc: dict[str, Any] = {"mean": _floats(norm.mean), "std": _floats(norm.std)}
        if norm.name != "normalization":
            doc["name"] = norm.name
        return doc
    doc = {"kind": norm.kind, "name": norm.name}
    if isinstance(norm, BatchNorm):
        doc.update({"gamma": _floats(norm.gamma), "beta": _floats(norm.beta), "mean": _floats(norm.mean),
                    "variance": _floats(norm.var), "epsilon": norm.eps})
    elif isinstance(norm, Rescaling):
        doc.update({"scale": _floats(norm.scale), "offset": _floats(norm.offset)})
    return doc


def network_to_json(net: Network) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "name": net.name}
    if net.description:
        doc["description"] = net.description
    # float32 only when every array is: a float64 layer written as float32 would
    # lose digits, while float32 values read back as float64 keep every bit.
    arrays = [a for layer in net.layers for a in (layer.W, layer.b, *_norm_arrays(layer.norm))]
    if all(a.dtype == np.float32 for a in arrays + _norm_arrays(net.normalization, inputs=True)):
        doc["dtype"] = "float32"
    if net.feature_names:
        doc["features"] = list(net.feature_names)
    if net.output_names:
        doc["outputs"] = list(net.output_names)
    if net.normalization is not None:
        doc["normalization"] = _norm_doc(net.normalization)
    layers = []
    for layer in net.layers:
        ldoc: dict[str, Any] = {"name": layer.name, "activation": layer.activation}
        ldoc.update(layer.params)  # every parameter, the defaults too: what the file says is what runs
        ldoc["W"] = _floats(layer.W)
        ldoc["b"] = _floats(layer.b)
        if layer.norm is not None:
            ldoc["norm"] = {**_norm_doc(layer.norm), "at": str(layer.norm_at)}
        if layer.neuron_names:
            ldoc["neuron_names"] = list(layer.neuron_names)
        layers.append(ldoc)
    doc["layers"] = layers
    samples = []
    for s in net.samples:
        sdoc: dict[str, Any] = {"name": s.name, "x": _floats(s.x)}
        if s.label is not None:
            sdoc["label"] = s.label
        if s.expected is not None:
            sdoc["expected"] = _floats(s.expected)
        samples.append(sdoc)
    if samples:
        doc["samples"] = samples
    return doc


# A string (kept as it is: "[1,2]" in a name is text, not a list), or an
# innermost list of numbers, the non-finite ones written as strings.
_NUMBER = r'-?[0-9.eE+-]+|"(?:NaN|-?Infinity)"'
_INNER_LIST = re.compile(rf'"(?:[^"\\]|\\.)*"|\[\s*((?:{_NUMBER})(?:\s*,\s*(?:{_NUMBER}))*)\s*\]')


def dumps_network(net: Network) -> str:
    """JSON text with one matrix row per line, so diffs stay readable."""
    doc = network_to_json(net)
    text = json.dumps(doc, indent=2, allow_nan=False)
    # Collapse innermost lists of numbers onto one line each. Strings are
    # matched first and kept as they are: "[1,2]" in a name is text, not a list.
    return _INNER_LIST.sub(
        lambda m: m.group(0) if m.group(1) is None else "[" + ", ".join(p.strip() for p in m.group(1).split(",")) + "]",
        text,
    ) + "\n"


def write_json_network(net: Network, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    return atomic_write_text(path, dumps_network(net), overwrite=overwrite)
