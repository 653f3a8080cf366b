"""NumPy ``.npz`` networks: one array per key, for networks too big for JSON.

The key layout (docs/formats.md has the full table)::

    format                  "neurodebug-network"   optional
    version                 1                      optional
    name, description       strings                optional
    features                n_inputs strings       optional
    outputs                 n_outputs strings      optional
    normalization/mean      n_inputs numbers       optional, with …/std
    normalization/std       n_inputs numbers
    normalization/kind      "batchnorm" or "rescaling": then, instead of std,
                            …/gamma, …/beta, …/mean, …/var, …/epsilon (batch norm)
                            or …/scale, …/offset (rescaling); …/name optional
    layers/<i>/W            inputs × units         i = 0, 1, … with no gaps
    layers/<i>/b            units
    layers/<i>/activation   string
    layers/<i>/name         string                 optional (default layer<i+1>)
    layers/<i>/alpha        number                 optional: leaky_relu, elu, hard_sigmoid
    layers/<i>/beta         number                 optional: hard_sigmoid
    layers/<i>/min, …/max   numbers                optional: clip
    layers/<i>/neuron_names units strings          optional
    layers/<i>/norm/kind    "batchnorm" or "rescaling"  optional, with its
                            parameters as for normalization/ (one per unit)
                            and …/norm/at "z" (before g, default) or "a"
    samples/x               samples × inputs       optional
    samples/names           samples strings        optional
    samples/labels          samples integers, -1 = no label
    samples/expected        samples × outputs, a row of NaN = none

Arrays keep their dtype: float32 weights stay float32. Nothing is unpickled.
A file of W1, b1, W2, b2, … instead (``np.savez`` of a NumPy lab's arrays) is
read by npz_course.py, with the activations from ``--activations``.
"""

from __future__ import annotations

import difflib
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..engine.activations import PARAM_NAMES, SUPPORTED_ACTIVATIONS, takers
from ..engine.network import BatchNorm, Layer, Network, Norm, NormAt, Normalization, Rescaling, Sample
from ..engine.samples import Samples
from .arrays import check_chain, class_labels, make_layer, make_network, numeric, numpy_load, takers_text, text, texts
from .errors import NetworkFileError, over_limit
from .files import MAX_FILE_BYTES, atomic_write, check_readable
from .npz_course import is_course_layout, read_course_npz

FORMAT_NAME = "neurodebug-network"
FORMAT_VERSION = 1

NORM_FIELDS = ("kind", "name", "mean", "std", "gamma", "beta", "var", "epsilon", "scale", "offset")
TOP_KEYS = ("format", "version", "name", "description", "features", "outputs",
            *(f"normalization/{f}" for f in NORM_FIELDS),
            "samples/x", "samples/names", "samples/labels", "samples/expected")
LAYER_FIELDS = ("W", "b", "activation", "name", *PARAM_NAMES, "neuron_names",
                *(f"norm/{f}" for f in NORM_FIELDS if f != "std"), "norm/at")
_LAYER_KEY = re.compile(r"layers/(0|[1-9][0-9]{0,8})/((?:norm/)?[A-Za-z_]+)")  # (a number of at most 9 digits)


def _known_keys(n_layers: int) -> list[str]:
    return list(TOP_KEYS) + [f"layers/{i}/{f}" for i in range(max(n_layers, 1)) for f in LAYER_FIELDS]


