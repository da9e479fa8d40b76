"""The real `miniagents-tui` in a pseudo-terminal, read through a terminal emulator (pyte).

R1: hostile model output (title change, OSC 52 clipboard write, screen clear, BiDi override, even
split across stream chunks) never reaches the terminal as a control; it is shown as text.
R8: Ctrl+Q exits quickly with code 0 and restores the terminal (alternate screen left, cursor
shown, mouse tracking and bracketed paste off).
R15: a 20,000-token reply at about 2,000 tokens/s while the user types: every key lands in order,
the reply is whole, memory stays bounded and the app is idle soon after.

Every test also scans the raw bytes the app wrote: only the kinds of escape sequence the app itself
writes (CSI drawing and mode sequences) may appear; no OSC, DCS, APC, PM, SOS, 8-bit control or bell.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.llm_server import Reply
from tests.fakes.terminal import Terminal, app_environment

HOSTILE = [
    "Safe start ",
    "\x1b]0;PWNED\x07",
    "\x1b]5",
    "2;c;U0VDUkVU",
    "\x07",
    "\x1b[2J",
    "\u202eevil",
    "\x1bP1$qm\x1b\\",  # DCS
    "\x1b_apc\x1b\\",  # APC
    "\x9b31m\u0085",  # 8-bit CSI, NEL
    "\x1b[6n",  # asks the terminal to type its cursor position into the app
    "\x1b[?1049l\x1b[?25l",  # leaves the alternate screen, hides the cursor
    " the end",
]

_ESCAPE = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|.)", re.DOTALL)
_APP_CSI_FINALS = set(b"ABCDGHJKSTfhlmnpqrstu")
"""The CSI final bytes the app's own output uses (cursor moves, erase, modes, colours, mode queries)."""

_APP_POINTER_SHAPE = re.compile(rb"\x1b\]22;[a-z-]+\x07")
"""The one OSC sequence the app writes itself: Textual sets the mouse pointer's shape."""


def foreign_escapes(raw: bytes) -> list[bytes]:
    """The escape sequences and controls in `raw` that the app itself never writes."""
    found = []
    raw = _APP_POINTER_SHAPE.sub(b"", raw)
    for match in _ESCAPE.finditer(raw):
        sequence = match.group(0)
        if sequence[1:2] == b"[":
            if sequence[-1] not in _APP_CSI_FINALS or sequence.endswith(b"6n"):
                found.append(sequence)
        elif sequence[1:2] not in (b"7", b"8", b"=", b">", b"("):
            found.append(sequence)  # OSC, DCS, APC, PM, SOS, ...
    text = raw.decode("utf-8", "replace")
    found += [char.encode() for char in text if "\x80" <= char <= "\x9f" or char == "\x07"]
    return found


@pytest.fixture
def terminal_app(llm_server, tmp_path):
    env = app_environment(tmp_path, llm_server.openai_base_url)
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
    assert foreign_escapes(raw) == [], foreign_escapes(raw)
    assert "\\x1bP1$qm" in screen and "\\x9b31m" in screen and "\\x1b[6n" in screen

    started = time.monotonic()
    terminal.send(b"\x11")  # Ctrl+Q
    while terminal.process.poll() is None:
        assert time.monotonic() - started < 30, "the app did not exit"  # R8: 3 s, with a 10x margin for load
        terminal.read(0.05)
    terminal.read(0.2)
    assert terminal.process.returncode == 0
    tail = bytes(terminal.raw[-400:])
    for restore in (b"\x1b[?1049l", b"\x1b[?25h", b"\x1b[?2004l", b"\x1b[?1000l"):
        assert restore in tail, restore
    transcript = next((tmp_path / "transcripts").glob("*.md")).read_text()
    assert "\x1b]52;c;U0VDUkVU\x07" in transcript  # the transcript keeps the original characters


