"""ONNX models, as PyTorch (``torch.onnx.export``, both exporters), skl2onnx and other tools write them.

The graph must be one path from its single input to its output (a
classifier's probabilities, when its label is only derived from them:
``onnx_sklearn.py``). Along it, ``Gemm`` (or ``MatMul`` with an optional ``Add``) makes a
layer and the activation node after it becomes that layer's activation; a
``BatchNormalization`` is the engine's own batch-norm step at the input or in
a layer, before or after its activation (``onnx_norms.py``).
``Gemm``'s ``alpha`` is folded into the weights and ``beta`` into the bias, so
the layer shows the numbers the graph really multiplies by. Several
elementwise nodes that recombine the layer's output into one of the engine's
activations (PyTorch's GELU, SiLU, Mish) are that activation, and what only
depends on stored tensors and the input's shape (a transposed weight, the
batch size of a Reshape) is computed once (``onnx_patterns.py``). The
``onnx`` package parses the file; nothing else from it runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.activations import ONNX_OPS
from ..engine.network import Layer, Network
from ..engine.norms import BatchNorm, Norm
from .arrays import check_chain, make_layer, make_network, numeric
from .errors import MissingExtraError, NetworkFileError
from .files import MAX_FILE_BYTES, check_readable, read_bytes
from .onnx_external import check_declared_tensors, load_external_data
from .onnx_activations import activation_of
from .onnx_norms import batch_norm_of, norm_at, with_norm
from .onnx_patterns import GROUP_OPS, activation_group, fold_constants, node_key
from .onnx_shapes import Tensor as _Tensor
from .onnx_shapes import reshape, squeeze
from .onnx_sklearn import (AFFINE_OPS, DEFAULT_DOMAINS, ML, Affine, affine_normalization, affine_step, check_outputs,
                           complement_columns, complement_layer, outputs_of, scaler_normalization, scaler_of)

ACTIVATION_OPS = ONNX_OPS  # each engine activation names its ONNX ops
SUPPORTED_OPS = (
    "Gemm", "MatMul", "Add (after Gemm or MatMul)", *ACTIVATION_OPS, "Identity", "Dropout",
    "Flatten or Reshape (at the input)", "Constant", "Cast (to float32 or float64)", "Mul or Div by a stored 1",
    "Mul, Div, Add or Sub by stored numbers (at the input: a rescaling, as a MinMaxScaler)",
    "Squeeze, Unsqueeze or Flatten (at the output)", "Transpose (of a weight)",
    "Shape, Gather, Unsqueeze, Concat (the batch size of a Reshape)",
    "GELU, GELU-tanh, SiLU, Mish, Softplus, Softsign and HardSwish written as several elementwise ops",
    "Scaler (ai.onnx.ml, at the input)", "a classifier's label (ArgMax…) and ZipMap, left off",
    "Sub and Concat (1 − p, p) after a one-unit sigmoid layer",
    "BatchNormalization (at the input, or once in a layer: before or after its activation)",
)
_OUTPUT_OPS = ("Squeeze", "Unsqueeze", "Flatten", "Reshape", "Identity", "Cast", "Dropout")
EXPORTER_GRAPH_NAMES = ("main_graph", "torch_jit", "torch-jit-export", "")


def _onnx(path: Path) -> Any:
    try:
        import onnx
        import onnx.numpy_helper  # the submodule this reader uses; fails early if the install is broken
    except ImportError:
        raise MissingExtraError(path, "onnx", "onnx") from None
    return onnx


def read_onnx_network(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> Network:
    """Read an ONNX model made of dense layers and activations."""
    p = check_readable(path, limit)  # a pipe may carry an ONNX model: it is read whole
    onnx = _onnx(p)
    raw = read_bytes(p, limit)
    model = onnx.ModelProto()
    try:
        model.ParseFromString(raw)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise NetworkFileError(p, "", f"not an ONNX model ({type(exc).__name__}: {exc})") from None
    if not model.graph.node:
        raise NetworkFileError(p, "", "not an ONNX model, or one whose graph has no nodes")
    check_declared_tensors(p, model, onnx)
    load_external_data(p, model, onnx, limit)
    try:
        return _GraphReader(p, model, onnx).network()
    except NetworkFileError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError) as exc:
        raise NetworkFileError(p, "", f"cannot read the model ({type(exc).__name__}: {exc})") from None


# -- the graph ---------------------------------------------------------------------
def _layer_name(node: Any, weight_name: str, index: int) -> str:
    """PyTorch's module path ("fc1.weight" → "fc1"), else the node's name."""
    if weight_name.endswith(".weight") and weight_name != ".weight":
        return weight_name.removesuffix(".weight")
    name = node.name.strip("/")
    for suffix in ("/Gemm", "/MatMul"):
        name = name.removesuffix(suffix)
    if name and name.rstrip("0123456789") != node.op_type:  # "MatMul1" (skl2onnx) names nothing
        return name
    return f"layer{index + 1}"


class _GraphReader:
    def __init__(self, path: Path, model: Any, onnx: Any) -> None:
        self.path = path
        self.model = model
        self.onnx = onnx
        self.graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
        self.constants: dict[str, Any] = {t.name: t for t in self.graph.initializer}
        for node in self.graph.node:
            if node.op_type == "Constant":
                self.constants[node.output[0]] = self.constant_value(node)
        self.folded: dict[str, np.ndarray] = {}
        self.origin: dict[str, str] = {}  # a folded weight's stored tensor
        self.per_unit: set[str] = set()  # folded tensors of one number meant for every unit
        self.absorbed = fold_constants(self)  # nodes computed from stored tensors and the input's shape
        self.at_output = False  # after a Squeeze or Unsqueeze: only reshapes to the output
        self.layers: list[Layer] = []
        self.bias_open = False  # an Add may still fold into the last layer's bias
        self.scaler: tuple[Any, np.ndarray, np.ndarray] | None = None  # a Scaler at the input: (node, offset, scale)
        self.input_bn: tuple[Any, BatchNorm] | None = None  # a BatchNormalization at the input
        self.input_affine: tuple[Any, Affine] | None = None  # Mul, Add… by stored numbers at the input (its first node)

    def fail(self, node: Any, message: str) -> NetworkFileError:
        return NetworkFileError(self.path, f"node '{node.name or node.op_type}' ({node.op_type})", message)

    def const(self, node: Any, name: str) -> np.ndarray:
        if name in self.folded:
            return self.folded[name]
        if name not in self.constants:
            raise self.fail(node, f"input '{name}' is computed, not stored; only one computed input per node is supported (a branching graph)")
        try:
            arr = self.onnx.numpy_helper.to_array(self.constants[name])
        except Exception as exc:  # unsupported tensor encodings
            raise self.fail(node, f"cannot read tensor '{name}' ({exc})") from None
        if arr.dtype.kind not in "fiub" and arr.dtype.itemsize == 2:
            arr = arr.astype(np.float32)  # bfloat16 and friends
        return np.asarray(arr)

    def constant_value(self, node: Any) -> Any:
        """A Constant's tensor: its 'value', or a number or list of numbers
        (value_float, value_ints… as the dynamo exporter writes them without optimising)."""
        kinds = {"value_float": np.float32, "value_floats": np.float32, "value_int": np.int64, "value_ints": np.int64}
        for a in node.attribute:
            if a.name == "value":
                return a.t
            if a.name in kinds:
                values = np.asarray(self.onnx.helper.get_attribute_value(a), dtype=kinds[a.name])
                return self.onnx.numpy_helper.from_array(values, node.output[0])
        raise self.fail(node, "a Constant that holds no tensor or numbers (value, value_float(s), value_int(s)) is not supported")

    def attr(self, node: Any, name: str, default: Any) -> Any:
        for a in node.attribute:
            if a.name == name:
                return self.onnx.helper.get_attribute_value(a)
        return default

    # -- walking ---------------------------------------------------------------------
    def network(self) -> Network:
        inputs = [i for i in self.graph.input if i.name not in self.constants]
        if len(inputs) != 1:
            raise NetworkFileError(self.path, "graph", f"has {len(inputs)} inputs and {len(self.graph.output)} outputs; "
                                   "only one of each is supported")
        outputs = outputs_of(self)  # a classifier's label branch and ZipMap are left off the walk
        self.absorbed |= outputs.skipped
        consumers: dict[str, list[Any]] = {}
        for node in self.graph.node:
            if node.op_type == "Constant" or node_key(node) in self.absorbed:
                continue
            for name in node.input:
                if name and name not in self.constants and name not in self.folded:
                    consumers.setdefault(name, []).append(node)
        current = _Tensor(inputs[0].name, self.input_dims(inputs[0]))
        visited = 0
        while current.name != outputs.end:
            nodes = consumers.get(current.name, [])
            if self.layers and not self.at_output and any(n.op_type in GROUP_OPS for n in nodes):
                group = activation_group(self, current.name, consumers)
                if group is not None:
                    activation, end, count = group
                    self.activate(nodes[0], current, (activation, {}))
                    self.bias_open = False
                    current = _Tensor(end, current.dims, current.feature_major)
                    visited += count
                    continue
            columns = complement_columns(self, current.name, nodes) if self.layers and not current.feature_major else None
            if columns is not None:  # a binary classifier's (1 − p, p)
                end, q_column = columns
                self.layers[-1] = complement_layer(self, nodes[1], self.layers[-1], q_column)
                self.bias_open = False
                current = _Tensor(end, [2], False)
                visited += 2
                continue
            if len(nodes) != 1:
                what = "is used by no node and is not the graph's output" if not nodes else (
                    f"feeds {len(nodes)} nodes ({', '.join(n.name or n.op_type for n in nodes)}): a branching graph")
                raise NetworkFileError(self.path, f"tensor '{current.name}'", f"{what}; only a plain chain is supported")
            node = nodes[0]
            current = self.step(node, current)
            visited += 1
            if visited > len(self.graph.node):
                raise NetworkFileError(self.path, "graph", "the nodes form a cycle")
        stray = len([n for n in self.graph.node if n.op_type != "Constant" and node_key(n) not in self.absorbed]) - visited
        if stray:
            raise NetworkFileError(self.path, "graph", f"{stray} node(s) are not on the path from the input to the output; only a plain chain is supported")
        if not self.layers:
            raise NetworkFileError(self.path, "graph", "has no Gemm or MatMul: no layer to step through")
        check_outputs(self.path, outputs, current.feature_major, self.layers[-1].units)
        normalization: Norm | None = None
        if self.scaler is not None:
            node, offset, scale = self.scaler
            normalization = scaler_normalization(self, node, offset, scale, self.layers[0].n_inputs)
        if self.input_affine is not None:
            node, affine = self.input_affine
            normalization = affine_normalization(self, node, affine, self.layers[0].n_inputs)
        if self.input_bn is not None:
            node, normalization = self.input_bn
            if normalization.size != self.layers[0].n_inputs:
                raise self.fail(node, f"has {normalization.size} values but the first layer takes "
                                f"{self.layers[0].n_inputs} inputs")
        name = self.graph.name if self.graph.name not in EXPORTER_GRAPH_NAMES else self.path.stem
        producer = " ".join(s for s in (self.model.producer_name, self.model.producer_version) if s)
        return make_network(self.path, self.layers, name=name, normalization=normalization,
                            output_names=outputs.labels,
                            description=f"ONNX model from {producer}" if producer else "ONNX model")

    def input_dims(self, value_info: Any) -> list[int | None] | None:
        shape = value_info.type.tensor_type.shape if value_info.type.HasField("tensor_type") else None
        if shape is None or not shape.dim:
            return None
        return [d.dim_value if d.HasField("dim_value") else None for d in shape.dim][1:]

    def step(self, node: Any, x: _Tensor) -> _Tensor:
        data = [i for i in node.input if i and i not in self.constants and i not in self.folded]
        if data != [x.name]:
            raise self.fail(node, "takes more than one computed input (a branching graph); only a plain chain is supported")
        op = node.op_type
        out = node.output[0]
        for extra in node.output[1:]:
            if extra and (any(extra in n.input for n in self.graph.node) or extra in (o.name for o in self.graph.output)):
                raise self.fail(node, f"its second output '{extra}' is used; only a plain chain is supported")
        if node.domain not in DEFAULT_DOMAINS and not (node.domain == ML and op == "Scaler"):
            raise self.fail(node, f"op {op} of domain '{node.domain}' is not supported; supported: {', '.join(SUPPORTED_OPS)}")
        if self.at_output and op not in _OUTPUT_OPS:
            raise self.fail(node, "after a Squeeze or Unsqueeze only reshapes to the output are supported")
        if op in ("Identity", "Dropout"):
            return _Tensor(out, x.dims, x.feature_major)
        if op in ("Mul", "Div") and self.is_one(node, x.name):
            return _Tensor(out, x.dims, x.feature_major)  # the dynamo exporter's unoptimised scale of 1
        if op == "BatchNormalization":
            self.batch_norm(node, x)
            return _Tensor(out, x.dims, x.feature_major)
        if op == "Scaler":
            if self.layers or self.input_norm() is not None or x.feature_major:
                raise self.fail(node, "a Scaler is supported only at the input, once, before the first layer")
            self.scaler = (node, *scaler_of(self, node))
            return _Tensor(out, x.dims, x.feature_major)
        if op in AFFINE_OPS and not self.layers and not x.feature_major:  # MinMaxScaler: Mul, then Add
            so_far = (np.ones(1), np.zeros(1)) if self.input_affine is None else self.input_affine[1]
            affine = affine_step(self, node, x.name, so_far)
            if affine is not None:
                prior = self.input_norm()
                if self.input_affine is None and prior is not None:  # after a Scaler or a BatchNormalization
                    raise self.second_input_norm(node, prior)
                self.input_affine = (node if self.input_affine is None else self.input_affine[0], affine)
                return _Tensor(out, x.dims, x.feature_major)
        if op == "Cast":
            to = int(self.attr(node, "to", 0))
            if to not in (self.onnx.TensorProto.FLOAT, self.onnx.TensorProto.DOUBLE):
                raise self.fail(node, f"a Cast to {self.onnx.TensorProto.DataType.Name(to) if to in self.onnx.TensorProto.DataType.values() else to} "
                                "is not supported (only to float32 or float64, which change nothing here)")
            return _Tensor(out, x.dims, x.feature_major)
        if op in ("Squeeze", "Unsqueeze"):
            return squeeze(self, node, x, out)
        if self.at_output and op in ("Flatten", "Reshape"):
            return _Tensor(out, x.dims, x.feature_major)
        if op in ("Flatten", "Reshape"):
            return reshape(self, node, x, out)
        if op == "Gemm":
            self.bias_open = True
            return self.gemm(node, x, out)
        if op == "MatMul":
            self.bias_open = True
            return self.matmul(node, x, out)
        if op == "Add":
            return self.add(node, x, out)
        if op in ACTIVATION_OPS:
            self.activate(node, x)
            self.bias_open = False
            return _Tensor(out, x.dims, x.feature_major)
        raise self.fail(node, f"op {op} is not supported; supported: {', '.join(SUPPORTED_OPS)}")

    # -- ops -------------------------------------------------------------------------
    def batch_norm(self, node: Any, x: _Tensor) -> None:
        """A BatchNormalization: the input's normalisation, or the last layer's norm (before or after its
        activation); never folded into the weights."""
        norm = batch_norm_of(self, node, x.dims, x.feature_major)
        if not self.layers:
            prior = self.input_norm()
            if prior is not None:
                raise self.second_input_norm(node, prior)
            self.input_bn = (node, norm)
            return
        last = self.layers[-1]
        self.layers[-1] = with_norm(self.path, node, last, norm, norm_at(self, node, last))
        self.bias_open = False

    def input_norm(self) -> Any | None:
        """The node of the input's normalisation read so far (a Scaler, a BatchNormalization, the first
        of a Mul, Add… scaling); None before one."""
        return next((step[0] for step in (self.scaler, self.input_bn, self.input_affine) if step is not None), None)

    def second_input_norm(self, node: Any, prior: Any) -> NetworkFileError:
        return self.fail(node, f"a second normalisation at the input (after node '{prior.name or prior.op_type}') "
                         "is not supported")

    def is_one(self, node: Any, data: str) -> bool:
        """``node`` is data·1, 1·data or data/1 with a stored 1: it changes nothing."""
        ins = list(node.input)
        if len(ins) != 2 or data not in ins or (node.op_type == "Div" and ins[0] != data):
            return False
        other = ins[1] if ins[0] == data else ins[0]
        if other not in self.constants and other not in self.folded:
            return False
        value = self.const(node, other)
        return value.dtype.kind in "fiu" and value.size == 1 and float(value.ravel()[0]) == 1.0

    def weights(self, node: Any, name: str) -> np.ndarray:
        arr = self.const(node, name)
        return numeric(self.path, f"node '{node.name or node.op_type}' ({node.op_type}) weight '{name}'", arr, 2, finite=False)

    def gemm(self, node: Any, x: _Tensor, out: str) -> _Tensor:
        alpha = float(self.attr(node, "alpha", 1.0))
        beta = float(self.attr(node, "beta", 1.0))
        trans_a = int(self.attr(node, "transA", 0))
        trans_b = int(self.attr(node, "transB", 0))
        if len(node.input) < 2:
            raise self.fail(node, "Gemm needs two inputs")
        if node.input[0] == x.name:
            # Y = x' · op(B): the data is A, batch-first after its transpose.
            if bool(trans_a) != x.feature_major:
                raise self.fail(node, "the data arrives with its samples as columns (transA) where rows are expected")
            B = self.weights(node, node.input[1])
            W, weight_name, feature_major = (B.T if trans_b else B), node.input[1], False
        else:
            # Y = op(A) · x': the data is B and samples come out as columns.
            if bool(trans_b) == x.feature_major:
                raise self.fail(node, "the data arrives with its samples as rows (transB) where columns are expected")
            A = self.weights(node, node.input[0])
            W, weight_name, feature_major = (A if trans_a else A.T), node.input[0], True
        if alpha != 1.0:
            W = self.scaled(node, W, alpha, "alpha", "weights")
        bias = None
        if len(node.input) > 2 and node.input[2]:
            bias = self.bias(node, node.input[2], W.shape[1], feature_major)
            if beta != 1.0:
                bias = self.scaled(node, bias, beta, "beta", "bias")
        self.add_layer(node, x, W, bias, weight_name)
        return _Tensor(out, [W.shape[1]], feature_major)

    def scaled(self, node: Any, values: np.ndarray, factor: float, name: str, what: str) -> np.ndarray:
        """``factor`` (Gemm's alpha or beta) folded into the values, refused when
        it is not finite or when folding it overflows the values' precision."""
        if not np.isfinite(factor):
            raise self.fail(node, f"{name} = {factor} is not a finite number")
        # One correctly rounded product, as the values' own precision would give.
        with np.errstate(over="ignore", invalid="ignore"):
            out = (values.astype(np.float64) * factor).astype(values.dtype)
        broke = np.isfinite(values) & ~np.isfinite(out)
        if broke.any():
            raise self.fail(node, f"{name} = {factor:g} times the {what} overflows {out.dtype} "
                            f"(at {tuple(int(i) for i in np.argwhere(broke)[0])})")
        return out

    def matmul(self, node: Any, x: _Tensor, out: str) -> _Tensor:
        if len(node.input) != 2:
            raise self.fail(node, "a MatMul needs two inputs")
        if node.input[0] == x.name:
            if x.feature_major:
                raise self.fail(node, "the data arrives with its samples as columns where rows are expected")
            W, weight_name = self.weights(node, node.input[1]), node.input[1]
            self.add_layer(node, x, W, None, weight_name)
            return _Tensor(out, [W.shape[1]], False)
        if not x.feature_major:
            raise self.fail(node, "the data arrives with its samples as rows where columns are expected")
        A, weight_name = self.weights(node, node.input[0]), node.input[0]
        self.add_layer(node, x, A.T, None, weight_name)
        return _Tensor(out, [A.shape[0]], True)

    def bias(self, node: Any, name: str, units: int, feature_major: bool) -> np.ndarray:
        c = numeric(self.path, f"node '{node.name or node.op_type}' ({node.op_type}) bias '{name}'", self.const(node, name),
                    finite=False)
        if c.size == 1:
            return np.full(units, c.ravel()[0], dtype=c.dtype)
        fits = c.shape in ((units, 1),) if feature_major else c.shape in ((units,), (1, units))
        if not fits:
            raise self.fail(node, f"the bias '{name}' has shape {c.shape}, which does not give one value per unit ({units})")
        return c.ravel()

    def add_layer(self, node: Any, x: _Tensor, W: np.ndarray, b: np.ndarray | None, weight_name: str) -> None:
        place = f"node '{node.name or node.op_type}' ({node.op_type})"
        prev = self.layers[-1] if self.layers else None
        check_chain(self.path, place, W, prev, "the previous layer")
        if prev is None and x.dims is not None and len(x.dims) != 1:
            raise self.fail(node, f"the input has shape {x.dims}; add a Flatten before the first Gemm or MatMul")
        if prev is None and x.dims and x.dims[0] is not None and x.dims[0] != W.shape[0]:
            raise self.fail(node, f"the weights take {W.shape[0]} inputs but the graph input has {x.dims[0]} features")
        if b is None:
            b = np.zeros(W.shape[1], dtype=W.dtype)
        name = _layer_name(node, self.origin.get(weight_name, weight_name), len(self.layers))
        self.layers.append(make_layer(self.path, place, name, "linear", W, b))

    def add(self, node: Any, x: _Tensor, out: str) -> _Tensor:
        if not self.layers or not self.bias_open:
            raise self.fail(node, "an Add is supported only right after a Gemm or MatMul (as its bias)")
        last = self.layers[-1]
        others = [i for i in node.input if i != x.name]
        if len(node.input) != 2 or len(others) != 1:
            raise self.fail(node, "an Add needs the layer's output and one constant bias")
        other = others[0]
        extra = self.bias(node, other, last.units, x.feature_major)
        b = last.b + extra.astype(last.b.dtype, copy=False)
        layer = make_layer(self.path, f"node '{node.name or node.op_type}'", last.name, last.activation, last.W, b, last.params)
        self.layers[-1] = with_norm(self.path, node, layer, last.norm, last.norm_at)
        return _Tensor(out, x.dims, x.feature_major)

    def activate(self, node: Any, x: _Tensor, known: tuple[str, dict[str, float]] | None = None) -> None:
        if not self.layers:
            raise self.fail(node, "an activation before the first Gemm or MatMul is not supported")
        last = self.layers[-1]
        if last.activation != "linear":
            raise self.fail(node, f"follows layer '{last.name}', which already applies {last.activation}; a neurodebug layer applies one activation")
        activation, params = known or activation_of(self, node, x.feature_major)
        place = f"node '{node.name or node.op_type}' ({node.op_type})"
        layer = make_layer(self.path, place, last.name, activation, last.W, last.b, params)
        self.layers[-1] = with_norm(self.path, node, layer, last.norm, last.norm_at)
