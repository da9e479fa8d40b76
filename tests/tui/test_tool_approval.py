"""Asking before a tool runs: the dialog, allow once / for the session / deny, and what is saved."""

import pytest

from miniagents.transcript_format import render_heading
from tests.tui.helpers import chat_screen, messages_in, send, wait_for
from tui.app import ChatApp
from tui.config import Settings
from tui.screens.chat import ChatScreen
from tui.screens.dialogs import ApprovalDialog
from tui.widgets.tool_message import ToolMessage

TOOLS = "tests.tui.chat_tools:tools"


def _app(tmp_path, **settings):
    options = {"tokens_per_second": 0, "tools": [TOOLS], "confirm_tools": True, **settings}
    return ChatApp(Settings(**options), tmp_path / "chat.md")


async def _dialog(app, pilot) -> ApprovalDialog:
    await wait_for(lambda: isinstance(app.screen, ApprovalDialog) and app.screen.has_class("armed"), pilot)
    assert isinstance(app.screen, ApprovalDialog)
    return app.screen


def _titles(app) -> list[str]:
    return [block.title_text() for block in chat_screen(app).query(ToolMessage)]


async def _idle(app, pilot) -> None:
    await wait_for(lambda: isinstance(app.screen, ChatScreen) and not app.screen.streaming, pilot)


async def test_a_call_waits_for_approval_and_runs_once_allowed(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, "weather in Paris?")
        dialog = await _dialog(app, pilot)
        shown = " ".join(str(widget.render()) for widget in dialog.query("Static"))
        assert "demo wants to call weather (your tools)" in shown and '"city": "Paris"' in shown
        assert _titles(app) == ['⚙ weather({"city": "Paris"}) · waiting for your approval…']
        await pilot.press("y")
        await _idle(app, pilot)
        await wait_for(lambda: _titles(app)[0].startswith('⚙ weather({"city": "Paris"}) · done'), pilot)
        await send(pilot, "weather in Rome?")  # allowed once only: it asks again
        await _dialog(app, pilot)
        await pilot.press("y")
        await _idle(app, pilot)
    result = messages_in(tmp_path / "chat.md")[2]
    assert (result.text, result.approval) == ("18°C and sunny in Paris", "allowed")
    assert render_heading(result.model_dump()) == "### Tool · weather (allowed)"


async def test_denied_calls_tell_the_model_and_are_saved_as_denied(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, "weather in Paris?")
        await _dialog(app, pilot)
        await pilot.press("n")
        await _idle(app, pilot)
        assert _titles(app) == ['⚙ weather({"city": "Paris"}) · denied']
        (block,) = chat_screen(app).query(ToolMessage)
        assert block.has_class("-denied") and block.text == "the user did not allow this call"
        await send(pilot, "weather in Rome?")
        await _dialog(app, pilot)
        await pilot.press("escape")  # Esc in the dialog denies too
        await _idle(app, pilot)
    path = tmp_path / "chat.md"
    denied = [m for m in messages_in(path) if getattr(m, "approval", None) == "denied"]
    assert [(m.is_error, render_heading(m.model_dump())) for m in denied] == [
        (True, "### Tool · weather (denied)")
    ] * 2
    assert "**weather** failed: the user did not allow this call" in messages_in(path)[3].text


async def test_allow_for_the_session_stops_asking_about_that_tool_only(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, "weather in Paris?")
        await _dialog(app, pilot)
        await pilot.press("a")
        await _idle(app, pilot)
        await send(pilot, "weather in Rome?")  # no question this time
        await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) == 8, pilot)
        await send(pilot, "the station list for Oslo")  # another tool asks
        await _dialog(app, pilot)
        await pilot.press("y")
        await _idle(app, pilot)
    assert [m.approval for m in messages_in(tmp_path / "chat.md") if m.role == "tool"] == ["allowed"] * 3


async def test_keys_typed_as_the_dialog_appears_do_not_answer_it(tmp_path, monkeypatch):
    monkeypatch.setattr(ApprovalDialog, "ARMING_SECONDS", 600)  # never armed in this test
    app = _app(tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, "weather in Paris?")
        await wait_for(lambda: isinstance(app.screen, ApprovalDialog), pilot)
        for key in ("y", "a", "n", "tab", "enter", "space", "tab", "enter"):
            await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ApprovalDialog)  # still asking
        await pilot.click("#once")  # a click is deliberate
        await _idle(app, pilot)
        await wait_for(lambda: "done" in _titles(app)[0], pilot)


async def test_stopping_the_reply_while_the_dialog_is_open_closes_it(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, "weather in Paris?")
        await _dialog(app, pilot)
        chat_screen(app).action_cancel_reply()
        await wait_for(lambda: isinstance(app.screen, ChatScreen) and not app.screen.streaming, pilot)
        await wait_for(lambda: _titles(app) == ['⚙ weather({"city": "Paris"}) · stopped'], pilot)
        await send(pilot, "hello")  # the chat goes on
        await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) >= 5, pilot)


@pytest.mark.parametrize("settings", [{"confirm_tools": False}, {"allow_all_tools": True}])
async def test_your_own_tools_run_without_asking_unless_told(tmp_path, settings):
    app = _app(tmp_path, **settings)
    async with app.run_test(size=(110, 40)) as pilot:
        await send(pilot, "weather in Paris?")
        await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) == 4, pilot)
        assert not isinstance(app.screen, ApprovalDialog)
    assert not hasattr(messages_in(tmp_path / "chat.md")[2], "approval")
