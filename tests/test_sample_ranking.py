"""The samples that matter most (engine/sample_ranking.py): chunk by chunk
equals the whole batch at once, and both equal sorting every row."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodebug.engine.findings import EXPLODING, NONFINITE, WRONG_OUTPUT
from neurodebug.engine.health import check_health
from neurodebug.engine.kinds import LossKind
from neurodebug.engine.network import Layer, Network
from neurodebug.engine.numbers import fmt
from neurodebug.engine.outputs import NO_CLASS, judge
from neurodebug.engine.sample_ranking import RankedSamples, SampleRanking, _short, rank_samples
from neurodebug.engine.samples import NO_LABEL, Samples
from neurodebug.engine.settings import DEFAULT_CONFIG
from neurodebug.engine.trace import trace_of


# -- networks and samples -------------------------------------------------------------------------------
# Weights and inputs are multiples of 1/4 with few bits: every dot product is
# exact, so a row's values do not depend on the rows traced with it.
def _quarters(rng: np.random.Generator, shape: tuple[int, ...], size: int) -> np.ndarray:
    return rng.integers(-size, size + 1, shape).astype(np.float64) / 4


OUTPUTS = ("sigmoid", "softmax", "log_softmax", "linear", "tanh", "linear_classes")


def _network(rng: np.random.Generator, output: str, hidden: str, inputs: int) -> Network:
    units = {"sigmoid": 1, "tanh": 1, "linear": int(rng.integers(1, 4))}.get(output, int(rng.integers(2, 5)))
    act = "linear" if output == "linear_classes" else output
    h = int(rng.integers(1, 5))
    return Network([Layer("h", hidden, _quarters(rng, (inputs, h), 8), _quarters(rng, (h,), 4)),
                    Layer("out", act, _quarters(rng, (h, units), 8), _quarters(rng, (units,), 4))])


def _samples(rng: np.random.Generator, net: Network, rows: int, output: str, labelled: float,
             nan: float, named: bool) -> Samples:
    x = _quarters(rng, (rows, net.n_inputs), 16)
    x[rng.random(x.shape) < nan] = np.nan
    x[rng.random(x.shape) < nan] = 4096.0  # exploding z in the hidden layer, often
    k = net.n_outputs
    labels = expected = None
    if output == "linear":
        expected = _quarters(rng, (rows, k), 8)
        expected[rng.random(rows) >= labelled] = np.nan
    else:
        classes = 2 if k == 1 else k
        labels = rng.integers(0, classes, rows)
        labels[rng.random(rows) >= labelled] = NO_LABEL
    names = [f"s{i}" for i in range(rows)] if named else None
    return Samples(x, labels, expected, names, prefix="row")


@st.composite
def cases(draw: st.DrawFn, exact: bool = False) -> tuple[Network, int]:
    """A network and its samples, and how many rows a list keeps. ``exact``:
    a hidden layer whose outputs stay multiples of 1/4 (relu, linear), so a
    row traced alone gives the same bits as in the batch (a tanh's are not,
    and a matrix product of one row may round its last bit otherwise)."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    output = draw(st.sampled_from(OUTPUTS))
    hidden = draw(st.sampled_from(("relu", "linear") if exact else ("tanh", "relu", "sigmoid", "linear")))
    net = _network(rng, output, hidden, draw(st.integers(1, 4)))
    rows = draw(st.integers(1, 40))
    labelled = draw(st.sampled_from((0.0, 0.5, 1.0)))
    nan = draw(st.sampled_from((0.0, 0.05, 0.2)))
    net.samples = _samples(rng, net, rows, output, labelled, nan, draw(st.booleans()))
    return net, draw(st.sampled_from((1, 3, 20)))


def _chunks(samples: Samples, size: int) -> list[Samples]:
    out = []
    for start in range(0, len(samples), size):
        rows = slice(start, min(start + size, len(samples)))
        given_names = samples.names.given
        out.append(Samples(samples.x[rows], None if samples.labels is None else samples.labels[rows],
                           None if samples.expected is None else samples.expected[rows],
                           None if given_names is None else list(given_names[rows]), prefix="row"))
    return out


def _chunked(net: Network, size: int, top: int, loss: LossKind | None = None) -> RankedSamples:
    ranking = SampleRanking(net, DEFAULT_CONFIG, loss, top)
    offset = 0
    for chunk in _chunks(net.samples, size):
        ranking.add(chunk, trace_of(dataclasses.replace(net, samples=chunk)), offset)
        offset += len(chunk)
    return ranking.result()


