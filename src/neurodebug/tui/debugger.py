"""The debugger screen: four panes over one Session, and the key map.

The screen owns the session and the selection. After each action it builds
one Frame (``frame.build_frame``) and hands it to every pane; panes send
Messages up (the selection, jumps from the palette) and never touch the
session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Static, TabbedContent, TabPane

from ..engine import EditError, Session
from ..io import write_json_network
from ..io.errors import printable
from .commands import JumpCommands
from .dialogs import HELP, ConfirmDialog, EditDialog, TextPage
from .frame import Frame, Selection, build_frame
from .messages import JumpTo, PickSample, SelectionChanged
from .widgets.arrays import ArraysPane
from .widgets.keybar import KeyBar
from .widgets.lines import LineList
from .widgets.network_pane import NetworkPane
from .widgets.operation import OperationPane
from .widgets.trace_pane import TracePane
from .widgets.views import ChangesView, JournalView, ProblemsView

MIN_WIDTH, MIN_HEIGHT = 60, 16
NARROW = 100  # below this many columns the bottom slot shows Arrays or a view
TABS = ("trace", "changes", "journal", "problems")


class DebuggerScreen(Screen):
    COMMANDS = {JumpCommands}
    BINDINGS = [
        Binding("n", "step", "Step", id="step", tooltip="Compute the next operation"),
        Binding("right", "step", "Step", show=False, priority=True),
        Binding("space", "step", "Step", show=False),
        Binding("p", "back", "Back", id="back", tooltip="Step back one operation"),
        Binding("left", "back", "Back", show=False, priority=True),
        Binding("N", "next_neuron", "Neuron", id="neuron", tooltip="Finish the current neuron"),
        Binding("L", "next_layer", "Layer", id="layer", tooltip="Finish the current layer"),
        Binding("c", "continue", "Continue", id="continue", tooltip="Run to a breakpoint or watch"),
        Binding("G,end", "end", "End", show=False),
        Binding("g,home", "start", "Start", show=False),
        Binding("b", "breakpoint", "Break", id="breakpoint"),
        Binding("left_square_bracket", "sample(-1)", "Prev sample", show=False),
        Binding("right_square_bracket", "sample(1)", "Sample", key_display="[ ]"),
        Binding("v", "granularity", "Neuron/Layer", id="granularity"),
        Binding("e", "edit", "Edit", id="edit", tooltip="Edit the selected value"),
        Binding("u", "undo", "Undo", id="undo"),
        Binding("U,ctrl+r", "redo", "Redo", show=False),
        Binding("s", "save", "Save", id="save"),
        Binding("f", "next_failing", "Failing", id="failing"),
        Binding("x", "explain", "Explain", show=False),
        Binding("a", "show_arrays", "Arrays", show=False),
        Binding("1", "tab('trace')", "Trace", show=False),
        Binding("2", "tab('changes')", "Changes", show=False),
        Binding("3", "tab('journal')", "Journal", show=False),
        Binding("4", "tab('problems')", "Problems", show=False),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "app.quit", "Quit", id="quit"),
        Binding("ctrl+l", "redraw", "Redraw", show=False),
    ]

    def __init__(self, session: Session, path: Path | None = None, save_dir: Path | None = None) -> None:
        super().__init__()
        self.session = session
        self.path = path
        self.save_dir = save_dir
        self.selection = Selection()  # what e edits; it follows the cursor
        self.frame: Frame | None = None  # what the panes show now
        self._followed: int | None = None  # the cursor the selection last followed
        self._selection_request = 0  # the Arrays pane's last request applied

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications carry names from the file: never read them as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    @property
    def alive(self) -> bool:
        """Is the screen up, with its panes? Keys typed ahead of a quit arrive
        while it is being torn down: they must do nothing."""
        return self.is_attached and not (self._closing or self._closed or self._pruning)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.alive

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="main"):
            yield NetworkPane(id="network")
            with Vertical(id="right"):
                yield OperationPane(id="operation")
                with Horizontal(id="bottom"):
                    yield ArraysPane(id="arrays")
                    with TabbedContent(id="views", initial="trace"):
                        with TabPane("Trace", id="trace"):
                            yield TracePane(id="trace-pane")
                        with TabPane("Changes", id="changes"):
                            yield ChangesView(id="changes-view")
                        with TabPane("Journal", id="journal"):
                            yield JournalView(id="journal-view")
                        with TabPane("Problems", id="problems"):
                            yield ProblemsView(id="problems-view")
        yield Static("The terminal is too small for neurodebug: make it at least 60×16.", id="too-small")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.query_one(NetworkPane).focus()
        self._check_size(self.size.width, self.size.height)
        self.refresh_view()

    # -- redrawing ------------------------------------------------------------------
    def refresh_view(self, fresh: bool = False) -> None:
        """Build the frame for the session as it is now and hand it down: the
        screen is a function of (session, selection). ``fresh``: build every
        part anew (new stamps: every line is drawn again)."""
        if not self.alive:
            return
        s = self.session
        if s.cursor != self._followed:
            # The cursor moved: select an operand of the new step. The
            # selection made with ↑/↓ stays while the cursor stays.
            self._followed = s.cursor
            self.selection = self.selection.followed(s.step, lambda l: s.network.layers[l].units)
        name = printable(self.path.name) if self.path else None
        frame = self.frame = build_frame(s, self.selection, self.frame, name=name,
                                         selection_request=self._selection_request, fresh=fresh)
        # one line, always: no layout pass for a new status
        self.query_one("#status", Static).update(Text.assemble(*frame.status), layout=False)
        for pane in self.query(LineList):
            pane.show(frame)

    @on(Resize)
    def _resized(self, event: Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        self.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "too-small")
        self.set_class(width < NARROW, "narrow")

    # -- stepping -------------------------------------------------------------------
    def _moved(self) -> None:
        self.refresh_view()

    def action_step(self) -> None:
        self.session.forward()
        self._moved()

    def action_back(self) -> None:
        self.session.back()
        self._moved()

    def action_next_neuron(self) -> None:
        self.session.next_neuron()
        self._moved()

    def action_next_layer(self) -> None:
        self.session.next_layer()
        self._moved()

    def action_end(self) -> None:
        self.session.to_end()
        self._moved()

    def action_start(self) -> None:
        self.session.to_start()
        self._moved()

    def action_continue(self) -> None:
        reason = self.session.continue_()
        self.notify(reason.text, title="continue", severity="warning" if reason.kind == "watch" else "information")
        self._moved()

    def action_breakpoint(self) -> None:
        s = self.session
        if s.step is None and len(s.plan) == 0:
            return
        now = s.toggle_breakpoint()
        step = s.step or s.plan[0]
        where = f"layer {step.layer + 1}" + (f", neuron {step.neuron + 1}" if step.neuron is not None else "")
        self.notify(f"breakpoint {'set' if now else 'cleared'} at {where}")
        self._moved()

    def action_sample(self, delta: int) -> None:
        s = self.session
        s.set_sample(s.sample_index + delta)
        self._moved()

    def action_granularity(self) -> None:
        self.session.toggle_granularity()
        self._moved()

    @on(JumpTo)
    def _jump(self, message: JumpTo) -> None:
        if self.alive:
            self.session.goto_neuron(message.layer, message.neuron)
            self._moved()

    @on(PickSample)
    def _pick_sample(self, message: PickSample) -> None:
        if self.alive:
            self.session.set_sample(message.index)
            self._moved()

    @on(SelectionChanged)
    def _selection_changed(self, message: SelectionChanged) -> None:
        message.stop()
        self.selection = message.selection
        self._selection_request = message.request
        self.refresh_view()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.add_class("show-views")

    def action_show_arrays(self) -> None:
        self.remove_class("show-views")
        self.query_one(ArraysPane).focus()

    def action_help(self) -> None:
        self.app.push_screen(TextPage("neurodebug keys", HELP))

    # -- editing ------------------------------------------------------------------------
    def action_edit(self) -> None:
        s = self.session
        self.remove_class("show-views")
        target = self.selection.target()
        try:
            current = s.value_of(target)
        except EditError as exc:
            self.notify(str(exc), severity="error")
            return

        def apply(value: float | None) -> None:
            if value is None:
                return
            try:
                result = s.edit(target, value)
            except EditError as exc:
                self.notify(f"refused: {exc}", severity="error")
                return
            self.query_one(TabbedContent).active = "changes"
            self.notify(self._summary(result), title="edited")
            self._moved()

        self.app.push_screen(EditDialog(target.label(), target.describe(s.network), current), apply)

    def _summary(self, result) -> str:
        text = result.edit.describe(self.session.network)
        flips = [oc for oc in result.outputs if oc.flipped]
        if flips:
            text += f"; {len(flips)} decision{'s' if len(flips) > 1 else ''} flipped"
        return text

    def action_undo(self) -> None:
        result = self.session.undo()
        if result is None:
            self.notify("nothing to undo")
            return
        self.notify(f"undone: {result.edit.target.label()} back to {result.edit.new:g}")
        self._moved()

    def action_redo(self) -> None:
        result = self.session.redo()
        if result is None:
            self.notify("nothing to redo")
            return
        self.notify(f"redone: {self._summary(result)}")
        self._moved()

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

            shown = printable(str(target))
            self.app.push_screen(ConfirmDialog(f"{shown} exists. Overwrite it?", yes="Overwrite", no="Cancel"), answer)
        else:
            self._write(target, then)

    def _write(self, target: Path, then: Callable[[], object] | None = None) -> None:
        try:
            write_json_network(self.session.network, target, overwrite=True)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.notify(f"could not save {printable(str(target))}: {reason}. Your edits are kept.",
                        severity="error", timeout=10)
            return
        self.session.mark_saved()
        self.notify(f"saved {printable(str(target))}")
        self._moved()
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
                return write_json_network(self.session.network, target, overwrite=False)
            except FileExistsError:
                continue
            except OSError:
                return None
        return None

    def action_redraw(self) -> None:
        """Rebuild every pane from the session and repaint the whole screen."""
        self.refresh_view(fresh=True)
        for widget in self.query("*"):
            widget.refresh()
        self.refresh(layout=True)

    # -- health --------------------------------------------------------------------
    def action_next_failing(self) -> None:
        s = self.session
        stop = s.next_failing()
        if stop is None:
            other = "" if s.health().ok else " (other samples have some: see Problems, 4)"
            self.notify(f"no failing neuron in this sample{other}")
            return
        l, j = stop
        kinds = sorted({f.kind for f in s.health().for_neuron(l, j) if s.sample_index in f.samples})
        self.notify(f"{s.network.layers[l].name} neuron {j + 1}: {', '.join(kinds)}", title="failing neuron")
        self._moved()

    def action_explain(self) -> None:
        s = self.session
        step = s.step
        if step is None or step.layer < 0:
            self.notify("step to a neuron first (n, N or f)")
            return
        if step.neuron is None:
            neuron = self.selection.neuron
        else:
            neuron = step.neuron
        e = s.explain(step.layer, neuron)
        self.app.push_screen(TextPage(f"Explain {e.where}", "\n".join(e.lines)))
