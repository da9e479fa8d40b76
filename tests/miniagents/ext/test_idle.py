"""`idle_limited`: the idle timeout of a provider's stream, one timer for the whole stream."""

import asyncio

import pytest

from miniagents.ext.llm.idle import StreamIdleError, idle_limited


async def _items(*gaps: float, then_never: bool = False):
    for number, gap in enumerate(gaps):
        await asyncio.sleep(gap)
        yield number
    if then_never:
        await asyncio.Event().wait()


async def test_a_wait_longer_than_the_limit_fails_after_the_items_so_far():
    received = []
    with pytest.raises(StreamIdleError):
        async for item in idle_limited(_items(0, 0, then_never=True), 0.05):
            received.append(item)
    assert received == [0, 1]


async def test_a_slow_reader_is_not_taken_for_an_idle_stream():
    received = []
    async for item in idle_limited(_items(0, 0, 0), 0.05):
        await asyncio.sleep(0.12)  # the reader takes its time between items
        received.append(item)
    assert received == [0, 1, 2]


async def test_a_cancel_from_outside_stays_a_cancel():
    started = asyncio.Event()

    async def read():
        async for _ in idle_limited(_items(0, then_never=True), 60):
            started.set()

    task = asyncio.ensure_future(read())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_no_limit_means_no_timer():
    received = [item async for item in idle_limited(_items(0, 0.01), None)]
    assert received == [0, 1]
