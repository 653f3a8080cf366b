"""A dataset too big to trace at once: its rows read when shown (engine/rows.py,
io/input_rows.py) and the session that traces the row it shows alone."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from neurodebug import cli
from neurodebug.engine import EditError, Session, Target
from neurodebug.engine.edits import BIAS, INPUT, TARGET, WEIGHT
from neurodebug.engine.network import Layer, Network
from neurodebug.engine.rows import SamplesRows, trace_bytes, traced_whole
from neurodebug.engine.samples import Samples
from neurodebug.engine.trace import forward
from neurodebug.io.errors import NetworkFileError
from neurodebug.io.input_rows import NpyRows, open_rows

ROWS = 3000


def _network() -> Network:
    rng = np.random.default_rng(5)
    return Network([Layer("h", "relu", rng.normal(0, 0.5, (6, 5)), rng.normal(0, 0.1, 5)),
                    Layer("out", "softmax", rng.normal(0, 1, (5, 3)), np.zeros(3))],
                   samples=Samples(np.ones((2, 6)), names=["own 1", "own 2"]))


def _x(rows: int = ROWS) -> np.ndarray:
    return np.random.default_rng(9).normal(0, 1, (rows, 6)).astype(np.float32)


@pytest.fixture
def npy(tmp_path: Path) -> Path:
    path = tmp_path / "x.npy"
    np.save(path, _x())
    return path


def test_a_npy_file_is_read_at_its_rows(npy: Path) -> None:
    rows, table = open_rows(npy, _network())
    assert isinstance(rows, NpyRows) and table is None
    x = _x()
    assert len(rows) == ROWS
    got = rows.read(1234, 3)
    np.testing.assert_array_equal(got.x, x[1234:1237])
    assert list(got.names) == ["row 1235", "row 1236", "row 1237"]
    assert len(rows.read(ROWS - 1, 5)) == 1  # no row past the end
    chunks = list(rows.chunks(1000))
    assert [len(c) for c in chunks] == [1000, 1000, 1000]
    np.testing.assert_array_equal(np.concatenate([c.x for c in chunks]), x)


def test_a_csv_is_read_whole_and_served_from_memory(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    x = _x(50).astype(np.float64)
    path.write_text("a,b,c,d,e,f,label\n" + "".join(",".join(repr(float(v)) for v in row) + ",1\n" for row in x))
    rows, table = open_rows(path, _network())
    assert isinstance(rows, SamplesRows) and table is not None
    np.testing.assert_array_equal(rows.read(7).x, x[7:8])
    assert rows.read(7)[0].label == 1


def test_a_row_the_file_cannot_give_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    x = _x(10)
    x[6, 2] = np.nan
    np.save(path, x)
    rows, _ = open_rows(path, _network())
    rows.read(5)  # the rows before are fine
    with pytest.raises(NetworkFileError, match="sample 7"):
        rows.read(6)


def test_whether_a_dataset_is_traced_whole_follows_the_trace_size() -> None:
    net = _network()
    per_row = (2 * 6 + 3 * (5 + 3)) * 8
    assert trace_bytes(net, 10) == 10 * per_row
    assert traced_whole(net, 10, budget=10 * per_row)
    assert not traced_whole(net, 11, budget=10 * per_row)


def _session(npy: Path, row: int = 0) -> Session:
    net = _network()
    rows, _ = open_rows(npy, net)
    return Session(net, sample_index=row, rows=rows)


def test_the_session_traces_the_row_it_shows_alone(npy: Path) -> None:
    s = _session(npy, row=41)
    x = _x()
    assert (s.row, s.n_rows, len(s.samples), s.sample_index) == (41, ROWS, 1, 0)
    assert s.sample.name == "row 42"
    np.testing.assert_allclose(s.sample_trace.outputs, forward(s.network, x[41].astype(np.float64)), rtol=1e-12)
    version = s.values_version
    s.set_sample(2999)
    assert s.row == 2999 and s.sample.name == "row 3000" and s.values_version == version + 1
    np.testing.assert_allclose(s.sample_trace.outputs, forward(s.network, x[2999].astype(np.float64)), rtol=1e-12)
    s.set_sample(3000)  # round to the first
    assert s.row == 0
    s.set_sample(-1)
    assert s.row == 2999


def test_an_edit_reaches_every_row_shown_after_it(npy: Path) -> None:
    s = _session(npy)
    s.edit(Target(WEIGHT, 0, 0, 0), 3.0)
    s.edit(Target(BIAS, 1, 2), -1.0)
    assert s.edits_version == 2
    s.set_sample(1500)
    assert s.edits_version == 2  # showing another row is no edit
    np.testing.assert_allclose(s.sample_trace.outputs, forward(s.network, _x()[1500].astype(np.float64)), rtol=1e-12)
    assert s.network.layers[0].W[0, 0] == 3.0
    s.undo()
    assert s.network.layers[1].b[2] == 0.0
    assert not s.health_pending or s.health() is not None


@pytest.mark.parametrize("target", [Target(INPUT, -1, None, 2), Target(TARGET, -1, None, -1)])
def test_the_rows_inputs_and_labels_are_not_edited_and_nothing_changes(npy: Path, target: Target) -> None:
    s = _session(npy, row=7)
    before = (s.sample.x.copy(), s.values_version, list(s.journal))
    with pytest.raises(EditError, match="rows of x.npy"):
        s.edit(target, 0.5)
    np.testing.assert_array_equal(s.sample.x, before[0])
    assert (s.values_version, s.journal) == before[1:]


def test_a_save_writes_the_model_files_own_samples_not_the_row_shown(npy: Path) -> None:
    s = _session(npy, row=9)
    s.edit(Target(WEIGHT, 0, 0, 0), 2.0)
    saved = s.network_to_save()
    assert [x.name for x in saved.samples] == ["own 1", "own 2"]
    assert saved.layers[0].W[0, 0] == 2.0
    assert s.samples[0].name == "row 10"  # the session keeps showing its row


def _args(**given) -> argparse.Namespace:
    args = dict(inputs=None, input=None, sample=None, per_layer=False, loss=None, set=[], activations=None)
    args.update(given)
    return argparse.Namespace(**args)


def test_the_debugger_reads_a_dataset_too_big_to_trace_a_row_at_a_time(npy: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from neurodebug.io.json_writer import write_json_network

    model = write_json_network(_network(), tmp_path / "net.json", overwrite=True)
    monkeypatch.setattr("neurodebug.engine.rows.TRACE_BUDGET", 100 * trace_bytes(_network(), 1))
    s = cli.open_session(_args(inputs=str(npy), sample="2,001"), Path(model), zeros_if_empty=True, windowed=True)
    assert s.rows is not None and (s.row, s.n_rows) == (2000, ROWS)
    small = cli.open_session(_args(inputs=str(npy)), Path(model), zeros_if_empty=True)
    assert small.rows is None and len(small.samples) == ROWS  # trace and the rest: whole, as before
    with pytest.raises(cli.UsageError, match="1 to 3,000"):
        cli.open_session(_args(inputs=str(npy), sample="3001"), Path(model), windowed=True)
    with pytest.raises(cli.UsageError, match="one or the other"):
        cli.open_session(_args(inputs=str(npy), input="1,2,3,4,5,6"), Path(model), windowed=True)


def _labels(path: Path, values) -> Path:
    np.save(path, np.asarray(values))
    return path


def test_labels_go_with_a_npy_file_row_by_row_and_chunk_by_chunk(npy: Path, tmp_path: Path) -> None:
    labels = np.random.default_rng(1).integers(-1, 3, ROWS)
    rows, _ = open_rows(npy, _network(), _labels(tmp_path / "y.npy", labels))
    assert rows.read(17)[0].label == (None if labels[17] == -1 else labels[17])
    np.testing.assert_array_equal(np.concatenate([c.labels for c in rows.chunks(700)]), labels)


@pytest.mark.parametrize("values, says", [
    (np.zeros(10, dtype=int), "10 labels for 3,000 input rows"),
    (np.full(ROWS, 3), "label 1: 3 is no class: expected 0..2"),
    (np.full(ROWS, 0.5), "label 1: 0.5 is no class"),
    (np.full(ROWS, np.nan), "label 1: nan is no class"),
    (np.zeros((ROWS, 2)), "expected a 1-D array of class indices, got 3000×2"),
    (np.array(["a"] * ROWS), "expected a 1-D array of class indices"),
])
def test_labels_that_do_not_fit_are_refused_with_the_place(npy: Path, tmp_path: Path, values, says: str) -> None:
    with pytest.raises(NetworkFileError, match=says):
        open_rows(npy, _network(), _labels(tmp_path / "y.npy", values))


def test_check_with_labels_streams_them_beside_the_chunks(npy: Path, tmp_path: Path) -> None:
    from neurodebug.engine.health import check_health
    from neurodebug.engine.settings import DEFAULT_CONFIG
    from neurodebug.engine.trace import trace_of
    from neurodebug.streamed_check import check_file

    net = _network()
    labels = np.random.default_rng(1).integers(0, 3, ROWS)
    y = _labels(tmp_path / "y.npy", labels)
    streamed = check_file(_network(), npy, DEFAULT_CONFIG, lambda n: None, rows=512, labels=y).report
    whole_net = _network()
    whole_net.samples = Samples(_x(), labels, prefix="row")
    whole = check_health(trace_of(whole_net))
    assert [f.message for f in streamed.findings] == [f.message for f in whole.findings]
    assert streamed.gradients is not None and whole.gradients is not None
    short = _labels(tmp_path / "short.npy", labels[:-1])
    with pytest.raises(NetworkFileError, match="2,999 labels for 3,000 input rows"):
        check_file(net, npy, DEFAULT_CONFIG, lambda n: None, rows=512, labels=short)


def test_the_command_line_takes_labels_with_inputs_only(npy: Path, tmp_path: Path) -> None:
    from neurodebug.io.json_writer import write_json_network

    model = write_json_network(_network(), tmp_path / "net.json", overwrite=True)
    y = _labels(tmp_path / "y.npy", np.ones(ROWS, dtype=int))
    s = cli.open_session(_args(inputs=str(npy), labels=str(y)), Path(model))
    assert s.samples.labels is not None and (s.samples.labels == 1).all()
    with pytest.raises(cli.UsageError, match="--labels goes with --inputs"):
        cli.open_session(_args(labels=str(y)), Path(model))


def test_inputs_from_a_pipe_are_read_once_and_whole(tmp_path: Path) -> None:
    import os

    r, w = os.pipe()
    os.write(w, b"a,b,c,d,e,f\n1,2,3,4,5,6\n7,8,9,10,11,12\n")
    os.close(w)
    try:
        rows, table = open_rows(f"/dev/fd/{r}", _network())
    finally:
        os.close(r)
    assert isinstance(rows, SamplesRows) and table is not None and len(rows) == 2
    np.testing.assert_array_equal(rows.read(1).x, [[7, 8, 9, 10, 11, 12]])
