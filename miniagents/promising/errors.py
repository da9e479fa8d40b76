"""Errors of the promise layer, and `MiniAgentsError`, the root of every error the package raises.

```
MiniAgentsError                    (the root: `except MiniAgentsError` catches anything MiniAgents raises)
└── PromisingError
    ├── NoActiveContextError       a promise or task was used outside any PromisingContext
    ├── PromiseFinishedError       an item was appended to a stream that already ended
    └── PromiseCancelledError      the work producing a promise was cancelled
```

The root lives here, in the lowest layer, so that every layer above can hang its errors under it;
`miniagents.errors` draws the whole tree.
"""

from __future__ import annotations

__all__ = [
    "MiniAgentsError",
    "NoActiveContextError",
    "PromiseCancelledError",
    "PromiseFinishedError",
    "PromisingError",
]


class MiniAgentsError(Exception):
    """Base class of every error MiniAgents raises (see the tree in `miniagents.errors`)."""


class PromisingError(MiniAgentsError):
    """Base class of every error raised by `miniagents.promising`."""


class NoActiveContextError(PromisingError):
    """Raised when work needs a running context and none is active."""


class PromiseFinishedError(PromisingError):
    """Raised when something is appended to a streamed promise that has already ended."""


class PromiseCancelledError(PromisingError):
    """Raised to consumers of a promise whose producer was cancelled.

    The task that was cancelled itself sees `asyncio.CancelledError`; every other consumer of
    what that task was producing sees this error instead, so that one cancelled producer does not
    turn its consumers into cancelled tasks too.
    """