def _same(a: RankedSamples, b: RankedSamples) -> None:
    assert (a.mean_loss is None) == (b.mean_loss is None)
    if a.mean_loss is not None:
        assert a.mean_loss == pytest.approx(b.mean_loss, rel=1e-12)
    # repr: every float to its last bit, and NaN equal to NaN
    assert repr(dataclasses.replace(a, mean_loss=None)) == repr(dataclasses.replace(b, mean_loss=None))


# -- the brute force: every row's keys, then one sort ----------------------------------------------------
def _brute(net: Network, top: int) -> dict[str, object]:
    """What each list holds, by sorting every row (rows only, best first)."""
    trace = trace_of(net)
    s = net.samples
    n, k = trace.n_samples, net.n_outputs
    a = trace.outputs.astype(np.float64)
    z = trace.values[-1].z.astype(np.float64)
    act = net.layers[-1].activation
    verdicts = judge(net, a, DEFAULT_CONFIG.output_tolerance)
    wrong = verdicts.judged & ~verdicts.right
    finite = np.isfinite(a).all(axis=1)
    labels = s.labels if s.labels is not None else np.full(n, NO_LABEL)
    # the loss of each row, by the loss the output implies
    loss = [None] * n
    with np.errstate(all="ignore"):
        for r in range(n):
            y = int(labels[r])
            if act == "sigmoid" and k == 1 and y in (0, 1):
                loss[r] = float(np.logaddexp(0.0, z[r, 0]) - y * z[r, 0])
            elif act == "softmax" and 0 <= y < k:
                m = np.max(z[r])
                loss[r] = float(m + np.log(np.sum(np.exp(z[r] - m))) - z[r, y])
            elif act == "log_softmax" and 0 <= y < k:
                loss[r] = float(-a[r, y])
            elif act == "linear" and k > 1 and s.labels is not None:  # logits with a label column: ce
                if 0 <= y < k:
                    m = np.max(a[r])
                    loss[r] = float(m + np.log(np.sum(np.exp(a[r] - m))) - a[r, y])
            elif act not in ("sigmoid", "softmax", "log_softmax"):
                if s.expected is not None and np.isfinite(s.expected[r]).all():
                    loss[r] = float(np.mean((a[r] - s.expected[r]) ** 2))
                elif k == 1 and y != NO_LABEL:
                    loss[r] = float((a[r, 0] - y) ** 2)
    # the confidence of each row in its class
    conf: list[float | None] = [None] * n
    for r in range(n):
        if not finite[r] or verdicts.classes[r] == NO_CLASS:
            continue
        if k == 1:
            v = float(a[r, 0])
            conf[r] = max(v, 1 - v) if act == "sigmoid" else (abs(v) if act == "tanh" else None)
        elif act == "softmax":
            conf[r] = float(a[r].max())
        elif act == "log_softmax":
            conf[r] = float(np.exp(a[r].max()))
        else:
            second, first = sorted(a[r].tolist())[-2:]
            conf[r] = first - second
    # the findings of each row: NaN/Inf anywhere or a non-finite loss, exploding z off a linear output
    tier = [0] * n
    big = [0.0] * n
    for r in range(n):
        bad = any(not (np.isfinite(v.z[r]).all() and np.isfinite(v.a[r]).all()) for v in trace.values)
        if bad or (loss[r] is not None and not math.isfinite(loss[r])):
            tier[r] = 3
            continue
        for l, v in enumerate(trace.values):
            if l == len(trace.values) - 1 and act == "linear":
                continue
            size = np.abs(v.z[r])
            if (size > DEFAULT_CONFIG.exploding_z).any():
                tier[r], big[r] = 2, max(big[r], float(size.max()))
    judged, n_wrong = int(verdicts.judged.sum()), int(wrong.sum())
    wrong_problem = n_wrong > 0 and (judged < DEFAULT_CONFIG.min_labelled
                                     or n_wrong / judged > DEFAULT_CONFIG.max_error_rate)

    def loss_key(r: int) -> float:
        value = loss[r]
        return -math.inf if value is None else (value if math.isfinite(value) else math.inf)

    def with_finding(r: int) -> int:
        return max(tier[r], 1 if wrong_problem and wrong[r] else 0)

    def measure(r: int) -> float:
        t = with_finding(r)
        return 0.0 if t == 3 else big[r] if t == 2 else loss_key(r)

    rows = range(n)
    finite_losses = [v for v in loss if v is not None and math.isfinite(v)]
    return {
        "wrong": sorted((r for r in rows if wrong[r]),
                        key=lambda r: (-loss_key(r), -(conf[r] if conf[r] is not None else -math.inf), r))[:top],
        "least_confident": (None if act in ("linear",) and k == 1 else
                            sorted((r for r in rows if conf[r] is not None), key=lambda r: (conf[r], r))[:top]),
        "highest_loss": sorted((r for r in rows if loss[r] is not None), key=lambda r: (-loss_key(r), r))[:top],
        "with_finding": sorted((r for r in rows if with_finding(r)),
                               key=lambda r: (-with_finding(r), -measure(r), r))[:top],
        "wrong_count": n_wrong,
        "judged": judged,
        "loss_rows": sum(v is not None for v in loss),
        "finding_count": sum(bool(with_finding(r)) for r in rows),
        "mean_loss": math.fsum(finite_losses) / len(finite_losses) if finite_losses else None,
    }


