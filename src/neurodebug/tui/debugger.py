"""The debugger screen: four panes over one Session, and the actions of
the key map (``keymap.py``).

The screen owns the session and the selection. After each action it builds
one Frame (``frame.build_frame``) and hands it to every pane; panes send
Messages up (the selection, the Network pane's cursor, rows of the views,
jumps from the palette) and never touch the session.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize, ScreenResume
from textual.geometry import Size
from textual.notifications import SeverityLevel
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import get_current_worker

from ..engine import EditError, Layer, Session
from ..engine.edits import INPUT, TARGET, Edit, Target
from ..engine.findings import KIND_TITLES
from ..engine.kinds import BackKind, FindingKind
from ..engine.numbers import fmt
from ..engine.refs import NeuronRef
from ..engine.sample_targets import sample_target
from ..io.errors import NetworkFileError, printable
from .entries import place_of
from .frame import Frame, Selection, build_frame
from .keymap import SCREEN_BINDINGS, help_text
from .messages import HealthComputed, JumpTo, OpenEntry, PickSample, ScanProgress, SelectionChanged, ToggleBreakpoint
from .saving import SavingScreen
from .toasts import Toaster
from .widgets.arrays import ArraysPane
from .widgets.keybar import KeyBar
from .widgets.lines import LineList
from .widgets.network_pane import NetworkPane
from .widgets.operation import OperationPane
from .widgets.samples_view import SamplesView
from .widgets.status_line import StatusLine
from .widgets.tabs import Views
from .widgets.trace_pane import TracePane
from .widgets.views import ChangesView, CodeView, JournalView, ProblemsView

if TYPE_CHECKING:
    from textual.command import Provider

    from ..engine.descent import Descent
    from ..engine.scan import DatasetScan, ScanState
    from ..engine.session import ComputedHealth

_Job = TypeVar("_Job")

MIN_WIDTH, MIN_HEIGHT = 60, 16
# A health report slower than this (seconds; the last one's time) is
# computed in a worker thread after the values it is of are drawn, rather
# than holding them back.
HEALTH_INLINE_S = 0.03
# Before any report has been timed, the network's size says: a first report
# takes about 6 ms and 20 ns more a parameter (5 samples, 2-core machine:
# 47 ms at 1.9 M parameters, 0.4 s at 33.6 M), so from a million on the
# first screen is drawn without it and the report follows, as after an edit.
FIRST_REPORT_LATER_PARAMS = 1_000_000
SCAN_PROGRESS_EVERY = 0.25  # seconds between the scan's progress reports (and the Samples view's redraws)
NARROW = 100  # below this many columns the bottom slot shows Arrays or a view
TABS = ("trace", "changes", "journal", "problems", "code", "samples")
ROW_VIEWS = {"changes": "#changes-view", "problems": "#problems-view",  # views whose rows point somewhere
             "samples": "#samples-view"}
END_OF_PASS = "end of the pass: g goes back to the start"
END_OF_BACKWARD = "end of the backward pass: p steps back, g goes to the start"
START_OF_PASS = "start of the pass: n steps forward"
ONE_SAMPLE = "only one sample; --inputs FILE adds more"


def jump_commands() -> type[Provider]:
    """The palette's jumps (commands.py), imported when it first opens: the
    launch imports nothing the first screen does not need (as Textual's own
    system commands are loaded)."""
    from .commands import JumpCommands

    return JumpCommands


def report_later(session: Session) -> bool:
    """Is the next health report of ``session`` slower to compute than a
    frame? The last one's time says (HEALTH_INLINE_S); before the first, the
    network's size (FIRST_REPORT_LATER_PARAMS)."""
    if session.health_s is None:
        return session.network.param_count >= FIRST_REPORT_LATER_PARAMS
    return session.health_s > HEALTH_INLINE_S


