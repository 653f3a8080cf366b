"""Side views: what the last edit changed, and the journal of edits."""

from __future__ import annotations

from rich.text import Text

from ...engine import Session
from ...engine.numbers import fmt, fmt_vector
from .lines import TextBlock

MAX_CHANGED = 40


class TextView(TextBlock):
    """A scrolling block of text, redrawn from the session on ``show``."""

    def __init__(self, session: Session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self._shown: object = None

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        """Redraw, unless nothing this view shows has changed (stepping alone
        changes none of them)."""
        key = self.content_key()
        if key is not None and key == self._shown:
            return
        self._shown = key
        self.set_text(self.render_text())

    def content_key(self) -> object:
        s = self.session
        return (s.values_version, s.sample_index, len(s.journal), len(s.redo_stack), s.dirty)

    def render_text(self) -> Text:  # pragma: no cover - abstract
        raise NotImplementedError


class ChangesView(TextView):
    """Outputs before and after the last edit, and the values it changed."""

    def render_text(self) -> Text:
        s = self.session
        r = s.last_result
        out = Text()
        if r is None:
            out.append("No edits yet.\n", "bold")
            out.append("Select a weight, bias or input in the Arrays pane (↑/↓) and press e to change it;\n"
                       "this view then lists every output that moved, old → new.", "dim")
            return out
        net = s.network
        verb = "undone" if r.undone else "edit"
        out.append(f"{verb}: ", "bold")
        out.append(r.edit.describe(net) + "\n")
        out.append("\noutputs, before → after\n", "bold")
        if not r.outputs:
            out.append("  no output changed\n", "dim")
        for oc in r.outputs:
            name = net.samples[oc.sample].name
            if oc.old.size == 1:
                old, new = fmt(oc.old[0], 4), fmt(oc.new[0], 4)
                delta = f"  Δ {fmt(float(oc.new[0] - oc.old[0]), 3)}"
            else:
                old, new, delta = fmt_vector(oc.old, 4, 4), fmt_vector(oc.new, 4, 4), ""
            out.append(f"  {name[:18]:<18} {old} → {new}{delta}\n")
            if oc.flipped:
                out.append(f"    decision flipped: class {oc.old_class} → {oc.new_class}\n", "bold red")
        changes = r.changes(limit=MAX_CHANGED)
        total = r.count()
        out.append(f"\nvalues changed in sample \"{net.samples[r.sample].name}\": {total}\n", "bold")
        for c in changes:
            out.append(
                f"  L{c.layer + 1}.N{c.neuron + 1} {c.quantity} {fmt(c.old, 5)} → {fmt(c.new, 5)}"
                f"  Δ {fmt(c.delta, 3)}\n"
            )
        if total > len(changes):
            out.append(f"  … and {total - len(changes)} more\n", "dim")
        return out


class JournalView(TextView):
    """Every edit in force, in order, and the ones undone (redo brings them back)."""

    def render_text(self) -> Text:
        s = self.session
        out = Text()
        if not s.journal and not s.redo_stack:
            out.append("The journal is empty: edits appear here in order; u undoes, U redoes.", "dim")
            return out
        for k, e in enumerate(s.journal, 1):
            out.append(f"{k:>3}. {e.describe(s.network)}\n")
        for e in reversed(s.redo_stack):
            out.append(f"  ↶  {e.describe(s.network)}  (undone: U redoes)\n", "dim")
        if s.dirty:
            out.append("\nunsaved: s saves to a new file beside the original", "yellow")
        return out


class ProblemsView(TextView):
    """The health report: this sample's problems first, then the other
    samples', then the notes (worth knowing, not failures)."""

    MAX_LINES = 60

    def render_text(self) -> Text:
        s = self.session
        report = s.health()
        out = Text()
        out.append(report.summary() + "\n", "bold green" if report.ok else "bold yellow")
        if not report.findings:
            out.append("No saturated, dead, NaN/Inf, exploding or wrong-output neuron in any sample.", "dim")
            return out
        mine = [f for f in report.for_sample(s.sample_index) if f.is_problem]
        others = [f for f in report.problems if s.sample_index not in f.samples]
        if report.problems:
            out.append(f"\nthis sample (\"{s.sample.name}\"): {len(mine)}\n", "bold")
            for f in mine[: self.MAX_LINES]:
                out.append(f"  ✗ {f.message}\n")
        if others:
            out.append(f"\nother samples only: {len(others)}\n", "bold")
            for f in others[: self.MAX_LINES // 2]:
                out.append(f"  · {f.message}\n", "dim")
        if report.notes:
            out.append(f"\nnotes, not problems: {len(report.notes)}\n", "bold")
            for f in report.notes[: self.MAX_LINES // 2]:
                out.append(f"  ○ {f.message}\n", "dim")
        out.append("\nf jumps to the next failing neuron · x explains the current one", "dim")
        return out
