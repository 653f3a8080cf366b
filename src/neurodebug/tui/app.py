"""The neurodebug Textual application."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Callable

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import LoadingIndicator, Static

from ..engine import Session
from ..io import NetworkFileError
from .debugger import DebuggerScreen


class LoadingScreen(Screen):
    """Shown while a large network loads and runs its first pass in a worker."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Middle():
            with Center():
                yield Static(f"Loading {self.what} …", id="loading-text")
            yield LoadingIndicator()

    def progress(self, text: str) -> None:
        self.query_one("#loading-text", Static).update(text)


class NeurodebugApp(App[int]):
    """Give it a ready Session, or a loader that builds one in a worker thread."""

    CSS_PATH = "styles.tcss"
    TITLE = "neurodebug"
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        session: Session | None = None,
        path: Path | None = None,
        loader: Callable[[Callable[[str], None]], Session] | None = None,
        freeze_gc: bool = False,
    ) -> None:
        """``freeze_gc``: once the debugger is on screen, move everything alive
        (the network, the plan, the widgets) out of the garbage collector's
        reach with ``gc.freeze()``, so that a full collection scans only what
        later steps allocate instead of pausing a keypress for tens of
        milliseconds on a big network. Meant for the command line, where the
        app is the process; tests that run many apps leave it off."""
        super().__init__()
        if session is None and loader is None:
            raise ValueError("NeurodebugApp needs a session or a loader")
        self.session = session
        self.path = path
        self.loader = loader
        self.error: str | None = None
        self.freeze_gc = freeze_gc

    def on_mount(self) -> None:
        if self.session is not None:
            self.push_screen(DebuggerScreen(self.session, self.path))
            self.call_after_refresh(self._settle)
        else:
            what = self.path.name if self.path else "the network"
            self.push_screen(LoadingScreen(what))
            self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        assert self.loader is not None

        def progress(text: str) -> None:
            screen = self.screen
            if isinstance(screen, LoadingScreen):
                self.call_from_thread(screen.progress, text)

        try:
            session = self.loader(progress)
        except NetworkFileError as exc:
            self.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # the loader raised something the CLI reports
            self.call_from_thread(self._failed, f"{type(exc).__name__}: {exc}", exc)
            return
        self.call_from_thread(self._loaded, session)

    def _loaded(self, session: Session) -> None:
        self.session = session
        self.switch_screen(DebuggerScreen(session, self.path))
        self.call_after_refresh(self._settle)

    def _settle(self) -> None:
        if self.freeze_gc:
            gc.collect()
            gc.freeze()

    def _failed(self, message: str, exc: BaseException | None = None) -> None:
        self.error = message
        self.failure = exc
        self.exit(return_code=2)
