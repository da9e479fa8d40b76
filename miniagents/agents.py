"""Agents: `@miniagent`, `MiniAgent` and the `InteractionContext` an agent function receives."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from typing import Any, Concatenate, overload

from miniagents.errors import AgentCallError, AgentDefinitionError
from miniagents.messages import MessageInput, MessagePromise, MessageSequencePromise, Token
from miniagents.miniagents import MiniAgents
from miniagents.promising.errors import PromiseCancelledError
from miniagents.sink import MessageSink, to_message_sequence

__all__ = [
    "AgentFunction",
    "InteractionContext",
    "MiniAgent",
    "author_fields",
    "current_agent_path",
    "miniagent",
]

AgentFunction = Callable[Concatenate["InteractionContext", ...], Awaitable[None]]
"""An async function whose first parameter receives the `InteractionContext`."""


_agent_path: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("agent_path", default=())
"""The aliases of the agents whose calls led to the running code, outermost first."""


def current_agent_path() -> tuple[str, ...]:
    """The aliases of the agents running the current code, outermost first (empty outside agents)."""
    return _agent_path.get()


class InteractionContext:
    """What an agent function receives for one call: its input, its reply and the agent itself.

    Messages the agent makes from a `str` or a `dict` (in `reply()` or `reply_tokens()`) say who wrote
    them: `agent` is the agent's alias, and an agent called by another agent (as a tool, say) adds
    `agent_path`, the aliases from the outermost caller down, joined by `/` (`assistant/researcher`).
    """

    __slots__ = ("_reply", "agent", "agent_path", "messages")

    def __init__(
        self,
        agent: MiniAgent,
        messages: MessageSequencePromise,
        reply: MessageSink,
        agent_path: tuple[str, ...] = (),
    ) -> None:
        self.agent = agent
        """The agent being called."""
        self.messages = messages
        """The input messages, streaming message by message."""
        self.agent_path = agent_path or (agent.alias,)
        """This call's agent and the agents that called it, outermost first."""
        self._reply = reply

    def reply(self, messages: MessageInput) -> None:
        """Send messages as (part of) this agent's reply; it returns at once.

        Accepts a `str`, `Message`, `dict` of message fields, `MessagePromise`,
        `MessageSequencePromise` (for example another agent's reply), or any (async) iterable of
        these, nested. The reply keeps the order of `reply()` calls, whatever finishes first.

        Raises:
            ReplyError: the reply has already been finished, or `messages` is of a type that
                cannot be sent.
        """
        self._reply.put(messages)

    def reply_tokens(self, tokens: AsyncIterable[Token], **metadata: Any) -> MessagePromise:
        """Reply with one message streamed from an async iterator of tokens, and return its promise.

        The iterator is drained in the background at once; consumers see each token as it comes.
        Mappings the iterator yields are merged into the message's metadata. The same as
        `ctx.reply(MessagePromise(tokens=tokens, **metadata))`.
        """
        promise = MessagePromise(tokens=tokens, **{**self._reply.author, **metadata})
        self._reply.put(promise)
        return promise

    def finish_early(self) -> None:
        """End the reply now: consumers see its end while the agent function may go on running.

        Messages already sent are still delivered; later `reply()` calls raise `ReplyError`.
        """
        self._reply.close()

    @property
    def reply_finished(self) -> bool:
        """Whether the reply has been finished (by `finish_early()` or by the agent returning)."""
        return self._reply.closed


