"""Which neuron: one value object, and the one way it is written."""

from __future__ import annotations

from dataclasses import dataclass

from .network import Network


@dataclass(frozen=True, order=True)
class NeuronRef:
    """A neuron by position, 0-based (``neuron`` None: the whole layer;
    ``layer`` −1: the inputs). Orders as the steps do: layer, then neuron."""

    layer: int
    neuron: int | None = None

    def label(self, network: Network, sep: str = ", ") -> str:
        """'layer 1 (hidden), neuron 2 (too short)', 1-based, names where the
        file gives them; ``sep`` joins the parts (the step titles use ' · ')."""
        lay = network.layers[self.layer]
        named = self.neuron is not None and bool(lay.neuron_names)
        return neuron_label(self.layer, lay.name, self.neuron,
                            lay.neuron_name(self.neuron) if named and self.neuron is not None else None, sep)

    @property
    def short(self) -> str:
        """'L1.N2', as ``--set`` and the edit box write targets ('L1' for a layer)."""
        return f"L{self.layer + 1}" + ("" if self.neuron is None else f".N{self.neuron + 1}")


def neuron_label(layer: int, layer_name: str, neuron: int | None, neuron_name: str | None = None,
                 sep: str = ", ") -> str:
    """The one way a neuron is written, for callers that hold the names
    rather than the network (a Finding): 'layer 1 (hidden), neuron 2 (h2)'."""
    text = f"layer {layer + 1} ({layer_name})"
    if neuron is not None:
        text += f"{sep}neuron {neuron + 1}"
        if neuron_name:
            text += f" ({neuron_name})"
    return text
