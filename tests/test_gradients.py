"""Network.gradients against PyTorch autograd and against central finite differences."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurodebug.engine import BatchNorm, Layer, Network, Rescaling
from neurodebug.engine.losses import backward_pass, infer_loss

from activation_references import ACTIVATION_NAMES, PER_LAYER_NAMES

TORCH = json.loads((Path(__file__).parent / "fixtures" / "gradients" / "torch_gradients.json").read_text())
ELEMENTWISE = [a for a in ACTIVATION_NAMES if a not in PER_LAYER_NAMES]


@pytest.mark.parametrize("case", TORCH["cases"], ids=lambda c: f"{c['hidden']}-{c['output']}")
def test_gradients_match_pytorch_autograd(case):
    layers = [Layer(f"l{i + 1}", case["hidden"], np.array(W), np.array(b), params=case["params"])
              for i, (W, b) in enumerate(zip(case["W"][:2], case["b"][:2]))]
    layers.append(Layer("out", case["output"], np.array(case["W"][2]), np.array(case["b"][2])))
    net = Network(layers)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = net.gradients(np.array(case["X"]), np.array(case["y"]), loss=case["loss"])
        value = backward_pass(net, np.array(case["X"]), np.array(case["y"]), case["loss"]).value
    assert value == pytest.approx(case["value"], rel=1e-9)
    for (dW, db), tW, tb in zip(grads, case["dW"], case["db"]):
        assert dW.shape == np.shape(tW) and db.shape == np.shape(tb)
        np.testing.assert_allclose(dW, tW, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(db, tb, rtol=1e-6, atol=1e-12)


def test_every_elementwise_activation_is_in_the_torch_reference():
    covered = {c["hidden"] for c in TORCH["cases"]}
    assert set(ELEMENTWISE) <= covered, set(ELEMENTWISE) - covered


# -- finite differences --------------------------------------------------------------------------
def _params(name: str) -> dict:
    return {"leaky_relu": {"alpha": 0.2}, "elu": {"alpha": 0.5}, "clip": {"min": -1.0, "max": 2.0},
            "hard_sigmoid": {"alpha": 0.2, "beta": 0.5}}.get(name, {})


@st.composite
def networks(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    loss = draw(st.sampled_from(["bce", "ce", "mse"]))
    widths = [draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 3)))]
    n_in = draw(st.integers(1, 4))
    k = {"bce": 1, "ce": draw(st.integers(2, 4)), "mse": draw(st.integers(1, 3))}[loss]
    out = {"bce": "sigmoid", "ce": draw(st.sampled_from(["softmax", "log_softmax"])),
           "mse": draw(st.sampled_from(ELEMENTWISE + ["softmax"]))}[loss]
    sizes = [n_in, *widths, k]
    layers = []
    for i in range(len(sizes) - 1):
        act = draw(st.sampled_from(ELEMENTWISE)) if i < len(sizes) - 2 else out
        extra = {}
        where = draw(st.sampled_from([None, None, "bn-z", "bn-a", "rescale-z", "rescale-a"]))
        if where is not None and not (i == len(sizes) - 2 and where.endswith("-a") and loss != "mse"):
            n = sizes[i + 1]
            norm = (BatchNorm(rng.normal(1, 0.3, n), rng.normal(0, 0.5, n), rng.normal(0, 0.5, n), rng.uniform(0.5, 2, n))
                    if where.startswith("bn") else Rescaling(rng.normal(0, 1, n), rng.normal(0, 0.5, n)))
            extra = {"norm": norm, "norm_at": where[-1]}
        layers.append(Layer(f"l{i}", act, rng.normal(0, 0.7, (sizes[i], sizes[i + 1])),
                            rng.normal(0, 0.5, sizes[i + 1]), params=_params(act), **extra))
    n = draw(st.integers(1, 6))
    X = rng.normal(size=(n, n_in))
    y = {"bce": rng.integers(0, 2, n), "ce": rng.integers(0, k, n), "mse": rng.normal(size=(n, k))}[loss]
    return Network(layers), X, y, loss


def _away_from_kinks(net: Network, X: np.ndarray, margin: float = 1e-4) -> bool:
    """Finite differences across a kink (relu at 0, clip at its bounds) are
    not the one-sided derivative: such draws are left out."""
    kinks = {"relu": [0.0], "leaky_relu": [0.0], "relu6": [0.0, 6.0], "clip": [-1.0, 2.0], "elu": [0.0],
             "hard_sigmoid": [-2.5, 2.5], "hard_silu": [-3.0, 3.0]}
    from neurodebug.engine.trace import trace_of
    t = trace_of(net, X)
    for layer, vals in zip(net.layers, t.values):
        for k in kinks.get(layer.activation, []):
            if np.any(np.abs(vals.z - k) < margin):
                return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(networks())
def test_gradients_equal_central_finite_differences(case):
    net, X, y, loss = case
    if not _away_from_kinks(net, X):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = net.gradients(X, y, loss)
        scale = max(1e-3, max(float(np.abs(g).max()) for pair in grads for g in pair))
        h = 1e-6
        for layer, (dW, db) in zip(net.layers, grads):
            for arr, g in ((layer.W, dW), (layer.b, db)):
                for idx in np.ndindex(arr.shape):
                    old = arr[idx]
                    arr[idx] = old + h
                    up = backward_pass(net, X, y, loss).value
                    arr[idx] = old - h
                    down = backward_pass(net, X, y, loss).value
                    arr[idx] = old
                    assert abs((up - down) / (2 * h) - g[idx]) <= 1e-6 * scale, (layer.name, idx)


def test_gradients_of_the_norms_trained_parameters():
    rng = np.random.default_rng(3)
    norm = BatchNorm(rng.normal(1, 0.3, 3), rng.normal(0, 0.5, 3), rng.normal(0, 0.5, 3), rng.uniform(0.5, 2, 3))
    net = Network([Layer("h", "tanh", rng.normal(size=(2, 3)), rng.normal(size=3), norm=norm),
                   Layer("out", "sigmoid", rng.normal(size=(3, 1)), rng.normal(size=1))])
    X, y = rng.normal(size=(4, 2)), np.array([0, 1, 1, 0])
    back = backward_pass(net, X, y, "bce")
    for p in ("gamma", "beta"):
        g = back.layers[0].dnorm[p]
        for j in range(3):
            v = norm.param(p)
            old = v[j]
            v[j] = old + 1e-6
            up = backward_pass(net, X, y, "bce").value
            v[j] = old - 1e-6
            down = backward_pass(net, X, y, "bce").value
            v[j] = old
            assert (up - down) / 2e-6 == pytest.approx(g[j], rel=1e-6, abs=1e-10)


def test_extreme_z_gives_no_warning_and_the_saturated_neuron_a_tiny_gradient():
    # the seed: σ(166.5) — its slope 4.9e-73 is a number, not an underflow warning
    net = Network([Layer("l1", "sigmoid", np.array([[1.0, -0.5], [-2.0, 3.0]]), np.array([0.5, 1.0])),
                   Layer("l2", "sigmoid", np.array([[0.7], [-1.2]]), np.array([0.1]))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = backward_pass(net, np.array([[200.0, 17.0]]), [1], "bce")
    dz1 = back.layers[0].dz[0, 0]
    assert 0 < abs(dz1) < 1e-70
    big = Network([Layer("l", "sigmoid", np.array([[1e6]]), np.array([0.0]))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (dW, db), = big.gradients([[1e3]], [0], "bce")
    assert np.isfinite(dW).all() and dW[0, 0] == pytest.approx(1e3)


def test_the_loss_is_inferred_and_bad_targets_are_refused():
    sig = Network([Layer("o", "sigmoid", np.ones((2, 1)), np.zeros(1))])
    soft = Network([Layer("o", "softmax", np.ones((2, 3)), np.zeros(3))])
    lin = Network([Layer("o", "linear", np.ones((2, 2)), np.zeros(2))])
    assert (infer_loss(sig), infer_loss(soft), infer_loss(lin)) == ("bce", "ce", "mse")
    # Class indices for several linear units: they are logits, the softmax is the loss's.
    assert infer_loss(lin, labelled=True) == "ce"
    with pytest.raises(ValueError, match="class index is out of range"):
        soft.gradients([[1.0, 2.0]], [3])
    with pytest.raises(ValueError, match="between 0 and 1"):
        sig.gradients([[1.0, 2.0]], [2])
    one = Network([Layer("o", "linear", np.ones((2, 1)), np.zeros(1))])
    assert infer_loss(one, labelled=True) == "mse"  # one linear unit: a regression unless told bce
    with pytest.raises(ValueError, match="ce needs a softmax"):
        one.gradients([[1.0, 2.0]], [0], loss="ce")
    with pytest.raises(ValueError, match="bce needs one sigmoid"):
        lin.gradients([[1.0, 2.0]], [0], loss="bce")
    with pytest.raises(ValueError, match="2 target values per sample"):
        lin.gradients([[1.0, 2.0]], [0.5])


@pytest.mark.parametrize("loss, head, units", [("ce", "softmax", 3), ("bce", "sigmoid", 1)])
def test_logits_give_what_the_same_network_with_its_softmax_or_sigmoid_gives(loss: str, head: str, units: int):
    """A linear output trained with CrossEntropyLoss (BCEWithLogitsLoss): the
    loss takes its softmax (sigmoid) itself, so its gradients are those of the
    same weights ending in that activation, and the loss is inferred from
    class indices (ce: several units)."""
    rng = np.random.default_rng(5)
    hidden = Layer("h", "tanh", rng.standard_normal((4, 5)), rng.standard_normal(5))
    W, b = rng.standard_normal((5, units)) * 3, rng.standard_normal(units)
    logits = Network([hidden, Layer("o", "linear", W, b)])
    activated = Network([hidden, Layer("o", head, W, b)])
    X = rng.standard_normal((7, 4)) * 2
    y = rng.integers(0, max(units, 2), 7)
    given = None if units > 1 else loss
    for (dW, db), (eW, eb) in zip(logits.gradients(X, y, given), activated.gradients(X, y, loss)):
        np.testing.assert_allclose(dW, eW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db, eb, rtol=1e-10, atol=1e-14)
    # and against finite differences of the loss itself
    from neurodebug.engine.losses import backward_pass

    def value(net: Network) -> float:
        return backward_pass(net, X, y, loss).value

    h = 1e-6
    k = (2, 0) if units > 1 else (3, 0)
    up, down = W.copy(), W.copy()
    up[k] += h
    down[k] -= h
    numeric = (value(Network([hidden, Layer("o", "linear", up, b)]))
               - value(Network([hidden, Layer("o", "linear", down, b)]))) / (2 * h)
    assert numeric == pytest.approx(logits.gradients(X, y, loss)[1][0][k], rel=1e-6, abs=1e-9)


def test_column_norms_of_zero_tiny_and_non_finite_columns():
    """The plain pass, the scaled norms where it cannot be trusted, and an
    all-0 column (a dead neuron's gradient) left at its exact 0."""
    from neurodebug.engine.gradient_sizes import _column_norms, _norms

    W = np.zeros((4, 6))
    W[:, 1] = [3.0, 4.0, 0.0, 0.0]
    W[2, 2] = 1e-200
    W[:, 3] = [1e200, 1e200, 0.0, 0.0]
    W[0, 4] = np.nan
    b = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 1e-190])
    got = _column_norms(W, b)
    want = _norms(np.vstack([W, b[None, :]]))
    np.testing.assert_array_equal(got, want)
    assert got[0] == 0.0 and got[2] == 1e-200 and got[5] == 1e-190 and np.isnan(got[4])


