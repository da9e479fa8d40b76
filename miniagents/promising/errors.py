"""Errors of the promise layer.

```
PromisingError
├── NoActiveContextError       a promise or task was used outside any PromisingContext
├── PromiseFinishedError       an item was appended to a stream that already ended
└── PromiseCancelledError      the work producing a promise was cancelled
```
"""

from __future__ import annotations

__all__ = [
    "NoActiveContextError",
    "PromiseCancelledError",
    "PromiseFinishedError",
    "PromisingError",
]


class PromisingError(Exception):
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
