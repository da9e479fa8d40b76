"""Snapshot tests of the app's screens (pytest-textual-snapshot), with the offline demo model.

Each test pins the terminal size, runs in a temporary folder (so paths in the header are stable)
and, where timing would show, pins the status line. The docstring says what the SVG must show.

`snap_compare` runs the app on an event loop of its own, in asyncio's debug mode under `python -X
dev` (as CI runs the tests). There, the idle app uses enough CPU that every `pilot.press` waits the
whole second Textual's `wait_for_idle` allows (a snapshot test took 35-40 s instead of 4 s), so
`_snap` turns debug mode off first, as `tests/tui/conftest.py` does for the other app tests.
"""

import asyncio
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable, Input

from miniagents import Message
from miniagents.ext.llm.demo import demo_agent
from miniagents.transcript_format import render_transcript
from tests.tui.helpers import wait_for
from tui.app import ChatApp
from tui.config import Settings
from tui.widgets.chat_log import ChatLog
from tui.widgets.message_views import AssistantMessage
from tui.widgets.status_line import StatusLine
from tui.widgets.tool_message import ToolMessage

SIZE = (100, 34)
STATUS = ("demo (offline model)", "status pinned for the snapshot")


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "transcripts").mkdir()
    return tmp_path


def _snap(snap_compare, app, run_before=None, **options):
    """`snap_compare(app, ...)` with `run_before` (if any) run after asyncio's debug mode is off."""

    async def quiet_run_before(pilot):
        asyncio.get_running_loop().set_debug(False)
        if run_before is not None:
            await run_before(pilot)

    return snap_compare(app, run_before=quiet_run_before, **options)


def _app(name="chat.md"):
    return ChatApp(Settings(tokens_per_second=0), Path("transcripts") / name)


async def _send_and_wait(pilot, text, replies=1):
    app = pilot.app
    for character in text:
        await pilot.press("space" if character == " " else character)
    await pilot.press("enter")
    await wait_for(
        lambda: len(app.screen.query(AssistantMessage)) == replies and not app.screen.streaming, pilot
    )
    await pilot.pause(0.2)
    app.screen.query_one(".reply-status", StatusLine).show(*STATUS)
    await pilot.pause()


def test_empty_chat(snap_compare, in_tmp):
    """An empty chat: header with the model and the transcript path, the status line naming the demo model
    and how to get a real one, the focused prompt, and the footer with the chat's keys."""
    assert _snap(snap_compare, _app(), terminal_size=SIZE)


def test_conversation_with_a_code_block(snap_compare, in_tmp):
    """One exchange: the user's message on the right, the demo reply rendered as Markdown with a list and a
    highlighted code block."""

    async def run_before(pilot):
        await _send_and_wait(pilot, "show me some code")

    assert _snap(snap_compare, _app(), terminal_size=SIZE, run_before=run_before)


def test_error_message(snap_compare, in_tmp):
    """A reply that broke off after five tokens: the partial text, the "incomplete" marker and the error
    in red."""

    async def run_before(pilot):
        pilot.app.session.agent = demo_agent.fork(alias="demo", tokens_per_second=0, fail_after_tokens=5)
        await _send_and_wait(pilot, "this will fail")

    assert _snap(snap_compare, _app(), terminal_size=SIZE, run_before=run_before)


def test_interrupted_reply(snap_compare, in_tmp):
    """A reopened conversation whose last reply was interrupted: its partial text and the "interrupted"
    marker."""
    messages = [
        Message(text="Tell me a long story", role="user"),
        Message(
            text="Once upon a time, in a terminal far", role="assistant", agent="demo", status="interrupted"
        ),
    ]
    Path("transcripts/story.md").write_text(
        render_transcript({"title": "Story", "created": "2026-11-27"}, messages)
    )

    async def run_before(pilot):
        await wait_for(lambda: len(pilot.app.screen.query(AssistantMessage)) == 1, pilot)
        await pilot.pause(0.2)

    assert _snap(snap_compare, _app("story.md"), terminal_size=SIZE, run_before=run_before)


