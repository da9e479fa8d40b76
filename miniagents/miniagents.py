"""`MiniAgents`: the context every agent runs in."""

from __future__ import annotations

from miniagents.promising.context import PromisingContext

__all__ = ["MiniAgents"]


class MiniAgents(PromisingContext):
    """The context that agents run in.

    Enter it with `async with MiniAgents():` or run a coroutine in it with `MiniAgents().run(main())`.
    Inside, `agent.inquire(...)` starts agents as background tasks that the context owns. Leaving
    the context waits for every agent and stream that is still running (if the body raised or was
    cancelled, they are cancelled first), then logs, once each, errors that no consumer received.
    After it exits, nothing it started is left running.
    """