# -- the debugger's gradients: one chunk, each layer's ΣdW let go as soon as it is summarised --
def _float32_network(widths: list[int], rows: int, seed: int = 3) -> Network:
    from neurodebug.engine import Sample

    rng = np.random.default_rng(seed)
    layers = [Layer(f"l{k + 1}", "relu" if k < len(widths) - 2 else "softmax",
                    rng.normal(0, (2 / a) ** 0.5, (a, b)).astype(np.float32), np.zeros(b, np.float32))
              for k, (a, b) in enumerate(zip(widths, widths[1:]))]
    samples = [Sample(f"s{r}", rng.random(widths[0]).astype(np.float32), label=int(rng.integers(widths[-1])))
               for r in range(rows)]
    return Network(layers, samples=samples)


def test_one_chunk_gradients_equal_the_summed_ones_exactly():
    from neurodebug.engine.gradient_sizes import GradientSums
    from neurodebug.engine.trace import trace_of

    net = _float32_network([30, 40, 20, 5], rows=12)
    trace = trace_of(net)
    rows, y = net.samples.targets()
    out = []
    for one_chunk in (True, False):
        sums = GradientSums(net, None, one_chunk=one_chunk)
        sums.add(trace.x[rows], y)
        out.append(sums.result(rows))
    lean, full = out
    assert lean.value == full.value
    for a, b in zip(lean.layers, full.layers):
        assert (a.norm, a.rms, a.weight_norm, a.delta) == (b.norm, b.rms, b.weight_norm, b.delta)
        assert np.array_equal(a.neurons, b.neurons)


