"""Command-palette commands: jump to a layer or neuron, pick a sample; then
Textual's own (theme, quit, keys, screenshot).

The palette gathers its providers' hits concurrently, so two providers come
in no fixed order: the debugger's provider lists Textual's commands itself,
after its own, and the app's provider of them stands aside on its screen.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol

from rich.text import Text
from textual import command as textual_command
from textual.content import Content
from textual.fuzzy import Matcher
from textual.message import Message
from textual.markup import escape
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.system_commands import SystemCommandsProvider

from ..engine import Session
from .dialogs import DismissedOnce
from .messages import JumpTo, PickSample

MAX_NEURON_HITS = 4000  # past this, type "L2.N17" style queries


class Debugger(Protocol):
    """What the commands need of the debugger screen (which imports this
    module): the session, to list layers, neurons and samples, and a queue
    for the messages that move it."""

    session: Session

    def post_message(self, message: Message) -> bool: ...


class JumpCommands(Provider):
    def _screen(self) -> Debugger:
        return self.screen  # type: ignore[return-value]

    def _commands(self) -> list[tuple[str, str, object]]:
        """Each command posts a message to the debugger screen (messages up)."""
        screen = self._screen()
        net = screen.session.network
        post = partial(_post, screen)
        out: list[tuple[str, str, object]] = []
        for l, layer in enumerate(net.layers):
            out.append((f"Go to layer {l + 1} ({layer.name})", f"{layer.units} {layer.activation} units", partial(post, JumpTo, l, None)))
        if screen.session.rows is None:  # a dataset read a row at a time: its rows by number (_row_hit)
            for i, sample in enumerate(screen.session.samples):
                out.append((f"Sample {i + 1}: {sample.name}", "show this sample", partial(post, PickSample, i)))
        count = 0
        for l, layer in enumerate(net.layers):
            for j in range(layer.units):
                if count >= MAX_NEURON_HITS:
                    break
                name = f" ({layer.neuron_names[j]})" if layer.neuron_names else ""
                out.append((f"Go to L{l + 1}.N{j + 1}{name}", f"layer {layer.name}, neuron {j + 1}", partial(post, JumpTo, l, j)))
                count += 1
        return out

    async def discover(self) -> Hits:
        for text, help_text, command in self._commands():
            if text.startswith(("Go to layer", "Sample")):
                # Names come from the file: shown as text, never read as markup.
                yield DiscoveryHit(Text(text), command, text=text, help=escape(help_text))  # type: ignore[arg-type]
        # Textual's own after ours (hits of equal score keep the order they came in)
        for name, help_text, callback, discover in sorted(self.app.get_system_commands(self.screen), key=lambda c: c[0]):
            if discover:
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        session = self._screen().session
        # rows read one at a time are not listed: "523418", "sample 523,418", "row 523418" ask for one
        row = _row_asked(query, session.n_rows) if session.rows is not None else None
        if row is not None:
            text = f"Sample {row + 1:,}"
            yield Hit(1.0, Content(text), partial(_post, self._screen(), PickSample, row), text=text,
                      help=f"show sample {row + 1:,} of {session.n_rows:,}")
        matcher = self.matcher(query)
        for text, help_text, command in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, _highlight(matcher, text), command, text=text, help=escape(help_text))  # type: ignore[arg-type]
        for name, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class SystemCommands(SystemCommandsProvider):
    """Textual's own commands, on the screens whose provider does not list
    them (the loading screen); on the debugger JumpCommands lists them after
    its own."""

    def _listed_elsewhere(self) -> bool:
        return bool(getattr(self.screen, "LISTS_TEXTUAL_COMMANDS", False))

    async def discover(self) -> Hits:
        if not self._listed_elsewhere():
            async for hit in super().discover():
                yield hit

    async def search(self, query: str) -> Hits:
        if not self._listed_elsewhere():
            async for hit in super().search(query):
                yield hit


def _row_asked(query: str, rows: int) -> int | None:
    """The 0-based row a query of a sample's number asks for ("523418",
    "sample 523,418", "row 7", "#7"), if it is one of the ``rows``."""
    words = query.strip().lower().removeprefix("sample").removeprefix("row").strip().lstrip("#")
    digits = words.replace(",", "").replace("_", "")
    if not digits.isdigit() or not 1 <= int(digits) <= rows:
        return None
    return int(digits) - 1


def _post(screen: Debugger, message: type[Message], *args: object) -> None:
    """Made when the command runs: a palette of 4,000 neurons makes no messages it does not send."""
    screen.post_message(message(*args))


def _highlight(matcher: Matcher, text: str) -> Content:
    """The matched letters of ``text`` lit, as Matcher.highlight does, but
    with ``text`` taken as plain text: a layer named "[/x]" is not markup."""
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if score:
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class CommandPalette(DismissedOnce, textual_command.CommandPalette):
    """Textual's command palette with one guard. Paging its list (pageup,
    pagedown) before the list has laid out its lines raises a KeyError inside
    Textual 8.2's OptionList._move_page — a key storm found it, and others have
    reported it. There is nothing to page through yet, so the key does nothing.
    And it dismisses itself once: Enter Enter typed fast would otherwise pop
    the debugger too, quitting without a word about unsaved edits."""

    def _action_command_list(self, action: str) -> None:
        try:
            super()._action_command_list(action)
        except (KeyError, IndexError):
            pass
