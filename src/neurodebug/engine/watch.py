"""Watchpoints: conditions that stop ``continue`` at the first step they hold.

Each watch is checked layer by layer with whole-vector masks, so continuing
over a 4096-unit layer costs a few array operations, not 12,288 Python checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import conditions
from .activations import ACTIVATIONS
from .backward_steps import BackStep
from .kinds import BackKind, WatchKind
from .numbers import fmt
from .norms import NormAt
from .plan import ACTIVATE, BIAS, DOT, NORM, Plan
from .refs import NeuronRef
from .settings import Settings
from .trace import SampleTrace

NAN, SATURATED, ZABS, GRAD = WatchKind.NAN, WatchKind.SATURATED, WatchKind.ZABS, WatchKind.GRAD
WATCH_KINDS = (NAN, SATURATED, ZABS, GRAD)


@dataclass(frozen=True)
class Watch:
    kind: WatchKind
    threshold: float = 0.0  # for ZABS: stop where |z| > threshold; GRAD: |a gradient| > threshold

    def label(self) -> str:
        if self.kind == ZABS:
            return f"|z| > {fmt(self.threshold)}"
        if self.kind == GRAD:
            return f"|gradient| > {fmt(self.threshold)}"
        return {NAN: "NaN/Inf", SATURATED: "saturation"}[self.kind]


def parse_watches(text: str) -> list[Watch]:
    """``'nan,saturated,z>50,grad>10'`` → watches. Raises ValueError naming the bad part."""
    watches: list[Watch] = []
    # "z > 50" and "| z |>50" read the same as "z>50"; the real minus sign too.
    for part in ("".join(p.split()).lower().replace("\u2212", "-") for p in text.split(",")):
        if not part:
            continue
        if part in ("nan", "inf", "nan/inf", "nonfinite"):
            watches.append(Watch(NAN))
        elif part in ("saturated", "saturation", "sat"):
            watches.append(Watch(SATURATED))
        elif part.startswith(("z>", "|z|>")):
            watches.append(Watch(ZABS, _threshold(part, "z>NUMBER, e.g. z>50")))
        elif part.startswith(("grad>", "|grad|>")):
            watches.append(Watch(GRAD, _threshold(part, "grad>NUMBER, e.g. grad>10")))
        else:
            raise ValueError(f"unknown watch {part!r}; expected nan, saturated, z>NUMBER or grad>NUMBER")
    return list(dict.fromkeys(watches))  # a watch named twice is checked once


def _threshold(part: str, expected: str) -> float:
    try:
        k = float(part.split(">", 1)[1])
    except ValueError:
        raise ValueError(f"{part!r}: expected {expected}") from None
    if not np.isfinite(k) or k < 0:
        raise ValueError(f"{part!r}: the threshold must be a finite number ≥ 0")
    return k


def _first_appears(st: SampleTrace, l: int, per_layer_activation: bool) -> list[tuple[str, np.ndarray]]:
    """(step kind, neuron mask) where a step makes a value worse than what it
    was given from the trace: a non-finite result from finite values, or a
    NaN from ±∞ (∞ − ∞, 0 × ∞). A weight or bias the file holds as NaN or ∞
    shows up first in the step that uses it. A value only passed on does not
    count: continuing goes to the next place something new goes wrong."""
    # The raw inputs come from outside the trace: the first step to use them
    # (the normalisation, else layer 1's dot products) shows what they hold.
    from_outside = l == 0 and st.trace.x is st.trace.x_raw
    given = 0 if from_outside else int(conditions.badness(st.layer_input(l)).max(initial=0))
    layer = st.network.layers[l]
    zdot, zsum, z = conditions.badness(st.zdot(l)), conditions.badness(st.zsum(l)), conditions.badness(st.z(l))
    act_given = np.full_like(z, z.max(initial=0)) if per_layer_activation else z
    out: list[tuple[str, np.ndarray]] = [(DOT, conditions.made_worse(given, st.zdot(l))), (BIAS, conditions.made_worse(zdot, st.zsum(l))),
           (ACTIVATE, conditions.made_worse(act_given, st.g(l)))]
    if layer.norm_step_at(NormAt.Z):
        out.append((NORM, conditions.made_worse(zsum, st.z(l))))
    elif layer.norm_step_at(NormAt.A):
        g = conditions.badness(st.g(l))
        out.append((NORM, conditions.made_worse(g, st.a(l))))
    return out


def _masks(watches: Sequence[Watch], st: SampleTrace, l: int, settings: Settings) -> list[tuple[str, np.ndarray, str]]:
    """(step kind, neuron mask, reason) for every watch on layer l."""
    layer = st.network.layers[l]
    out = []
    for w in watches:
        if w.kind == NAN:
            per_layer = ACTIVATIONS[layer.activation].per_layer
            for kind, mask in _first_appears(st, l, per_layer):
                out.append((kind, mask, "NaN/Inf first appears"))
        elif w.kind == SATURATED:
            out.append((ACTIVATE, conditions.saturated(layer, st.z(l), settings), "saturated"))
        elif w.kind == ZABS:  # the z the activation takes: after a norm there
            with np.errstate(invalid="ignore"):
                out.append((NORM if layer.norm_step_at(NormAt.Z) else BIAS, np.abs(st.z(l)) > w.threshold, w.label()))
    return out


def first_firing(watches: Sequence[Watch], plan: Plan, st: SampleTrace, settings: Settings,
                 start: int, limit: int | None = None) -> tuple[int, str] | None:
    """The first step ≥ start (and < limit) of sample trace ``st`` where a
    watch holds, with why."""
    if not watches:
        return None
    if plan.has_normalize and start == 0 and any(w.kind == NAN for w in watches):
        if not np.isfinite(st.x).all():
            return 0, "watch NaN/Inf first appears: the normalised input is not finite"
    first_layer = 0 if start == 0 else plan[start].layer if plan[start].layer >= 0 else 0
    for l in range(first_layer, plan.n_layers):
        if limit is not None and plan.layer_start(l) >= limit:
            return None
        best: tuple[int, str] | None = None
        for kind, mask, reason in _masks(watches, st, l, settings):
            idx = plan.indices(l, kind)[mask]
            idx = idx[idx >= start]
            if idx.size and (best is None or idx.min() < best[0]):
                best = (int(idx.min()), reason)
        if best is not None:
            if limit is not None and best[0] >= limit:
                return None
            step = plan[best[0]]
            return best[0], f"watch {best[1]} at {NeuronRef(l, step.neuron).label(st.network)}"
    return None


# -- the backward pass -----------------------------------------------------------------
def backward_firing(watches: Sequence[Watch], steps: Sequence[BackStep], k: int) -> str | None:
    """Why a watch holds at backward step k, or None: ``nan`` where a
    non-finite value first appears (a run of non-finite steps stops once, as a
    value passed on does not count in the forward pass), ``saturated`` where a
    ∂L/∂z finds a neuron that cannot learn from the sample, ``grad>K`` where
    |a value| > K."""
    step = steps[k]
    for w in watches:
        if w.kind == NAN:
            before = int(conditions.badness(steps[k - 1].value).max(initial=0)) if k > 0 else 0
            if conditions.made_worse(before, step.value).any():
                return "watch NaN/Inf first appears"
        elif w.kind == SATURATED and step.cannot_learn:
            return "watch saturated: cannot learn from this sample"
        elif w.kind == GRAD and step.kind != BackKind.LOSS:
            with np.errstate(invalid="ignore"):
                if (np.abs(step.value) > w.threshold).any():
                    return f"watch {w.label()}"
    return None
