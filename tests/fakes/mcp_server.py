"""A small MCP server for the tests, written with the official SDK.

`python -m tests.fakes.mcp_server` serves it over stdin/stdout; `--http PORT` over streamable HTTP
on 127.0.0.1:PORT/mcp. Its tools: `add`, `shout` (writes to stderr too), `fail` (an error result),
`wait` (sleeps), `vanish` (the server process exits mid-call) and `snapshot` (text and an image).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ImageContent, TextContent

server = MCPServer("fake-tools", log_level="WARNING")


@server.tool()
def add(a: int, b: int) -> str:
    """Add two whole numbers."""
    return f"{a} + {b} = {a + b}"


@server.tool()
def shout(text: str) -> str:
    """Say the text in capitals."""
    print(f"shout was called with {text!r}", file=sys.stderr, flush=True)
    return text.upper()


@server.tool()
def fail(why: str) -> str:
    """Always fails, saying why."""
    raise ToolError(f"failed on purpose: {why}")


@server.tool()
async def wait(seconds: float) -> str:
    """Wait that many seconds, then say so."""
    await asyncio.sleep(seconds)
    return f"waited {seconds} s"


@server.tool()
def vanish() -> str:
    """The server exits while answering."""
    os._exit(3)


@server.tool(structured_output=False)
def snapshot() -> list[TextContent | ImageContent]:
    """A caption and a tiny picture."""
    return [
        TextContent(type="text", text="a red dot"),
        ImageContent(type="image", data="iVBORw0KGgo=", mime_type="image/png"),
    ]


def main() -> None:
    """Serve over stdio, or over HTTP with `--http PORT`."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=None)
    options = parser.parse_args()
    print("fake MCP server starting", file=sys.stderr, flush=True)
    if options.http is None:
        server.run()
    else:
        server.run("streamable-http", host="127.0.0.1", port=options.http)


if __name__ == "__main__":
    main()
