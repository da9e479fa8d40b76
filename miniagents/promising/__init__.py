"""The promise layer: promises, replayable streams, sentinels and immutable models.

Nothing here knows about agents or messages; `miniagents` builds those on top of it.
"""

from miniagents.promising.context import PromisingContext
from miniagents.promising.errors import (
    MiniAgentsError,
    NoActiveContextError,
    PromiseCancelledError,
    PromiseFinishedError,
    PromisingError,
)
from miniagents.promising.frozen import Frozen
from miniagents.promising.promises import Promise, StreamedPromise
from miniagents.promising.sentinels import AWAIT, CLEAR, DEFAULT, NO_VALUE, Sentinel

__all__ = [
    "AWAIT",
    "CLEAR",
    "DEFAULT",
    "NO_VALUE",
    "Frozen",
    "MiniAgentsError",
    "NoActiveContextError",
    "Promise",
    "PromiseCancelledError",
    "PromiseFinishedError",
    "PromisingContext",
    "PromisingError",
    "Sentinel",
    "StreamedPromise",
]
