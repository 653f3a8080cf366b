"""Course-style ``.npz``: the arrays of a NumPy lab, saved as they are.

``np.savez("net.npz", W1=W1, b1=b1, W2=W2, b2=b2)`` holds weights but no
activations, so they come from the command line, as for a ``.safetensors``
file: ``neurodebug net.npz --activations sigmoid,sigmoid``. The keys::

    W1, b1, W2, b2, …     W (inputs × units), b (units, or 1 × units); also
                          w1, B1; numbered from 1 (or 0) without gaps
    X  (or x, X_tstn)     optional: samples × inputs (one sample: a vector).
                          X_tstn is already normalised, so it never comes
                          with mean/variance
    y  (or Y)             optional: one per sample; integers are class labels,
                          floats expected outputs (samples × outputs)
    mean, variance        optional: the input normalisation,
    (or mean, std)        x' = (x − mean) / √variance (Keras's Normalization)

A file with ``layers/0/W`` keys is neurodebug's own layout (npz_format.py).
"""

from __future__ import annotations

import difflib
import re
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.network import Layer, Network, Normalization
from ..engine.samples import Samples
from .arrays import check_chain, class_labels, make_layer, make_network, numeric
from .errors import NetworkFileError
from .safetensors_format import example_activations, parse_activations

_W = re.compile(r"[Ww](0|[1-9][0-9]{0,8})")  # (layer numbers of at most 9 digits)
_B = re.compile(r"[Bb](0|[1-9][0-9]{0,8})")
SAMPLE_KEYS = ("X", "x", "X_tstn")
TARGET_KEYS = ("y", "Y")
NORM_KEYS = ("mean", "variance", "std")
OTHER_KEYS = (*SAMPLE_KEYS, *TARGET_KEYS, *NORM_KEYS)


def is_course_layout(keys: list[str]) -> bool:
    """W1-style weights and none of neurodebug's own layers/… keys."""
    return any(_W.fullmatch(k) for k in keys) and not any(k.startswith("layers/") for k in keys)


def _course_keys(n: int, base: int) -> list[str]:
    return [f"{c}{i}" for i in range(base, base + max(n, 1)) for c in "Wb"] + list(OTHER_KEYS)


def example_flag(n: int) -> str:
    return "--activations " + ",".join(["sigmoid"] * n)


