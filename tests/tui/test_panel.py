"""The panel view: one prompt to several assistants streaming side by side (pilot tests)."""

import subprocess
import sys

import pytest
from textual.widgets import Input, Static

from miniagents import Message
from miniagents.transcript_format import read_transcript_file
from tests.fakes.llm_server import Reply
from tests.tui.helpers import messages_in, record_notifications, send, type_text, wait_for
from tui.agent_loader import AgentLoadError, load_agent
from tui.app import ChatApp
from tui.config import Settings
from tui.conversation import pane_context
from tui.screens.chat import ChatScreen
from tui.screens.dialogs import InputDialog
from tui.screens.panel import PanelScreen
from tui.widgets.agent_pane import AgentPane
from tui.widgets.message_views import AssistantMessage, UserMessage
from tui.widgets.prompt import PromptInput
from tui.widgets.status_line import StatusLine

AGENTS = "tests.tui.panel_agents:"


def _app(tmp_path, *names, models=()):
    settings = Settings(tokens_per_second=0, models=list(models), agents=[AGENTS + n for n in names])
    return ChatApp(settings, tmp_path / "panel.md")


def _busy(app) -> bool:
    screen = app.screen
    assert isinstance(screen, PanelScreen)
    return screen.busy


def _pane_texts(app, index):
    pane = app.screen.query(AgentPane)[index]
    return [block.text for block in pane.query(AssistantMessage)]


async def test_three_panes_answer_the_same_prompt_in_parallel(tmp_path):
    app = _app(tmp_path, "alpha", "beta", models=["demo"])
    async with app.run_test(size=(150, 40)) as pilot:
        assert isinstance(app.screen, PanelScreen)
        await send(pilot, "hello all")
        await wait_for(lambda: len(messages_in(tmp_path / "panel.md")) == 4, pilot)
        await wait_for(lambda: not _busy(app), pilot)
        assert _pane_texts(app, 1) == ["Alpha says: **one**, two, three."]
        assert _pane_texts(app, 2) == ["Beta answers:\n\n- a list\n- of things"]
        assert all(len(pane.query(UserMessage)) == 1 for pane in app.screen.query(AgentPane))
        statuses = [
            str(pane.query_one(".reply-status", StatusLine).render()) for pane in app.screen.query(AgentPane)
        ]
        assert all("tok/s · " in status and "tokens" in status for status in statuses)
    user, *replies = messages_in(tmp_path / "panel.md")
    assert user.text == "hello all"
    assert sorted(m.branch for m in replies) == [0, 1, 2]
    parsed = read_transcript_file(tmp_path / "panel.md")
    assert parsed is not None and [p["spec"] for p in parsed.fields["panel"]] == [
        "demo",
        AGENTS + "alpha",
        AGENTS + "beta",
    ]


async def test_panes_stand_in_one_row_when_wide_and_in_a_grid_when_narrow(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0, models=["demo"] * 4), tmp_path / "panel.md")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(lambda: len(app.screen.query(AgentPane)) == 4, pilot)

        def rows_and_columns() -> tuple[int, int]:
            regions = [pane.region for pane in app.screen.query(AgentPane)]
            return len({region.y for region in regions}), len({region.x for region in regions})

        await wait_for(lambda: rows_and_columns() == (1, 4), pilot)
        await pilot.resize_terminal(90, 40)
        await wait_for(lambda: rows_and_columns() == (2, 2), pilot)
        assert all(pane.region.width >= 40 for pane in app.screen.query(AgentPane))
        await pilot.resize_terminal(60, 40)
        await wait_for(lambda: rows_and_columns() == (4, 1), pilot)


async def test_an_error_in_one_pane_leaves_the_others_running(tmp_path):
    app = _app(tmp_path, "failing", "alpha")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "go")
        await wait_for(lambda: not _busy(app) and len(messages_in(tmp_path / "panel.md")) == 3, pilot)
        failing_pane = app.screen.query(AgentPane)[0]
        assert failing_pane.query(".error")
        assert _pane_texts(app, 1) == ["Alpha says: **one**, two, three."]
    statuses = {m.branch: getattr(m, "status", None) for m in messages_in(tmp_path / "panel.md")[1:]}
    assert statuses == {0: "incomplete", 1: None}


