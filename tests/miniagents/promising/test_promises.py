import asyncio

import pytest

from miniagents.promising import (
    AWAIT,
    CLEAR,
    DEFAULT,
    NO_VALUE,
    NoActiveContextError,
    Promise,
    PromiseFinishedError,
    PromisingContext,
    StreamedPromise,
)


async def test_sentinels_are_distinct_falsy_and_named():
    sentinels = [AWAIT, CLEAR, DEFAULT, NO_VALUE]
    assert len({id(s) for s in sentinels}) == 4
    assert not any(sentinels)
    assert [repr(s) for s in sentinels] == ["AWAIT", "CLEAR", "DEFAULT", "NO_VALUE"]


async def test_pushed_stream_replays_and_resolves():
    async with PromisingContext():
        stream: StreamedPromise[int, tuple[int, ...]] = StreamedPromise()

        async def consume():
            return [item async for item in stream]

        consumers = [asyncio.create_task(consume()) for _ in range(3)]
        await asyncio.sleep(0)
        for item in range(5):
            stream.append(item)
            await asyncio.sleep(0)
        stream.finish()
        assert [await c for c in consumers] == [[0, 1, 2, 3, 4]] * 3
        assert await stream == (0, 1, 2, 3, 4)
        with pytest.raises(PromiseFinishedError):
            stream.append(5)


async def test_cancelled_consumer_does_not_disturb_others():
    async with PromisingContext():
        stream: StreamedPromise[int, tuple[int, ...]] = StreamedPromise()

        async def consume():
            return [item async for item in stream]

        victim = asyncio.create_task(consume())
        survivor = asyncio.create_task(consume())
        await asyncio.sleep(0)
        victim.cancel()
        await asyncio.sleep(0)
        stream.append(1)
        stream.finish()
        assert await survivor == [1]
        assert victim.cancelled()


async def test_source_stream_errors_after_its_items():
    async def source():
        yield 1
        raise RuntimeError("late")

    async with PromisingContext():
        stream = StreamedPromise(source())
        received = []
        with pytest.raises(RuntimeError, match="late"):
            async for item in stream:
                received.append(item)
        assert received == [1]


async def test_promise_resolves_once_for_many_awaiters():
    calls = []

    async def compute():
        calls.append(1)
        await asyncio.sleep(0)
        return 42

    async with PromisingContext():
        promise = Promise(compute)
        assert await asyncio.gather(promise, promise.aresolve()) == [42, 42]
        assert await Promise.resolved("x") == "x"
    assert calls == [1]


async def test_source_needs_a_context():
    async def source():
        yield 1

    gen = source()
    with pytest.raises(NoActiveContextError, match="PromisingContext"):
        StreamedPromise(gen)
    await gen.aclose()