def _rows(listed: tuple | None) -> list[int] | None:
    return None if listed is None else [s.row for s in listed]


# -- the tests ------------------------------------------------------------------------------------------
@settings(max_examples=150)
@given(cases(exact=True))
def test_chunk_by_chunk_equals_the_whole_batch(case: tuple[Network, int]) -> None:
    net, top = case
    whole = rank_samples(trace_of(net), DEFAULT_CONFIG, top=top)
    for size in (1, 7, 4096):
        _same(_chunked(net, size, top), whole)


@settings(max_examples=150)
@given(cases())
def test_the_lists_equal_sorting_every_row(case: tuple[Network, int]) -> None:
    net, top = case
    got = rank_samples(trace_of(net), DEFAULT_CONFIG, top=top)
    want = _brute(net, top)
    for name in ("wrong", "least_confident", "highest_loss", "with_finding"):
        assert _rows(getattr(got, name)) == want[name], name
    for name in ("wrong_count", "judged", "loss_rows", "finding_count"):
        assert getattr(got, name) == want[name], name
    assert got.rows == net.samples.x.shape[0]
    if want["mean_loss"] is None:
        assert got.mean_loss is None
    else:
        assert got.mean_loss == pytest.approx(want["mean_loss"], rel=1e-12)
    for listed in (got.wrong, got.least_confident or (), got.highest_loss, got.with_finding):
        for sample in listed:
            assert sample.text.startswith(f"row {sample.row + 1:,}")
            assert (sample.name != "") == (net.samples.names.given is not None)


def _trained(rows: int = 3000, seed: int = 5) -> tuple[Network, np.ndarray]:
    """A softmax classifier whose labels are its own classes but for a few
    flipped ones: the wrong rows are exactly those."""
    rng = np.random.default_rng(seed)
    net = Network([Layer("h", "relu", rng.normal(0, 1, (5, 8)), np.zeros(8)),
                   Layer("out", "softmax", rng.normal(0, 2, (8, 4)), np.zeros(4))])
    x = rng.normal(0, 1, (rows, 5))
    labels = np.argmax(trace_of(net, x).outputs, axis=1)
    flipped = np.sort(rng.choice(rows, 12, replace=False))
    labels[flipped] = (labels[flipped] + 1) % 4
    net.samples = Samples(x, labels, prefix="row")
    return net, flipped


def test_the_wrong_samples_listed_are_the_misclassified_ones() -> None:
    net, flipped = _trained()
    got = _chunked(net, 4096, 20)
    assert sorted(s.row for s in got.wrong) == flipped.tolist()
    assert got.wrong_count == 12 and got.judged == 3000
    # a trained model's usual share of mistakes: a note, so no sample has a finding
    assert not got.wrong_is_problem and got.with_finding == () and got.finding_count == 0
    first = got.wrong[0]
    assert first.label is not None and first.predicted is not None and first.label != first.predicted
    assert first.text == (f"row {first.row + 1:,}: class {first.predicted} (p {_short(_given(first.confidence))}), "
                          f"label {first.label}, loss {_fmt(first.loss, 3)}")
    losses = [s.loss for s in got.highest_loss]
    assert losses == sorted(losses, reverse=True)
    assert got.highest_loss[0].row in flipped  # the most wrong is the worst loss
    assert [s.confidence for s in got.least_confident or ()] == sorted(s.confidence for s in got.least_confident or ())


def _given(v: float | None) -> float:
    assert v is not None
    return v


def _fmt(v: float | None, digits: int = 2) -> str:
    return fmt(_given(v), digits)


def test_a_few_wrong_samples_are_problems_and_findings() -> None:
    net, flipped = _trained(rows=20)
    got = rank_samples(trace_of(net), DEFAULT_CONFIG)
    assert got.wrong_is_problem
    assert [s.row for s in got.with_finding] == [s.row for s in got.wrong]


