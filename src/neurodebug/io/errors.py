"""The one error type every reader raises for a file it cannot use."""

from __future__ import annotations

import os


class NetworkFileError(Exception):
    """A bad network or input file: names the file, the place and the problem.

    ``str(err)`` is one line: ``net.json: layers[1] (layer2).W: 3 rows, expected 2``.
    """

    def __init__(self, path: str | os.PathLike[str] | None, place: str, message: str) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.place = place
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.path, self.place, self.message) if p]
        text = ": ".join(" ".join(p.split()) for p in parts)
        # A JSON string may hold a lone surrogate ("\ud800"), which no stream
        # can encode; escape it so the message always prints.
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class MissingExtraError(NetworkFileError):
    """A format needs an optional dependency that is not installed."""

    def __init__(self, path: str | os.PathLike[str], extra: str, module: str) -> None:
        super().__init__(
            path,
            "",
            f"reading this format needs the '{module}' package; "
            f"install it with: pip install 'neurodebug[{extra}]'",
        )