async def test_cancelling_one_pane_keeps_the_others(tmp_path):
    app = _app(tmp_path, "slow", "alpha")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "go")
        slow_pane = app.screen.query(AgentPane)[0]
        await wait_for(lambda: slow_pane.view.streaming, pilot)
        await wait_for(lambda: _pane_texts(app, 1) == ["Alpha says: **one**, two, three."], pilot)
        slow_pane.focus()
        await pilot.press("escape")
        await wait_for(lambda: not _busy(app), pilot)
    replies = {m.branch: m for m in messages_in(tmp_path / "panel.md")[1:]}
    assert replies[0].status == "interrupted" and 0 < len(replies[0].text) < 300 * 6
    assert "status" not in replies[1].model_dump()


async def test_a_pane_shows_its_numbers_while_it_streams(tmp_path):
    app = _app(tmp_path, "slow", "alpha")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "go")
        slow_pane = app.screen.query(AgentPane)[0]
        status = slow_pane.query_one(".reply-status", StatusLine)
        await wait_for(lambda: slow_pane.view.streaming, pilot)
        await wait_for(lambda: "tokens" in str(status.render()), pilot)
        assert slow_pane.view.streaming  # live, not the summary after the reply
        first = int(str(status.render()).split(" tokens")[0].split(" ")[-1])
        await wait_for(lambda: int(str(status.render()).split(" tokens")[0].split(" ")[-1]) > first, pilot)
        assert "tok/s" in str(status.render())
        slow_pane.focus()
        await pilot.press("escape")
        await wait_for(lambda: not _busy(app), pilot)


async def test_page_up_in_the_prompt_scrolls_every_pane_and_in_a_pane_only_that_one(tmp_path):
    """Ctrl+End in the prompt takes every pane back to the bottom."""
    app = _app(tmp_path, "slow", "slow")
    async with app.run_test(size=(120, 24)) as pilot:
        await send(pilot, "go")
        logs = [pane.view.chat_log for pane in app.screen.query(AgentPane)]
        await wait_for(lambda: all(log.max_scroll_y > 15 for log in logs), pilot)
        await pilot.press("pageup")
        await wait_for(lambda: all(log.scroll_y < log.max_scroll_y - 5 for log in logs), pilot)
        app.screen.query(AgentPane)[1].focus()
        for log in logs:
            log.scroll_end(animate=False)
        await pilot.pause()
        await pilot.press("pageup")
        await wait_for(lambda: logs[1].scroll_y < logs[1].max_scroll_y - 5, pilot)
        assert logs[0].scroll_y == logs[0].max_scroll_y
        await pilot.press("escape")
        app.screen.query_one(PromptInput).focus()
        await pilot.press("pageup")
        await wait_for(lambda: all(log.scroll_y < log.max_scroll_y - 5 for log in logs), pilot)
        await pilot.press("ctrl+end")  # every pane back to the bottom, following the replies again
        await wait_for(lambda: all(log.scroll_y == log.max_scroll_y for log in logs), pilot)
        await pilot.press("escape")
        await wait_for(lambda: not _busy(app), pilot)


async def _answer_dialog(pilot, text: str) -> None:
    app = pilot.app
    await wait_for(lambda: isinstance(app.screen, InputDialog), pilot)
    app.screen.query_one("#answer", Input).value = text
    await pilot.press("enter")


def _dialog_problem(app) -> str:
    if not isinstance(app.screen, InputDialog):
        return ""
    return str(app.screen.query_one(".problem", Static).content)


