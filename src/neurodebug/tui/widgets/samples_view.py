"""The Samples view: the samples that matter most (``engine/sample_ranking``)
— wrong, least confident, highest loss, with a finding — each heading with
its count, and while a scan of a big table runs, how far it got.

It draws from one part of the frame, ``frame.samples`` (a ``SamplesPart``;
read with ``getattr``, so the view works before the Frame has the field).
Like Problems, a row cursor (↑/↓, a click) picks a row and Enter or the
click posts ``OpenEntry("samples", "sample", row, text)``: the screen goes
to that sample. The rows' entries are (category, row) inside the view, so a
sample listed in two categories is two rows of the cursor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ...engine.numbers import fmt
from ..sections import SamplesPart
from .views import Entry, EntryView, entry

if TYPE_CHECKING:
    from ...engine.sample_ranking import RankedSample, RankedSamples
    from ..frame import Frame


NO_SCAN = SamplesPart(None)  # before the Frame has a samples part: one object, drawn once

# (the view's section, the heading) in the order shown
SECTIONS = (("wrong", "wrong"), ("unsure", "least confident"), ("loss", "highest loss"),
            ("finding", "with a finding"))


def listed(ranking: RankedSamples, section: str) -> tuple[RankedSample, ...]:
    """The samples of one section of the view, first first."""
    if section == "wrong":
        return ranking.wrong
    if section == "unsure":
        return ranking.least_confident or ()
    if section == "loss":
        return ranking.highest_loss
    if section == "finding":
        return ranking.with_finding
    raise KeyError(section)


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def progress_line(part: SamplesPart) -> str:
    """'scanning rows 230,000 / 1,000,000 …' ('' when no scan runs)."""
    if not part.running:
        return ""
    of = f" / {part.total:,}" if part.total is not None else ""
    return f"scanning rows {part.scanned:,}{of} …"


class SamplesView(EntryView):
    """The samples that matter most, by category (see the module's docstring)."""

    VIEW = "samples"

    def part(self, frame: Frame) -> object:
        part = getattr(frame, "samples", None)
        return NO_SCAN if part is None else part

    def _part(self) -> SamplesPart:
        part = self.part(self.frame) if self.frame is not None else NO_SCAN
        assert isinstance(part, SamplesPart)
        return part

    def entry_text(self, section: str, index: int) -> str:
        if section == "problem":
            return self._part().problems[index]
        ranking = self._part().ranking
        if ranking is None:
            raise KeyError(section)
        for sample in listed(ranking, section):
            if sample.row == index:
                return sample.text
        raise KeyError((section, index))

    def opened(self, place: Entry) -> Entry:
        """A problem over every row goes to its neuron in its worst row; a
        sample listed under any heading, to that sample: ("sample", row)."""
        section, index = place
        return ("problem" if section == "problem" else "sample"), index

    def render_text(self, frame: Frame, width: int) -> Text:
        part = self.part(frame)
        assert isinstance(part, SamplesPart)
        out = Text()
        out.append("the samples that matter most\n", "bold")
        progress = progress_line(part)
        if progress:
            out.append(progress + "\n", "yellow")
        if part.note:
            out.append(part.note + "\n", "dim")
        if part.summary:
            out.append(f"\n{part.summary}\n", "bold green" if not part.problems_count else "bold yellow")
            for k, message in enumerate(part.problems):
                out.append(f"  ✗ {message}\n", entry("problem", k))
            if part.problems_count > len(part.problems):
                out.append(f"  … and {part.problems_count - len(part.problems):,} more (neurodebug check)\n", "dim")
        r = part.ranking
        if r is None:
            if not part.running:
                out.append("No samples ranked yet: the wrong, the least confident, the highest loss and "
                           "those with a finding are listed here once the rows are scanned.", "dim")
            return out
        if not r.labelled:
            out.append("no labels: wrong and highest loss need labels\n", "dim")
        rows = _rows(r.rows)
        for section, title in SECTIONS:
            samples = listed(r, section)
            if section == "wrong":
                if not r.labelled:
                    continue
                heading = f"{title} — {r.wrong_count:,} of {rows}"
                empty = "no output disagrees with its label or expected value"
            elif section == "unsure":
                if r.least_confident is None:
                    out.append(f"\n{title}: the output votes for no class\n", "dim")
                    continue
                what = "probability" if r.confidence == "p" else "margin"
                heading = f"{title} — lowest {what} first, of {rows}"
                empty = "no output votes for a class"
            elif section == "loss":
                if not r.labelled:
                    continue
                if r.loss_kind is None:
                    out.append(f"\n{title}: the loss does not fit the output layer\n", "dim")
                    continue
                mean = "" if r.mean_loss is None else f", mean {fmt(r.mean_loss, 3)}"
                heading = f"{title} — {r.loss_kind} loss of {_rows(r.loss_rows)}{mean}"
                empty = "no row has a target the loss takes"
            else:
                heading = f"{title} — {r.finding_count:,} of {rows}"
                empty = "no NaN/Inf or exploding z" + (
                    "; the wrong outputs are a trained model's usual share (a note)" if r.wrong_count else "")
            out.append(f"\n{heading}\n", "bold")
            if not samples:
                out.append(f"  {empty}\n", "dim")
            for sample in samples:
                style = "yellow" if section == "finding" else ""
                out.append(f"  {sample.text}\n", entry(section, sample.row, style))
            count = {"wrong": r.wrong_count, "finding": r.finding_count}.get(section)
            if count is not None and count > len(samples):
                out.append(f"  … and {count - len(samples):,} more\n", "dim")
        out.append("\nEnter goes to a row's sample", "dim")
        return out