class MiniAgent:
    """An agent: an async function that answers input messages with a reply of messages.

    Make one with `@miniagent`. `inquire()` calls it; `fork()` makes a copy with other defaults.
    """

    __slots__ = ("_accepted_kwargs", "_accepts_any_kwarg", "_defaults", "alias", "description", "func")

    def __init__(
        self,
        func: AgentFunction,
        *,
        alias: str | None = None,
        description: str | None = None,
        **defaults: Any,
    ) -> None:
        """Wrap `func` as an agent.

        Args:
            func: an async function taking an `InteractionContext` as its first parameter.
            alias: the agent's name (defaults to the function's name).
            description: what the agent does (defaults to the function's docstring).
            **defaults: keyword arguments passed to `func` on every call, unless `inquire()`
                overrides them.

        Raises:
            AgentDefinitionError: `func` is not an async function with a first positional parameter.
            AgentCallError: a default names a parameter `func` does not have.
        """
        if not inspect.iscoroutinefunction(func):
            raise AgentDefinitionError(
                f"@miniagent needs an async function, but {getattr(func, '__qualname__', func)!r} is not one:"
                " define it with `async def`."
            )
        parameters = list(inspect.signature(func).parameters.values())
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        if not parameters or parameters[0].kind not in positional:
            raise AgentDefinitionError(
                f"the agent function {func.__qualname__!r} must take the InteractionContext as its first"
                " positional parameter, e.g. `async def my_agent(ctx: InteractionContext) -> None`."
            )
        self.func = func
        self.alias = alias or func.__name__
        self.description = description if description is not None else inspect.getdoc(func)
        self._accepts_any_kwarg = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
        self._accepted_kwargs = frozenset(
            p.name
            for p in parameters[1:]
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        )
        self._check_kwargs(defaults)
        self._defaults = defaults

    @property
    def defaults(self) -> dict[str, Any]:
        """The keyword arguments this agent passes to its function unless `inquire()` overrides them."""
        return dict(self._defaults)

    def __repr__(self) -> str:
        return f"MiniAgent({self.alias!r})"

    def _check_kwargs(self, kwargs: Mapping[str, Any]) -> None:
        if self._accepts_any_kwarg:
            return
        unknown = kwargs.keys() - self._accepted_kwargs
        if unknown:
            raise AgentCallError(
                f"agent {self.alias!r} has no parameter(s) {', '.join(sorted(unknown))}; it accepts:"
                f" {', '.join(sorted(self._accepted_kwargs)) or 'no keyword arguments'}"
            )

    def fork(self, *, alias: str | None = None, description: str | None = None, **kwargs: Any) -> MiniAgent:
        """Return a copy of this agent whose defaults are updated with `kwargs` (this one is untouched)."""
        return MiniAgent(
            self.func,
            alias=alias or self.alias,
            description=description if description is not None else self.description,
            **{**self._defaults, **kwargs},
        )

    def inquire(self, messages: MessageInput = None, **kwargs: Any) -> MessageSequencePromise:
        """Call the agent and return its reply at once, while the agent runs in the background.

        Args:
            messages: the input, in any shape `InteractionContext.reply()` accepts (`None` for none).
            **kwargs: arguments for the agent function; they override the agent's defaults.

        Returns:
            The reply, streaming message by message (each message token by token); its `cancel()`
            cancels the agent and everything it started.

        Raises:
            NoActiveContextError: no `MiniAgents` context is active.
            AgentCallError: a keyword argument is not a parameter of the agent function.
        """
        context = MiniAgents.get_current()
        if kwargs:
            self._check_kwargs(kwargs)
            kwargs = {**self._defaults, **kwargs}
        else:
            kwargs = self._defaults
        path = (*_agent_path.get(), self.alias)
        reply = MessageSink(author=author_fields(path))
        interaction = InteractionContext(self, to_message_sequence(messages), reply, path)
        reply.sequence.adopt_producer(context.start_scoped(self._run(interaction, kwargs)))
        return reply.sequence

    async def _run(self, interaction: InteractionContext, kwargs: dict[str, Any]) -> None:
        reply = interaction._reply
        _agent_path.set(interaction.agent_path)  # this task's own context: callers never see it
        try:
            await self.func(interaction, **kwargs)
        except asyncio.CancelledError:
            reply.close(PromiseCancelledError(f"agent {self.alias!r} was cancelled"))
            raise
        except Exception as error:
            if reply.closed:  # finished early: nobody can receive the error through the reply
                MiniAgents.get_current().note_unretrieved(error)
            else:
                reply.close(error)
        except BaseException as error:
            reply.close(PromiseCancelledError(f"agent {self.alias!r} was stopped by {type(error).__name__}"))
            raise
        else:
            reply.close()


def author_fields(path: tuple[str, ...]) -> dict[str, str]:
    """The metadata that says an agent at `path` wrote a message: `agent`, and `agent_path` when nested."""
    if not path:
        return {}
    if len(path) == 1:
        return {"agent": path[0]}
    return {"agent": path[-1], "agent_path": "/".join(path)}


@overload
def miniagent(func: AgentFunction, /) -> MiniAgent: ...


@overload
def miniagent(
    *, alias: str | None = None, description: str | None = None, **defaults: Any
) -> Callable[[AgentFunction], MiniAgent]: ...


def miniagent(
    func: AgentFunction | None = None,
    /,
    *,
    alias: str | None = None,
    description: str | None = None,
    **defaults: Any,
) -> MiniAgent | Callable[[AgentFunction], MiniAgent]:
    """Turn an async function into a `MiniAgent`: `@miniagent` or `@miniagent(alias=..., **defaults)`.

    Keyword arguments other than `alias` and `description` become the agent's default arguments.
    """
    if func is not None:
        return MiniAgent(func, alias=alias, description=description, **defaults)

    def decorate(function: AgentFunction) -> MiniAgent:
        return MiniAgent(function, alias=alias, description=description, **defaults)

    return decorate
