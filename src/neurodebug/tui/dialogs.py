"""Modal screens: edit a value, confirm, help, and a read-only text page."""

from __future__ import annotations

import math
import time
from functools import partial
from typing import Any, Callable

import numpy as np
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ..engine.descent import DescentStopped
from ..engine.numbers import parse_number
from .type_ahead import TypeAhead


def as_in_file(value: float, dtype: np.dtype | type = np.float64) -> str:
    """A number as a file holding it in ``dtype`` writes it: the shortest
    text that reads back to the same value (0.17, not 0.17000000000000001;
    a float32 weight as the float32 it is, not its float64 expansion), and
    nan, inf, -inf as the edit box takes them."""
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if np.dtype(dtype) == np.float32:
        return str(np.float32(value))
    return repr(value)


class HeldKeysInput(Input):
    """A ``TypeAhead`` dialog's box (type_ahead.py): it takes the keys the
    dialog hands it as they arrive, and those it held for it before it had
    the focus once it gets it (after Input's own focus handling, which
    selects the text: the first character replaces it, as when typed)."""

    def _on_focus(self, event: events.Focus) -> None:
        screen = self.screen
        if isinstance(screen, TypeAhead):
            self.call_next(screen.take_held, self)

    async def take(self, key: events.Key) -> bool:
        """Handle ``key`` now, as when typed into the box: a character goes
        in (over the selection), a key of the box's bindings (Backspace,
        Enter, ctrl+u …) runs its action. False: not the box's."""
        if key.is_printable:
            await self._on_key(key)  # Input's own: over the selection, else at the cursor
            return True
        bindings = self._bindings.key_to_bindings.get(key.key)  # Input's own (Textual keeps them there)
        if not bindings:
            return False
        await self.run_action(bindings[0].action)
        return True


class DismissedOnce:
    """A screen that dismisses itself once, and only while it is on top.

    ``Screen.dismiss`` pops whatever screen is on top: a second quick key
    (Enter, Escape, y) that reaches a dialog already closing would pop the
    debugger under it and end the app without asking about unsaved edits."""

    _dismissed = False

    def dismiss(self, result=None) -> AwaitComplete:  # type: ignore[override]
        if self._dismissed or not self.is_current:  # type: ignore[attr-defined]
            return AwaitComplete()
        self._dismissed = True
        return super().dismiss(result)  # type: ignore[misc]


class Dialog(DismissedOnce, ModalScreen):
    """A modal dialog: ``finish`` answers it (once)."""

    def finish(self, result=None) -> None:
        self.dismiss(result)


class EditDialog(TypeAhead, Dialog):
    """Ask for a new value. What is refused (not a number; NaN or ∞ where
    they cannot go; what ``apply`` refuses) leaves the dialog as it was,
    with the reason under the box."""

    AUTO_FOCUS = "#edit-value"

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, label: str, description: str, current: float, *, shown: str | None = None,
                 non_finite: bool = False, hint: str = "",
                 apply: Callable[[float], str | None] | None = None) -> None:
        """``shown``: the current value as the file has it (default: the
        shortest float64 text); ``non_finite``: nan, inf and -inf are read
        (``apply`` may still refuse them); ``hint``: a line of help under the
        box; ``apply``: makes the edit, or says why not (the dialog then
        stays open)."""
        super().__init__()
        self.label = label
        self.description = description
        self.current = current
        self.shown = shown if shown is not None else as_in_file(current)
        self.non_finite = non_finite
        self.hint = hint
        self.apply = apply

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Text.assemble(("Edit ", "bold"), (self.label, "bold cyan")))
            yield Static(Text(self.description), classes="dialog-help")
            yield Static(Text(f"current value: {self.shown}"), id="edit-current", classes="dialog-help")
            yield HeldKeysInput(value=self.shown, id="edit-value", select_on_focus=True)
            yield Static("", id="edit-error", classes="dialog-error")
            yield Static("Enter applies · Escape cancels" + (f" · {self.hint}" if self.hint else ""),
                         classes="dialog-help")

    @on(Input.Submitted, "#edit-value")
    def submit(self, event: Input.Submitted) -> None:
        try:
            value = parse_number(event.value, non_finite=self.non_finite)
        except ValueError as exc:
            self.refuse(str(exc))
        else:
            refused = self.apply(value) if self.apply is not None and not self._dismissed else None
            if refused:
                self.refuse(refused)
            else:
                self.finish(value)
        self.release()  # the keys typed after the Enter: into the box again, or to the screen below

    def refuse(self, reason: str) -> None:
        self.query_one("#edit-error", Static).update(Text(f"refused: {reason}"))

    def action_cancel(self) -> None:
        self.finish(None)
        self.release()