def test_tool_blocks_in_a_reopened_chat(snap_compare, in_tmp):
    """A reopened chat with tools: the model's round titled with its three calls, then a block per
    call: done (the weather), error in red (the broken gauge, its error as the result), stopped (a
    storyteller cut off, marked interrupted) and a long list collapsed to 12 lines with "… N more
    lines (Enter)"; then the model's answer, and a notice naming the four tools, not loaded now."""
    calls = [
        {"id": "c1", "name": "weather", "arguments": {"city": "Paris"}},
        {"id": "c2", "name": "broken_gauge", "arguments": {"city": "Oslo"}},
        {"id": "c3", "name": "storyteller", "arguments": {"topic": "a fox"}},
        {"id": "c4", "name": "station_list", "arguments": {"city": "Rome"}},
    ]
    tool = {"role": "tool", "is_error": False}
    messages = [
        Message(text="Check everything", role="user"),
        Message(text="", role="assistant", agent="demo", tool_calls=calls),
        Message(text="18°C and sunny in Paris", **tool, tool_call_id="c1", tool_name="weather"),
        Message(
            text="RuntimeError: the gauge in Oslo is broken",
            **{**tool, "is_error": True},
            tool_call_id="c2",
            tool_name="broken_gauge",
        ),
        Message(
            text="Once upon a time a fox",
            **tool,
            tool_call_id="c3",
            tool_name="storyteller",
            status="interrupted",
        ),
        Message(
            text="\n".join(f"- station {number} in Rome" for number in range(30)),
            **tool,
            tool_call_id="c4",
            tool_name="station_list",
        ),
        Message(text="All checked.", role="assistant", agent="demo"),
    ]
    Path("transcripts/tools.md").write_text(
        render_transcript({"title": "Tools", "created": "2026-12-01"}, messages)
    )

    async def run_before(pilot):
        await wait_for(lambda: len(pilot.app.screen.query(ToolMessage)) == 4, pilot)
        await wait_for(lambda: pilot.app.screen.query(ToolMessage).last().has_class("-long"), pilot)

        def told() -> bool:
            return any(
                "not loaded now" in str(notice.render()) for notice in pilot.app.screen.query(".notice")
            )

        await wait_for(told, pilot)
        pilot.app.screen.query_one(ChatLog).scroll_home(animate=False)
        await pilot.pause(0.2)

    assert _snap(snap_compare, _app("tools.md"), terminal_size=(100, 50), run_before=run_before)


def test_a_tool_call_waiting_for_approval(snap_compare, in_tmp, monkeypatch):
    """A call that asks first: behind the dialog, the round titled with its call and the tool's block
    "waiting for your approval…" in the warning colour; the dialog names the model (demo), the tool
    and where it comes from, its description, its arguments as JSON, and Deny (n), Allow for this
    session (a) and Allow once (y)."""
    settings = Settings(tokens_per_second=0, tools=["tests.tui.chat_tools:tools"], confirm_tools=True)
    app = ChatApp(settings, Path("transcripts") / "asking.md")

    async def run_before(pilot):
        for character in "weather in Paris?":
            await pilot.press("space" if character == " " else character)
        await pilot.press("enter")
        await wait_for(lambda: pilot.app.screen.has_class("armed"), pilot)
        chat = pilot.app.screen_stack[-2]
        await wait_for(lambda: "waiting" in chat.query_one(ToolMessage).title_text(), pilot)
        # the reply is still going: nothing may change the status line pinned below (in CI, something
        # did between the pin and the screenshot)
        monkeypatch.setattr(chat.conversation, "set_status", lambda *parts: None)
        chat.query_one(".reply-status", StatusLine).show(*STATUS)
        await pilot.pause(0.2)

    assert _snap(snap_compare, app, terminal_size=SIZE, run_before=run_before)


