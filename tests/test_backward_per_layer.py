"""The backward pass per layer (vectors and outer products), checked against losses.backward_pass."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from neurodebug import load_network
from neurodebug.engine import BatchNorm, Layer, Network, trace_of
from neurodebug.engine.backward_steps import backward_steps
from neurodebug.engine.kinds import BackKind
from neurodebug.engine.losses import backward_pass
from neurodebug.engine.norms import Rescaling

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"


def _net(rng, output, k, norm_at):
    norm = BatchNorm(rng.normal(1, 0.2, 4), rng.normal(0, 0.3, 4), rng.normal(0, 0.3, 4), rng.uniform(0.5, 2, 4))
    mid = Rescaling(rng.normal(1, 0.3, 3), rng.normal(0, 0.3, 3))
    return Network([Layer("h", "gelu", rng.normal(size=(2, 4)), rng.normal(size=4), norm=norm, norm_at=norm_at),
                    Layer("m", "tanh", rng.normal(size=(4, 3)), rng.normal(size=3), norm=mid, norm_at="a"),
                    Layer("out", output, rng.normal(size=(3, k)), rng.normal(size=k))])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("output, loss, y", [("sigmoid", "bce", 1), ("softmax", "ce", 2), ("log_softmax", "ce", 0),
                                             ("softmax", "mse", np.array([0.2, 0.5, 0.3])),
                                             ("tanh", "mse", np.array([0.5, -0.2, 0.1]))])
def test_per_layer_values_equal_the_backward_pass(seed, output, loss, y):
    rng = np.random.default_rng(seed)
    k = 1 if output == "sigmoid" else 3
    net = _net(rng, output, k, "z" if seed % 2 else "a")
    x = rng.normal(size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        steps = backward_steps(trace_of(net, x).sample(0), y, loss, granularity="layer")
    back = backward_pass(net, x[None, :], np.asarray(y)[None, ...] if np.ndim(y) else [y], loss)
    assert steps[0].kind == BackKind.LOSS and float(steps[0].value) == pytest.approx(back.value)
    fields = {BackKind.DA: "da", BackKind.DH: "dg", BackKind.DZ: "dz", BackKind.DELTA: "dzsum"}
    for s in steps[1:]:
        assert s.neuron is None and s.formula
        lb = back.layers[s.layer]
        want = lb.dW if s.kind == BackKind.DW else lb.db if s.kind == BackKind.DB else getattr(lb, fields[s.kind])[0]
        np.testing.assert_allclose(s.value, want, rtol=1e-12, atol=1e-300)
    for l in range(len(back.layers)):  # every layer has its ∂L/∂W and ∂L/∂b
        kinds = [s.kind for s in steps if s.layer == l and s.kind != BackKind.LOSS]
        assert kinds[-2:] == [BackKind.DW, BackKind.DB] and BackKind.DZ in kinds


def test_per_layer_follows_the_per_neuron_order_of_operations():
    rng = np.random.default_rng(1)
    net = _net(rng, "softmax", 3, "z")
    st = trace_of(net, rng.normal(size=2)).sample(0)
    per_neuron = backward_steps(st, 1, "ce")
    per_layer = backward_steps(st, 1, "ce", granularity="layer")
    for l in range(3):
        neuron_kinds = [s.kind for s in per_neuron if s.layer == l and s.neuron == 0]
        layer_kinds = [s.kind for s in per_layer if s.layer == l and s.kind != BackKind.LOSS]
        assert neuron_kinds == layer_kinds


def test_the_seed_per_layer_names_the_neurons_that_cannot_learn():
    net = load_network(SAMPLES / "seed_example.json")
    steps = backward_steps(trace_of(net).sample(0), 1, granularity="layer")
    assert [s.kind for s in steps] == ["loss", "dz", "dw", "db", "da", "dz", "dw", "db"]
    assert "∂L/∂a = W2 (2×1) · [−0.310026] = [−0.217018, 0.372031]" in steps[4].formula
    dz = steps[5]
    assert dz.symbolic == "∂L/∂z1 = ∂L/∂a1 ⊙ σ′(z1)" and "σ′([166.5, −48])" in dz.formula
    assert dz.notes[0].startswith("cannot learn from this sample: neuron 1 (σ′(166.5) = 4.9e−73)")
    assert dz.cannot_learn == (0, 1)
    assert steps[6].title == "layer 1 (layer1) · ∂L/∂W" and "2×2 [[" in steps[6].formula
    assert steps[1].symbolic == "∂L/∂z2 = a2 − y" and "cancels" in steps[1].notes[0]


def test_a_softmax_layer_states_its_jacobian_product():
    rng = np.random.default_rng(3)
    net = _net(rng, "softmax", 3, "z")
    steps = backward_steps(trace_of(net, rng.normal(size=2)).sample(0), np.array([0.2, 0.5, 0.3]), "mse",
                           granularity="layer")
    dz = next(s for s in steps if s.kind == BackKind.DZ and s.layer == 2)
    assert "J(z3)ᵀ · ∂L/∂a3" in dz.symbolic and " ⊙ (" in dz.formula


def test_trace_backward_per_layer_on_the_command_line(capsys):
    from neurodebug.cli import main

    assert main(["trace", str(SAMPLES / "seed_example.json"), "--backward", "--per-layer"]) == 0
    out = capsys.readouterr().out
    assert "∂L/∂a = W2 (2×1) · [−0.310026] = [−0.217018, 0.372031]" in out
    assert "cannot learn from this sample: neuron 1 (σ′(166.5) = 4.9e−73)" in out and "∂L/∂z1 = ∂L/∂a1 ⊙ σ′(z1)" in out


def test_the_first_layer_sends_no_gradient_back_and_the_others_do():
    """∂L/∂x of the first layer goes nowhere, so the pass leaves it out (a
    float32 W's float64 copy per call); every later layer's is δ · Wᵀ."""
    rng = np.random.default_rng(3)
    net = _net(rng, "softmax", 3, "z")
    x = rng.normal(size=(5, 2))
    back = backward_pass(net, x, [0, 1, 2, 1, 0], "ce")
    assert back.layers[0].dx is None
    for l in (1, 2):
        g = back.layers[l]
        assert g.dx is not None
        np.testing.assert_array_equal(g.dx, g.dzsum @ net.layers[l].W.T)
        np.testing.assert_array_equal(g.dx, back.layers[l - 1].da)
