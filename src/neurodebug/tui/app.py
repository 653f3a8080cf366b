"""The neurodebug Textual application."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from weakref import WeakKeyDictionary

from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.css.query import NoMatches
from textual.widgets import LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from ..engine import Session
from ..io import NetworkFileError
from ..io.errors import printable
from ..io.files import allow_reads, cancel_reads
from .debugger import DebuggerScreen
from .keymap import APP_BINDINGS
from .type_ahead import TypeAhead

if TYPE_CHECKING:
    from textual.command import Provider

# A load quicker than this shows no loading screen: a flash of one would only
# delay the debugger (a screen composed and painted, then replaced).
LOADING_SCREEN_AFTER_S = 0.25


class LoadingScreen(Screen):
    """Shown while a large network loads and runs its first pass in a worker."""

    def __init__(self, what: str, text: str | None = None) -> None:
        super().__init__()
        self.what = what
        self.text = text or f"Loading {what} …"

    def compose(self) -> ComposeResult:
        with Middle():
            with Center():
                yield Static(Text(self.text), id="loading-text")
            yield LoadingIndicator()

    def progress(self, text: str) -> None:
        self.text = text
        try:
            self.query_one("#loading-text", Static).update(Text(text))
        except NoMatches:  # not composed yet: compose shows it
            pass


def system_commands() -> type[Provider]:
    """Textual's own commands, as the palette lists them (commands.py),
    imported when it first opens."""
    from .commands import SystemCommands

    return SystemCommands


class NeurodebugApp(App[int]):
    """Give it a ready Session, or a loader that builds one in a worker thread."""

    CSS_PATH = "styles.tcss"
    TITLE = "neurodebug"
    ENABLE_COMMAND_PALETTE = True
    # Textual's own commands come after the debugger's in the palette (commands.py)
    COMMANDS = {system_commands}
    # ctrl+q, ctrl+c and ctrl+p; every way out goes through action_quit (keymap.py)
    BINDINGS = APP_BINDINGS

    def __init__(
        self,
        session: Session | None = None,
        path: Path | None = None,
        loader: Callable[[Callable[[str], None]], Session] | None = None,
        freeze_gc: bool = False,
        save_dir: Path | None = None,
        catch_hangup: bool = False,
    ) -> None:
        """``freeze_gc``: once the debugger is on screen, move everything alive
        (the network, the plan, the widgets) out of the garbage collector's
        reach with ``gc.freeze()``, so that a full collection scans only what
        later steps allocate instead of pausing a keypress for tens of
        milliseconds on a big network. Until then the collector is paused:
        the launch makes objects by the hundred thousand (the widgets, the
        parsed file, the first frame) and next to no garbage, and each full
        collection would stop it to scan them all (0.1 s on a big network);
        what the imports made is frozen at once. Meant for the command line,
        where the app is the process; tests that run many apps leave it off.

        ``save_dir``: where edited copies are saved; None means beside the
        original (the command line passes the current directory for the
        bundled sample, which lives inside the installed package).

        ``catch_hangup``: when the terminal closes (SIGHUP) or the process is
        asked to stop (SIGTERM) there is nobody left to ask: unsaved edits are
        written to a recovery file first. The command line turns it on;
        tests call ``terminal_closed`` themselves."""
        super().__init__()
        if session is None and loader is None:
            raise ValueError("NeurodebugApp needs a session or a loader")
        self.session = session
        self.path = path
        self.loader = loader
        self.error: str | None = None
        self.freeze_gc = freeze_gc
        self.save_dir = save_dir
        self.catch_hangup = catch_hangup
        self.recovered: Path | None = None  # where terminal_closed wrote unsaved edits
        self._typed_at: WeakKeyDictionary[events.Key, Screen] = WeakKeyDictionary()  # the screen on top as each key came
        self.stopped = False  # asked to stop by a signal (SIGTERM)
        self.debugger: DebuggerScreen | None = None
        self.progress_text: str | None = None  # the loader's last word, for a loading screen shown later
        if freeze_gc:
            gc.freeze()
            gc.disable()  # until _settle (or _failed)

    def on_mount(self) -> None:
        if self.catch_hangup:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, self.terminal_closed, True)
            loop.add_signal_handler(signal.SIGTERM, self.terminal_closed)
        if self.session is not None:
            self._open(self.session, self.push_screen)
        else:
            allow_reads()  # this app's load may read; an earlier app's quit does not cancel it
            self.load()
            self.set_timer(LOADING_SCREEN_AFTER_S, self._show_loading)

    def _show_loading(self) -> None:
        if self.debugger is None and self.error is None and not self._exit:  # still loading
            what = printable(self.path.name) if self.path else "the network"
            self.push_screen(LoadingScreen(what, self.progress_text))

    def _open(self, session: Session, show: Callable) -> None:
        self.session = session
        self.debugger = DebuggerScreen(session, self.path, self.save_dir)
        show(self.debugger)
        self.call_after_refresh(self._settle)

    def action_command_palette(self) -> None:
        from .commands import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]  # App[int] is an App
            self.push_screen(CommandPalette(id="--command-palette"))

    # -- ways out ---------------------------------------------------------------------
    def action_quit(self) -> None:  # type: ignore[override]
        """Quit, asking first while edits are unsaved (save, discard, or stay)."""
        debugger = self.debugger
        if debugger is None:
            cancel_reads()  # still loading: a read waiting on a pipe gives up
            self.exit()
            return
        if not debugger.session.dirty:
            self.exit()
            return
        from .dialogs import QuitDialog

        if any(isinstance(screen, QuitDialog) for screen in self.screen_stack):
            return  # already asking
        n = len(debugger.session.journal)
        question = f"{n} edit{'s are' if n != 1 else ' is'} not saved. Quit anyway?"
        self.push_screen(QuitDialog(question, printable(str(debugger.save_path()))), self._quit_answer)

    def _quit_answer(self, answer: str | None) -> None:
        if answer == "quit":
            self.exit()
        elif answer == "save" and self.debugger is not None:
            self.debugger.save(then=self.exit)

    def terminal_closed(self, hangup: bool = False) -> None:
        """The terminal went away (``hangup``) or the process was asked to
        stop: keep unsaved edits in a recovery file, then exit.

        After a hangup there is no terminal to restore, and writing to it can
        block Textual's shutdown for ever (its output thread dies on the
        first failed write): the process ends at once instead."""
        debugger = self.debugger
        if debugger is not None and debugger.session.dirty and self.recovered is None:
            self.recovered = debugger.write_recovery()
        if hangup:
            os._exit(128 + signal.SIGHUP)
        self.stopped = True
        cancel_reads()
        self.exit()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            if self._exit:  # keys typed ahead of q are still queued while the screens are torn down
                return
            if await self._typed_for_a_dialog(event):
                return
        await super().on_event(event)

    async def _typed_for_a_dialog(self, key: events.Key) -> bool:
        """Is ``key`` the edit or descent dialog's, taken by it in the order
        typed (type_ahead.py)? Yes: a key that comes while it is on top, and
        a key typed before it opened that comes back unhandled from the screen
        it was typed at (it went to the pane that had the focus then)."""
        screen = self.screen
        if not key.is_forwarded:
            self._typed_at[key] = screen
        elif self._typed_at.get(key) in (None, screen):
            return False  # typed at this screen, back from its widgets: Textual's bindings have it
        return isinstance(screen, TypeAhead) and await screen.arrived(key)

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        assert self.loader is not None

        def progress(text: str) -> None:
            self.progress_text = text
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
        self._open(session, self.switch_screen if isinstance(self.screen, LoadingScreen) else self.push_screen)

    def _settle(self) -> None:
        if self.freeze_gc:
            gc.collect()
            gc.freeze()
            gc.enable()

    def _failed(self, message: str, exc: BaseException | None = None) -> None:
        self.error = message
        self.failure = exc
        if self.freeze_gc:
            gc.enable()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The app exits on a failed load once the loader's worker has ended:
        # exiting from inside it (in _failed) cancelled the worker when the
        # app's shutdown won the race against its return.
        if event.worker.name == "load" and event.state == WorkerState.SUCCESS and self.error is not None:
            self.exit(return_code=2)