def test_transcripts_browser(snap_compare, in_tmp):
    """The transcripts browser: search box, a table of two conversations (newest first) with title, date,
    models and message count, a summary line and the browser's keys in the footer."""
    import os

    for index, title in enumerate(["Rust questions", "Cooking"]):
        path = Path(f"transcripts/{index}.md")
        texts = [Message(text="q", role="user"), Message(text="a", role="assistant", model="demo")]
        path.write_text(render_transcript({"title": title, "created": "2026"}, texts))
        stamp = 1_800_000_000 + index * 3600
        os.utime(path, (stamp, stamp))

    async def run_before(pilot):
        await pilot.press("ctrl+t")
        await wait_for(lambda: pilot.app.screen.__class__.__name__ == "TranscriptsScreen", pilot)
        await wait_for(lambda: pilot.app.screen.query_one(DataTable).row_count == 2, pilot)
        await pilot.pause(0.2)

    assert _snap(snap_compare, _app(), terminal_size=SIZE, run_before=run_before)


def test_command_palette(snap_compare, in_tmp):
    """The command palette filtered to "re": the chat's own commands (Regenerate reply, ...) are listed."""

    async def run_before(pilot):
        await pilot.press("ctrl+p")
        palette = await wait_for(lambda: _open_palette(pilot.app), pilot)
        # A blinking cursor is drawn or not depending on when the screenshot falls: on a loaded
        # machine that changed the snapshot. A steady cursor keeps it the same.
        palette.query_one(Input).cursor_blink = False
        for key in "re":
            await pilot.press(key)
        commands = palette.query_one(CommandList)
        await wait_for(lambda: commands.option_count == 5 and not commands.has_class("--populating"), pilot)
        await pilot.pause(0.2)

    assert _snap(snap_compare, _app(), terminal_size=SIZE, run_before=run_before)


def _open_palette(app):
    return app.screen if isinstance(app.screen, CommandPalette) else None


def _panel_app(*names):
    agents = [f"tests.tui.panel_agents:{name}" for name in names]
    return ChatApp(Settings(tokens_per_second=0, agents=agents), Path("transcripts") / "panel.md")


def _pin_pane_statuses(app):
    for pane in app.screen.query("AgentPane"):
        pane.view.set_status("pane status pinned for the snapshot")


def test_panel_with_two_panes(snap_compare, in_tmp):
    """Two panes side by side (alpha, beta) under one prompt: the same user message in both, each pane's
    own Markdown reply and status line, alpha's pane picked as the winner (double green border)."""

    async def run_before(pilot):
        await _send_and_wait_panel(pilot, "compare these")
        pilot.app.screen.query("AgentPane").first().focus()
        await pilot.press("w")
        await pilot.pause(0.3)
        _pin_pane_statuses(pilot.app)
        pilot.app.screen.query_one("PromptInput").focus()
        await pilot.pause()

    assert _snap(snap_compare, _panel_app("alpha", "beta"), terminal_size=(110, 30), run_before=run_before)


def test_panel_with_three_panes_one_failing(snap_compare, in_tmp):
    """Three panes: alpha and beta complete; the failing one shows its partial text, the incomplete marker and
    the error, while the others are unaffected."""

    async def run_before(pilot):
        await _send_and_wait_panel(pilot, "go")
        _pin_pane_statuses(pilot.app)
        await pilot.pause()

    assert _snap(
        snap_compare, _panel_app("alpha", "failing", "beta"), terminal_size=(130, 30), run_before=run_before
    )


async def _send_and_wait_panel(pilot, text):
    app = pilot.app
    for character in text:
        await pilot.press("space" if character == " " else character)
    await pilot.press("enter")
    await wait_for(lambda: not app.screen.busy and len(app.screen.query(AssistantMessage)) >= 2, pilot)
    await pilot.pause(0.3)