def test_with_a_finding_are_the_rows_of_the_health_checks_per_sample_problems() -> None:
    rng = np.random.default_rng(11)
    net = Network([Layer("h", "tanh", rng.normal(0, 1, (3, 6)), np.zeros(6)),
                   Layer("out", "sigmoid", rng.normal(0, 1, (6, 1)), np.zeros(1))])
    x = rng.normal(0, 1, (50, 3))
    x[[4, 17], 0] = np.nan
    x[[9, 30, 31], 1] = 5000.0  # exploding z in layer 1
    labels = rng.integers(0, 2, 50)
    net.samples = Samples(x, labels)
    trace = trace_of(net)
    report = check_health(trace, DEFAULT_CONFIG)
    want: set[int] = set()
    for f in report.problems:
        if f.kind in (NONFINITE, EXPLODING, WRONG_OUTPUT):
            want |= set(f.samples)
    got = rank_samples(trace, DEFAULT_CONFIG, top=50)
    assert got.finding_count == len(want)
    assert {s.row for s in got.with_finding} == want
    assert [s.row for s in got.with_finding[:2]] == [4, 17]  # NaN first, by row
    assert got.with_finding[0].finding == "NaN/Inf from layer 1 (h)"
    assert got.with_finding[2].finding.startswith("exploding |z| = ")
    # the report given changes nothing: its rows are the same
    _same(rank_samples(trace, DEFAULT_CONFIG, top=50, findings=report.findings), got)


def test_one_sigmoid_output_closest_to_a_half_is_least_confident() -> None:
    w = np.array([[1.0]])
    net = Network([Layer("out", "sigmoid", w, np.zeros(1))])
    x = np.array([[3.0], [0.25], [-0.25], [-4.0], [0.0], [np.nan]])
    net.samples = Samples(x)
    got = rank_samples(trace_of(net), DEFAULT_CONFIG, top=3)
    assert [s.row for s in got.least_confident or ()] == [4, 1, 2]  # p 0.5, then the tie by row
    assert got.least_confident is not None and got.least_confident[0].text == "row 5: class 1 (p 0.5)"
    assert got.judged == 0 and got.wrong == () and got.highest_loss == () and not got.labelled
    assert got.with_finding[0].row == 5 and got.finding_count == 1
    assert got.with_finding[0].text == "row 6: output NaN — NaN/Inf from layer 1 (out)"


def test_a_regression_output_has_no_confidence_and_ranks_by_squared_error() -> None:
    net = Network([Layer("out", "linear", np.array([[2.0]]), np.zeros(1))])
    x = np.array([[1.0], [2.0], [3.0], [1e200]])
    expected = np.array([[2.0], [0.0], [np.nan], [0.0]])
    net.samples = Samples(x, expected=expected)
    got = rank_samples(trace_of(net), DEFAULT_CONFIG)
    assert got.least_confident is None and got.confidence is None
    assert got.loss_kind == LossKind.MSE
    # 2e200² overflows: a non-finite loss ranks first and is a finding
    assert [s.row for s in got.highest_loss] == [3, 1, 0]
    assert got.loss_rows == 3 and got.mean_loss == pytest.approx(8.0)
    # two judged rows: each wrong one is a problem too, after the non-finite
    assert [s.row for s in got.with_finding] == [3, 1] and got.wrong_is_problem
    assert [s.row for s in got.wrong] == [3, 1]
    assert got.highest_loss[1].text == "row 2: output 4, expected 0, loss 16"


def test_a_loss_that_does_not_fit_the_output_gives_no_losses() -> None:
    rng = np.random.default_rng(2)
    net = Network([Layer("out", "softmax", rng.normal(0, 1, (2, 3)), np.zeros(3))])
    net.samples = Samples(rng.normal(0, 1, (10, 2)), rng.integers(0, 3, 10))
    got = rank_samples(trace_of(net), DEFAULT_CONFIG, loss="bce")
    assert got.loss_kind is None and got.highest_loss == () and got.loss_rows == 0 and got.mean_loss is None
    assert got.judged == 10


def test_a_big_table_keeps_only_the_top_rows() -> None:
    rng = np.random.default_rng(9)
    net = Network([Layer("h", "tanh", rng.normal(0, 1, (4, 6)), np.zeros(6)),
                   Layer("out", "softmax", rng.normal(0, 1, (6, 3)), np.zeros(3))])
    rows = 50_000
    x = rng.normal(0, 1, (rows, 4))
    x[rng.random(rows) < 0.001, 2] = np.nan
    net.samples = Samples(x, rng.integers(-1, 3, rows), prefix="row")
    ranking = SampleRanking(net, DEFAULT_CONFIG, top=20)
    offset = 0
    for chunk in _chunks(net.samples, 4096):
        ranking.add(chunk, trace_of(dataclasses.replace(net, samples=chunk)), offset)
        offset += len(chunk)
        assert all(len(held) <= 20 for held in ranking.held.values())
    got = ranking.result()
    assert got.rows == rows
    _same(got, rank_samples(trace_of(net), DEFAULT_CONFIG))
    assert got.with_finding[0].text.endswith("NaN/Inf from layer 1 (h)")
