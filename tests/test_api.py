"""The Python API: the lab's arrays in, the debugger up (in a terminal, in a
notebook, through a pipe), and every mistake with the arrays one clear line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import neurodebug
from neurodebug import api, load_network, network_from_arrays
from neurodebug.cli import main
from neurodebug.engine.activations import SUPPORTED_ACTIVATIONS
from neurodebug.engine.trace import forward
from tui_helpers import press, screen_text

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

# The course lab's coffee-roasting network and its two normalised test roasts.
W1 = np.array([[-8.93, 0.29, 12.9], [-0.1, -7.32, 10.81]])
b1 = np.array([-9.82, -9.28, 0.96])
W2 = np.array([[-31.18], [-27.59], [-32.56]])
b2 = np.array([15.41])
X_tstn = np.array([[-0.47, 0.42], [-0.47, 3.16]])
LAYERS = [(W1, b1, "sigmoid"), (W2, b2, "sigmoid")]
# The lab's Keras Normalization layer: x' = (x − mean) / √variance.
MEAN = np.array([218.66783, 13.430685])
VARIANCE = np.array([1596.934, 1.2733253])

FIRST_DOT = "z = (−8.93)×(−0.47) + (−0.1)×0.42 = 4.1551"

SCRIPT = """\
import numpy as np, neurodebug
W1 = np.array([[-8.93, 0.29, 12.9], [-0.1, -7.32, 10.81]]); b1 = np.array([-9.82, -9.28, 0.96])
W2 = np.array([[-31.18], [-27.59], [-32.56]]); b2 = np.array([15.41])
X_tstn = np.array([[-0.47, 0.42], [-0.47, 3.16]])
neurodebug.debug([(W1, b1, "sigmoid"), (W2, b2, "sigmoid")], X=X_tstn)
"""


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def lab_forward(x: np.ndarray) -> np.ndarray:
    """The lab's my_sequential, by hand."""
    return sigmoid(sigmoid(x @ W1 + b1) @ W2 + b2)


# -- building ---------------------------------------------------------------------------------
def test_the_lab_arrays_make_the_lab_network() -> None:
    net = network_from_arrays(LAYERS, X=X_tstn, name="coffee")
    assert net.shape_summary() == "2-3-1" and net.name == "coffee"
    assert [l.activation for l in net.layers] == ["sigmoid", "sigmoid"]
    np.testing.assert_array_equal(net.layers[0].W, W1)  # inputs × units, as given
    np.testing.assert_array_equal(net.samples.x, X_tstn)
    np.testing.assert_allclose(forward(net, X_tstn), lab_forward(X_tstn), rtol=1e-12)


def test_mean_and_variance_normalise_like_keras() -> None:
    raw = np.array([[200, 13.9], [200, 17]])
    net = network_from_arrays(LAYERS, X=raw, mean=MEAN, variance=VARIANCE)
    out = forward(net, raw)
    np.testing.assert_allclose(out, lab_forward((raw - MEAN) / np.sqrt(VARIANCE)), rtol=1e-12)
    assert out[0, 0] == pytest.approx(0.97193, abs=5e-6)  # the lab's own output for 200 °C, 13.9 min
    by_std = network_from_arrays(LAYERS, X=raw, mean=MEAN, std=np.sqrt(VARIANCE))
    np.testing.assert_array_equal(forward(by_std, raw), out)


@pytest.mark.parametrize("bias", [b1, b1.reshape(1, 3), b1.reshape(3, 1), b1.tolist()])
def test_a_bias_may_be_a_row_a_column_or_a_list(bias) -> None:
    net = network_from_arrays([(W1, bias, "sigmoid"), (W2, 15.41, "sigmoid")])
    np.testing.assert_array_equal(net.layers[0].b, b1)
    assert net.layers[1].b.shape == (1,)


def test_integers_become_float64_and_float32_stays_float32() -> None:
    ints = network_from_arrays([(np.array([[1, -2], [3, 4]]), [0, 1], "relu")])
    assert ints.layers[0].W.dtype == np.float64 and ints.layers[0].b.dtype == np.float64
    f32 = network_from_arrays([(W1.astype(np.float32), b1.tolist(), "sigmoid"),
                               (W2.astype(np.float32), b2.astype(np.float32), "sigmoid")])
    assert {l.W.dtype for l in f32.layers} == {l.b.dtype for l in f32.layers} == {np.dtype(np.float32)}
    assert f32.compute_dtype == np.float32


