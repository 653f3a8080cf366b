"""Edits as values: which number changes, from what, to what.

Targets use the lesson's 1-based notation: ``L1.N1.w2`` is layer 1, neuron 1,
weight 2 (the weight on input 2), ``L1.N2.b`` is that layer's neuron 2 bias,
``x1`` is input feature 1 of the current sample. A norm's parameter is named
the same way: ``L1.N2.gamma`` (the layer's batch norm, neuron 2's γ) and
``x1.mean`` (the input normalisation's mean of feature 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .kinds import TargetKind
from .network import Network
from .norms import BatchNorm, Norm, Normalization, Rescaling
from .refs import NeuronRef
from .numbers import fmt, parse_number

WEIGHT, BIAS, INPUT, NORM = TargetKind.WEIGHT, TargetKind.BIAS, TargetKind.INPUT, TargetKind.NORM
TARGET = TargetKind.TARGET
NORM_PARAMS = tuple(dict.fromkeys(p for cls in (Normalization, BatchNorm, Rescaling) for p in cls.PARAMS))
_PARAM = "|".join(NORM_PARAMS)

_TARGET = re.compile(
    rf"^\s*(?:L(?P<layer>\d+)\.N(?P<neuron>\d+)\.(?:(?P<w>w)(?P<wi>\d+)|(?P<b>b)|(?P<p>{_PARAM}))"
    rf"|x(?P<x>\d+)(?:\.(?P<xp>{_PARAM}))?|(?P<y>y)(?P<yk>\d+)?)\s*$",
    re.IGNORECASE,
)


class EditError(ValueError):
    """An edit that cannot be applied; the message says why."""


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    layer: int = -1  # 0-based; -1 for an input (or the input normalisation)
    neuron: int = -1  # 0-based; -1 for an input
    index: int = -1  # weight: the input it multiplies; input (or its normalisation): the feature
    param: str = ""  # a norm's parameter: "gamma"

    def label(self) -> str:
        if self.kind == TARGET:
            return "y" if self.index < 0 else f"y{self.index + 1}"
        if self.kind == INPUT:
            return f"x{self.index + 1}"
        if self.kind == NORM and self.layer < 0:
            return f"x{self.index + 1}.{self.param}"
        head = f"L{self.layer + 1}.N{self.neuron + 1}"
        if self.kind == NORM:
            return f"{head}.{self.param}"
        return f"{head}.b" if self.kind == BIAS else f"{head}.w{self.index + 1}"

    def norm(self, net: Network) -> Norm | None:
        """The norm a NORM target is a parameter of, if the network has it."""
        return net.normalization if self.layer < 0 else net.layers[self.layer].norm

    def describe(self, net: Network) -> str:
        if self.kind == TARGET:
            if self.index < 0:
                return "the label"
            return f"the expected output {self.index + 1} ({net.output_name(self.index)})"
        if self.kind == INPUT:
            return f"input {net.feature_name(self.index)} ({self.label()})"
        if self.kind == NORM:
            norm = self.norm(net)
            title = norm.title if norm is not None else "norm"
            if self.layer < 0:
                return f"{self.param} of the input {title}, {net.feature_name(self.index)}"
            return f"{self.param} of the {title} of {NeuronRef(self.layer, self.neuron).label(net)}"
        who = NeuronRef(self.layer, self.neuron).label(net)
        if self.kind == BIAS:
            return f"bias of {who}"
        src = net.feature_name(self.index) if self.layer == 0 else f"a{self.layer}_{self.index + 1}"
        return f"weight {self.index + 1} (on {src}) of {who}"

    @property
    def first_layer(self) -> int:
        """The first layer whose values this target changes (-1: normalisation;
        a label or expected output changes none: the loss and its gradients)."""
        if self.kind == TARGET:
            return 1 << 30
        return -1 if self.kind == INPUT else self.layer

    def check(self, net: Network) -> None:
        """Raise EditError unless the target exists in ``net``."""
        if self.kind == NORM:
            self._check_norm(net)
            return
        if self.kind == TARGET:
            if self.index >= net.n_outputs:
                raise EditError(f"{self.label()}: the network has {net.n_outputs} outputs (y1..y{net.n_outputs})")
            return
        if self.kind == INPUT:
            if not 0 <= self.index < net.n_inputs:
                raise EditError(f"{self.label()}: the network has {net.n_inputs} inputs (x1..x{net.n_inputs})")
            return
        if not 0 <= self.layer < len(net.layers):
            raise EditError(f"{self.label()}: the network has {len(net.layers)} layers (L1..L{len(net.layers)})")
        layer = net.layers[self.layer]
        if not 0 <= self.neuron < layer.units:
            raise EditError(f"{self.label()}: layer {self.layer + 1} has {layer.units} neurons (N1..N{layer.units})")
        if self.kind == WEIGHT and not 0 <= self.index < layer.n_inputs:
            raise EditError(f"{self.label()}: each neuron of layer {self.layer + 1} has {layer.n_inputs} weights (w1..w{layer.n_inputs})")


    def _check_norm(self, net: Network) -> None:
        if self.layer >= len(net.layers):
            raise EditError(f"{self.label()}: the network has {len(net.layers)} layers (L1..L{len(net.layers)})")
        norm = self.norm(net)
        where = "the inputs have" if self.layer < 0 else f"layer {self.layer + 1} has"
        if norm is None:
            raise EditError(f"{self.label()}: {where} no normalisation, batch norm or rescaling")
        if self.param not in norm.PARAMS:
            raise EditError(f"{self.label()}: its {norm.title} has {', '.join(norm.PARAMS)}, not {self.param}")
        if not 0 <= self.norm_element() < norm.size:
            if self.layer < 0:
                raise EditError(f"{self.label()}: the network has {norm.size} inputs (x1..x{norm.size})")
            raise EditError(f"{self.label()}: layer {self.layer + 1} has {norm.size} neurons (N1..N{norm.size})")

    def norm_element(self) -> int:
        """The element of the norm's vectors a NORM target changes."""
        return self.index if self.layer < 0 else self.neuron


