"""The key map: every binding of the debugger, and the help page and the
README's key table written from it.

The screen's and the app's bindings are declared here, each with an id and
its help text as the tooltip; the panes declare their own (↑/↓, Enter, b in
the Network pane…). ``help_text()`` and ``key_table_markdown()`` read them
all, so neither can drift from what the keys do: a key bound without a
place in ``GROUPS`` still shows, under "Other keys" (a test keeps that empty),
and README.md must hold ``key_table_markdown()`` verbatim (a test checks).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

from textual.binding import Binding, BindingType

from .widgets.arrays import ArraysPane
from .widgets.network_pane import NetworkPane
from .widgets.views import EntryView

SCREEN_BINDINGS: list[BindingType] = [
    Binding("n", "step", "Step", id="step",
            tooltip="step forward one operation (past the output of a labelled sample: the loss, then backward)"),
    Binding("right", "step", "Step", show=False, priority=True, id="step.right"),
    Binding("space", "step", "Step", show=False, id="step.space"),
    Binding("p", "back", "Back", id="back", tooltip="step back"),
    Binding("left", "back", "Back", show=False, priority=True, id="back.left"),
    Binding("N", "next_neuron", "Neuron", id="neuron", tooltip="finish the current neuron (again: the next one), its backward steps in the backward pass"),
    Binding("L", "next_layer", "Layer", id="layer", tooltip="finish the current layer (again: the next one), its backward steps in the backward pass"),
    Binding("c", "continue", "Continue", id="continue",
            tooltip=("continue to the next breakpoint or firing watch, else the end; from the end of a labelled "
                     "sample's pass, on through the backward pass")),
    Binding("G,end", "end", "End", show=False, id="end", tooltip="jump to the end of the pass (in the backward pass: its end)"),
    Binding("g,home", "start", "Start", show=False, id="start", tooltip="jump to the start (out of the backward pass)"),
    Binding("v", "granularity", "Neuron/Layer", id="granularity",
            tooltip="switch per-neuron / per-layer steps, keeping the position (the backward pass too)"),
    Binding("b", "breakpoint", "Break", id="breakpoint",
            tooltip="breakpoint on the current neuron (per layer: the layer)"),
    Binding("left_square_bracket", "sample(-1)", "Prev sample", show=False, id="sample.previous",
            tooltip="previous / next sample"),
    Binding("right_square_bracket", "sample(1)", "Sample", key_display="[ ]", id="sample.next"),
    Binding("f", "next_failing", "Failing", id="failing",
            tooltip="jump to the next failing neuron of this sample (saturated, dead, NaN/Inf…); with --verify, to the next ✗"),
    Binding("x", "explain", "Explain", show=False, id="explain",
            tooltip="explain the current neuron: its terms, the dominant one, why it fails"),
    Binding("1", "tab('trace')", "Trace", show=False, id="view.trace",
            tooltip="show Trace, Changes, Journal, Problems, Code or Samples (Changes, Problems and Samples "
                    "take ↑/↓ and Enter)"),
    Binding("2", "tab('changes')", "Changes", show=False, id="view.changes"),
    Binding("3", "tab('journal')", "Journal", show=False, id="view.journal"),
    Binding("4", "tab('problems')", "Problems", show=False, id="view.problems"),
    Binding("5", "tab('code')", "Code", show=False, id="view.code"),
    Binding("6", "tab('samples')", "Samples", show=False, id="view.samples",
            tooltip="the samples that matter most: wrong, least confident, highest loss, with a finding "
                    "(a background scan of every sample; Enter shows one)"),
    Binding("a", "show_arrays", "Arrays", show=False, id="arrays", tooltip="show and focus the Arrays pane"),
    Binding("tab", "app.focus_next", "Next pane", show=False, id="focus.next",
            tooltip="move focus: Network → Arrays → the views → Operation (shift+tab: back)"),
    Binding("shift+tab", "app.focus_previous", "Previous pane", show=False, id="focus.previous",
            tooltip="move focus: Network → Arrays → the views → Operation (shift+tab: back)"),
    Binding("e", "edit", "Edit", id="edit", tooltip="edit the selected weight, bias or input; Enter applies, Escape cancels"),
    Binding("u", "undo", "Undo", id="undo", tooltip="undo the last edit"),
    Binding("U,ctrl+r", "redo", "Redo", show=False, id="redo", tooltip="redo"),
    Binding("y", "edit_target", "Label", show=False, id="label",
            tooltip="set this sample's label (or its expected output): the loss and the backward pass follow it; nan takes it away"),
    Binding("D", "descend", "Descend", show=False, id="descend",
            tooltip="gradient descent on the labelled samples: asks the learning rate and the steps; one edit, u undoes it"),
    Binding("s", "save", "Save", id="save", tooltip="save the edited network as NAME.edited.json (atomic; asks before overwriting)"),
    Binding("question_mark", "help", "Help", id="help", tooltip="this help"),
    Binding("q", "app.quit", "Quit", id="quit",
            tooltip=("quit; with unsaved edits it asks first: s saves and quits, y quits without saving, "
                     "n stays (so does the palette's Quit). If the terminal closes, the edits go to "
                     "NAME.recovered.json")),
    Binding("ctrl+l", "redraw", "Redraw", show=False, id="redraw", tooltip="redraw the whole screen"),
]

# The app's: they work on every screen. Every way out goes through
# action_quit, which asks while edits are unsaved: q (the screen), ctrl+q,
# the palette's Quit, and ctrl+c, which Textual would only answer with a hint.
# (ctrl+c is not a priority binding: in the edit box it still copies.)
APP_BINDINGS: list[BindingType] = [
    Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="quit.ctrl_q"),
    Binding("ctrl+c", "quit", "Quit", show=False, id="quit.ctrl_c"),
    Binding("ctrl+p", "command_palette", "Palette", show=False, priority=True, id="palette",
            tooltip="command palette: go to a layer or neuron (L2.N5), pick a sample (by its name or number)"),
]

# Where each key's line goes: (scope, action) as the bindings name them,
# without "app." and without arguments. Scope "" is the screen and the app.
GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Stepping", tuple(("", a) for a in (
        "step", "back", "next_neuron", "next_layer", "continue", "end", "start", "granularity"))),
    ("Inspecting", tuple(("", a) for a in (
        "breakpoint", "sample", "next_failing", "explain", "tab", "show_arrays", "focus_next",
        "focus_previous", "command_palette"))),
    ("Editing", tuple(("", a) for a in ("edit", "edit_target", "undo", "redo", "descend", "save"))),
    ("In the Network pane (focused)", tuple(("network", a) for a in ("cursor", "cursor_page", "go", "breakpoint"))),
    ("In the Arrays pane (focused)", (("arrays", "select"),)),
    ("In Problems and Changes (focused)", tuple(("views", a) for a in ("cursor", "cursor_page", "open"))),
    ("", tuple(("", a) for a in ("help", "redraw", "quit"))),
)
# Help text for bindings declared elsewhere without a tooltip.
TEXT = {("arrays", "select"): "select a weight, the bias or an input (what e edits)"}
MOUSE = "mouse: a click on a neuron or a layer goes there, on a row of Problems or Changes goes where it points, on a tab shows it"

KEY_NAMES = {
    "right": "→", "left": "←", "up": "↑", "down": "↓", "end": "End", "home": "Home", "enter": "Enter",
    "pageup": "PgUp", "pagedown": "PgDn", "left_square_bracket": "[", "right_square_bracket": "]",
    "question_mark": "?", "escape": "Escape",
}
KEY_COLUMN = 16
WIDTH = 68


def sources() -> tuple[tuple[str, Sequence[Binding]], ...]:
    """Every binding a user can press on the debugger, by scope."""
    return (
        ("", _bindings([*SCREEN_BINDINGS, *APP_BINDINGS])),
        ("network", _bindings(NetworkPane.BINDINGS)),
        ("arrays", _bindings(ArraysPane.BINDINGS)),
        ("views", _bindings(EntryView.BINDINGS)),
    )


def _bindings(declared: Iterable[object]) -> list[Binding]:
    return [b for b in declared if isinstance(b, Binding)]


def _action(binding: Binding) -> str:
    """'app.quit' → 'quit', "tab('trace')" → 'tab'."""
    return binding.action.split("(")[0].split(".")[-1]


def key_names(binding: Binding) -> list[str]:
    return [KEY_NAMES.get(key.strip(), key.strip()) for key in binding.key.split(",")]


def key_lines() -> list[tuple[str, list[tuple[list[str], str]]]]:
    """(group, [(keys, what they do)]) in the order of GROUPS; the keys of
    one action share a line, and so do actions that say the same."""
    by_action: dict[tuple[str, str], tuple[list[str], str]] = {}
    for scope, bindings in sources():
        for binding in bindings:
            where = (scope, _action(binding))
            keys, text = by_action.get(where, ([], ""))
            keys = keys + [k for k in key_names(binding) if k not in keys]
            by_action[where] = (keys, text or binding.tooltip or TEXT.get(where, ""))
    placed = {where for _, members in GROUPS for where in members}
    groups = [(title, [by_action[w] for w in members if w in by_action]) for title, members in GROUPS]
    other = [(keys, text or where[1]) for where, (keys, text) in by_action.items() if where not in placed]
    if other:
        groups.append(("Other keys", other))
    out = []
    for title, lines in groups:
        merged: list[tuple[list[str], str]] = []
        for keys, text in lines:
            same = next((m for m in merged if m[1] == text), None)
            if same is not None:
                same[0].extend(k for k in keys if k not in same[0])
            else:
                merged.append((list(keys), text))
        out.append((title, merged))
    return out


def help_text() -> str:
    """The help page: every key, grouped, as a block of text."""
    out: list[str] = []
    for title, lines in key_lines():
        if out:
            out.append("")
        if title:
            out.append(title)
        for keys, text in lines:
            shown = "  ".join(keys)
            wrapped = textwrap.wrap(text, WIDTH - KEY_COLUMN - 2) or [""]
            if len(shown) < KEY_COLUMN - 1:
                out.append(f"  {shown:<{KEY_COLUMN}}{wrapped[0]}")
            else:
                out.append(f"  {shown}")
                out.append(" " * (KEY_COLUMN + 2) + wrapped[0])
            out.extend(" " * (KEY_COLUMN + 2) + line for line in wrapped[1:])
    out += ["", *textwrap.wrap(MOUSE, WIDTH - 2, initial_indent="  ", subsequent_indent="  ")]
    return "\n".join(out) + "\n"


def key_table_markdown() -> str:
    """The README's table of keys: the same lines as the help page."""
    out = ["| key | does |", "|---|---|"]
    for title, lines in key_lines():
        if title:
            out.append(f"| **{title}** | |")
        for keys, text in lines:
            out.append(f"| {' '.join(f'`{k}`' for k in keys)} | {text} |")
    out.append(f"| mouse | {MOUSE.removeprefix('mouse: ')} |")
    return "\n".join(out) + "\n"
