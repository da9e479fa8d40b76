"""`PromisingContext`: owns every background task that promises start, and cancels them in scopes.

Cancellation follows ownership. Each task started with `start_soon` belongs to the *scope* that is
current where it was started. A scope started from plain code belongs to the task that started it;
when that task is cancelled, the scope and everything started inside it (nested scopes included) is
cancelled too. Leaving the context waits for every task it still owns.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from miniagents.promising.errors import NoActiveContextError

__all__ = ["PromisingContext"]

_T = TypeVar("_T")

logger = logging.getLogger("miniagents")

_current_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "miniagents_current_scope", default=None
)


_GENERATOR_CLOSE_ROUNDS = 5
_GENERATOR_CLOSE_SECONDS = 1.0


def _is_generator_close(task: asyncio.Task[Any]) -> bool:
    """Whether `task` is one the event loop started to close a released async generator."""
    return type(task.get_coro()).__name__ == "async_generator_athrow"


class _Scope:
    """A set of tasks (and nested scopes) that are cancelled together."""

    __slots__ = ("_children", "_detach", "_parent", "_tasks")

    def __init__(self, parent: _Scope | None) -> None:
        self._parent = parent
        self._tasks: set[asyncio.Task[Any]] = set()
        self._children: set[_Scope] = set()

    def add_task(self, task: asyncio.Task[Any]) -> None:
        if not self._tasks and not self._children and self._parent is not None:
            self._parent._children.add(self)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._maybe_detach()

    def _maybe_detach(self) -> None:
        if not self._tasks and not self._children and self._parent is not None:
            self._parent._children.discard(self)
            self._parent._maybe_detach()

    def cancel(self) -> None:
        for task in tuple(self._tasks):
            task.cancel()
        for child in tuple(self._children):
            child.cancel()


class PromisingContext:
    """An async context that owns the tasks promises start and waits for them on exit.

    Use it as `async with context:`; inside, `PromisingContext.get_current()` finds it. Subclasses
    (such as `MiniAgents`) add their own concepts on top.
    """

    _current: ClassVar[contextvars.ContextVar[PromisingContext | None]] = contextvars.ContextVar(
        "miniagents_current_context", default=None
    )

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._root_scopes: dict[asyncio.Task[Any], _Scope] = {}
        self._unretrieved: dict[int, BaseException] = {}
        self._exit_callbacks: list[Callable[[], Awaitable[object]]] = []
        self.resources: dict[object, object] = {}
        """Objects shared by everything in this context (for example HTTP clients), by key."""
        self._token: contextvars.Token[PromisingContext | None] | None = None
        self._entered = False

    @classmethod
    def get_current(cls) -> Self:
        """Return the innermost active context of this class.

        Raises:
            NoActiveContextError: no such context is active in this task.
        """
        context = PromisingContext._current.get()
        if context is None or not isinstance(context, cls):
            raise NoActiveContextError(
                f"No active {cls.__name__} context: run this code inside `async with {cls.__name__}():`"
                f" or `{cls.__name__}().run(main())`."
            )
        return context

    async def __aenter__(self) -> Self:
        if self._entered:
            raise RuntimeError(f"this {type(self).__name__} has already been entered; make a new one")
        self._entered = True
        self._token = PromisingContext._current.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is not None:
                self.cancel_all()
            await self._wait_for_tasks()
        finally:
            for callback in reversed(self._exit_callbacks):
                await callback()
            self._exit_callbacks.clear()
            self.resources.clear()
            self._log_unretrieved_errors()
            if self._token is not None:
                PromisingContext._current.reset(self._token)
                self._token = None
        await self._let_released_generators_close()

    def run(self, awaitable: Coroutine[Any, Any, _T]) -> _T:
        """Run a coroutine to completion inside this context on a new event loop."""

        async def _run_inside() -> _T:
            async with self:
                return await awaitable

        return asyncio.run(_run_inside())

    async def _wait_for_tasks(self) -> None:
        try:
            while self._tasks:
                await asyncio.wait(tuple(self._tasks))
        except asyncio.CancelledError:
            # The exit itself was cancelled: cancel what is left, let it clean up, then re-raise.
            self.cancel_all()
            while self._tasks:
                await asyncio.wait(tuple(self._tasks))
            raise

    @staticmethod
    async def _let_released_generators_close() -> None:
        # Async generators that finished tasks dropped half-way (an HTTP library's byte streams,
        # say) are closed by `aclose()` tasks that the event loop schedules once they are released.
        # Wait for those, so that nothing started on this context's behalf outlives it.
        for _ in range(_GENERATOR_CLOSE_ROUNDS):
            await asyncio.sleep(0)  # the loop creates the closing tasks on its next turn
            closing = [task for task in asyncio.all_tasks() if _is_generator_close(task)]
            if not closing:
                return
            await asyncio.wait(closing, timeout=_GENERATOR_CLOSE_SECONDS)

    @property
    def active_tasks(self) -> tuple[asyncio.Task[Any], ...]:
        """The tasks this context owns that have not finished yet (none once it has exited)."""
        return tuple(task for task in self._tasks if not task.done())

    def add_exit_callback(self, callback: Callable[[], Awaitable[object]]) -> None:
        """Run `await callback()` when the context exits, after its tasks are done (last added, first run)."""
        self._exit_callbacks.append(callback)

    def cancel_all(self) -> None:
        """Cancel every task this context still owns."""
        for task in tuple(self._tasks):
            task.cancel()

    def start_soon(self, coro: Coroutine[Any, Any, _T]) -> asyncio.Task[_T]:
        """Start `coro` as a task owned by this context and by the current cancellation scope."""
        scope = _current_scope.get() or self._root_scope()
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        scope.add_task(task)
        return task

    def start_scoped(self, coro: Coroutine[Any, Any, _T]) -> asyncio.Task[_T]:
        """Start `coro` in a new cancellation scope nested in the current one.

        Everything `coro` starts with `start_soon` belongs to the new scope. Cancelling the scope's
        owner (the current scope, or the calling task) cancels it all, and so does cancelling the
        returned task itself: what it started would otherwise run on for nobody. (A task that
        ends normally leaves what it started running, such as a stream it handed on.)
        """
        scope = _Scope(_current_scope.get() or self._root_scope())
        context = contextvars.copy_context()
        context.run(_current_scope.set, scope)
        task = asyncio.get_running_loop().create_task(coro, context=context)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        scope.add_task(task)
        task.add_done_callback(lambda done: scope.cancel() if done.cancelled() else None)
        return task

    def _root_scope(self) -> _Scope:
        task = asyncio.current_task()
        if task is None:
            raise NoActiveContextError("promises can only start work from inside a running task")
        scope = self._root_scopes.get(task)
        if scope is None:
            scope = self._root_scopes[task] = _Scope(None)
            task.add_done_callback(self._owner_done)
        return scope

    def _owner_done(self, task: asyncio.Task[Any]) -> None:
        scope = self._root_scopes.pop(task)
        if task.cancelled():
            scope.cancel()

    def note_unretrieved(self, error: BaseException) -> None:
        """Remember an error that nobody has retrieved yet (logged on exit if that stays so)."""
        self._unretrieved[id(error)] = error

    def note_retrieved(self, error: BaseException) -> None:
        """Forget an error noted with `note_unretrieved`: someone has received it."""
        self._unretrieved.pop(id(error), None)

    def _log_unretrieved_errors(self) -> None:
        for error in self._unretrieved.values():
            logger.error(
                "An error was raised where nobody received it: %s: %s",
                type(error).__name__,
                error,
                exc_info=error,
            )
        self._unretrieved.clear()
