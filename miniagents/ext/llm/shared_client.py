"""One client per `MiniAgents` context, made in a worker thread and closed when the context exits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Protocol

from miniagents.miniagents import MiniAgents

__all__ = ["ashared_resource"]


class _Closable(Protocol):
    def close(self) -> Awaitable[object]: ...


async def ashared_resource(key: Hashable, make: Callable[[], Any]) -> Any:
    """The current context's resource under `key`, made by `make()` in a worker thread the first time.

    Making an SDK client loads TLS certificates and HTTP modules, a tenth of a second that the
    event loop should not wait. Calls that start together wait for the same making, so one is made;
    a caller cancelled meanwhile does not stop it. When the context exits, it awaits `close()` on
    what was made. If `make()` fails, the next call tries again.
    """
    context = MiniAgents.get_current()
    making = context.resources.get(key)
    if not isinstance(making, asyncio.Task):
        making = asyncio.get_running_loop().create_task(asyncio.to_thread(make))
        context.resources[key] = making
        context.add_exit_callback(lambda: _aclose(making))
    try:
        return await asyncio.shield(making)
    except Exception:
        if context.resources.get(key) is making:
            del context.resources[key]
        raise


async def _aclose(making: asyncio.Task[_Closable]) -> None:
    try:
        resource = await making
    except Exception:  # what could not be made has nothing to close
        return
    await resource.close()