def test_escape_sequences_in_a_paste_are_text_not_keys(terminal_app, llm_server):
    """#12.8: pasting `p ESC[0m q Ctrl+R r` used to regenerate; `x ESC]0;T BEL y` opened an edit."""
    llm_server.script(Reply(tokens=["first ", "answer"]), Reply(tokens=["second ", "answer"]))
    terminal = terminal_app
    terminal.wait_for("Stop reply")
    terminal.send(b"hi\r")
    terminal.wait_for("first answer")
    terminal.send(b"\x1b[200~p \x1b[0m q\x12 r\x1b[201~\x1b[200~ x \x1b]0;T\x07 y\x1b[201~")
    terminal.wait_for("\u241b]0;T\u2407 y")
    terminal.send(b"\r")
    terminal.wait_for("second answer")
    assert len(llm_server.requests) == 2  # nothing was regenerated
    sent = llm_server.requests[1].body["messages"]
    assert sent[-1] == {"role": "user", "content": "p \u241b[0m q\u2412 r x \u241b]0;T\u2407 y"}
    assert [m["content"] for m in sent[:-1]] == ["hi", "first answer"]


def test_a_save_that_fails_later_is_marked_and_said_on_stderr_at_exit(terminal_app, llm_server, tmp_path):
    """#12.5: the header keeps a "not saved" mark, and the exit says so on stderr with a non-zero code."""
    llm_server.script(Reply(tokens=["first answer"]), Reply(tokens=["second answer"]))
    terminal = terminal_app
    terminal.wait_for("Stop reply")
    terminal.send(b"hi\r")
    terminal.wait_for("first answer")
    transcripts = tmp_path / "transcripts"
    saved = next(transcripts.glob("*.md")).read_text()
    transcripts.rename(tmp_path / "moved")
    transcripts.write_text("a file where the folder was")  # every later save fails
    terminal.send(b"again\r")
    terminal.wait_for("second answer")
    terminal.wait_for("NOT SAVED")
    terminal.send(b"\x11")  # Ctrl+Q
    try:
        terminal.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError("the app did not exit") from None
    terminal.read(0.3)
    assert terminal.process.returncode == 1
    assert "miniagents-tui: the conversation was not saved: could not save the transcript" in terminal.text()
    assert (tmp_path / "moved" / next(iter(os.listdir(tmp_path / "moved")))).read_text() == saved


def test_keys_typed_right_after_enter_stay_in_the_prompt(terminal_app, llm_server):
    """Enter and the next words in one burst: the first message is sent, the words typed after stay."""
    llm_server.script(Reply(tokens=["an ", "answer"]))
    terminal = terminal_app
    terminal.wait_for("Stop reply")
    terminal.send(b"first\rsecond words")
    terminal.wait_for("an answer")
    terminal.wait_for("▊ second words")
    assert llm_server.requests[0].body["messages"][-1] == {"role": "user", "content": "first"}


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
        assert time.monotonic() - started < 30, "the app did not exit"  # R8: 3 s, with a 10x margin for load
        terminal.read(0.05)
    terminal.read(0.2)
    assert b"\x1b[?1049l" in bytes(terminal.raw[-400:])  # alternate screen left
    transcript = next((tmp_path / "transcripts").glob("*.md")).read_text()
    assert "### Assistant · openai:fake (interrupted)" in transcript
    assert "token5" in transcript and "token399" not in transcript


