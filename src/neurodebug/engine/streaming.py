"""The health check of a dataset that comes a chunk of rows at a time.

``StreamingCheck(network).add(chunk)`` traces one chunk (``Samples``, in
table order), keeps what the findings need and lets the chunk's
activations go; ``report()`` gives the ``HealthReport`` that
``check_health`` gives for the whole table at once: the same findings
(rows, worst row, value, severity, verdict, cause), the same gradients
(``GradientSums`` adds the labelled rows in the same 4096-row groups).
Peak memory is one chunk's trace plus the rows the findings list.

What is gathered instead of kept: per neuron the rows each condition holds
in, the worst row and its value (the first of equals, as ``np.argmax``),
whether z stayed past an edge or dead in every row, and z's mean and spread
(``stream_layers.ZStats``: equal to NumPy's up to the last digits); the NaN
findings of the chunk where each neuron first went non-finite; each row's
verdict counted; the labelled rows' slopes (``LearningStats``).

One difference from the whole table: the rows the gradients are taken
over are the labelled ones when the samples have a label array, else those
with an expected vector — decided per table by the first chunk, where the
whole-table check falls back to expected vectors when no row is labelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from . import conditions
from .explain import Dataset
from .findings import Finding, HealthReport
from .gradient_sizes import GradientSums
from .health import finding_order, nonfinite_findings
from .kinds import FindingKind, LossKind
from .layer_context import LayerContext
from .learning import learning_findings
from .learning_stats import LearningStats
from .losses import class_indices
from .network import Network
from .numbers import quiet
from .output_findings import expected_errors, expected_finding, output_severity, with_label_finding
from .outputs import Verdicts, judge
from .samples import NO_LABEL, Names, Samples
from .settings import DEFAULT_CONFIG, HealthConfig
from .stream_layers import LayerRun, Worst, ZStats, rows_of
from .trace import Trace, trace_of

__all__ = ["StreamingCheck", "input_spread", "stream_health"]


class StreamingCheck:
    """The health check, a chunk of samples at a time (see the module's docstring)."""

    def __init__(self, network: Network, config: HealthConfig = DEFAULT_CONFIG,
                 loss: LossKind | str | None = None) -> None:
        self.network = network
        self.config = config
        self.loss = loss
        self.n = 0
        raw = network.normalization is None
        self.layers = [LayerRun(layer, l, config, raw) for l, layer in enumerate(network.layers)]
        self.nonfinite: dict[tuple[int, int | None, bool], tuple[Finding, list[np.ndarray]]] = {}
        self.given: list[str] | None = None  # the names the chunks gave (None: "row 1", "row 2", … made when read)
        self.prefix = "row"
        self.trace: Trace | None = None  # the last chunk's: the network and layers a finding names
        # the outputs against the labels and expected vectors
        units = network.n_outputs
        self.judged_any = False
        self.total = self.wrong = 0
        self.expected = Worst(units)
        self.expected_at = np.zeros(units)  # the expected value and the error at each neuron's worst row
        self.error_at = np.zeros(units)
        self.wrong_rows: list[np.ndarray] = []
        self.first_wrong: tuple[int, np.ndarray, int, int] | None = None  # row, outputs, label, class
        # the gradients, over the labelled rows
        self.sums: GradientSums | None = None
        self.learning: LearningStats | None = None
        self.grad_rows: list[np.ndarray] = []
        self.raw = raw  # inputs in raw units, for an explanation's "normalised, z would be …"

    def add(self, chunk: Samples) -> None:
        """The next rows of the table (after every row added before)."""
        k = len(chunk)
        if not k:
            return
        offset = self.n
        net = replace(self.network, samples=chunk)
        trace = trace_of(net)
        self._names(chunk)
        verdicts = judge(net, trace.outputs, self.config.output_tolerance)
        last = len(self.layers) - 1
        with quiet():
            for l, run in enumerate(self.layers):
                vals = trace.values[l]
                finite = run.add(vals.z, trace.layer_input(l), offset, verdicts.right if l == last else None)
                # every z finite and a finite sum of a: no NaN or ±∞ (no mask made); else look closer
                if not (finite and np.isfinite(vals.a.sum())):
                    bad = conditions.nonfinite(vals.z, vals.a)
                    if bad.any():
                        self._add_nonfinite(LayerContext(trace, l, chunk.names), bad, np.isfinite(vals.z), offset)
            self._add_outputs(chunk, trace, verdicts, offset)
        self._add_targets(chunk, trace, offset)
        self.trace = trace
        self.n += k

    def _names(self, chunk: Samples) -> None:
        given = chunk.names.given
        if given is not None and self.given is None:
            self.given = [f"{self.prefix} {i + 1}" for i in range(self.n)]
        if self.given is not None:
            self.given += list(chunk.names)

    def _add_nonfinite(self, ctx: LayerContext, bad: np.ndarray, zfin: np.ndarray, offset: int) -> None:
        # The finding of the chunk where the neuron first went non-finite: its
        # first row, value and cause are the table's; the rows add up.
        for f in nonfinite_findings(ctx, bad, zfin):
            key = (ctx.l, f.neuron, f.origin)
            rows = f.samples.array + offset
            if key in self.nonfinite:
                self.nonfinite[key][1].append(rows)
            else:
                self.nonfinite[key] = (replace(f, row=f.row + offset), [rows])

    def _add_outputs(self, chunk: Samples, trace: Trace, verdicts: Verdicts, offset: int) -> None:
        judged, right = verdicts.judged, verdicts.right
        self.judged_any |= bool(judged.any())
        self.total += int(judged.sum())
        self.wrong += int((judged & ~right).sum())
        outputs = trace.outputs
        if chunk.expected is not None and verdicts.by_expected.any():
            err, score = expected_errors(outputs, chunk.expected)
            better = self.expected.add(~verdicts.expected_right, lambda: score, outputs, offset)
            if better.any():
                at = self.expected.row[better] - offset
                self.expected_at[better] = chunk.expected[at, np.flatnonzero(better)]
                self.error_at[better] = err[at, np.flatnonzero(better)]
        wrong = np.flatnonzero(verdicts.by_label & ~verdicts.label_right)
        if wrong.size:
            self.wrong_rows.append(wrong + offset)
            if self.first_wrong is None:
                assert chunk.labels is not None
                r = int(wrong[0])
                self.first_wrong = (r + offset, outputs[r].copy(), int(chunk.labels[r]), int(verdicts.classes[r]))

    def _add_targets(self, chunk: Samples, trace: Trace, offset: int) -> None:
        if chunk.labels is not None:
            local = np.flatnonzero(chunk.labels != NO_LABEL)
            y: np.ndarray = chunk.labels[local]
        elif chunk.expected is not None:
            local = np.flatnonzero(~np.isnan(chunk.expected).all(axis=1))
            y = chunk.expected[local]
        else:
            return
        if not local.size:
            return
        if self.sums is None:
            self.sums = GradientSums(self.network, self.loss, labelled=class_indices(y))
            self.learning = LearningStats(self.network, self.sums.kind, self.config)
        assert self.learning is not None
        self.sums.add(trace.x[local], y)
        self.learning.add(trace, local, offset)
        self.grad_rows.append(local + offset)

    def names(self) -> Sequence[str]:
        return Names(self.given, self.n, self.prefix)

    def report(self) -> HealthReport:
        """The report over every row added."""
        if self.trace is None:
            raise ValueError("no samples to check")
        trace, n, config = self.trace, self.n, self.config
        names = self.names()
        findings: list[Finding] = []
        for l, run in enumerate(self.layers):
            for (fl, _j, _origin), (f, parts) in self.nonfinite.items():
                if fl == l:
                    findings.append(replace(f, samples=rows_of(parts), sample_name=names[f.row], n_samples=n))
            findings += run.findings(LayerContext(trace, l, names, n), self.judged_any)
        ctx = LayerContext(trace, len(self.layers) - 1, names, n)
        out = [expected_finding(ctx, j, rows, int(self.expected.row[j]), float(self.expected.value[j]),
                                float(self.expected_at[j]), float(self.error_at[j]), config)
               for j, rows in self.expected.neurons()]
        if self.first_wrong is not None:
            r, outputs, label, cls = self.first_wrong
            out = with_label_finding(ctx, out, rows_of(self.wrong_rows).array, r, outputs, label, cls)
        findings += output_severity(self.total, self.wrong, config, out)
        grads = refused = None
        if self.sums is not None:
            grads, refused = self.sums.result(rows_of(self.grad_rows).array), self.sums.refused
        if grads is not None:
            findings += learning_findings(trace, grads, findings, config, names, self.learning, n)
        findings.sort(key=finding_order)
        return HealthReport(tuple(findings), names, config, grads, refused)


    def needs_spread(self, findings: Iterable[Finding]) -> bool:
        """Whether explaining ``findings`` takes the inputs' mean and spread
        (``input_spread``: a second pass, only then): a saturated or
        exploding first-layer neuron fed raw inputs."""
        return self.raw and any(
            f.layer == 0 and f.kind in (FindingKind.SATURATED, FindingKind.EXPLODING) for f in findings)

    def dataset(self, report: HealthReport, rows: Sequence[int],
                spread: tuple[ZStats, np.ndarray] | None = None) -> Dataset:
        """What an explanation of the table rows ``rows`` (a trace of them
        alone, in this order) says about every sample; ``spread``: the raw
        inputs' (``input_spread``), when ``needs_spread``."""
        x_stats = None
        if spread is not None and spread[0].n:
            stats, large = spread
            x_stats = (stats.mean, np.sqrt(stats.m2 / stats.n), large)
        z_range = {l: run.z_range() for l, run in enumerate(self.layers) if run.at is not None}
        return Dataset(self.n, tuple(int(r) for r in rows), report.findings, z_range, x_stats)


def input_spread(chunks: Iterable[Samples], config: HealthConfig = DEFAULT_CONFIG) -> tuple[ZStats, np.ndarray]:
    """The raw inputs' mean and Σ(x − mean)² per feature over every chunk,
    and which features are large (|x| > ``large_input``) in some sample."""
    spread: ZStats | None = None
    large = np.zeros(0, dtype=bool)
    for chunk in chunks:
        x = chunk.x
        if spread is None:
            spread, large = ZStats(x.shape[1]), np.zeros(x.shape[1], dtype=bool)
        spread.add(x)
        with quiet():
            large |= (np.abs(x) > config.large_input).any(axis=0)
    assert spread is not None
    return spread, large


def stream_health(network: Network, chunks: Iterable[Samples], config: HealthConfig = DEFAULT_CONFIG,
                  loss: LossKind | str | None = None) -> HealthReport:
    """``check_health`` over a table that comes in chunks of rows (see ``StreamingCheck``)."""
    check = StreamingCheck(network, config, loss)
    for chunk in chunks:
        check.add(chunk)
    return check.report()
