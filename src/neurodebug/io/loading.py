"""Which reader a file goes to, and loading a network by its suffix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..engine.network import Network
from .errors import NetworkFileError
from .files import check_readable, read_bytes
from .json_format import network_from_json, parse_json_text, read_json_network

Reader = Callable[[str | os.PathLike[str]], Network]


def _read_npz(path: str | os.PathLike[str]) -> Network:
    from .npz_format import read_npz_network

    return read_npz_network(path)


def _read_keras(path: str | os.PathLike[str]) -> Network:
    from .keras_format import read_keras_network

    return read_keras_network(path)


def _read_onnx(path: str | os.PathLike[str]) -> Network:
    from .onnx_format import read_onnx_network

    return read_onnx_network(path)


# Each reader's modules are imported when a file needs them: opening a JSON
# network does not load the ONNX reader's dozen (a tenth of a big launch).
_READERS: dict[str, Reader] = {
    ".json": read_json_network, ".npz": _read_npz,
    ".keras": _read_keras, ".h5": _read_keras, ".hdf5": _read_keras,
    ".onnx": _read_onnx,
}


def _readers() -> dict[str, Reader]:
    return _READERS


_TORCH_HINT = (
    "a PyTorch checkpoint is pickled Python and is never loaded; export the model with "
    "torch.onnx.export(model, example_input, 'model.onnx') and open the .onnx file"
)
# Formats people try first, refused with what to do instead (before any sniffing:
# a modern .pt file is a zip and would otherwise be mistaken for an .npz).
UNSUPPORTED_HINTS = {
    ".pt": _TORCH_HINT,
    ".pth": _TORCH_HINT,
    ".pkl": "pickled Python objects are never loaded; see docs/formats.md for the formats neurodebug reads",
    ".pickle": "pickled Python objects are never loaded; see docs/formats.md for the formats neurodebug reads",
    ".joblib": "pickled Python objects are never loaded; see docs/formats.md for the formats neurodebug reads",
    ".pb": "a TensorFlow graph is not supported; save the Keras model with model.save('model.keras')",
    ".tflite": "TensorFlow Lite is not supported; save the Keras model with model.save('model.keras')",
}


def supported_extensions() -> list[str]:
    return sorted([*_readers(), ".safetensors"])


def load_network(path: str | os.PathLike[str], activations: str | None = None) -> Network:
    """Read a network file of any supported format, chosen by its extension.

    ``activations`` ("relu,relu,softmax", one per layer) is for a
    ``.safetensors`` file or a course-style ``.npz`` (W1, b1, …), which hold
    weights but no architecture; every other format carries its own and
    refuses them.
    """
    p = Path(path)
    check_readable(p)
    if p.suffix.lower() == ".safetensors" or (p.suffix.lower() not in _readers() and _looks_like_safetensors(p)):
        from .safetensors_format import read_safetensors_network

        return read_safetensors_network(p, activations)
    if activations is not None:
        if _is_npz(p):  # a course-style .npz (W1, b1, …) takes them too
            from .npz_format import read_npz_network

            return read_npz_network(p, activations=activations)
        raise NetworkFileError(p, "--activations", "only a .safetensors file takes them, or a course-style .npz "
                               "(W1, b1, …); this file names its own activations")
    if p.suffix.lower() in UNSUPPORTED_HINTS:
        raise NetworkFileError(p, "", UNSUPPORTED_HINTS[p.suffix.lower()])
    readers = _readers()
    reader = readers.get(p.suffix.lower())
    if reader is None:
        if not p.is_file():
            # A pipe can be read once only: sniffing would eat its first
            # bytes. Only JSON comes through a pipe.
            return network_from_json(parse_json_text(p, read_bytes(p)), p)
        reader = _sniff(p, readers)
    return reader(p)


def _is_npz(p: Path) -> bool:
    """An .npz by its suffix, or a file without a known suffix that sniffs as one."""
    suffix, readers = p.suffix.lower(), _readers()
    if suffix == ".npz":
        return True
    if suffix in readers or suffix in UNSUPPORTED_HINTS or ".npz" not in readers or not p.is_file():
        return False
    try:
        return _sniff(p, readers) is readers[".npz"]
    except NetworkFileError:
        return False


def _looks_like_safetensors(p: Path) -> bool:
    """An 8-byte little-endian length that fits the file, then a JSON object
    (a JSON file's first 8 bytes, read as that length, are far beyond its size)."""
    if not p.is_file():
        return False
    with open(p, "rb") as fh:
        head = fh.read(9)
    return len(head) == 9 and head[8:9] == b"{" and 2 <= int.from_bytes(head[:8], "little") <= p.stat().st_size - 8


def _sniff(p: Path, readers: dict[str, Reader]) -> Reader:
    """Pick a reader by content when the extension says nothing."""
    with open(p, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK") and ".npz" in readers:
        # Both .keras and .npz are zip archives; .keras has config.json.
        import zipfile

        try:
            with zipfile.ZipFile(p) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError):
            names = set()
        if "config.json" in names and ".keras" in readers:
            return readers[".keras"]
        return readers[".npz"]
    if head.startswith(b"\x89HDF") and ".h5" in readers:
        return readers[".h5"]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[") or not head:
        return readers[".json"]
    raise NetworkFileError(
        p, "", f"unknown file type '{p.suffix or '(none)'}'; supported: {', '.join(sorted(readers))}"
    )
