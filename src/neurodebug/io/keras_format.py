"""Keras models: Keras 3 ``.keras`` archives and legacy ``.h5`` model files.

Read with h5py and the standard library only; Keras itself is never imported.

- ``.keras`` is a zip of ``config.json`` (the model), ``metadata.json`` and
  ``model.weights.h5``, where a layer's variables sit under
  ``layers/<group>/vars/0, 1, …``. The group is named after the layer's
  class (``dense``, ``dense_1``, …, counted in the order the config lists the
  layers); recent Keras 3 releases (3.15 does) also record the layer's name in the
  ``name`` attribute of ``vars``.
- A legacy ``.h5`` holds the model as JSON in the root attribute
  ``model_config`` and the weights under ``model_weights/<layer name>``, whose
  ``weight_names`` attribute lists the datasets in order (kernel, bias).

keras_layers.py turns the chain of layers into neurodebug layers.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from ..engine.network import Network
from .arrays import check_declared
from .errors import MissingExtraError, NetworkFileError, over_limit
from .files import MAX_ARRAY_BYTES, MAX_FILE_BYTES, check_readable
from .keras_config import KerasLayer, parse_model, snake_case
from .keras_layers import Builder
from .json_format import parse_int


def _h5py(path: Path) -> Any:
    try:
        import h5py
    except ImportError:
        raise MissingExtraError(path, "keras", "h5py") from None
    return h5py


def read_keras_network(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> Network:
    """Read a Keras 3 ``.keras`` archive or a legacy ``.h5`` full-model file."""
    p = check_readable(path, limit, pipe_ok=False)
    h5py = _h5py(p)
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise NetworkFileError(p, "", f"cannot read the file ({exc.strerror or exc})") from None
    try:
        if head.startswith(b"PK"):
            return _read_archive(p, h5py, limit)
        if head.startswith(b"\x89HDF"):
            return _read_legacy_h5(p, h5py)
    except NetworkFileError:
        raise
    except (OSError, KeyError, ValueError, TypeError, AttributeError, IndexError, RuntimeError) as exc:
        # h5py and malformed configs can fail in many ways; none may escape as a crash.
        raise NetworkFileError(p, "", f"cannot read the model ({type(exc).__name__}: {exc})") from None
    raise NetworkFileError(p, "", "neither a Keras 3 .keras archive (a zip) nor a Keras .h5 file (HDF5)")


# -- Keras 3 .keras --------------------------------------------------------------
def _check_member(path: Path, name: str) -> None:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":"):
        raise NetworkFileError(path, f"archive member '{name}'", "has an absolute path or '..'; refusing the archive")


def _json(path: Path, place: str, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"), parse_int=parse_int)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NetworkFileError(path, place, f"is not valid JSON ({exc})") from None


def _read_archive(path: Path, h5py: Any, limit: int) -> Network:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            for info in infos:
                _check_member(path, info.filename)
            total = sum(info.file_size for info in infos)
            if total > limit:
                raise NetworkFileError(path, "", over_limit("the archive unpacks to", total, limit))
            names = {info.filename for info in infos}
            if "config.json" not in names:
                raise NetworkFileError(path, "", "no config.json in the archive: not a Keras 3 .keras file")
            if "model.weights.h5" not in names:
                other = sorted(n for n in names if n.startswith("model.weights") or n.endswith(".weights.h5"))
                what = f"weights stored as {', '.join(other)} are not supported" if other else "no model.weights.h5 in the archive"
                raise NetworkFileError(path, "", what)
            config = _json(path, "config.json", zf.read("config.json"))
            metadata = _json(path, "metadata.json", zf.read("metadata.json")) if "metadata.json" in names else {}
            weights = zf.read("model.weights.h5")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError) as exc:
        raise NetworkFileError(path, "", f"not a readable .keras archive ({exc})") from None
    model = parse_model(path, config)
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    try:
        h5 = h5py.File(io.BytesIO(weights), "r")
    except OSError as exc:
        raise NetworkFileError(path, "model.weights.h5", f"is not a readable HDF5 file ({exc})") from None
    with h5:
        _check_self_contained(path, h5, h5py, "model.weights.h5 ")
        version = version if isinstance(version, str) else None
        return Builder(path, model, _Keras3Weights(path, h5, h5py), version).network(_description(version))


class _Keras3Weights:
    """Finds a layer's variables in model.weights.h5: ``layers/<key>/vars``,
    inside a nested model ``layers/<model key>/layers/<key>/vars``."""

    def __init__(self, path: Path, h5: Any, h5py: Any) -> None:
        self.path = path
        self.h5py = h5py
        group = h5.get("layers")
        if not isinstance(group, h5py.Group):
            raise NetworkFileError(path, "model.weights.h5", "has no 'layers' group")
        self.group = group
        self.named: dict[tuple[str, ...], dict[str, Any]] = {}  # per nested model: its vars by their name attribute

    def scope(self, keys: tuple[str, ...], names: tuple[str, ...]) -> Any:
        """The ``layers`` group of the nested model at ``keys`` (the top model's for ()),
        each level found by its name attribute when it has one, else by its key."""
        group = self.group
        for depth, key in enumerate(keys):
            inner = self.by_name(keys[:depth], names[:depth]).get(names[depth]) if depth < len(names) else None
            inner = inner.parent if inner is not None else group.get(key)
            group = inner.get("layers") if isinstance(inner, self.h5py.Group) else None
            if not isinstance(group, self.h5py.Group):
                return None
        return group

    def by_name(self, keys: tuple[str, ...], names: tuple[str, ...]) -> dict[str, Any]:
        """The ``vars`` groups of the model at ``keys`` by their name attribute."""
        if keys not in self.named:
            found: dict[str, Any] = {}
            group = self.scope(keys, names)
            for key in group if group is not None else ():
                vars_group = group[key].get("vars") if isinstance(group[key], self.h5py.Group) else None
                if isinstance(vars_group, self.h5py.Group) and "name" in vars_group.attrs:
                    found[_str(vars_group.attrs["name"])] = vars_group
            self.named[keys] = found
        return self.named[keys]

    def __call__(self, layer: KerasLayer) -> list[np.ndarray]:
        keys = layer.keys or (snake_case(layer.class_name),)
        key = "layers/" + "/layers/".join(keys) + "/vars"
        vars_group = self.by_name(keys[:-1], layer.scope).get(layer.own or layer.name)
        if vars_group is None:
            scope = self.scope(keys[:-1], layer.scope)
            vars_group = scope.get(f"{keys[-1]}/vars") if scope is not None else None
        if not isinstance(vars_group, self.h5py.Group):
            raise NetworkFileError(self.path, layer.label, f"no weights in model.weights.h5 (looked for {key})")
        names = sorted(vars_group, key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else 0, n))
        if any(not n.isdigit() for n in names):
            raise NetworkFileError(self.path, f"model.weights.h5 {vars_group.name}", "expected variables named 0, 1, …")
        return [_dataset(self.path, vars_group, n, self.h5py) for n in names]


# -- legacy .h5 --------------------------------------------------------------------
def _read_legacy_h5(path: Path, h5py: Any) -> Network:
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise NetworkFileError(path, "", f"not a readable HDF5 file ({exc})") from None
    with f:
        _check_self_contained(path, f, h5py)
        raw = f.attrs.get("model_config")
        if raw is None:
            if "layer_names" in f.attrs or "layers" in f or "model_weights" in f:
                raise NetworkFileError(
                    path, "",
                    "the file holds weights only (model.save_weights); save the whole model with model.save('m.keras')",
                )
            raise NetworkFileError(path, "", "an HDF5 file without a Keras model_config attribute: not a Keras model file")
        config = _json(path, "model_config", raw if isinstance(raw, bytes) else _str(raw).encode("utf-8"))
        model = parse_model(path, config)
        weights = f.get("model_weights")
        if not isinstance(weights, h5py.Group):
            raise NetworkFileError(path, "", "no model_weights group: the model was saved without weights")
        raw_version = f.attrs.get("keras_version")
        version = _str(raw_version) if raw_version is not None else None
        return Builder(path, model, _LegacyWeights(path, weights, h5py), version).network(_description(version))


class _LegacyWeights:
    """A layer's arrays under ``model_weights/<layer>``, in the order its
    ``weight_names`` attribute lists them. A nested model's group lists the
    weights of all its layers, each named by its path
    (``outer/inner/dense/kernel`` in Keras 3): a layer's are those whose path
    ends with the layer's (``inner/dense``)."""

    def __init__(self, path: Path, group: Any, h5py: Any) -> None:
        self.path, self.group, self.h5py = path, group, h5py

    def __call__(self, layer: KerasLayer) -> list[np.ndarray]:
        top = layer.scope[0] if layer.scope else (layer.own or layer.name)
        g = self.group.get(top)
        if not isinstance(g, self.h5py.Group):
            return []
        names = [_str(n) for n in np.atleast_1d(g.attrs.get("weight_names", []))]
        if layer.scope:
            names = self.nested(layer, g, names)
        return [_dataset(self.path, g, n, self.h5py) for n in names]

    def nested(self, layer: KerasLayer, group: Any, names: list[str]) -> list[str]:
        want = (*layer.scope, layer.own)
        folders = {n: tuple(n.split("/")[:-1]) for n in names}
        mine = [n for n in names if folders[n][-len(want):] == want]
        if not mine:  # the path may leave out the models around the layer: match its own name
            mine = [n for n in names if folders[n][-1:] == (layer.own,)]
            if len({folders[n] for n in mine}) > 1:
                raise NetworkFileError(
                    self.path, layer.label,
                    f"{group.name} lists weights of more than one layer named '{layer.own}' ({', '.join(mine)}); "
                    "cannot tell which are this layer's",
                )
        return mine


# -- shared helpers ------------------------------------------------------------
def _str(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _str(value[()])
    return str(value)


def _dataset(path: Path, group: Any, name: str, h5py: Any) -> np.ndarray:
    ds = group.get(name)
    if not isinstance(ds, h5py.Dataset):
        raise NetworkFileError(path, f"{group.name}/{name}", "missing, or not an array")
    return np.asarray(ds[()])


def _check_self_contained(path: Path, h5: Any, h5py: Any, prefix: str = "", limit: int = MAX_ARRAY_BYTES) -> None:
    """Before anything is read: every link stays inside the file, every
    dataset's data is stored in it (not in a virtual or external source), and
    no dataset declares more than it holds or than memory allows. HDF5 would
    otherwise follow an external link or a virtual dataset to another file,
    or fill a never-written 2×10¹¹ kernel with zeros."""
    # h5py's visitors stop at the first callback that returns something; an
    # exception raised inside one would be mangled by its lock.
    def link(name: str, target: Any) -> NetworkFileError | None:
        if isinstance(target, h5py.ExternalLink):
            return NetworkFileError(path, f"{prefix}{name}", f"is an external link to '{target.filename}' "
                                    f"({target.path}); only data stored in the file itself is read")
        return None

    problem = h5.visititems_links(link)
    if problem is not None:
        raise problem
    total = 0

    def dataset(name: str, obj: Any) -> NetworkFileError | None:
        nonlocal total
        if not isinstance(obj, h5py.Dataset):
            return None
        place = f"{prefix}{name}"
        if obj.is_virtual:
            return NetworkFileError(path, place, "is a virtual dataset (its data lives in other files); "
                                    "only data stored in the file itself is read")
        if obj.external:
            return NetworkFileError(path, place, f"keeps its data in an external file ('{obj.external[0][0]}'); "
                                    "only data stored in the file itself is read")
        shape = tuple(int(d) for d in (obj.shape or ()))
        try:
            total += check_declared(path, place, shape, obj.dtype, limit=limit)
        except NetworkFileError as exc:
            return exc
        if math.prod(shape) and obj.id.get_storage_size() == 0:
            return NetworkFileError(path, place, "declares data that was never written (it would read as fill values)")
        return None

    problem = h5.visititems(dataset)
    if problem is not None:
        raise problem
    if total > limit:
        raise NetworkFileError(path, prefix.strip(), over_limit("its arrays take, read and converted,", total, limit))


def _description(version: str | None) -> str:
    return f"Keras {version} model" if version else "Keras model"
