"""Tools in the chat: `--tools`, the blocks that show each call while it runs, and the transcript."""

import re
from contextlib import asynccontextmanager

import pytest
from textual.command import CommandList, CommandPalette

from tests.tui import chat_tools
from tests.tui.helpers import messages_in, send, wait_for
from tui.app import ChatApp
from tui.cli import run
from tui.config import Settings
from tui.screens.chat import ChatScreen
from tui.widgets.prompt import PromptInput
from tui.widgets.status_line import StatusLine
from tui.widgets.tool_message import ToolMessage


def _titles(app) -> list[str]:
    return [block.title_text() for block in app.screen.query(ToolMessage)]


async def test_a_function_tool_is_called_and_shown_with_its_arguments_and_result(tmp_path):
    path = tmp_path / "chat.md"
    settings = Settings(tokens_per_second=0, tools=["tests.tui.chat_tools:tools"])
    app = ChatApp(settings, path)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, "weather in Paris?")
        await wait_for(lambda: len(messages_in(path)) == 4, pilot)  # prompt, call, result, answer
        (block,) = app.screen.query(ToolMessage)
        await wait_for(
            lambda: block.title_text().startswith('⚙ weather({"city": "Paris"}) · done in '), pilot
        )
        assert block.text == "18°C and sunny in Paris"
        assert "calls weather" in str(app.screen.query(".title").first().render())
    assert [message.role for message in messages_in(path)] == ["user", "assistant", "tool", "assistant"]

    reopened = ChatApp(Settings(tokens_per_second=0), path)  # without --tools: the chat still opens
    async with reopened.run_test(size=(110, 40)) as pilot:
        await wait_for(lambda: len(reopened.screen.query(ToolMessage)) == 1, pilot)
        assert _titles(reopened) == ['⚙ weather({"city": "Paris"}) · done']

        def told() -> bool:
            return any(
                "called weather, not loaded now" in str(n.render()) for n in reopened.screen.query(".notice")
            )

        await wait_for(told, pilot)
        await send(pilot, "and in Rome?")  # it goes on without the tool
        await wait_for(lambda: len(messages_in(path)) == 6, pilot)


async def test_a_tool_that_raises_is_shown_as_an_error_and_the_chat_goes_on(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0, tools=["tests.tui.chat_tools:tools"]), path)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, "is the broken gauge in Oslo fine?")
        await wait_for(lambda: any("error" in title for title in _titles(app)), pilot)
        (block,) = app.screen.query(ToolMessage)
        assert block.has_class("-error")
        assert "RuntimeError: the gauge in Oslo is broken" in block.text
        await wait_for(lambda: isinstance(app.screen, ChatScreen) and not app.screen.streaming, pilot)
        await send(pilot, "weather in Rome?")
        await wait_for(lambda: len(app.screen.query(ToolMessage)) == 2, pilot)


async def test_a_tool_that_never_returns_is_stopped_at_the_tool_timeout(tmp_path):
    path = tmp_path / "chat.md"
    settings = Settings(tokens_per_second=0, tools=["tests.tui.chat_tools:tools"], tool_timeout=0.3)
    app = ChatApp(settings, path)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, "read the stuck sensor in Oslo")
        await wait_for(lambda: len(messages_in(path)) == 4, pilot)
        (block,) = app.screen.query(ToolMessage)
        await wait_for(lambda: block.title_text() == '⚙ stuck_sensor({"city": "Oslo"}) · error', pilot)
        assert block.text == "ToolTimeoutError: 'stuck_sensor' took longer than 0.3 s, so it was stopped"


@asynccontextmanager
async def _one_tool_call(path, tools: str, question: str):
    """A chat with `tools` that was asked `question` and has answered with one tool call: the pilot
    and the call's block."""
    app = ChatApp(Settings(tokens_per_second=0, tools=[tools]), path)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, question)
        await wait_for(lambda: len(messages_in(path)) == 4, pilot)
        (block,) = app.screen.query(ToolMessage)
        yield pilot, block


