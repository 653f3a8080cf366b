"""The patterns exporters write for one activation or for nothing at all.

``torch.onnx.export`` writes GELU as Div(x, √2), Erf, Add(1), Mul(x), Mul(0.5),
its tanh form as nine Mul/Add/Tanh nodes, SiLU as Mul(x, Sigmoid(x)), Mish
as Mul(x, Tanh(Softplus(x))), Softsign as Div(x, Add(Abs(x), 1)) and, before
opset 14, HardSwish as Mul(x, HardSigmoid(x)). Such a group branches only to recombine the
same tensor, so it is one activation. :func:`activation_group` grows the group
from the layer's output one elementwise node at a time (in the graph's
order) and, each time nothing but one tensor leaves it, evaluates it with
NumPy on a probe and compares it with the engine's activations: a group is
named by what it computes, not by the spelling of its ops.

:func:`fold_constants` computes, once, what only depends on stored tensors
and on the input's shape: a weight fed through ``Transpose`` or ``Cast``,
and the ``Shape``→``Gather``→``Unsqueeze``→``Concat`` that
``x.view(x.size(0), -1)`` makes for its ``Reshape`` (as [0, -1]).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..engine.activations import ACTIVATIONS

# Elementwise ops a group may hold, as NumPy computes them in float64.
_UNARY: dict[str, Callable[[Any], Any]] = {
    "Erf": np.vectorize(math.erf, otypes=[np.float64]),
    "Tanh": np.tanh,
    "Sigmoid": lambda z: 0.5 * (1 + np.tanh(0.5 * z)),
    "Softplus": lambda z: np.logaddexp(0.0, z),
    "Exp": np.exp,
    "Log": np.log,
    "Neg": np.negative,
    "Sqrt": np.sqrt,
    "Identity": lambda z: z,
    "Abs": np.abs,
}
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power,
    "Greater": np.greater, "Less": np.less,
}
GROUP_OPS = frozenset(_UNARY) | frozenset(_BINARY) | {"Where", "Cast", "HardSigmoid"}
# softsign: Div(x, Add(Abs(x), 1)); hard_silu: Mul(x, HardSigmoid(x)), HardSwish before opset 14
CANDIDATES = ("gelu", "gelu_tanh", "silu", "mish", "softplus", "softsign", "hard_silu")
_PROBE = np.concatenate([np.linspace(-12.0, 12.0, 241), [-30.0, -0.3, 0.0, 1e-3, 0.7, 30.0]])
_RTOL = 1e-5  # the float32 constants exporters write (√2, 0.044715, √(2/π)) agree to about 1e-7
_NO_OP_CASTS = (1, 11)  # TensorProto.FLOAT, DOUBLE
_SHAPE_STEPS = ("Shape", "Gather", "Unsqueeze", "Squeeze", "Reshape")  # the batch size, on its way to a Reshape


class Reader(Protocol):
    path: Path
    graph: Any
    constants: dict[str, Any]
    folded: dict[str, np.ndarray]
    origin: dict[str, str]
    per_unit: set[str]

    def fail(self, node: Any, message: str) -> Exception: ...

    def attr(self, node: Any, name: str, default: Any) -> Any: ...

    def const(self, node: Any, name: str) -> np.ndarray: ...


def node_key(node: Any) -> str:
    """A node's first output, which names it for good (protobuf's wrappers come and go, and their ids)."""
    return str(node.output[0]) if node.output else f"#{node.name}"


def _fold_budget(reader: Reader) -> int:
    """The most bytes a joined constant may take: what the file itself holds
    (at least 1 MiB). Exporters leave shapes and small constants to join;
    joining stored tensors can make no more than the file stores unless a
    tensor is joined to itself again and again, 1 KB doubling into gigabytes."""
    try:
        return max(reader.path.stat().st_size, 1 << 20)
    except OSError:
        return 1 << 20


def _known(reader: Reader, name: str) -> bool:
    return name in reader.constants or name in reader.folded


def fold_constants(reader: Reader) -> set[str]:
    """Fill ``reader.folded``; the keys of the nodes it computed (left off the walk)."""
    done: set[str] = set()
    reshaped: set[str] = set()  # Reshapes of a stored parameter: values, not shape steps
    shapes: dict[str, tuple[str, str]] = {}  # tensor -> ("shape" | "batch" | "batch1", of which tensor)
    for node in reader.graph.node:
        op = node.op_type
        ins = list(node.input)
        out = node.output[0] if node.output else ""
        if op == "Transpose" and ins and _known(reader, ins[0]):
            perm = reader.attr(node, "perm", None)
            reader.folded[out] = np.transpose(reader.const(node, ins[0]), perm)
            reader.origin[out] = reader.origin.get(ins[0], ins[0])  # "fc.weight" names the layer as without it
        elif (op == "Cast" and ins and _known(reader, ins[0]) and int(reader.attr(node, "to", 0)) in _NO_OP_CASTS) \
                or (op == "Identity" and ins and _known(reader, ins[0])):  # a tied parameter, another name for it
            reader.folded[out] = reader.const(node, ins[0])
            reader.origin[out] = reader.origin.get(ins[0], ins[0])
        elif op == "CastLike" and len(ins) == 2 and _known(reader, ins[0]):
            # a stored number cast to the data's (float) type, as the unoptimised dynamo export writes Clip's
            # bounds or Softplus's beta: the number is kept
            value = reader.const(node, ins[0])
            if value.dtype.kind not in "fiu":
                continue
            reader.folded[out] = value
        elif op == "Concat" and ins and all(_known(reader, i) for i in ins):  # a shape, left unfolded
            read: dict[str, np.ndarray] = {}  # each input read once, however often it is joined
            parts = [read[i] if i in read else read.setdefault(i, np.atleast_1d(reader.const(node, i))) for i in ins]
            if sum(part.nbytes for part in parts) > _fold_budget(reader):
                continue  # more than the file holds (a tensor joined to itself over and over): refused on the walk
            try:
                reader.folded[out] = np.concatenate(parts, axis=int(reader.attr(node, "axis", 0)))
            except (ValueError, np.exceptions.AxisError):
                continue  # left on the walk, to be refused there by name
        elif op == "Reshape" and len(ins) == 2 and _known(reader, ins[0]) and _known(reader, ins[1]):
            # a stored parameter reshaped (the unoptimised dynamo export's PRelu slope): the same numbers
            value = reader.const(node, ins[0])
            dims = [int(d) for d in np.asarray(reader.const(node, ins[1])).ravel()]
            if not int(reader.attr(node, "allowzero", 0)):  # 0 copies the input's size there
                dims = [value.shape[k] if d == 0 and k < value.ndim else d for k, d in enumerate(dims)]
            try:
                reader.folded[out] = value.reshape(dims)
            except ValueError:
                continue  # left on the walk, to be refused there by name
            reader.origin[out] = reader.origin.get(ins[0], ins[0])
            reshaped.add(node_key(node))
        elif op == "Unsqueeze" and ins and _known(reader, ins[0]):  # a constant, left unfolded by the exporter
            axes = reader.attr(node, "axes", None)
            if axes is None and len(ins) > 1 and _known(reader, ins[1]):
                axes = reader.const(node, ins[1]).ravel().tolist()
            if axes is None:
                continue
            reader.folded[out] = np.expand_dims(reader.const(node, ins[0]), tuple(int(k) for k in axes))
        elif op == "Shape" and ins and int(reader.attr(node, "start", 0)) == 1 and reader.attr(node, "end", None) \
                is not None and int(reader.attr(node, "end", 0)) == 2:
            shapes[out] = ("units", ins[0])  # [units] of a (batch × units) tensor
        elif (op == "Expand" and len(ins) == 2 and shapes.get(ins[1], ("",))[0] == "units" and _known(reader, ins[0])
              and reader.const(node, ins[0]).size == 1):
            # one stored number over every unit: the dynamo export's γ = 1, β = 0 of BatchNorm1d(affine=False)
            reader.folded[out] = np.asarray(reader.const(node, ins[0])).reshape(1)
            reader.per_unit.add(out)
        elif op == "Shape" and ins and int(reader.attr(node, "start", 0)) == 0:
            end = reader.attr(node, "end", None)
            if end is not None and int(end) != 1:
                continue
            shapes[out] = ("shape", ins[0]) if end is None else ("batch1", ins[0])  # x.shape[:1] (dynamo)
        elif op == "Squeeze" and ins and shapes.get(ins[0], ("",))[0] == "batch1":
            axes = reader.attr(node, "axes", None)
            if axes is None and len(ins) > 1 and _known(reader, ins[1]):
                axes = reader.const(node, ins[1]).ravel().tolist()
            if list(axes or [0]) != [0]:
                continue
            shapes[out] = ("batch", shapes[ins[0]][1])
        elif (op == "Reshape" and len(ins) == 2 and shapes.get(ins[0], ("",))[0] in ("batch", "batch1")
              and _known(reader, ins[1])):
            if reader.const(node, ins[1]).astype(np.int64).ravel().tolist() not in ([-1], [1]):
                continue
            shapes[out] = ("batch1", shapes[ins[0]][1])
        elif op == "Gather" and len(ins) == 2 and shapes.get(ins[0], ("",))[0] == "shape" and _known(reader, ins[1]):
            index = reader.const(node, ins[1])
            if index.size != 1 or int(index.ravel()[0]) != 0 or int(reader.attr(node, "axis", 0)) != 0:
                continue
            shapes[out] = ("batch" if index.ndim == 0 else "batch1", shapes[ins[0]][1])
        elif op == "Unsqueeze" and ins and shapes.get(ins[0], ("",))[0] == "batch":
            axes = reader.attr(node, "axes", None)
            if axes is None and len(ins) > 1 and _known(reader, ins[1]):
                axes = reader.const(node, ins[1]).ravel().tolist()
            if list(axes or []) != [0]:
                continue
            shapes[out] = ("batch1", shapes[ins[0]][1])
        elif op == "Concat" and len(ins) == 2 and shapes.get(ins[0], ("",))[0] == "batch1" and _known(reader, ins[1]):
            rest = reader.const(node, ins[1]).astype(np.int64).ravel()
            if rest.size != 1 or not (rest[0] == -1 or rest[0] > 0):
                continue
            reader.folded[out] = np.array([0, rest[0]], dtype=np.int64)  # [batch, -1 or features]
            shapes[out] = ("reshape", shapes[ins[0]][1])
        else:
            continue
        done.add(node_key(node))
    # A shape step whose result feeds nothing but other folded steps is off the walk;
    # one that ends anywhere else is left on it, to be refused there.
    used = {i for n in reader.graph.node if node_key(n) not in done for i in n.input}
    for node in reversed(list(reader.graph.node)):
        if node_key(node) in done - reshaped and node.op_type in _SHAPE_STEPS and node.output[0] in used:
            done.discard(node_key(node))
            used.update(node.input)
    return done


def _evaluate(reader: Reader, nodes: list[Any], start: str, end: str) -> np.ndarray | None:
    values: dict[str, np.ndarray] = {start: _PROBE}
    with np.errstate(all="ignore"):
        for node in nodes:
            args = []
            for name in node.input:
                if name in values:
                    args.append(values[name])
                    continue
                c = np.asarray(reader.const(node, name), dtype=np.float64)
                if c.size != 1:  # a per-unit constant: not an activation
                    return None
                args.append(c.reshape(()))
            op = node.op_type
            if op in _UNARY and len(args) == 1:
                values[node.output[0]] = np.asarray(_UNARY[op](args[0]), dtype=np.float64)
            elif op in _BINARY and len(args) == 2:
                values[node.output[0]] = np.asarray(_BINARY[op](args[0], args[1]), dtype=np.float64)
            elif op == "HardSigmoid" and len(args) == 1:  # max(0, min(1, α·x + β)), ONNX's defaults 0.2, 0.5
                alpha, beta = (float(reader.attr(node, k, d)) for k, d in (("alpha", 0.2), ("beta", 0.5)))
                values[node.output[0]] = np.clip(alpha * args[0] + beta, 0.0, 1.0)
            elif op == "Where" and len(args) == 3:
                values[node.output[0]] = np.where(args[0] != 0, args[1], args[2])
            elif op == "Cast" and len(args) == 1 and int(reader.attr(node, "to", 0)) in (*_NO_OP_CASTS, 9):
                values[node.output[0]] = args[0] if int(reader.attr(node, "to", 0)) != 9 else (args[0] != 0) * 1.0
            else:
                return None
    return values.get(end)


def _which(got: np.ndarray) -> str | None:
    if got.shape != _PROBE.shape or not np.all(np.isfinite(got)):
        return None
    for name in CANDIDATES:
        want = ACTIVATIONS[name](_PROBE)
        if np.allclose(got, want, rtol=_RTOL, atol=1e-7):
            return name
    return None


def activation_group(reader: Reader, start: str, consumers: dict[str, list[Any]]) -> tuple[str, str, int] | None:
    """(engine activation, the group's output tensor, its node count) when the
    elementwise nodes fed by ``start`` compute one of the engine's activations;
    None when they do not (the caller refuses the graph as before)."""
    group: list[Any] = []
    inside = {start}
    members: set[str] = set()
    order = {node_key(n): k for k, n in enumerate(reader.graph.node)}
    while len(group) < 24:
        ready = sorted(
            (n for t in inside for n in consumers.get(t, [])
             if node_key(n) not in members and n.op_type in GROUP_OPS and n.domain in ("", "ai.onnx")
             and all(i in inside or _known(reader, i) for i in n.input if i)),
            key=lambda n: order[node_key(n)])
        if not ready:
            return None
        node = ready[0]
        group.append(node)
        members.add(node_key(node))
        inside.update(o for o in node.output if o)
        leaving = [t for t in inside if any(node_key(n) not in members for n in consumers.get(t, []))
                   or t in (o.name for o in reader.graph.output)]
        if len(group) > 1 and len(leaving) == 1 and leaving[0] != start:
            got = _evaluate(reader, group, start, leaving[0])
            name = _which(got) if got is not None else None
            if name is not None:
                return name, leaving[0], len(group)
    return None
