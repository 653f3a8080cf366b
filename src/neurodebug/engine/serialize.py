"""The engine's results as JSON-ready Python values: one home for every
to-JSON conversion the front ends write (``trace --format json``,
``check --format json``).

Plain functions over the engine's objects; numbers go through
``numbers.json_value`` / ``json_number``, the one strict-JSON encoding
(NaN and ±∞ as the strings "NaN", "Infinity", "-Infinity"). Indices are
1-based, as the screen and the text output show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .edits import Edit
from .numbers import json_value

if TYPE_CHECKING:
    from .health import Explanation, HealthReport
    from .network import Network
    from .session import Session
    from .trace import StepDetail


def _numbers(v: Any) -> Any:
    """A step's values as JSON: every number a float (an integer array too),
    as the trace has always written them."""
    a = np.asarray(v)
    return json_value(a if a.dtype.kind == "f" else a.astype(np.float64))


def step_detail_to_dict(detail: StepDetail, network: Network) -> dict[str, Any]:
    """One step of the forward pass: what it computes, from what, and its notes."""
    step = detail.step
    out: dict[str, Any] = {
        "index": step.index,
        "kind": step.kind,
        "layer": step.layer + 1 if step.layer >= 0 else None,
        "layer_name": network.layers[step.layer].name if step.layer >= 0 else None,
        "neuron": step.neuron + 1 if step.neuron is not None else None,
        "title": detail.title,
        "symbolic": detail.symbolic,
        "formula": detail.formula,
        "result": _numbers(detail.result),
        "operands": {name: _numbers(v) for name, v in detail.operands.items()},
    }
    if detail.products is not None:
        out["products"] = _numbers(detail.products)
    out["notes"] = list(detail.notes)
    return out


def trace_to_dict(session: Session, details: Iterable[StepDetail], file: str | None = None) -> dict[str, Any]:
    """The session's sample traced step by step, with the edits in force."""
    network = session.network
    return {
        "network": network.name,
        "file": file,
        "sample": session.sample.name,
        "granularity": session.granularity,
        "edits": [e.target.label() + "=" + repr(e.new) if isinstance(e, Edit) else e.describe(session.network)
                  for e in session.journal],
        "steps": [step_detail_to_dict(d, network) for d in details],
        "outputs": _numbers(session.sample_trace.outputs),
    }


def network_to_dict(network: Network) -> dict[str, Any]:
    """The network's shape: layers, sizes, activations, parameter count."""
    return {
        "network": network.name,
        "shape": network.shape_summary(),
        "layers": [
            {"name": l.name, "inputs": l.n_inputs, "units": l.units, "activation": l.activation}
            for l in network.layers
        ],
        "parameters": network.param_count,
    }


def check_to_dict(network: Network, report: HealthReport | None,
                  explanations: Sequence[Explanation] = (), file: str | None = None) -> dict[str, Any]:
    """A health check: the network, the report (None: not checked, the file
    has no samples) and the worst neurons explained."""
    out: dict[str, Any] = {"file": file, **network_to_dict(network), "checked": report is not None}
    if report is None:
        out.update(ok=True, summary="not checked: the file has no samples", findings=[])
        return out
    out.update(report.to_dict())
    out["explanations"] = [e.to_dict() for e in explanations]
    return out