async def test_a_chat_goes_on_side_by_side_with_compare_models_and_reopens_so(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0, models=["demo"]), path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "first question")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
        await pilot.press("ctrl+n")
        await _answer_dialog(pilot, "demo")  # one model is not a comparison
        await wait_for(lambda: "2 to 6 models" in _dialog_problem(app), pilot)
        assert app.screen.query_one("#answer", Input).value == "demo"  # kept open, as typed
        await _answer_dialog(pilot, "demo nonsense:model")
        await wait_for(lambda: "nonsense" in _dialog_problem(app), pilot)
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, ChatScreen), pilot)
        await pilot.press("ctrl+n")
        await _answer_dialog(pilot, "demo, demo")
        await wait_for(lambda: isinstance(app.screen, PanelScreen), pilot)
        panes = list(app.screen.query(AgentPane))
        assert len(panes) == 2
        await wait_for(lambda: all(len(pane.query(AssistantMessage)) == 1 for pane in panes), pilot)
        earlier = messages_in(path)[1].text
        assert [_pane_texts(app, i) for i in range(2)] == [[earlier], [earlier]]  # the chat so far, in both
        await send(pilot, "second question")
        await wait_for(lambda: len(messages_in(path)) == 5, pilot)
        await wait_for(lambda: not _busy(app), pilot)
    _, reply, *rest = messages_in(path)
    assert getattr(reply, "branch", None) is None
    assert [m.text for m in rest if m.role == "user"] == ["second question"]
    assert sorted(m.branch for m in rest if m.role == "assistant") == [0, 1]
    context = pane_context(messages_in(path), 1)
    assert [m.text for m in context][:3] == ["first question", reply.text, "second question"]
    reopened = ChatApp(Settings(tokens_per_second=0), path)
    async with reopened.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: isinstance(reopened.screen, PanelScreen), pilot)
        await wait_for(lambda: len(reopened.screen.query(AssistantMessage)) == 4, pilot)
        assert _pane_texts(reopened, 0)[0] == _pane_texts(reopened, 1)[0] == reply.text


async def test_pick_a_winner_then_every_pane_continues_from_it_and_reopens(tmp_path):
    app = _app(tmp_path, "alpha", "beta")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "first")
        await wait_for(lambda: not _busy(app) and len(messages_in(tmp_path / "panel.md")) == 3, pilot)
        app.screen.query(AgentPane)[1].focus()
        await pilot.press("w")
        await wait_for(
            lambda: any(getattr(m, "winner", False) for m in messages_in(tmp_path / "panel.md")), pilot
        )
        assert app.screen.query(AgentPane)[1].has_class("winner")
    messages = messages_in(tmp_path / "panel.md")
    flags = {m.branch: (getattr(m, "winner", False), getattr(m, "alternative", False)) for m in messages[1:]}
    assert flags == {0: (False, True), 1: (True, False)}
    # both panes now see beta's reply as the conversation so far; alpha's is kept as an alternative
    for branch in (0, 1):
        assert [m.text for m in pane_context(messages, branch)] == [
            "first",
            "Beta answers:\n\n- a list\n- of things",
        ]

    reopened = ChatApp(Settings(tokens_per_second=0), tmp_path / "panel.md")
    async with reopened.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: isinstance(reopened.screen, PanelScreen), pilot)
        await wait_for(lambda: len(reopened.screen.query(AssistantMessage)) == 2, pilot)
        assert [pane.pane_name for pane in reopened.screen.query(AgentPane)] == [
            AGENTS + "alpha",
            AGENTS + "beta",
        ]


async def test_a_pipeline_agent_shows_which_agent_wrote_each_message(tmp_path):
    app = _app(tmp_path, "pipeline", "alpha")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "write something")
        await wait_for(lambda: not _busy(app) and len(_pane_texts(app, 0)) == 2, pilot)
        pane = app.screen.query(AgentPane)[0]
        titles = [str(block.query_one(".title", Static).render()) for block in pane.query(AssistantMessage)]
        assert titles == ["writer", "critic"]
        assert _pane_texts(app, 0) == ["A first draft.", "The draft is too short."]


def test_pane_context_uses_own_branch_and_winners_only():
    messages = [
        Message(text="q1", role="user"),
        Message(text="a0", role="assistant", branch=0, alternative=True),
        Message(text="b1", role="assistant", branch=1, winner=True),
        Message(text="q2", role="user"),
        Message(text="a0'", role="assistant", branch=0),
        Message(text="b1'", role="assistant", branch=1),
    ]
    assert [m.text for m in pane_context(messages, 0)] == ["q1", "b1", "q2", "a0'"]
    assert [m.text for m in pane_context(messages, 1)] == ["q1", "b1", "q2", "b1'"]


