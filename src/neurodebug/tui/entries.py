"""Where a row of the Problems or the Changes view points: a neuron, and
the sample to show it in.

The views list what the frame holds (messages, names); the screen, which
owns the session, finds what each row stands for: the finding behind a
problem's line, the neuron behind a changed value.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import Session
from ..engine.edits import INPUT, TARGET, Edit
from ..engine.findings import Finding
from .frame import Frame


@dataclass(frozen=True)
class Place:
    """A neuron (``neuron`` None: the layer; ``layer`` None: the start of the
    pass) and the sample to show (None: stay on the current one)."""

    layer: int | None
    neuron: int | None
    sample: int | None = None


def finding_at(s: Session, section: str, index: int, text: str = "") -> Finding | None:
    """The finding behind row ``index`` of a section of Problems: "mine" (this
    sample's problems), "others" (problems only in other samples) or "notes",
    listed as the Problems part of the frame lists them. A row whose words
    are not the finding's there (the lists moved) is looked for by its words."""
    report = s.shown_health()
    here = s.sample_index
    if section == "mine":
        listed = [f for f in report.for_sample(here) if f.is_problem]
    elif section == "others":
        listed = [f for f in report.problems if here not in f.samples]
    elif section == "notes":
        listed = list(report.notes)
    else:
        return None
    found = listed[index] if 0 <= index < len(listed) else None
    if text and (found is None or found.message != text):
        found = next((f for f in listed if f.message == text), found)
    return found


def place_of(s: Session, frame: Frame, view: str, section: str, index: int, text: str = "") -> Place | None:
    """Where row ``index`` of ``section`` of ``view`` ("problems", "changes",
    "samples": a problem over every row) points; ``Place.sample`` is a row
    of the whole dataset (``Session.row``)."""
    if view == "problems":
        f = finding_at(s, section, index, text)
        if f is None:
            return None
        # a finding that does not hold in this sample is shown in its worst one
        return Place(f.layer, f.neuron, None if s.sample_index in f.samples else f.row)
    if view == "samples":  # a problem over every row of a dataset: its neuron, in its worst row
        found = frame.samples.findings
        if section != "problem" or not 0 <= index < len(found):
            return None
        return Place(found[index].layer, found[index].neuron, found[index].row)
    r = s.last_result
    if view != "changes" or r is None:
        return None
    sample = None if r.sample == s.sample_index or r.sample < 0 else r.sample
    if section == "edit":
        if not isinstance(r.edit, Edit):  # a descent step changed every layer: from the first
            return Place(0, None)
        target = r.edit.target
        if target.kind in (INPUT, TARGET):  # the sample's own: its inputs, its label
            return Place(None, None, sample)
        return Place(target.layer, target.neuron)
    if section == "outputs" and 0 <= index < len(r.outputs):
        last = len(s.network.layers) - 1
        units = s.network.layers[last].units
        oc = r.outputs[index]
        return Place(last, 0 if units == 1 else None, None if oc.sample == s.sample_index else oc.sample)
    if section == "changed" and 0 <= index < len(frame.changes.changed):
        c = frame.changes.changed[index]
        return Place(c.layer, c.neuron, sample)
    return None
