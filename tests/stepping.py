"""Step a network through every step of every sample, both ways, as the debugger would."""

from __future__ import annotations

import numpy as np

from neurodebug.engine import Network, Session
from neurodebug.engine.plan import PER_LAYER, PER_NEURON, Plan
from neurodebug.engine.samples import Sample, Samples
from neurodebug.engine.trace import trace_of


def step_everything(net: Network, x: np.ndarray) -> None:
    """Every step's value and detail, per neuron and per layer, for every row
    of ``x``; then a Session over those rows runs to the end."""
    trace = trace_of(net, x)
    for granularity in (PER_NEURON, PER_LAYER):
        plan = Plan(net, granularity)
        for i in range(len(x)):
            sample = trace.sample(i)
            for step in plan:
                np.testing.assert_array_equal(sample.detail(step).result, sample.value(step))
                assert sample.detail(step).formula
    net.samples = Samples.of([Sample(f"s{i}", row) for i, row in enumerate(x)], net.n_inputs)
    session = Session(net)
    session.to_end()
    assert session.at_end and session.step is not None
