"""MCP servers as tools (#14): a real MCP server (tests/fakes/mcp_server.py) over stdio and HTTP."""

import asyncio
import os
import socket
import subprocess
import sys

import pytest

from miniagents import MiniAgents
from miniagents.ext.llm.demo import demo_agent
from miniagents.ext.mcp import MCPServerError, MCPServerTools, server_label

SERVER = f"{sys.executable} -m tests.fakes.mcp_server"


def _texts(messages):
    return [(getattr(m, "role", None), m.text, getattr(m, "is_error", None)) for m in messages]


async def _ask(tools, prompt: str):
    return list(await demo_agent.inquire(prompt, tools=tools, tokens_per_second=0))


async def test_a_stdio_servers_tools_are_offered_and_called(tmp_path, capfd):
    errors = (tmp_path / "server.log").open("w")
    async with MiniAgents(), MCPServerTools(SERVER, errlog=errors) as server:
        by_name = {tool.name: tool for tool in server.tools}
        assert set(by_name) == {"add", "shout", "fail", "wait", "vanish", "snapshot"}
        assert by_name["add"].description == "Add two whole numbers."
        assert by_name["add"].parameters == {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        }
        call, result, answer = await _ask(server.tools, "please add 20")
        assert call.tool_calls[0].name == "add"
        assert (result.role, result.text, result.is_error) == ("tool", "20 + 20 = 40", False)
        assert "20 + 20 = 40" in answer.text
        _, shouted, _ = await _ask(server.tools, "shout hello")
        assert shouted.text == "SHOUT HELLO"
    errors.close()
    assert "shout was called with 'shout hello'" in (tmp_path / "server.log").read_text()
    assert "shout was called" not in capfd.readouterr().err  # the server's stderr went to the log


async def test_error_results_and_content_that_is_not_text(tmp_path):
    with (tmp_path / "server.log").open("w") as errors:
        async with MiniAgents(), MCPServerTools(SERVER, errlog=errors) as server:
            _, failed, answer = await _ask(server.tools, "fail now")
            assert failed.is_error is True
            assert "failed on purpose: fail now" in failed.text
            assert "failed" in answer.text
            _, picture, _ = await _ask(server.tools, "snapshot please")
            assert picture.text == "a red dot\n[image (image/png)]"


async def test_a_server_over_streamable_http(tmp_path):
    port = _free_port()
    log = (tmp_path / "http.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.mcp_server", "--http", str(port)], stderr=log
    )
    try:
        await _until_listening(port, process)
        async with MiniAgents(), MCPServerTools(f"http://127.0.0.1:{port}/mcp") as server:
            _, result, _ = await _ask(server.tools, "please add 7")
            assert result.text == "7 + 7 = 14"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


async def test_a_program_that_does_not_exist_is_named():
    async with MiniAgents():
        with pytest.raises(
            MCPServerError, match=r"'no-such-mcp-server-xyz --flag' could not be started: .*No such file"
        ):
            async with MCPServerTools("no-such-mcp-server-xyz --flag"):
                pass


async def test_a_server_that_never_answers_is_given_up_and_stopped(tmp_path):
    pid_file = tmp_path / "pid"
    hang = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    command = f"{sys.executable} -c {_quoted(hang)}"
    async with MiniAgents():
        with pytest.raises(MCPServerError, match="did not answer within 1 s"):
            async with MCPServerTools(command, connect_timeout=1):
                pass
    pid = int(pid_file.read_text())
    await _until(lambda: not _alive(pid))


async def test_a_server_that_dies_mid_call_gives_an_error_result_naming_it(tmp_path):
    with (tmp_path / "server.log").open("w") as errors:
        async with MiniAgents(), MCPServerTools(SERVER, errlog=errors) as server:
            _, gone, _ = await _ask(server.tools, "vanish")
            assert gone.is_error is True
            assert "MCPServerError" in gone.text and "tests.fakes.mcp_server" in gone.text
            assert server.gone == "MCPError: Connection closed"
            _, again, _ = await _ask(server.tools, "please add 2")
            assert again.is_error is True  # a later call fails at once, it does not hang


async def test_cancelling_a_reply_stops_a_running_mcp_call(tmp_path):
    with (tmp_path / "server.log").open("w") as errors:
        async with MiniAgents() as context, MCPServerTools(SERVER, errlog=errors) as server:
            reply = demo_agent.inquire("wait 600", tools=server.tools, tokens_per_second=0)
            messages = aiter(reply)
            await anext(messages)  # the call
            result = await anext(messages)  # its result, streaming
            await _until(lambda: result.metadata_so_far.get("tool_name") == "wait")
            reply.cancel()
            result.cancel()
            stopped = await result.aresolve_partial()
            assert stopped.status == "interrupted"
            _, added, _ = await _ask(server.tools, "please add 3")
            assert added.text == "3 + 3 = 6"  # the connection is still good
        assert not context.active_tasks


def test_server_labels_are_short():
    assert server_label("https://example.org/tools/mcp?key=secret") == "example.org/tools/mcp"
    assert server_label("https://me:s3cret@example.org:8443/mcp#x") == "example.org:8443/mcp"
    assert server_label("http://127.0.0.1:9000") == "127.0.0.1:9000"
    assert server_label("npx -y @scope/server-files /home/me/docs") == "npx -y @scope/server-files …"
    assert server_label("uvx weather") == "uvx weather"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _until_listening(port: int, process: subprocess.Popen) -> None:
    async def listening() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    for _ in range(6000):  # a safety bound of about 60 s; the loop waits for the state
        assert process.poll() is None, "the HTTP MCP server exited"
        if await listening():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the HTTP MCP server never listened")


async def _until(condition) -> None:
    for _ in range(6000):  # a safety bound of about 60 s
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the state was never reached")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)
