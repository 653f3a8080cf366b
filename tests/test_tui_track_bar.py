"""The text panes' scrollbar (widgets/track_bar.py): Textual's bar, drawn a
row at a time, its track one style, a click on it paging towards it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from textual.scrollbar import ScrollBarRender

from neurodebug import Network, Sample
from neurodebug.engine.network import Layer
from neurodebug.io import write_json_network
from neurodebug.tui.widgets.network_pane import NetworkPane
from neurodebug.tui.widgets.track_bar import GRAB, TrackBar, bar_rows
from tui_helpers import make_app, press, settle


def _look(segment) -> tuple:
    style = segment.style
    return segment.text, style.color, style.bgcolor, style.reverse


def _action(segment) -> object:
    return segment.style.meta.get("@mouse.down")


@given(size=st.integers(1, 60), count=st.integers(0, 5000), window=st.integers(0, 60),
       at=st.floats(0, 1), width=st.integers(1, 2))
def test_a_bar_looks_as_textuals_with_one_track(size, count, window, at, width):
    window = min(window, size)
    position = at * max(0, count - window)
    ours = bar_rows(size, count, window, position, width)
    try:
        theirs = ScrollBarRender.render_bar(
            size=size, virtual_size=count, window_size=window if window < count else 0,
            position=position, thickness=width).segments[:size]
    except ZeroDivisionError:
        assert ours is None
        return
    assert ours is not None
    assert [_look(s) for s in ours] == [_look(s) for s in theirs]
    assert [_action(s) == GRAB for s in ours] == [_action(s) == GRAB for s in theirs]
    track = {s for s in ours if _action(s) != GRAB}
    assert len(track) <= 1 and all(_action(s) is None for s in track)  # one style, no mouse action


def test_a_thumb_that_jumps_changes_only_the_rows_it_leaves_and_reaches():
    top = bar_rows(36, 1000, 36, 0, 1)
    bottom = bar_rows(36, 1000, 36, 964, 1)
    assert top is not None and bottom is not None
    thumb = {y for rows in (top, bottom) for y, s in enumerate(rows) if _action(s) == GRAB}
    changed = {y for y, (a, b) in enumerate(zip(top, bottom)) if a != b}
    assert changed == thumb and 0 in changed and 35 in changed and len(changed) <= 6


def _tall_network(path: Path) -> Path:
    rng = np.random.default_rng(7)
    W = rng.normal(0, 0.3, (60, 8))
    net = Network([Layer("hidden", "relu", W, np.zeros(8)), Layer("out", "sigmoid", rng.normal(0, 0.3, (8, 1)), np.zeros(1))],
                  samples=[Sample("s1", rng.normal(0, 1, 60))])
    return write_json_network(net, path / "tall.json")


async def test_clicks_on_the_track_page_towards_them_and_the_thumb_drags(tmp_path):
    app = make_app(_tall_network(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.screen.query_one(NetworkPane)
        bar = pane.vertical_scrollbar
        assert isinstance(bar, TrackBar) and bar.size.height > 4
        height = bar.size.height
        assert pane.max_scroll_y > 2 * height  # 60 inputs and 9 neurons' rows: pages of them

        await pilot.click(bar, offset=(0, height - 1))  # below the thumb
        await settle(pilot)
        assert pane.scroll_y > 0
        down = pane.scroll_y

        await pilot.click(bar, offset=(0, 0))  # above it now
        await settle(pilot)
        assert pane.scroll_y < down

        # the thumb itself: grabbed and dragged to the bottom
        rows = bar.rows()
        assert rows is not None
        thumb = next(y for y, s in enumerate(rows) if _action(s) == GRAB)
        await pilot.mouse_down(bar, offset=(0, thumb))
        await pilot.hover(bar, offset=(0, height - 1))
        await pilot.mouse_up(bar, offset=(0, height - 1))
        await settle(pilot)
        assert pane.scroll_y == pane.max_scroll_y


async def test_the_bar_follows_G_and_g_and_shows_what_a_fresh_paint_shows(tmp_path):
    app = make_app(_tall_network(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.screen.query_one(NetworkPane)
        bar = pane.vertical_scrollbar
        for key in ("G", "g", "L", "G"):
            await press(pilot, key)
            shown = [list(strip) for strip in bar.render_lines(bar.size.region)]
            bar.refresh()
            assert [list(strip) for strip in bar.render_lines(bar.size.region)] == shown, key
            rows = bar.rows()
            assert rows is not None
            thumb = [y for y, s in enumerate(rows) if _action(s) == GRAB]
            at_end = pane.scroll_y >= pane.max_scroll_y
            assert (thumb[-1] == bar.size.height - 1) == at_end, key
