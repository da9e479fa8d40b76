"""`idle_limited`: a stream that fails when its next item is too long in coming."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import TypeVar

__all__ = ["StreamIdleError", "idle_limited"]

T = TypeVar("T")


class StreamIdleError(Exception):
    """No item came for the idle time."""


async def idle_limited(items: AsyncGenerator[T], seconds: float | None) -> AsyncGenerator[T]:
    """`items`, raising `StreamIdleError` once a wait for the next one lasts `seconds` (None: no limit).

    One timer watches the whole stream (an `asyncio.timeout` per item cost a sixth of a fast
    stream's way from the socket to its reader): it fires every `seconds` and cancels the wait for an
    item only if that wait began at least `seconds` earlier. Time spent by the reader between items
    does not count. `items` is closed at the end.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()  # the one that reads the stream (a `StreamedPromise`'s)
    assert task is not None
    waiting_since: float | None = None  # when the wait for the next item began (None: not waiting)
    expired = False
    watch: asyncio.TimerHandle | None = None

    def look() -> None:
        nonlocal watch, expired
        assert seconds
        now = loop.time()
        if waiting_since is not None and now - waiting_since >= seconds:
            expired = True
            task.cancel()
        else:
            watch = loop.call_at((now if waiting_since is None else waiting_since) + seconds, look)

    if seconds:
        watch = loop.call_at(loop.time() + seconds, look)
    try:
        async with aclosing(items):
            iterator = aiter(items)
            while True:
                cancelling = task.cancelling()
                waiting_since = loop.time()
                try:
                    item = await anext(iterator)
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    if expired and task.uncancel() <= cancelling:
                        raise StreamIdleError from None
                    raise
                finally:
                    waiting_since = None
                yield item
    finally:
        if watch is not None:
            watch.cancel()