async def test_a_long_result_shows_its_first_lines_until_enter_opens_it(tmp_path):
    path = tmp_path / "chat.md"
    tools, question = "tests.tui.chat_tools:tools", "the station list for Oslo"
    async with _one_tool_call(path, tools, question) as (pilot, block):
        more = block.query_one(".more")
        await wait_for(lambda: "more lines (Enter)" in str(more.render()), pilot)
        hidden = block.body.line_count - ToolMessage.SHOWN_LINES
        assert hidden >= 40 - ToolMessage.SHOWN_LINES and f"… {hidden} more lines" in str(more.render())
        assert block.body.size.height == ToolMessage.SHOWN_LINES
        block.focus()
        await pilot.press("enter")
        await wait_for(lambda: block.body.size.height == block.body.line_count, pilot)
        assert "show less" in str(more.render())
        await pilot.press("enter")
        await wait_for(lambda: block.body.size.height == ToolMessage.SHOWN_LINES, pilot)
        assert messages_in(path)[2].text.count("station") == 40  # the transcript keeps it all


async def test_an_agent_tool_streams_inside_its_block_and_esc_stops_it(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0, tools=["tests.tui.chat_tools:narrator"]), path)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, "the narrator on foxes")
        await wait_for(lambda: bool(app.screen.query(ToolMessage)), pilot)
        block = app.screen.query_one(ToolMessage)
        chat_tools.NARRATOR_LINES.put_nowait("Once upon a time ")
        await wait_for(lambda: block.text == "Once upon a time ", pilot)
        assert "· running" in block.title_text()  # its text shows while it is written
        await wait_for(lambda: re.search(r"· running \d+ s…$", block.title_text()), pilot)  # for how long
        chat_tools.NARRATOR_LINES.put_nowait("a fox ")
        await wait_for(lambda: block.text == "Once upon a time a fox ", pilot)
        await pilot.press("escape")
        await wait_for(lambda: block.title_text().endswith("· stopped"), pilot)
        await wait_for(lambda: len(messages_in(path)) == 3, pilot)
    saved = messages_in(path)[-1]
    assert saved.role == "tool" and saved.status == "interrupted" and saved.text == "Once upon a time a fox "


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("tests.tui.chat_tools", "give it as package.module:tool_name"),
        ("tests.tui.no_such_module:tools", "cannot import 'tests.tui.no_such_module'"),
        ("tests.tui.chat_tools:missing", "'tests.tui.chat_tools' has no 'missing'"),
        ("tests.tui.chat_tools:not_a_tool", "--tools 'tests.tui.chat_tools:not_a_tool': "),
    ],
)
def test_a_bad_tools_option_exits_with_one_line_saying_what_to_give(spec, said, capsys, tmp_path):
    assert run(["--tools", spec, "--transcripts-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert said in error and error.count("\n") == 1


async def test_the_status_line_and_the_command_palette_name_the_tools(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0, tools=["tests.tui.chat_tools:tools"]), tmp_path / "chat.md")
    async with app.run_test(size=(130, 40)) as pilot:
        status = app.screen.query_one(".reply-status", StatusLine)
        assert "4 tools from tests.tui.chat_tools:tools" in status.parts
        await pilot.press("ctrl+p")
        palette = await wait_for(
            lambda: app.screen if isinstance(app.screen, CommandPalette) else None, pilot
        )
        for key in "weather":
            await pilot.press(key)
        commands = palette.query_one(CommandList)
        await wait_for(lambda: commands.option_count and not commands.has_class("--populating"), pilot)
        shown = [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]
        assert any("Tool: weather" in prompt for prompt in shown), shown


async def test_a_megabyte_result_is_drawn_only_in_part_and_kept_whole(tmp_path):
    path = tmp_path / "chat.md"
    tools, question = "tests.tui.chat_tools:firehose", "the firehose for Oslo"
    async with _one_tool_call(path, tools, question) as (pilot, block):
        more = block.query_one(".more")
        await wait_for(lambda: "the first 20,000 of" in str(more.render()), pilot)
        assert len(block.text) > 1_000_000  # copied whole; drawn in part
        assert len(block.body.source) < 40_000  # the first 20,000 characters (controls drawn as symbols)
        await pilot.press("x")  # the app still answers keys at once
        await wait_for(lambda: pilot.app.screen.query_one("#prompt", PromptInput).text == "x", pilot)
    result = messages_in(path)[2]
    assert len(result.text) > 1_000_000 and "\x1b[31m[bold]not markup" in result.text
    assert len(messages_in(path)[3].text) < 2_000  # the demo model quotes a result, shortened