def parse_target(text: str) -> Target:
    m = _TARGET.match(text)
    if not m:
        raise EditError(f"{text.strip()!r} is not a target; expected L<layer>.N<neuron>.w<input>, "
                        "L<layer>.N<neuron>.b, x<feature>, a norm's L<layer>.N<neuron>.gamma / x<feature>.mean, "
                        "or the sample's label y / expected output y<output>, e.g. L1.N1.w2")
    if m.group("y"):
        if m.group("yk") and int(m.group("yk")) < 1:
            raise EditError(f"{text.strip()}: outputs count from 1 (y1, y2, …); y alone is the label")
        return Target(TARGET, index=int(m.group("yk")) - 1 if m.group("yk") else -1)
    if m.group("x"):
        if m.group("xp"):
            return Target(NORM, index=int(m.group("x")) - 1, param=m.group("xp").lower())
        return Target(INPUT, index=int(m.group("x")) - 1)
    layer, neuron = int(m.group("layer")) - 1, int(m.group("neuron")) - 1
    if m.group("p"):
        return Target(NORM, layer, neuron, param=m.group("p").lower())
    if m.group("b"):
        return Target(BIAS, layer, neuron)
    return Target(WEIGHT, layer, neuron, int(m.group("wi")) - 1)


def parse_assignment(text: str, non_finite: bool = False) -> tuple[Target, float]:
    """``'L1.N1.w2=0'`` → (Target, 0.0). NaN and ±∞ only with ``non_finite``
    (the edit dialog, where they are typed on purpose to watch them spread;
    ``--set`` refuses them)."""
    if "=" not in text:
        raise EditError(f"{text.strip()!r}: expected TARGET=VALUE, e.g. L1.N1.w2=0 or x1=190")
    lhs, rhs = text.split("=", 1)
    target = parse_target(lhs)
    try:
        value = parse_number(rhs, non_finite=non_finite)
    except ValueError as exc:
        raise EditError(f"{lhs.strip()}: {exc}") from None
    return target, value


@dataclass(frozen=True)
class Edit:
    target: Target
    old: float
    new: float
    sample: int = -1  # the sample row, for an input edit

    def inverse(self) -> "Edit":
        return Edit(self.target, self.new, self.old, self.sample)

    def describe(self, net: Network) -> str:
        where = self.target.describe(net)
        if self.target.kind in (INPUT, TARGET) and 0 <= self.sample < len(net.samples):
            where += f" of sample \"{net.samples[self.sample].name}\""
        return f"{self.target.label()}: {fmt(self.old)} → {fmt(self.new)}  ({where})"


