"""The .npz format: the documented key layout, lossless round trips, every refusal."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from neurodebug.engine.network import Layer, Network, Normalization, Sample
from neurodebug.io import NetworkFileError, load_network, write_json_network
from neurodebug.io.npz_format import read_npz_network, write_npz_network
from neurodebug.engine.trace import forward

RNG = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def _fresh_rng() -> None:
    """Every test draws the same numbers, whatever ran before it in this worker."""
    global RNG
    RNG = np.random.default_rng(3)


def reference_forward(x: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray, str]]) -> np.ndarray:
    """An independent forward pass: z = x @ W + b, then the activation."""
    a = np.asarray(x, dtype=np.float64)
    for W, b, act in layers:
        z = a @ W.astype(np.float64) + b.astype(np.float64)
        if act == "sigmoid":
            a = 1 / (1 + np.exp(-z))
        elif act == "relu":
            a = np.maximum(z, 0)
        elif act == "tanh":
            a = np.tanh(z)
        elif act == "softmax":
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            a = e / e.sum(axis=-1, keepdims=True)
        else:
            a = z
    return a


def full_network(dtype: type = np.float64) -> Network:
    layers = [
        Layer("hidden", "leaky_relu", RNG.normal(size=(3, 4)).astype(dtype), RNG.normal(size=4).astype(dtype),
              neuron_names=["a", "b", "c", "d"], alpha=0.2),
        Layer("out", "softmax", RNG.normal(size=(4, 2)).astype(dtype), RNG.normal(size=2).astype(dtype)),
    ]
    samples = [
        Sample("first", np.array([1.0, 2.0, 3.0]), label=1, expected=np.array([0.0, 1.0])),
        Sample("second", np.array([-1.0, 0.5, 0.0])),
    ]
    return Network(
        layers, samples, feature_names=["x", "y", "z"], output_names=["no", "yes"],
        normalization=Normalization(np.array([0.5, 1.0, 1.5]), np.array([2.0, 3.0, 4.0])),
        name="full", description="every field",
    )


def save(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


def two_layers(**extra: np.ndarray) -> dict[str, np.ndarray]:
    arrays = {
        "layers/0/W": np.array([[1.0, -2.0], [0.5, 0.25]]),
        "layers/0/b": np.array([0.1, -0.1]),
        "layers/0/activation": np.array("tanh"),
        "layers/1/W": np.array([[2.0], [-1.0]]),
        "layers/1/b": np.array([0.3]),
        "layers/1/activation": np.array("sigmoid"),
    }
    arrays.update(extra)
    return arrays


# -- reading and writing --------------------------------------------------------------
def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    net = full_network()
    path = write_npz_network(net, tmp_path / "full.npz")
    back = load_network(path)
    assert (back.name, back.description) == ("full", "every field")
    assert back.feature_names == ["x", "y", "z"] and back.output_names == ["no", "yes"]
    assert [layer.name for layer in back.layers] == ["hidden", "out"]
    assert back.layers[0].neuron_names == ["a", "b", "c", "d"]
    assert back.layers[0].alpha == 0.2
    for mine, theirs in zip(net.layers, back.layers):
        assert mine.activation == theirs.activation
        assert np.array_equal(mine.W, theirs.W) and np.array_equal(mine.b, theirs.b)
    assert np.array_equal(back.normalization.mean, net.normalization.mean)
    assert [s.name for s in back.samples] == ["first", "second"]
    assert [s.label for s in back.samples] == [1, None]
    assert np.array_equal(back.samples[0].expected, [0.0, 1.0]) and back.samples[1].expected is None
    assert np.array_equal(forward(back, np.eye(3)), forward(net, np.eye(3)))


def test_float32_weights_stay_float32_bit_exact(tmp_path: Path) -> None:
    net = full_network(np.float32)
    back = read_npz_network(write_npz_network(net, tmp_path / "f32.npz"))
    for mine, theirs in zip(net.layers, back.layers):
        assert theirs.W.dtype == np.float32 and theirs.b.dtype == np.float32
        assert mine.W.tobytes() == theirs.W.tobytes()


def test_hand_written_file_matches_numpy(tmp_path: Path) -> None:
    arrays = two_layers()
    net = load_network(save(tmp_path / "hand.npz", **arrays))
    assert [layer.name for layer in net.layers] == ["layer1", "layer2"]
    assert net.name == "hand"
    x = RNG.normal(size=(5, 2))
    want = reference_forward(x, [(arrays["layers/0/W"], arrays["layers/0/b"], "tanh"),
                                 (arrays["layers/1/W"], arrays["layers/1/b"], "sigmoid")])
    np.testing.assert_allclose(forward(net, x), want, rtol=1e-6)


def test_content_sniffed_without_extension(tmp_path: Path) -> None:
    path = tmp_path / "model"
    with open(path, "wb") as fh:
        np.savez(fh, **two_layers())
    assert load_network(path).shape_summary() == "2-2-1"


def test_compressed_and_big(tmp_path: Path) -> None:
    layers = [Layer("l1", "relu", RNG.normal(size=(784, 128)).astype(np.float32), np.zeros(128, np.float32)),
              Layer("l2", "softmax", RNG.normal(size=(128, 10)).astype(np.float32), np.zeros(10, np.float32))]
    net = Network(layers)
    path = write_npz_network(net, tmp_path / "big.npz", compressed=True)
    back = read_npz_network(path)
    assert back.param_count == net.param_count
    assert np.array_equal(back.layers[0].W, layers[0].W)


def test_write_refuses_existing_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "net.npz"
    path.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        write_npz_network(full_network(), path)
    assert path.read_bytes() == b"keep me"
    write_npz_network(full_network(), path, overwrite=True)
    assert read_npz_network(path).name == "full"
    assert sorted(os.listdir(tmp_path)) == ["net.npz"]


# -- refusals ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "place", "words"),
    [
        ({"layer/0/W": np.zeros(1)}, "layer/0/W", "did you mean 'layers/0/W'"),
        ({"layers/0/activation": np.array("celu")}, "layers/0/activation", "supported: sigmoid"),
        ({"layers/0/alpha": np.array(0.1)}, "layers/0/alpha", "only a leaky_relu, elu or hard_sigmoid layer"),
        ({"layers/0/min": np.array(0.1)}, "layers/0/min", "only a clip layer takes min"),
        ({"layers/1/W": np.ones((3, 1))}, "layers/1/W", "take 3 inputs but the previous layer layer1 has 2 units"),
        ({"layers/1/b": np.ones(2)}, "layers/1/b", "has 2 values, expected 1"),
        ({"layers/0/W": np.ones(4)}, "layers/0/W", "expected a matrix"),
        ({"normalization/mean": np.array([np.nan, 0]), "normalization/std": np.ones(2)},
         "normalization/mean[0]", "is NaN"),
        ({"layers/0/W": np.array([["a", "b"], ["c", "d"]])}, "layers/0/W", "expected numbers"),
        ({"layers/3/W": np.ones((1, 1))}, "layers/2", "without gaps"),
        ({"format": np.array("something-else")}, "format", "expected \"neurodebug-network\""),
        ({"version": np.array(7)}, "version", "version 7 is not supported"),
        ({"features": np.array(["only one"])}, "features", "has 1 names but there are 2 inputs"),
        ({"normalization/mean": np.zeros(2)}, "normalization/std", "missing"),
        ({"normalization/mean": np.zeros(2), "normalization/std": np.array([1.0, 0.0])}, "normalization/std[1]", "positive"),
        ({"samples/x": np.ones((2, 3))}, "samples/x", "has 3 columns but the network takes 2 inputs"),
        ({"samples/x": np.ones((2, 2)), "samples/labels": np.array([0, 5])}, "samples/labels[1]", "out of range"),
        ({"samples/labels": np.array([0])}, "samples/labels", "without samples/x"),
    ],
)
def test_bad_arrays_name_the_key(tmp_path: Path, change: dict, place: str, words: str) -> None:
    arrays = two_layers()
    arrays.update(change)
    with pytest.raises(NetworkFileError) as err:
        read_npz_network(save(tmp_path / "bad.npz", **arrays))
    assert err.value.place == place
    assert words in str(err.value)


def test_missing_layer_field(tmp_path: Path) -> None:
    arrays = two_layers()
    del arrays["layers/1/b"]
    with pytest.raises(NetworkFileError, match=r"layers/1/b: missing"):
        read_npz_network(save(tmp_path / "bad.npz", **arrays))


def test_no_layers(tmp_path: Path) -> None:
    with pytest.raises(NetworkFileError, match="no layers"):
        read_npz_network(save(tmp_path / "empty.npz", name=np.array("x")))


def test_pickled_objects_are_never_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    def no_unpickling(*args: object, **kwargs: object) -> None:
        raise AssertionError("unpickled")

    arrays = two_layers()
    arrays["layers/0/activation"] = np.array([{"evil": 1}], dtype=object)
    path = save(tmp_path / "objects.npz", **arrays)
    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    with pytest.raises(NetworkFileError, match="never unpickled"):
        read_npz_network(path)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "net.npz"
    path.write_text("hello")
    with pytest.raises(NetworkFileError, match="not an .npz archive"):
        load_network(path)


def test_corrupt_member(tmp_path: Path) -> None:
    path = tmp_path / "net.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("layers/0/W.npy", b"\x93NUMPY garbage")
    with pytest.raises(NetworkFileError, match="cannot read the arrays"):
        read_npz_network(path)


def test_unknown_compression_method(tmp_path: Path) -> None:
    path = save(tmp_path / "net.npz", **two_layers())
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.find(signature)
        while at != -1:
            data[at + offset] = 99  # a compression method no one implements
            at = data.find(signature, at + 1)
    path.write_bytes(bytes(data))
    with pytest.raises(NetworkFileError):
        read_npz_network(path)


def test_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = save(tmp_path / "net.npz", **two_layers())
    with pytest.raises(NetworkFileError, match="over the"):
        read_npz_network(path, limit=100)


def test_archive_that_unpacks_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **two_layers(**{"samples/x": np.zeros((50_000, 2))}))
    size = path.stat().st_size
    with pytest.raises(NetworkFileError, match="unpack"):
        read_npz_network(path, limit=size * 4)


def test_non_finite_weights_load_and_round_trip(tmp_path: Path) -> None:
    """A broken network opens: the health check, not the reader, names the neuron."""
    arrays = two_layers()
    arrays["layers/0/W"] = np.array([[1.0, np.nan], [np.inf, 0]])
    path = tmp_path / "broken.npz"
    np.savez(path, **arrays)
    net = load_network(path)
    assert np.isnan(net.layers[0].W[0, 1]) and net.layers[0].W[1, 0] == np.inf
    out = tmp_path / "broken.json"
    write_json_network(net, out)
    again = load_network(out)
    np.testing.assert_array_equal(again.layers[0].W, net.layers[0].W)
