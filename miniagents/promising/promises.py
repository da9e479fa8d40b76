"""Promises of one value (`Promise`) and of a replayable stream of values (`StreamedPromise`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Generator, Iterable
from typing import Any, Generic, TypeVar

from miniagents.promising.context import PromisingContext
from miniagents.promising.errors import PromiseCancelledError, PromiseFinishedError

__all__ = ["Promise", "StreamedPromise"]

T = TypeVar("T")

_TURN_SECONDS = 0.005
"""The longest a producer takes items from its source before letting other tasks run."""
R = TypeVar("R")


class StreamedPromise(Generic[T, R]):
    """A stream of items that any number of consumers can iterate, each from the start, any number of times.

    Items come either from a *source* (an async iterable that a background task owned by the current
    `PromisingContext` drains eagerly) or from a producer that calls `append()` and then `finish()`.
    An error that ends the stream is raised to every consumer after the items produced before it.

    `await promise` waits for the end of the stream and gives its resolved value, computed once by
    `_resolve()` (subclasses decide what that is; by default the tuple of all items).
    """

    __slots__ = ("_context", "_done", "_error", "_items", "_producer", "_resolved", "_waiters")

    def __init__(self, source: AsyncIterable[object] | None = None, *, items: Iterable[T] = ()) -> None:
        """Create a streamed promise.

        Args:
            source: an async iterable to drain in the background; `None` for a promise fed with
                `append()`/`finish()` (or one that is already complete, see `items`). Each of its
                values goes through `_produce_item()`, which appends it as is unless a subclass
                says otherwise.
            items: items that are in the stream from the start.
        """
        self._items: list[T] = list(items)
        self._done = False
        self._error: BaseException | None = None
        self._waiters: list[asyncio.Future[None]] | None = None
        self._resolved: Any = _UNRESOLVED
        self._context: PromisingContext | None = None
        self._producer: asyncio.Task[None] | None = None
        if source is not None:
            self._context = PromisingContext.get_current()
            self._producer = self._context.start_soon(self._drain(source))

    @classmethod
    def completed(cls, items: Iterable[T] = ()) -> StreamedPromise[T, R]:
        """Return a promise whose stream already holds `items` and has ended."""
        promise = cls(items=items)
        promise._done = True
        return promise

    @property
    def done(self) -> bool:
        """Whether the stream has ended (normally or with an error)."""
        return self._done

    @property
    def items_so_far(self) -> tuple[T, ...]:
        """The items produced until now, whether or not the stream has ended."""
        return tuple(self._items)

    def append(self, item: T) -> None:
        """Add an item to the end of the stream.

        Raises:
            PromiseFinishedError: the stream has already ended.
        """
        if self._done:
            raise PromiseFinishedError(f"cannot append to {type(self).__name__}: it has already ended")
        self._items.append(item)
        waiters = self._waiters
        if waiters:
            self._waiters = None
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def finish(self, error: BaseException | None = None) -> None:
        """End the stream, with `error` if given. A second call does nothing."""
        if self._done:
            return
        self._done = True
        self._error = error
        if error is not None and not isinstance(error, PromiseCancelledError):
            if self._context is None:
                self._context = PromisingContext._current.get()
            if self._context is not None:
                self._context.note_unretrieved(error)
        waiters = self._waiters
        if waiters:
            self._waiters = None
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def _drain(self, source: AsyncIterable[object]) -> None:
        iterator = aiter(source)
        loop_time = asyncio.get_running_loop().time
        try:
            append = self._produce_item
            turn_ends = loop_time() + _TURN_SECONDS
            async for item in iterator:
                append(item)
                if loop_time() >= turn_ends:
                    # A source whose data is already there (a fast stream, buffered) never suspends:
                    # let the rest of the loop run (a UI's keys and frames) before taking more.
                    await asyncio.sleep(0)
                    turn_ends = loop_time() + _TURN_SECONDS
        except asyncio.CancelledError:
            self.finish(PromiseCancelledError(f"the producer of this {type(self).__name__} was cancelled"))
            raise
        except Exception as error:
            self.finish(error)
        else:
            self.finish()
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()

    def cancel(self) -> bool:
        """Cancel the background task draining this promise's source (for example to stop an LLM reply).

        The stream then ends with `PromiseCancelledError` after the items it already has. Returns
        whether there was a running producer to cancel.
        """
        if self._producer is None or self._producer.done():
            return False
        return self._producer.cancel()

    def adopt_producer(self, task: asyncio.Task[Any]) -> None:
        """Make `task` the work that `cancel()` stops, for a promise fed from outside (an agent's reply)."""
        self._producer = task

    def _produce_item(self, item: Any) -> None:
        """Take one item from the source; subclasses may transform or filter it."""
        self.append(item)

    def _raise_error(self) -> None:
        error = self._error
        if error is not None:
            if self._context is not None:
                self._context.note_retrieved(error)
            raise error

    async def _wait_for_change(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = [waiter]
        else:
            self._waiters.append(waiter)
        await waiter

    def __aiter__(self) -> AsyncIterator[T]:
        return _StreamCursor(self)

    async def batches(self) -> AsyncIterator[tuple[T, ...]]:
        """The stream's items in runs: each run is every item that arrived since the one before.

        A run is never empty. A reader that does the same work for one item as for many (a screen
        that redraws a reply) reads a fast stream this way and wakes once per run, not per token.
        The stream's error, if any, is raised after the last run.
        """
        index = 0
        while True:
            items = self._items
            if index < len(items):
                run = tuple(items[index:])
                index += len(run)
                yield run
            elif self._done:
                self._raise_error()
                return
            else:
                await self._wait_for_change()

    async def aresolve_items(self) -> tuple[T, ...]:
        """Wait for the end of the stream and return all its items (raising its error, if any)."""
        while not self._done:
            await self._wait_for_change()
        self._raise_error()
        return tuple(self._items)

    async def _resolve(self) -> R:
        return await self.aresolve_items()  # type: ignore[return-value]

    async def aresolve(self) -> R:
        """Wait for the end of the stream and return the resolved value (computed once)."""
        if self._resolved is _UNRESOLVED:
            value = await self._resolve()
            if self._resolved is _UNRESOLVED:
                self._resolved = value
        return self._resolved

    def __await__(self) -> Generator[Any, None, R]:
        return self.aresolve().__await__()


class _StreamCursor(AsyncIterator[T]):
    """One consumer's position in a `StreamedPromise`."""

    __slots__ = ("_index", "_promise")

    def __init__(self, promise: StreamedPromise[T, Any]) -> None:
        self._promise = promise
        self._index = 0

    def __aiter__(self) -> _StreamCursor[T]:
        return self

    async def __anext__(self) -> T:
        promise = self._promise
        while True:
            index = self._index
            items = promise._items
            if index < len(items):
                self._index = index + 1
                return items[index]
            if promise._done:
                promise._raise_error()
                raise StopAsyncIteration
            await promise._wait_for_change()


class Promise(Generic[T]):
    """A value that a coroutine computes in the background, awaitable any number of times.

    The coroutine starts at once as a task owned by the current `PromisingContext`. Awaiting the
    promise gives its result or raises its exception. `Promise.resolved(value)` makes one that is
    already done.
    """

    __slots__ = ("_stream",)

    def __init__(self, resolver: Callable[[], Awaitable[T]] | None = None) -> None:
        """Start computing the value with `resolver()` (or make an unresolved shell for `resolved`)."""
        self._stream: StreamedPromise[T, tuple[T, ...]]
        if resolver is None:
            self._stream = StreamedPromise()
        else:
            self._stream = StreamedPromise(_one_value(resolver))

    @classmethod
    def resolved(cls, value: T) -> Promise[T]:
        """Return a promise that is already resolved to `value`."""
        promise = cls()
        promise._stream = StreamedPromise.completed((value,))
        return promise

    @property
    def done(self) -> bool:
        """Whether the value (or error) is available."""
        return self._stream.done

    async def aresolve(self) -> T:
        """Wait for and return the value (or raise the error)."""
        (value,) = await self._stream.aresolve_items()
        return value

    def __await__(self) -> Generator[Any, None, T]:
        return self.aresolve().__await__()


async def _one_value(resolver: Callable[[], Awaitable[T]]) -> AsyncIterator[T]:
    yield await resolver()


_UNRESOLVED: Any = object()
