"""R2/R3/R4 as a user meets them in the app: retries shown, errors literal and actionable, history intact."""

import pytest

from tests.fakes.llm_server import Fail, Reply, Status
from tests.tui.helpers import messages_in, type_text, wait_for
from tui.app import ChatApp
from tui.config import Settings
from tui.widgets.prompt import PromptInput
from tui.widgets.status_line import StatusLine

pytestmark = pytest.mark.usefixtures("no_asyncio_debug")  # the whole app runs: see tests/tui/conftest.py


async def test_transient_errors_show_retrying_then_a_clear_error_and_resending_works(
    tmp_path, llm_server, monkeypatch
):
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    llm_server.script(*[Status(503, message="overloaded", headers={"retry-after": "0.4"})] * 3)
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(models=["openai:m"], max_retries=2), path)
    shown: list[str] = []  # every status shown, so that a short-lived one is not missed under load
    show = StatusLine.show

    def record(line: StatusLine, *parts: str) -> None:
        shown.append(" · ".join(parts))
        show(line, *parts)

    monkeypatch.setattr(StatusLine, "show", record)
    async with app.run_test(size=(110, 30)) as pilot:
        await type_text(pilot, "first")
        await pilot.press("enter")
        await wait_for(lambda: any("retrying in 0.4 s (attempt 2 of 3)" in status for status in shown), pilot)
        await type_text(pilot, "typing still works")  # the UI stays responsive while it waits
        assert app.screen.query_one(PromptInput).text == "typing still works"
        await wait_for(lambda: bool(app.screen.query(".error")), pilot)
        error = " ".join(str(w.render()) for w in app.screen.query(".error"))
        assert "OpenAI: 503 server error: overloaded" in error
        assert len(llm_server.requests) == 3
        app.screen.query_one(PromptInput).clear()
        llm_server.script(Reply(tokens=["recovered"]))
        await type_text(pilot, "again")
        await pilot.press("enter")
        await wait_for(lambda: any(m.text == "recovered" for m in messages_in(path)), pilot)
    texts = [(m.role, m.text) for m in messages_in(path)]
    assert texts[0] == ("user", "first") and texts[-2:] == [("user", "again"), ("assistant", "recovered")]


async def test_error_bodies_with_markup_are_shown_literally(tmp_path, llm_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    llm_server.script(Status(400, message="[bold]boom[/] [@click=app.quit] :smile: $var"))
    app = ChatApp(Settings(models=["openai:m"], max_retries=0), tmp_path / "chat.md")
    async with app.run_test(size=(110, 30)) as pilot:
        await type_text(pilot, "hi")
        await pilot.press("enter")
        await wait_for(lambda: bool(app.screen.query(".error")), pilot)
        error = " ".join(str(w.render()) for w in app.screen.query(".error"))
        assert "[bold]boom[/] [@click=app.quit] :smile: $var" in error
        assert app.is_running


async def test_a_server_that_never_answers_is_named_with_the_setting_to_change(
    tmp_path, llm_server, monkeypatch
):
    """#12.14: the host that did not answer, after how long, and the option that sets the wait."""
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    llm_server.script(Fail("stall", tokens_before=[], stall_seconds=30))
    app = ChatApp(Settings(models=["openai:m"], max_retries=0, idle_timeout=0.5), tmp_path / "chat.md")
    async with app.run_test(size=(110, 30)) as pilot:
        await type_text(pilot, "hi")
        await pilot.press("enter")
        await wait_for(lambda: bool(app.screen.query(".error")), pilot)
        error = " ".join(str(w.render()) for w in app.screen.query(".error"))
    host = f"127.0.0.1:{llm_server.port}"
    assert f"no answer from {host} after 0.5 s (wait longer with --idle-timeout SECONDS)" in error
    assert "broke off" not in error
