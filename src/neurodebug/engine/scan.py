"""A scan of a whole dataset, a chunk of rows at a time: the health report
over every row and the samples that matter most (``sample_ranking``).

The debugger on a dataset too big to trace at once (``Session.rows``) shows
one row; a scan goes through all of them in the background, as
``check --inputs`` does (``streaming.StreamingCheck``), and says how far it
has got after each chunk. It reads its own copy of the network
(``Session.scan``): the screen may edit the session's weights meanwhile, and
a scan of values that have changed is thrown away and started again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .findings import HealthReport
from .kinds import LossKind
from .network import Network
from .rows import SCAN_ROWS, RowSource
from .sample_ranking import RankedSamples, SampleRanking
from .settings import Settings
from .streaming import StreamingCheck
from .trace import trace_of

__all__ = ["DatasetScan", "ScanState"]


@dataclass(frozen=True)
class ScanState:
    """How far a scan has got, and what it has found so far."""

    version: int  # the session's edits_version the scan is of (showing another row changes no value it reads)
    scanned: int  # rows gone through
    total: int  # rows in the dataset
    ranking: RankedSamples | None  # the samples that matter most among the rows scanned
    report: HealthReport | None = None  # over every row, once the scan is done (a checked scan's)
    error: str | None = None  # why the scan stopped early (a row the file cannot give)
    done: bool = False  # every row gone through, or stopped by ``error``


class DatasetScan:
    """One scan of ``rows`` through ``network`` (a copy no one else changes)."""

    def __init__(self, network: Network, rows: RowSource, settings: Settings, loss: LossKind | None,
                 version: int, chunk_rows: int = SCAN_ROWS, checked: bool = True) -> None:
        self.network = network
        self.rows = rows
        self.settings = settings
        self.loss = loss
        self.version = version
        self.chunk_rows = chunk_rows
        self.checked = checked  # the health check of every row too (else the samples that matter alone)

    def run(self, stopped: Callable[[], bool], progress: Callable[[ScanState], None]) -> ScanState | None:
        """Go through every row, calling ``progress`` after each chunk; None
        when ``stopped()`` says to stop (checked between chunks). A file that
        cannot give a row ends the scan with ``error``: what was found before
        it is kept."""
        total = len(self.rows)
        check = StreamingCheck(self.network, self.settings, self.loss) if self.checked else None
        ranking = SampleRanking(self.network, self.settings, self.loss)
        scanned = 0
        try:
            for chunk in self.rows.chunks(self.chunk_rows):
                if stopped():
                    return None
                if check is not None:
                    check.add(chunk)
                    assert check.trace is not None
                    trace = check.trace
                else:
                    trace = trace_of(replace(self.network, samples=chunk))
                ranking.add(chunk, trace, scanned)
                scanned += len(chunk)
                progress(ScanState(self.version, scanned, total, ranking.result()))
        except Exception as exc:  # noqa: BLE001 - a reader's error (io.NetworkFileError), said, not raised
            state = ScanState(self.version, scanned, total, ranking.result() if scanned else None,
                              error=str(exc) or type(exc).__name__, done=True)
            progress(state)
            return state
        if stopped():
            return None
        report = check.report() if check is not None and scanned else None
        state = ScanState(self.version, scanned, total, ranking.result(), report, done=True)
        progress(state)
        return state
