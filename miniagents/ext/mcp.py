"""MCP servers as tools: every tool a Model Context Protocol server offers, for any agent's `tools=`.

```python
async with MiniAgents():
    async with MCPServerTools("python -m my_server") as server:   # or "https://host/mcp"
        assistant = openai_agent.fork(tools=server.tools)
```

A server is a command line (started as a process that speaks MCP over stdin/stdout) or an http(s)
URL (streamable HTTP). It is reached with the official `mcp` SDK (the `mcp` extra: `pip install -e
'.[mcp]'` in this project's folder).
A call's result is the text of what the tool returned (other content, such as images, is named in
brackets); a result the server marks as an error is an error result for the model. A server that
cannot be started, hangs or goes away raises `MCPServerError`, which names the server.

The connection belongs to the task that entered the `async with` (the SDK's rule), but calls can be
made from any task of the same event loop while it is open.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import shlex
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any, TextIO

from miniagents.agents import InteractionContext, MiniAgent
from miniagents.errors import MiniAgentsError, ToolError
from miniagents.tools import Tool

__all__ = ["DEFAULT_CONNECT_TIMEOUT", "MCPServerError", "MCPServerTools", "check_server", "server_label"]

DEFAULT_CONNECT_TIMEOUT = 30.0
"""How long a server may take to start and list its tools, in seconds."""

_UNFIT = re.compile(r"[^A-Za-z0-9_-]")
_NO_SDK = (
    "MCP needs the `mcp` package: pip install -e '.[mcp]' in the miniagents-tui folder (or pip install mcp)"
)


class MCPServerError(MiniAgentsError):
    """An MCP server could not be started, did not answer in time, or went away; names the server."""


def check_server(server: str) -> None:
    """Check that `server` can be tried: a URL, or a command line that splits; and the SDK is installed.

    Raises:
        MCPServerError: it cannot, and why (one line).
    """
    if not _is_url(server):
        try:
            words = shlex.split(server)
        except ValueError as error:
            raise MCPServerError(f"MCP server {server!r}: {error} (quote it like a shell command)") from None
        if not words:
            raise MCPServerError("an MCP server needs a command to start or an http(s) URL")
    if importlib.util.find_spec("mcp") is None:  # (not imported here: that takes a while)
        raise MCPServerError(_NO_SDK)


def server_label(server: str) -> str:
    """A short name for a server: its URL's host and path, or its program's name and first arguments."""
    if _is_url(server):  # host and path: no user, password or query (they may hold keys)
        host, _, path = server.split("://", 1)[1].split("?", 1)[0].split("#", 1)[0].partition("/")
        return f"{host.rsplit('@', 1)[-1]}/{path}".rstrip("/")
    try:
        words = shlex.split(server) or [""]
    except ValueError:
        words = server.split() or [""]
    words[0] = os.path.basename(words[0]) or words[0]
    return " ".join(words[:3]) + (" …" if len(words) > 3 else "")


class MCPServerTools:
    """A connection to one MCP server; `tools` holds its tools while the connection is open."""

    def __init__(
        self,
        server: str,
        *,
        errlog: TextIO | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        """Describe the connection (nothing starts before `async with`).

        Args:
            server: an `http://` or `https://` URL, else a command line to start (split like a shell).
            errlog: where a started server's stderr goes (a real file); None: this process's stderr.
            connect_timeout: seconds the server may take to start and list its tools.
        """
        self.server = server
        self.label = server_label(server)
        """A short name for the server, used in errors."""
        self.tools: tuple[Tool, ...] = ()
        """The server's tools (empty until connected)."""
        self.gone: str | None = None
        """Why the connection was lost, once a call found it lost (later calls then fail at once)."""
        self._lost = asyncio.Event()
        self._errlog = errlog
        self._connect_timeout = connect_timeout
        self._client: Any = None
        self._exits = AsyncExitStack()

    async def __aenter__(self) -> MCPServerTools:
        try:
            async with asyncio.timeout(self._connect_timeout):
                self._client = await self._exits.enter_async_context(self._make_client())
                listed = await self._list_tools()
        except BaseException as error:
            await self._exits.aclose()
            if isinstance(error, TimeoutError):
                raise MCPServerError(
                    f"MCP server {self.label!r} did not answer within {self._connect_timeout:g} s"
                ) from None
            if isinstance(error, Exception) and not isinstance(error, MiniAgentsError):
                raise MCPServerError(
                    f"MCP server {self.label!r} could not be started: {_reason(error)}"
                ) from error
            raise
        self.tools = tuple(self._tool(tool) for tool in listed)
        return self

    async def await_lost(self) -> str:
        """Wait until a call finds the connection lost; return why."""
        await self._lost.wait()
        return self.gone or "lost"

    async def __aexit__(self, *exc_info: object) -> None:
        self.tools = ()
        self._client = None
        await self._exits.aclose()

    def _make_client(self) -> Any:
        check_server(self.server)
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import stdio_client

        if _is_url(self.server):
            return Client(self.server)
        words = shlex.split(self.server)
        parameters = StdioServerParameters(command=words[0], args=words[1:])
        return Client(stdio_client(parameters, errlog=self._errlog or sys.stderr))

    async def _list_tools(self) -> list[Any]:
        listed: list[Any] = []
        cursor = None
        while True:
            page = await self._client.list_tools(cursor=cursor)
            listed.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                return listed

    def _tool(self, listed: Any) -> Tool:
        remote_name = str(listed.name)
        client = self._client
        label = self.label

        async def call(ctx: InteractionContext, **arguments: Any) -> None:
            if self.gone is not None:
                raise MCPServerError(f"MCP server {label!r} is gone ({self.gone})")
            try:
                result = await client.call_tool(remote_name, arguments)
            except Exception as error:
                if _connection_lost(error):
                    self.gone = _reason(error)
                    self._lost.set()
                raise MCPServerError(f"MCP server {label!r} failed: {_reason(error)}") from error
            text = _result_text(result.content, getattr(result, "structured_content", None))
            if result.is_error:
                raise ToolError(text or "the tool failed without saying why")
            ctx.reply(text)

        name = _UNFIT.sub("_", remote_name)[:64] or "tool"
        description = str(listed.description or listed.title or "")
        agent = MiniAgent(call, alias=name, description=description)
        return Tool.from_schema(name, description, dict(listed.input_schema or {"type": "object"}), agent)


def _connection_lost(error: Exception) -> bool:
    """Whether `error` from a call means the server is gone (not that it refused this one call)."""
    from mcp.shared.exceptions import MCPError
    from mcp_types import CONNECTION_CLOSED

    return not isinstance(error, MCPError) or error.code == CONNECTION_CLOSED


def _is_url(server: str) -> bool:
    return server.startswith(("http://", "https://"))


def _result_text(content: Sequence[Any], structured: Any) -> str:
    parts: list[str] = []
    for block in content:
        text = getattr(block, "text", None)
        if isinstance(text, str):
            parts.append(text)
        else:
            kind = getattr(block, "type", "content")
            mime = getattr(block, "mime_type", None)
            parts.append(f"[{kind}{f' ({mime})' if mime else ''}]")
    if not parts and structured is not None:
        return json.dumps(structured, ensure_ascii=False)
    return "\n".join(parts)


def _reason(error: BaseException) -> str:
    """One line about `error` (an exception group is reduced to its first leaf)."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
