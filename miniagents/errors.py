"""Errors raised by MiniAgents: one tree, one root.

```
Exception
├── MiniAgentsError                    the root: `except MiniAgentsError` catches anything MiniAgents raises
│   ├── PromisingError                 (miniagents.promising: the layer below agents)
│   │   ├── NoActiveContextError       used outside `async with MiniAgents():`
│   │   ├── PromiseFinishedError       appended to a stream that has ended
│   │   └── PromiseCancelledError      the producer of a reply or message was cancelled
│   ├── UsageError                     the caller used the agent layer the wrong way
│   │   ├── AgentDefinitionError       `@miniagent` on something that cannot be an agent
│   │   ├── AgentCallError             `inquire()`/`fork()` with arguments the agent does not take
│   │   ├── ReplyError                 `ctx.reply()` with a value that is not a message, or after finishing
│   │   ├── ChainError                 a malformed agent chain for `achain_loop`
│   │   └── ToolDefinitionError        something in `tools=` that cannot be a tool
│   ├── LLMError                       a language model provider failed (names provider and cause)
│   │   ├── LLMConfigError             no API key, no SDK, no model: nothing was sent
│   │   ├── LLMStatusError             the provider answered with an HTTP error status
│   │   ├── LLMConnectionError         the provider could not be reached
│   │   ├── LLMStreamError             the reply stream broke after it had started
│   │   ├── LLMIdleTimeoutError        the reply stream went silent for longer than the idle timeout
│   │   └── ToolRoundsError            the model kept calling tools past `max_tool_rounds`
│   ├── ToolError                      raised by a tool: its text goes back to the model as an error result
│   ├── ToolTimeoutError               a tool call took longer than its `tool_timeout` (also a `TimeoutError`)
│   └── TranscriptError                a Markdown transcript could not be used
│       ├── TranscriptWriteError       saving failed (also an `OSError`); nothing in memory is lost
│       ├── TranscriptFormatError      the file is not a transcript at all (also a `ValueError`)
│       └── UnsafeNameError            a name would reach outside the transcripts folder (also a `ValueError`)
└── StopLoop                           not an error: raised by an agent to end a loop normally
```

Errors raised *inside* an agent are not wrapped: whoever consumes that agent's reply receives the
original exception, with its type and message, at its position in the reply stream.
"""

from __future__ import annotations

from miniagents.promising.errors import (
    MiniAgentsError,
    NoActiveContextError,
    PromiseCancelledError,
    PromiseFinishedError,
    PromisingError,
)

__all__ = [
    "AgentCallError",
    "AgentDefinitionError",
    "ChainError",
    "LLMConfigError",
    "LLMConnectionError",
    "LLMError",
    "LLMIdleTimeoutError",
    "LLMStatusError",
    "LLMStreamError",
    "MiniAgentsError",
    "NoActiveContextError",
    "PromiseCancelledError",
    "PromiseFinishedError",
    "PromisingError",
    "ReplyError",
    "StopLoop",
    "ToolDefinitionError",
    "ToolError",
    "ToolRoundsError",
    "ToolTimeoutError",
    "TranscriptError",
    "TranscriptFormatError",
    "TranscriptWriteError",
    "UnsafeNameError",
    "UsageError",
]


class UsageError(MiniAgentsError):
    """Base class of errors about using agents and messages the wrong way (the caller's mistake)."""


class AgentDefinitionError(UsageError):
    """`@miniagent` was applied to a function that cannot be an agent."""


class AgentCallError(UsageError):
    """An agent was called or forked with arguments its function does not accept."""


class ReplyError(UsageError):
    """`InteractionContext.reply()` got something it cannot send, or was called after the reply ended."""


class ChainError(UsageError):
    """`achain_loop()` got a chain it cannot run."""


class ToolDefinitionError(UsageError):
    """Something given as a tool is not a function or agent whose parameters can be described."""


class LLMError(MiniAgentsError):
    """A language model provider failed; the message names the provider, the cause and what to do."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        """The provider's name, e.g. `"OpenAI"`."""


class LLMConfigError(LLMError):
    """The call could not be made: no API key, no SDK installed, or no model given."""


class LLMStatusError(LLMError):
    """The provider answered with an HTTP error status."""

    def __init__(self, provider: str, message: str, status_code: int, retryable: bool) -> None:
        super().__init__(provider, message)
        self.status_code = status_code
        """The HTTP status code."""
        self.retryable = retryable
        """Whether the status is one that may succeed later (429, 5xx, ...)."""


class LLMConnectionError(LLMError):
    """The provider could not be reached (refused, reset, or timed out before answering)."""


class LLMStreamError(LLMError):
    """The reply stream broke after it had started; the tokens received so far are kept."""


class LLMIdleTimeoutError(LLMError):
    """No data arrived from the provider for longer than the idle timeout."""

    def __init__(self, provider: str, server: str, seconds: float, started: bool) -> None:
        if started:
            message = f"no data from {server} for {seconds:g} s, so the reply was ended there"
        else:
            message = f"no answer from {server} after {seconds:g} s"
        super().__init__(provider, message)
        self.server = server
        """The host (and port) that went quiet."""
        self.seconds = seconds
        """The idle timeout that ran out."""
        self.started = started
        """Whether the reply had started (some text had arrived)."""


class ToolRoundsError(LLMError):
    """The model asked for tools in more consecutive rounds than `max_tool_rounds` allows."""


class ToolError(MiniAgentsError):
    """Raise this from a tool to answer the model with an error result: the message is sent as it is.

    Any other exception from a tool is an error result too, prefixed with the exception's class name.
    """


class ToolTimeoutError(MiniAgentsError, TimeoutError):
    """A tool call took longer than the `tool_timeout` it was given, and was stopped."""


class TranscriptError(MiniAgentsError):
    """Base class of errors about Markdown transcripts; the message names the file."""


class TranscriptWriteError(TranscriptError, OSError):
    """A transcript could not be saved; the message names the path and the reason."""


class TranscriptFormatError(TranscriptError, ValueError):
    """The file is not a readable MiniAgents transcript at all (nothing in it could be loaded)."""


class UnsafeNameError(TranscriptError, ValueError):
    """A transcript name would reach outside the transcripts folder (or is not a plain file name)."""


class StopLoop(Exception):
    """Raise this from any agent in `achain_loop`/`adialog_loop` to end the loop normally.

    It travels in the agent's reply like any exception; the loop that receives it returns.
    """
