"""Course-style .npz: ``np.savez("net.npz", W1=…, b1=…, W2=…, b2=…)`` opens
with ``--activations``, as a .safetensors file does; neurodebug's own .npz
layout is untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from neurodebug import NetworkFileError, load_network, network_from_arrays
from neurodebug.cli import main
from neurodebug.engine.trace import forward
from neurodebug.io.npz_format import write_npz_network

W1 = np.array([[-8.93, 0.29, 12.9], [-0.1, -7.32, 10.81]])
b1 = np.array([-9.82, -9.28, 0.96])
W2 = np.array([[-31.18], [-27.59], [-32.56]])
b2 = np.array([15.41])
X_tstn = np.array([[-0.47, 0.42], [-0.47, 3.16]])
RAW = np.array([[200, 13.9], [200, 17]])
MEAN = np.array([218.66783, 13.430685])
VARIANCE = np.array([1596.934, 1.2733253])
LAB = [(W1, b1, "sigmoid"), (W2, b2, "sigmoid")]


def savez(tmp_path: Path, name: str = "net.npz", **arrays) -> Path:
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    return captured.err


def test_the_lab_arrays_read_with_activations(tmp_path: Path) -> None:
    path = savez(tmp_path, W1=W1, b1=b1, W2=W2, b2=b2)
    net = load_network(path, "sigmoid,sigmoid")
    assert net.shape_summary() == "2-3-1" and net.name == "net" and not net.samples
    assert [l.activation for l in net.layers] == ["sigmoid", "sigmoid"]
    expected = network_from_arrays(LAB)
    np.testing.assert_array_equal(forward(net, X_tstn), forward(expected, X_tstn))


def test_lowercase_w_a_row_bias_samples_and_labels(tmp_path: Path) -> None:
    path = savez(tmp_path, w1=W1, b1=b1.reshape(1, 3), w2=W2, b2=b2.reshape(1, 1), X_tstn=X_tstn, y=np.array([1, 0]))
    net = load_network(path, "sigmoid,sigmoid")
    np.testing.assert_array_equal(net.layers[0].b, b1)
    np.testing.assert_array_equal(net.samples.x, X_tstn)
    assert [s.label for s in net.samples] == [1, 0]


def test_float_y_is_expected_outputs_and_a_column_bias_is_fine(tmp_path: Path) -> None:
    path = savez(tmp_path, W1=W1, b1=b1.reshape(3, 1), W2=W2, b2=b2, X=X_tstn, Y=np.array([[0.97], [0.0]]))
    net = load_network(path, "sigmoid,sigmoid")
    assert [s.label for s in net.samples] == [None, None]
    np.testing.assert_array_equal(net.samples.expected, [[0.97], [0.0]])


def test_mean_and_variance_normalise_the_raw_inputs(tmp_path: Path) -> None:
    path = savez(tmp_path, W1=W1, b1=b1, W2=W2, b2=b2, X=RAW, mean=MEAN, variance=VARIANCE)
    net = load_network(path, "sigmoid,sigmoid")
    np.testing.assert_allclose(net.normalization.std, np.sqrt(VARIANCE))
    out = forward(net, RAW)
    assert out[0, 0] == pytest.approx(0.97193, abs=5e-6)  # the lab's output for 200 °C, 13.9 min
    by_std = savez(tmp_path, "std.npz", W1=W1, b1=b1, W2=W2, b2=b2, mean=MEAN, std=np.sqrt(VARIANCE))
    np.testing.assert_array_equal(forward(load_network(by_std, "sigmoid,sigmoid"), RAW), out)


def test_float32_stays_float32_and_parameters_come_after_a_colon(tmp_path: Path) -> None:
    path = savez(tmp_path, W1=W1.astype(np.float32), b1=b1.astype(np.float32), W2=W2.astype(np.float32),
                 b2=b2.astype(np.float32))
    net = load_network(path, "leaky_relu:0.1,sigmoid")
    assert net.compute_dtype == np.float32
    assert net.layers[0].params == {"alpha": pytest.approx(0.1)}


def test_without_activations_one_line_says_how_many_layers_and_the_flag(tmp_path: Path, capsys) -> None:
    path = savez(tmp_path, W1=W1, b1=b1, W2=W2, b2=b2)
    for argv in (["check", str(path)], ["trace", str(path)], [str(path)],
                 ["convert", str(path), "-o", str(tmp_path / "out.json")]):
        err = one_line_error(capsys, argv)
        assert err == (f"neurodebug: error: {path}: holds weights but no activations: 2 layers (W1, W2); "
                       "add --activations sigmoid,sigmoid (one per layer, in order)\n")


def test_check_trace_and_convert_take_the_flag(tmp_path: Path, capsys) -> None:
    path = savez(tmp_path, W1=W1, b1=b1, W2=W2, b2=b2, X_tstn=X_tstn, y=np.array([1, 0]))
    flag = ["--activations", "sigmoid,sigmoid"]
    assert main(["check", str(path), *flag]) == 0
    assert "valid: 2 layers (2-3-1)" in capsys.readouterr().out
    assert main(["trace", str(path), *flag]) == 0
    assert "z = (−8.93)×(−0.47) + (−0.1)×0.42 = 4.1551" in capsys.readouterr().out
    out = tmp_path / "net.json"
    assert main(["convert", str(path), "-o", str(out), *flag]) == 0
    back = load_network(out)
    np.testing.assert_array_equal(forward(back, X_tstn), forward(network_from_arrays(LAB), X_tstn))
    assert [s.label for s in back.samples] == [1, 0]


def test_a_course_npz_without_its_suffix_is_sniffed(tmp_path: Path) -> None:
    path = savez(tmp_path, W1=W1, b1=b1, W2=W2, b2=b2)
    bare = tmp_path / "weights"
    shutil.copy(path, bare)
    assert load_network(bare, "sigmoid,sigmoid").shape_summary() == "2-3-1"


@pytest.mark.parametrize("arrays,activations,place,words", [
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2, "Xtest": X_tstn}, "sigmoid,sigmoid", "Xtest", ["did you mean 'X_tstn'"]),
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2, "weights": W1}, "sigmoid,sigmoid", "weights", ["unknown key"]),
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, "sigmoid", "--activations",
     ["gives 1 activation", "2 layers (W1, W2)", "--activations sigmoid,sigmoid"]),
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, "sigmod,sigmoid", "--activations", ['unknown activation "sigmod"']),
    ({"W1": W1.T, "b1": b1, "W2": W2, "b2": b2}, "sigmoid,sigmoid", "W1", ["3×2", "b1 has 3 values", "transposed", "W1.T"]),
    ({"W1": W1, "b1": b1, "W2": W2.T, "b2": b2}, "sigmoid,sigmoid", "W2", ["look transposed"]),
    ({"W1": W1, "b1": np.ones(4), "W2": W2, "b2": b2}, "sigmoid,sigmoid", "b1", ["shape 4", "expected 3 values", "W1 is 2×3"]),
    ({"W1": W1, "b1": b1, "W3": W2, "b3": b2}, "sigmoid,sigmoid", "W2", ["missing", "without gaps"]),
    ({"W1": W1, "b1": b1, "W2": W2}, "sigmoid,sigmoid", "b2", ["missing"]),
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2, "X_tstn": X_tstn, "mean": MEAN, "variance": VARIANCE},
     "sigmoid,sigmoid", "X_tstn", ["already normalised", "as X"]),
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2, "mean": MEAN}, "sigmoid,sigmoid", "mean", ["variance", "std"]),
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2, "mean": MEAN, "variance": np.array([1.0, 0.0])},
     "sigmoid,sigmoid", "variance[1]", ["positive"]),
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2, "X": X_tstn, "y": np.array([1, 2])}, "sigmoid,sigmoid", "y[1]",
     ["class 2 out of range"]),
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2, "y": np.array([1, 0])}, "sigmoid,sigmoid", "y", ["without X"]),
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2, "X": np.ones((2, 3))}, "sigmoid,sigmoid", "W1",
     ["samples have 3 inputs", "transposed"]),
    ({"W1": W1, "b1": b1, "W2": W2, "b2": b2, "X": np.array([[np.nan, 0.0]])}, "sigmoid,sigmoid", "X[0,0]",
     ["finite"]),
    ({"W1": np.array([["a", "b"]]), "b1": b1}, "sigmoid", "W1", ["expected numbers"]),
])
def test_mistakes_are_one_line_naming_the_key(tmp_path: Path, arrays, activations, place, words) -> None:
    path = savez(tmp_path, **arrays)
    with pytest.raises(NetworkFileError) as err:
        load_network(path, activations)
    assert err.value.place == place, str(err.value)
    text = str(err.value)
    assert "\n" not in text
    for w in words:
        assert w in text, text


def test_python_objects_are_never_unpickled(tmp_path: Path) -> None:
    path = savez(tmp_path, W1=np.array([{"evil": 1}], dtype=object), b1=b1)
    with pytest.raises(NetworkFileError, match="never unpickled"):
        load_network(path, "sigmoid")


# -- neurodebug's own layout is unchanged ---------------------------------------------------------
def test_the_own_layout_still_reads_and_refuses_activations(tmp_path: Path, capsys) -> None:
    path = write_npz_network(network_from_arrays(LAB, X=X_tstn, name="coffee"), tmp_path / "own.npz")
    net = load_network(path)
    assert net.name == "coffee" and len(net.samples) == 2
    err = one_line_error(capsys, ["check", str(path), "--activations", "sigmoid,sigmoid"])
    assert "names its own activations" in err and "course-style .npz" in err


def test_own_layout_keys_that_fit_neither_layout_keep_their_error(tmp_path: Path) -> None:
    path = savez(tmp_path, **{"layers/0/W": W1, "layers/0/b": b1, "layers/0/activation": np.array("relu"),
                              "layers/0/bias": b1})
    with pytest.raises(NetworkFileError, match=r"layers/0/bias: unknown key \(did you mean 'layers/0/b'"):
        load_network(path)
    stray = savez(tmp_path, "stray.npz", **{"layers/0/W": W1, "layers/0/b": b1,
                                            "layers/0/activation": np.array("relu"), "W2": W2})
    with pytest.raises(NetworkFileError, match="W2: unknown key"):
        load_network(stray)
