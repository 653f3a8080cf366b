"""Moving through one sample's backward steps: to the end of a neuron or a
layer, to the same operation in the other granularity, to the next
breakpoint or firing watch. Plain functions over the list of steps; the
Session holds the index (``back_cursor``) and calls these."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .backward_steps import BackStep
from .kinds import BackKind, StopKind
from .network import Network
from .refs import NeuronRef
from .watch import Watch, backward_firing

__all__ = ["group_end", "layer_end", "matching", "next_stop", "stop_at", "where"]


def _neuron(step: BackStep) -> tuple[bool, int, int | None]:
    """What a step belongs to: the loss on its own, else its neuron (or layer)."""
    return step.kind == BackKind.LOSS, step.layer, step.neuron


def _layer(step: BackStep) -> tuple[bool, int]:
    return step.kind == BackKind.LOSS, step.layer


def _end(steps: Sequence[BackStep], k: int, key: Callable[[BackStep], object]) -> int:
    here = key(steps[k])
    while k + 1 < len(steps) and key(steps[k + 1]) == here:
        k += 1
    return k


def group_end(steps: Sequence[BackStep], k: int) -> int:
    """The last backward step of the neuron (per layer: the layer) that step k is about."""
    return _end(steps, k, _neuron)


def layer_end(steps: Sequence[BackStep], k: int) -> int:
    """The last backward step of the layer that step k is about (the loss: itself)."""
    return _end(steps, k, _layer)


def matching(steps: Sequence[BackStep], step: BackStep, units: int) -> int:
    """Where ``step`` (from the other granularity) stands in ``steps``: the
    same layer and operation; a layer's step maps to its last neuron's, so
    what the layer step had computed stays computed."""
    if step.kind == BackKind.LOSS:
        return 0
    neuron = units - 1 if step.neuron is None else None
    same = [k for k, s in enumerate(steps) if s.layer == step.layer and s.kind == step.kind]
    exact = [k for k in same if neuron is None or steps[k].neuron == neuron]
    if exact:
        return exact[0]
    # an operation the other granularity has not got: the layer's first step
    return next((k for k, s in enumerate(steps) if s.layer == step.layer and s.kind != BackKind.LOSS), 0)


def where(network: Network, step: BackStep) -> str:
    """'layer 2 (out), neuron 1, backward ∂L/∂z', as a stop is reported."""
    if step.kind == BackKind.LOSS:
        return "the loss"
    return f"{NeuronRef(step.layer, step.neuron).label(network)}, backward {step.title.rsplit(' · ', 1)[-1]}"


def stop_at(steps: Sequence[BackStep], k: int, watches: Sequence[Watch],
            breakpoint_at: Callable[[int, int | None], bool], network: Network) -> tuple[StopKind, str] | None:
    """Does ``continue`` stop at backward step k: a watch fires there, or a
    neuron (or layer) with a breakpoint begins there? With why."""
    step = steps[k]
    fired = backward_firing(watches, steps, k) if watches else None
    if fired is not None:
        return StopKind.WATCH, f"{fired} at {where(network, step)}"
    begins = k == 0 or _neuron(steps[k - 1]) != _neuron(step)
    if begins and step.kind != BackKind.LOSS and breakpoint_at(step.layer, step.neuron):
        return StopKind.BREAKPOINT, f"breakpoint at {where(network, step)}"
    return None


def next_stop(steps: Sequence[BackStep], start: int, watches: Sequence[Watch],
              breakpoint_at: Callable[[int, int | None], bool], network: Network) -> tuple[int, StopKind, str] | None:
    """The first backward step ≥ start where ``continue`` stops; None: none before the end."""
    for k in range(max(start, 0), len(steps)):
        stop = stop_at(steps, k, watches, breakpoint_at, network)
        if stop is not None:
            return k, *stop
    return None
