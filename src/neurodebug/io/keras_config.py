"""Keras model configs (JSON) as a plain chain of layers.

Both Keras 3 (``config.json`` in a ``.keras`` zip) and legacy ``.h5`` files
(the ``model_config`` attribute) describe the model the same way: a
``Sequential`` lists its layers in order; a ``Functional`` model lists layers
with the layers feeding them (``inbound_nodes``), which we walk from the input
to the output, refusing anything that is not a single straight path.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import NetworkFileError

SEQUENTIAL = ("Sequential",)
FUNCTIONAL = ("Functional", "Model")


@dataclass(frozen=True)
class KerasLayer:
    class_name: str
    name: str
    config: dict[str, Any] = field(hash=False)

    @property
    def label(self) -> str:
        return f"layer '{self.name}' ({self.class_name})"


@dataclass(frozen=True)
class KerasModel:
    name: str
    chain: list[KerasLayer]  # the order data flows through
    listed: list[KerasLayer]  # the order the config lists them (weights files count in it)


def snake_case(class_name: str) -> str:
    """The group name Keras 3 gives a layer class in model.weights.h5: LeakyReLU → leaky_re_lu."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _layer(path: str | os.PathLike[str], doc: Any, i: int) -> KerasLayer:
    if not isinstance(doc, dict) or not isinstance(doc.get("class_name"), str):
        raise NetworkFileError(path, f"model config layers[{i}]", "expected a layer with a class_name")
    config = doc.get("config")
    if not isinstance(config, dict):
        raise NetworkFileError(path, f"model config layers[{i}]", "the layer has no config object")
    name = doc.get("name", config.get("name"))
    if not isinstance(name, str) or not name:
        raise NetworkFileError(path, f"model config layers[{i}]", "the layer has no name")
    return KerasLayer(doc["class_name"], name, config)


def parse_model(path: str | os.PathLike[str], doc: Any) -> KerasModel:
    """The layers of a Sequential or functional chain, in order."""
    if not isinstance(doc, dict) or not isinstance(doc.get("class_name"), str):
        raise NetworkFileError(path, "model config", "expected an object with a class_name (a Keras model)")
    kind = doc["class_name"]
    config = doc.get("config")
    if kind not in SEQUENTIAL + FUNCTIONAL:
        raise NetworkFileError(
            path, "model config",
            f"the model is a {kind}; supported: Sequential models and functional models that are a plain chain",
        )
    if kind in SEQUENTIAL and isinstance(config, list):  # Keras 2.0-era Sequential: the config is the list
        config = {"layers": config}
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise NetworkFileError(path, "model config", "has no list of layers")
    given = config.get("name")
    name = given if isinstance(given, str) else "keras model"
    listed = [_layer(path, d, i) for i, d in enumerate(config["layers"])]
    if not listed:
        raise NetworkFileError(path, "model config", "the model has no layers")
    for layer in listed:
        if layer.class_name in SEQUENTIAL + FUNCTIONAL:
            raise NetworkFileError(
                path, layer.label,
                "a model nested inside the model is not supported; build one flat Sequential or functional chain",
            )
    if kind in SEQUENTIAL:
        return KerasModel(name, listed, listed)
    return KerasModel(name, _walk_chain(path, config, listed, config["layers"]), listed)


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


def _endpoints(path: str | os.PathLike[str], config: dict[str, Any], key: str) -> list[str]:
    refs = config.get(key)
    if isinstance(refs, list) and refs and isinstance(refs[0], str):
        refs = [refs]  # Keras 3 writes a single endpoint as one flat [name, 0, 0]
    if not isinstance(refs, list) or not all(isinstance(r, list) and r and isinstance(r[0], str) for r in refs):
        raise NetworkFileError(path, f"model config {key}", "expected a list of [layer, node, tensor] references")
    return [r[0] for r in refs]


def _walk_chain(path: str | os.PathLike[str], config: dict[str, Any], listed: list[KerasLayer],
                docs: list[Any]) -> list[KerasLayer]:
    by_name = {layer.name: layer for layer in listed}
    inputs = _endpoints(path, config, "input_layers")
    outputs = _endpoints(path, config, "output_layers")
    if len(inputs) != 1 or len(outputs) != 1:
        raise NetworkFileError(
            path, "model config",
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
            consumers.setdefault(src, []).append(layer.name)
    chain = [by_name[inputs[0]]] if inputs[0] in by_name else []
    if not chain:
        raise NetworkFileError(path, "model config input_layers", f"names unknown layer '{inputs[0]}'")
    while chain[-1].name != outputs[0]:
        nxt = consumers.get(chain[-1].name, [])
        if len(nxt) != 1:
            what = "feeds nothing, yet is not the output" if not nxt else f"feeds {len(nxt)} layers ({', '.join(nxt)}): a branching graph"
            raise NetworkFileError(path, chain[-1].label, f"{what}; only a plain chain is supported")
        chain.append(by_name[nxt[0]])
        if len(chain) > len(listed):
            raise NetworkFileError(path, "model config", "the layers form a cycle")
    on_path = {layer.name for layer in chain}
    if len(on_path) != len(listed):
        stray = next(layer for layer in listed if layer.name not in on_path)
        raise NetworkFileError(path, stray.label, "is not on the path from the input to the output; only a plain chain is supported")
    return chain
