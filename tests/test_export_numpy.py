"""neurodebug export NET --numpy -o forward.py: a standalone NumPy script
that prints the outputs neurodebug computes — to 1e-12 in float64, bit for
bit in float32 — run here as a user would, `python -W error forward.py`."""

from __future__ import annotations

import ast
import inspect
import json
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from neurodebug.cli import main
from neurodebug.engine import ACTIVATIONS, SUPPORTED_ACTIVATIONS, BatchNorm, Layer, Network, Normalization, Rescaling
from neurodebug.engine import Samples, trace_of
from neurodebug.io import load_network, write_json_network
from neurodebug.io.npz_format import write_npz_network
from neurodebug.io.numpy_export import INLINE_LIMIT, SOURCES, export_numpy, function_source

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_networks"
FIXTURES = Path(__file__).parent / "fixtures"
RTOL = 1e-12  # relative; values below ATOL (subnormal, "near 0") compare absolutely
ATOL = 1e-300

# Every activation with parameters other than its defaults, so a keyword that
# went astray would show.
PARAMS = {"leaky_relu": {"alpha": 0.1234567891234}, "elu": {"alpha": 0.7000000000000001},
          "hard_sigmoid": {"alpha": 0.2, "beta": 0.45}, "clip": {"min": -0.75, "max": 2.5}}


# -- helpers -----------------------------------------------------------------------------------
def export(net: Path, out: Path, *extra: str) -> str:
    assert main(["export", str(net), "--numpy", "-o", str(out), *extra]) == 0
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from)\s+neurodebug", text, re.M), "the script must need only NumPy"
    return text


def run_script(script: Path) -> list[tuple[str, np.ndarray]]:
    """Run the script as a user would, warnings as errors, in its own directory
    and without our source path; its lines parsed as its docstring says."""
    done = subprocess.run([sys.executable, "-I", "-W", "error", script.name], cwd=script.parent,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    rows = []
    for line in done.stdout.splitlines():
        name, _, values = line.partition("\t")
        rows.append((ast.literal_eval(name), np.array([float(v) for v in values.split()])))
    return rows


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    """got (float64, read from the script) equals the engine's ``want`` to
    RTOL; a float32 network's values bit for bit."""
    w = np.asarray(want)
    if w.dtype == np.float32:
        assert np.array_equal(got.astype(np.float32), w, equal_nan=True) and got.dtype == np.float64
        assert np.array_equal(got, w.astype(np.float64), equal_nan=True)  # repr of the float32 value, exact
        return
    np.testing.assert_allclose(got, w, rtol=RTOL, atol=ATOL, equal_nan=True)


def check_against_engine(path: Path, tmp_path: Path, *extra: str,
                         activations: str | None = None) -> tuple[str, list[tuple[str, np.ndarray]]]:
    """Export ``path``, run the script, and compare every sample's outputs
    with the engine's trace of the same network and samples."""
    out = tmp_path / "forward.py"
    args = [*extra, *(["--activations", activations] if activations else [])]
    text = export(path, out, *args)
    net = load_network(path, activations)
    if "--inputs" in extra:
        from neurodebug.io.inputs import read_inputs

        net.samples = read_inputs(extra[extra.index("--inputs") + 1], net)
    rows = run_script(out)
    if len(net.samples):
        trace = trace_of(net)
        assert [name for name, _ in rows] == list(net.samples.names)
    else:
        trace = trace_of(net, np.zeros((1, net.n_inputs)))
        assert [name for name, _ in rows] == ["zeros"]
    want = trace.outputs
    for (_, got), expected in zip(rows, want):
        assert_same(got, expected)
    assert len(rows) == len(want)
    return text, rows


# -- the bundled networks ------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")) + [FIXTURES / "batchnorm_demo.json"],
                         ids=lambda p: p.name)
