"""Opening files safely and writing them atomically.

Only regular files and pipes are read: a device never ends, a directory is
no file. Pipes (``/dev/stdin``, a named FIFO) are read without ever blocking
for good: a FIFO with no writer is reported at once, and a read waiting on a
silent writer gives up when ``cancel_reads()`` is called (the app quitting
while it loads). Every size is checked against a limit before it is read.
"""

from __future__ import annotations

import os
import select
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO, Callable, TypeVar

from .errors import NetworkFileError, over_limit, size_text

T = TypeVar("T")

MAX_FILE_BYTES = 2 * 1024**3  # 2 GiB: beyond this a file is refused, not read
MAX_ARRAY_BYTES = 2 * 1024**3  # what a file's arrays may take in memory once read and converted
PIPE_CHUNK = 1 << 20
PIPE_WRITER_WAIT = 5.0  # seconds a named pipe may wait for its writer to open it
_cancel = threading.Event()


def cancel_reads() -> None:
    """Make reads waiting on a pipe stop with a NetworkFileError (the app is quitting)."""
    _cancel.set()


def allow_reads() -> None:
    """Undo ``cancel_reads`` before a new load begins."""
    _cancel.clear()


def is_pipe(path: str | os.PathLike[str]) -> bool:
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a whole file or pipe, turning every OS failure into a NetworkFileError."""
    p = Path(path)
    check_readable(p, limit)
    if is_pipe(p):
        return _read_pipe(p, limit)
    try:
        with open(p, "rb") as fh:
            # What it holds, and one byte more (read() sets aside all it is asked for: asking
            # for the limit took 2 GiB for any file). Grown since: read on, up to past the limit.
            held = min(os.fstat(fh.fileno()).st_size, limit)
            chunks = [fh.read(held + 1)]
            total = len(chunks[0])
            while held < total <= limit and chunks[-1]:
                chunks.append(fh.read(min(1 << 20, limit + 1 - total)))
                total += len(chunks[-1])
            data = b"".join(chunks) if len(chunks) > 1 else chunks[0]
    except OSError as exc:
        raise NetworkFileError(p, "", f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise NetworkFileError(p, "", f"the file is over the {size_text(limit)} limit")
    return data


def _read_pipe(p: Path, limit: int) -> bytes:
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise NetworkFileError(p, "", f"cannot read the pipe ({exc.strerror or exc})") from None
    chunks: list[bytes] = []
    total = 0
    writer_seen = False
    deadline = time.monotonic() + PIPE_WRITER_WAIT
    try:
        while True:
            if _cancel.is_set():
                raise NetworkFileError(p, "", "reading the pipe was cancelled")
            try:
                chunk = os.read(fd, PIPE_CHUNK)
            except BlockingIOError:  # a writer is there but has not written (more) yet
                writer_seen = True
                select.select([fd], [], [], 0.2)
                continue
            except OSError as exc:
                raise NetworkFileError(p, "", f"cannot read the pipe ({exc.strerror or exc})") from None
            if not chunk:
                if writer_seen or chunks:
                    break  # every writer has closed it: the end
                # A named pipe nobody has opened for writing reads as empty:
                # give the writer a moment to come, never forever.
                if time.monotonic() > deadline:
                    raise NetworkFileError(p, "", f"a pipe that no writer opened within {PIPE_WRITER_WAIT:g} s")
                time.sleep(0.05)
                continue
            writer_seen = True
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise NetworkFileError(p, "", f"the pipe gives more, over the {size_text(limit)} limit")
    finally:
        os.close(fd)
    return b"".join(chunks)


def check_readable(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES, pipe_ok: bool = True) -> Path:
    """The path as a Path, or a NetworkFileError saying why it cannot be read.

    ``pipe_ok=False`` for the formats that seek (zip, HDF5, ONNX external data)."""
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
    if stat.S_ISFIFO(st.st_mode) and not pipe_ok:
        raise NetworkFileError(p, "", "is a pipe; this format must be a regular file (only JSON and CSV come through a pipe)")
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        # /dev/zero and the like never end.
        raise NetworkFileError(p, "", "is a device, not a file; expected a network file")
    if st.st_size > limit:
        raise NetworkFileError(p, "", over_limit("the file is", st.st_size, limit))
    if not os.access(p, os.R_OK):
        raise NetworkFileError(p, "", "cannot read the file (permission denied)")
    return p


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[BinaryIO], object], overwrite: bool = False
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


def writing_output(path: Path, write: Callable[[], T]) -> T:
    """Run ``write`` (an atomic writer of ``path``), turning its refusals into
    the one-line errors a command prints: an existing file without --force,
    a directory that cannot be written."""
    try:
        return write()
    except FileExistsError:
        raise NetworkFileError(path, "", "already exists; use --force to overwrite it") from None
    except OSError as exc:
        raise NetworkFileError(path, "", f"cannot write the file ({exc.strerror or exc})") from None


def same_file(a: Path, b: Path) -> bool:
    """Are ``a`` and ``b`` the same file (False when either does not exist)?"""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
