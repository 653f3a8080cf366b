"""What skl2onnx writes around a scikit-learn MLP's dense layers.

A classifier has two outputs. The label is ``ArgMax`` of the probabilities,
then ``ArrayFeatureExtractor(classes, ·)``, ``Reshape`` and ``Cast``; the
probabilities come out as a tensor or, through a ``ZipMap`` (ai.onnx.ml), as
a list of {class: probability} maps. The probabilities are the network's
output. The label branch is left off the walk only once it is shown to
compute nothing but a label from them (an ArgMax over the classes first, then
only lookups, reshapes and casts, every other input a stored tensor, none of
its tensors used elsewhere); its class labels, or the ZipMap's, name the
outputs.

A binary ``MLPClassifier`` has one logistic output unit, p = σ(z), and
skl2onnx writes its probabilities as ``Concat(Sub(1, p), p)``. That is read as
a two-unit softmax layer whose unit for the negative class has zero weights
and bias: softmax(0, z) = (1 − σ(z), σ(z)) for every z, so the network's two
outputs are the file's two probability columns, whatever the weights are
edited to, and the positive class's weights, bias and z are the model's own.

A ``StandardScaler`` before the MLP is a ``Scaler`` node (ai.onnx.ml),
x' = (x − offset)·scale: the network's input normalisation, with mean =
offset and std = 1/scale. A ``MinMaxScaler`` is written as ``Mul`` then
``Add`` by stored numbers (and a model's own ``x * 2 − 1`` as the same
ops): x' = x·scale + offset, read as the input's ``Rescaling``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..engine.network import Layer, Normalization
from ..engine.norms import Rescaling
from .arrays import make_layer
from .errors import NetworkFileError, printable

ML = "ai.onnx.ml"
DEFAULT_DOMAINS = ("", "ai.onnx")
_LABEL_OPS = ("ArrayFeatureExtractor", "Reshape", "Cast", "Identity", "Squeeze", "Unsqueeze", "Flatten")


class Reader(Protocol):
    path: Path
    graph: Any
    constants: dict[str, Any]
    folded: dict[str, np.ndarray]

    def fail(self, node: Any, message: str) -> NetworkFileError: ...

    def attr(self, node: Any, name: str, default: Any) -> Any: ...

    def const(self, node: Any, name: str) -> np.ndarray: ...


@dataclass
class Outputs:
    """Where the walk ends and what it leaves off."""

    end: str  # the tensor that is the network's output
    skipped: set[str] = field(default_factory=set)  # keys of the nodes left off (label branch, ZipMap)
    labels: list[str] | None = None  # the class of each output column
    label_axis: int | None = None  # the axis the label's ArgMax runs over
    label_output: str | None = None


def _key(node: Any) -> str:
    return str(node.output[0]) if node.output else f"#{node.name}"


def _known(reader: Reader, name: str) -> bool:
    return name in reader.constants or name in reader.folded


def _texts(values: Any) -> list[str]:
    out = []
    for v in np.asarray(values, dtype=object).ravel().tolist():
        out.append(printable(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)))
    return out


def _zipmap_labels(reader: Reader, node: Any) -> list[str] | None:
    for name in ("classlabels_int64s", "classlabels_strings"):
        values = reader.attr(node, name, None)
        if values is not None and len(values):
            return _texts(list(values))
    return None


def _through_zipmap(reader: Reader, name: str, producer: dict[str, Any]) -> tuple[str, set[str], list[str] | None]:
    """The probabilities behind an output, stepping back over a ZipMap."""
    node = producer.get(name)
    if node is None or node.op_type != "ZipMap" or node.domain != ML:
        return name, set(), None
    if len(node.input) != 1:
        raise reader.fail(node, "a ZipMap takes one input, the probabilities")
    return node.input[0], {_key(node)}, _zipmap_labels(reader, node)


def _label_branch(reader: Reader, name: str, producer: dict[str, Any]) -> tuple[list[Any], str, list[str] | None, int] | None:
    """(its nodes, the tensor it reads, the class labels, the ArgMax's axis) when the
    output ``name`` is a label computed from one tensor by ArgMax and then only
    lookups in stored classes, reshapes and casts; None otherwise."""
    chain: list[Any] = []
    labels = None
    tensor = name
    while len(chain) < 16:
        node = producer.get(tensor)
        if node is None or node.domain not in (*DEFAULT_DOMAINS, ML) or len([o for o in node.output if o]) != 1:
            return None
        computed = [i for i in node.input if i and not _known(reader, i)]
        if len(computed) != 1:
            return None
        chain.append(node)
        op = node.op_type
        if op == "ArgMax" and node.domain != ML:
            return chain, computed[0], labels, int(reader.attr(node, "axis", 0))
        if op not in _LABEL_OPS or (op == "ArrayFeatureExtractor") != (node.domain == ML):
            return None
        if op == "ArrayFeatureExtractor":
            if len(node.input) != 2 or node.input[1] != computed[0]:
                return None  # the classes must be the stored input, the indices the computed one
            labels = _texts(reader.const(node, node.input[0]))
        tensor = computed[0]
    return None


def outputs_of(reader: Reader) -> Outputs:
    """The network's output: the graph's only output (or a ZipMap's input), or
    of a classifier's label and probabilities, the probabilities."""
    names = [o.name for o in reader.graph.output]
    producer = {o: n for n in reader.graph.node for o in n.output if o}
    if len(names) == 1:
        end, skipped, labels = _through_zipmap(reader, names[0], producer)
        return Outputs(end, skipped, labels)
    if len(names) == 2:
        for label_out, probs_out in ((names[0], names[1]), (names[1], names[0])):
            branch = _label_branch(reader, label_out, producer)
            if branch is None:
                continue
            chain, probs, labels, axis = branch
            end, skipped, zip_labels = _through_zipmap(reader, probs_out, producer)
            place = f"output '{printable(label_out)}'"
            if probs != end:
                raise NetworkFileError(reader.path, place, f"is the ArgMax of '{printable(probs)}', not of the other "
                                       f"output '{printable(end)}'; only a label computed from the probabilities is supported")
            members = {_key(n) for n in chain}
            for node in chain[1:]:  # the branch's own tensors feed nothing but the branch
                users = [n for n in reader.graph.node if node.output[0] in n.input and _key(n) not in members]
                if users:
                    raise NetworkFileError(reader.path, place, f"the label branch's tensor '{printable(node.output[0])}' "
                                           f"also feeds node '{printable(users[0].name or users[0].op_type)}'; "
                                           "only a label computed from the probabilities alone is supported")
            if labels is not None and zip_labels is not None and labels != zip_labels:
                raise NetworkFileError(reader.path, place, f"the classes ({', '.join(labels)}) differ from the "
                                       f"ZipMap's ({', '.join(zip_labels)})")
            return Outputs(end, skipped | members, labels or zip_labels, axis, label_out)
    shown = ", ".join(f"'{printable(n)}'" for n in names)
    raise NetworkFileError(reader.path, "graph", f"has {len(names)} outputs ({shown}); only one is supported, or a "
                           "classifier's probabilities and the label computed from them by ArgMax")


def check_outputs(path: Path, outputs: Outputs, feature_major: bool, units: int) -> None:
    """The label's ArgMax runs over the classes, and the labels name every column."""
    if outputs.label_axis is not None:
        classes_axis = (0, -2) if feature_major else (1, -1)
        if outputs.label_axis not in classes_axis:
            raise NetworkFileError(path, f"output '{printable(outputs.label_output or '')}'",
                                   f"its ArgMax runs over axis {outputs.label_axis}, not over the classes")
    if outputs.labels is not None and len(outputs.labels) != units:
        raise NetworkFileError(path, "graph", f"names {len(outputs.labels)} classes ({', '.join(outputs.labels)}) "
                               f"but the probabilities have {units} columns")


# -- binary classifiers: Concat(1 − p, p) ---------------------------------------------------------
def complement_columns(reader: Reader, start: str, nodes: list[Any]) -> tuple[str, int] | None:
    """(the Concat's output, the column of 1 − p) when ``start`` (p) feeds exactly
    Sub(1, p) and a Concat of (1 − p, p), in either order, over the units."""
    if len(nodes) != 2 or any(n.domain not in DEFAULT_DOMAINS for n in nodes):
        return None
    sub = next((n for n in nodes if n.op_type == "Sub"), None)
    cat = next((n for n in nodes if n.op_type == "Concat"), None)
    if sub is None or cat is None or len(sub.input) != 2 or sub.input[1] != start or not _known(reader, sub.input[0]):
        return None
    one = np.asarray(reader.const(sub, sub.input[0]), dtype=np.float64)
    if one.size != 1 or one.ravel()[0] != 1.0:
        return None
    q = sub.output[0]
    if len(cat.input) != 2 or set(cat.input) != {q, start} or int(reader.attr(cat, "axis", 0)) not in (1, -1):
        return None
    if any(q in n.input for n in reader.graph.node if n is not cat) or q in (o.name for o in reader.graph.output):
        return None
    return cat.output[0], list(cat.input).index(q)


def complement_layer(reader: Reader, node: Any, last: Layer, q_column: int) -> Layer:
    """The one-unit sigmoid layer p as the softmax layer giving (1 − p, p)."""
    if last.norm is not None:
        raise reader.fail(node, f"Concat(1 − p, p) after layer '{last.name}', which has a {last.norm.title}, "
                          "is not supported")
    if last.units != 1 or last.activation != "sigmoid":
        raise reader.fail(node, f"Concat(1 − p, p) is supported after a one-unit sigmoid layer; layer '{last.name}' "
                          f"has {last.units} units and applies {last.activation}")
    W = np.zeros((last.n_inputs, 2), dtype=last.W.dtype)
    b = np.zeros(2, dtype=last.b.dtype)
    W[:, 1 - q_column] = last.W[:, 0]
    b[1 - q_column] = last.b[0]
    place = f"node '{node.name or node.op_type}' ({node.op_type})"
    return make_layer(reader.path, place, last.name, "softmax", W, b)


# -- Scaler at the input ---------------------------------------------------------------------------
def scaler_of(reader: Reader, node: Any) -> tuple[np.ndarray, np.ndarray]:
    """(offset, scale) of a Scaler node, as float32 as ONNX stores them."""
    offset = np.asarray(reader.attr(node, "offset", [0.0]), dtype=np.float64)
    scale = np.asarray(reader.attr(node, "scale", [1.0]), dtype=np.float64)
    for name, values in (("offset", offset), ("scale", scale)):
        if values.ndim != 1 or values.size == 0:
            raise reader.fail(node, f"its {name} has no values")
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise reader.fail(node, f"{name}[{bad[0]}] = {values[bad[0]]} is not a finite number")
    bad = np.flatnonzero(scale <= 0)
    if bad.size:
        raise reader.fail(node, f"scale[{bad[0]}] = {scale[bad[0]]:g}; only positive scales (1/std) are supported")
    return offset.astype(np.float32), scale.astype(np.float32)


def scaler_normalization(reader: Reader, node: Any, offset: np.ndarray, scale: np.ndarray, n: int) -> Normalization:
    """x' = (x − offset)·scale as the network's Normalization(mean=offset, std=1/scale)."""
    for name, values in (("offset", offset), ("scale", scale)):
        if values.size not in (1, n):
            raise reader.fail(node, f"has {values.size} {name} values but the first layer takes {n} inputs")
    mean = np.broadcast_to(offset, (n,)).copy()
    std = (1.0 / np.broadcast_to(scale, (n,)).astype(np.float64)).astype(np.float32)
    return Normalization(mean, std, name=node.name or "Scaler")


# -- Mul, Div, Add, Sub by stored numbers at the input ----------------------------------------------
AFFINE_OPS = ("Mul", "Div", "Add", "Sub")
Affine = tuple[np.ndarray, np.ndarray]  # (scale, offset): x' = x·scale + offset, one value or one per feature


def affine_step(reader: Reader, node: Any, data: str, affine: Affine) -> Affine | None:
    """``affine`` followed by ``node`` when it is x·c, c·x, x/c, x + c, x − c
    or c − x with a stored c (a number, or one per feature); None when not."""
    ins = list(node.input)
    if len(ins) != 2 or data not in ins or ins[0] == ins[1]:
        return None
    first = ins[0] == data
    other = ins[1] if first else ins[0]
    if not _known(reader, other):
        return None
    c = np.asarray(reader.const(node, other))
    if c.dtype.kind not in "fiu" or c.ndim > 2 or (c.ndim == 2 and c.shape[0] != 1) or c.size == 0:
        return None
    c = c.astype(np.float64).ravel()
    if not np.all(np.isfinite(c)):
        raise reader.fail(node, "a value of its stored operand is not a finite number")
    scale, offset = affine
    sizes = {scale.size, offset.size, c.size} - {1}
    if len(sizes) > 1:
        raise reader.fail(node, f"takes {c.size} values where the input's scaling so far has {max(sizes - {c.size})}")
    op = node.op_type
    if op == "Mul":
        return scale * c, offset * c
    if op == "Div":
        if not first:
            return None  # c / x scales nothing
        if np.any(c == 0):
            raise reader.fail(node, "divides the input by 0")
        return scale / c, offset / c
    if op == "Add":
        return scale, offset + c
    return (scale, offset - c) if first else (-scale, c - offset)


def affine_normalization(reader: Reader, node: Any, affine: Affine, n: int) -> Rescaling:
    """The input scaling as the network's ``Rescaling`` of its ``n`` features."""
    scale, offset = affine
    for name, values in (("scale", scale), ("offset", offset)):
        if values.size not in (1, n):
            raise reader.fail(node, f"scales the input by {values.size} {name} values but the first layer takes "
                              f"{n} inputs")
    return Rescaling(np.broadcast_to(scale, (n,)).astype(np.float32), np.broadcast_to(offset, (n,)).astype(np.float32),
                     name=node.name or "input scaling")
