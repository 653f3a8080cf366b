"""Command-palette commands: jump to a layer or neuron, pick a sample."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from .debugger import DebuggerScreen

MAX_NEURON_HITS = 4000  # past this, type "L2.N17" style queries


class JumpCommands(Provider):
    def _screen(self) -> "DebuggerScreen":
        return self.screen  # type: ignore[return-value]

    def _commands(self) -> list[tuple[str, str, object]]:
        screen = self._screen()
        net = screen.session.network
        out: list[tuple[str, str, object]] = []
        for l, layer in enumerate(net.layers):
            out.append((f"Go to layer {l + 1} ({layer.name})", f"{layer.units} {layer.activation} units", partial(screen.jump, l, None)))
        for i, sample in enumerate(screen.session.samples):
            out.append((f"Sample {i + 1}: {sample.name}", "show this sample", partial(screen.pick_sample, i)))
        count = 0
        for l, layer in enumerate(net.layers):
            for j in range(layer.units):
                if count >= MAX_NEURON_HITS:
                    break
                name = f" ({layer.neuron_names[j]})" if layer.neuron_names else ""
                out.append((f"Go to L{l + 1}.N{j + 1}{name}", f"layer {layer.name}, neuron {j + 1}", partial(screen.jump, l, j)))
                count += 1
        return out

    async def discover(self) -> Hits:
        for text, help_text, command in self._commands():
            if text.startswith(("Go to layer", "Sample")):
                yield DiscoveryHit(text, command, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)  # type: ignore[arg-type]
