"""Keras model configs (JSON) as a plain chain of layers.

Both Keras 3 (``config.json`` in a ``.keras`` zip) and legacy ``.h5`` files
(the ``model_config`` attribute) describe the model the same way: a
``Sequential`` lists its layers in order; a ``Functional`` model lists layers
with the layers feeding them (``inbound_nodes``), which we walk from the input
to the output, refusing anything that is not a single straight path.

A model used as a layer (a Sequential inside a Sequential, a functional chain
inside either) is flattened into the chain: its layers take its place, named
``<inner model>/<layer>`` (``inner/dense_1``; ``outer_block/inner/dense_1``
when nested twice), so every name says where the layer sits and stays unique.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import NetworkFileError

SEQUENTIAL = ("Sequential",)
FUNCTIONAL = ("Functional", "Model")


MAX_NESTING = 16  # models inside models, deeper than any real file


@dataclass(frozen=True)
class KerasLayer:
    class_name: str
    name: str  # "dense_1", or "inner/dense_1" inside a nested model "inner"
    config: dict[str, Any] = field(hash=False)
    own: str = ""  # the layer's own name in its model ("dense_1")
    scope: tuple[str, ...] = ()  # the names of the models around it, outermost first ("inner",)
    keys: tuple[str, ...] = ()  # its group under layers/ in model.weights.h5, per level ("sequential", "dense_1")

    @property
    def label(self) -> str:
        return f"layer '{self.name}' ({self.class_name})"


@dataclass(frozen=True)
class KerasModel:
    name: str
    chain: list[KerasLayer]  # the order data flows through, nested models flattened


def snake_case(class_name: str) -> str:
    """The group name Keras 3 gives a layer class in model.weights.h5: LeakyReLU → leaky_re_lu."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _layer(path: str | os.PathLike[str], doc: Any, i: int, scope: tuple[str, ...], place: str) -> KerasLayer:
    where = f"{place}layers[{i}]"
    if not isinstance(doc, dict) or not isinstance(doc.get("class_name"), str):
        raise NetworkFileError(path, where, "expected a layer with a class_name")
    config = doc.get("config")
    if not isinstance(config, dict):
        raise NetworkFileError(path, where, "the layer has no config object")
    name = doc.get("name", config.get("name"))
    if not isinstance(name, str) or not name:
        raise NetworkFileError(path, where, "the layer has no name")
    return KerasLayer(doc["class_name"], "/".join((*scope, name)), config, name, scope)


def parse_model(path: str | os.PathLike[str], doc: Any) -> KerasModel:
    """The layers of a Sequential or functional chain, in order, nested models flattened."""
    if not isinstance(doc, dict) or not isinstance(doc.get("class_name"), str):
        raise NetworkFileError(path, "model config", "expected an object with a class_name (a Keras model)")
    kind = doc["class_name"]
    if kind not in SEQUENTIAL + FUNCTIONAL:
        raise NetworkFileError(
            path, "model config",
            f"the model is a {kind}; supported: Sequential models and functional models that are a plain chain",
        )
    config = doc.get("config")
    given = config.get("name") if isinstance(config, dict) else None
    name = given if isinstance(given, str) else "keras model"
    return KerasModel(name, _chain(path, kind, config, (), (), "model config "))


def _chain(path: str | os.PathLike[str], kind: str, config: Any, scope: tuple[str, ...],
           keys: tuple[str, ...], place: str) -> list[KerasLayer]:
    """One (sub)model's layers in the order data flows through them; a model
    among them is replaced by its own layers."""
    if kind in SEQUENTIAL and isinstance(config, list):  # Keras 2.0-era Sequential: the config is the list
        config = {"layers": config}
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise NetworkFileError(path, place.strip(), "has no list of layers")
    listed = [_layer(path, d, i, scope, place) for i, d in enumerate(config["layers"])]
    if not listed:
        raise NetworkFileError(path, place.strip(), "the model has no layers")
    # model.weights.h5 names each layer's group after its class, counted in the order the model lists them.
    seen: dict[str, int] = {}
    for i, layer in enumerate(listed):
        base = snake_case(layer.class_name)
        seen[base] = seen.get(base, -1) + 1
        listed[i] = replace(layer, keys=(*keys, base if seen[base] == 0 else f"{base}_{seen[base]}"))
    order = listed if kind in SEQUENTIAL else _walk_chain(path, config, listed, config["layers"], place)
    flat: list[KerasLayer] = []
    for layer in order:
        if layer.class_name not in SEQUENTIAL + FUNCTIONAL:
            flat.append(layer)
            continue
        if len(layer.scope) + 1 >= MAX_NESTING:
            raise NetworkFileError(path, layer.label, f"models nested more than {MAX_NESTING} deep are not supported")
        flat.extend(_chain(path, layer.class_name, layer.config, (*layer.scope, layer.own), layer.keys,
                           f"{layer.label} "))
    return flat


