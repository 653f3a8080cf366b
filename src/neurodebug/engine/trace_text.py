"""What ``neurodebug trace`` prints: every step of a sample with its formula
and the real numbers, then the output judged (one text for the CLI and for
``neurodebug.debug`` in a notebook)."""

from __future__ import annotations

from .numbers import fmt
from .pass_end import pass_end, pass_end_text
from .session import Session

__all__ = ["trace_text"]


def trace_text(session: Session) -> str:
    """What ``neurodebug trace`` prints for the session's sample: every step
    with its formula and the real numbers, then the output."""
    net, st = session.network, session.sample_trace
    steps = [st.detail(step, session.settings) for step in session.plan]
    w = len(str(len(steps)))
    lines = [f"{net.name}: {net.shape_summary()}, sample \"{session.sample.name}\" "
             f"x = [{', '.join(fmt(v) for v in session.sample.x)}], per {session.granularity}"]
    lines += [f"edit  {e.describe(net)}" for e in session.journal]
    for d in steps:
        lines.append(f"{d.step.index + 1:>{w}}  {d.title}")
        lines.append(f"{'':>{w}}    {d.formula}")
        lines += [f"{'':>{w}}    ! {note}" for note in d.notes]
    line, verdict = pass_end_text(pass_end(net, session.sample_index, st.outputs, session.settings))
    lines.append(line + verdict)
    return "\n".join(lines)
