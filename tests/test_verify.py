"""``neurodebug verify``: a learner's my_dense (run in a child process) or
recorded values, checked against the engine neuron by neuron, with a diagnosis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurodebug.cli import main
from neurodebug.engine.diagnosis import (
    DIFFERS, HYPOTHESES, NOT_CHECKED, OK, Changed, LayerRun, Tolerance, VerifyReport, check_layers, check_outputs,
    check_values, report_lines, report_to_dict, tolerances,
)
from neurodebug.engine.network import Layer, Network
from neurodebug.engine.trace import trace_of
from neurodebug.io import load_network

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_networks"
FIX = Path(__file__).resolve().parent / "fixtures" / "verify"
COFFEE, SEED, LAB = (str(SAMPLES / n) for n in ("coffee_roasting.json", "seed_example.json", "coffee_lab.json"))
SRC = str(ROOT / "src")


def verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["verify", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def verify_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code, out, _ = verify(capsys, *argv, "--format", "json")
    return code, json.loads(out)


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "neurodebug", "verify", *argv], capture_output=True, text=True,
                          timeout=120, env=env)


# -- correct code -----------------------------------------------------------------------------
def test_a_correct_loop_exits_0_through_the_command_line():
    proc = run_cli(str(FIX / "dense_loop.py"), COFFEE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "✓ my_dense (one sample, one layer): matches" in proc.stdout
    assert "✓ my_sequential (the whole network): matches" in proc.stdout
    assert "✓ my_predict (the whole network): matches" in proc.stdout
    assert "hello from the learner's file" not in proc.stdout  # their prints are captured
    assert proc.stderr == ""


@pytest.mark.parametrize("net", [SEED, LAB])
def test_a_correct_loop_matches_on_every_bundled_network(capsys, net):
    code, doc = verify_json(capsys, str(FIX / "dense_loop.py"), net)
    assert code == 0 and doc["status"] == "ok"
    assert [f["name"] for f in doc["functions"]] == ["my_dense", "my_sequential", "my_predict"]
    assert "hello from the learner's file" in doc["printed"]  # kept for the report, out of the protocol


def test_a_correct_vectorised_layer_exits_0(capsys):
    code, out, _ = verify(capsys, str(FIX / "dense_vectorised.py"), COFFEE)
    assert code == 0, out
    assert "✓ my_dense_v (a batch, one layer): matches" in out


def test_b_one_dimensional_a_helper_beside_the_file_and_inputs(capsys, tmp_path):
    inputs = tmp_path / "x.csv"
    inputs.write_text("temperature,duration\n200,13.9\n230,12\n", encoding="utf-8")
    code, doc = verify_json(capsys, str(FIX / "dense_both.py"), COFFEE, "--inputs", str(inputs))
    assert code == 0, doc
    assert [f["status"] for f in doc["functions"]] == ["ok", "ok", "ok"]
    assert len(doc["samples"]) == 2


# -- one bug per diagnosis, through the child process --------------------------------------------
BUGS = [
    ("bug_bias_missing.py", COFFEE, 1, 1, "bias_missing"),
    ("bug_bias_twice.py", COFFEE, 1, 1, "bias_twice"),
    ("bug_activation_missing.py", COFFEE, 1, 1, "activation_missing"),
    ("bug_wrong_activation.py", COFFEE, 1, 1, "wrong_activation:tanh"),
    ("bug_activation_before_bias.py", COFFEE, 1, 1, "activation_before_bias"),
    ("bug_last_neuron.py", COFFEE, 1, 3, "last_neuron_skipped"),
    ("bug_integer.py", COFFEE, 1, 1, "integer_output"),
    ("bug_transposed.py", SEED, 1, 2, "w_transposed"),
    ("bug_overwrite.py", SEED, 1, 2, "input_overwritten"),
    ("bug_exp_sign.py", COFFEE, 1, 1, "z_sign_flipped"),
]


@pytest.mark.parametrize("fixture, net, layer, neuron, key", BUGS, ids=[b[0] for b in BUGS])
def test_each_bug_is_found_and_diagnosed(capsys, fixture, net, layer, neuron, key):
    code, doc = verify_json(capsys, str(FIX / fixture), net)
    assert code == 1
    first = doc["first_divergence"]
    assert (first["layer"], first["neuron"]) == (layer, neuron)
    assert first["sample"] == 1 and first["sample_name"]
    assert doc["diagnosis"]["key"] == key
    assert doc["functions"][0]["status"] == "differs"


def test_the_labs_my_dense_without_g_is_called_without_one_and_says_so(capsys, tmp_path):
    """The course's NumPy lab writes my_dense(a_in, W, b) and applies a global g."""
    code, out, _ = verify(capsys, str(FIX / "lab_own_g.py"), COFFEE)
    assert code == 0, out
    assert ("✓ my_dense (one sample, one layer): matches (my_dense(a_in, W, b) takes no g: called without one, "
            "it applies its own activation to every layer)") in out
    assert "✓ my_sequential (the whole network): matches" in out and "✓ my_predict" in out
    # On a network whose layers are not all σ, its own g is what is checked: the ReLU layer differs.
    relu_first = load_network(COFFEE)
    relu_first.layers[0].activation = "relu"
    path = tmp_path / "relu_first.json"
    from neurodebug.io import write_json_network

    write_json_network(relu_first, path)
    code, doc = verify_json(capsys, str(FIX / "lab_own_g.py"), str(path))
    assert code == 1
    assert doc["first_divergence"]["layer"] == 1 and doc["diagnosis"]["key"] == "wrong_activation:sigmoid"
    assert doc["functions"][0]["note"].startswith("my_dense(a_in, W, b) takes no g")


