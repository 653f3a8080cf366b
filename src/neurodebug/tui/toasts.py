"""Toasts that say the same thing again merge into one.

Pressing n at the end of the pass five times shows one toast, "(×5)", its
timeout started again, rather than a stack of five.
"""

from __future__ import annotations

from textual.app import App
from textual.notifications import Notification, Notify, SeverityLevel


class Toaster:
    """Shows toasts for one screen and remembers the ones still up."""

    def __init__(self) -> None:
        self._up: dict[tuple[str, str, str], tuple[Notification, int]] = {}  # (message, title, severity) → (toast, times)

    def notify(self, app: App, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> Notification:
        self._up = {key: up for key, up in self._up.items() if not up[0].has_expired}
        key = (message, title, severity)
        times = 1
        up = self._up.get(key)
        if up is not None:
            old, times = up[0], up[1] + 1
            # Taken down after it is put up, should its Notify still be queued
            # (keys typed faster than the screen redraws): the app's queue is in
            # order. (_unnotify is what a toast's own timer calls: Textual has no
            # public way to take one toast down.)
            app.call_later(app._unnotify, old)
        shown = message if times == 1 else f"{message}  (×{times})"
        notification = Notification(shown, title, severity,
                                    app.NOTIFICATION_TIMEOUT if timeout is None else timeout, markup=markup)
        app.post_message(Notify(notification))
        self._up[key] = (notification, times)
        return notification
