"""Side views: what the last edit changed, and the journal of edits."""

from __future__ import annotations

from rich.text import Text

from ...engine.numbers import fmt, fmt_vector
from ..frame import Frame
from .lines import TextBlock


class TextView(TextBlock):
    """A scrolling block of text drawn from one part of the frame."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._drawn: object = None  # the part of the frame on screen

    def part(self, frame: Frame) -> object:  # pragma: no cover - abstract
        raise NotImplementedError

    def show(self, frame: Frame) -> None:
        """Redraw, unless the frame carries over the part this view shows
        (stepping alone changes none of them)."""
        part = self.part(frame)
        self.frame = frame
        if part is self._drawn:
            return
        self._drawn = part
        self._draw()


class ChangesView(TextView):
    """Outputs before and after the last edit, and the values it changed."""

    def part(self, frame: Frame) -> object:
        return frame.changes

    def render_text(self, frame: Frame, width: int) -> Text:
        r = frame.changes
        out = Text()
        if r.edit is None:
            out.append("No edits yet.\n", "bold")
            out.append("Select a weight, bias or input in the Arrays pane (↑/↓) and press e to change it;\n"
                       "this view then lists every output that moved, old → new.", "dim")
            return out
        out.append(f"{'undone' if r.undone else 'edit'}: ", "bold")
        out.append(r.edit + "\n")
        out.append("\noutputs, before → after\n", "bold")
        if not r.outputs:
            out.append("  no output changed\n", "dim")
        for oc in r.outputs:
            if oc.delta is not None:
                old, new = fmt(oc.old[0], 4), fmt(oc.new[0], 4)
                delta = f"  Δ {fmt(oc.delta, 3)}"
            else:
                old, new, delta = fmt_vector(oc.old, 4, 4), fmt_vector(oc.new, 4, 4), ""
            out.append(f"  {oc.name[:18]:<18} {old} → {new}{delta}\n")
            if oc.flipped:
                out.append(f"    decision flipped: class {oc.old_class} → {oc.new_class}\n", "bold red")
        out.append(f"\nvalues changed in sample \"{r.sample_name}\": {r.total}\n", "bold")
        for c in r.changed:
            out.append(
                f"  L{c.layer + 1}.N{c.neuron + 1} {c.quantity} {fmt(c.old, 5)} → {fmt(c.new, 5)}"
                f"  Δ {fmt(c.delta, 3)}\n"
            )
        if r.total > len(r.changed):
            out.append(f"  … and {r.total - len(r.changed)} more\n", "dim")
        return out


class JournalView(TextView):
    """Every edit in force, in order, and the ones undone (redo brings them back)."""

    def part(self, frame: Frame) -> object:
        return frame.journal

    def render_text(self, frame: Frame, width: int) -> Text:
        journal = frame.journal
        out = Text()
        if not journal.edits and not journal.undone:
            out.append("The journal is empty: edits appear here in order; u undoes, U redoes.", "dim")
            return out
        for k, edit in enumerate(journal.edits, 1):
            out.append(f"{k:>3}. {edit}\n")
        for edit in journal.undone:
            out.append(f"  ↶  {edit}  (undone: U redoes)\n", "dim")
        if journal.dirty:
            out.append("\nunsaved: s saves to a new file beside the original", "yellow")
        return out


class ProblemsView(TextView):
    """The health report: this sample's problems first, then the other
    samples', then the notes (worth knowing, not failures)."""

    def part(self, frame: Frame) -> object:
        return frame.problems

    def render_text(self, frame: Frame, width: int) -> Text:
        p = frame.problems
        out = Text()
        out.append(p.summary + "\n", "bold green" if p.ok else "bold yellow")
        if not p.any_findings:
            out.append("No saturated, dead, NaN/Inf, exploding or wrong-output neuron in any sample.", "dim")
            return out
        if p.any_problems:
            out.append(f"\nthis sample (\"{p.sample_name}\"): {p.mine_count}\n", "bold")
            for message in p.mine:
                out.append(f"  ✗ {message}\n")
        if p.others_count:
            out.append(f"\nother samples only: {p.others_count}\n", "bold")
            for message in p.others:
                out.append(f"  · {message}\n", "dim")
        if p.notes_count:
            out.append(f"\nnotes, not problems: {p.notes_count}\n", "bold")
            for message in p.notes:
                out.append(f"  ○ {message}\n", "dim")
        out.append("\nf jumps to the next failing neuron · x explains the current one", "dim")
        return out