def _history(value: Any) -> list[str]:
    """Names of the layers a Keras 3 node argument refers to (keras_history)."""
    found: list[str] = []
    if isinstance(value, dict):
        history = value.get("config", {}).get("keras_history") if value.get("class_name") == "__keras_tensor__" else None
        if isinstance(history, list) and history and isinstance(history[0], str):
            found.append(history[0])
        else:
            for v in value.values():
                found.extend(_history(v))
    elif isinstance(value, list):
        for v in value:
            found.extend(_history(v))
    return found


def _inbound(path: str | os.PathLike[str], layer: KerasLayer, doc: dict[str, Any]) -> list[list[str]]:
    """For each call of the layer, the names of the layers feeding it."""
    nodes = doc.get("inbound_nodes", [])
    if not isinstance(nodes, list):
        raise NetworkFileError(path, layer.label, "inbound_nodes is not a list")
    calls: list[list[str]] = []
    for node in nodes:
        if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
            calls.append(_history(node.get("args", [])) + _history(node.get("kwargs", {})))
        elif isinstance(node, list):  # Keras 2: [[name, node_index, tensor_index, kwargs], ...]
            calls.append([ref[0] for ref in node if isinstance(ref, list) and ref and isinstance(ref[0], str)])
        else:
            raise NetworkFileError(path, layer.label, "cannot read its inbound_nodes")
    return calls


def _endpoints(path: str | os.PathLike[str], config: dict[str, Any], key: str, place: str) -> list[str]:
    refs = config.get(key)
    if isinstance(refs, list) and refs and isinstance(refs[0], str):
        refs = [refs]  # Keras 3 writes a single endpoint as one flat [name, 0, 0]
    if not isinstance(refs, list) or not all(isinstance(r, list) and r and isinstance(r[0], str) for r in refs):
        raise NetworkFileError(path, f"{place}{key}", "expected a list of [layer, node, tensor] references")
    return [r[0] for r in refs]


def _walk_chain(path: str | os.PathLike[str], config: dict[str, Any], listed: list[KerasLayer],
                docs: list[Any], place: str = "model config ") -> list[KerasLayer]:
    by_name = {layer.own: layer for layer in listed}
    inputs = _endpoints(path, config, "input_layers", place)
    outputs = _endpoints(path, config, "output_layers", place)
    if len(inputs) != 1 or len(outputs) != 1:
        raise NetworkFileError(
            path, place.strip(),
            f"the model has {len(inputs)} inputs and {len(outputs)} outputs; only one of each is supported",
        )
    consumers: dict[str, list[str]] = {}
    for layer, doc in zip(listed, docs):
        calls = _inbound(path, layer, doc)
        if len(calls) > 1:
            raise NetworkFileError(path, layer.label, f"is called {len(calls)} times (a shared layer); only a plain chain is supported")
        sources = calls[0] if calls else []
        if len(sources) > 1:
            raise NetworkFileError(
                path, layer.label,
                f"takes {len(sources)} inputs ({', '.join(sources)}): a branching graph; only a plain chain is supported",
            )
        for src in sources:
            if src not in by_name:
                raise NetworkFileError(path, layer.label, f"is fed by unknown layer '{src}'")
            consumers.setdefault(src, []).append(layer.own)
    chain = [by_name[inputs[0]]] if inputs[0] in by_name else []
    if not chain:
        raise NetworkFileError(path, f"{place}input_layers", f"names unknown layer '{inputs[0]}'")
    while chain[-1].own != outputs[0]:
        nxt = consumers.get(chain[-1].own, [])
        if len(nxt) != 1:
            what = "feeds nothing, yet is not the output" if not nxt else f"feeds {len(nxt)} layers ({', '.join(nxt)}): a branching graph"
            raise NetworkFileError(path, chain[-1].label, f"{what}; only a plain chain is supported")
        chain.append(by_name[nxt[0]])
        if len(chain) > len(listed):
            raise NetworkFileError(path, place.strip(), "the layers form a cycle")
    on_path = {layer.own for layer in chain}
    if len(on_path) != len(listed):
        stray = next(layer for layer in listed if layer.own not in on_path)
        raise NetworkFileError(path, stray.label, "is not on the path from the input to the output; only a plain chain is supported")
    return chain
