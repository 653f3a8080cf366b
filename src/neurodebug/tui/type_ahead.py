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
character or binding; Tab moves on to the next box); holds it for the box
until the box has had its focus handling (``take_held``); or, after an Enter
or Escape it has not answered yet,
keeps it for after (``release``: once answered, on to the box if the dialog
stays, to the screen under it if it closed). Escape and keys the box does
not take go on to Textual.

Left alone: a key the debugger binds with priority (→, ←: they step
whatever pane has the focus) typed in the same burst right after ``e`` acts
as it arrives, before ``e`` has come back to open the dialog. Holding every
key after a dialog's key until it had opened one would hang the keyboard
for good the day a pane kept that key for itself.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual import events
from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

FOCUS_KEYS = {"tab": 1, "shift+tab": -1}  # to the next box, the previous one


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
        self._box_ready = False  # the box that has the focus has had its focus handling
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
        if self._held or not self._box_ready:
            # The box has not had its focus handling yet (it selects the box's text:
            # a character then replaces it), or not taken what was held for it.
            self._held.append(key)
            self._answering = key.key == "enter"
            return True
        box = self.focused
        if not isinstance(box, Box):
            return False  # the focus is elsewhere (a running descent's boxes are disabled): as Textual does
        return await self._give(box, key)

    async def _give(self, box: Box, key: events.Key) -> bool:
        """``key`` to ``box``, which has the focus. Tab and shift+Tab move
        the focus to the next box, whose keys wait for its focus handling."""
        if key.key in FOCUS_KEYS:
            self.focus_next() if FOCUS_KEYS[key.key] > 0 else self.focus_previous()
            if self.focused is not box:
                self._box_ready = False
                if not isinstance(self.focused, Box):  # no box there to take the rest: Textual has them
                    self._box_ready, held, self._held = True, self._held, []
                    self._send_on(held)
            return True
        if key.key == "enter":
            self._answering = True  # the box submits it: the dialog answers
        return await box.take(key)

    async def take_held(self, box: Box) -> None:
        """``box`` has the focus, its focus handling done: the keys held for
        it, in order (after a Tab, the rest are the next box's)."""
        self._box_ready = True
        while self._held and self._box_ready and self.focused is box:
            await self._give(box, self._held.pop(0))

    def release(self) -> None:
        """The dialog has answered the Enter or Escape (applied, refused,
        started, cancelled): the keys typed after it go on as if typed now."""
        after, self._after, self._answering = self._after, [], False
        self._send_on(after)

    def _send_on(self, keys: list[events.Key]) -> None:
        """``keys`` as if typed now, in order."""
        for key in keys:
            self.app.post_message(events.Key(key.key, key.character))

    def dismiss(self, result=None) -> AwaitComplete:  # type: ignore[override]
        done = super().dismiss(result)
        self.release()  # closed some other way (a worker's end): what was kept goes to the screen below
        return done
