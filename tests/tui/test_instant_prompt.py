"""The instant prompt: drawn as the command starts, it keeps what is typed until the app is up (#15)."""

import os
import subprocess
import sys
import termios
from pathlib import Path

import pyte
import pytest
from textual.color import Color
from textual.widgets import Footer, Header

from tests.fakes.llm_server import Reply
from tests.fakes.terminal import Terminal, app_environment
from tests.tui.helpers import messages_in, wait_for
from tui.app import ChatApp
from tui.config import Settings
from tui.instant_prompt import (
    CHAT_PLACEHOLDER,
    COLOURS,
    PANEL_PLACEHOLDER,
    InstantPrompt,
    placeholder_for,
)
from tui.typed_ahead import LineEditor, TypedAhead
from tui.widgets.prompt import PromptInput
from tui.widgets.status_line import StatusLine


def test_typing_backspace_and_new_lines():
    editor = LineEditor()
    editor.feed("héllo")
    editor.feed("\x7f\x7fp")
    editor.feed("\n")
    editor.feed("日本")
    assert (editor.text, editor.sent) == ("hélp\n日本", False)


def test_escape_sequences_and_control_keys_are_dropped_even_split_across_reads():
    editor = LineEditor()
    editor.feed("a\x1b[A\x1b[1;5")  # Up, and the start of Ctrl+Right
    editor.feed("Cb\x1bOPc\x10\x1bxd")  # its end, F1, Ctrl+P, Alt+x
    editor.feed("\x1b")  # Esc alone
    editor.feed("e")
    assert editor.text == "abcde"


def test_enter_sends_non_blank_text_and_leaves_the_keys_after_it():
    editor = LineEditor()
    editor.feed("   \r")
    assert not editor.sent  # blank: nothing to send
    editor.feed("hi\rmore\x1b[A")
    assert (editor.text, editor.sent, editor.after) == ("   hi", True, "more\x1b[A")


def test_pasted_line_breaks_are_new_lines_not_enter():
    editor = LineEditor()
    editor.feed("\x1b[200~one\rtwo\r\x1b[201~")
    assert (editor.text, editor.sent) == ("one\ntwo\n", False)
    editor.feed("\r")
    assert editor.sent


def test_ctrl_q_quits():
    editor = LineEditor()
    editor.feed("ab\x11c")
    assert editor.quit and editor.text == "ab"


def test_the_placeholder_is_the_panels_for_two_assistants_or_more():
    assert placeholder_for([]) == CHAT_PLACEHOLDER
    assert placeholder_for(["--model", "demo", "--tools", "x:y"]) == CHAT_PLACEHOLDER
    assert placeholder_for(["--model", "demo", "--agent=a:b"]) == PANEL_PLACEHOLDER


async def test_the_colours_are_the_apps(tmp_path):
    """The instant frame is drawn in the colours the app then draws in, so nothing flashes."""
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        prompt = screen.query_one(PromptInput)
        assert prompt.placeholder == CHAT_PLACEHOLDER
        actual = {
            "screen": screen.styles.background,
            "bar": screen.query_one(Footer).styles.background,
            "bar-text": screen.query_one(StatusLine).styles.color,
            "title": screen.query_one(Header).styles.color,
            "prompt": prompt.styles.background,
            "border": prompt.styles.border_top[1],
            "text": prompt.styles.color,
            "placeholder": prompt.get_component_rich_style("text-area--placeholder").color,
        }
        assert screen.query_one(Header).styles.background == actual["bar"]
        assert screen.query_one(StatusLine).styles.background == actual["bar"]
        bar = actual["bar"]
        for name, colour in actual.items():
            if isinstance(colour, Color):
                colour = bar + colour if colour.a < 1 else colour  # translucent text, on the bar
                assert COLOURS[name] == colour.hex.lower(), name
            else:  # a Rich colour
                assert COLOURS[name] == colour.triplet.hex.lower(), name


