"""A screen you can read at 80×24: nothing cut that matters, space where the
eye goes, no value shown before its step, the layer per layer, the verdict
at the end of the pass.

Every step of the course's two networks is stepped through at 80×24 and
120×40 and every screen read: no "…" inside a number or a name, every
feature and neuron name whole, the current formula, the neuron's weights,
the layer's values and the key bar's ``?`` on screen.
"""

from __future__ import annotations

import re

import pytest

from neurodebug.engine import ACTIVATE, BIAS, DOT, NORMALIZE
from neurodebug.engine.numbers import MINUS, fmt, fmt_fit, fmt_output
from neurodebug.tui.fit import cells, fit_pieces, fit_tokens, shorten_names
from neurodebug.tui.frame import fit_status, why_lines
from neurodebug.tui.widgets.lines import wrap_hanging
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import get_character_cell_size
from rich.text import Text
from tui_helpers import SAMPLES, flagged_explanations, make_app, pane_text, press, screen_text

SIZES = [(80, 24), (120, 40)]
COURSE = ["coffee_roasting.json", "coffee_lab.json"]
NETWORKS = sorted(p.name for p in SAMPLES.glob("*.json"))
# "…" right after or before a letter, digit, point or sign: a number or a name cut short
CUT = re.compile(r"[\w.\-−+]…|…[\w(]")
NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:e[−-]?\d+)?")


def numbers_in(lines: list[str]) -> list[float]:
    return [float(t.replace(MINUS, "-")) for line in lines for t in NUMBER.findall(line)]


def shown(value: float, lines: list[str]) -> bool:
    """Is ``value`` on these lines, in whatever number of digits they give it?"""
    return any(v == pytest.approx(value, rel=2e-2, abs=1e-12) for v in numbers_in(lines))


def pane(app, selector: str) -> list[str]:
    """The text inside a pane, without its border and its scrollbar."""
    widget = app.screen.query_one(selector)
    lines = pane_text(app, widget)
    width = widget.scrollable_content_region.width
    return [line[:width] for line in lines]


def column_ends(line: str) -> list[int]:
    """Where each entry of a row of columns ends (right-aligned numbers: their last cell)."""
    return [m.end() for m in re.finditer(r"\S+", line)]


