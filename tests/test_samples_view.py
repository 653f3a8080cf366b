"""The Samples view (tui/widgets/samples_view.py) in a tiny app: what it
draws from a frame's samples part, and Enter on a row."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from textual.app import App, ComposeResult

from neurodebug.engine.network import Layer, Network
from neurodebug.engine.sample_ranking import RankedSamples, rank_samples
from neurodebug.engine.samples import Samples
from neurodebug.engine.settings import DEFAULT_CONFIG
from neurodebug.engine.trace import trace_of
from neurodebug.tui.messages import OpenEntry
from neurodebug.tui.widgets.samples_view import SamplesPart, SamplesView
from tui_helpers import pane_text, press, settle


class _App(App):
    def compose(self) -> ComposeResult:
        yield SamplesView(id="samples-view")


def _ranking(labelled: bool = True) -> RankedSamples:
    rng = np.random.default_rng(4)
    net = Network([Layer("h", "tanh", rng.normal(0, 1, (3, 5)), np.zeros(5)),
                   Layer("out", "softmax", rng.normal(0, 1, (5, 3)), np.zeros(3))])
    x = rng.normal(0, 1, (200, 3))
    x[7, 1] = np.nan
    net.samples = Samples(x, rng.integers(0, 3, 200) if labelled else None, prefix="row")
    return rank_samples(trace_of(net), DEFAULT_CONFIG, top=5)


def _frame(part: SamplesPart | None, epoch: int = 1) -> SimpleNamespace:
    return SimpleNamespace(epoch=epoch) if part is None else SimpleNamespace(epoch=epoch, samples=part)


async def test_the_view_lists_each_category_and_enter_opens_the_row_under_the_cursor() -> None:
    ranking = _ranking()
    seen: list[object] = []
    app = _App()
    async with app.run_test(size=(110, 60), message_hook=seen.append) as pilot:
        view = app.query_one(SamplesView)
        view.show(_frame(SamplesPart(ranking, 200, 1_000_000, True, "")))  # type: ignore[arg-type]
        view.focus()
        await settle(pilot)
        lines = [view.line_text(i).plain for i in range(view.line_count)]
        assert lines[0] == "the samples that matter most"
        assert lines[1] == "scanning rows 200 / 1,000,000 …"
        assert f"wrong — {ranking.wrong_count:,} of 200 rows" in lines
        assert "least confident — lowest probability first, of 200 rows" in lines
        assert any(line.startswith("highest loss — ce loss of 200 rows, mean ") for line in lines)
        assert f"with a finding — {ranking.finding_count:,} of 200 rows" in lines
        for sample in ranking.wrong + ranking.highest_loss + ranking.with_finding:
            assert f"  {sample.text}" in lines
        # what the screen shows: the first rows of the list
        shown = pane_text(app, view)
        assert shown[0].startswith("the samples that matter most")
        assert any(ranking.wrong[0].text in line for line in shown)

        assert view.cursor == ("wrong", ranking.wrong[0].row)
        await press(pilot, "down")
        assert view.cursor == ("wrong", ranking.wrong[1].row)
        await press(pilot, "enter")
        opened = list({id(m): m for m in seen if isinstance(m, OpenEntry)}.values())  # seen as it bubbles up
        assert len(opened) == 1
        assert (opened[0].view, opened[0].section, opened[0].index) == ("samples", "sample", ranking.wrong[1].row)
        assert opened[0].text == ranking.wrong[1].text
        # past the wrong ones, into the least confident
        await press(pilot, *["down"] * len(ranking.wrong))
        assert view.cursor is not None and view.cursor[0] == "unsure"

        # the scan done: no progress line, and the same rows stay
        view.show(_frame(SamplesPart(ranking, 200, 200, False, "")))  # type: ignore[arg-type]
        await settle(pilot)
        lines = [view.line_text(i).plain for i in range(view.line_count)]
        assert not any(line.startswith("scanning") for line in lines)
        assert view.cursor is not None and view.cursor[0] == "unsure"


async def test_unlabelled_rows_and_no_samples_part_yet() -> None:
    app = _App()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(SamplesView)
        view.show(_frame(None))  # type: ignore[arg-type]  # a Frame without the field yet
        await settle(pilot)
        lines = [view.line_text(i).plain for i in range(view.line_count)]
        assert lines[0] == "the samples that matter most"
        assert lines[1].startswith("No samples ranked yet")
        assert view.cursor is None

        ranking = _ranking(labelled=False)
        view.show(_frame(SamplesPart(ranking, 200, None, True, "reading rows.csv"), 2))  # type: ignore[arg-type]
        await settle(pilot)
        lines = [view.line_text(i).plain for i in range(view.line_count)]
        assert lines[1:4] == ["scanning rows 200 …", "reading rows.csv",
                              "no labels: wrong and highest loss need labels"]
        assert not any(line.startswith(("wrong —", "highest loss")) for line in lines)
        assert "with a finding — 1 of 200 rows" in lines
        assert any(line.startswith("  row 8: ") and "NaN/Inf" in line for line in lines)