@pytest.mark.parametrize("given,name", [
    ("Sigmoid", "sigmoid"), ("SIGMOID", "sigmoid"), ("logistic", "sigmoid"), ("ReLU", "relu"),
    ("identity", "linear"), ("none", "linear"), (None, "linear"), ("swish", "silu"), ("SiLU", "silu"),
    ("LeakyReLU", "leaky_relu"), ("leaky-relu", "leaky_relu"), ("Tanh", "tanh"), ("Softmax", "softmax"),
    ("hard_swish", "hard_silu"), ("GELU", "gelu"),
])
def test_activation_names_in_any_case_and_their_aliases(given, name) -> None:
    assert api.activation_name(given) == name
    assert network_from_arrays([(W1, b1, given)]).layers[0].activation == name


def test_every_supported_activation_is_its_own_name() -> None:
    assert all(api.activation_name(a) == a for a in SUPPORTED_ACTIVATIONS)


def test_activation_parameters_as_a_fourth_item() -> None:
    net = network_from_arrays([(W1, b1, "leaky_relu", {"alpha": 0.1}), (W2, b2, "clip", {"min": -2, "max": 3})])
    assert net.layers[0].params == {"alpha": 0.1}
    assert net.layers[1].params == {"min": -2.0, "max": 3.0}


def test_one_sample_as_a_vector() -> None:
    net = network_from_arrays(LAYERS, X=[-0.47, 0.42])
    assert len(net.samples) == 1
    np.testing.assert_array_equal(net.samples[0].x, [-0.47, 0.42])


def test_integer_y_is_class_labels_and_float_y_expected_outputs() -> None:
    labels = network_from_arrays(LAYERS, X=X_tstn, y=[1, 0])
    assert [s.label for s in labels.samples] == [1, 0]
    assert all(s.expected is None for s in labels.samples)
    column = network_from_arrays(LAYERS, X=X_tstn, y=np.array([[1], [0]]))  # the lab's Y is (m, 1)
    assert [s.label for s in column.samples] == [1, 0]
    expected = network_from_arrays(LAYERS, X=X_tstn, y=np.array([[0.97], [0.0]]))
    assert [s.label for s in expected.samples] == [None, None]
    np.testing.assert_array_equal(expected.samples[0].expected, [0.97])
    flat = network_from_arrays(LAYERS, X=X_tstn, y=np.array([0.97, 0.0]))  # one output: a vector works
    np.testing.assert_array_equal(flat.samples.expected, [[0.97], [0.0]])


def test_names_go_where_they_say() -> None:
    net = network_from_arrays(LAYERS, X=X_tstn, feature_names=["temperature", "duration"],
                              output_names=["good roast"], sample_names=["good", "too long"])
    assert net.feature_name(0) == "temperature" and net.output_name(0) == "good roast"
    assert net.samples.names[1] == "too long"


