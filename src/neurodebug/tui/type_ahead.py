"""Keys typed into a dialog faster than it takes them, in the order typed.

``e0.5⏎`` typed fast (or sent at once: a paste-like burst, tmux
``send-keys``) lost the 0.5 and applied the value the box started with. The
keys after ``e`` go to the pane that has the focus when they come, and come
back unhandled once ``e`` has opened the dialog (Textual resolves a
binding such as ``e`` after the key has gone round the widgets), to be
dropped; and a dialog's box has the focus only once the dialog is mounted.
Keys typed into a box in a burst also changed order: Textual hands a
character to the box at once, while Backspace or Enter reach its bindings
after going round the widgets, so ``0.5x⌫`` could apply 0.5 without its
5. And keys typed right after Enter went into the box of a dialog about to
close.

So while a ``TypeAhead`` dialog is on top the app hands it each key as it
comes, and each key typed before it opened as it comes back unhandled
(``NeurodebugApp._typed_for_a_dialog``); the dialog (``arrived``), in that
order: gives it to its box at once (``Box.take``: the box's own handling,
character or binding); holds it for the box until the box has had the focus
(``take_held``); or, after an Enter or Escape it has not answered yet,
keeps it for after (``release``: once answered, on to the box if the dialog
stays, to the screen under it if it closed). Escape and keys the box does
not take go on to Textual.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual import events
from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

@runtime_checkable
class Box(Protocol):
    """A TypeAhead dialog's box (``dialogs.HeldKeysInput``)."""

    async def take(self, key: events.Key) -> bool:
        """Handle ``key`` now, as typed into the box; False: not the box's."""
        ...


class TypeAhead(ModalScreen):
    """A dialog whose box takes the keys typed for it, in the order typed."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[events.Key] = []  # for the box, once it has the focus
        self._box_ready = False  # the box has had the focus
        self._answering = False  # an Enter or Escape went in and is not answered yet
        self._after: list[events.Key] = []  # keys typed after it

    async def arrived(self, key: events.Key) -> bool:
        """``key`` as it reaches the app, this dialog on top: True when the
        dialog has taken it (into the box, held for it, or kept for after)."""
        if self._answering:
            self._after.append(key)
            return True
        if key.key == "escape":
            self._answering = True
            return False  # to the dialog's binding: it cancels
        box = self.focused
        if self._held or not self._box_ready:
            # The box has not had the focus yet (its own focus handling selects its
            # text: a character then replaces it), or not taken what was held for it.
            self._held.append(key)
            self._answering = key.key == "enter"
            return True
        if not isinstance(box, Box):
            return False  # the focus is elsewhere (a running descent's boxes are disabled): as Textual does
        self._answering = key.key == "enter"
        return await box.take(key)

    def take_held(self) -> events.Key | None:
        """The first key held for the box, taken off the list (the box has the focus)."""
        self._box_ready = True
        return self._held.pop(0) if self._held else None

    def release(self) -> None:
        """The dialog has answered the Enter or Escape (applied, refused,
        started, cancelled): the keys typed after it go on as if typed now."""
        after, self._after, self._answering = self._after, [], False
        for key in after:
            self.app.post_message(events.Key(key.key, key.character))

    def dismiss(self, result=None) -> AwaitComplete:  # type: ignore[override]
        done = super().dismiss(result)
        self.release()  # closed some other way (a worker's end): what was kept goes to the screen below
        return done
