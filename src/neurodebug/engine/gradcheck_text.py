"""A neuron's gradient check in words: one line per parameter checked, or,
where there is no room, the worst one and a count.

``check: ∂L/∂w1 = −0.217018 analytic, −0.217018 finite difference (h = 1e−06),
relative error 3.1e−09 ✓``; a disagreement is a finding, worded
``gradient check fails: …``. A parameter on a kink, or one too small for a
finite difference to resolve, is said so, never a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .gradcheck import NeuronCheck, ParamCheck
from .norms import SYMBOLS  # a norm's parameters as its formula writes them: γ, β
from .numbers import fmt

__all__ = ["CheckLine", "LineKind", "neuron_check_brief", "neuron_check_lines"]


class LineKind(StrEnum):
    AGREES = "agrees"  # ✓ (or on a kink, or too small to resolve: not a mismatch)
    FAILS = "fails"  # a finding: the analytic gradient is wrong
    ABOUT = "about"  # what was checked, or why nothing was


@dataclass(frozen=True)
class CheckLine:
    text: str
    kind: LineKind


def _others(nc: NeuronCheck) -> str:
    """The parameters besides the weights: "the bias", "the bias, γ and β"."""
    rest = [SYMBOLS.get(c.param, c.param) for c in nc.checks if not c.param.startswith("w") and c.param != "b"]
    return "the bias" + (f", {', '.join(rest[:-1])} and {rest[-1]}" if len(rest) > 1 else f" and {rest[0]}" if rest else "")


def _param_line(c: ParamCheck, h: float | None) -> CheckLine:
    """The line of one parameter; ``h`` None: said on another line."""
    step = f" (h = {fmt(h)})" if h is not None else ""
    numbers = f"∂L/∂{SYMBOLS.get(c.param, c.param)} = {fmt(c.analytic)} analytic, {fmt(c.numeric)} finite difference{step}"
    if not c.ok:
        return CheckLine(f"gradient check fails: {numbers}, relative error {fmt(c.rel_error, 2)} ✗", LineKind.FAILS)
    if c.kink:
        return CheckLine(f"check: {numbers}: on a kink, a one-sided difference agrees ✓", LineKind.AGREES)
    if not c.resolved:
        return CheckLine(f"check: {numbers}: below what a finite difference resolves ✓", LineKind.AGREES)
    return CheckLine(f"check: {numbers}, relative error {fmt(c.rel_error, 2)} ✓", LineKind.AGREES)


def _coverage(nc: NeuronCheck) -> CheckLine | None:
    """Which weights were checked, when not all of them."""
    if nc.weights_checked == nc.weights:
        return None
    return CheckLine(f"checked {nc.weights_checked} of {nc.weights} weights, the largest |∂L/∂w|, and {_others(nc)}",
                     LineKind.ABOUT)


def neuron_check_lines(nc: NeuronCheck | str) -> tuple[CheckLine, ...]:
    """Every parameter checked, a line each (the failing first), and which
    weights were checked when not all; a string: why there is no check."""
    if isinstance(nc, str):
        return (CheckLine(f"no gradient check: {nc}", LineKind.ABOUT),)
    ordered = sorted(nc.checks, key=lambda c: c.ok)  # stable: the failing first, else as checked
    lines = [_param_line(c, nc.h) for c in ordered]
    cover = _coverage(nc)
    return (*lines, cover) if cover is not None else tuple(lines)


def neuron_check_brief(nc: NeuronCheck | str) -> tuple[CheckLine, ...]:
    """Two lines at most: the worst parameter (the largest relative error
    measured), then how many more were checked; where some fail, one line:
    how many, and the first of them."""
    if isinstance(nc, str):
        return neuron_check_lines(nc)
    failing = nc.failing
    if failing:
        c = failing[0]
        return (CheckLine(f"gradient check fails for {len(failing)} of {len(nc.checks)}: ∂L/∂"
                          f"{SYMBOLS.get(c.param, c.param)} = {fmt(c.analytic)} analytic, {fmt(c.numeric)} "
                          f"finite difference, relative error {fmt(c.rel_error, 2)} ✗", LineKind.FAILS),)
    measured = [c for c in nc.checks if c.resolved and not c.kink]
    worst = max(measured, key=lambda c: c.rel_error) if measured else nc.checks[0]
    rest = len(nc.checks) - 1
    if not rest:
        return (_param_line(worst, nc.h),)
    checked = f"checked: {nc.weights_checked} of {nc.weights} weights and {_others(nc)}; h = {fmt(nc.h)}"
    return (_param_line(worst, None), CheckLine(f"… {rest} more agree ({checked})", LineKind.ABOUT))
