"""Saving the edited network: NAME.edited.json beside the original (asking
before overwriting it), and a recovery file when the terminal goes away."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from textual.screen import Screen

from ..engine import Session
from ..io import write_json_network
from ..io.errors import printable


class SavingScreen(Screen):
    """A screen over a Session whose edits it saves."""

    session: Session
    path: Path | None  # the file the network came from
    save_dir: Path | None  # where edited copies go (None: beside the original)

    def after_save(self) -> None:
        """The network was written (subclasses: show it)."""

    def save_path(self) -> Path:
        """NAME.edited.json beside the original (or in ``save_dir``)."""
        base = self.path if self.path is not None else Path(f"{self.session.network.name}.json")
        folder = self.save_dir if self.save_dir is not None else base.parent
        return folder / f"{base.stem}.edited.json"

    def action_save(self) -> None:
        self.save()

    def save(self, then: Callable[[], object] | None = None) -> None:
        """Save the edited network (asking before overwriting), then call ``then``."""
        target = self.save_path()
        if target.exists():
            def answer(ok: bool | None) -> None:
                if ok:
                    self._write(target, then)
                else:
                    self.notify("not saved")

            from .dialogs import ConfirmDialog

            shown = printable(str(target))
            self.app.push_screen(ConfirmDialog(f"{shown} exists. Overwrite it?", yes="Overwrite", no="Cancel"), answer)
        else:
            self._write(target, then)

    def _write(self, target: Path, then: Callable[[], object] | None = None) -> None:
        try:
            write_json_network(self.session.network_to_save(), target, overwrite=True)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.notify(f"could not save {printable(str(target))}: {reason}. Your edits are kept.",
                        severity="error", timeout=10)
            return
        self.session.mark_saved()
        self.notify(f"saved {printable(str(target))}")
        self.after_save()
        if then is not None:
            then()

    def write_recovery(self) -> Path | None:
        """Write the edited network to a new NAME.recovered[-N].json (never over
        an existing file); None if even that fails."""
        first = self.save_path()
        stem = first.name.removesuffix(".edited.json")
        for k in range(1, 1000):
            target = first.with_name(f"{stem}.recovered{'' if k == 1 else f'-{k}'}.json")
            try:
                return write_json_network(self.session.network_to_save(), target, overwrite=False)
            except FileExistsError:
                continue
            except OSError:
                return None
        return None