def test_the_app_exits_when_its_terminal_goes_away_while_a_fast_reply_streams(
    terminal_app, llm_server, tmp_path
):
    """R8: closing the window mid-reply. The app's output writer fails first (the terminal is gone)
    while frames keep coming at 1,000 tok/s; the app must still take SIGHUP, save and exit."""
    llm_server.script(Reply(tokens=[f"token{i} " for i in range(200_000)], delay=0.001))
    terminal = terminal_app
    terminal.wait_for("Stop reply")
    terminal.send(b"go\r")
    terminal.wait_for("token500")
    # the window freezes: nothing reads the terminal until the app blocks writing to it
    blocked, deadline = 0, time.monotonic() + 120
    while blocked < 5:  # the writer waits on the terminal and the app on the writer, polled 5 times running
        assert time.monotonic() < deadline, "the app never blocked on its output"
        blocked = blocked + 1 if _writing_blocked(terminal.process.pid) else 0
        time.sleep(0.01)
    terminal.hang_up()
    try:
        terminal.process.wait(timeout=30)  # an orphan would wait on forever
    except subprocess.TimeoutExpired:
        raise AssertionError("the app outlived its terminal") from None
    transcript = next((tmp_path / "transcripts").glob("*.md")).read_text()
    assert "### Assistant · openai:fake (interrupted)" in transcript
    assert "token500" in transcript and "token199999" not in transcript


@pytest.mark.parametrize("delay", [0.0, 0.1, 0.3, 1.0])
def test_the_app_exits_when_its_terminal_goes_away_while_it_quits(terminal_app, llm_server, tmp_path, delay):
    llm_server.script(Reply(tokens=[f"token{i} " for i in range(400)], delay=0.02))
    terminal = terminal_app
    terminal.wait_for("Stop reply")
    terminal.send(b"go\r")
    terminal.wait_for("token5")
    terminal.send(b"\x11")  # Ctrl+Q, then the terminal goes away while the app is quitting
    terminal.read(delay)
    terminal.hang_up()  # the kernel hangs the terminal up and sends the app SIGHUP
    try:
        terminal.process.wait(timeout=30)  # an orphan would run on forever
    except subprocess.TimeoutExpired:
        raise AssertionError("the app outlived its terminal") from None
    transcript = next((tmp_path / "transcripts").glob("*.md")).read_text()
    assert "token5" in transcript and "token399" not in transcript  # what had arrived is saved


def _writing_blocked(pid: int) -> bool:
    """Whether a thread of process `pid` waits in the kernel for the terminal to take its output
    while the main thread waits too (for the writer's full queue)."""
    waits = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            waits[task.name] = (task / "wchan").read_text()
    return "wait_woken" in waits.values() and waits.get(str(pid)) == "futex_do_wait"


def _proc_status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_20000_token_reply_at_2000_tokens_per_second_while_typing(terminal_app, llm_server, tmp_path):
    tokens = [f"w{index} " if index % 50 else f"\n\nw{index} " for index in range(20_000)]
    llm_server.script(Reply(tokens=tokens, delay=1 / 2000))
    terminal = terminal_app
    terminal.wait_for("Stop reply")
    terminal.send(b"go\r")
    terminal.wait_for("w100")
    started = time.monotonic()
    typed = "the quick brown fox jumps over the lazy dog " * 2
    for character in typed:  # a key every 30 ms while the reply streams
        terminal.send(character.encode())
        terminal.read(0.03)
    transcripts = tmp_path / "transcripts"

    def saved_reply() -> str | None:
        files = list(transcripts.glob("*.md"))
        text = files[0].read_text() if files else ""
        return text if "w19999" in text else None

    deadline = time.monotonic() + 60
    while saved_reply() is None:
        assert time.monotonic() < deadline, "the reply was not saved whole within 60 s"
        terminal.read(0.2)
    transcript = saved_reply()
    assert transcript is not None and "".join(tokens).strip() in transcript
    print(f"stream saved after {time.monotonic() - started:.1f} s")
    terminal.wait_for(typed.strip())  # every key arrived, in order, in the prompt
    pid = terminal.process.pid
    assert _proc_status(pid, "VmHWM") < 1024 * 1024  # peak RSS under 1 GiB (kB)
    terminal.read(2.0)  # the stream is over: within 2 s the app goes idle
    before = _cpu_seconds(pid)
    terminal.read(1.0)
    assert _cpu_seconds(pid) - before < 0.1  # under a tenth of a core
    assert foreign_escapes(bytes(terminal.raw)) == []
