"""``neurodebug check NET --inputs FILE``: the health check over a file read
a chunk of rows at a time (``io.input_chunks``, ``engine.streaming``), so
memory does not grow with the rows. The worst findings are explained from
their rows read again, with what holds over every row taken from the check
(``engine.explain.Dataset``). A file of one chunk keeps its samples and is
explained as the debugger explains it. It wires io and the engine, as
``cli.py`` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from .engine.explain import explain
from .engine.explanation import Explanation
from .engine.findings import Finding, HealthReport
from .engine.kinds import LossKind
from .engine.network import Network
from .engine.report_text import worst_findings
from .engine.samples import Samples
from .engine.session import Session
from .engine.settings import Settings
from .engine.streaming import StreamingCheck, input_spread
from .engine.trace import Trace, trace_of
from .io.input_chunks import CHUNK_ROWS, InputChunks, input_chunks
from .io.input_rows import with_labels
from .io.inputs import read_labels

__all__ = ["StreamedCheck", "check_file"]


@dataclass
class StreamedCheck:
    report: HealthReport
    rows: int  # how many samples were checked
    trace: Trace  # of the samples kept: the whole table (one chunk), else the explained rows read again
    explain: Callable[[Finding], Explanation]  # a finding's neuron, explained at its row


def _progress(chunks: InputChunks, out: TextIO | None) -> Iterator[Samples]:
    """The chunks, with 'rows 200,000 / 1,000,000' redrawn on ``out`` (a terminal) now and then."""
    last = 0.0
    for chunk in chunks:
        yield chunk
        now = time.monotonic()
        if out is not None and now - last > 0.2:
            last = now
            total = f" / {chunks.total:,}" if chunks.total is not None else ""
            out.write(f"\rrows {chunks.done:,}{total}")
            out.flush()
    if out is not None and last:
        out.write("\r\033[K")
        out.flush()


def check_file(net: Network, path: str | Path, settings: Settings,
               check_loss: Callable[[Network], LossKind | None], progress: TextIO | None = None,
               rows: int = CHUNK_ROWS, labels: str | Path | None = None) -> StreamedCheck:
    """The health check of ``net`` over the samples of ``path``; ``check_loss``
    refuses a --loss the samples' targets do not fit (each chunk's);
    ``progress``: where to draw the rows read (None: nowhere); ``labels``: a
    .npy of one class per row, in place of the file's own. ``net.samples``
    ends as the samples kept (see ``StreamedCheck.trace``)."""
    chunks = input_chunks(path, net, rows)
    classes = None if labels is None else read_labels(labels, net, chunks.total)
    check: StreamingCheck | None = None
    first: Samples | None = None
    count = 0
    loss: LossKind | None = None
    shown = progress if progress is not None and progress.isatty() else None
    for chunk in with_labels(_progress(chunks, shown), classes, labels):
        loss = check_loss(replace(net, samples=chunk))
        if check is None:
            check, first = StreamingCheck(net, settings, loss), chunk
        check.add(chunk)
        count += 1
    assert check is not None and first is not None  # input_chunks refuses a file without rows
    report = check.report()
    if count == 1:
        net.samples = first  # (with its labels)
        session = Session(net, settings=settings, loss=loss)

        def explain_one(f: Finding) -> Explanation:
            assert f.neuron is not None
            session.set_sample(f.row)
            return session.explain(f.layer, f.neuron)

        return StreamedCheck(report, check.n, session.trace, explain_one)
    worst = sorted({f.row for f in worst_findings(report) if f.neuron is not None})
    net.samples = chunks.take(worst or [0])  # row 1 when nothing is explained: the trace names the layers
    trace = trace_of(net)
    explained = [f for f in worst_findings(report) if f.neuron is not None]
    spread = input_spread(chunks, settings) if check.needs_spread(explained) else None
    dataset = check.dataset(report, worst, spread)
    local = {row: k for k, row in enumerate(worst)}

    def explain_again(f: Finding) -> Explanation:
        assert f.neuron is not None
        return explain(trace, local[f.row], f.layer, f.neuron, settings, dataset)

    return StreamedCheck(report, check.n, trace, explain_again)