HELP_IDLE = "Enter applies · Tab moves between the boxes · Escape cancels"  # the descent dialog's, while idle


class DescentProgress(Message):
    """From the descent's worker thread: ``done`` of ``steps`` steps taken."""

    def __init__(self, done: int, steps: int) -> None:
        super().__init__()
        self.done, self.steps = done, steps


class DescentDialog(TypeAhead, Dialog):
    """Ask the learning rate and the number of steps of gradient descent, and
    work them out in a thread while the dialog shows how far it has got
    (a big network's steps take seconds): Escape stops them, nothing
    changed, and the dialog stays; Escape again closes it. A value refused
    (not a number; a rate ≤ 0; steps not a whole number in range; what
    ``compute`` refuses, such as a step that is not finite) leaves the
    dialog as it was, with the reason under the boxes."""

    AUTO_FOCUS = "#descent-lr"
    PROGRESS_EVERY = 0.2  # seconds between the progress line's updates

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, description: str, lr: float, steps: int, max_steps: int,
                 compute: Callable[[float, int, Callable[[int], bool]], Any],
                 apply: Callable[[Any], str | None]) -> None:
        """``compute(lr, steps, progress)`` works the steps out (in a worker
        thread; ValueError: refused, DescentStopped: ``progress`` said stop);
        ``apply`` makes the edit from what it gave, or says why not."""
        super().__init__()
        self.description = description
        self.lr, self.steps, self.max_steps = lr, steps, max_steps
        self.compute, self.apply = compute, apply
        self._worker: Worker | None = None  # the steps being worked out
        self._asked = (lr, steps)  # what they were asked with
        self._done = 0  # steps taken, as last told

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Text("Gradient descent", "bold"))
            yield Static(Text(self.description), classes="dialog-help")
            yield Label(Text("learning rate"))
            yield HeldKeysInput(value=as_in_file(self.lr), id="descent-lr", select_on_focus=True)
            yield Label(Text(f"steps (1 to {self.max_steps:,})"))
            yield HeldKeysInput(value=str(self.steps), id="descent-steps", select_on_focus=True)
            yield Static("", id="edit-error", classes="dialog-error")
            yield Static(HELP_IDLE, id="descent-help", classes="dialog-help")

    @property
    def running(self) -> bool:
        return self._worker is not None

    def values(self) -> tuple[float, int]:
        """The learning rate and the steps typed, or ValueError saying what is wrong."""
        try:
            lr = parse_number(self.query_one("#descent-lr", Input).value)
        except ValueError as exc:
            raise ValueError(f"learning rate: {exc}") from None
        if not lr > 0:
            raise ValueError(f"learning rate {lr:g}: give a number > 0, e.g. 0.1")
        text = self.query_one("#descent-steps", Input).value.strip().replace("_", "").replace(",", "")
        if not text.isdigit() or not 1 <= int(text) <= self.max_steps:
            raise ValueError(f"steps {text!r}: give a whole number from 1 to {self.max_steps:,}")
        return lr, int(text)

    @on(Input.Submitted)
    def submit(self) -> None:
        try:
            self._start()
        finally:
            self.release()  # the keys typed after the Enter: Escape stops the steps

    def _start(self) -> None:
        if self.running or self._dismissed:
            return
        try:
            lr, steps = self.values()
        except ValueError as exc:
            self.refuse(str(exc))
            return
        self._asked = lr, steps
        self._set_running(True, steps)
        self._worker = self.run_worker(partial(self._work, lr, steps), name="descent", group="descent",
                                       thread=True, exit_on_error=False)

    def _work(self, lr: float, steps: int) -> object:
        """In the worker thread: the steps, their progress posted a few times a second."""
        worker = get_current_worker()
        shown = time.monotonic()

        def progress(done: int) -> bool:
            nonlocal shown
            now = time.monotonic()
            if now - shown >= self.PROGRESS_EVERY:
                shown = now
                self.post_message(DescentProgress(done, steps))
            return not worker.is_cancelled

        return self.compute(lr, steps, progress)

    @on(DescentProgress)
    def _progress(self, message: DescentProgress) -> None:
        if self.running:
            self._done = message.done
            self.query_one("#descent-help", Static).update(Text(
                f"working out step {min(message.done + 1, message.steps):,} of {message.steps:,} … "
                "Escape stops (nothing changes)"))

    @on(Worker.StateChanged)
    def _worked(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker is not self._worker or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self._worker = None
        self._set_running(False)
        if event.state == WorkerState.ERROR:
            error = worker.error
            if not isinstance(error, (ValueError, DescentStopped)):
                raise error  # type: ignore[misc]  # a bug, not a refusal: Textual's error screen
            self.refuse(str(error))
            return
        refused = self.apply(worker.result)
        if refused:
            self.refuse(refused)
            return
        self.finish(self._asked)

    def _set_running(self, running: bool, steps: int = 0) -> None:
        for box in self.query(Input):
            box.disabled = running
        help_line = self.query_one("#descent-help", Static)
        if running:
            self._done = 0
            self.query_one("#edit-error", Static).update("")
            help_line.update(Text(f"working out {steps:,} step{'s' if steps != 1 else ''} … Escape stops "
                                  "(nothing changes)"))
        else:
            help_line.update(HELP_IDLE)
            self.query_one("#descent-lr", Input).focus()

    def refuse(self, reason: str) -> None:
        self.query_one("#edit-error", Static).update(Text(f"refused: {reason}"))

    def action_cancel(self) -> None:
        """Escape: stop the steps being worked out (the dialog stays), else close."""
        worker = self._worker
        if worker is None:
            self.finish(None)
        else:
            worker.cancel()  # its next step sees it, and stops
            self._worker = None
            self._set_running(False)
            self.query_one("#edit-error", Static).update(
                Text(f"stopped after {self._done:,} step{'s' if self._done != 1 else ''}: nothing changed"))
        self.release()


class ConfirmDialog(Dialog):
    """A yes/no question; y or Enter on Yes confirms, n or Escape declines."""

    AUTO_FOCUS = "#no"  # focused when mounted (a dialog answered first never is)

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question))
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button(f"{self.no} (n)", id="no", variant="primary")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.finish(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.finish(answer)


class QuitDialog(Dialog):
    """Unsaved edits at a way out: save them and quit, quit without them, or stay.

    Answers "save", "quit", or None (stay). Stay is focused: Enter alone never
    throws edits away."""

    BINDINGS = [
        Binding("s", "answer('save')", "Save and quit"),
        Binding("y", "answer('quit')", "Quit without saving"),
        Binding("n,escape", "answer(None)", "Stay"),
    ]

    AUTO_FOCUS = "#stay"

    def __init__(self, question: str, target: str) -> None:
        super().__init__()
        self.question = question
        self.target = target

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question))
            yield Static(Text(f"s saves them to {self.target} first."), classes="dialog-help")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save and quit (s)", id="save", variant="success")
                yield Button("Quit without saving (y)", id="quit", variant="error")
                yield Button("Stay (n)", id="stay", variant="primary")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.finish({"save": "save", "quit": "quit"}.get(event.button.id or ""))

    def action_answer(self, answer: str | None) -> None:
        self.finish(answer)


class TextPage(Dialog):
    """A scrolling page of text (help, an explanation); Escape or q closes."""

    BINDINGS = [Binding("escape,q,question_mark,x", "close", "Close")]

    def __init__(self, title: str, body: Text | str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog page"):
            yield Label(Text(self.title_text, "bold"))
            yield Static(Text(self.body) if isinstance(self.body, str) else self.body)
            yield Static("Escape closes", classes="dialog-help")

    def action_close(self) -> None:
        self.finish(None)