def flat(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


# -- the rules of fitting, on their own ------------------------------------------------------
@pytest.mark.parametrize("value,width,expected", [
    (1.425e-21, 7, "1.4e−21"), (3.879e-06, 7, "3.88e−6"), (3.879e-06, 9, "3.879e−06"),
    (-2.82857, 6, "−2.829"), (0.5, 8, "0.5"), (123456, 4, "1e5"), (166.5, 6, "166.5"),
    (float("nan"), 3, "NaN"), (float("-inf"), 4, "−∞"),
])
def test_fmt_fit_is_the_most_precise_form_that_fits(value, width, expected):
    assert fmt_fit(value, width) == expected
    assert "…" not in fmt_fit(value, width)


@pytest.mark.parametrize("value,expected", [
    (166.0, "166"), (-2.0, "−2"), (999999.0, "999999"), (2635000.5, "2.635e06"),
    # large whole numbers (every float32 past 2^24 is one) written like the rest of their size
    (21588324.0, "2.15883e07"), (6202604544.0, "6.2026e09"),
])
def test_fmt_writes_numbers_of_one_size_alike(value, expected):
    assert fmt(value) == expected


def test_fmt_fit_never_cuts_and_never_lies():
    for value in [0.0012345678, -98765.4321, 1e-300, -1.2e308, 42, -0.000999]:
        for width in range(1, 14):
            text = fmt_fit(value, width)
            if len(text) <= width:
                assert float(text.replace(MINUS, "-")) == pytest.approx(value, rel=0.5)
            else:  # nothing fits: the shortest form, whole
                assert all(len(fmt_fit(value, w)) >= len(text) for w in range(1, width + 1))


def test_the_end_of_the_pass_reads_as_the_lab_does():
    assert fmt_output(0.9719303900498176) == "0.97193"
    assert fmt_output(3.2897872085985153e-08) == "3.29e−08"


def test_shortened_names_stay_distinct_and_marked():
    assert shorten_names(["too cold", "too short", "burnt"], 20) == ("too cold", "too short", "burnt")
    short = shorten_names(["too cold", "too short", "burnt"], 4)
    assert len(set(short)) == 3 and all(cells(n) <= 4 for n in short)
    assert short[:2] != ("too…", "too…") and all("…" in n for n in short[:2])
    many = shorten_names([f"layer1_unit_{k}" for k in range(40)], 6)
    assert len(set(many)) == 40 and all(cells(n) <= 6 and "…" in n for n in many)
    wide = shorten_names(["温度センサー一", "温度センサー二"], 7)
    assert len(set(wide)) == 2 and all(cells(n) <= 7 for n in wide)


def test_a_formula_is_shortened_by_whole_terms_keeping_its_result():
    formula = "z = (−2.6)×(−0.142857) + 0×0.25 = 0.371429"
    assert fit_tokens(formula, 80) == formula
    assert fit_tokens(formula, 38) == "z = (−2.6)×(−0.142857) + … = 0.371429"
    assert fit_tokens(formula, 20) == "z = … = 0.371429"
    for width in range(1, 45):
        text = fit_tokens(formula, width)
        assert not CUT.search(text), text
        words = [w for w in text.split() if w != "…"]
        assert all(w in formula.split() for w in words), text


def test_wrapped_lines_hang_under_their_text():
    line = Text("  ⚠ saturated: slope σ'(z) = 3.88e−06 < 0.0001; changes to this neuron's inputs barely move")
    lines = [t.plain for t in wrap_hanging(line, 30)]
    assert len(lines) > 1 and all(cells(t) <= 30 for t in lines)
    assert all(t.startswith("    ") and not t.startswith("     ") for t in lines[1:])
    assert " ".join(" ".join(lines).split()) == " ".join(line.plain.split())  # no word lost or cut


def _wrap_by_slicing(line: Text, width: int, hang: int = 2) -> list[Text]:
    """The first wrap_hanging, a character at a time and a slice of the Text
    a piece: the reference the one that divides the Text once must equal."""
    plain = line.plain
    if cells(plain) <= width or width <= 0:
        return [line]
    lead = len(plain) - len(plain.lstrip(" "))
    indent = min(lead + hang, width // 3)
    out: list[Text] = []
    start, n = 0, len(plain)
    while start < n:
        room = width if not out else width - indent
        end, used, space = start, 0, -1
        while end < n:
            size = get_character_cell_size(plain[end])
            if used + size > room:
                break
            if plain[end] == " " and end > start:
                space = end
            used += size
            end += 1
        if end < n and space > start:
            end = space
        end = max(end, start + 1)
        piece = line[start:end]
        piece.rstrip()
        out.append(piece if not out else Text(" " * indent) + piece)
        start = end
        while start < n and plain[start] == " ":
            start += 1
    return out


@st.composite
def styled_lines(draw):
    words = st.sampled_from(["a", "b", " ", "  ", "z", "=", "·", "→", "Δ", "中", "é", "−0.5", "σ(z)", "x" * 40])
    plain = "".join(draw(st.lists(words, max_size=40)))
    line = Text(plain, style=draw(st.sampled_from(["", "italic"])),  # a base style, as a row of a view may have
                justify=draw(st.sampled_from([None, "left"])), overflow=draw(st.sampled_from([None, "ellipsis"])))
    whole = draw(st.booleans())  # one style throughout (a row of a view: its own quicker path), or a few spans
    for _ in range(draw(st.integers(0, 4))):
        a = 0 if whole else draw(st.integers(0, len(plain)))
        b = len(plain) if whole else draw(st.integers(a, len(plain)))
        line.stylize(draw(st.sampled_from(["bold", "red", "dim cyan"])), a, b)
    return line


def _drawn(lines: list[Text]) -> list[tuple]:
    return [(t.plain, t.spans, t.style, t.justify, t.overflow, t.no_wrap, t.end) for t in lines]


@settings(max_examples=600, deadline=None)
@given(styled_lines(), st.integers(-1, 60))
def test_wrapping_divides_the_text_as_slicing_it_did(line, width):
    assert _drawn(wrap_hanging(line, width)) == _drawn(_wrap_by_slicing(line, width))


def test_the_status_keeps_whole_pieces_most_important_first():
    pieces = (("● 1 edit unsaved", "yellow"), (" · coffee_lab.json", "cyan"), (" · step 4/13", ""),
              (" · sample 1/2", ""), (' "200 °C, 13.9 min (good)"', ""), (" · per neuron", ""))
    assert fit_status(pieces, 200) == pieces
    assert fit_status(pieces, 60) == pieces[:4]
    assert fit_status(pieces, 58) == pieces[:3]
    assert fit_pieces(pieces, 5) == pieces[:1]  # the first is kept even so


# -- every step of the course's networks, read off the screen ------------------------------
def _check_screen(app, size, where: str) -> None:
    text = screen_text(app)
    lines = text.split("\n")
    screen = app.screen
    s = app.session
    cut = [line for line in lines if CUT.search(line)]
    assert not cut, f"{where}: a number or a name cut short:\n" + "\n".join(cut)
    assert lines[-1].lstrip().startswith("? help"), f"{where}: the key bar leads with ?"
    # the status: whole pieces, what must not be missed first
    status = lines[0].strip()
    expected = "".join(t for t, _ in fit_status(screen.frame.status, size[0] - 2)).strip()
    assert status == expected, f"{where}: status {status!r}, not {expected!r}"
    # every name whole in the Network pane
    network = pane(app, "#network")
    names = [s.network.feature_name(i) for i in range(s.network.n_inputs)]
    names += [layer.neuron_name(j) for layer in s.network.layers for j in range(layer.units)]
    for name in names:
        assert any(re.search(rf"(^|\s){re.escape(name)}(\s|$)", line) for line in network), f"{where}: {name!r}"
    step = s.step
    if step is None:
        return
    operation = pane(app, "#operation")
    d = s.detail()
    assert " ".join(d.formula.split()) in flat(operation), f"{where}: the formula {d.formula!r}"
    if step.kind == NORMALIZE:
        return
    arrays = pane(app, "#arrays")
    layer = s.network.layers[step.layer]
    j = step.neuron if step.neuron is not None else screen.selection.neuron
    for w in layer.W[:, j]:
        assert shown(float(w), arrays), f"{where}: weight {w} of neuron {j + 1} in Arrays"
    assert shown(float(layer.b[j]), arrays), f"{where}: the bias in Arrays"
    # the layer's values: what is computed, and pending (·) what is not
    z_done = s.done_mask(step.layer, BIAS)
    z_row = next(line for line in arrays if line.strip().startswith(f"z{step.layer + 1} "))
    for k, done in enumerate(z_done):
        if done:
            assert shown(float(s.sample_trace.z(step.layer)[k]), [z_row]), f"{where}: z of neuron {k + 1}"
    if not z_done.all():
        assert "·" in z_row, f"{where}: a z not computed yet is pending"
    # the columns line up under their neuron's number
    if "│" in z_row:  # per layer: x · W, then x·W, b, z, a under the neurons' columns
        rows = [line.split("│", 1) for line in arrays if "│" in line]
        ends = [[len(left) + 1 + e for e in column_ends(right)] for left, right in rows]
    else:  # per neuron: z and a under the neurons' numbers
        header = next(line for line in arrays if re.fullmatch(r"\s*neuron(\s+\d+)+\s*", line))
        rows = [header, z_row, next(line for line in arrays if line.strip().startswith(f"a{step.layer + 1} "))]
        ends = [column_ends(line)[1:] for line in rows]
    assert all(e == ends[0] for e in ends), f"{where}: columns out of line:\n" + "\n".join(map(str, rows))
    if size == (120, 40) and step.kind == ACTIVATE and step.neuron is not None:
        assert any("●" in line for line in operation), f"{where}: the activation plot and its marker"
        assert any("where z sits" in line for line in operation)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", COURSE)
async def test_every_step_reads_whole(name, size):
    app = make_app(name)
    async with app.run_test(size=size) as pilot:
        await press(pilot)
        for sample in range(len(app.session.samples)):
            _check_screen(app, size, f"{name} sample {sample + 1} before the first step")
            for k in range(len(app.session.plan)):
                await press(pilot, "n")
                _check_screen(app, size, f"{name} sample {sample + 1} step {k + 1}")
            await press(pilot, "g", "right_square_bracket")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_per_layer_steps_read_whole(size):
    app = make_app("coffee_lab.json")
    async with app.run_test(size=size) as pilot:
        await press(pilot, "v")
        for k in range(len(app.session.plan)):
            await press(pilot, "n")
            _check_screen(app, size, f"per layer, step {k + 1}")


# -- the space ---------------------------------------------------------------------------------
async def test_the_network_pane_is_as_wide_as_its_rows():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "n", "N")
        network = app.screen.query_one("#network")
        operation = app.screen.query_one("#operation")
        wanted = app.screen.frame.network.width
        assert network.scrollable_content_region.width >= wanted
        assert network.outer_size.width <= wanted + 4  # its border and scrollbar, no more
        assert operation.outer_size.width > 120 // 2


async def test_the_status_leads_with_what_must_not_be_missed():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "N", "N", "n", "b", "g", "c")  # a breakpoint on neuron 2, and continue to it
        status = screen_text(app).split("\n")[0].strip()
        assert status.startswith("● breakpoint L1.N2 · coffee_roasting.json · step 5/13"), status
        await press(pilot, "e", "ctrl+a", "ctrl+k", *"0.5", "enter")
        status = screen_text(app).split("\n")[0].strip()
        assert status.startswith("● 1 edit unsaved"), status
    app = make_app("coffee_unnormalized.json")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "f")
        assert screen_text(app).split("\n")[0].strip().startswith("✗ "), screen_text(app).split("\n")[0]


