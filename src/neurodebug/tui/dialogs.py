"""Modal screens: edit a value, confirm, help, and a read-only text page."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ..engine.numbers import fmt, parse_number


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
    """Ask for a new value; refuse anything that is not a finite number."""

    AUTO_FOCUS = "#edit-value"

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, label: str, description: str, current: float) -> None:
        super().__init__()
        self.label = label
        self.description = description
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Text.assemble(("Edit ", "bold"), (self.label, "bold cyan")))
            yield Static(Text(self.description), classes="dialog-help")
            yield Static(f"current value: {fmt(self.current, 17)}", classes="dialog-help")
            yield Input(value=repr(float(self.current)), id="edit-value", select_on_focus=True)
            yield Static("", id="edit-error", classes="dialog-error")
            yield Static("Enter applies · Escape cancels", classes="dialog-help")

    @on(Input.Submitted, "#edit-value")
    def submit(self, event: Input.Submitted) -> None:
        try:
            value = parse_number(event.value)
        except ValueError as exc:
            self.query_one("#edit-error", Static).update(Text(f"refused: {exc}"))
            return
        self.finish(value)

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


HELP = """\
Stepping
  n  →  space    step forward one operation
  p  ←           step back
  N              finish the current neuron (again: the next one)
  L              finish the current layer (again: the next one)
  c              continue to the next breakpoint or watch, else the end
  G  End         jump to the end of the pass
  g  Home        jump to the start
  v              switch per-neuron / per-layer steps, keeping the position

Inspecting
  b              breakpoint on the current neuron (per layer: the layer)
  [  ]           previous / next sample
  f              jump to the next failing neuron (saturated, dead, NaN/Inf…)
  x              explain the current neuron: its terms, and why it fails
  1 2 3 4        show Trace, Changes, Journal or Problems
  tab            move focus between panes (↑/↓ scroll or select there)
  ctrl+p         command palette: jump to a layer or neuron, pick a sample

Editing
  ↑ ↓            (Arrays pane) select a weight, the bias or an input
  e              edit the selected value; Enter applies, Escape cancels
  u              undo the last edit
  U  ctrl+r      redo
  s              save the edited network as NAME.edited.json (atomic)

  ?              this help
  ctrl+l         redraw the whole screen
  q  ctrl+q  ctrl+c
                 quit; with unsaved edits it asks first: s saves and
                 quits, y quits without saving, n stays
"""
