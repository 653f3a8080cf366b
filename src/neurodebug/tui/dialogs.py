"""Modal screens: edit a value, confirm, help, and a read-only text page."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ..engine.numbers import parse_number


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


class EditDialog(Dialog):
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
            yield Input(value=self.shown, id="edit-value", select_on_focus=True)
            yield Static("", id="edit-error", classes="dialog-error")
            yield Static("Enter applies · Escape cancels" + (f" · {self.hint}" if self.hint else ""),
                         classes="dialog-help")

    @on(Input.Submitted, "#edit-value")
    def submit(self, event: Input.Submitted) -> None:
        try:
            value = parse_number(event.value, non_finite=self.non_finite)
        except ValueError as exc:
            self.refuse(str(exc))
            return
        refused = self.apply(value) if self.apply is not None and not self._dismissed else None
        if refused:
            self.refuse(refused)
            return
        self.finish(value)

    def refuse(self, reason: str) -> None:
        self.query_one("#edit-error", Static).update(Text(f"refused: {reason}"))

    def action_cancel(self) -> None:
        self.finish(None)


class DescentDialog(Dialog):
    """Ask the learning rate and the number of steps of gradient descent.
    A value refused (not a number; a rate ≤ 0; steps not a whole number in
    range; what ``apply`` refuses, such as a step that is not finite) leaves
    the dialog as it was, with the reason under the boxes."""

    AUTO_FOCUS = "#descent-lr"

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, description: str, lr: float, steps: int, max_steps: int,
                 apply: Callable[[float, int], str | None]) -> None:
        super().__init__()
        self.description = description
        self.lr, self.steps, self.max_steps = lr, steps, max_steps
        self.apply = apply

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Text("Gradient descent", "bold"))
            yield Static(Text(self.description), classes="dialog-help")
            yield Label(Text("learning rate"))
            yield Input(value=as_in_file(self.lr), id="descent-lr", select_on_focus=True)
            yield Label(Text(f"steps (1 to {self.max_steps:,})"))
            yield Input(value=str(self.steps), id="descent-steps", select_on_focus=True)
            yield Static("", id="edit-error", classes="dialog-error")
            yield Static("Enter applies · Tab moves between the boxes · Escape cancels", classes="dialog-help")

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
            lr, steps = self.values()
        except ValueError as exc:
            self.refuse(str(exc))
            return
        refused = self.apply(lr, steps) if not self._dismissed else None
        if refused:
            self.refuse(refused)
            return
        self.finish((lr, steps))

    def refuse(self, reason: str) -> None:
        self.query_one("#edit-error", Static).update(Text(f"refused: {reason}"))

    def action_cancel(self) -> None:
        self.finish(None)


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