class DebuggerScreen(SavingScreen):
    COMMANDS = {jump_commands}
    LISTS_TEXTUAL_COMMANDS = True  # after its own (commands.SystemCommands stands aside)
    BINDINGS = SCREEN_BINDINGS  # keymap.py: the help and the README's table are written from them

    def __init__(self, session: Session, path: Path | None = None, save_dir: Path | None = None) -> None:
        super().__init__()
        self.session = session
        self.path = path
        self.save_dir = save_dir
        self.selection = Selection()  # what e edits; it follows the cursor
        self._learning_rate = 0.1  # what D asked for last
        self._descent_steps = 1
        self.frame: Frame | None = None  # what the panes show now
        self._followed: tuple[int, int | None] | None = None  # the cursors the selection last followed
        self._selection_request = 0  # the Arrays pane's last request applied
        self._toaster = Toaster()
        self.scan_state: ScanState | None = None  # the scan of every sample: how far it has got
        self._scanning: int | None = None  # the edits_version the running scan is of
        self._health_job: int | None = None  # the values_version a worker is computing the health report of, if any
        self._failing_asked = 0  # f presses waiting for the report a worker is computing
        self._panes: list[LineList] = []  # every pane: found once, a view added as it is first shown
        self._status: StatusLine | None = None
        self._shown = False  # has the screen been on screen yet?

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications carry names from the file: never read them as markup,
        control characters escaped. The same toast again is one toast (×2…)."""
        self._toaster.notify(self.app, printable(message), title=printable(title), severity=severity,
                             timeout=timeout, markup=markup)

    @property
    def focus_chain(self) -> list[Widget]:
        """Tab goes Network → Arrays → the views → Operation: what ↑/↓ work in
        first (the Operation pane only scrolls)."""
        chain = super().focus_chain
        return [w for w in chain if w.id != "operation"] + [w for w in chain if w.id == "operation"]

    @property
    def alive(self) -> bool:
        """Is the screen up, with its panes? Keys typed ahead of a quit arrive
        while it is being torn down: they must do nothing."""
        return self.is_attached and not (self._closing or self._closed or self._pruning)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.alive

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="main"):
            yield NetworkPane(id="network")
            with Vertical(id="right"):
                yield OperationPane(id="operation")
                with Horizontal(id="bottom"):
                    yield ArraysPane(id="arrays")
                    yield Views([("trace", "Trace", TracePane(id="trace-pane")),
                                 ("changes", "Changes", ChangesView(id="changes-view")),
                                 ("journal", "Journal", JournalView(id="journal-view")),
                                 ("problems", "Problems", ProblemsView(id="problems-view")),
                                 ("code", "Code", CodeView(id="code-view")),
                                 ("samples", "Samples", SamplesView(id="samples-view"))],
                                initial="trace", id="views", first_shown=self._view_shown)
        yield Static("The terminal is too small for neurodebug: make it at least 60×16.", id="too-small")
        yield KeyBar(id="keys")

    def _view_shown(self, view: Widget) -> None:
        """A view mounted as it is first shown: it draws the frame the others do."""
        if self._panes and isinstance(view, LineList) and view not in self._panes:  # (else the first refresh finds it)
            self._panes.append(view)
            if self.frame is not None:
                view.show(self.frame)

    def _on_screen_resume(self, event: ScreenResume) -> None:
        # Textual styles every node of a screen again each time it comes to
        # the top, for a screen whose styles may have changed while it was
        # covered. The first time, its nodes were styled as they were mounted
        # a moment before (and again where on_mount changed a class or the
        # focus): once more took a tenth of the launch after the loader.
        # (Textual calls Screen's own handler after this one, with this event:
        # calling it here too would run it twice.)
        if not self._shown:
            self._shown = True
            event.refresh_styles = False

    def _screen_resized(self, size: Size) -> None:
        # Textual lays a screen out again on each Resize, the one its own first
        # layout sends it included: to the size it was laid out at a moment
        # before. Skipped, the first screen is ready for keys one layout and
        # paint sooner (on a 784-input network, 50 ms).
        if size != self._compositor.size:
            super()._screen_resized(size)

    def on_mount(self) -> None:
        self.query_one(NetworkPane).focus()
        self._check_size(self.size.width, self.size.height)
        self._refresh_values()  # the first screen; with its health report unless that is slow to compute

    # -- redrawing ------------------------------------------------------------------
    def refresh_view(self, fresh: bool = False, health_later: bool = False) -> None:
        """Build the frame for the session as it is now and hand it down: the
        screen is a function of (session, selection). ``fresh``: build every
        part anew (new stamps: every line is drawn again). ``health_later``:
        the screen is painted before the health report of the new values is
        computed (the last one stands meanwhile, the status line says
        "checking…"); a worker thread computes it, and it comes in a later
        frame (``_start_health``)."""
        if not self.alive:
            return
        s = self.session
        if not health_later and s.health_pending and not self._checking:
            s.health()  # (not while a worker computes one: "checking…" until _health_computed brings it)
        if (s.cursor, s.back_cursor) != self._followed:
            # The cursor moved: select an operand of the new step (past the
            # output, of the backward step's neuron). The selection made with
            # ↑/↓ stays while the cursor stays.
            self._followed = (s.cursor, s.back_cursor)
            back = s.back_step
            if back is not None:
                self.selection = self.selection.followed_back(back.layer, back.neuron, back.kind == BackKind.DW)
            else:
                self.selection = self.selection.followed(s.step, lambda l: s.network.layers[l].units,
                                                         lambda l: _norm_params(s.network.layers[l]))
        name = printable(self.path.name) if self.path else None
        frame = self.frame = build_frame(s, self.selection, self.frame, name=name,
                                         selection_request=self._selection_request, fresh=fresh,
                                         scan=self.scan_state)
        status = self._status = self._status or self.query_one(StatusLine)
        status.show(frame.status)
        panes = self._panes = self._panes or list(self.query(LineList))
        for pane in panes:
            pane.show(frame)
        if health_later:
            # Textual runs a call_after_refresh callback once the screen has
            # painted what it knows of, and a pane tells the screen of its
            # repaint only when the pane next goes idle: told now, ahead of
            # the callback, the edit's frame is painted before the report.
            for widget in (*panes, status):
                widget._check_refresh()
            self.call_after_refresh(self._start_health)

    @on(Resize)
    def _resized(self, event: Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        self.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "too-small")
        self.set_class(width < NARROW, "narrow")

    def _start_health(self) -> None:
        """After their frame is drawn: the health report of the values on
        screen, in a worker thread (a key is not kept waiting for it); then
        the scan of every sample with them. One report at a time: while one
        of older values is being computed, this one waits for it to end
        (edits made in a burst on a big network would otherwise start as
        many reports at once, each as big as the network's gradients)."""
        s = self.session
        if not self.alive:
            return
        if not s.health_pending:
            self._start_scan()
        elif self._health_job is None:
            self._health_job = s.values_version
            self._in_thread(self._compute_health, s.health_job(), "health")

    @property
    def _checking(self) -> bool:
        """Is the report of the values on screen still to come from a worker
        ("checking…"): one is running, of them or of values before an edit
        (then theirs starts next)?"""
        return self.session.health_pending and self._health_job is not None

    def _in_thread(self, work: Callable[[_Job], None], job: _Job, group: str, exit_on_error: bool = True) -> None:
        """``work(job)`` in a thread worker of ``group``. The job is handed
        over in a list the worker takes it out of, so that it is freed when
        ``work`` returns: Textual keeps the last finished worker (and what
        it was given) referenced, and a scan's job holds a copy of the
        network (with one in the health job, 75 MB more at the peak on a
        1.9 M-parameter network)."""
        box = [job]
        self.run_worker(lambda: work(box.pop()), name=group, group=group, thread=True, exit_on_error=exit_on_error)

    def _compute_health(self, job: Callable[[], ComputedHealth]) -> None:
        """In the worker thread: the report, posted back."""
        self.post_message(HealthComputed(job()))

    @on(HealthComputed)
    def _health_computed(self, message: HealthComputed) -> None:
        message.stop()
        computed = message.computed
        self._health_job = None
        if not self.alive:
            return
        if self.session.take_health(computed):
            self.refresh_view()
        if not self.session.health_pending:  # the f presses made while it was computed
            asked, self._failing_asked = self._failing_asked, 0
            for _ in range(asked):
                self.action_next_failing()
        if computed.version == self.session.values_version:
            self._start_scan()
        else:  # of values since edited, and dropped: now the report of these
            self._start_health()

    # -- the scan of every sample (the Samples view) ------------------------------------
    def _start_scan(self) -> None:
        """Scan every sample with the values as they are now, in a worker
        thread, unless that scan has run or is running; a scan of older
        values is cancelled. The session's own samples are scanned only
        while the Samples view is shown (their health report is ``health()``);
        a dataset read a row at a time, always (its report over every row)."""
        s = self.session
        if self._scanning == s.edits_version or (self.scan_state is not None
                                                 and self.scan_state.version == s.edits_version):
            return
        if s.rows is None and self.query_one(Views).active != "samples":
            return
        self._scanning = s.edits_version
        self.workers.cancel_group(self, "scan")
        self._in_thread(self._scan_rows, s.scan(), "scan", exit_on_error=False)

    def _scan_rows(self, scan: DatasetScan) -> None:
        """In the worker thread: the scan, its progress posted a few times a second."""
        worker = get_current_worker()
        shown = 0.0

        def progress(state: ScanState) -> None:
            nonlocal shown
            now = time.monotonic()
            if state.done or now - shown >= SCAN_PROGRESS_EVERY:
                shown = now
                self.post_message(ScanProgress(state))

        scan.run(lambda: worker.is_cancelled, progress)

    @on(ScanProgress)
    def _scan_progress(self, message: ScanProgress) -> None:
        message.stop()
        state = message.state
        if not self.alive or state.version != self.session.edits_version:
            return  # a scan of values since edited
        if state.done:
            self._scanning = None
        self.scan_state = state
        self.refresh_view()

    # -- stepping -------------------------------------------------------------------
    def _moved(self) -> None:
        self.refresh_view()

    def after_edit(self) -> None:
        """After an edit, its undo or redo: the new values, their health
        report (from a worker thread when slow to compute, keys going on
        meanwhile) and the scan (``_refresh_values``)."""
        self._refresh_values()

    def _refresh_values(self) -> None:
        """Draw values not drawn before (the first, an edit's) and their
        health report: in one frame when the report is quick to compute,
        else the values at once and the report from a worker thread
        (``report_later``). Then the scan of every sample with them (of a
        dataset read a row at a time, always; of the session's own samples,
        while the Samples view is shown)."""
        if report_later(self.session):
            self.refresh_view(health_later=True)  # _health_computed starts the scan when the report comes
        else:
            self.refresh_view()
            self._start_scan()

    def after_save(self) -> None:
        self.refresh_view()

    def _at_end(self, into_backward: bool = False) -> bool:
        """At the end of the pass (the backward one when in it), say so: a key
        that goes forward does nothing there. ``into_backward``: the key goes
        on from the end of the forward pass into the backward one."""
        s = self.session
        if s.in_backward:
            end = s.at_last_step
        else:
            end = s.at_last_step if into_backward else s.at_end
        if end:
            self.notify(END_OF_BACKWARD if s.in_backward else END_OF_PASS)
        return end

    def action_step(self) -> None:
        """One operation on: the forward pass, then (a labelled sample) the
        loss and the backward pass."""
        s = self.session
        if s.step_on():
            self._moved()
        else:
            self.notify(END_OF_BACKWARD if s.in_backward else END_OF_PASS)

    def action_back(self) -> None:
        if not self.session.step_back():
            self.notify(START_OF_PASS)
            return
        self._moved()

    def action_next_neuron(self) -> None:
        if not self._at_end(into_backward=True):
            self.session.next_neuron()
            self._moved()

    def action_next_layer(self) -> None:
        if not self._at_end(into_backward=True):
            self.session.next_layer()
            self._moved()

    def action_end(self) -> None:
        self.session.to_end()
        self._moved()

    def action_start(self) -> None:
        self.session.to_start()
        self._moved()

    def action_continue(self) -> None:
        if self._at_end(into_backward=True):
            return
        reason = self.session.continue_()
        self.notify(reason.text, title="continue", severity="warning" if reason.kind == "watch" else "information")
        self._moved()

    def action_breakpoint(self) -> None:
        """A breakpoint on the step's neuron (per layer: its layer)."""
        s = self.session
        back = s.back_step
        if back is not None and back.kind != BackKind.LOSS:  # the neuron (or layer) the backward step is about
            self._toggle_breakpoint(back.layer, back.neuron)
            return
        if s.step is None and len(s.plan) == 0:
            return
        step = s.step if s.step is not None and s.step.layer >= 0 else None
        if step is None:  # before the first step, or on the normalisation: where toggle_breakpoint puts it
            step = next((t for t in s.plan if t.layer >= 0), None)
        if step is not None:
            self._toggle_breakpoint(step.layer, step.neuron)

    @on(ToggleBreakpoint)
    def _breakpoint_at(self, message: ToggleBreakpoint) -> None:
        message.stop()
        if self.alive:
            self._toggle_breakpoint(message.layer, message.neuron)

    def _toggle_breakpoint(self, layer: int, neuron: int | None) -> None:
        now = self.session.toggle_breakpoint(layer, neuron)
        where = NeuronRef(layer, neuron).label(self.session.network)
        self.notify(f"breakpoint {'set' if now else 'cleared'} at {where}")
        self._moved()

    def action_sample(self, delta: int) -> None:
        s = self.session
        if s.n_rows == 1:
            self.notify(ONE_SAMPLE)
            return
        if self._show_row(s.row + delta):
            self._moved()

    def action_granularity(self) -> None:
        self.session.toggle_granularity()
        self._moved()

    @on(JumpTo)
    def _jump(self, message: JumpTo) -> None:
        message.stop()
        if self.alive:
            self._go(message.layer, message.neuron, message.finish)
            self._moved()

    def _go(self, layer: int, neuron: int | None, finish: bool = False) -> None:
        """To the first step of a neuron (None: of a layer), or with ``finish``
        to its last one, where z and a are computed (as f stands)."""
        s = self.session
        if finish and neuron is None:
            s.goto(s.plan.layer_end(layer))
            return
        s.goto_neuron(layer, neuron)
        if finish:
            s.next_neuron()

    @on(OpenEntry)
    def _open_entry(self, message: OpenEntry) -> None:
        """Enter (or a click) on a row of Problems or Changes: its neuron, in its sample."""
        message.stop()
        if not self.alive or self.frame is None:
            return
        s = self.session
        if message.view == "samples" and message.section == "sample":
            self._show_sample(message.index)
            return
        place = place_of(s, self.frame, message.view, message.section, message.index, message.text)
        if place is None:
            self.notify("this row points at no neuron")
            return
        if place.sample is not None and place.sample != s.row:
            if not self._show_row(place.sample):
                return
            self._say_shown()
        if place.layer is None:
            s.goto(0)  # an input: where the pass starts
        else:
            self._go(place.layer, place.neuron, finish=True)
        self._moved()

    def _show_sample(self, row: int) -> None:
        """A row of Samples: that sample, at the end of its forward pass (its outputs, what made it listed)."""
        s = self.session
        if not self._show_row(row):
            return
        s.goto(len(s.plan) - 1)
        self._say_shown()
        self._moved()

    @on(PickSample)
    def _pick_sample(self, message: PickSample) -> None:
        if self.alive and self._show_row(message.index):
            self._moved()

    def _say_shown(self) -> None:
        s = self.session
        self.notify(f"sample {s.row + 1:,}/{s.n_rows:,} \"{s.sample.name}\"", title="showing")

    def _show_row(self, row: int) -> bool:
        """Show sample ``row``; False, with why, when the file cannot give it
        (a dataset read a row at a time: NaN in it, the file cut short): the
        sample shown stays."""
        try:
            self.session.set_sample(row)
        except NetworkFileError as exc:
            self.notify(str(exc), title=f"sample {row + 1:,} not shown", severity="error", timeout=10)
            return False
        return True

    @on(SelectionChanged)
    def _selection_changed(self, message: SelectionChanged) -> None:
        message.stop()
        self.selection = message.selection
        self._selection_request = message.request
        self.refresh_view()

    def action_tab(self, tab: str) -> None:
        """Show a view; Problems, Changes and Samples take the keys (↑/↓ over their rows, Enter)."""
        self.query_one(Views).active = tab  # Samples starts its scan on TabActivated (_tab_shown)
        self.add_class("show-views")
        if tab in ROW_VIEWS:
            # now, not after the next refresh: the keys typed after 4 are the view's
            self.set_focus(self.query_one(ROW_VIEWS[tab]))

    @on(Views.TabActivated)
    def _tab_shown(self, event: Views.TabActivated) -> None:
        """A view shown (a key, a click): the Samples view starts its scan."""
        if self.alive and event.tab == "samples":
            self._start_scan()

    def action_show_arrays(self) -> None:
        self.remove_class("show-views")
        self.set_focus(self.query_one(ArraysPane))

    def action_help(self) -> None:
        from .dialogs import TextPage

        self.app.push_screen(TextPage("neurodebug keys", help_text()))

    # -- editing ------------------------------------------------------------------------
    def action_edit(self) -> None:
        if self.has_class("narrow") and self.has_class("show-views"):
            self.set_focus(self.query_one(ArraysPane))  # the views make way for Arrays: so does the focus
        self.remove_class("show-views")
        self._edit(self.selection.target())

    def action_edit_target(self) -> None:
        """The sample's label (or expected output): the loss and the backward pass follow it."""
        self._edit(sample_target(self.session.network, self.session.sample_index))

    def _edit(self, target: Target) -> None:
        s = self.session
        try:
            s.check_editable(target)
            current = s.value_of(target)
        except EditError as exc:
            self.notify(str(exc), severity="error")
            return
        if target.kind == TARGET:
            hint = "a class index; nan takes the label away" if target.index < 0 else "nan: none expected"
        elif target.kind == INPUT:
            hint = ""
        else:
            hint = "nan, inf or -inf break it on purpose"
        made = []

        def apply(value: float) -> str | None:
            """Make the edit while the dialog is up: a refusal keeps it open,
            saying why; the value it has already closes it, with no edit."""
            if s.unchanged(target, value):
                return None
            try:
                made.append(s.edit(target, value))
            except EditError as exc:
                return str(exc)
            return None

        def done(value: float | None) -> None:
            if value is None or not self.alive:
                return
            if not made:  # Enter on the value it had (or typed it again): nothing to undo, nothing unsaved
                self.notify(f"{target.label()} unchanged: it is {fmt(s.value_of(target))}")
                return
            if target.kind != TARGET:  # a label changes no value: nothing for Changes to show
                self.query_one(Views).active = "changes"
            self.notify(self._summary(made[-1]), title="edited")
            self.after_edit()

        from .dialogs import EditDialog, as_in_file

        dialog = EditDialog(target.label(), target.describe(s.network), current,
                            shown=as_in_file(current, s.dtype_of(target)), non_finite=True, hint=hint, apply=apply)
        self.app.push_screen(dialog, done)

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
        edit = result.edit
        if isinstance(edit, Edit):
            self.notify(f"undone: {edit.target.label()} back to {fmt(edit.new)}")
        else:
            self.notify(f"undone: {edit.describe(self.session.network)}")
        self.after_edit()

    def action_redo(self) -> None:
        result = self.session.redo()
        if result is None:
            self.notify("nothing to redo")
            return
        self.notify(f"redone: {self._summary(result)}")
        self.after_edit()

    def action_descend(self) -> None:
        """Steps of gradient descent, with the learning rate and how many asked
        for: one edit, the loss before and after, undone with u like any edit."""
        s = self.session
        try:
            s.check_descent()
        except EditError as exc:
            self.notify(str(exc), severity="error")
            return
        made = []

        def compute(lr: float, steps: int, progress: Callable[[int], bool]) -> Descent:
            """In the dialog's worker thread: the steps, on copies of the
            weights (the dialog is modal: nothing edits the session meanwhile)."""
            return s.descent(lr, steps, progress)

        def apply(done: Descent) -> str | None:
            try:
                made.append(s.apply_descent(done))
            except EditError as exc:
                return str(exc)
            self._learning_rate, self._descent_steps = done.lr, len(done.losses)
            return None

        def done(value: tuple[float, int] | None) -> None:
            if value is None or not made or not self.alive:
                return
            self.query_one(Views).active = "changes"
            self.notify(made[-1].edit.describe(s.network), title="gradient descent")
            self.after_edit()

        from ..engine.descent import MAX_STEPS
        from .dialogs import DescentDialog

        dialog = DescentDialog("Full-batch gradient descent on every weight and bias (and a batch norm's γ and β): "
                               "W ← W − lr · ∂L/∂W, for the "
                               "mean loss over the labelled samples, the steps one edit (u undoes them all).",
                               self._learning_rate, self._descent_steps, MAX_STEPS, compute, apply)
        self.app.push_screen(dialog, done)

    def action_redraw(self) -> None:
        """Rebuild every pane from the session and repaint the whole screen."""
        self.refresh_view(fresh=True)
        for widget in self.query("*"):
            widget.refresh()
        self.refresh(layout=True)

    # -- health --------------------------------------------------------------------
    def action_next_failing(self) -> None:
        s = self.session
        if s.verified is not None and s.verified.mismatches():
            self._next_mismatch()
            return
        if self._checking:
            # f answers when the report comes (_health_computed), rather than
            # compute it here again.
            self._failing_asked += 1
            return
        stop = s.next_failing()
        if stop is None:
            other = "" if s.health().ok else " (other samples have some: see Problems, 4)"
            self.notify(f"no failing neuron in this sample{other}")
            return
        l, j = stop
        kinds = sorted({f.kind for f in s.health().for_neuron(l, j) if s.sample_index in f.samples},
                       key=list(FindingKind).index)
        titles = ", ".join(KIND_TITLES.get(kind, str(kind)) for kind in kinds)
        self.notify(f"{NeuronRef(l, j).label(s.network)}: {titles}", title="failing neuron")
        self._moved()

    def _next_mismatch(self) -> None:
        """--verify: the next value their code got wrong."""
        s = self.session
        report = s.verified
        assert report is not None
        stop = s.next_mismatch()
        assert stop is not None
        row, l, j = stop
        f = report.shown()
        name = f.name if f is not None else "their code"
        self.notify(f"{NeuronRef(l, j).label(s.network)}, sample \"{s.sample.name}\": {name} differs",
                    title="✗ their value")
        self._moved()

    def action_explain(self) -> None:
        from .dialogs import TextPage

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


def _norm_params(layer: Layer) -> tuple[str, ...]:
    return layer.norm.PARAMS if layer.norm is not None else ()
