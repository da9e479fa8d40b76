"""A child process on a pseudo-terminal, its output shown by a terminal emulator (pyte) as a user sees it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import pyte

COLUMNS, LINES = 120, 30


def app_environment(home: Path, openai_base_url: str) -> dict[str, str]:
    """The environment the app gets on the pty: a 256-colour terminal, `home` for its files and
    transcripts, and an OpenAI-compatible server at `openai_base_url`."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "OPENAI_BASE_URL": openai_base_url,
        "MINIAGENTS_TRANSCRIPTS_DIR": str(home / "transcripts"),
    }


class Terminal:
    """A child process on a pty, with everything it wrote kept raw and fed to an emulated screen."""

    def __init__(self, args, env, cwd, columns=COLUMNS, lines=LINES):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.process = subprocess.Popen(
            args,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            # the pty becomes the controlling terminal, as in a terminal window: closing it hangs it up
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.raw = bytearray()
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)

    def read(self, seconds=0.1):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.raw += data
            self.stream.feed(data)

    def text(self):
        return "\n".join(self.screen.display)

    def wait_for(self, needle, timeout=60.0):
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            assert time.monotonic() < deadline, f"{needle!r} never appeared; screen:\n{self.text()}"
            self.read(0.1)

    def send(self, data: bytes):
        os.write(self.master, data)

    def close(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self.master >= 0:
            os.close(self.master)

    def hang_up(self):
        """Close the terminal's end, as closing the window or dropping SSH does."""
        os.close(self.master)
        self.master = -1