# -- no spoilers -------------------------------------------------------------------------------
def test_no_value_is_told_before_its_step():
    """The why-block, for every failing or noted neuron of every sample
    network: at the dot product neither z nor a, at the bias no a."""
    checked = 0
    for name, _row, _l, _j, e in flagged_explanations():
        at_dot, at_bias, at_act = (why_lines(e, kind) for kind in (DOT, BIAS, ACTIVATE))
        assert at_act == e.summary
        assert at_dot[0].endswith("= ?") and "a = " not in " ".join(at_dot)
        assert at_bias[0].endswith(f"= {fmt(e.z)}") and "a = " not in " ".join(at_bias)
        for line in (*at_dot, *at_bias):
            assert not line.startswith(("saturated:", "wrong output")), (name, line)
        if fmt(e.z) != fmt(e.zdot):
            assert fmt(e.z) not in " ".join(at_dot[1:]), (name, at_dot)
        checked += 1
    assert checked > 20


async def test_the_screen_keeps_z_and_a_for_their_steps():
    app = make_app("coffee_lab.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "N", "N", "n")  # neuron 2's dot product: z = −12.4599, a = 3.879e−06 ahead
        operation = flat(pane(app, "#operation"))
        assert "−3.1799" in operation
        assert "12.46" not in operation and "3.88e" not in operation and "3.879" not in operation
        await press(pilot, "n")  # the bias: z, still no a
        operation = flat(pane(app, "#operation"))
        assert "−12.4599" in operation
        assert "3.88e" not in operation and "3.879" not in operation
        await press(pilot, "n")  # the activation: a
        operation = flat(pane(app, "#operation"))
        assert "3.88e−06" in operation


# -- per layer ---------------------------------------------------------------------------------
async def test_per_layer_the_arrays_pane_shows_the_layer():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "v", "n", "n")  # the normalisation, then layer 1's x·W
        arrays = pane(app, "#arrays")
        text = "\n".join(arrays)
        assert "W1 2×3" in text
        layer = app.session.network.layers[0]
        for w in layer.W.ravel():
            assert shown(float(w), arrays)
        row = {line.split("│")[0].strip(): line.split("│")[1].split() for line in arrays if "│" in line}
        assert row["z1"] == ["·", "·", "·"] and row["a1"] == ["·", "·", "·"]
        assert len(row["x·W1"]) == 3 and "·" not in row["x·W1"]
        assert row["b1"] == [fmt_fit(b, 7, 4) for b in layer.b]
        await press(pilot, "n")  # the bias
        row = {line.split("│")[0].strip(): line.split("│")[1].split()
               for line in pane(app, "#arrays") if "│" in line}
        assert "·" not in row["z1"] and row["a1"] == ["·", "·", "·"]
        assert app.screen.frame.arrays.matrix.current == 0  # the lit column