class _NpzReader:
    def __init__(self, path: str | os.PathLike[str], arrays: dict[str, Any]) -> None:
        self.path = path
        self.arrays = arrays

    def fail(self, place: str, message: str) -> NetworkFileError:
        return NetworkFileError(self.path, place, message)

    def network(self) -> Network:
        layer_keys: dict[int, dict[str, Any]] = {}
        for key, value in self.arrays.items():
            m = _LAYER_KEY.fullmatch(key)
            if m and m.group(2) in LAYER_FIELDS:
                layer_keys.setdefault(int(m.group(1)), {})[m.group(2)] = value
            elif key not in TOP_KEYS:
                hint = difflib.get_close_matches(key, _known_keys(len(layer_keys)), n=1)
                also = f" (did you mean '{hint[0]}'?)" if hint else " (expected keys like layers/0/W; see docs/formats.md)"
                raise self.fail(key, f"unknown key{also}")
        self.header()
        if not layer_keys:
            raise self.fail("", "no layers: expected arrays layers/0/W, layers/0/b and layers/0/activation")
        if max(layer_keys) >= len(layer_keys):  # a gap (looked for among as many numbers as there are layers)
            first = next(i for i in range(len(layer_keys)) if i not in layer_keys)
            raise self.fail(f"layers/{first}",
                            f"missing, but layers/{max(layer_keys)} exists; number layers 0, 1, 2, … without gaps")
        layers: list[Layer] = []
        for i in range(len(layer_keys)):
            layers.append(self.layer(i, layer_keys[i], layers[-1] if layers else None))
        n_in, n_out = layers[0].n_inputs, layers[-1].units
        a = self.arrays
        features = texts(self.path, "features", a["features"], n_in, "inputs") if "features" in a else None
        outputs = texts(self.path, "outputs", a["outputs"], n_out, "output units") if "outputs" in a else None
        return make_network(
            self.path, layers,
            samples=self.samples(n_in, n_out),
            feature_names=features,
            output_names=outputs,
            normalization=self.normalization(n_in),
            name=text(self.path, "name", a["name"]) if "name" in a else Path(self.path).stem,
            description=text(self.path, "description", a["description"]) if "description" in a else "",
        )

    def header(self) -> None:
        if "format" in self.arrays:
            fmt = text(self.path, "format", self.arrays["format"])
            if fmt != FORMAT_NAME:
                raise self.fail("format", f'expected "{FORMAT_NAME}", got "{fmt}"')
        if "version" in self.arrays:
            version = numeric(self.path, "version", self.arrays["version"], 0)
            if float(version) != FORMAT_VERSION:
                raise self.fail("version", f"version {float(version):g} is not supported (this neurodebug reads {FORMAT_VERSION})")

    def layer(self, i: int, fields: dict[str, Any], prev: Layer | None) -> Layer:
        place = f"layers/{i}"
        for required in ("W", "b", "activation"):
            if required not in fields:
                raise self.fail(f"{place}/{required}", "missing")
        name = text(self.path, f"{place}/name", fields["name"]) if "name" in fields else f"layer{i + 1}"
        W = numeric(self.path, f"{place}/W", fields["W"], 2, " (inputs × units)", finite=False)
        if W.size == 0:
            raise self.fail(f"{place}/W", f"is empty (shape {W.shape[0]}×{W.shape[1]})")
        check_chain(self.path, f"{place}/W", W, prev, "the previous layer")
        b = numeric(self.path, f"{place}/b", fields["b"], 1, f" of {W.shape[1]} biases", finite=False)
        if b.shape != (W.shape[1],):
            rows, cols = W.shape
            if prev is None and b.size == rows:
                raise self.fail(f"{place}/W", f"W is {rows}×{cols} but b has {rows} values, one per unit; W looks "
                                f"transposed: it is (inputs × units), so expected {cols}×{rows}")
            raise self.fail(f"{place}/b", f"has {b.size} values, expected {W.shape[1]} (one per unit: W has {W.shape[1]} columns)")
        activation = text(self.path, f"{place}/activation", fields["activation"])
        if activation not in SUPPORTED_ACTIVATIONS:
            raise self.fail(f"{place}/activation", f'unknown activation "{activation}"; supported: {", ".join(SUPPORTED_ACTIVATIONS)}')
        params = {}
        for key in PARAM_NAMES:
            if key in fields:
                if activation not in takers(key):
                    raise self.fail(f"{place}/{key}", f"only {takers_text(key)} layer takes {key}")
                params[key] = float(numeric(self.path, f"{place}/{key}", fields[key], 0))
        neuron_names = None
        if "neuron_names" in fields:
            neuron_names = texts(self.path, f"{place}/neuron_names", fields["neuron_names"], W.shape[1], "units")
        norm_fields = {k[5:]: v for k, v in fields.items() if k.startswith("norm/")}
        if not norm_fields:
            return make_layer(self.path, place, name, activation, W, b, params, neuron_names)
        norm = self.norm(norm_fields, f"{place}/norm", W.shape[1], "one per unit")
        at = text(self.path, f"{place}/norm/at", norm_fields["at"]) if "at" in norm_fields else "z"
        if at not in ("z", "a"):
            raise self.fail(f"{place}/norm/at", f'expected "z" (before the activation) or "a" (after it), got "{at}"')
        layer = make_layer(self.path, place, name, activation, W, b, params, neuron_names)
        layer.norm, layer.norm_at = norm, NormAt(at)
        return layer

    def norm(self, fields: dict[str, Any], place: str, n: int, what: str) -> Norm:
        """A batch norm or rescaling from its arrays."""
        if "kind" not in fields:
            raise self.fail(f"{place}/kind", 'missing: "batchnorm" or "rescaling"')
        kind = text(self.path, f"{place}/kind", fields["kind"])
        wanted = {"batchnorm": ("gamma", "beta", "mean", "var", "epsilon"), "rescaling": ("scale", "offset")}
        if kind not in wanted:
            raise self.fail(f"{place}/kind", f'expected "batchnorm" or "rescaling", got "{kind}"')
        extra = [k for k in fields if k not in (*wanted[kind], "kind", "name", "at")]
        if extra:
            raise self.fail(f"{place}/{extra[0]}", f"not a parameter of {kind} (expected {', '.join(wanted[kind])})")

        def vec(key: str, default: float | None) -> np.ndarray:
            if key not in fields:
                if default is None:
                    raise self.fail(f"{place}/{key}", f"missing ({n} numbers, {what})")
                return np.full(n, default)
            v = numeric(self.path, f"{place}/{key}", fields[key], None, finite=False)
            if v.ndim == 0 or v.shape == (1,):
                return np.full(n, v.reshape(-1)[0], dtype=v.dtype)
            if v.shape != (n,):
                raise self.fail(f"{place}/{key}", f"has shape {v.shape}, expected {n} numbers ({what})")
            return v

        name = text(self.path, f"{place}/name", fields["name"]) if "name" in fields else kind
        if kind == "rescaling":
            return Rescaling(vec("scale", None), vec("offset", 0.0), name=name)
        var = vec("var", None)
        eps = float(numeric(self.path, f"{place}/epsilon", fields["epsilon"], 0)) if "epsilon" in fields else 1e-3
        if not eps >= 0:
            raise self.fail(f"{place}/epsilon", f"is {eps:g}, expected a number ≥ 0")
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(var + eps <= 0)
        if bad.size:
            raise self.fail(f"{place}/var[{int(bad[0])}]", f"is {var[bad[0]]:g}, expected a variance ≥ 0 (with σ² + ε > 0)")
        return BatchNorm(vec("gamma", 1.0), vec("beta", 0.0), vec("mean", None), var, eps, name=name)

    def normalization(self, n_in: int) -> Norm | None:
        a = self.arrays
        if "normalization/kind" in a:
            fields = {k.split("/", 1)[1]: v for k, v in a.items() if k.startswith("normalization/")}
            if text(self.path, "normalization/kind", fields["kind"]) != "normalization":
                return self.norm(fields, "normalization", n_in, "one per input feature")
        if "normalization/mean" not in a and "normalization/std" not in a:
            return None
        for k in ("mean", "std"):
            if f"normalization/{k}" not in a:
                raise self.fail(f"normalization/{k}", "missing (mean and std come together)")
        mean = numeric(self.path, "normalization/mean", a["normalization/mean"], 1)
        std = numeric(self.path, "normalization/std", a["normalization/std"], 1)
        for k, v in (("mean", mean), ("std", std)):
            if v.size != n_in:
                raise self.fail(f"normalization/{k}", f"has {v.size} values, expected {n_in} (one per input feature)")
        if (std <= 0).any():
            i = int(np.flatnonzero(std <= 0)[0])
            raise self.fail(f"normalization/std[{i}]", f"is {std[i]:g}, expected a positive number")
        return Normalization(mean, std)

    def samples(self, n_in: int, n_out: int) -> Samples | list[Sample]:
        """The samples as one table of arrays (a row costs its numbers, not a Python object each)."""
        a = self.arrays
        if "samples/x" not in a:
            others = [k for k in ("samples/names", "samples/labels", "samples/expected") if k in a]
            if others:
                raise self.fail(others[0], "given without samples/x")
            return []
        x = numeric(self.path, "samples/x", a["samples/x"], 2, " (samples × inputs)")
        if x.shape[1] != n_in:
            raise self.fail("samples/x", f"has {x.shape[1]} columns but the network takes {n_in} inputs")
        n = x.shape[0]
        names = texts(self.path, "samples/names", a["samples/names"], n, "samples") if "samples/names" in a else None
        labels = None
        if "samples/labels" in a:
            raw = np.asarray(a["samples/labels"])
            if raw.dtype.kind not in "iu" or raw.shape != (n,):
                raise self.fail("samples/labels", f"expected {n} integers (-1 for none), got dtype {raw.dtype}, shape {raw.shape}")
            labels = class_labels(self.path, "samples/labels", raw, n_out)
        expected = None
        if "samples/expected" in a:
            e = np.asarray(a["samples/expected"])
            if e.dtype.kind != "f" or e.shape != (n, n_out):
                raise self.fail("samples/expected", f"expected {n}×{n_out} numbers (samples × outputs), got dtype {e.dtype}, shape {e.shape}")
            given = ~np.isnan(e).all(axis=1)  # a row of NaN: no expected output
            bad = np.flatnonzero(given & ~np.isfinite(e).all(axis=1))
            if bad.size:
                i = int(bad[0])
                numeric(self.path, f"samples/expected[{i}]", e[i], 1)  # says which value, and raises
            expected = e.astype(np.float64) if given.any() else None
        try:
            return Samples(x, labels, expected, names)
        except ValueError as exc:
            raise self.fail("samples", str(exc)) from None


