"""The real program in a real pseudo-terminal: what no Pilot test can show."""

from __future__ import annotations

import os
import select
import shutil
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pyte
import pytest

from neurodebug import load_network
from tui_helpers import SAMPLES

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
DEADLINE = 120  # seconds: a safety net against a hang, never a speed expectation


class Terminal:
    """``neurodebug`` running in its own session on a pty, driven by bytes."""

    def __init__(self, args: list[str], cwd: Path, size=(100, 30), python: tuple[str, ...] = ("-m", "neurodebug")) -> None:
        import fcntl
        import termios

        self.master, slave = os.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}

        def controlling_terminal() -> None:
            # A session of its own whose controlling terminal is the pty, as
            # a terminal window gives its shell: closing it sends SIGHUP.
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            # As a shell starts it: no signal blocked or ignored (a test
            # runner's own signal setup is inherited otherwise).
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)

        self.proc = subprocess.Popen(
            [sys.executable, *python, *args], stdin=slave, stdout=slave, stderr=slave,
            cwd=cwd, env=env, preexec_fn=controlling_terminal,
        )
        os.close(slave)
        # A terminal emulator reads what the program draws (it repaints only
        # what changed, so the raw bytes rarely hold a whole line).
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, text: str) -> None:
        """Read the program's output until ``text`` is on the screen."""
        self.wait_until(lambda screen: text in screen, repr(text))

    def wait_until(self, shown, what: str) -> None:
        """Read the program's output until ``shown(screen text)`` holds."""
        import time

        end = time.monotonic() + DEADLINE
        while not shown(self.text()):
            assert time.monotonic() < end, f"{what} never appeared; the screen:\n{self.text()}"
            ready, _, _ = select.select([self.master], [], [], 1.0)
            if ready:
                try:
                    self.stream.feed(os.read(self.master, 65536))
                except OSError:
                    break

    def send(self, data: str) -> None:
        os.write(self.master, data.encode())

    def hang_up(self) -> int:
        os.close(self.master)  # the terminal window closes: the kernel sends SIGHUP
        return self.proc.wait(timeout=DEADLINE)

    def wait_exit(self) -> int:
        """Wait for the program to end, reading what it draws meanwhile (a
        terminal nobody reads fills up, and the program's writes then block)."""
        import time

        end = time.monotonic() + DEADLINE
        while self.proc.poll() is None:
            assert time.monotonic() < end, f"the program never ended; the screen:\n{self.text()}"
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.stream.feed(os.read(self.master, 65536))
                except OSError:
                    pass
        # What it wrote just before ending may still wait in the terminal: read
        # it all (once every writer is gone, the end of it reads as EIO).
        while select.select([self.master], [], [], 1.0)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            self.stream.feed(data)
        return self.proc.returncode


def _edit_first_weight(term: Terminal) -> None:
    term.wait_for("Ready")
    term.send("n")
    term.wait_for("166")
    term.send("e")
    term.wait_for("▊  1.0 ")  # the edit box holds the current value
    term.send("\x01")  # ctrl+a, then ctrl+k: empty the box
    term.send("\x0b")
    term.wait_until(lambda screen: "▊  1.0 " not in screen, "an empty edit box")
    for key in "0.17":  # a key at a time, as a person types
        term.send(key)
    term.wait_for("▊  0.17 ")
    term.send("\r")
    term.wait_for("→ 0.17")  # the Changes view lists the edit


@pytest.mark.parametrize("how", ["hangup", "sigterm"])
def test_closing_the_terminal_keeps_unsaved_edits(how, tmp_path):
    shutil.copy(SAMPLES / "seed_example.json", tmp_path)
    term = Terminal(["seed_example.json"], tmp_path)
    try:
        _edit_first_weight(term)
        if how == "hangup":
            code = term.hang_up()
        else:
            term.proc.send_signal(signal.SIGTERM)  # e.g. the machine shutting down
            code = term.wait_exit()
    finally:
        if term.proc.poll() is None:
            term.proc.send_signal(signal.SIGKILL)
            term.proc.wait()
    assert code == 128 + (signal.SIGHUP if how == "hangup" else signal.SIGTERM)
    recovered = tmp_path / "seed_example.recovered.json"
    assert recovered.exists(), sorted(p.name for p in tmp_path.iterdir())
    assert load_network(recovered).layers[0].W[0, 0] == 0.17


CRASHING = """
import neurodebug.tui.debugger as debugger

def step(self):
    raise RuntimeError("a bug on purpose")

debugger.DebuggerScreen.action_step = step
from neurodebug.cli import main
raise SystemExit(main())
"""


def test_a_crash_exits_non_zero_and_says_where(tmp_path):
    """A bug in the app (made here on purpose) must not end with exit 0."""
    shutil.copy(SAMPLES / "seed_example.json", tmp_path)
    term = Terminal(["seed_example.json"], tmp_path, python=("-c", CRASHING))
    try:
        term.wait_for("Ready")
        term.send("n")
        code = term.wait_exit()
    finally:
        if term.proc.poll() is None:
            term.proc.send_signal(signal.SIGKILL)
            term.proc.wait()
    assert code == 3
    assert "internal error: RuntimeError at <string>" in term.text().replace("\n", "")
