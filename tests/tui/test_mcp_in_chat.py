"""`--mcp`: an MCP server's tools in the chat (a real server over stdio and HTTP), asking before each call."""

import importlib.util
import subprocess
import sys

from tests.miniagents.ext.test_mcp import _free_port, _until_listening
from tests.tui.helpers import chat_screen, messages_in, record_notifications, send, wait_for
from tui.app import ChatApp
from tui.cli import run
from tui.config import Settings
from tui.screens.dialogs import ApprovalDialog
from tui.screens.panel import PanelScreen
from tui.toolbox import Toolbox
from tui.widgets.tool_message import ToolMessage

SERVER = f"{sys.executable} -m tests.fakes.mcp_server"


def _app(tmp_path, *servers, **settings):
    options = {"tokens_per_second": 0, "mcp": list(servers), **settings}
    return ChatApp(Settings(**options), tmp_path / "chat.md")


def _status(app) -> str:
    return str(chat_screen(app).conversation.query_one(".reply-status").render())


def _notices(app) -> str:
    return " ".join(str(notice.render()) for notice in chat_screen(app).query(".notice"))


async def _approve(app, pilot, key: str) -> None:
    await wait_for(lambda: isinstance(app.screen, ApprovalDialog) and app.screen.has_class("armed"), pilot)
    await pilot.press(key)


async def test_a_stdio_servers_tools_ask_first_then_run_and_a_server_that_goes_is_reported(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = tmp_path / "chat.md"
    app = _app(tmp_path, SERVER)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: "6 tools from MCP python -m tests.fakes.mcp_server" in _status(app), pilot)
        await send(pilot, "please add 20")
        await _approve(app, pilot, "y")
        await wait_for(lambda: len(messages_in(path)) == 4, pilot)
        (block,) = chat_screen(app).query(ToolMessage)
        assert block.text == "20 + 20 = 40"
        await send(pilot, "shout hello")
        await _approve(app, pilot, "y")
        await wait_for(lambda: len(messages_in(path)) == 8, pilot)
        await send(pilot, "vanish")
        await _approve(app, pilot, "y")
        await wait_for(lambda: "went away" in _notices(app), pilot)
        await wait_for(lambda: "MCP python -m tests.fakes.mcp_server: gone" in _status(app), pilot)
        assert "the chat goes on without its tools" in _notices(app)
        await wait_for(lambda: len(messages_in(path)) == 12, pilot)
        await send(pilot, "please add 1")  # no tools now: the model just answers
        await wait_for(lambda: len(messages_in(path)) == 14, pilot)
    roles = [m.role for m in messages_in(path)]
    assert roles[-2:] == ["user", "assistant"]
    log = (tmp_path / "state" / "miniagents-tui" / "mcp-servers.log").read_text()
    assert "shout was called with 'shout hello'" in log  # the server's stderr, never on screen
    assert (tmp_path / "state" / "miniagents-tui").stat().st_mode & 0o777 == 0o700


async def test_a_server_that_cannot_start_is_one_line_and_the_chat_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = _app(tmp_path, "no-such-mcp-server-xyz")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: "could not be started" in _notices(app), pilot)
        assert "MCP no-such-mcp-server-xyz: failed" in _status(app)
        await send(pilot, "hello")
        await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) == 2, pilot)


async def test_a_server_over_http_with_every_call_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    port = _free_port()
    with (tmp_path / "http.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.mcp_server", "--http", str(port)], stderr=log
        )
        try:
            await _until_listening(port, server)
            app = _app(tmp_path, f"http://127.0.0.1:{port}/mcp", allow_all_tools=True)
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_for(lambda: f"6 tools from MCP 127.0.0.1:{port}/mcp" in _status(app), pilot)
                await send(pilot, "please add 4")
                await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) == 4, pilot)
                assert not isinstance(app.screen, ApprovalDialog)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert messages_in(tmp_path / "chat.md")[2].text == "4 + 4 = 8"


async def test_every_pane_of_the_panel_gets_the_servers_tools(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    notes = record_notifications(monkeypatch)
    app = _app(tmp_path, SERVER, "no-such-mcp-server-xyz", models=["demo", "demo"], allow_all_tools=True)
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.screen, PanelScreen)
        await wait_for(lambda: any("could not be started" in note for note in notes), pilot)
        await send(pilot, "please add 3")
        await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) == 7, pilot)  # 1 + 2 x 3
    results = [m for m in messages_in(tmp_path / "chat.md") if m.role == "tool"]
    assert sorted((m.branch, m.text) for m in results) == [(0, "3 + 3 = 6"), (1, "3 + 3 = 6")]


def test_a_bad_mcp_option_exits_2_with_one_line(capsys):
    assert run(["--mcp", "python 'unclosed"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith('miniagents-tui: MCP server "python \'unclosed": No closing quotation')
    assert "\n" not in error


async def test_a_tool_name_that_is_taken_is_offered_with_the_servers_name_in_front(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    toolbox = Toolbox(Settings(mcp=[SERVER, SERVER], tools=["tests.tui.chat_tools:tools"]))
    toolbox.start(lambda problem: None)
    try:
        await toolbox.asettled()
        names = [tool.name for tool in toolbox.tools()]
    finally:
        await toolbox.aclose()
    assert names[:4] == ["weather", "broken_gauge", "stuck_sensor", "station_list"]
    assert names[4:10] == ["add", "shout", "fail", "wait", "vanish", "snapshot"]
    assert names[10:] == [
        f"mcp_server_{name}" for name in ("add", "shout", "fail", "wait", "vanish", "snapshot")
    ]


def test_mcp_without_the_sdk_installed_says_which_extra_to_install(capsys, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mcp" else real_find_spec(name, *a)
    )
    assert run(["--mcp", "uvx some-server"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("miniagents-tui: MCP needs the `mcp` package: pip install -e '.[mcp]'")
    assert "\n" not in error