def test_one_chunk_gradients_hold_one_layers_gradient_at_a_time(monkeypatch):
    # Two 1024×1024 float32 layers: their float64 ΣdW are 8 MB each, and W cast
    # to float64 whole would be 8 MB more. Cast 64K values at a time, the peak
    # stays well under two of them.
    import tracemalloc

    from neurodebug.engine import dense
    from neurodebug.engine.gradient_sizes import gradients_of
    from neurodebug.engine.trace import trace_of

    monkeypatch.setattr(dense, "CAST_BLOCK", 1 << 16)

    net = _float32_network([1024, 1024, 1024, 10], rows=5)
    trace = trace_of(net)
    tracemalloc.start()
    try:
        gradients_of(trace)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_dW = 1024 * 1024 * 8
    assert peak < 1.6 * one_dW, peak


def test_one_chunk_refuses_a_second_chunk():
    from neurodebug.engine.gradient_sizes import GradientSums
    from neurodebug.engine.trace import trace_of

    net = _float32_network([6, 4, 3], rows=4)
    trace = trace_of(net)
    rows, y = net.samples.targets()
    sums = GradientSums(net, None, chunk=2, one_chunk=True)
    with pytest.raises(ValueError, match="more than one chunk"):
        sums.add(trace.x[rows], y)
