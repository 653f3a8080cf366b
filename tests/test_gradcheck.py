"""The gradient check: analytic gradients beside central finite differences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurodebug.cli import main
from neurodebug.engine import Layer, Network, dense
from neurodebug.engine.gradcheck import gradient_check

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("path", [SAMPLES / "seed_example.json", SAMPLES / "coffee_lab.json",
                                  SAMPLES / "coffee_roasting.json", SAMPLES / "xor.json",
                                  FIXTURES / "batchnorm_demo.json"])
def test_every_bundled_network_checks_out(path, capsys):
    assert main(["trace", str(path), "--backward", "--gradcheck"]) == 0
    assert "gradient check (central differences" in capsys.readouterr().out


def _net() -> Network:
    rng = np.random.default_rng(4)
    return Network([Layer("h", "tanh", rng.normal(size=(3, 4)), rng.normal(size=4)),
                    Layer("o", "sigmoid", rng.normal(size=(4, 1)), rng.normal(size=1))])


def test_a_wrong_backward_pass_is_caught(monkeypatch):
    net = _net()
    x, y = np.random.default_rng(1).normal(size=(3, 3)), np.array([[1.0], [0.0], [1.0]])
    assert all(c.ok for c in gradient_check(net, x, y, "bce"))
    real = dense.activation_backward
    monkeypatch.setattr(dense, "activation_backward", lambda *a: 0.5 * real(*a))  # half of every g′(z)
    checks = gradient_check(net, x, y, "bce")
    bad = [c for c in checks if not c.ok]
    assert bad and {c.layer for c in bad} == {0}  # the hidden layer's gradients (the output's is a − y)
    assert all(c.rel_error > 0.1 for c in bad)


def test_a_relu_exactly_at_its_kink_is_not_a_mismatch():
    net = Network([Layer("h", "relu", np.array([[1.0]]), np.array([0.0])),
                   Layer("o", "linear", np.array([[2.0]]), np.array([0.5]))])
    checks = gradient_check(net, np.array([[0.0]]), np.array([[1.0]]), "mse")  # z = 0: on the kink
    kinks = [c.label for c in checks if c.kink]
    assert kinks and all(c.ok for c in checks)


def test_the_network_is_not_touched_and_big_ones_are_refused():
    net = _net()
    W = net.layers[0].W.copy()
    gradient_check(net, np.ones((1, 3)), np.array([[1.0]]), "bce")
    assert net.layers[0].W.tobytes() == W.tobytes()
    big = Network([Layer("h", "relu", np.zeros((200, 101)), np.zeros(101))])
    with pytest.raises(ValueError, match="at most 20000"):
        gradient_check(big, np.ones((1, 200)), np.zeros((1, 101)), "mse")


def test_gradcheck_needs_backward(capsys):
    assert main(["trace", str(SAMPLES / "seed_example.json"), "--gradcheck"]) == 2
    assert "--gradcheck goes with --backward" in capsys.readouterr().err
