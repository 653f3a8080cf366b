"""``neurodebug convert MODEL -o OUT``: any readable model, written in our format."""

from __future__ import annotations

import os
from pathlib import Path

from .loading import load_network
from .errors import NetworkFileError
from .files import same_file, writing_output
from .json_writer import write_json_network
from .npz_format import write_npz_network

OUTPUT_FORMATS = (".json", ".npz")


def convert_file(src: str | os.PathLike[str], out: str | os.PathLike[str], overwrite: bool = False,
                 activations: str | None = None) -> Path:
    """Read ``src`` (any supported format) and write it to ``out`` as .json or .npz.

    Layer names, float32 weights and everything the network carries are kept.
    An existing ``out`` is refused unless ``overwrite``; ``out`` may never be
    ``src`` itself. ``activations`` is for a .safetensors ``src``.
    """
    src_path, out_path = Path(src), Path(out)
    suffix = out_path.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise NetworkFileError(out_path, "", f"cannot write '{out_path.suffix or '(no extension)'}'; the output must end in .json or .npz")
    net = load_network(src_path, activations)
    if out_path.exists():
        if same_file(src_path, out_path):
            raise NetworkFileError(out_path, "", "is the model being converted; choose another output file")
        if not overwrite:
            raise NetworkFileError(out_path, "", "already exists; use --force to overwrite it")
    write = write_npz_network if suffix == ".npz" else write_json_network
    return writing_output(out_path, lambda: write(net, out_path, overwrite=overwrite))
