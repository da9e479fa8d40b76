"""Reading a provider's answer off the wire: server-sent events, Retry-After, the server's name."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

__all__ = [
    "GATHER_SECONDS",
    "StreamErrorEvent",
    "gathered",
    "retry_after_seconds",
    "server_of",
    "server_sent_events",
]


class StreamErrorEvent(Exception):
    """The provider sent an error inside a stream (an SSE event with `error`)."""


async def server_sent_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    """The JSON objects of a server-sent event stream's `data:` fields, until `[DONE]`.

    `chunks` are the response body's bytes as they arrive, cut anywhere. Lines may end with LF,
    CRLF or CR. Whole lines are split off each chunk at once: a fast stream sends one event per
    token, and reading it line by line through the HTTP client's text layers cost more than the
    rest of the reply's way to the screen. Chunks that trickle in are read `gathered`.

    Raises:
        StreamErrorEvent: an event carries an `error`.
        ValueError: an event's data is not JSON.
    """
    data: list[bytes] = []
    rest = b""  # the start of a line whose end has not come yet
    after_cr = False  # the last line ended with CR: a LF right after it belongs to that line end
    async with aclosing(gathered(chunks)) as reads:
        async for chunk in reads:
            if after_cr and chunk:
                after_cr = False
                if chunk[0] == _LF:
                    chunk = chunk[1:]
            buffer = rest + chunk if rest else chunk
            end = max(buffer.rfind(b"\n"), buffer.rfind(b"\r")) + 1
            if not end:
                rest = buffer
                continue
            rest = buffer[end:]
            after_cr = buffer[end - 1] == _CR
            for line in buffer[:end].splitlines():
                if line.startswith(b"data:"):
                    data.append(line[6:] if line[5:6] == b" " else line[5:])
                    continue
                if line or not data:
                    continue  # another field (`event:`, a comment), or a blank line with nothing to send
                text = data[0] if len(data) == 1 else b"\n".join(data)
                data = []
                if text == b"[DONE]":
                    return
                event = json.loads(text.decode())
                if isinstance(event, dict):
                    if event.get("error"):
                        error = event["error"]
                        raise StreamErrorEvent(
                            error.get("message", str(error)) if isinstance(error, dict) else str(error)
                        )
                    yield event


async def gathered(chunks: AsyncIterator[bytes]) -> AsyncGenerator[bytes]:
    """`chunks`, woken up for at most once in `GATHER_SECONDS`: chunks that trickle in gather meanwhile.

    The pause comes when the next chunk is asked for, after the reader has used this one.
    """
    loop = asyncio.get_running_loop()
    woken = -GATHER_SECONDS  # when the reader last woke up for a chunk
    iterator = aiter(chunks)
    while True:
        asked = loop.time()
        try:
            chunk = await anext(iterator)
        except StopAsyncIteration:
            return
        now = loop.time()
        gather = 0.0
        if now - asked > _WAITED_SECONDS:  # a wake-up for this chunk: was the last one too near?
            gather, woken = GATHER_SECONDS - (now - woken), now
        yield chunk
        if gather > 0:
            await asyncio.sleep(gather)
            woken = loop.time()


GATHER_SECONDS = 0.02
"""The reader wakes up for new chunks at most once in this long; meanwhile they gather.

A fast provider sends each token on its own, 1,000 or more a second, and waking up to read one
costs the HTTP client (through anyio) about five times what the token itself does: four streams
at 1,000 tok/s took 94% of a core before anything was drawn. Tokens that gather are read in one
go; they reach the screen at most this much later, within one frame (30 a second). A stream
whose chunks are already waiting (a reply sent faster than it is read) is not slowed. Four such
streams took 236 us of CPU a token read one by one, 77-84 us read this way (102-107 us with 10 ms;
`four_streams_at_1000_tok_s` in `tests/benchmarks/llm_bench.py`)."""

_WAITED_SECONDS = 0.0005
"""A chunk that took longer than this to come was waited for (not already in the buffers)."""

_LF, _CR = ord("\n"), ord("\r")


def server_of(client: Any) -> str:
    """The host (and port, if one is given) of an SDK client's base URL, e.g. `127.0.0.1:8080`."""
    url = getattr(client, "base_url", None)
    host = getattr(url, "host", None)
    if not host:
        return "the server"
    port = getattr(url, "port", None)
    return f"{host}:{port}" if port else str(host)


def retry_after_seconds(headers: Any) -> float | None:
    """Read `retry-after-ms` or `retry-after` (seconds) from response headers, if present and sane."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                seconds = float(value) * scale
            except ValueError:
                continue
            if seconds >= 0:
                return seconds
    return None
