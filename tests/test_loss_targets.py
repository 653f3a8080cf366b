"""What a loss takes as targets, and what is said when none fits.

Keras's ``categorical_crossentropy`` trains a softmax on one-hot vectors, and
a learner's lab writes ``y = [0, 1, 0]``: cross-entropy reads such an
expected output as the class of its 1, with the gradients, backward steps and
loss ranking of that class index. A target no loss takes (class labels on
tanh outputs, a spread of probabilities for ce) is named where the gradients
would be, in ``check``'s text and JSON, and in the Operation pane at the end
of the pass, instead of the gradients going missing without a word.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neurodebug.cli import main
from neurodebug.engine import Layer, Network, Sample, Session
from neurodebug.engine.backward_steps import backward_steps
from neurodebug.engine.health import check_health
from neurodebug.engine.losses import backward_pass, ce_classes
from neurodebug.engine.sample_ranking import row_losses
from neurodebug.engine.samples import Samples
from neurodebug.engine.trace import trace_of
from neurodebug.io import write_json_network
from neurodebug.tui.sections import operation_frame

RNG = np.random.default_rng(11)
X = RNG.standard_normal((6, 3))
CLASSES = np.array([0, 2, 1, 2, 0, 1])
ONE_HOT = np.eye(3)[CLASSES]


def _net(output: str, units: int = 3, samples: list[Sample] | None = None) -> Network:
    rng = np.random.default_rng(3)
    return Network([Layer("h", "relu", rng.standard_normal((3, 4)), rng.standard_normal(4)),
                    Layer("out", output, rng.standard_normal((4, units)), rng.standard_normal(units))],
                   samples=samples or [], name=f"{output} net")


def _expected(net_output: str = "softmax") -> Network:
    return _net(net_output, samples=[Sample(f"s{i}", X[i], expected=ONE_HOT[i]) for i in range(6)])


def test_one_hot_expected_outputs_are_the_class_of_their_1():
    np.testing.assert_array_equal(ce_classes(ONE_HOT, 6, 3), CLASSES)
    np.testing.assert_array_equal(ce_classes(CLASSES, 6, 3), CLASSES)
    with pytest.raises(ValueError, match=r"one-hot .* one expected output is \[0\.2, 0\.8, 0\]: mse takes"):
        ce_classes(np.array([[0, 1, 0], [0.2, 0.8, 0]]), 2, 3)
    with pytest.raises(ValueError, match="one-hot"):
        ce_classes(np.array([[1, 1, 0]]), 1, 3)  # two 1s: not a class
    with pytest.raises(ValueError, match="one class index per sample"):
        ce_classes(np.array([0.5]), 1, 3)


@pytest.mark.parametrize("output", ["softmax", "log_softmax"])
def test_ce_on_one_hot_vectors_equals_ce_on_their_classes(output: str):
    net = _net(output)
    by_class, by_vector = backward_pass(net, X, CLASSES), backward_pass(net, X, ONE_HOT)
    assert by_class.loss == by_vector.loss == "ce"
    assert by_vector.value == by_class.value
    for a, b in zip(by_class.layers, by_vector.layers):
        np.testing.assert_array_equal(a.dW, b.dW)
        np.testing.assert_array_equal(a.db, b.db)


def test_check_takes_the_gradients_of_one_hot_expected_outputs():
    vectors, labels = _expected(), _net("softmax", samples=[Sample(f"s{i}", X[i], label=int(CLASSES[i]))
                                                             for i in range(6)])
    a, b = check_health(trace_of(vectors)), check_health(trace_of(labels))
    assert a.gradients is not None and b.gradients is not None and a.gradients_refused is None
    assert a.gradients.value == b.gradients.value
    for ga, gb in zip(a.gradients.layers, b.gradients.layers):
        np.testing.assert_array_equal(ga.neurons, gb.neurons)


def test_the_backward_steps_of_a_one_hot_vector_are_those_of_its_class():
    net = _expected()
    st = trace_of(net).sample(1)
    by_vector, by_class = backward_steps(st, ONE_HOT[1]), backward_steps(st, CLASSES[1])
    assert len(by_vector) == len(by_class)
    assert "y = [0, 0, 1], class 2" in by_vector[0].formula
    for a, b in zip(by_vector[1:], by_class[1:]):
        assert a.formula == b.formula
        np.testing.assert_array_equal(a.value, b.value)


def test_the_loss_ranking_reads_one_hot_expected_outputs_as_classes():
    net = _expected()
    trace = trace_of(net)
    z, a = trace.values[1].z, trace.values[1].a
    labelled = Samples(X, CLASSES, None, None)
    loss_v, has_v = row_losses(net, net.samples, z, a, backward_pass(net, X, ONE_HOT).loss)
    loss_l, has_l = row_losses(net, labelled, z, a, backward_pass(net, X, CLASSES).loss)
    assert has_v.all() and has_l.all()
    np.testing.assert_allclose(loss_v, loss_l)
    np.testing.assert_allclose(np.mean(loss_v), backward_pass(net, X, CLASSES).value)


def test_class_labels_on_tanh_outputs_say_why_there_are_no_gradients(tmp_path: Path, capsys):
    net = _net("tanh", units=2, samples=[Sample(f"s{i}", X[i], label=i % 2) for i in range(6)])
    report = check_health(trace_of(net))
    assert report.gradients is None
    assert report.gradients_refused == (
        "no loss fits: the tanh output implies mse, and mse needs an expected output of 2 values per sample, "
        "not a class label; class labels go with ce on a softmax or linear (logits) output")
    path = tmp_path / "tanh.json"
    write_json_network(net, path)
    main(["check", str(path)])
    out = capsys.readouterr().out
    assert "gradients: not computed, no loss taken of the samples' targets:\n  no loss fits: the tanh output" in out
    main(["check", str(path), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["gradients"] is None and doc["gradients_refused"] == report.gradients_refused
    # The streamed check (inputs read in chunks) says the same.
    inputs, labels = tmp_path / "rows.npy", tmp_path / "labels.npy"
    np.save(inputs, X)
    np.save(labels, np.arange(6) % 2)
    main(["check", str(path), "--inputs", str(inputs), "--labels", str(labels), "--format", "json"])
    assert json.loads(capsys.readouterr().out)["gradients_refused"] == report.gradients_refused


def test_a_spread_of_probabilities_is_not_a_class_for_ce():
    soft = np.full((6, 3), 1 / 3)
    net = _net("softmax", samples=[Sample(f"s{i}", X[i], expected=soft[i]) for i in range(6)])
    report = check_health(trace_of(net))
    assert report.gradients is None
    assert report.gradients_refused is not None
    assert report.gradients_refused.startswith("no loss fits: the softmax output implies ce, and ce takes a class "
                                               "index or a one-hot expected output")
    # Asked for, mse takes them.
    assert check_health(trace_of(net), loss="mse").gradients is not None


def test_the_end_of_the_pass_says_why_no_backward_pass_follows():
    net = _net("tanh", units=2, samples=[Sample("s1", X[0], label=1)])
    s = Session(net)
    s.to_end()
    assert s.backward_steps() == []
    assert s.backward_refused() is not None and s.backward_refused().startswith("no loss fits: the tanh output")
    frame = operation_frame(s, ())
    assert frame.notes[-1] == f"no backward pass: {s.backward_refused()}"
    # A sample with nothing to take a loss against has no reason to give.
    plain = Session(_net("tanh", units=2, samples=[Sample("s1", X[0])]))
    plain.to_end()
    assert plain.backward_refused() is None
    assert not any(n.startswith("no backward pass") for n in operation_frame(plain, ()).notes)
