"""The fast row drawing equals what Rich renders for the same text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from neurodebug.tui.widgets.lines import pieces_strip

CONSOLE = Console(width=200)
STYLES = [None, Style(bold=True), Style(color="red"), Style(color="cyan", italic=True), Style(dim=True)]
TEXT = st.text(alphabet=st.sampled_from("az 09.−·●✗…→中文é"), max_size=14)


def rich_strip(pieces, width, base, overlay):
    text = Text()
    for piece, style in pieces:
        text.append(piece, style)
    if overlay is not None:
        text.stylize(overlay)
    text.no_wrap = True
    text.truncate(width, overflow="ellipsis", pad=True)
    return Strip(Segment.apply_style(text.render(CONSOLE), base), width)


def cells(strip: Strip) -> list[tuple[str, Style | None]]:
    """Character by character, with its style: the same picture whatever the segment boundaries."""
    return [(ch, seg.style) for seg in strip for ch in seg.text]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(TEXT, st.sampled_from(STYLES)), max_size=6),
    st.integers(1, 40),
    st.sampled_from([None, Style(bgcolor="yellow", bold=True)]),
)
def test_pieces_strip_draws_what_rich_draws(pieces, width, overlay):
    base = Style(color="white", bgcolor="black")
    fast = pieces_strip(pieces, width, base, overlay)
    slow = rich_strip(pieces, width, base, overlay)
    assert fast.cell_length == slow.cell_length == width
    assert cells(fast) == cells(slow)
