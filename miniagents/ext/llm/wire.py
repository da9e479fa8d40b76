"""Reading a provider's answer off the wire: server-sent events, Retry-After, the server's name."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["StreamErrorEvent", "retry_after_seconds", "server_of", "server_sent_events"]


class StreamErrorEvent(Exception):
    """The provider sent an error inside a stream (an SSE event with `error`)."""


async def server_sent_events(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """The JSON objects of a server-sent event stream's `data:` fields, until `[DONE]`.

    Raises:
        StreamErrorEvent: an event carries an `error`.
        ValueError: an event's data is not JSON.
    """
    data: list[str] = []
    async for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
            continue
        if line or not data:
            continue  # another field (`event:`, a comment), or a blank line with nothing to send
        text, data = "\n".join(data), []
        if text == "[DONE]":
            return
        event = json.loads(text)
        if isinstance(event, dict) and event.get("error"):
            error = event["error"]
            raise StreamErrorEvent(
                error.get("message", str(error)) if isinstance(error, dict) else str(error)
            )
        if isinstance(event, dict):
            yield event


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