ERRORS = [
    # (layers, keyword arguments, words the one sentence must hold)
    ([(W1, b1, "sigmoid"), (W2.T, b2, "sigmoid")], {},
     ["layer 2", "1×3", "layer 1 has 3 units", "transposed", "inputs × units", "W.T"]),
    ([(W1.T, b1, "sigmoid")], {}, ["layer 1", "3×2", "b has 3 values", "transposed", "W.T"]),
    ([(W1.T, [1.0, 2.0], "sigmoid")], {"X": X_tstn}, ["layer 1", "3×2", "X is 2×2: 2 inputs per sample", "transposed"]),
    ([(W1, b1, "sigmoid"), (np.ones((4, 1)), b2, "sigmoid")], {}, ["layer 2", "4×1", "takes 4 inputs", "layer 1 has 3 units"]),
    ([(W1, b1, "sigmoid"), (W2, b2, "sigmod")], {}, ["layer 2", "unknown activation 'sigmod'", "sigmoid, relu"]),
    ([(W1, [1, 2, 3, 4], "sigmoid")], {}, ["layer 1", "b has shape 4", "expected 3 values", "2×3"]),
    ([(W1, b1[:2], "sigmoid")], {}, ["layer 1", "W is 2×3 but b has 2 values", "transposed"]),
    ([(np.array([["a", "b"]]), b1, "sigmoid")], {}, ["layer 1", "W must hold numbers", "dtype <U1"]),
    ([(W1, ["x", "y", "z"], "sigmoid")], {}, ["layer 1", "b must hold numbers"]),
    ([(W1, b1, 3)], {}, ["layer 1", "activation must be a name"]),
    ([(W1[0], b1, "sigmoid")], {}, ["layer 1", "2-D", "W.reshape(-1, 1)"]),
    ([(W1, b1)], {}, ["layer 1", "(W, b, activation)"]),
    ([(W1, b1, "leaky_relu", {"beta": 1})], {}, ["layer 1", "takes no parameter 'beta'"]),
    ([(W1, b1, "leaky_relu", 0.1)], {}, ["layer 1", "4th item", '{"alpha": 0.1}', "got float"]),
    (LAYERS, {"X": X_tstn.T[:, :1]}, ["layer 1", "takes 2 inputs", "X is 2×1: 1 input per sample", "X.T"]),
    (LAYERS, {"X": [1.0, 2.0, 3.0, 4.0]}, ["layer 1", "takes 2 inputs", "X, one sample, has 4 values"]),
    (network_layers_for_x_t := [(np.ones((5, 3)), b1, "relu")], {"X": np.ones((5, 2))},
     ["layer 1", "X is 5×2", "X looks transposed", "X.T"]),
    (LAYERS, {"X": X_tstn, "y": [1, 0, 1]}, ["y holds integers", "expected 2"]),
    (LAYERS, {"X": X_tstn, "y": [1, 2]}, ["y[1] is class 2", "0..1"]),
    (LAYERS, {"X": X_tstn, "y": np.ones((2, 2))}, ["y holds floats", "2×1", "y.astype(int)"]),
    (LAYERS, {"y": [1, 0]}, ["need X"]),
    (LAYERS, {"mean": MEAN}, ["variance= or std="]),
    (LAYERS, {"mean": MEAN, "variance": VARIANCE, "std": VARIANCE}, ["variance= or std="]),
    (LAYERS, {"mean": MEAN, "variance": [1.0, 0.0]}, ["variance[1] is 0", "positive"]),
    (LAYERS, {"mean": [1.0, 2.0, 3.0], "variance": VARIANCE}, ["mean has shape 3", "expected 2 numbers"]),
    (LAYERS, {"feature_names": ["t"]}, ["feature_names has 1 names, expected 2"]),
    ([], {}, ["at least one layer"]),
]


@pytest.mark.parametrize("layers,kwargs,words", ERRORS)
def test_mistakes_are_one_clear_value_error(layers, kwargs, words) -> None:
    with pytest.raises(ValueError) as err:
        network_from_arrays(layers, **kwargs)
    text = str(err.value)
    assert "\n" not in text, text
    for w in words:
        assert w in text, text


# -- saving -----------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_save_writes_json_or_npz_that_reads_back(tmp_path: Path, suffix: str) -> None:
    net = network_from_arrays(LAYERS, X=X_tstn, y=[1, 0], mean=[0.0, 0.0], variance=[1.0, 4.0], name="coffee")
    out = neurodebug.save(net, tmp_path / f"coffee{suffix}")
    assert out == tmp_path / f"coffee{suffix}" and os.listdir(tmp_path) == [out.name]  # no temporary left
    back = load_network(out)
    np.testing.assert_array_equal(forward(back, X_tstn), forward(net, X_tstn))
    assert [s.label for s in back.samples] == [1, 0]
    np.testing.assert_array_equal(back.normalization.std, [1.0, 2.0])


def test_save_replaces_unless_told_not_to_and_refuses_other_suffixes(tmp_path: Path) -> None:
    net = network_from_arrays(LAYERS)
    neurodebug.save(net, tmp_path / "n.json")
    neurodebug.save(net, tmp_path / "n.json")
    with pytest.raises(FileExistsError):
        neurodebug.save(net, tmp_path / "n.json", overwrite=False)
    with pytest.raises(ValueError, match="must end in .json or .npz"):
        neurodebug.save(net, tmp_path / "n.txt")


