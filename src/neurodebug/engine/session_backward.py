"""The Session past the output: the backward steps of the current sample and
the cursor over them (``back_cursor``; None: in the forward pass).

A part of ``Session`` (which inherits it), kept apart so each reads in one
sitting; where the cursor goes is worked out in ``backward_cursor``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import backward_cursor as bc
from .backward_steps import BackStep, backward_steps
from .kinds import BackKind, Granularity, LossKind, StopKind
from .network import Network
from .settings import Settings
from .watch import Watch

if TYPE_CHECKING:
    from .network import Sample
    from .trace import SampleTrace


@dataclass
class StopReason:
    """Why ``continue`` stopped where it did."""

    kind: StopKind
    text: str


class BackwardPass:
    """What the Session knows of the backward pass (it declares the rest)."""

    network: Network
    granularity: Granularity
    sample_index: int
    watches: list[Watch]
    settings: Settings
    loss: LossKind | None
    values_version: int
    back_cursor: int | None
    _backward: tuple[tuple[object, ...], list[BackStep], str | None] | None

    if TYPE_CHECKING:
        @property
        def sample(self) -> Sample: ...

        @property
        def sample_trace(self) -> SampleTrace: ...

        def breakpoint_at(self, layer: int, neuron: int | None) -> bool: ...

    def backward_steps(self) -> list[BackStep]:
        """The backward pass of the current sample, for its label or expected
        output (empty when it has neither, or the loss does not fit the
        output), per neuron or per layer as the forward pass is."""
        return self._backward_pass()[1]

    def backward_refused(self) -> str | None:
        """Why the current sample has no backward pass although it has a
        label or an expected output (no loss fits them and the output);
        None when it has one, or nothing to take a loss against."""
        return self._backward_pass()[2]

    def _backward_pass(self) -> tuple[tuple[object, ...], list[BackStep], str | None]:
        key = (self.values_version, self.sample_index, self.loss, self.settings, self.granularity)
        if self._backward is None or self._backward[0] != key:
            target = self.sample.target
            steps: list[BackStep] = []
            refused = None
            if target is not None:
                try:
                    steps = backward_steps(self.sample_trace, target, self.loss, self.settings, self.granularity)
                except ValueError as exc:
                    refused = str(exc)
            self._backward = (key, steps, refused)
        return self._backward

    @property
    def in_backward(self) -> bool:
        return self.back_cursor is not None

    @property
    def back_step(self) -> BackStep | None:
        """The backward step the cursor stands on (None: in the forward pass)."""
        if self.back_cursor is None:
            return None
        steps = self.backward_steps()
        if not steps:
            self.back_cursor = None
            return None
        self.back_cursor = min(self.back_cursor, len(steps) - 1)
        return steps[self.back_cursor]

    def _back_to(self, k: int) -> None:
        self.back_cursor = max(0, min(k, len(self.backward_steps()) - 1))

    def _back_end(self, end: Callable[[Sequence[BackStep], int], int]) -> int:
        """The end (``bc.group_end``, ``bc.layer_end``) of what the next backward step is about."""
        assert self.back_cursor is not None
        steps = self.backward_steps()
        return end(steps, min(self.back_cursor + 1, len(steps) - 1))

    def _continue_backward(self) -> StopReason:
        steps = self.backward_steps()
        start = 0 if self.back_cursor is None else self.back_cursor + 1
        if start >= len(steps):
            return StopReason(StopKind.END, "already at the end of the backward pass")
        stop = bc.next_stop(steps, start, self.watches, self.breakpoint_at, self.network)
        if stop is None:
            self._back_to(len(steps) - 1)
            return StopReason(StopKind.END, "reached the end of the backward pass")
        self._back_to(stop[0])
        return StopReason(stop[1], stop[2])

    def weight_gradient(self, layer: int, neuron: int) -> np.ndarray | None:
        """∂L/∂w of one neuron for the current sample, once the backward
        cursor has reached its ∂L/∂w step (or its layer's); None before."""
        if self.back_cursor is None:
            return None
        for step in self.backward_steps()[: self.back_cursor + 1]:
            if step.kind == BackKind.DW and step.layer == layer and step.neuron in (neuron, None):
                value = np.asarray(step.value)
                return value if step.neuron is not None else value[:, neuron]
        return None

    def back_stop_here(self) -> tuple[StopKind, str] | None:
        """A breakpoint or watch that holds at the backward step (where ``c`` stops)."""
        if self.back_cursor is None or self.back_step is None:
            return None
        return bc.stop_at(self.backward_steps(), self.back_cursor, self.watches, self.breakpoint_at, self.network)
