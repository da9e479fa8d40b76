"""Errors raised by MiniAgents.

```
Exception
├── PromisingError                     (miniagents.promising: the layer below agents)
│   ├── NoActiveContextError           used outside `async with MiniAgents():`
│   ├── PromiseFinishedError           appended to a stream that has ended
│   ├── PromiseCancelledError          the producer of a reply or message was cancelled
│   └── MiniAgentsError                misuse of the agent layer
│       ├── AgentDefinitionError       `@miniagent` on something that cannot be an agent
│       ├── AgentCallError             `inquire()`/`fork()` with arguments the agent does not take
│       ├── ReplyError                 `ctx.reply()` with a value that is not a message, or after finishing
│       ├── ChainError                 a malformed agent chain for `achain_loop`
│       └── LLMError                   a language model provider failed (see `miniagents.ext.llm`)
└── StopLoop                           not an error: raised by an agent to end a loop normally
```

Errors raised *inside* an agent are not wrapped: whoever consumes that agent's reply receives the
original exception, with its type and message, at its position in the reply stream.
"""

from __future__ import annotations

from miniagents.promising.errors import (
    NoActiveContextError,
    PromiseCancelledError,
    PromiseFinishedError,
    PromisingError,
)

__all__ = [
    "AgentCallError",
    "AgentDefinitionError",
    "ChainError",
    "LLMError",
    "MiniAgentsError",
    "NoActiveContextError",
    "PromiseCancelledError",
    "PromiseFinishedError",
    "PromisingError",
    "ReplyError",
    "StopLoop",
]


class MiniAgentsError(PromisingError):
    """Base class of errors about using agents and messages the wrong way."""


class AgentDefinitionError(MiniAgentsError):
    """`@miniagent` was applied to a function that cannot be an agent."""


class AgentCallError(MiniAgentsError):
    """An agent was called or forked with arguments its function does not accept."""


class ReplyError(MiniAgentsError):
    """`InteractionContext.reply()` got something it cannot send, or was called after the reply ended."""


class ChainError(MiniAgentsError):
    """`achain_loop()` got a chain it cannot run."""


class LLMError(MiniAgentsError):
    """A language model provider failed; the message names the provider and the cause."""


class StopLoop(Exception):
    """Raise this from any agent in `achain_loop`/`adialog_loop` to end the loop normally.

    It travels in the agent's reply like any exception; the loop that receives it returns.
    """