def test_the_text_names_the_neuron_the_numbers_and_the_diagnosis(capsys):
    code, out, _ = verify(capsys, str(FIX / "bug_bias_missing.py"), SEED)
    assert code == 1
    assert 'first difference: my_dense, layer 1 (layer1), neuron 2, sample "seed example"' in out
    assert "yours: a = 5.24289e−22    expected: a = 1.42516e−21" in out
    assert "z = (−0.5)×200 + 3×17 + 1 = −48" in out
    assert "a = σ(−48) ≈ 0.0000 (1.43e−21)" in out
    assert "diagnosis: bias missing" in out


def test_transposed_w_is_untestable_on_a_non_square_layer_and_says_so(capsys):
    code, out, _ = verify(capsys, str(FIX / "crash.py"), COFFEE)
    assert code == 1
    assert "crash.py:9: z = np.dot(W[j], a_in) + b[j]" in out
    assert "ValueError: shapes (3,) and (2,) not aligned" in out
    assert "neuron j's weights are the column W[:, j]" in out
    assert "Traceback" not in out
    code, doc = verify_json(capsys, str(FIX / "bug_bias_missing.py"), COFFEE)
    assert any("W transposed: not testable" in u and "W is 2×3" in u for u in doc["diagnosis"]["untestable"])