def test_the_script_reproduces_each_bundled_network(tmp_path: Path, path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    text, rows = check_against_engine(path, tmp_path)
    assert "def dense(a_in, W, b, g):\n" in text and "def sequential(x):\n" in text
    assert "np.load" not in text and not (tmp_path / "forward.npz").exists()  # small: every number in the script
    # the same numbers `neurodebug trace --format json` gives, sample by sample
    capsys.readouterr()
    for k, (name, got) in enumerate(rows):
        assert main(["trace", str(path), "--sample", str(k + 1), "--format", "json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["sample"] == name
        want = [float(v) for v in doc["outputs"]]  # NaN and ±∞ are the strings "NaN", "Infinity"
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True)


def test_the_seed_example_reads_like_the_lesson(tmp_path: Path) -> None:
    text = export(SAMPLES / "seed_example.json", tmp_path / "forward.py")
    assert "W1 = np.array([[1.0, -0.5], [-2.0, 3.0]])\nb1 = np.array([0.5, 1.0])\n" in text
    assert "    a1 = dense(x, W1, b1, sigmoid)\n    a2 = dense(a1, W2, b2, sigmoid)\n    return a2\n" in text
    assert "X = np.array([[200.0, 17.0]])\nnames = ['seed example']\n" in text
    assert text.count("def ") == 3  # sigmoid, dense, sequential: only what the network uses
    assert "import math" not in text and "Path" not in text


# -- a big network: its arrays in an .npz beside the script ----------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_784_128_10_network_keeps_its_weights_in_an_npz(tmp_path: Path, dtype: type) -> None:
    rng = np.random.default_rng(784)
    layers = [Layer("hidden", "relu", (rng.normal(size=(784, 128)) / 28).astype(dtype), rng.normal(size=128).astype(dtype)),
              Layer("digits", "softmax", (rng.normal(size=(128, 10)) / 11).astype(dtype), rng.normal(size=10).astype(dtype))]
    net = Network(layers, name="mnist-like")
    net.samples = Samples(rng.uniform(0, 1, size=(5, 784)), names=[f"digit {k}" for k in range(5)])
    write_npz_network(net, tmp_path / "mnist.npz")
    work = tmp_path / "out"
    work.mkdir()
    text, _ = check_against_engine(tmp_path / "mnist.npz", work)
    assert (work / "forward.npz").is_file()
    assert "with np.load(Path(__file__).parent / 'forward.npz', allow_pickle=False) as npz:" in text
    assert len(text) < 5000  # the numbers are in the .npz, not the script
    with np.load(work / "forward.npz", allow_pickle=False) as arrays:
        assert arrays["W1"].dtype == dtype and arrays["X"].dtype == dtype
        assert np.array_equal(arrays["W1"], layers[0].W)


def test_the_cut_is_on_the_network_s_numbers(tmp_path: Path) -> None:
    """Up to INLINE_LIMIT numbers are written out; one more and they go to the .npz."""
    for inputs in (INLINE_LIMIT - 1, INLINE_LIMIT):  # W inputs×1 and b: inputs + 1 numbers
        net = Network([Layer("sum", "linear", np.full((inputs, 1), 0.5), np.zeros(1))])
        net.samples = Samples(np.ones((1, inputs)))
        write_npz_network(net, tmp_path / f"net{inputs}.npz")
        out = tmp_path / f"forward{inputs}.py"
        text = export(tmp_path / f"net{inputs}.npz", out)
        assert out.with_suffix(".npz").exists() == (inputs + 1 > INLINE_LIMIT) == ("np.load" in text)


# -- every activation, float64 and float32, with norms -----------------------------------------------
def _chains(names: tuple[str, ...], size: int) -> list[list[str]]:
    return [list(names[k:k + size]) for k in range(0, len(names), size)]


def activation_network(chain: list[str], dtype: type, seed: int) -> Network:
    """Layers of 10 units with the chain's activations; batch norms before and
    after activations, a rescaling, and a normalisation at the input (10
    values each: the script names their vectors)."""
    rng = np.random.default_rng(seed)
    width, layers = 10, []
    for k, name in enumerate(chain):
        W = (rng.normal(size=(width, width)) * 0.8).astype(dtype)
        b = rng.normal(size=width).astype(dtype)
        norm = None
        if k % 3 == 1:
            norm = BatchNorm(*(rng.uniform(0.5, 1.5, width).astype(dtype) for _ in range(2)),
                             rng.normal(size=width).astype(dtype), rng.uniform(0.2, 2, width).astype(dtype), eps=1e-5)
        elif k % 3 == 2:
            norm = Rescaling(rng.uniform(0.5, 2, width).astype(dtype), rng.normal(size=width).astype(dtype))
        at = "a" if k % 2 else "z"
        layers.append(Layer(f"l{k}_{name}", name, W, b, params=PARAMS.get(name), norm=norm, norm_at=at))
    normalization = Normalization(rng.normal(size=width).astype(dtype), rng.uniform(0.5, 3, width).astype(dtype))
    net = Network(layers, normalization=normalization, name=f"chain {'-'.join(chain)}")
    x = rng.normal(size=(12, width)) * 3
    x[0] = np.linspace(-1000, 1000, width)  # far out on every flat side
    x[1] = np.linspace(-40, 40, width)
    x[2] = 0.0
    net.samples = Samples(x, names=[f"s{k}" for k in range(len(x))])
    return net


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("chain", _chains(SUPPORTED_ACTIVATIONS, 7), ids=lambda c: "-".join(c))
def test_every_activation_with_its_parameters_and_norms(tmp_path: Path, chain: list[str], dtype: type) -> None:
    net = activation_network(chain, dtype, seed=len(chain[0]))
    path = tmp_path / "chain.npz"
    write_npz_network(net, path)
    work = tmp_path / "out"
    work.mkdir()
    text, _ = check_against_engine(path, work)
    for layer in net.layers:
        if layer.params:  # the call the Code view writes, with every digit
            keywords = ", ".join(f"{k}={float(v)!r}" for k, v in layer.params.items())
            assert re.search(rf"{layer.activation}\((z|z\d+), {re.escape(keywords)}\)", text), layer.activation
    if dtype == np.float32:
        assert "dtype=np.float32" in text and "x = np.asarray(x, dtype=np.float32)" in text
    assert "mu = np.array([" in text and "var2 = np.array([" in text  # the 10-value norms, named


def test_a_float32_json_network_with_a_float64_input_normalisation(tmp_path: Path) -> None:
    """The JSON reader keeps an input normalisation in float64: the pass after
    it runs in float64 while the weights stay float32, in neurodebug and in
    the script alike."""
    write_json_network(activation_network(list(SUPPORTED_ACTIVATIONS[:6]), np.float32, seed=6), tmp_path / "mixed.json")
    net = load_network(tmp_path / "mixed.json")
    assert net.normalization is not None and net.normalization.mean.dtype == np.float64
    assert net.layers[0].W.dtype == np.float32 and trace_of(net).outputs.dtype == np.float64
    work = tmp_path / "out"
    work.mkdir()
    check_against_engine(tmp_path / "mixed.json", work)


@pytest.mark.parametrize(("model", "activations"), [
    ("torch_activations.onnx", None),
    ("keras_activations.keras", None),
    ("keras_more/keras_bn_at_input.keras", None),
    ("torch_mlp.safetensors", "relu,relu,softmax"),
])
def test_framework_models_in_float32(tmp_path: Path, model: str, activations: str | None) -> None:
    """Models that carry no samples: the script gets the ones given with --inputs."""
    path = FIXTURES / model
    net = load_network(path, activations)
    x = np.random.default_rng(3).normal(size=(6, net.n_inputs)) * 2
    np.save(tmp_path / "x.npy", x)
    check_against_engine(path, tmp_path, "--inputs", str(tmp_path / "x.npy"), activations=activations)


def test_without_samples_the_script_runs_on_zeros(tmp_path: Path) -> None:
    text, _ = check_against_engine(FIXTURES / "torch_mlp.onnx", tmp_path)
    assert "names = ['zeros']" in text and "no samples" in text


def test_one_input_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "forward.py"
    export(SAMPLES / "xor.json", out, "--input", "-0.25,1")
    rows = run_script(out)
    net = load_network(SAMPLES / "xor.json")
    assert [name for name, _ in rows] == ["--input"]
    assert_same(rows[0][1], trace_of(net, np.array([-0.25, 1.0])).outputs[0])


# -- the functions themselves, against the engine's, in this process ----------------------------------
def _functions() -> dict[str, object]:
    scope: dict[str, object] = {"np": np, "math": math}
    for name in SUPPORTED_ACTIVATIONS:
        exec(function_source(name), scope)  # noqa: S102 - our own texts, in a test
    return scope


def test_every_activation_has_a_numpy_text_with_the_engine_s_parameters() -> None:
    assert set(SOURCES) == set(SUPPORTED_ACTIVATIONS)
    scope = _functions()
    for name in SUPPORTED_ACTIVATIONS:
        params = list(inspect.signature(scope[name]).parameters)  # type: ignore[arg-type]
        assert params == ["z", *(p.name for p in ACTIVATIONS[name].params)], name


_GRID = np.concatenate([np.linspace(-40, 40, 9001), np.geomspace(1e-300, 1e300, 601), -np.geomspace(1e-300, 1e300, 601),
                        [0.0, -0.0, 1000.0, -1000.0, 709.7, 709.8, -745.2, 38.5, -38.5, 5e-324]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_the_functions_compute_what_the_engine_computes(dtype: type) -> None:
    """float64 to RTOL (gelu's erfc and mish's tanh(logaddexp) differ from
    the engine's by ~1e-13 and ~1e-15), float32 bit for bit; no warning
    for any finite z, ±1000 included (warnings are errors here)."""
    scope = _functions()
    z = _GRID[np.abs(_GRID) < 1e38].astype(dtype)
    for name in SUPPORTED_ACTIVATIONS:
        act, params = ACTIVATIONS[name], PARAMS.get(name, ACTIVATIONS[name].defaults)
        zz = z[:9000].reshape(3, -1) if act.per_layer else z  # rows of softmax
        with np.errstate(all="ignore"):
            want = act(zz, params)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = scope[name](zz, **params)  # type: ignore[operator]
        assert got.dtype == want.dtype, name
        if dtype == np.float32:
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=name)
        else:
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=name)


def test_non_finite_z_gives_what_the_engine_gives() -> None:
    scope = _functions()
    z = np.array([np.inf, -np.inf, np.nan, 1.0])
    for name in SUPPORTED_ACTIVATIONS:
        params = PARAMS.get(name, ACTIVATIONS[name].defaults)
        with np.errstate(all="ignore"):
            want = ACTIVATIONS[name](z, params)
            got = scope[name](z, **params)  # type: ignore[operator]
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=name)


# -- the command line ---------------------------------------------------------------------------
def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_an_existing_output_is_refused_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "forward.py"
    out.write_text("precious")
    assert main(["export", str(SAMPLES / "xor.json"), "--numpy", "-o", str(out)]) == 2
    assert "forward.py: already exists; use --force to overwrite it" in _error_line(capsys)
    assert out.read_text() == "precious"
    assert main(["export", str(SAMPLES / "xor.json"), "--numpy", "-o", str(out), "--force"]) == 0
    assert "def sequential(x):" in out.read_text()


def test_an_existing_npz_beside_it_is_refused_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = Network([Layer("wide", "relu", np.ones((3, 1000)), np.zeros(1000))])
    write_npz_network(net, tmp_path / "big.npz")
    (tmp_path / "forward.npz").write_bytes(b"precious")
    assert main(["export", str(tmp_path / "big.npz"), "--numpy", "-o", str(tmp_path / "forward.py")]) == 2
    assert "forward.npz: already exists; use --force" in _error_line(capsys)
    assert not (tmp_path / "forward.py").exists() and (tmp_path / "forward.npz").read_bytes() == b"precious"
    # never over the network being exported, --force or not
    assert main(["export", str(tmp_path / "big.npz"), "--numpy", "-o", str(tmp_path / "big.py"), "--force"]) == 2
    assert "big.npz: is the network being exported; choose another output file" in _error_line(capsys)
    assert load_network(tmp_path / "big.npz").n_outputs == 1000


def test_a_missing_numpy_flag_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(SAMPLES / "xor.json"), "-o", str(tmp_path / "forward.py")]) == 2
    assert "--numpy" in _error_line(capsys)
    assert not (tmp_path / "forward.py").exists()


def test_the_output_must_be_a_python_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(SAMPLES / "xor.json"), "--numpy", "-o", str(tmp_path / "forward.txt")]) == 2
    assert "the output must end in .py" in _error_line(capsys)


@pytest.mark.parametrize("rows", [2, INLINE_LIMIT + 1], ids=["names-in-script", "names-in-npz"])
def test_names_from_the_file_cannot_break_the_script(tmp_path: Path, rows: int) -> None:
    hostile = 'evil"""\n\x1b[31m\\ \ud800 é\''
    net = Network([Layer(hostile, "sigmoid", np.ones((1, 1)), np.zeros(1))], name=hostile)
    names = [hostile, *(f"row {k}" for k in range(1, rows))]
    net.samples = Samples(np.arange(rows, dtype=float).reshape(-1, 1), names=names)
    out = tmp_path / "forward.py"
    written = export_numpy(net, out, source=tmp_path / hostile)
    assert written == ([out] if rows == 2 else [out, tmp_path / "forward.npz"])
    got = run_script(out)
    assert [name for name, _ in got] == names
    assert_same(np.concatenate([values for _, values in got]), trace_of(net).outputs.ravel())
