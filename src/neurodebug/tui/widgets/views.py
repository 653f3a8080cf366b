"""Side views: what the last edit changed, the journal of edits, the problems.

In Problems and Changes a row cursor (↑/↓, a click) picks a row; Enter or
the click sends an OpenEntry message up and the screen goes where the row
points. Each row's text carries its entry as Style meta, so the rows stay
tied to their entries however the text wraps.
"""

from __future__ import annotations

from functools import lru_cache

from rich.control import strip_control_codes
from rich.style import Style
from rich.text import Span, Text
from textual import events
from textual.binding import Binding
from textual.strip import Strip

from ...engine.numbers import fmt, fmt_vector
from ..frame import Frame
from ..messages import OpenEntry
from .lines import TextBlock

ENTRY = "neurodebug-entry"  # the Style meta key of a row's (section, index)
Entry = tuple[str, int]
CURSOR = Style(reverse=True)


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


@lru_cache(maxsize=4096)  # a view drawn again after each edit asks for the same rows' styles
def entry(section: str, index: int, style: str = "") -> Style:
    """The style of a row that stands for entry ``index`` of ``section``."""
    return (Style.parse(style) if style else Style()) + Style(meta={ENTRY: (section, index)})


def entry_of(text: Text) -> Entry | None:
    """The entry a drawn line belongs to, if any."""
    for span in text.spans:
        style = span.style
        if isinstance(style, Style):
            found = _entry_of_style(style)
            if found is not None:
                return found
    return None


@lru_cache(maxsize=4096)  # Style.meta unpickles its dict at every read; a row's style is read at every paint
def _entry_of_style(style: Style) -> Entry | None:
    meta = style.meta
    if ENTRY not in meta:
        return None
    section, index = meta[ENTRY]
    return section, index


