"""Our JSON network format: reading with precise errors, writing losslessly.

The reference is docs/network-format.md. Every problem becomes a
NetworkFileError that names the file, the place and what was expected.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.activations import PARAM_NAMES, SUPPORTED_ACTIVATIONS, takers
from ..engine.network import BatchNorm, Layer, Network, Norm, NormAt, Normalization, Rescaling, Sample, Samples
from .arrays import takers_text
from .errors import NetworkFileError, printable
from .files import read_bytes

FORMAT_NAME = "neurodebug-network"
FORMAT_VERSION = 1
DTYPES = ("float64", "float32")

TOP_KEYS = (
    "format", "version", "name", "description", "dtype", "features", "outputs",
    "normalization", "layers", "samples",
)
LAYER_KEYS = ("name", "activation", "W", "b", "neurons", "neuron_names", "norm", *PARAM_NAMES)  # alpha, beta, min, max
NEURON_KEYS = ("name", "w", "b")
SAMPLE_KEYS = ("name", "x", "label", "expected")
NORM_KEYS = ("kind", "name", "mean", "std", "variance")
NORM_KINDS = ("normalization", "batchnorm", "rescaling")
BATCHNORM_KEYS = ("kind", "name", "at", "gamma", "beta", "mean", "variance", "epsilon")
RESCALING_KEYS = ("kind", "name", "at", "scale", "offset")
# Weights and biases may be non-finite (a broken network is what a debugger
# opens); strict JSON has no literal for them, so they are written as strings.
_FILE_NAMES = {"var": "variance"}  # the engine's parameter names as the file spells them
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return f'the string "{v[:20]}"' if len(v) <= 20 else f'the string "{v[:20]}…"'
    if isinstance(v, list):
        return f"a list of {len(v)}"
    return "an object"


class _Reader:
    """Walks the parsed JSON, keeping the path for error messages."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path

    def fail(self, place: str, message: str) -> NetworkFileError:
        return NetworkFileError(self.path, place, message)

    # -- scalar and array checks ---------------------------------------------
    def obj(self, v: Any, place: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(v, dict):
            raise self.fail(place, f"expected an object {{...}}, got {_kind(v)}")
        for key in v:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                also = f" (did you mean '{hint[0]}'?)" if hint else f" (allowed: {', '.join(allowed)})"
                raise self.fail(place, f"unknown field '{key}'{also}")
        return v

    def require(self, d: dict[str, Any], key: str, place: str, what: str) -> Any:
        if key not in d:
            raise self.fail(place, f"missing field '{key}' ({what})")
        return d[key]

    def number(self, v: Any, place: str, finite: bool = True) -> float:
        """A number; with ``finite`` False (weights and biases) also NaN and
        ±∞, written as the strings "NaN", "Infinity", "-Infinity" (strict
        JSON, as neurodebug writes them) or as Python's bare extensions."""
        if not finite and isinstance(v, str) and v in NON_FINITE:
            return NON_FINITE[v]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(place, f"expected a number, got {_kind(v)}")
        try:
            f = float(v)
        except OverflowError:
            f = math.inf if v > 0 else -math.inf
        if finite and not math.isfinite(f):
            raise self.fail(place, f"expected a finite number, got {f} (NaN and Infinity are not allowed)")
        return f

    def text(self, v: Any, place: str, newlines: bool = False) -> str:
        """A string, its control characters escaped (a name reaches the terminal)."""
        if not isinstance(v, str):
            raise self.fail(place, f"expected a string, got {_kind(v)}")
        return printable(v, newlines)

    def names(self, v: Any, place: str, length: int, of: str) -> list[str]:
        if not isinstance(v, list):
            raise self.fail(place, f"expected a list of {length} names, got {_kind(v)}")
        if len(v) != length:
            raise self.fail(place, f"has {len(v)} names but there are {length} {of}")
        return [self.text(s, f"{place}[{i}]") for i, s in enumerate(v)]

    def vector(self, v: Any, place: str, length: int | None = None, what: str = "",
               finite: bool = True) -> np.ndarray:
        if not isinstance(v, list):
            raise self.fail(place, f"expected a list of numbers, got {_kind(v)}")
        fast = _plain_vector(v, finite)
        if fast is not None and (length is None or fast.size == length):
            return fast
        # Something to refuse, or a number to read one by one: each place named.
        values = [self.number(x, f"{place}[{i}]", finite) for i, x in enumerate(v)]
        if length is not None and len(values) != length:
            raise self.fail(place, f"has {len(values)} values, expected {length}{what}")
        if not values:
            raise self.fail(place, "is empty, expected at least one number")
        return np.array(values, dtype=np.float64)

    def matrix(self, v: Any, place: str) -> np.ndarray:
        if not isinstance(v, list) or not v:
            raise self.fail(place, f"expected a non-empty list of rows (inputs × units), got {_kind(v)}")
        fast = _plain_matrix(v)
        if fast is not None:
            return fast
        # Something to refuse, or a number to read one by one ("NaN", a huge
        # integer): number by number, each place named.
        rows: list[list[float]] = []
        for i, row in enumerate(v):
            if not isinstance(row, list):
                raise self.fail(f"{place}[{i}]", f"expected a row (a list of numbers), got {_kind(row)}")
            rows.append([self.number(x, f"{place}[{i}][{k}]", finite=False) for k, x in enumerate(row)])
            if len(rows[i]) != len(rows[0]):
                raise self.fail(
                    place,
                    f"ragged matrix: row {i} has {len(rows[i])} values but row 0 has {len(rows[0])}",
                )
        if not rows[0]:
            raise self.fail(place, "rows are empty, expected at least one unit")
        return np.array(rows, dtype=np.float64)

    # -- the document ----------------------------------------------------------
    def network(self, doc: Any) -> Network:
        doc = self.obj(doc, "top level", TOP_KEYS)
        fmt = doc.get("format", FORMAT_NAME)
        if fmt != FORMAT_NAME:
            raise self.fail("format", f"expected \"{FORMAT_NAME}\", got {_kind(fmt)}")
        if "version" in doc:
            version = self.number(doc["version"], "version")
            if version != FORMAT_VERSION:
                raise self.fail("version", f"version {version:g} is not supported (this neurodebug reads {FORMAT_VERSION})")
        dtype = doc.get("dtype", "float64")
        if dtype not in DTYPES:
            raise self.fail("dtype", f"expected one of {', '.join(DTYPES)}, got {_kind(dtype)}")

        layers_doc = self.require(doc, "layers", "top level", "the list of layers")
        if not isinstance(layers_doc, list):
            raise self.fail("layers", f"expected a list of layers, got {_kind(layers_doc)}")
        if not layers_doc:
            raise self.fail("layers", "the network has no layers, expected at least one")
        layers: list[Layer] = []
        for i, ldoc in enumerate(layers_doc):
            prev = layers[-1] if layers else None
            layers.append(self.layer(ldoc, i, prev))
        n_inputs = layers[0].n_inputs

        features = None
        if "features" in doc:
            features = self.names(doc["features"], "features", n_inputs, "inputs (rows of the first layer's W)")
        outputs = None
        if "outputs" in doc:
            outputs = self.names(doc["outputs"], "outputs", layers[-1].units, "output units")
        norm = None
        if "normalization" in doc:
            norm = self.normalization(doc["normalization"], n_inputs)
        name = self.text(doc.get("name", Path(self.path).stem), "name")
        description = self.text(doc.get("description", ""), "description", newlines=True)

        samples: list[Sample] = []
        samples_doc = doc.get("samples", [])
        if not isinstance(samples_doc, list):
            raise self.fail("samples", f"expected a list of samples, got {_kind(samples_doc)}")
        for i, sdoc in enumerate(samples_doc):
            samples.append(self.sample(sdoc, i, n_inputs, layers[-1], outputs))

        if dtype == "float32":
            for i, layer in enumerate(layers):
                self.to_float32(layer, i, "neurons" in layers_doc[i])
                if layer.norm is not None:
                    self.norm_to_float32(layer.norm, f"layers[{i}] ({layer.name}).norm")
            if norm is not None and norm.kind != "normalization":
                self.norm_to_float32(norm, "normalization")
        net = Network(layers, Samples.of(samples, n_inputs), features, outputs, norm, name, description,
                      source=os.fspath(self.path))
        for i, sample in enumerate(samples):
            too_big = net.first_unrepresentable(sample.x)
            if too_big is not None:
                (_, k), value = too_big
                raise self.fail(f'samples[{i}] ("{sample.name}").x[{k}]',
                                f"{value:g} does not fit dtype {dtype}, expected a number within "
                                f"±{float(np.finfo(net.compute_dtype).max):g}")
        return net

    def norm_to_float32(self, norm: Norm, place: str) -> None:
        for p in norm.PARAMS:
            v = norm.param(p)
            with np.errstate(over="ignore"):
                v32 = v.astype(np.float32)
            bad = np.flatnonzero(~np.isfinite(v32) & np.isfinite(v))
            if bad.size:
                limit = float(np.finfo(np.float32).max)
                raise self.fail(f"{place}.{_FILE_NAMES.get(p, p)}[{int(bad[0])}]",
                                f"{v[bad[0]]:g} does not fit dtype float32, expected a number within ±{limit:g}")
            setattr(norm, p, v32)

    def to_float32(self, layer: Layer, i: int, neurons: bool) -> None:
        """Store the layer as float32, refusing numbers float32 cannot hold."""
        with np.errstate(over="ignore"):
            W, b = layer.W.astype(np.float32), layer.b.astype(np.float32)
        place = f"layers[{i}] ({layer.name})"
        # Only what float32 made non-finite: a weight already NaN or ±∞ stays so.
        bad_w = np.argwhere(~np.isfinite(W) & np.isfinite(layer.W))
        bad_b = np.flatnonzero(~np.isfinite(b) & np.isfinite(layer.b))
        if bad_w.size or bad_b.size:
            if bad_w.size:
                r, c = (int(k) for k in bad_w[0])
                value = layer.W[r, c]
                place += f".neurons[{c}].w[{r}]" if neurons else f".W[{r}][{c}]"
            else:
                j = int(bad_b[0])
                value = layer.b[j]
                place += f".neurons[{j}].b" if neurons else f".b[{j}]"
            limit = float(np.finfo(np.float32).max)
            raise self.fail(place, f"{value:g} does not fit dtype float32, expected a number within ±{limit:g}")
        layer.W, layer.b = W, b

    def layer(self, ldoc: Any, i: int, prev: Layer | None) -> Layer:
        place = f"layers[{i}]"
        ldoc = self.obj(ldoc, place, LAYER_KEYS)
        name = self.text(ldoc.get("name", f"layer{i + 1}"), f"{place}.name")
        place = f"layers[{i}] ({name})"
        act = self.require(ldoc, "activation", place, f"one of {', '.join(SUPPORTED_ACTIVATIONS)}")
        if act not in SUPPORTED_ACTIVATIONS:
            raise self.fail(
                f"{place}.activation",
                f"unknown activation {_kind(act)}; supported: {', '.join(SUPPORTED_ACTIVATIONS)}",
            )
        params = {}
        for key in PARAM_NAMES:
            if key in ldoc:
                if act not in takers(key):
                    raise self.fail(f"{place}.{key}", f"only {takers_text(key)} layer takes '{key}'")
                params[key] = self.number(ldoc[key], f"{place}.{key}")
        n_prev = prev.units if prev else None
        prev_text = f"layer {prev.name} has {prev.units} units" if prev else ""

        if "neurons" in ldoc and ("W" in ldoc or "b" in ldoc):
            # A layer-level 'b' beside 'neurons' would otherwise be silently ignored.
            raise self.fail(place, "give either 'W' and 'b' or 'neurons' (each with its own 'w' and 'b'), not both")
        neuron_names = None
        if "neurons" in ldoc:
            W, b, neuron_names = self.neurons(ldoc["neurons"], place, n_prev, prev_text)
        elif "W" in ldoc:
            W = self.matrix(ldoc["W"], f"{place}.W")
            if n_prev is not None and W.shape[0] != n_prev:
                hint = ""
                if W.shape[1] == n_prev:
                    hint = "; W looks transposed: it is (inputs × units), column j holds neuron j's weights"
                raise self.fail(
                    f"{place}.W",
                    f"W has {W.shape[0]} rows but the previous {prev_text}; "
                    f"expected {n_prev} rows (inputs × units){hint}",
                )
            b_doc = self.require(ldoc, "b", place, f"the bias vector, {W.shape[1]} numbers")
            rows, cols = W.shape
            if prev is None and isinstance(b_doc, list) and len(b_doc) == rows != cols:
                # The first layer has no previous one to check W's rows against: b tells.
                raise self.fail(
                    f"{place}.W",
                    f"W is {rows}×{cols} but b has {rows} values, one per unit; W looks transposed: "
                    f"it is (inputs × units), column j holds neuron j's weights, so expected {cols}×{rows}",
                )
            b = self.vector(b_doc, f"{place}.b", W.shape[1], f" (one per unit: W has {W.shape[1]} columns)",
                            finite=False)
        else:
            raise self.fail(place, "missing field 'W' (inputs × units weights, with 'b') or 'neurons'")
        if "neuron_names" in ldoc:
            if neuron_names and any(neuron_names):
                raise self.fail(f"{place}.neuron_names", "neurons already carry names")
            neuron_names = self.names(ldoc["neuron_names"], f"{place}.neuron_names", W.shape[1], "units")
        if neuron_names is not None:
            # Name the unnamed ones as the engine would, rather than drop every name.
            neuron_names = [n or f"n{j + 1}" for j, n in enumerate(neuron_names)] if any(neuron_names) else None
        norm, at = None, NormAt.Z
        if "norm" in ldoc:
            norm, at = self.layer_norm(ldoc["norm"], f"{place}.norm", W.shape[1])
        try:
            return Layer(name, act, W, b, neuron_names, params=params, norm=norm, norm_at=at)
        except ValueError as exc:  # parameters that do not go together: clip's min ≥ max
            raise self.fail(place, str(exc)) from None

    def neurons(self, v: Any, place: str, n_prev: int | None, prev_text: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        if not isinstance(v, list) or not v:
            raise self.fail(f"{place}.neurons", f"expected a non-empty list of neurons, got {_kind(v)}")
        ws: list[np.ndarray] = []
        bs: list[float] = []
        names: list[str] = []
        for j, ndoc in enumerate(v):
            npl = f"{place}.neurons[{j}]"
            ndoc = self.obj(ndoc, npl, NEURON_KEYS)
            w = self.vector(self.require(ndoc, "w", npl, "the neuron's weights"), f"{npl}.w", finite=False)
            expected = n_prev if n_prev is not None else (len(ws[0]) if ws else None)
            if expected is not None and w.size != expected:
                why = f"the previous {prev_text}" if n_prev is not None else "neuron 0 has " + str(expected)
                raise self.fail(f"{npl}.w", f"has {w.size} weights but {why}; expected {expected}")
            ws.append(w)
            bs.append(self.number(self.require(ndoc, "b", npl, "the neuron's bias, a number"), f"{npl}.b", finite=False))
            names.append(self.text(ndoc.get("name", ""), f"{npl}.name"))
        return np.stack(ws, axis=1), np.array(bs, dtype=np.float64), names

    def normalization(self, v: Any, n_inputs: int) -> Norm:
        """At the input: ``mean`` with ``std``, or with ``variance`` (what
        Keras's Normalization layer stores): x' = (x − mean) / √variance; or,
        with ``"kind"``, a batch norm or rescaling of the inputs."""
        kind = v.get("kind", "normalization") if isinstance(v, dict) else "normalization"
        if kind != "normalization":
            return self.norm(v, "normalization", n_inputs, " (one per input feature)", kind)
        v = self.obj(v, "normalization", NORM_KEYS)
        what = " (one per input feature)"
        mean = self.vector(self.require(v, "mean", "normalization", f"{n_inputs} numbers"), "normalization.mean", n_inputs, what)
        if ("std" in v) == ("variance" in v):
            raise self.fail("normalization", "give one of 'std' or 'variance' (one number per input feature), "
                            f"not {'both' if 'std' in v else 'neither'}")
        key = "std" if "std" in v else "variance"
        spread = self.vector(v[key], f"normalization.{key}", n_inputs, what)
        if (spread <= 0).any():
            k = int(np.flatnonzero(spread <= 0)[0])
            raise self.fail(f"normalization.{key}[{k}]", f"is {spread[k]:g}, expected a positive number")
        name = self.text(v.get("name", "normalization"), "normalization.name")
        return Normalization(mean, spread if key == "std" else np.sqrt(spread), name=name)

    def layer_norm(self, v: Any, place: str, units: int) -> tuple[Norm, NormAt]:
        """A layer's batch norm or rescaling, ``"at": "z"`` (before the
        activation, the default) or ``"a"`` (after it)."""
        kind = v.get("kind") if isinstance(v, dict) else None
        norm = self.norm(v, place, units, " (one per unit)", kind)
        at = v.get("at", "z")
        if at not in ("z", "a"):
            raise self.fail(f"{place}.at", f"expected \"z\" (before the activation) or \"a\" (after it), got {_kind(at)}")
        return norm, NormAt(at)

    def norm(self, v: Any, place: str, n: int, what: str, kind: Any) -> Norm:
        if kind not in ("batchnorm", "rescaling"):
            allowed = "'batchnorm' or 'rescaling'" if place != "normalization" else "'normalization', 'batchnorm' or 'rescaling'"
            raise self.fail(f"{place}.kind", f"expected {allowed}, got {_kind(kind)}")
        keys: tuple[str, ...] = BATCHNORM_KEYS if kind == "batchnorm" else RESCALING_KEYS
        if place == "normalization":
            keys = tuple(k for k in keys if k != "at")
        v = self.obj(v, place, keys)
        name = self.text(v.get("name", kind), f"{place}.name")

        def vec(key: str, default: float | None) -> np.ndarray:
            if key not in v:
                if default is None:
                    raise self.fail(place, f"missing field '{key}' ({n} numbers{what})")
                return np.full(n, default)
            if not isinstance(v[key], list):  # one number for every element, as Keras stores a scale
                return np.full(n, self.number(v[key], f"{place}.{key}", finite=False))
            return self.vector(v[key], f"{place}.{key}", n, what, finite=False)

        try:
            if kind == "rescaling":
                return Rescaling(vec("scale", None), vec("offset", 0.0), name=name)
            var = vec("variance", None)
            eps = self.number(v.get("epsilon", 1e-3), f"{place}.epsilon")
            if eps < 0:
                raise self.fail(f"{place}.epsilon", f"is {eps:g}, expected a number ≥ 0")
            with np.errstate(over="ignore"):  # σ² + ε past float64 is ∞ > 0: allowed, not a warning on stderr
                bad = np.flatnonzero(var + eps <= 0)
            if bad.size:
                k = int(bad[0])
                raise self.fail(f"{place}.variance[{k}]", f"is {var[k]:g}, expected a variance ≥ 0 (with σ² + ε > 0)")
            return BatchNorm(vec("gamma", 1.0), vec("beta", 0.0), vec("mean", None), var, eps, name=name)
        except ValueError as exc:
            raise self.fail(place, str(exc)) from None

    def sample(self, v: Any, i: int, n_inputs: int, last: Layer, outputs: list[str] | None) -> Sample:
        place = f"samples[{i}]"
        v = self.obj(v, place, SAMPLE_KEYS)
        name = self.text(v.get("name", f"sample {i + 1}"), f"{place}.name")
        place = f'samples[{i}] ("{name}")'
        x = self.vector(
            self.require(v, "x", place, f"the input, {n_inputs} numbers"), f"{place}.x", n_inputs,
            f" (the network takes {n_inputs} inputs)",
        )
        label = None
        if "label" in v and v["label"] is not None:
            label = self.label(v["label"], f"{place}.label", last, outputs)
        expected = None
        if "expected" in v and v["expected"] is not None:
            e = v["expected"]
            expected = (
                np.array([self.number(e, f"{place}.expected")])
                if not isinstance(e, list)
                else self.vector(e, f"{place}.expected", last.units, " (one per output unit)")
            )
            if expected.size != last.units:
                raise self.fail(f"{place}.expected", f"has 1 value, expected {last.units} (one per output unit)")
        return Sample(name, x, label, expected)

    def label(self, v: Any, place: str, last: Layer, outputs: list[str] | None) -> int:
        n_classes = 2 if last.units == 1 else last.units
        if isinstance(v, str):
            if outputs and v in outputs:
                return outputs.index(v)
            known = f"one of {', '.join(outputs)}" if outputs else "a class index (the file names no outputs)"
            raise self.fail(place, f'unknown class "{v}", expected {known}')
        # is_integer() is False for NaN and ±Infinity, which int() cannot take.
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
            raise self.fail(place, f"expected a class index, got {_kind(v)}")
        if not 0 <= int(v) < n_classes:
            raise self.fail(place, f"class {int(v)} out of range, expected 0..{n_classes - 1}")
        return int(v)


_PLAIN = frozenset((float, int))


def _plain_matrix(v: list[Any]) -> np.ndarray | None:
    """Rows of plain JSON numbers, all of one length, as float64 at NumPy's
    speed (a 784×128 W: 5 ms instead of 60); None for anything else (a bool,
    a string, a ragged or empty row, an integer beyond float64), which the
    reader then checks number by number. ``float(int)`` and NumPy round an
    integer to float64 alike (to nearest)."""
    first = v[0]
    if type(first) is not list or not first:
        return None
    width = len(first)
    for row in v:
        if type(row) is not list or len(row) != width or not _PLAIN.issuperset(map(type, row)):
            return None
    try:
        return np.array(v, dtype=np.float64)
    except (OverflowError, ValueError, TypeError):
        return None


def _plain_vector(v: list[Any], finite: bool) -> np.ndarray | None:
    """A non-empty list of plain JSON numbers as float64 at NumPy's speed (a
    784-input sample: 0.07 ms instead of 0.4), finite where ``finite`` asks;
    None for anything else, which the reader checks number by number."""
    if not v or not _PLAIN.issuperset(map(type, v)):
        return None
    try:
        values = np.array(v, dtype=np.float64)
    except (OverflowError, ValueError, TypeError):
        return None
    return values if not finite or np.isfinite(values).all() else None


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate field '{key}'")
        out[key] = value
    return out


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}:{col}"


def _duplicate_position(text: str) -> str:
    """line:column of the first key that repeats within its object (the
    parser's hook sees the keys but not where they are)."""
    keys: list[set[str] | None] = []  # per open container: an object's keys so far, None for a list
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            # The decoder's own string scanner: in the json module, but not in typeshed's stubs.
            key, end = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
            j = end
            while j < n and text[j] in " \t\r\n":
                j += 1
            if keys and keys[-1] is not None and j < n and text[j] == ":":
                if key in keys[-1]:
                    return _position(text, i)
                keys[-1].add(key)
            i = end
            continue
        if c == "{":
            keys.append(set())
        elif c == "[":
            keys.append(None)
        elif c in "}]" and keys:
            keys.pop()
        i += 1
    return ""


def parse_int(digits: str) -> int | float:
    """A JSON integer; one too long for a float64 (Python refuses over 4300
    digits) is read as a float, so it is ±∞ like ``1e999``."""
    return int(digits) if len(digits) <= 309 else float(digits)


def parse_json_text(path: str | os.PathLike[str], raw: bytes) -> Any:
    """Decode and parse, reporting bad bytes and syntax with line:column."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", errors="replace")
        raise NetworkFileError(
            path, _position(prefix, len(prefix)), f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); expected a JSON file"
        ) from None
    if not text.strip():
        raise NetworkFileError(path, "", "the file is empty, expected a JSON network")
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates, parse_int=parse_int)
    except json.JSONDecodeError as exc:
        raise NetworkFileError(path, f"line {exc.lineno}:{exc.colno}", f"JSON syntax error: {exc.msg}") from None
    except ValueError as exc:  # a duplicate field
        raise NetworkFileError(path, _duplicate_position(text), str(exc)) from None
    except RecursionError:
        raise NetworkFileError(path, "", "JSON nested too deeply") from None


def network_from_json(doc: Any, path: str | os.PathLike[str] = "<json>") -> Network:
    return _Reader(path).network(doc)


def read_json_network(path: str | os.PathLike[str]) -> Network:
    return network_from_json(parse_json_text(path, read_bytes(path)), path)
