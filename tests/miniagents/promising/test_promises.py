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


async def test_a_source_that_never_suspends_still_lets_other_tasks_run():
    """A fast stream whose data is already buffered yields item after item without suspending; the
    producer gives the loop back every few milliseconds, so a UI's keys are not held up."""
    other_ran = asyncio.Event()
    seen_at: list[int] = []
    limit = 2_000_000

    async def source():
        for index in range(limit):
            if other_ran.is_set() and not seen_at:
                seen_at.append(index)
            yield index

    async def other():
        other_ran.set()

    async with PromisingContext() as context:
        stream = StreamedPromise(source())
        context.start_soon(other())
        await stream
    assert seen_at and seen_at[0] < limit  # the other task ran before the stream ended


async def test_batches_give_every_item_once_in_runs_of_what_arrived_meanwhile():
    async with PromisingContext():
        stream: StreamedPromise[int, tuple[int, ...]] = StreamedPromise()
        runs: list[tuple[int, ...]] = []
        reader = asyncio.ensure_future(_collect_runs(stream, runs))
        stream.append(1)
        stream.append(2)  # both before the reader wakes: one run
        await _until(lambda: runs == [(1, 2)])
        stream.append(3)
        await _until(lambda: runs == [(1, 2), (3,)])
        stream.append(4)
        stream.finish(ValueError("broke"))
        with pytest.raises(ValueError, match="broke"):
            await reader  # after the last run
        assert runs == [(1, 2), (3,), (4,)]
        late: list[tuple[int, ...]] = []
        with pytest.raises(ValueError):
            await _collect_runs(stream, late)  # a reader that comes late gets all in one run
        assert late == [(1, 2, 3, 4)]


async def _collect_runs(stream, runs):
    async for run in stream.batches():
        runs.append(run)


async def _until(condition):
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")
