"""The Trace pane: every step executed so far, newest last."""

from __future__ import annotations

from rich.text import Text

from ...engine import Session
from .lines import LineList

KIND_SHORT = {"normalize": "norm", "dot": "dot ", "bias": "bias", "activate": "act "}


class TracePane(LineList):
    BORDER_TITLE = "Trace"

    def __init__(self, session: Session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        count = self.session.cursor + 1
        self.set_count(count)
        if count:
            self.keep_visible(count - 1)

    def line_text(self, index: int) -> Text:
        s = self.session
        step = s.plan[index]
        d = s.sample_trace.detail(step, s.saturation_slope)
        where = "" if step.layer < 0 else f"L{step.layer + 1}" + (f".N{step.neuron + 1}" if step.neuron is not None else "")
        text = Text.assemble(
            (f"{index + 1:>5} ", "dim"),
            (f"{KIND_SHORT[step.kind]} ", "bold"),
            (f"{where:<9} ", "cyan"),
            d.formula,
        )
        if d.notes:
            text.append(" ⚠", "bold yellow")
        if index == s.cursor:
            text.stylize("bold")
        return text
