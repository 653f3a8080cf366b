"""``neurodebug verify`` on learner code as learners write it: the course's
own variants are accepted, and the usual slips are named, not misnamed.

Each file is written here as a learner would write it and run through the
command (a child process each, as in use)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from neurodebug.cli import main
from neurodebug.engine.diagnosis import Tolerance, agree, check_layers
from neurodebug.engine.network import Layer, Network
from neurodebug.engine.samples import Samples
from neurodebug.engine.trace import trace_of
from test_verify import _run

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"
COFFEE, SEED, UNNORMALIZED, NAN = (str(SAMPLES / n) for n in (
    "coffee_roasting.json", "seed_example.json", "coffee_unnormalized.json", "nan_overflow.json"))

LOOP = """
def my_dense(a_in, W, b, g):
    units = W.shape[1]
    a_out = np.zeros(units{dtype})
    for j in range(units):
        z = np.dot(W[:, j], a_in) + b[j]
        a_out[j] = g(z)
    return a_out
"""


def verify(tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str, net: str = COFFEE,
           *options: str) -> tuple[int, dict, str]:
    path = tmp_path / "mine.py"
    path.write_text("import numpy as np\n" + textwrap.dedent(code))
    status = main(["verify", str(path), net, "--format", "json", *options])
    out = capsys.readouterr()
    return status, json.loads(out.out) if out.out else {}, out.err


def text(tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str, net: str = COFFEE) -> tuple[int, str]:
    path = tmp_path / "mine.py"
    path.write_text("import numpy as np\n" + textwrap.dedent(code))
    status = main(["verify", str(path), net])
    return status, capsys.readouterr().out


# -- accepted ---------------------------------------------------------------------------------
def test_the_courses_sigmoid_that_clips_z_matches_where_z_is_past_500(tmp_path, capsys):
    """lab_utils_common.py clips z to ±500: σ(−500) ≈ 7e−218 where ours is 1e−245, on the unnormalised sample."""
    code = """
    def sigmoid(z):
        z = np.clip(z, -500, 500)
        return 1.0 / (1.0 + np.exp(-z))

    def my_dense(a_in, W, b):
        a_out = np.zeros(W.shape[1])
        for j in range(W.shape[1]):
            a_out[j] = sigmoid(np.dot(W[:, j], a_in) + b[j])
        return a_out
    """
    status, doc, _ = verify(tmp_path, capsys, code, UNNORMALIZED)
    assert status == 0, doc
    assert doc["functions"][0]["status"] == "ok"


def test_float32_values_match_within_float32_rounding_and_say_so(tmp_path, capsys):
    status, out = text(tmp_path, capsys, LOOP.format(dtype=", dtype=np.float32"), UNNORMALIZED)
    assert status == 0, out
    assert "✓ my_dense (one sample, one layer): matches (it returned float32: compared within its rounding" in out


def test_an_activation_passed_by_name_gets_the_layers_name(tmp_path, capsys):
    code = """
    def my_dense(a_in, W, b, activation="sigmoid"):
        z = a_in @ W + b
        if activation == "sigmoid":
            return 1 / (1 + np.exp(-z))
        if activation == "relu":
            return np.maximum(0, z)
        return z
    """
    status, doc, _ = verify(tmp_path, capsys, code)
    assert status == 0, doc


def test_a_whole_network_function_with_a_default_activation_is_checked(tmp_path, capsys):
    code = """
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def my_sequential(x, W1, b1, W2, b2, g=sigmoid):
        return g(g(x @ W1 + b1) @ W2 + b2)
    """
    status, doc, _ = verify(tmp_path, capsys, code)
    assert status == 0 and doc["functions"][0]["status"] == "ok", doc


def test_one_output_per_sample_may_come_flat_but_not_transposed(tmp_path, capsys):
    predict = """
    def my_predict(X, W1, b1, W2, b2):
        s = lambda z: 1 / (1 + np.exp(-z))
        A2 = s(s(X @ W1 + b1) @ W2 + b2)
        return {ret}
    """
    status, doc, _ = verify(tmp_path, capsys, predict.format(ret="A2.ravel()"))
    assert status == 0, doc
    status, doc, _ = verify(tmp_path, capsys, predict.format(ret="A2.T"))
    assert status == 1
    assert doc["functions"][0]["error"].startswith("it returned shape (1, 8), expected (8, 1) (rows are samples: "
                                                   "transposed?)")


def test_the_learners_folder_is_left_without_a_pycache(tmp_path, capsys):
    (tmp_path / "helpers.py").write_text("import numpy as np\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n")
    status, _, _ = verify(tmp_path, capsys, "from helpers import sigmoid\n" + LOOP.format(dtype=""))
    assert status == 0
    assert not (tmp_path / "__pycache__").exists()


# -- named ------------------------------------------------------------------------------------
def test_finite_values_where_ours_are_infinite_differ(tmp_path, capsys):
    """±∞ agrees only with itself, whatever the tolerance an ∞ makes."""
    code = """
    def my_dense(a_in, W, b, g):
        a = g(a_in @ W + b)
        a[np.isinf(a)] = 0
        return a
    """
    status, doc, _ = verify(tmp_path, capsys, code, NAN)
    assert status == 1
    first = doc["first_divergence"]
    assert first["theirs"] == 0 and first["expected"] == "Infinity"
    assert not agree(np.array([1e300, 0.0]), np.array([np.inf, np.inf]), np.array([np.inf, np.inf])).any()
    assert agree(np.array([np.inf, np.nan]), np.array([np.inf, np.nan]), np.zeros(2)).all()


def test_a_constant_is_no_overflowing_hypothesis(tmp_path, capsys):
    """e^z overflowing to ∞ in every layer made every value 'reproduced' (exponential instead of sigmoid)."""
    status, doc, _ = verify(tmp_path, capsys, "def my_sequential(x, W1, b1, W2, b2):\n    return np.array([0.5])\n",
                            SEED)
    assert status == 1
    assert doc["diagnosis"]["key"] == "unknown"


@pytest.mark.parametrize("ret, words", [
    ("a_out, z", "it returned a tuple of 2 values (return a, z?), expected the activations alone, (3,)"),
    ("None", "it returned None (no return statement?), expected the activations, (3,)"),
])
def test_what_cannot_be_compared_is_named(tmp_path, capsys, ret, words):
    code = f"""
    def my_dense(a_in, W, b, g):
        z = a_in @ W + b
        a_out = g(z)
        return {ret}
    """
    status, doc, _ = verify(tmp_path, capsys, code)
    assert status == 1
    assert doc["functions"][0]["error"].startswith(words)


def test_the_courses_my_predict_on_numpy_2_gets_a_hint(tmp_path, capsys):
    code = """
    def my_sequential(x, W1, b1, W2, b2):
        s = lambda z: 1 / (1 + np.exp(-z))
        return s(s(x @ W1 + b1) @ W2 + b2)

    def my_predict(X, W1, b1, W2, b2):
        p = np.zeros((X.shape[0], 1))
        for i in range(X.shape[0]):
            p[i, 0] = my_sequential(X[i], W1, b1, W2, b2)
        return p
    """
    status, out = text(tmp_path, capsys, code)
    if status == 0:
        pytest.skip("this NumPy still turns a one-value array into a number")
    assert "hint: an array of one value does not go into one element" in out and "my_sequential(…)[0]" in out


def test_a_module_this_python_lacks_is_named_with_the_way_out(tmp_path, capsys):
    status, _, err = verify(tmp_path, capsys, "import tensorflow_not_here as tf\n" + LOOP.format(dtype=""))
    assert status == 2
    assert "ModuleNotFoundError: No module named 'tensorflow_not_here'" in err
    assert "it runs with neurodebug's own Python (" in err and "install the module there" in err


def test_digits_lost_are_told_from_a_wrong_formula():
    """Values ours to 6 digits but not within rounding: a formula that loses digits."""
    net = Network([Layer("l1", "sigmoid", np.array([[1.0, -1.0]]), np.array([0.0, 0.5]))],
                  samples=Samples(np.array([[-30.0], [-22.5], [3.0], [-25.0]])))
    t = trace_of(net)
    z = t.values[0].z
    theirs = 0.5 * (1 + np.tanh(z / 2))  # σ in another form: 1 + tanh cancels, digits lost near 0
    result = check_layers("my_dense", "k", t, [_run(theirs)], Tolerance(), list(net.samples.names))
    assert result.status == "differs"
    assert result.diagnosis is not None and result.diagnosis.key == "imprecise", result.diagnosis
    assert result.diagnosis.text.startswith("your values are ours to about 6 digits")
    # Off by more than that, the same formula is no longer 'ours to 6 digits'.
    far = check_layers("my_dense", "k", t, [_run(theirs * 1.01)], Tolerance(), list(net.samples.names))
    assert far.diagnosis is not None and far.diagnosis.key == "unknown"