async def test_per_layer_a_wide_layer_is_a_window_around_the_neuron():
    app = make_app("nan_overflow.json")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "v", "n", "n")
        matrix = app.screen.frame.arrays.matrix
        assert matrix is not None and matrix.current in matrix.columns


# -- the end of the pass -----------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_end_of_the_pass_shows_the_output_and_its_verdict(size):
    app = make_app("coffee_lab.json")
    async with app.run_test(size=size) as pilot:
        await press(pilot, "G")
        operation = flat(pane(app, "#operation"))
        assert "output: good roast = 0.97193 → class 1 (good roast), label 1: right ✓" in operation
        await press(pilot, "right_square_bracket")
        operation = flat(pane(app, "#operation"))
        assert "output: good roast = 3.29e−08 → class 0 (not good roast), label 0: right ✓" in operation
        await press(pilot, "p")
        assert "output:" not in flat(pane(app, "#operation"))


async def test_a_wrong_output_says_so():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "G")
        # the output neuron's bias far down: "light medium roast" (label 1) now votes 0
        assert app.screen.selection.target().label() == "L2.N1.b"
        await press(pilot, "e", "ctrl+a", "ctrl+k", *"-20", "enter", "G")
        operation = flat(pane(app, "#operation"))
        assert "→ class 0 (not good roast), label 1 (good roast): wrong ✗" in operation
