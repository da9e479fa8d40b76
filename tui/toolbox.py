"""`Toolbox`: the tools the models may call in the chat, and who says yes before one runs.

Tools come from the user's own code (`--tools`) and from MCP servers (`--mcp`). A server's tools are
offered once it is connected; one that cannot be started, hangs or goes away is reported in one line
and the chat goes on without it. A tool from an MCP server asks before each call (unless
`--allow-all-tools`); the user's own tools run without asking (unless `--confirm-tools`). One
question is asked at a time; "allow for this session" is remembered until the app quits.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TextIO

from miniagents.ext.mcp import MCPServerError, MCPServerTools, server_label
from miniagents.tools import Tool
from tui.agent_loader import describe_tools
from tui.config import Settings
from tui.server_log import open_server_log

__all__ = ["AskUser", "McpServer", "Toolbox", "Verdict"]

Verdict = Literal["once", "session", "deny"]
"""What the user answered: allow this call, allow this tool until the app quits, or deny the call."""

AskUser = Callable[[Tool, dict[str, Any]], Awaitable[Verdict]]
"""Shows the user a call (tool and arguments) and returns the answer."""


@dataclass
class McpServer:
    """One `--mcp` server, as the chat knows it."""

    spec: str
    """The command line or URL given."""
    state: Literal["connecting", "ready", "failed", "gone"] = "connecting"
    problem: str | None = None
    """Why it failed or went away."""
    connection: MCPServerTools | None = None

    @property
    def label(self) -> str:
        """A short name for it."""
        return server_label(self.spec)


class Toolbox:
    """The tools on offer now, asking the user where the settings say so."""

    def __init__(self, settings: Settings) -> None:
        """The tools of `settings` (`--tools` are loaded already; `--mcp` servers connect in `aconnect`)."""
        self.settings = settings
        self.servers = [McpServer(spec) for spec in settings.mcp]
        self.ask_user: AskUser | None = None
        """Asks the user about a call; until it is set, a call that must ask is denied."""
        self.log_path: Path | None = None
        """Where the MCP servers' stderr goes, once they are started."""
        self._allowed: set[str] = set()
        self._asking = asyncio.Lock()
        self._settled = asyncio.Event()
        self._check_settled()
        self._connections: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ what is on offer

    def tools(self) -> list[Tool]:
        """The tools the next reply may call.

        An MCP tool whose name is taken already (by one of yours, or another server's) is offered
        as `<server>_<name>` (the server named by its program or host).
        """
        confirm_own = self.settings.confirm_tools and not self.settings.allow_all_tools
        offered: dict[str, Tool] = {}
        for tool in describe_tools(self.settings.tools):
            offered.setdefault(tool.name, tool.asking(self.approve) if confirm_own else tool)
        for server in self.servers:
            if server.state != "ready" or server.connection is None:
                continue
            for tool in server.connection.tools:
                if tool.name in offered:
                    tool = replace(tool, name=_prefixed(server.label, tool.name))
                guarded = tool if self.settings.allow_all_tools else tool.asking(self.approve)
                offered.setdefault(tool.name, guarded)
        return list(offered.values())

    def source_of(self, name: str) -> str:
        """Where the tool called `name` comes from: "your tools" or "MCP <server>"."""
        if any(tool.name == name for tool in describe_tools(self.settings.tools)):
            return "your tools"
        for server in self.servers:
            if server.connection is not None and any(tool.name == name for tool in server.connection.tools):
                return f"MCP {server.label}"
        return "a tool"

    def description(self) -> str | None:
        """How many tools there are and where from, for the status line (None: no tools at all)."""
        parts = []
        own = len(describe_tools(self.settings.tools))
        if self.settings.tools:
            parts.append(f"{own} tool{'s' * (own != 1)} from {', '.join(self.settings.tools)}")
        for server in self.servers:
            if server.state == "ready" and server.connection is not None:
                count = len(server.connection.tools)
                parts.append(f"{count} tool{'s' * (count != 1)} from MCP {server.label}")
            else:
                parts.append(f"MCP {server.label}: {server.state}")
        return " · ".join(parts) or None

    async def asettled(self) -> None:
        """Wait until every MCP server is connected or has failed."""
        await self._settled.wait()

    # ------------------------------------------------------------ MCP connections

    def start(self, on_change: Callable[[str | None], object]) -> None:
        """Start connecting to the `--mcp` servers, in a task the toolbox owns until `aclose`.

        `on_change` hears of every change: None when a server is ready, else one line saying what
        went wrong. The servers' stderr goes to a log file (`log_path`).
        """
        if self.servers and self._connections is None:
            self._connections = asyncio.create_task(self._aconnect(on_change), name="MCP servers")

    async def aclose(self) -> None:
        """Close the connections (each in the task that opened it) and wait until they are closed."""
        task, self._connections = self._connections, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _aconnect(self, on_change: Callable[[str | None], object]) -> None:
        with open_server_log() as (log, self.log_path):
            async with asyncio.TaskGroup() as group:
                for server in self.servers:
                    group.create_task(self._ahold(server, log, on_change))

    async def _ahold(self, server: McpServer, log: TextIO, on_change: Callable[[str | None], object]) -> None:
        try:
            async with MCPServerTools(server.spec, errlog=log) as connection:
                server.connection, server.state = connection, "ready"
                self._check_settled()
                on_change(None)
                reason = await connection.await_lost()  # held open until the app quits, or the server goes
            server.state, server.problem = "gone", f"MCP server {server.label!r} went away ({reason})"
            on_change(f"{server.problem}; the chat goes on without its tools")
        except MCPServerError as error:
            self._fail(server, str(error), on_change)
        except Exception as error:  # anything else from the SDK: reported, never fatal
            self._fail(
                server, f"MCP server {server.label!r} failed: {type(error).__name__}: {error}", on_change
            )
        finally:
            server.connection = None

    def _fail(self, server: McpServer, problem: str, on_change: Callable[[str | None], object]) -> None:
        server.state, server.problem = "failed", problem
        self._check_settled()
        on_change(f"{problem}; the chat goes on without its tools")

    def _check_settled(self) -> None:
        if all(server.state != "connecting" for server in self.servers):
            self._settled.set()

    # ------------------------------------------------------------ approval

    async def approve(self, tool: Tool, arguments: dict[str, Any]) -> bool:
        """Whether `tool` may run with `arguments`: allowed for the session already, or the user says so."""
        async with self._asking:  # one question at a time, and an "allow for this session" counts at once
            if tool.name in self._allowed:
                return True
            if self.ask_user is None:
                return False
            verdict = await self.ask_user(tool, arguments)
            if verdict == "session":
                self._allowed.add(tool.name)
        return verdict != "deny"


def _prefixed(label: str, name: str) -> str:
    """`name` with the server's program (or host) in front, as a tool name may be written."""
    words = label.split()
    server = words[-1] if len(words) > 1 and words[0] in ("python", "python3", "uvx", "npx") else words[0]
    server = re.sub(r"[^A-Za-z0-9_-]", "_", server.rsplit(".", 1)[-1] or server)
    return f"{server}_{name}"[-64:]