def test_load_agent_from_a_module():
    from tests.tui import panel_agents

    assert load_agent(AGENTS + "alpha") is panel_agents.alpha
    with pytest.raises(AgentLoadError, match="not a @miniagent"):
        load_agent(AGENTS + "not_an_agent")
    with pytest.raises(AgentLoadError, match="has no"):
        load_agent(AGENTS + "missing")
    with pytest.raises(AgentLoadError, match="cannot import"):
        load_agent("no_such_module_here:agent")
    with pytest.raises(AgentLoadError, match=r"package\.module:agent_name"):
        load_agent("nocolon")


def test_bad_agent_on_the_command_line_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--agent", "no_such_module_here:x"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "cannot import" in result.stderr


async def test_a_panel_transcript_opens_with_its_own_panes_and_opening_it_writes_nothing(tmp_path):
    three = tmp_path / "panel.md"
    app = _app(tmp_path, "alpha", "beta", models=["demo"])
    async with app.run_test(size=(150, 40)) as pilot:
        await send(pilot, "hello all")
        await wait_for(lambda: len(messages_in(three)) == 4, pilot)
        await wait_for(lambda: not _busy(app), pilot)
    saved = three.read_bytes()

    two = ChatApp(
        Settings(tokens_per_second=0, agents=[AGENTS + "alpha", AGENTS + "beta"]), tmp_path / "b.md"
    )
    async with two.run_test(size=(150, 40)) as pilot:
        await wait_for(lambda: isinstance(two.screen, PanelScreen), pilot)
        await two.open_transcript(three)
        await wait_for(lambda: len(two.screen.query(AgentPane)) == 3, pilot)
        await wait_for(lambda: len(two.screen.query(AssistantMessage)) == 3, pilot)
    assert three.read_bytes() == saved  # opened, nothing sent: the file is as it was
    assert not (tmp_path / "b.md").exists()  # the panel that never got a prompt left no file


async def test_typing_or_esc_on_a_focused_pane_goes_back_to_the_prompt(tmp_path):
    app = _app(tmp_path, "alpha", "beta")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "first")
        await wait_for(lambda: not _busy(app) and len(messages_in(tmp_path / "panel.md")) == 3, pilot)
        pane = app.screen.query(AgentPane)[1]
        pane.focus()
        await pilot.press("w")  # still picks the winner
        await wait_for(lambda: pane.has_class("winner"), pilot)
        await type_text(pilot, "hi")
        prompt = app.screen.query_one(PromptInput)
        assert prompt.has_focus and prompt.text == "hi"
        pane.focus()
        await pilot.press("escape")
        assert prompt.has_focus


async def test_a_pipeline_panes_rate_is_measured_over_the_whole_reply(tmp_path):
    app = _app(tmp_path, "slow_pipeline", "alpha")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "write something")
        await wait_for(lambda: not _busy(app) and len(_pane_texts(app, 0)) == 2, pilot)
        status = str(app.screen.query(AgentPane)[0].query_one(".reply-status", StatusLine).render())
    rate = float(status.split(" tok/s")[0].split()[-1])
    assert rate < 40  # both agents stream at 20 tok/s (a loaded machine only makes it slower)
    assert "10 tokens" in status  # the tokens of both messages