@dataclass(frozen=True, eq=False)
class DescentStep:
    """Gradient descent on every weight and bias at once, W ← W − lr·∂L/∂W,
    ``steps`` full-batch steps as one edit: undone, it puts every number back."""

    lr: float
    old: tuple[tuple[np.ndarray, np.ndarray], ...]  # per layer (W, b) before
    new: tuple[tuple[np.ndarray, np.ndarray], ...]  # and after
    loss: str  # "bce", "ce", "mse"
    loss_before: float
    loss_after: float
    samples: int  # the labelled samples the mean loss is over
    sample: int = -1
    steps: int = 1
    losses: tuple[float, ...] = ()  # the mean loss after each step (the last is loss_after)
    norms_old: tuple[dict[str, np.ndarray], ...] = ()  # per layer: its norm's trained parameters (γ, β) before
    norms_new: tuple[dict[str, np.ndarray], ...] = ()  # and after

    def inverse(self) -> "DescentStep":
        return DescentStep(self.lr, self.new, self.old, self.loss, self.loss_after, self.loss_before, self.samples,
                           steps=self.steps, norms_old=self.norms_new, norms_new=self.norms_old)

    def describe(self, net: Network) -> str:
        n = self.samples
        times = f" ×{self.steps}" if self.steps > 1 else ""
        text = (f"gradient descent{times}, lr {fmt(self.lr)}: mean {self.loss} loss over {n} "
                f"sample{'s' if n != 1 else ''} {fmt(self.loss_before)} → {fmt(self.loss_after)}")
        if len(self.losses) > 1:
            from .descent import sparkline

            text += f"  {sparkline((self.loss_before, *self.losses))}"
        return text


@dataclass(frozen=True)
class ValueChange:
    """One value of the current sample that an edit changed."""

    layer: int
    neuron: int
    quantity: str  # "z" or "a"
    old: float
    new: float

    @property
    def delta(self) -> float:
        with np.errstate(invalid="ignore", over="ignore"):
            return float(self.new - self.old)


@dataclass(frozen=True, eq=False)
class OutputChange:
    """One sample's outputs before and after an edit."""

    sample: int
    old: np.ndarray
    new: np.ndarray
    old_class: int | None
    new_class: int | None

    @property
    def flipped(self) -> bool:
        return self.old_class != self.new_class


def differs(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Element-wise 'changed', where NaN staying NaN is no change."""
    same: npt.NDArray[np.bool_] = (old == new) | (np.isnan(old) & np.isnan(new))
    return ~same


@dataclass(frozen=True, eq=False)
class EditResult:
    """What an edit (or its undo) did: the current sample's z and a rows before
    and after, per recomputed layer, and every sample's outputs that moved."""

    edit: Edit | DescentStep
    undone: bool
    sample: int
    before: dict[int, tuple[np.ndarray, np.ndarray]]  # layer → (z, a)
    after: dict[int, tuple[np.ndarray, np.ndarray]]
    outputs: tuple[OutputChange, ...]

    def changed_mask(self, layer: int, quantity: str) -> np.ndarray | None:
        if layer not in self.before:
            return None
        q = 0 if quantity == "z" else 1
        return differs(self.before[layer][q], self.after[layer][q])

    def changed(self, layer: int, neuron: int, quantity: str) -> ValueChange | None:
        if layer not in self.before:
            return None
        q = 0 if quantity == "z" else 1
        old, new = float(self.before[layer][q][neuron]), float(self.after[layer][q][neuron])
        if not differs(np.asarray(old), np.asarray(new)):
            return None
        return ValueChange(layer, neuron, quantity, old, new)

    def changes(self, limit: int | None = None) -> list[ValueChange]:
        """Changed values of the current sample in step order (z before a)."""
        out: list[ValueChange] = []
        for layer in sorted(self.before):
            zmask, amask = self.changed_mask(layer, "z"), self.changed_mask(layer, "a")
            assert zmask is not None and amask is not None
            for j in np.flatnonzero(zmask | amask):
                for q, mask in (("z", zmask), ("a", amask)):
                    if mask[j]:
                        c = self.changed(layer, int(j), q)
                        assert c is not None
                        out.append(c)
                        if limit is not None and len(out) >= limit:
                            return out
        return out

    def count(self) -> int:
        total = 0
        for layer in self.before:
            for q in ("z", "a"):
                mask = self.changed_mask(layer, q)
                total += int(mask.sum()) if mask is not None else 0
        return total