class _CourseReader:
    def __init__(self, path: str | os.PathLike[str], arrays: dict[str, Any]) -> None:
        self.path = path
        self.a = arrays

    def fail(self, place: str, message: str) -> NetworkFileError:
        return NetworkFileError(self.path, place, message)

    def network(self, activations: str | None) -> Network:
        weights: dict[int, str] = {}
        biases: dict[int, str] = {}
        for key in self.a:
            if (m := _W.fullmatch(key)) is not None:
                self._once(weights, int(m.group(1)), key)
            elif (m := _B.fullmatch(key)) is not None:
                self._once(biases, int(m.group(1)), key)
            elif key not in OTHER_KEYS:
                base = min(weights, default=1)
                hint = difflib.get_close_matches(key, _course_keys(len(weights), base), n=1)
                also = f" (did you mean '{hint[0]}'?)" if hint else \
                    " (a course-style .npz holds W1, b1, W2, b2, …, and optionally X, y, mean, variance; see docs/formats.md)"
                raise self.fail(key, f"unknown key{also}")
        base = min(weights)
        if base not in (0, 1):
            raise self.fail(weights[base], "the first layer's weights must be W1 (or W0)")
        order = list(range(base, base + len(weights)))  # a gap: one of these is missing (none past the last)
        for i in order:
            if i not in weights:
                raise self.fail(f"W{i}", f"missing, but W{max(weights)} exists; number the layers without gaps")
            if i not in biases:
                raise self.fail(f"b{i}", f"missing: {weights[i]} needs its biases, one per unit")
        extra = sorted(set(biases) - set(weights))
        if extra:
            raise self.fail(biases[extra[0]], f"has no W{extra[0]} beside it")
        n = len(order)
        names = [weights[i] for i in order]
        if activations is None:
            raise self.fail("", f"holds weights but no activations: {n} layer{'' if n == 1 else 's'} "
                            f"({', '.join(names)}); add {example_flag(n)} (one per layer, in order)")
        try:
            acts = parse_activations(self.path, activations, names)
        except NetworkFileError as exc:
            message = exc.message.replace("Linear layer", "layer")
            message = message.replace(f"--activations {example_activations(n)}", example_flag(n))
            raise self.fail(exc.place, message) from None
        x = self.inputs()
        layers: list[Layer] = []
        for k, (i, (activation, params)) in enumerate(zip(order, acts)):
            layers.append(self.layer(weights[i], biases[i], activation, params, layers[-1] if layers else None, x, k))
        return make_network(self.path, layers, normalization=self.normalization(layers[0].n_inputs),
                            samples=[] if x is None else self.samples(x, layers[-1].units),
                            name=Path(self.path).stem)

    def _once(self, found: dict[int, str], i: int, key: str) -> None:
        if i in found:
            raise self.fail(key, f"given twice, as {found[i]} and {key}")
        found[i] = key

    def layer(self, w_key: str, b_key: str, activation: str, params: dict[str, float], prev: Layer | None,
              x: np.ndarray | None, k: int) -> Layer:
        W = numeric(self.path, w_key, self.a[w_key], 2, " (inputs × units)", finite=False)
        if W.size == 0:
            raise self.fail(w_key, f"is empty (shape {W.shape[0]}×{W.shape[1]})")
        rows, cols = W.shape
        transposed = f"{w_key} looks transposed: it is (inputs × units), as in the course; save {w_key}.T"
        check_chain(self.path, w_key, W, prev, "the previous layer")
        if prev is None and x is not None and x.shape[1] != rows:
            why = transposed if x.shape[1] == cols else f"{w_key} takes {rows} inputs"
            raise self.fail(w_key, f"is {rows}×{cols} but the samples have {x.shape[1]} inputs; {why}")
        b = numeric(self.path, b_key, self.a[b_key], None, finite=False)
        if b.size != cols or b.ndim > 2 or (b.ndim == 2 and 1 not in b.shape):
            if prev is None and b.size == rows != cols:
                raise self.fail(w_key, f"is {rows}×{cols} but {b_key} has {rows} values, one per unit; {transposed}")
            shape = "×".join(map(str, b.shape)) or "a single number"
            raise self.fail(b_key, f"has shape {shape}, expected {cols} values (one per unit: {w_key} is {rows}×{cols})")
        return make_layer(self.path, w_key, f"layer{k + 1}", activation, W, b.reshape(cols), params)

    def inputs(self) -> np.ndarray | None:
        given = [k for k in SAMPLE_KEYS if k in self.a]
        if not given:
            for k in TARGET_KEYS:
                if k in self.a:
                    raise self.fail(k, "given without X, the inputs it belongs to")
            return None
        if len(given) > 1:
            raise self.fail(given[1], f"given with {given[0]}; keep one set of inputs")
        key = given[0]
        if key == "X_tstn" and any(k in self.a for k in NORM_KEYS):
            raise self.fail(key, "holds inputs already normalised, but the file has mean/variance too; "
                            "save the raw inputs as X instead")
        x = numeric(self.path, key, self.a[key], None)
        if x.ndim == 1:
            x = x.reshape(1, -1)
        if x.ndim != 2:
            raise self.fail(key, f"expected samples × inputs, got shape {'×'.join(map(str, x.shape)) or 'a single number'}")
        return x

    def samples(self, x: np.ndarray, n_out: int) -> Samples:
        """The samples as one table of arrays (a row costs its numbers, not a Python object each)."""
        key = next(k for k in SAMPLE_KEYS if k in self.a)
        m = x.shape[0]
        labels = expected = None
        targets = [k for k in TARGET_KEYS if k in self.a]
        if len(targets) > 1:
            raise self.fail(targets[1], f"given with {targets[0]}; keep one")
        if targets:
            t = targets[0]
            raw = np.asarray(self.a[t])
            if raw.dtype.kind in "iub":
                if raw.size != m or raw.ndim > 2 or (raw.ndim == 2 and 1 not in raw.shape):
                    raise self.fail(t, f"holds integers, so class labels: expected {m} (one per sample of {key}), "
                                    f"got shape {'×'.join(map(str, raw.shape))}")
                labels = class_labels(self.path, t, raw.reshape(m), n_out)
            else:
                e = numeric(self.path, t, raw, None)
                if e.size != m * n_out or not (e.ndim <= 1 or e.shape == (m, n_out) or (e.ndim == 2 and 1 in e.shape and 1 in (m, n_out))):
                    raise self.fail(t, f"holds floats, so expected outputs: expected {m}×{n_out} (samples × outputs), "
                                    f"got shape {'×'.join(map(str, e.shape))}; save class labels as integers")
                expected = e.reshape(m, n_out).astype(np.float64)
        return Samples(x, labels, expected)

    def normalization(self, n_in: int) -> Normalization | None:
        given = [k for k in NORM_KEYS if k in self.a]
        if not given:
            return None
        if "mean" not in given:
            raise self.fail(given[0], "given without mean (the normalisation is mean with variance or std)")
        spread = [k for k in ("variance", "std") if k in given]
        if len(spread) != 1:
            raise self.fail("mean", "give it with one of variance (what Keras's Normalization stores) or std"
                            if not spread else "given with both variance and std; keep one")
        vectors = {}
        for k in ("mean", spread[0]):
            v = numeric(self.path, k, self.a[k], None)
            if v.size != n_in or v.ndim > 2:
                raise self.fail(k, f"has {v.size} values, expected {n_in} (one per input feature)")
            vectors[k] = v.reshape(n_in)
        s = vectors[spread[0]]
        if not (s > 0).all():
            i = int(np.flatnonzero(~(s > 0))[0])
            raise self.fail(f"{spread[0]}[{i}]", f"is {float(s[i]):g}, expected a positive number")
        return Normalization(vectors["mean"], np.sqrt(s) if spread[0] == "variance" else s)


def read_course_npz(path: str | os.PathLike[str], arrays: dict[str, Any], activations: str | None) -> Network:
    """The network of a course-style .npz, with one activation per layer."""
    return _CourseReader(path, arrays).network(activations)
