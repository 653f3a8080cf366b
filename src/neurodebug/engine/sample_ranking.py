"""The samples that matter most: the Samples view's lists, chunk by chunk.

``SampleRanking(network).add(chunk_samples, chunk_trace, offset)`` looks at
one chunk of rows (traced alone, as ``StreamingCheck.add`` traces it) and
keeps, per category, only the ``top`` rows that rank first so far and a few
counts; ``result()`` gives the ``RankedSamples``. Memory stays one chunk's
arrays plus ``4 × top`` samples, whatever the number of rows.
``rank_samples(trace, settings, loss)`` does the same for a batch held in
memory (the debugger's usual small datasets).

The categories, each best first and ties broken by the row (lower first):

* **wrong** — the output disagrees with the sample's label or expected
  vector, by the engine's one rule (``outputs.judge``: the class voted for
  is not the label, or an output is off by more than the tolerance, or the
  output is not finite). Ranked by loss (highest first; a non-finite loss
  first of all), then by confidence (the most confidently wrong first).
* **least confident** — every row whose outputs are finite and vote for a
  class. The confidence is the winning class's probability where the
  outputs are probabilities (one sigmoid or hard_sigmoid unit: max(p, 1 − p),
  so closest to 0.5 comes first; a softmax: the largest a; a log_softmax:
  e^max a); for other classifier outputs it is the margin (one tanh or
  softsign unit: |a − cut|; several units: the largest a minus the second).
  Lowest first. No category (None) when the output votes for no class (one
  linear unit).
* **highest loss** — rows with a target the session's loss takes (see
  ``row_losses``), ranked by their own loss, highest first; a non-finite
  loss ranks first of all.
* **with a finding** — the row takes part in a per-sample health problem,
  read off its own values with ``conditions`` (so it needs no report):
  a NaN or ±∞ in some layer's z or a, or a non-finite loss (first);
  a finite |z| past ``settings.exploding_z`` on any layer but a linear
  output, where health calls it a note (then, largest |z| first); and its
  output being wrong, when the wrong outputs are a problem by
  ``output_findings.output_severity`` (a few hand-picked samples, or an
  error rate past ``max_error_rate``; a trained model's usual share of
  mistakes is a note, and then wrong alone does not count; then, highest
  loss first). What is not per sample is left out: a dead neuron and a
  saturated one are problems only when so in every sample (a neuron's
  trouble, not a sample's: every row would be listed), and the gradient
  findings hold over all labelled rows. ``findings`` given to ``add`` (rows
  of the whole table, as a ``HealthReport`` over it has them) add the rows
  of their NaN/Inf and exploding-z problems.

Counts: rows scanned, rows judged, wrong rows, rows with a loss and their
mean loss (over the finite ones), rows with a finding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from . import conditions
from .activations import ACTIVATIONS
from .findings import EXPLODING, NONFINITE, WRONG_OUTPUT, Finding, Rows, where_text
from .kinds import LossKind
from .losses import check_output, infer_loss, on_logits, one_hot_rows
from .network import Network, NormAt
from .numbers import fmt, quiet
from .output_findings import output_severity
from .outputs import NO_CLASS, judge
from .samples import NO_LABEL, Samples
from .settings import DEFAULT_CONFIG, Settings
from .trace import Trace

__all__ = ["CHUNK_ROWS", "TOP", "RankedSample", "RankedSamples", "SampleRanking", "rank_samples", "row_losses"]

TOP = 20  # samples kept per category
CHUNK_ROWS = 4096  # rows rank_samples looks at at once
_NONFINITE, _EXPLODING, _WRONG = 3, 2, 1  # the tiers of "with a finding", first first
_PROBABILITY = ("sigmoid", "hard_sigmoid", "softmax")  # outputs that are probabilities
_LOG_PROBABILITY = ("log_softmax",)


@dataclass(frozen=True)
class RankedSample:
    """One listed sample: what the row says, and the line it is listed with."""

    row: int  # 0-based, in the whole table
    name: str  # the name the table gave it; "" when it names no rows
    label: int | None
    predicted: int | None  # the class the outputs vote for; None: no class
    confidence: float | None  # the winning class's probability or margin (``RankedSamples.confidence``)
    loss: float | None  # its own loss; None: no target the loss takes
    error: float | None  # the largest |a − e| of an expected vector
    finding: str  # the per-sample problem it takes part in ("" if none): "NaN/Inf from layer 2 (h2)"
    text: str  # 'row 523,418: class 3 (p 0.41), label 5, loss 2.31'


@dataclass(frozen=True)
class RankedSamples:
    """The samples that matter most over the rows scanned so far."""

    rows: int  # rows scanned
    top: int  # the most each category keeps
    judged: int  # rows with a label or expected vector the outputs were judged by
    wrong_count: int
    loss_rows: int  # rows with a target the loss takes
    mean_loss: float | None  # over the rows with a finite loss; None: none
    finding_count: int  # rows with a finding
    loss_kind: LossKind | None  # None: the loss does not fit the output
    confidence: str | None  # "p" (a probability) or "margin"; None: the output votes for no class
    wrong_is_problem: bool  # wrong outputs count as findings (see the module's docstring)
    wrong: tuple[RankedSample, ...]
    least_confident: tuple[RankedSample, ...] | None  # None: no classes
    highest_loss: tuple[RankedSample, ...]
    with_finding: tuple[RankedSample, ...]

    @property
    def labelled(self) -> bool:
        """Some row scanned has a label or expected vector."""
        return self.judged > 0 or self.loss_rows > 0


def row_losses(network: Network, samples: Samples, z: np.ndarray, a: np.ndarray,
               kind: LossKind | None) -> tuple[np.ndarray, np.ndarray]:
    """(each row's loss, which rows have one), the output layer's ``z`` and
    ``a`` given. The formulas of ``losses.py`` (the mean's terms): bce on the
    logit, the label (0 or 1) else an expected value in [0, 1]; ce, a label
    among the classes, else a one-hot expected vector (a log_softmax: −a_y);
    mse, the expected vector (all finite), else the label where the output
    is one unit; a linear output's values are the logits bce and ce take. A
    row with nothing the loss takes has none (NaN, False)."""
    n = z.shape[0]
    loss = np.full(n, np.nan)
    has = np.zeros(n, dtype=bool)
    if kind is None or n == 0:
        return loss, has
    labels, expected = samples.labels, samples.expected
    z, a = z.astype(np.float64), a.astype(np.float64)
    k = a.shape[1]
    with quiet():
        if on_logits(network, kind):
            z = a  # the outputs themselves (a norm before the activation included)
        if kind == LossKind.BCE:
            y = np.full(n, np.nan)
            if expected is not None:
                e = expected[:, 0]
                ok = np.isfinite(e) & (e >= 0) & (e <= 1)
                y[ok] = e[ok]
            if labels is not None:
                ok = (labels == 0) | (labels == 1)
                y[ok] = labels[ok]
            has = ~np.isnan(y)
            loss = np.logaddexp(0.0, z[:, 0]) - np.where(has, y, 0.0) * z[:, 0]
        elif kind == LossKind.CE:
            y = np.zeros(n, dtype=np.int64)
            if expected is not None and expected.shape[1] == k:  # one-hot: the class of its 1
                has = one_hot_rows(expected)
                y[has] = np.argmax(expected[has], axis=1)
            if labels is not None:
                ok = (labels >= 0) & (labels < k)
                y[ok] = labels[ok]
                has = has | ok
            rows = np.arange(n)
            if network.layers[-1].activation == "log_softmax":
                loss = -a[rows, y]
            else:
                zmax = np.max(z, axis=1, keepdims=True)
                lse = (zmax + np.log(np.sum(np.exp(z - zmax), axis=1, keepdims=True))).reshape(-1)
                loss = lse - z[rows, y]
        else:
            target = np.full((n, k), np.nan)
            if labels is not None and k == 1:
                ok = labels != NO_LABEL
                target[ok, 0] = labels[ok]
            if expected is not None and expected.shape[1] == k:
                ok = np.isfinite(expected).all(axis=1)
                target[ok] = expected[ok]
            has = ~np.isnan(target).any(axis=1)
            loss = np.mean((a - np.where(has[:, None], target, 0.0)) ** 2, axis=1)
    return np.where(has, loss, np.nan), has


def _confidences(network: Network, a: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Each row's confidence in the class it votes for (NaN where the outputs
    are not all finite), and what it is: "p", "margin", or None (no class)."""
    last = network.layers[-1]
    n, k = a.shape
    a = a.astype(np.float64)
    plain = last.norm is None or last.norm_at != NormAt.A  # a norm after g: not probabilities
    with quiet():
        if k == 1:
            cut = ACTIVATIONS[last.activation].class_cut
            if cut is None:
                return np.full(n, np.nan), None
            v = a[:, 0]
            if plain and last.activation in _PROBABILITY + _LOG_PROBABILITY:
                p = np.exp(v) if last.activation in _LOG_PROBABILITY else v
                conf, what = np.maximum(p, 1.0 - p), "p"
            else:
                conf, what = np.abs(v - cut), "margin"
        elif plain and last.activation in ("softmax", "log_softmax"):
            best = np.max(a, axis=1)
            conf, what = (np.exp(best) if last.activation == "log_softmax" else best), "p"
        else:
            two = np.partition(a, k - 2, axis=1)[:, -2:]
            conf, what = two[:, 1] - two[:, 0], "margin"
    return np.where(np.isfinite(a).all(axis=1), conf, np.nan), what


def _top(mask: np.ndarray, keys: Sequence[np.ndarray], k: int) -> np.ndarray:
    """The (local) rows where ``mask`` holds that rank first by ``keys``
    (each larger first, the first most significant; no NaN), then by row;
    at most ``k``, in order. ``np.partition`` on the first key narrows a
    big chunk down before the sort; rows tied at the cut all go through."""
    idx = np.flatnonzero(mask)
    if idx.size > k > 0:
        first = keys[0][idx]
        cut = np.partition(first, idx.size - k)[idx.size - k]
        idx = idx[first >= cut]
    order = np.lexsort((idx, *(-key[idx] for key in reversed(keys))))
    return idx[order[:k]]


def _short(v: float) -> str:
    """Two significant digits, more where they would round a probability
    short of 1 up to "1" (0.99667 → '0.997'; '≈1' past six)."""
    for digits in range(2, 7):
        text = fmt(v, digits)
        if v >= 1 or text != "1":
            return text
    return "≈1"


class SampleRanking:
    """The samples that matter most, gathered a chunk of rows at a time (see
    the module's docstring for what each category holds)."""

    def __init__(self, network: Network, settings: Settings = DEFAULT_CONFIG,
                 loss: LossKind | str | None = None, top: int = TOP) -> None:
        self.network = network
        self.settings = settings
        self.top = top
        self.loss_kind: LossKind | None = None  # None: the loss does not fit the output (bce asked of a softmax)
        self._loss_asked = loss
        self._loss_settled = False  # a loss not asked for is inferred from the first rows' targets
        if loss is not None:
            self._settle_loss(labelled=False)
        self.confidence: str | None = _confidences(network, np.zeros((0, network.n_outputs)))[1]
        self.rows = self.judged = self.wrong = self.loss_rows = self.finite_losses = 0
        self.loss_sum = 0.0
        self.finding_rows = self.finding_or_wrong_rows = 0
        # per list: [(sort key, sample)], first first, at most ``top``
        self.held: dict[str, list[tuple[tuple[float | int, ...], RankedSample]]] = {
            name: [] for name in ("wrong", "unsure", "loss", "finding", "finding_or_wrong")}

    def _settle_loss(self, labelled: bool) -> None:
        """The loss the rows are ranked by; ``labelled``: their targets are class indices."""
        asked = self._loss_asked
        kind = infer_loss(self.network, labelled) if asked is None else LossKind(asked)
        try:
            check_output(self.network, kind)
            self.loss_kind = kind
        except ValueError:
            self.loss_kind = None
        self._loss_settled = True

    def add(self, chunk_samples: Samples, chunk_trace: Trace, offset: int,
            findings: Iterable[Finding] | None = None) -> None:
        """The rows of ``chunk_samples`` (rows ``offset`` on of the table),
        traced alone in ``chunk_trace``. ``findings``: a health report's
        findings over the table (table rows), whose per-sample problems count
        too (see the module's docstring); None: the rows' own values only."""
        n = len(chunk_samples)
        if not n:
            return
        values = chunk_trace.values
        self._add(chunk_samples, [(v.z, v.a) for v in values], offset, findings)

    def _add(self, samples: Samples, layers: Sequence[tuple[np.ndarray, np.ndarray]], offset: int,
             findings: Iterable[Finding] | None) -> None:
        net, settings = self.network, self.settings
        n = len(samples)
        z_out, a_out = layers[-1]
        outputs = a_out.astype(np.float64)
        verdicts = judge(net, outputs, settings.output_tolerance, samples)
        judged, wrong = verdicts.judged, verdicts.judged & ~verdicts.right
        conf, _ = _confidences(net, outputs)
        if not self._loss_settled:
            self._settle_loss(labelled=samples.labels is not None)
        loss, has_loss = row_losses(net, samples, z_out, outputs, self.loss_kind)
        # the per-sample conditions, layer by layer: first non-finite layer, largest exploding |z|
        bad_at = np.full(n, -1, dtype=np.int64)
        big = np.zeros(n)
        big_at = np.full(n, -1, dtype=np.int64)
        last = len(layers) - 1
        with quiet():
            for l, (z, a) in enumerate(layers):
                # finite sums: no NaN or ±∞ (no mask made); else look closer
                if not (np.isfinite(z.sum()) and np.isfinite(a.sum())):
                    bad = conditions.nonfinite(z, a).any(axis=1)
                    bad_at = np.where((bad_at < 0) & bad, l, bad_at)
                if l == last and net.layers[l].activation == "linear":
                    continue  # a linear output may be large by design: a note, not a problem
                if not (np.nanmax(z, initial=-np.inf) > settings.exploding_z
                        or np.nanmin(z, initial=np.inf) < -settings.exploding_z):
                    continue  # no |z| past the limit (NaN aside): nothing explodes
                size = np.where(conditions.exploding(z, settings), np.abs(z), 0.0).max(axis=1, initial=0.0)
                more = size > big
                big, big_at = np.where(more, size, big), np.where(more, l, big_at)
        loss_bad = has_loss & ~np.isfinite(loss)
        tier = np.where((bad_at >= 0) | loss_bad, _NONFINITE, np.where(big > 0, _EXPLODING, 0))
        given = self._given(findings, offset, n)
        tier = np.maximum(tier, given)

        # the counts
        self.rows += n
        self.judged += int(judged.sum())
        self.wrong += int(wrong.sum())
        self.loss_rows += int(has_loss.sum())
        fin = has_loss & np.isfinite(loss)
        self.finite_losses += int(fin.sum())
        self.loss_sum += float(np.sum(loss[fin]))
        self.finding_rows += int((tier > 0).sum())
        self.finding_or_wrong_rows += int(((tier > 0) | wrong).sum())

        # the keys, larger first: a non-finite loss first of all, none last
        loss_key = np.where(has_loss, np.where(np.isfinite(loss), loss, np.inf), -np.inf)
        conf_key = np.where(np.isfinite(conf), conf, -np.inf)
        unsure = np.isfinite(conf) & (verdicts.classes != NO_CLASS)
        tier_wrong = np.maximum(tier, np.where(wrong, _WRONG, 0))
        measure = np.where(tier_wrong == _NONFINITE, 0.0, np.where(tier_wrong == _EXPLODING, big, loss_key))
        picks = {
            "wrong": (wrong, (loss_key, conf_key)),
            "unsure": (unsure if self.confidence is not None else np.zeros(n, dtype=bool), (-conf_key,)),
            "loss": (has_loss, (loss_key,)),
            "finding": (tier > 0, (tier.astype(np.float64), measure)),
            "finding_or_wrong": (tier_wrong > 0, (tier_wrong.astype(np.float64), measure)),
        }
        made: dict[int, RankedSample] = {}
        for name, (mask, keys) in picks.items():
            chosen = _top(mask, keys, self.top)
            if not chosen.size:
                continue
            held = self.held[name]
            for i in chosen.tolist():
                if i not in made:
                    made[i] = self._sample(samples, i, offset, verdicts.classes, conf, loss, has_loss,
                                           outputs, bad_at, loss_bad, big, big_at, given)
                held.append((tuple(-float(key[i]) for key in keys) + (offset + i,), made[i]))
            held.sort(key=lambda pair: pair[0])
            del held[self.top:]

    def _given(self, findings: Iterable[Finding] | None, offset: int, n: int) -> np.ndarray:
        """The tier each row of the chunk has by the given findings' per-sample problems."""
        tier = np.zeros(n, dtype=np.int64)
        for f in findings or ():
            if not f.is_problem or f.kind not in (NONFINITE, EXPLODING):
                continue
            rows = Rows(f.samples).array
            lo, hi = np.searchsorted(rows, (offset, offset + n))
            mine = rows[lo:hi] - offset
            tier[mine] = np.maximum(tier[mine], _NONFINITE if f.kind == NONFINITE else _EXPLODING)
        return tier

    def _sample(self, samples: Samples, i: int, offset: int, classes: np.ndarray, conf: np.ndarray,
                loss: np.ndarray, has_loss: np.ndarray, outputs: np.ndarray, bad_at: np.ndarray,
                loss_bad: np.ndarray, big: np.ndarray, big_at: np.ndarray, given: np.ndarray) -> RankedSample:
        net = self.network
        given_names = samples.names.given
        name = str(given_names[i]) if given_names is not None else ""
        labels, expected = samples.labels, samples.expected
        label = int(labels[i]) if labels is not None and labels[i] != NO_LABEL else None
        predicted = None if classes[i] == NO_CLASS else int(classes[i])
        confidence = float(conf[i]) if predicted is not None and math.isfinite(conf[i]) else None
        row_loss = float(loss[i]) if has_loss[i] else None
        error = None
        e = None
        if expected is not None and not np.isnan(expected[i]).all():
            e = expected[i]
            with quiet():
                error = float(np.nanmax(np.abs(outputs[i] - e))) if np.isfinite(outputs[i]).all() else math.nan
        if bad_at[i] >= 0:
            finding = f"NaN/Inf from {where_text(net, int(bad_at[i]), None)}"
        elif loss_bad[i]:
            finding = "its loss is not finite"
        elif big[i] > 0:
            finding = f"exploding |z| = {fmt(big[i], 3)} in {where_text(net, int(big_at[i]), None)}"
        elif given[i]:
            finding = "NaN/Inf" if given[i] == _NONFINITE else "exploding z"
        else:
            finding = ""
        parts = []
        if predicted is not None:
            parts.append(f"class {predicted}" + (f" ({self.confidence} {_short(confidence)})"
                                                   if confidence is not None else ""))
        elif outputs.shape[1] == 1:
            parts.append(f"output {fmt(outputs[i, 0], 4)}")
        else:
            parts.append("no class")
        if label is not None:
            parts.append(f"label {label}")
        if e is not None:
            parts.append(f"expected {fmt(e[0], 4)}" if e.size == 1 else f"off by {fmt(error or 0.0, 3)}")
        if row_loss is not None:
            parts.append(f"loss {fmt(row_loss, 3)}")
        row = offset + i
        head = f"row {row + 1:,}" + (f" ({name})" if name else "")
        text = f"{head}: {', '.join(parts)}" + (f" — {finding}" if finding else "")
        return RankedSample(row, name, label, predicted, confidence, row_loss, error, finding, text)

    def wrong_is_problem(self) -> bool:
        """Whether the wrong outputs so far are a problem (the health check's
        rule, ``output_severity``), not a trained model's usual error."""
        if not self.wrong:
            return False
        probe = Finding(WRONG_OUTPUT, len(self.network.layers) - 1, None, Rows(()))
        return output_severity(self.judged, self.wrong, self.settings, [probe])[0].is_problem

    def result(self) -> RankedSamples:
        """The lists and counts over every row added so far."""
        def listed(name: str) -> tuple[RankedSample, ...]:
            return tuple(sample for _, sample in self.held[name])

        problem = self.wrong_is_problem()
        return RankedSamples(
            rows=self.rows, top=self.top, judged=self.judged, wrong_count=self.wrong,
            loss_rows=self.loss_rows,
            mean_loss=self.loss_sum / self.finite_losses if self.finite_losses else None,
            finding_count=self.finding_or_wrong_rows if problem else self.finding_rows,
            loss_kind=self.loss_kind, confidence=self.confidence, wrong_is_problem=problem,
            wrong=listed("wrong"),
            least_confident=None if self.confidence is None else listed("unsure"),
            highest_loss=listed("loss"),
            with_finding=listed("finding_or_wrong" if problem else "finding"),
        )


def rank_samples(trace: Trace, settings: Settings = DEFAULT_CONFIG, loss: LossKind | str | None = None,
                 findings: Iterable[Finding] | None = None, top: int = TOP) -> RankedSamples:
    """The samples that matter most among a trace's rows (a batch in memory),
    looked at ``CHUNK_ROWS`` at a time. ``findings``: as ``SampleRanking.add``'s
    (e.g. the session's health report). A trace not run on the network's own
    samples is taken as unlabelled rows."""
    network = trace.network
    samples = network.samples
    n = trace.n_samples
    if len(samples) != n:
        samples = Samples(np.zeros((n, 0)))
    given = tuple(findings) if findings is not None else None
    ranking = SampleRanking(network, settings, loss, top)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(n, start + CHUNK_ROWS)
        rows = slice(start, stop)
        names = samples.names.given
        part = Samples(np.zeros((stop - start, 0)),
                       None if samples.labels is None else samples.labels[rows],
                       None if samples.expected is None else samples.expected[rows],
                       None if names is None else list(names[start:stop]))
        ranking._add(part, [(v.z[rows], v.a[rows]) for v in trace.values], start, given)
    return ranking.result()