async def test_typed_ahead_text_goes_to_the_prompt_and_is_sent_if_enter_was_pressed(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md", typed_ahead=lambda: TypedAhead("hi"))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.screen.query_one(PromptInput).text == "hi"
    typed = TypedAhead("hello", sent=True, after="more")
    sent = ChatApp(Settings(tokens_per_second=0), tmp_path / "sent.md", typed_ahead=lambda: typed)
    async with sent.run_test() as pilot:
        await wait_for(lambda: len(messages_in(tmp_path / "sent.md")) >= 2, pilot)
        messages = messages_in(tmp_path / "sent.md")
        assert sent.screen.query_one(PromptInput).text == "more"
    assert messages[0].text == "hello" and "demo model" in messages[1].text


# ------------------------------------------------------------ the real command, on a pseudo-terminal


@pytest.fixture
def command(llm_server, tmp_path):
    terminals = []

    def start(*args: str) -> Terminal:
        env = app_environment(tmp_path, llm_server.openai_base_url)
        terminal = Terminal([sys.executable, "-m", "tui", *args], env, tmp_path)
        terminals.append(terminal)
        return terminal

    yield start
    for terminal in terminals:
        terminal.close()


def test_keys_typed_while_the_app_loads_are_shown_then_sent(command, llm_server, tmp_path):
    llm_server.script(Reply(tokens=["an ", "answer"]))
    terminal = command("--model", "openai:fake", "--max-retries", "0")
    terminal.wait_for("starting…")  # the instant prompt; the app draws no such line
    terminal.send("жи".encode())
    terminal.wait_for("▊ жи")
    terminal.send("\x7fщ".encode())
    terminal.wait_for("▊ жщ")
    terminal.send(b"\r")
    terminal.send(b"next")  # typed after Enter: stays in the app's prompt
    terminal.wait_for("an answer")
    terminal.wait_for("▊ next")
    assert llm_server.requests[0].body["messages"][-1] == {"role": "user", "content": "жщ"}


def test_a_bad_argument_is_readable_after_the_instant_prompt(command, tmp_path):
    terminal = command("--model", "nonsense:model")
    terminal.process.wait(timeout=60)
    terminal.read(0.3)
    assert terminal.process.returncode == 2
    raw = bytes(terminal.raw)
    assert b"\x1b[?1049h" in raw  # the prompt was up...
    after = raw[raw.rindex(b"\x1b[?1049l") :]  # ...and the error is written on the normal screen
    assert b"miniagents-tui:" in after and b"nonsense" in after


def test_ctrl_q_while_loading_quits_and_restores_the_terminal(command):
    terminal = command("--model", "demo")
    before = termios.tcgetattr(terminal.master)
    terminal.wait_for("starting…")
    terminal.send(b"x\x11")
    assert terminal.process.wait(timeout=60) == 0
    terminal.read(0.2)
    assert termios.tcgetattr(terminal.master) == before
    assert bytes(terminal.raw).endswith(b"\x1b[?1049l") or b"\x1b[?1049l" in bytes(terminal.raw[-200:])


def test_no_instant_prompt_without_a_terminal(tmp_path):
    """Piped, the command draws nothing: `--help` and errors stay plain text."""
    done = subprocess.run(
        [sys.executable, "-m", "tui", "--model", "nonsense:model"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MINIAGENTS_TRANSCRIPTS_DIR": str(tmp_path / "t")},
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("miniagents-tui:") and "\x1b" not in done.stderr
    assert InstantPrompt.open(["--help"]) is None


def test_the_instant_frame_fits_any_size():
    """Drawn into an emulated terminal of a few sizes: the prompt's frame sits on the bottom lines."""
    for columns, lines in ((120, 40), (30, 8), (20, 3)):
        master, slave = os.openpty()
        try:
            _set_size(slave, columns, lines)
            prompt = InstantPrompt(slave, slave, CHAT_PLACEHOLDER, truecolor=True)
            screen = pyte.Screen(columns, lines)
            pyte.ByteStream(screen).feed(prompt.frame().encode())
            shown = screen.display
            assert shown[-3].startswith("▊ " + CHAT_PLACEHOLDER[: columns - 4])
            assert shown[-3].endswith("▎") and shown[-2].startswith("▊▁")
        finally:
            os.close(master)
            os.close(slave)


def _set_size(fd: int, columns: int, lines: int) -> None:
    import fcntl
    import struct

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))


def test_the_command_starts_with_the_instant_prompt():
    """The installed command's entry point is the launcher (the app's imports come after the prompt)."""
    script = Path(sys.executable).parent / "miniagents-tui"
    assert "from tui.launch import main" in script.read_text()
