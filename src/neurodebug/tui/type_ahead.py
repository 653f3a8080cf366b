"""Keys typed for a dialog's box before the box could take them.

``e`` opens the edit dialog, but keys typed right after it (fast, or sent by
a script such as tmux ``send-keys``) are already on their way to the pane
that had the focus when the dialog comes up, and a dialog's box has the
focus only once the dialog is mounted: ``e0.5⏎`` lost the 0.5, and the
Enter applied the value the box started with. A ``TypeAhead`` dialog takes
such keys (``hold``): from the screen under it, which hands it the keys that
reach it once the dialog is up (``DebuggerScreen.on_key``), and from itself
while nothing has the focus. Its box (``dialogs.HeldKeysInput``) gets them
in the order typed: at once when it has the focus, else when it gets it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual import events
from textual.screen import ModalScreen

BOX_KEYS = ("enter", "backspace")  # besides printable characters: what the box does with them


@runtime_checkable
class Box(Protocol):
    """The box a TypeAhead dialog's keys go into (``dialogs.HeldKeysInput``)."""

    def replay(self, keys: list[events.Key]) -> None: ...


class TypeAhead(ModalScreen):
    """A dialog whose box takes the keys typed for it early."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[events.Key] = []
        self._submitted = False  # an Enter was typed ahead: what follows it is not the box's

    def hold(self, key: events.Key) -> bool:
        """Give ``key`` to the box, or keep it for the box until it has the
        focus, if it is one the box takes (a character, Backspace, an Enter)
        and no Enter came before it; say whether it did."""
        if self._submitted or not (key.is_printable or key.key in BOX_KEYS):
            return False
        self._submitted = key.key == "enter"
        box = self.focused
        if isinstance(box, Box):
            box.replay([key])
        else:
            self._held.append(key)
        return True

    def take_held(self) -> list[events.Key]:
        held, self._held = self._held, []
        return held

    def on_key(self, event: events.Key) -> None:
        # A key sent to this screen itself: nothing here has the focus yet.
        if self.focused is None and self.hold(event):
            event.stop()
            event.prevent_default()
