"""The chat screen, driven the way a person uses it (Textual pilot), with the offline demo model."""

import asyncio
import subprocess
import sys
from typing import Any

from miniagents.ext.llm.demo import demo_reply_text
from miniagents.transcript_format import read_transcript_file
from tui.app import ChatApp
from tui.config import Settings
from tui.widgets.chat_log import AssistantMessage, UserMessage
from tui.widgets.prompt import PromptInput


async def _wait_for(condition, pilot, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await pilot.pause(0.02)


def _messages(path):
    parsed = read_transcript_file(path)
    return [] if parsed is None else parsed.messages


def _plain(widget) -> str:
    """The text a Static widget shows."""
    rendered: Any = widget.render()
    return rendered.plain


async def _type(pilot, text):
    for character in text:
        await pilot.press("space" if character == " " else character)


async def test_prompt_has_focus_and_a_reply_streams_and_is_saved(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0), path)
    async with app.run_test(size=(100, 40)) as pilot:
        assert isinstance(app.focused, PromptInput)
        await _type(pilot, "hello there")
        await pilot.press("enter")
        await _wait_for(lambda: len(_messages(path)) == 2, pilot)
        assert app.screen.query_one(PromptInput).text == ""
        assert [_plain(w) for w in app.screen.query(UserMessage)] == ["hello there"]
        (reply,) = app.screen.query(AssistantMessage)
        assert reply.text == demo_reply_text("hello there")
    user, assistant = _messages(path)
    assert (user.role, user.text) == ("user", "hello there")
    assert (assistant.role, assistant.text, assistant.model) == (
        "assistant",
        demo_reply_text("hello there"),
        "demo",
    )


async def test_ctrl_j_inserts_a_newline_instead_of_sending(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await _type(pilot, "line1")
        await pilot.press("ctrl+j")
        await _type(pilot, "line2")
        assert app.screen.query_one(PromptInput).text == "line1\nline2"
        assert not app.screen.query(UserMessage)


async def test_escape_interrupts_the_reply_and_keeps_it_marked(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=30), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await _type(pilot, "go")
        await pilot.press("enter")
        await _wait_for(
            lambda: bool(app.screen.query(AssistantMessage)) and app.screen.query(AssistantMessage)[0].text,
            pilot,
        )
        await pilot.press("escape")
        await _wait_for(lambda: len(_messages(path)) == 2, pilot)
        reply = app.screen.query(AssistantMessage)[0]
        assert "interrupted" in " ".join(_plain(w) for w in reply.query(".status"))
    assistant = _messages(path)[1]
    assert assistant.status == "interrupted"
    assert 0 < len(assistant.text) < len(demo_reply_text("go"))


async def test_markup_in_user_text_is_shown_literally(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await _type(pilot, "[bold]x[/] [@click=app.quit]")
        await pilot.press("enter")
        await _wait_for(lambda: bool(app.screen.query(AssistantMessage)), pilot)
        assert _plain(app.screen.query_one(UserMessage)) == "[bold]x[/] [@click=app.quit]"
        assert app.is_running


async def test_resume_shows_the_conversation_and_continues_the_same_file(tmp_path):
    path = tmp_path / "chat.md"
    first = ChatApp(Settings(tokens_per_second=0), path)
    async with first.run_test(size=(100, 40)) as pilot:
        await _type(pilot, "one")
        await pilot.press("enter")
        await _wait_for(lambda: len(_messages(path)) == 2, pilot)
    second = ChatApp(Settings(tokens_per_second=0), path)
    async with second.run_test(size=(100, 40)) as pilot:
        await _wait_for(lambda: len(second.screen.query(AssistantMessage)) == 1, pilot)
        await _type(pilot, "two")
        await pilot.press("enter")
        await _wait_for(lambda: len(_messages(path)) == 4, pilot)
    assert [m.text for m in _messages(path)][::2] == ["one", "two"]


def test_resume_refuses_an_unreadable_file_with_one_line_and_leaves_it(tmp_path):
    junk = tmp_path / "junk.md"
    junk.write_bytes(b"\x00\xffnot a transcript")
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--resume", str(junk)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot resume" in result.stderr
    assert junk.read_bytes() == b"\x00\xffnot a transcript"


def test_unknown_model_is_refused_with_what_to_do():
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--model", "nonsense"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "openai:<model>" in result.stderr


async def test_quitting_mid_stream_saves_the_partial_reply_marked_interrupted(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=30), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await _type(pilot, "go")
        await pilot.press("enter")
        await _wait_for(
            lambda: bool(app.screen.query(AssistantMessage)) and app.screen.query(AssistantMessage)[0].text,
            pilot,
        )
        await pilot.press("ctrl+q")
    user, assistant = _messages(path)
    assert user.text == "go"
    assert assistant.status == "interrupted"
    assert 0 < len(assistant.text) < len(demo_reply_text("go"))
