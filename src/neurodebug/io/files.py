"""Opening files safely and writing them atomically."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from .errors import NetworkFileError

MAX_FILE_BYTES = 2 * 1024**3  # 2 GiB: beyond this a file is refused, not read


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a whole file, turning every OS failure into a NetworkFileError."""
    p = Path(path)
    check_readable(p, limit)
    try:
        # Read at most one byte past the limit: a pipe reports no size up front.
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise NetworkFileError(p, "", f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise NetworkFileError(p, "", f"the file is over the {limit / 1e6:.0f} MB limit")
    return data


def check_readable(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> Path:
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise NetworkFileError(p, "", "no such file") from None
    except OSError as exc:
        raise NetworkFileError(p, "", f"cannot open the file ({exc.strerror or exc})") from None
    except ValueError:  # a NUL byte in the path
        raise NetworkFileError(p, "", "is not a valid file name") from None
    if stat.S_ISDIR(st.st_mode):
        raise NetworkFileError(p, "", "is a directory, expected a network file")
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        # /dev/zero and the like never end; a pipe (/dev/stdin) is fine.
        raise NetworkFileError(p, "", "is a device, not a file; expected a network file")
    if st.st_size > limit:
        raise NetworkFileError(
            p, "", f"the file is {st.st_size / 1e6:.0f} MB, over the {limit / 1e6:.0f} MB limit"
        )
    if not os.access(p, os.R_OK):
        raise NetworkFileError(p, "", "cannot read the file (permission denied)")
    return p


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[BinaryIO], None], overwrite: bool = False
) -> Path:
    """Write a file through a temporary file beside it and a rename.

    ``write`` receives the open binary file. The target is never left
    half-written: either the old file or the whole new one is there. Raises
    FileExistsError when ``path`` exists and ``overwrite`` is False, OSError
    when the write fails (the temporary file is removed and the original is
    untouched).
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private; give it the original's mode, or the
        # usual one for a new file.
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, overwrite: bool = False) -> Path:
    """``atomic_write`` of UTF-8 text with Unix line endings."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda fh: fh.write(data), overwrite)
