"""The real `miniagents-tui` in a pseudo-terminal, read through a terminal emulator (pyte).

R1: hostile model output (title change, OSC 52 clipboard write, screen clear, BiDi override, even
split across stream chunks) never reaches the terminal as a control; it is shown as text.
R8: Ctrl+Q exits quickly with code 0 and restores the terminal (alternate screen left, cursor
shown, mouse tracking and bracketed paste off).
"""

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pyte
import pytest

from tests.fakes.llm_server import Reply

COLUMNS, LINES = 120, 30
HOSTILE = [
    "Safe start ",
    "\x1b]0;PWNED\x07",
    "\x1b]5",
    "2;c;U0VDUkVU",
    "\x07",
    "\x1b[2J",
    "\u202eevil",
    " the end",
]


class Terminal:
    """A child process on a pty, with everything it wrote kept raw and fed to an emulated screen."""

    def __init__(self, args, env, cwd):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
        )
        os.close(slave)
        self.raw = bytearray()
        self.screen = pyte.Screen(COLUMNS, LINES)
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

    def wait_for(self, needle, timeout=20.0):
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
        os.close(self.master)


@pytest.fixture
def terminal_app(llm_server, tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "OPENAI_BASE_URL": llm_server.openai_base_url,
        "MINIAGENTS_TRANSCRIPTS_DIR": str(tmp_path / "transcripts"),
    }
    terminal = Terminal(
        [sys.executable, "-m", "tui", "--model", "openai:fake", "--max-retries", "0"], env, tmp_path
    )
    yield terminal
    terminal.close()


def test_hostile_model_output_is_shown_as_text_and_quit_restores_the_terminal(
    terminal_app, llm_server, tmp_path
):
    llm_server.script(Reply(tokens=HOSTILE))
    terminal = terminal_app
    terminal.wait_for("Stop reply")
    terminal.send(b"hello")
    terminal.wait_for("hello")
    terminal.send(b"\r")
    terminal.wait_for("the end")
    screen = terminal.text()
    assert "\\x1b]0;PWNED\\x07" in screen
    assert "\\x1b]52;c;U0VDUkVU\\x07" in screen
    assert "\\x1b[2J" in screen and "\\u202eevil" in screen
    raw = bytes(terminal.raw)
    assert b"\x1b]0;PWNED" not in raw and b"U0VDUkVU\x07" not in raw.replace(b"\\x07", b"")
    assert b"\x1b]52;c;U0VDUkVU" not in raw and "\u202e".encode() not in raw

    started = time.monotonic()
    terminal.send(b"\x11")  # Ctrl+Q
    while terminal.process.poll() is None:
        assert time.monotonic() - started < 3, "the app did not exit within 3 s"
        terminal.read(0.05)
    terminal.read(0.2)
    assert terminal.process.returncode == 0
    tail = bytes(terminal.raw[-400:])
    for restore in (b"\x1b[?1049l", b"\x1b[?25h", b"\x1b[?2004l", b"\x1b[?1000l"):
        assert restore in tail, restore
    transcript = next((tmp_path / "transcripts").glob("*.md")).read_text()
    assert "\x1b]52;c;U0VDUkVU\x07" in transcript  # the transcript keeps the original characters


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_streaming_saves_the_partial_reply_and_exits(
    terminal_app, llm_server, tmp_path, signal_number
):
    llm_server.script(Reply(tokens=[f"token{i} " for i in range(400)], delay=0.02))
    terminal = terminal_app
    terminal.wait_for("Stop reply")
    terminal.send(b"go\r")
    terminal.wait_for("token5")
    started = time.monotonic()
    terminal.process.send_signal(signal_number)
    while terminal.process.poll() is None:
        assert time.monotonic() - started < 3, "the app did not exit within 3 s"
        terminal.read(0.05)
    terminal.read(0.2)
    assert b"\x1b[?1049l" in bytes(terminal.raw[-400:])  # alternate screen left
    transcript = next((tmp_path / "transcripts").glob("*.md")).read_text()
    assert "### Assistant · openai:fake (interrupted)" in transcript
    assert "token5" in transcript and "token399" not in transcript