async def test_leave_the_panel_and_go_on_with_the_focused_pane_alone(tmp_path, llm_server, monkeypatch):
    """#12.18: Ctrl+B on a pane picks its reply; the chat goes on with its model, sent that pane's story."""
    notes = record_notifications(monkeypatch)
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    llm_server.script(Reply(tokens=["from a"]), Reply(tokens=["from b"]))
    path = tmp_path / "panel.md"
    app = ChatApp(Settings(models=["openai:a", "openai:b"], max_retries=0), path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "first")
        await wait_for(lambda: not _busy(app) and len(messages_in(path)) == 3, pilot)
        await pilot.press("ctrl+b")  # the prompt has focus and no winner was picked: it says what to do
        await wait_for(lambda: any("Tab to the pane" in note for note in notes), pilot)
        assert isinstance(app.screen, PanelScreen)
        b_pane = next(p for p in app.screen.query(AgentPane) if p.pane_name == "openai:b")
        b_pane.focus()
        await pilot.press("ctrl+b")
        await wait_for(lambda: isinstance(app.screen, ChatScreen), pilot)
        assert app.session.model_spec == "openai:b"
        llm_server.script(Reply(tokens=["b goes on"]))
        await send(pilot, "next")
        await wait_for(lambda: len(messages_in(path)) == 5, pilot)
    b_reply = next(m for m in messages_in(path) if getattr(m, "branch", None) == 1)
    a_reply = next(m for m in messages_in(path) if getattr(m, "branch", None) == 0)
    assert b_reply.winner and a_reply.alternative  # (the fake server answers in the order requests come)
    contents = [m["content"] for m in llm_server.requests[-1].body["messages"]]
    assert contents == ["first", b_reply.text, "next"]
    assert llm_server.requests[-1].body["model"] == "b"
    parsed = read_transcript_file(path)
    assert parsed is not None and "panel" not in parsed.fields
    reopened = ChatApp(Settings(tokens_per_second=0), path)
    async with reopened.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: len(reopened.screen.query(AssistantMessage)) == 2, pilot)
        assert isinstance(reopened.screen, ChatScreen)
        assert [b.text for b in reopened.screen.query(AssistantMessage)] == [b_reply.text, "b goes on"]


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("ctrl+r", "Regenerating is for the chat"),
        ("ctrl+g", "Editing a prompt is for the chat"),
        ("ctrl+o", "The panes' models stay as they are"),
    ],
)
async def test_the_chats_keys_in_the_panel_say_what_to_do_instead(tmp_path, monkeypatch, key, said):
    notes = record_notifications(monkeypatch)
    app = _app(tmp_path, "alpha", "beta")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(key)
        await wait_for(lambda: any(said in note for note in notes), pilot)
        assert isinstance(app.screen, PanelScreen) and len(app.screen_stack) == 2


async def test_copy_a_panes_last_reply_and_set_every_panes_system_prompt(tmp_path):
    app = _app(tmp_path, "alpha", "beta")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "first")
        await wait_for(lambda: not _busy(app) and len(messages_in(tmp_path / "panel.md")) == 3, pilot)
        app.screen.query(AgentPane)[1].focus()
        await pilot.press("ctrl+l")
        await wait_for(lambda: app.clipboard == "Beta answers:\n\n- a list\n- of things", pilot)
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, InputDialog), pilot)
        await type_text(pilot, "Be brief.")
        await pilot.press("enter")
        await wait_for(lambda: app.session.system_prompt == "Be brief.", pilot)
    parsed = read_transcript_file(tmp_path / "panel.md")
    assert parsed is not None and parsed.fields["system"] == "Be brief."


async def test_a_custom_agents_reply_is_saved_under_its_own_name(tmp_path):
    """#12.11: the heading names the agent that wrote a reply, not "assistant"."""
    app = _app(tmp_path, "plain_text", "alpha")
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello")
        await wait_for(lambda: not _busy(app) and len(messages_in(tmp_path / "panel.md")) == 3, pilot)
    text = (tmp_path / "panel.md").read_text()
    assert "### Assistant · plain_text · pane 1\n\nJust text." in text
    assert "### Assistant · alpha · pane 2\n" in text


async def test_a_long_pane_name_ends_in_an_ellipsis_instead_of_wrapping(tmp_path, llm_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    long_name = "openai:" + "a-model-with-a-rather-long-name-" * 2
    app = _app(tmp_path, "alpha", models=["demo", long_name])
    async with app.run_test(size=(120, 30)) as pilot:
        title = app.screen.query(AgentPane)[1].query_one(".pane-title", Static)
        await wait_for(lambda: title.size.width > 0, pilot)
        shown = title.render_line(0).text.rstrip()
        assert title.size.height == 1
        assert shown.endswith("…") and shown[:-1].strip() in f"2. {long_name}"