# -- code that cannot be run ---------------------------------------------------------------------
def test_an_endless_loop_is_stopped_by_the_timeout():
    proc = run_cli(str(FIX / "endless_loop.py"), COFFEE, "--timeout", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ('my_dense: stopped after 2 s (--timeout) while calling my_dense, layer 1, sample 1 '
            '("light medium roast"): an endless loop?') in proc.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux")
def test_a_huge_allocation_meets_the_memory_limit(capsys, tmp_path):
    mem = tmp_path / "mem.py"
    mem.write_text("import numpy as np\n\n\ndef my_dense(a_in, W, b, g):\n"
                   "    big = np.ones(3 * 1024**3 // 8)\n    return big[:W.shape[1]]\n", encoding="utf-8")
    code, out, _ = verify(capsys, str(mem), SEED)
    assert code == 1
    assert "my_dense raised MemoryError" in out and "mem.py:5: big = np.ones(3 * 1024**3 // 8)" in out


def test_a_syntax_error_exits_2_with_file_and_line(tmp_path):
    # written here, not kept as a fixture: ruff would refuse to lint it
    bad = tmp_path / "syntax_error.py"
    bad.write_text("import numpy as np\n\n\ndef my_dense(a_in, W, b, g)\n    return a_in\n", encoding="utf-8")
    proc = run_cli(str(bad), COFFEE)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("neurodebug: error: syntax_error.py: cannot be imported: ")
    assert "SyntaxError" in lines[0] and "syntax_error.py:4: def my_dense(a_in, W, b, g)" in lines[0]


@pytest.mark.parametrize("fixture, words", [
    ("import_error.py", "ModuleNotFoundError: No module named 'a_module_that_does_not_exist' at import_error.py:1"),
    ("no_functions.py", "defines none of the functions looked for: my_dense, my_dense_v, my_sequential, my_predict"),
])
def test_a_file_that_cannot_be_used_exits_2(capsys, fixture, words):
    code, out, err = verify(capsys, str(FIX / fixture), COFFEE)
    assert code == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1


def test_a_top_level_endless_loop_is_an_import_that_never_ends(capsys):
    code, _, err = verify(capsys, str(FIX / "slow_import.py"), COFFEE, "--timeout", "1")
    assert code == 2
    assert "slow_import.py: stopped after 1 s (--timeout) while being imported: an endless loop?" in err


@pytest.mark.parametrize("argv, words", [
    (["--timeout", "0"], "--timeout 0: give a number of seconds > 0"),
    (["--rtol", "2"], "--rtol 2: give a relative tolerance between 0 and 1"),
])
def test_bad_options_exit_2(capsys, argv, words):
    code, _, err = verify(capsys, str(FIX / "dense_loop.py"), COFFEE, *argv)
    assert code == 2 and words in err


# -- recorded values ---------------------------------------------------------------------------------
@pytest.fixture()
def coffee():
    net = load_network(COFFEE)
    return net, trace_of(net)


def test_recorded_values_that_match_exit_0_even_as_float32(capsys, coffee, tmp_path):
    _, t = coffee
    good = tmp_path / "good.npz"
    np.savez(good, a1=t.values[0].a, z1=t.values[0].z, a2=t.values[1].a)
    assert verify(capsys, str(good), COFFEE)[0] == 0
    f32 = tmp_path / "f32.npz"
    np.savez(f32, a1=t.values[0].a.astype(np.float32), a2=t.values[1].a.astype(np.float32))
    code, doc = verify_json(capsys, str(f32), COFFEE)
    assert code == 0 and doc["tolerance"]["rel"] == pytest.approx(4 * np.finfo(np.float32).eps)


def test_recorded_values_with_a_wrong_layer_2(capsys, coffee, tmp_path):
    net, t = coffee
    bad = tmp_path / "bad.npz"
    with np.errstate(all="ignore"):
        a2 = 1 / (1 + np.exp(-(t.values[0].a @ net.layers[1].W)))  # layer 2 without its bias
    np.savez(bad, a1=t.values[0].a, a2=a2)
    code, out, _ = verify(capsys, str(bad), COFFEE)
    assert code == 1
    assert 'layer 2 (layer2), neuron 1 (good roast), sample "light medium roast"' in out
    assert "recorded: a = " in out and "diagnosis: bias missing" in out


@pytest.mark.parametrize("arrays, words", [
    ({"a1": np.zeros((8, 3)), "h1": np.zeros(3)}, "h1: unknown key: expected a1…a2"),
    ({"a1": np.zeros((3, 8))}, "a1: has shape (3, 8), expected (8, 3)"),
    ({"z1": np.zeros((8, 3))}, "holds no a1, a2"),
    ({"a1": np.array(["x"] * 3)}, "expected numbers"),
])
def test_bad_recorded_values_exit_2(capsys, tmp_path, arrays, words):
    f = tmp_path / "v.npz"
    np.savez(f, **arrays)
    code, _, err = verify(capsys, str(f), COFFEE)
    assert code == 2 and words in err


def test_recorded_values_are_never_unpickled(capsys, tmp_path):
    f = tmp_path / "v.npz"
    np.savez(f, a1=np.array([{"x": 1}] * 3, dtype=object))
    code, _, err = verify(capsys, str(f), COFFEE)
    assert code == 2 and "never unpickled" in err


# -- the diagnosis, through the Python functions (no child process) ----------------------------------
def _square_net() -> Network:
    """3 inputs, 3 tanh units, then 2 sigmoid units: every hypothesis testable on layer 1."""
    rng = np.random.default_rng(7)
    l1 = Layer("hidden", "tanh", rng.normal(size=(3, 3)), rng.normal(size=3))
    l2 = Layer("out", "sigmoid", rng.normal(size=(3, 2)), rng.normal(size=2))
    net = Network([l1, l2], name="square")
    net.samples = __import__("neurodebug.engine.samples", fromlist=["Samples"]).Samples(rng.normal(size=(5, 3)))
    return net


def _run(values: np.ndarray, dtype: str = "float64", changed: Changed | None = None) -> LayerRun:
    return LayerRun(np.asarray(values, dtype=np.float64), np.ones(values.shape[0], bool), dtype, changed=changed)


ON_THEIR_OWN = ("per_neuron_activation", "naive_softmax", "thresholded", "tiny_lost")  # need a layer of their kind


def _one_layer(activation: str, W: list[list[float]], b: list[float], X: list[list[float]]) -> Network:
    from neurodebug.engine.samples import Samples

    return Network([Layer("l1", activation, np.array(W), np.array(b))], samples=Samples(np.array(X)))


@pytest.mark.parametrize("key, net", [
    ("naive_softmax", _one_layer("softmax", [[400.0, 1.0, -3.0]], [0.0, 0.0, 0.0], [[1.0], [2.0], [0.5]])),
    ("thresholded", _one_layer("sigmoid", [[2.0], [-1.0]], [0.1], [[1.0, 0.5], [-1.0, 2.0], [0.3, 0.2]])),
    ("tiny_lost", _one_layer("sigmoid", [[30.0, -1.0]], [0.0, 0.5], [[-2.0], [1.0], [-0.1]])),
])
def test_the_mistakes_of_one_kind_of_layer_are_named(key, net):
    t = trace_of(net)
    theirs = dict((k, h) for k, _, h in HYPOTHESES)[key](net.layers[0], t.x)
    assert theirs is not None
    result = check_layers("my_dense", "one sample, one layer", t, [_run(theirs)], Tolerance(), list(net.samples.names))
    assert result.status == DIFFERS
    assert result.diagnosis is not None and result.diagnosis.key == key, result.diagnosis


def test_an_integer_dtype_is_named_unless_a_mistake_gives_the_very_values():
    net = _one_layer("sigmoid", [[2.0], [-1.0]], [0.1], [[1.0, 0.5], [-1.0, 2.0], [0.3, 0.2]])
    t = trace_of(net)
    names = list(net.samples.names)
    truncated = check_layers("my_dense", "k", t, [_run(np.trunc(t.values[0].a), "int64")], Tolerance(), names)
    assert truncated.diagnosis is not None and truncated.diagnosis.key == "integer_output"
    decisions = (t.values[0].a >= 0.5).astype(np.float64)
    thresholded = check_layers("my_dense", "k", t, [_run(decisions, "int64")], Tolerance(), names)
    assert thresholded.diagnosis is not None and thresholded.diagnosis.key == "thresholded"
    assert "integer output array" in thresholded.diagnosis.also


@pytest.mark.parametrize("key", [k for k, _, _ in HYPOTHESES if k not in ON_THEIR_OWN]
                         + ["wrong_activation:relu", "wrong_activation:softsign"])
def test_every_hypothesis_is_named_when_it_reproduces_the_values(key):
    net = _square_net()
    t = trace_of(net)
    hyp = dict((k, h) for k, _, h in HYPOTHESES)
    if key.startswith("wrong_activation:"):
        from neurodebug.engine.diagnosis import WRONG
        hyp.update((k, h) for k, _, h in WRONG)
    theirs = hyp[key](net.layers[0], t.x)
    runs = [_run(theirs), _run(t.values[1].a)]
    result = check_layers("my_dense", "one sample, one layer", t, runs, Tolerance(), t.network.samples.names[:])
    assert result.status == DIFFERS
    assert result.divergence is not None and result.divergence.layer == 0
    assert result.diagnosis is not None and result.diagnosis.key == key, result.diagnosis
    assert result.layers[1].ok and not result.layers[0].ok


def test_a_value_off_by_rounding_matches_and_one_off_by_1e_6_does_not():
    net = _square_net()
    t = trace_of(net)
    names = list(net.samples.names)
    a1 = t.values[0].a
    close = check_layers("f", "k", t, [_run(a1 * (1 + 1e-13)), None], Tolerance(), names)
    assert close.status == OK
    off = a1.copy()
    off[2, 1] *= 1 + 1e-6
    far = check_layers("f", "k", t, [_run(off), None], Tolerance(), names)
    assert far.status == DIFFERS and far.divergence is not None
    assert (far.divergence.neuron, far.divergence.sample) == (1, 2)
    assert far.diagnosis is not None and far.diagnosis.key == "imprecise"  # ours to 6 digits, not within rounding
    assert far.layers[0].mismatch.sum() == 1  # per sample × neuron, for a front end's ✓/✗


def test_tolerance_near_zero_follows_the_slope():
    # σ(−48) ≈ 1.4e−21: 0 is not within rounding of it, though both are tiny.
    net = load_network(SEED)
    t = trace_of(net)
    _, ta = tolerances(net.layers[0], t.x, t.values[0].z, t.values[0].a, Tolerance())
    assert ta[0, 1] < 1e-25
    assert 1e-16 < ta[0, 0] < 1e-8


def test_input_overwritten_is_reported_even_when_the_values_match():
    net = _square_net()
    t = trace_of(net)
    changed = Changed("a_in", 0, 1, 0.5, 0.0)
    result = check_layers("my_dense", "k", t, [_run(t.values[0].a, changed=changed), None], Tolerance(),
                          list(net.samples.names))
    assert result.status == DIFFERS
    assert result.diagnosis is not None and result.diagnosis.key == "input_overwritten"
    assert "a_in[1] was 0.5, is 0 after the call" in result.diagnosis.text


def test_a_whole_network_function_diagnosed_in_every_layer_or_in_one():
    net = _square_net()
    t = trace_of(net)
    names = list(net.samples.names)
    l1, l2 = net.layers
    with np.errstate(all="ignore"):
        every = l2.W.T @ np.zeros(3)  # shape only
        x1 = np.tanh(t.x @ l1.W)
        every = 1 / (1 + np.exp(-(x1 @ l2.W)))
        only2 = 1 / (1 + np.exp(-(t.values[0].a @ l2.W)))
    r = check_outputs("my_sequential", t, _run(every), Tolerance(), names)
    assert r.status == DIFFERS and r.diagnosis is not None and r.diagnosis.key == "bias_missing"
    assert "(in layer" not in r.diagnosis.text
    r = check_outputs("my_sequential", t, _run(only2), Tolerance(), names)
    assert r.diagnosis is not None and r.diagnosis.key == "bias_missing"
    assert r.diagnosis.text.endswith("(in layer 2 only)")
    assert r.divergence is not None and r.divergence.layer == 1


def test_softmax_applied_one_neuron_at_a_time():
    rng = np.random.default_rng(3)
    net = Network([Layer("out", "softmax", rng.normal(size=(2, 3)), rng.normal(size=3))], name="soft")
    t = trace_of(net, rng.normal(size=(4, 2)))
    result = check_layers("my_dense", "k", t, [_run(np.ones((4, 3)))], Tolerance(), ["s1", "s2", "s3", "s4"])
    assert result.diagnosis is not None and result.diagnosis.key == "per_neuron_activation"


def test_report_lines_and_json_for_a_front_end():
    net = _square_net()
    t = trace_of(net)
    names = list(net.samples.names)
    off = t.values[1].a.copy()
    off[3, 0] = 0.0
    funcs = [check_layers("my_dense", "one sample, one layer", t, [_run(t.values[0].a), _run(off)], Tolerance(),
                          names),
             check_values(t, "v.npz", {}, {0: t.values[0].a}, Tolerance(), names)]
    report = VerifyReport("mine.py", net, names, funcs)
    assert not report.ok
    text = "\n".join(report_lines(report))
    assert 'first difference: my_dense, layer 2 (out), neuron 1, sample "sample 4"' in text
    doc = report_to_dict(report, 1)
    json.dumps(doc, allow_nan=False)
    assert doc["first_divergence"]["layer"] == 2 and doc["first_divergence"]["sample"] == 4
    assert doc["functions"][0]["layers"][1]["mismatch"][3] == [1]
    assert doc["functions"][1]["status"] == "ok"
    assert doc["functions"][1]["layers"][1]["skipped"] == "a2 is not in the file"
    assert funcs[1].layers[1].skipped and NOT_CHECKED != funcs[1].status


def test_nan_and_infinity_match_and_a_mismatched_signature_is_not_checked(capsys):
    # nan_overflow.json overflows to ∞ and then NaN: the same in the learner's loop; its 3 layers
    # do not fit my_sequential(x, W1, b1, W2, b2), which is reported as not checked, not as wrong.
    code, out, _ = verify(capsys, str(FIX / "dense_loop.py"), str(SAMPLES / "nan_overflow.json"))
    assert code == 0, out
    assert "✓ my_dense (one sample, one layer): matches" in out
    assert ("– my_sequential (the whole network): not checked: it takes 4 weight arrays (W1, b1, W2, b2) "
            "but the network has 3 layers") in out