# -- the debugger in a terminal: the App, driven by Pilot ----------------------------------------
async def test_the_lab_arrays_open_in_the_debugger_and_n_shows_the_first_dot_product() -> None:
    app = neurodebug.app_for(LAYERS, X=X_tstn)
    app.animation_level = "none"
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "n")
        assert app.session.cursor == 0
        assert FIRST_DOT in screen_text(app)
        assert app.debugger is not None and app.debugger.save_path() == Path.cwd() / "network.edited.json"


async def test_a_network_without_x_opens_on_zeros() -> None:
    app = neurodebug.app_for(network_from_arrays(LAYERS))
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "n")
        assert "z = (−8.93)×0 + (−0.1)×0 = 0" in screen_text(app)


def test_debug_in_a_terminal_runs_the_app_and_returns_the_network(monkeypatch, tmp_path: Path) -> None:
    from neurodebug.tui.app import NeurodebugApp

    ran: list[NeurodebugApp] = []
    monkeypatch.setattr(api, "_interactive_terminal", lambda: True)
    monkeypatch.setattr(api, "in_notebook", lambda: False)
    monkeypatch.setattr(NeurodebugApp, "run", lambda self, *a, **k: ran.append(self))
    monkeypatch.chdir(tmp_path)
    net = neurodebug.debug(LAYERS, X=X_tstn, path="coffee.json")
    assert len(ran) == 1 and ran[0].path == Path("coffee.json") and ran[0].save_dir is None
    assert isinstance(net, neurodebug.Network) and (tmp_path / "coffee.json").is_file()
    assert neurodebug.debug(net) is net and ran[1].save_dir == tmp_path  # no path: edits go to the current directory


# -- in a notebook, or through a pipe: save, print the trace and the command ---------------------
def cli_trace(path: Path, capsys) -> str:
    assert main(["trace", str(path)]) == 0
    return capsys.readouterr().out


def fake_notebook(monkeypatch) -> None:
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setattr(api, "_interactive_terminal", lambda: True)  # a notebook wins over a terminal


@pytest.mark.parametrize("notebook", [True, False], ids=["jupyter", "stdout-not-a-tty"])
def test_in_a_notebook_debug_saves_prints_the_trace_and_the_command(monkeypatch, tmp_path: Path, capsys,
                                                                     notebook: bool) -> None:
    if notebook:
        fake_notebook(monkeypatch)
        assert api.in_notebook()
    monkeypatch.chdir(tmp_path)
    first = neurodebug.debug(LAYERS, X=X_tstn)
    out = capsys.readouterr().out
    assert first == tmp_path / "network.json" and first.is_file()
    assert FIRST_DOT in out
    assert out.rstrip().endswith("neurodebug network.json")
    # exactly what `neurodebug trace` prints for the saved file, then the command
    assert out.startswith(cli_trace(first, capsys))
    second = neurodebug.debug(LAYERS, X=X_tstn, y=[1, 0])  # never over an existing file
    assert second == tmp_path / "network-2.json" and "neurodebug network-2.json" in capsys.readouterr().out
    third = neurodebug.debug(network_from_arrays(LAYERS, name="my coffee"), path=tmp_path / "sub.json")
    assert third == tmp_path / "sub.json" and "neurodebug sub.json" in capsys.readouterr().out


def test_in_a_notebook_without_a_kernel_is_not_a_notebook(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    assert not api.in_notebook()


def test_the_five_line_script_through_a_pipe_exits_and_prints_the_command(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)  # a safety net, not a measurement
    assert proc.returncode == 0, proc.stderr
    assert FIRST_DOT in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].endswith("neurodebug network.json")
    assert load_network(tmp_path / "network.json").shape_summary() == "2-3-1"


def test_the_script_is_under_six_lines() -> None:
    assert len(SCRIPT.strip().splitlines()) < 6


# -- the README's "From a notebook" section runs as written -------------------------------------
def test_the_readme_notebook_section_runs(monkeypatch, tmp_path: Path, capsys) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From a notebook", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), scope)  # our own README
    out = capsys.readouterr().out
    assert "neurodebug coffee.json" in out
    assert (tmp_path / "coffee.json").is_file()