class EntryView(TextView, inherit_bindings=False):
    """A view whose rows point somewhere: a cursor over them (shown while
    the view has focus), Enter or a click to go there."""

    VIEW = ""  # "problems" or "changes": what OpenEntry says
    # Not the scrolling keys of a ScrollView: Home and End stay the debugger's.
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="rows.up", tooltip="move the row cursor"),
        Binding("down", "cursor(1)", "Down", show=False, id="rows.down", tooltip="move the row cursor"),
        Binding("pageup", "cursor_page(-1)", "Page up", show=False, id="rows.pageup",
                tooltip="move the row cursor"),
        Binding("pagedown", "cursor_page(1)", "Page down", show=False, id="rows.pagedown",
                tooltip="move the row cursor"),
        Binding("enter", "open", "Go", show=False, id="rows.go",
                tooltip="go to the row's neuron (and its sample)"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._cursor: Entry | None = None
        self._cursor_text = ""  # what the cursor's row said: it is found again after a redraw
        # keys that came before the view had its rows (shown a moment ago, not laid out yet)
        self._pending_moves = 0
        self._pending_open = False

    def entry_text(self, section: str, index: int) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def cursor(self) -> Entry | None:
        return self._cursor

    def entries(self) -> list[tuple[Entry, int, int]]:
        """Each entry on show with its first and last line, in order."""
        out: list[tuple[Entry, int, int]] = []
        for index in range(self.line_count):
            found = entry_of(self._lines[index])  # read, not drawn: no copy
            if found is None:
                continue
            if out and out[-1][0] == found:
                out[-1] = (found, out[-1][1], index)
            else:
                out.append((found, index, index))
        return out

    def show(self, frame: Frame) -> None:
        new = self.part(frame) is not self._drawn
        super().show(frame)
        if new:  # a step alone changes no view: nothing to look for
            self._settle_cursor()

    def _settle_cursor(self) -> None:
        """After a redraw: the row that says what the cursor's row said, else
        the same place, else the first row."""
        listed = [e for e, _, _ in self.entries()]
        if not listed:
            self._cursor = None
            if self.line_count:  # rows, none that points anywhere: the keys were for nothing
                self._pending_moves, self._pending_open = 0, False
            return
        if self._cursor is None or self._text_of(self._cursor) != self._cursor_text:
            same = [e for e in listed if self._text_of(e) == self._cursor_text]
            self._set_cursor(same[0] if same else self._cursor if self._cursor in listed else listed[0])
        moves, self._pending_moves = self._pending_moves, 0
        if moves:
            self.action_cursor(moves)
        if self._pending_open:
            self._pending_open = False
            self.action_open()

    def _text_of(self, place: Entry) -> str:
        try:
            return self.entry_text(*place)
        except (IndexError, KeyError):
            return ""

    def _set_cursor(self, place: Entry | None) -> None:
        if place == self._cursor:
            return
        self._cursor = place
        self._cursor_text = self._text_of(place) if place is not None else ""
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        listed = self.entries()
        if not listed:
            if not self.line_count:
                self._pending_moves += delta
            else:  # nothing to pick: the keys scroll
                self.scroll_to(y=max(0, self.scroll_y + delta), animate=False)
            return
        places = [e for e, _, _ in listed]
        # not placed yet (a view shown a moment ago): it stands on the first row
        at = places.index(self._cursor) if self._cursor in places else 0
        k = max(0, min(len(places) - 1, at + delta))
        self._set_cursor(places[k])
        _, first, last = listed[k]
        if k == 0:
            self.keep_visible(0)  # the headings above the first row
        self.keep_visible(last)
        self.keep_visible(first)

    def action_cursor_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height // 2))

    def action_open(self) -> None:
        if not self.line_count:
            self._pending_open = True
            return
        self._settle_cursor()
        if self._cursor is not None:
            self.post_message(OpenEntry(self.VIEW, *self.opened(self._cursor), self._text_of(self._cursor)))

    def opened(self, place: Entry) -> Entry:
        """What Enter on the row of entry ``place`` sends up: the entry itself."""
        return place

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        index = None if offset is None else int(self.scroll_y) + offset.y
        if index is None or not 0 <= index < self.line_count:
            return
        found = entry_of(self._lines[index])
        if found is not None:
            event.stop()
            self._set_cursor(found)
            self.action_open()

    def on_focus(self) -> None:
        self.refresh()  # the cursor shows while the view has focus
        # a view shown a moment ago has no lines yet: look once it has
        self.call_after_refresh(self._settle_cursor)

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self.call_after_refresh(self._settle_cursor)  # once TextBlock has wrapped the lines again

    def _cursor_on(self, index: int) -> bool:
        return (self._cursor is not None and self.has_focus and index < self.line_count
                and entry_of(self._lines[index]) == self._cursor)  # read, not drawn: no copy

    def line_key(self, index: int) -> object:
        return (super().line_key(index), self._cursor_on(index))

    def draw_line(self, index: int, width: int, style: Style) -> Strip:
        strip = super().draw_line(index, width, style)
        # the whole width of the row, not only its words
        return strip.apply_style(CURSOR) if self._cursor_on(index) else strip


class ChangesView(EntryView):
    """Outputs before and after the last edit, and the values it changed."""

    VIEW = "changes"

    def part(self, frame: Frame) -> object:
        return frame.changes

    def entry_text(self, section: str, index: int) -> str:
        assert self.frame is not None
        r = self.frame.changes
        if section == "edit":
            return r.edit or ""
        if section == "outputs":
            return r.outputs[index].name
        c = r.changed[index]
        return f"L{c.layer + 1}.N{c.neuron + 1} {c.quantity}"

    def text_lines(self, frame: Frame, width: int) -> list[Text]:
        r = frame.changes
        if r.edit is None:
            return [_line(("No edits yet.", "bold")),
                    _line(("Select a weight, bias or input in the Arrays pane (↑/↓) and press e to change it;", "dim")),
                    _line(("this view then lists every output that moved, old → new.", "dim"))]
        out = [_line((f"{'undone' if r.undone else 'edit'}: ", entry("edit", 0, "bold")), (r.edit, entry("edit", 0))),
               Text(), _line(("outputs, before → after", "bold"))]
        if not r.outputs:
            out.append(_line(("  no output changed", "dim")))
        for k, oc in enumerate(r.outputs):
            if oc.delta is not None:
                old, new = fmt(oc.old[0], 4), fmt(oc.new[0], 4)
                delta = f"  Δ {fmt(oc.delta, 3)}"
            else:
                old, new, delta = fmt_vector(oc.old, 4, 4), fmt_vector(oc.new, 4, 4), ""
            numbers = f"{old} → {new}{delta}"
            # the numbers stay on one line: the name gives way
            name_w = max(4, min(18, width - 3 - len(numbers)))
            name = oc.name if len(oc.name) <= name_w else oc.name[:name_w - 1] + "…"
            out.append(_line((f"  {name:<{name_w}} {numbers}", entry("outputs", k))))
            if oc.flipped:
                out.append(_line((f"    decision flipped: {_class(oc.old_class)} → {_class(oc.new_class)}",
                                  entry("outputs", k, "bold red"))))
        out += [Text(), _line((f"values changed in sample \"{r.sample_name}\": {r.total}", "bold"))]
        for k, c in enumerate(r.changed):
            out.append(_line((f"  L{c.layer + 1}.N{c.neuron + 1} {c.quantity} {fmt(c.old, 5)} → {fmt(c.new, 5)}"
                              f"  Δ {fmt(c.delta, 3)}", entry("changed", k))))
        if r.total > len(r.changed):
            out.append(_line((f"  … and {r.total - len(r.changed)} more", "dim")))
        last = out[-1]
        last.rstrip()
        return out


def _line(*pieces: tuple[str, str | Style]) -> Text:
    """One line of a view made of (text, style) pieces: each piece's style a
    span over it, the Text that appending them and splitting at the line's
    end gives (control codes stripped from each, as ``Text.append`` does)."""
    spans, texts, start = [], [], 0
    for text, style in pieces:
        text = strip_control_codes(text)
        spans.append(Span(start, start + len(text), style))
        texts.append(text)
        start += len(text)
    return Text("".join(texts), spans=spans)


def _class(k: int | None) -> str:
    return "no class" if k is None else f"class {k}"


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


class CodeView(TextView):
    """The network as the lesson's NumPy code: the current step's line lit,
    each computed line's value beside it."""

    def part(self, frame: Frame) -> object:
        return frame.code

    def render_text(self, frame: Frame, width: int) -> Text:
        view = frame.code.view
        out = Text()
        for k, (line, value) in enumerate(zip(view.lines, view.values)):
            lit = k == view.current
            out.append("▶ " if lit else "  ", "bold yellow" if lit else "")
            out.append(line.text, "dim" if line.comment else ("bold reverse" if lit else ""))
            if value:
                out.append(f"  # {value}", "cyan" if lit else "dim cyan")
            out.append("\n")
        return out

    def _draw(self) -> None:
        super()._draw()
        lit = next((k for k, line in enumerate(self._lines) if line.plain.startswith("▶")), None)
        if lit is not None:
            self.keep_visible(lit, center=True)


class ProblemsView(EntryView):
    """The health report: this sample's problems first, then the other
    samples', then the notes (worth knowing, not failures)."""

    VIEW = "problems"

    def part(self, frame: Frame) -> object:
        return frame.problems

    def entry_text(self, section: str, index: int) -> str:
        assert self.frame is not None
        p = self.frame.problems
        listed: tuple[str, ...] = {"mine": p.mine, "others": p.others, "notes": p.notes}[section]
        return listed[index]

    def render_text(self, frame: Frame, width: int) -> Text:
        p = frame.problems
        out = Text()
        out.append(p.summary + "\n", "bold green" if p.ok else "bold yellow")
        if not p.any_findings:
            out.append("No saturated, dead, NaN/Inf, exploding or wrong-output neuron in any sample.", "dim")
            self._gradients(out, p.gradients)
            return out
        if p.any_problems:
            out.append(f"\nthis sample (\"{p.sample_name}\"): {p.mine_count}\n", "bold")
            for k, message in enumerate(p.mine):
                out.append(f"  ✗ {message}\n", entry("mine", k))
        if p.others_count:
            out.append(f"\nother samples only: {p.others_count}\n", "bold")
            for k, message in enumerate(p.others):
                out.append(f"  · {message}\n", entry("others", k, "dim"))
        if p.notes_count:
            out.append(f"\nnotes, not problems: {p.notes_count}\n", "bold")
            for k, message in enumerate(p.notes):
                out.append(f"  ○ {message}\n", entry("notes", k, "dim"))
        self._gradients(out, p.gradients)
        out.append("\nEnter goes to a row's neuron · f to the next failing one · x explains the current one", "dim")
        return out

    @staticmethod
    def _gradients(out: Text, lines: tuple[str, ...]) -> None:
        if lines:
            out.append(f"\n{lines[0]}\n", "bold")
            for line in lines[1:]:
                out.append(f"{line}\n", "dim")