def _check_archive(path: str | os.PathLike[str], limit: int) -> None:
    """Refuse a file that is not a zip, or one that would unpack beyond the limit."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError):
        raise NetworkFileError(path, "", "not an .npz archive (a zip of .npy arrays, as np.savez writes)") from None
    except OSError as exc:
        raise NetworkFileError(path, "", f"cannot read the file ({exc.strerror or exc})") from None
    if total > limit:
        raise NetworkFileError(path, "", over_limit("the arrays unpack to", total, limit))


def read_npz_network(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES,
                     activations: str | None = None) -> Network:
    """Read a network from an .npz file laid out as described above, or a
    course-style one (W1, b1, W2, b2, …: npz_course.py), which needs
    ``activations`` ("sigmoid,sigmoid", one per layer) as a .safetensors file does."""
    check_readable(path, limit, pipe_ok=False)
    _check_archive(path, limit)
    arrays = numpy_load(path, "arrays")
    if not isinstance(arrays, dict):
        raise NetworkFileError(path, "", "not an .npz archive (a zip of .npy arrays, as np.savez writes)")
    if is_course_layout(list(arrays)):
        return read_course_npz(path, arrays, activations)
    if activations is not None:
        raise NetworkFileError(path, "--activations", "this .npz names its own activations (layers/<i>/activation); "
                               "only a .safetensors file or a course-style .npz (W1, b1, …) takes them")
    return _NpzReader(path, arrays).network()


def network_to_arrays(net: Network) -> dict[str, np.ndarray]:
    """The .npz arrays of a network, keyed as in the layout above."""
    a: dict[str, np.ndarray] = {
        "format": np.array(FORMAT_NAME),
        "version": np.array(FORMAT_VERSION),
        "name": np.array(net.name),
    }
    if net.description:
        a["description"] = np.array(net.description)
    if net.feature_names:
        a["features"] = np.array(net.feature_names, dtype=str)
    if net.output_names:
        a["outputs"] = np.array(net.output_names, dtype=str)
    if net.normalization is not None:
        a.update(_norm_arrays("normalization", net.normalization))
    for i, layer in enumerate(net.layers):
        a[f"layers/{i}/name"] = np.array(layer.name)
        a[f"layers/{i}/activation"] = np.array(layer.activation)
        a[f"layers/{i}/W"] = np.asarray(layer.W)
        a[f"layers/{i}/b"] = np.asarray(layer.b)
        for key, value in layer.params.items():
            a[f"layers/{i}/{key}"] = np.array(float(value))
        if layer.neuron_names:
            a[f"layers/{i}/neuron_names"] = np.array(layer.neuron_names, dtype=str)
        if layer.norm is not None:
            a.update(_norm_arrays(f"layers/{i}/norm", layer.norm))
            a[f"layers/{i}/norm/at"] = np.array(str(layer.norm_at))
    if net.samples:
        a["samples/x"] = np.stack([np.asarray(s.x) for s in net.samples])
        a["samples/names"] = np.array([s.name for s in net.samples], dtype=str)
        if any(s.label is not None for s in net.samples):
            a["samples/labels"] = np.array([-1 if s.label is None else s.label for s in net.samples], dtype=np.int64)
        if any(s.expected is not None for s in net.samples):
            rows = [np.full(net.n_outputs, np.nan) if s.expected is None else np.asarray(s.expected, dtype=np.float64)
                    for s in net.samples]
            a["samples/expected"] = np.stack(rows)
    return a


def _norm_arrays(prefix: str, norm: Norm) -> dict[str, np.ndarray]:
    a = {f"{prefix}/{p}": np.asarray(v) for p, v in norm.params().items()}
    if isinstance(norm, Normalization):
        return a  # mean and std, as before
    a[f"{prefix}/kind"] = np.array(norm.kind)
    a[f"{prefix}/name"] = np.array(norm.name)
    if isinstance(norm, BatchNorm):
        a[f"{prefix}/epsilon"] = np.array(norm.eps)
    return a


def write_npz_network(net: Network, path: str | os.PathLike[str], overwrite: bool = False,
                      compressed: bool = False) -> Path:
    """Write ``net`` as .npz through a temporary file and a rename.

    Raises FileExistsError when ``path`` exists and ``overwrite`` is False.
    """
    arrays = network_to_arrays(net)
    # Typed loosely: with **arrays, mypy cannot tell that no key is "allow_pickle",
    # a bool keyword of np.savez in NumPy's stubs.
    save: Callable[..., None] = np.savez_compressed if compressed else np.savez
    return atomic_write(path, lambda fh: save(fh, **arrays), overwrite)
