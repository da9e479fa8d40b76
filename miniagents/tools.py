"""Tools: Python functions and agents that a model can call.

`Tool.of(obj)` describes a plain function (sync or async) or a `MiniAgent` for a model: its name
(the function's or agent's), its description (the docstring) and a JSON schema of its parameters
built by pydantic from the type hints (for an agent, the keyword parameters after `ctx`; a default
makes a parameter optional, `Literal` gives an enum, pydantic models and lists nest).

`start_tool_call(call, tools)` runs one call a model asked for, as an agent in the current
`MiniAgents` context, and returns its result message at once: `role="tool"`, `tool_call_id`,
`tool_name`, `is_error`. The text is the tool's return value (a `str` as is, anything else as
JSON). A `@miniagent` tool's result streams its reply's tokens while the agent writes them. An
unknown tool, arguments that fail validation and a tool that raises each give an error result
(`is_error=True`, the text says what went wrong) that goes back to the model, which can recover.
A tool raises `ToolError` to choose that text itself.

A tool can ask before it runs: `tool.asking(approve)` gives a copy that awaits `approve(tool,
arguments)` first and runs only if it returns True. Its result message says how that went
(`approval`: `"asked"` while waiting, then `"allowed"` or `"denied"`); a denied call is an error
result that tells the model the user said no.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeAlias, TypeVar, get_type_hints

import pydantic
from pydantic_core import to_jsonable_python

from miniagents.agents import InteractionContext, MiniAgent, author_fields, current_agent_path
from miniagents.errors import ToolDefinitionError, ToolError, ToolTimeoutError
from miniagents.messages import MessagePromise, MessageSequencePromise, Token
from miniagents.promising.frozen import plain

__all__ = [
    "DEFAULT_TOOL_TIMEOUT",
    "DENIED",
    "Approver",
    "Tool",
    "ToolLike",
    "start_tool_call",
    "tools_by_name",
]

_T = TypeVar("_T")

DEFAULT_TOOL_TIMEOUT: float | None = None
"""How long a tool call may take by default: no limit (an agent given as a tool may work for long)."""

ToolLike: TypeAlias = "Tool | MiniAgent | Callable[..., Any]"
"""What `tools=` accepts: a `Tool`, a `MiniAgent`, or a plain function (sync or async)."""

Approver: TypeAlias = "Callable[[Tool, dict[str, Any]], Awaitable[bool]]"
"""Asked before a call runs, with the tool and its validated arguments: True lets it run."""

DENIED = "the user did not allow this call"
"""The error result a model gets for a call its approver refused."""

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Tool:
    """A function or agent described for a model: name, description and parameters' JSON schema."""

    name: str
    description: str
    parameters: dict[str, Any]
    """The JSON schema of the arguments (an object)."""
    agent: MiniAgent
    """The agent that runs a call (a plain function is wrapped in one)."""
    arguments: type[pydantic.BaseModel]
    """The pydantic model that validates the arguments."""
    approve: Approver | None = None
    """Asked before each call (see `asking`); None: calls run without asking."""

    @classmethod
    def of(cls, obj: ToolLike) -> Tool:
        """Describe `obj` (a `Tool` is returned as it is).

        Raises:
            ToolDefinitionError: `obj` is not a function or agent, its name is not a valid tool
                name (letters, digits, `_` and `-`, at most 64), or a parameter cannot be described.
        """
        if isinstance(obj, Tool):
            return obj
        if isinstance(obj, MiniAgent):
            agent, function, skip = obj, obj.func, 1
            hidden = set(obj.defaults)
        elif callable(obj) and (inspect.isfunction(obj) or inspect.ismethod(obj)):
            agent, function, skip, hidden = _function_agent(obj), obj, 0, set()
        else:
            raise ToolDefinitionError(
                f"{obj!r} cannot be a tool: give a function (sync or async) or a @miniagent"
            )
        if not _NAME.match(agent.alias):
            raise ToolDefinitionError(
                f"{agent.alias!r} cannot be a tool name: use letters, digits, `_` and `-` (at most 64)"
            )
        arguments = _arguments_model(agent.alias, function, skip, hidden)
        return cls(
            name=agent.alias,
            description=agent.description or "",
            parameters=_schema(arguments),
            agent=agent,
            arguments=arguments,
        )

    @classmethod
    def from_schema(
        cls, name: str, description: str, parameters: Mapping[str, Any], agent: MiniAgent
    ) -> Tool:
        """A tool whose parameters are given as a JSON schema (e.g. by an MCP server), run by `agent`.

        Its arguments are checked only to be a JSON object; they reach `agent` as keyword
        arguments, and whoever the agent asks (the server) checks them against the schema.
        """
        return cls(
            name=name,
            description=description,
            parameters=_untitled(dict(parameters)),
            agent=agent,
            arguments=pydantic.create_model(
                f"{name}_arguments", __config__=pydantic.ConfigDict(extra="allow")
            ),
        )

    def asking(self, approve: Approver | None) -> Tool:
        """This tool, asking `approve` before each call (None: never asking)."""
        return replace(self, approve=approve)

    def validate(self, arguments: Any) -> dict[str, Any]:
        """The keyword arguments for a call, from the arguments a model sent (a dict or JSON text).

        Raises:
            ValueError: the arguments are not a JSON object or do not match the parameters.
        """
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError as error:
                raise ValueError(f"the arguments are not valid JSON ({error})") from None
        arguments = plain(arguments)
        if not isinstance(arguments, dict):
            raise ValueError("the arguments must be a JSON object")
        try:
            validated = self.arguments.model_validate(arguments)
        except pydantic.ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: {problem['msg']}"
                for problem in error.errors()
            )
            raise ValueError(f"invalid arguments: {problems}") from None
        fields = {name: getattr(validated, name) for name in type(validated).model_fields}
        return fields | (validated.model_extra or {})


def tools_by_name(tools: Iterable[ToolLike]) -> dict[str, Tool]:
    """Describe each of `tools`, by name.

    Raises:
        ToolDefinitionError: one cannot be a tool, or two share a name.
    """
    described: dict[str, Tool] = {}
    for obj in tools:
        tool = Tool.of(obj)
        if tool.name in described:
            raise ToolDefinitionError(f"two tools are named {tool.name!r}: give one of them another alias")
        described[tool.name] = tool
    return described


def start_tool_call(
    call: Any, tools: Mapping[str, Tool], *, timeout: float | None = DEFAULT_TOOL_TIMEOUT
) -> MessagePromise:
    """Start the call a model asked for (with `id`, `name`, `arguments`); return its result message.

    The tool runs as an agent called by the current one, so its messages carry an `agent_path`.
    After `timeout` seconds (None: no limit) it is stopped, and the result says so, as an error.
    """
    name = str(getattr(call, "name", ""))
    metadata = {
        "role": "tool",
        "tool_call_id": str(getattr(call, "id", "")),
        "tool_name": name,
        "is_error": False,
        **author_fields((*current_agent_path(), name)),
    }
    return MessagePromise(
        tokens=_result_tokens(tools.get(name), name, getattr(call, "arguments", None), tools, timeout),
        **metadata,
    )


async def _result_tokens(
    tool: Tool | None, name: str, arguments: Any, tools: Mapping[str, Tool], seconds: float | None
) -> AsyncIterator[Token]:
    if tool is None:
        yield f"there is no tool named {name!r}; the tools are: {', '.join(tools) or 'none'}"
        yield {"is_error": True}
        return
    try:
        kwargs = tool.validate(arguments)
    except ValueError as error:
        yield f"{error}; the parameters are: {json.dumps(tool.parameters, ensure_ascii=False)}"
        yield {"is_error": True}
        return
    if tool.approve is not None:
        yield {"approval": "asked"}
        try:
            allowed = await tool.approve(tool, kwargs)
        except Exception as error:  # no answer is a no, and the model hears why
            allowed, refusal = False, f"{DENIED} (asking failed: {type(error).__name__}: {error})"
        else:
            refusal = DENIED
        if not allowed:
            yield refusal
            yield {"approval": "denied", "is_error": True}
            return
        yield {"approval": "allowed"}
    written = False
    reply = tool.agent.inquire(None, **kwargs)
    deadline = None if seconds is None else asyncio.get_running_loop().time() + seconds
    try:
        # Each wait is bounded by the deadline on its own (never a timeout around a `yield`).
        messages = aiter(reply)
        while (message := await _next_before(messages, deadline)) is not None:
            if written:
                yield "\n\n"
            tokens = aiter(message)
            while (token := await _next_before(tokens, deadline)) is not None:
                written = True
                yield token
    except asyncio.CancelledError:
        _stop(reply)  # the result was stopped: so is the tool
        raise
    except Exception as error:  # the model hears about it and can recover
        if isinstance(error, TimeoutError) and deadline is not None:
            _stop(reply)
            error = ToolTimeoutError(f"{name!r} took longer than {seconds:g} s, so it was stopped")
        separator = "\n\n" if written else ""
        said = str(error) if isinstance(error, ToolError) else f"{type(error).__name__}: {error}"
        yield f"{separator}{said}"
        yield {"is_error": True}


def _stop(reply: MessageSequencePromise) -> None:
    """Stop a tool's work: its agent and the messages it started (which may outlive the agent)."""
    reply.cancel()
    for message in reply.items_so_far:
        message.cancel()


async def _next_before(items: AsyncIterator[_T], deadline: float | None) -> _T | None:
    """The next of `items` (None at their end), waited for until `deadline` (loop time) at most.

    Raises:
        TimeoutError: the deadline passed first.
    """
    if deadline is None:
        return await anext(items, None)  # (no timeout object for every token of an unlimited call)
    async with asyncio.timeout_at(deadline):
        return await anext(items, None)


def _function_agent(function: Callable[..., Any]) -> MiniAgent:
    """A function as an agent: it replies with the return value (sync functions run in a thread)."""

    async def run(ctx: InteractionContext, **kwargs: Any) -> None:
        if inspect.iscoroutinefunction(function):
            result = await function(**kwargs)
        else:
            result = await asyncio.to_thread(function, **kwargs)
        ctx.reply(
            result if isinstance(result, str) else json.dumps(to_jsonable_python(result), ensure_ascii=False)
        )

    return MiniAgent(run, alias=function.__name__, description=inspect.getdoc(function) or "")


def _arguments_model(
    name: str, function: Callable[..., Any], skip: int, hidden: set[str]
) -> type[pydantic.BaseModel]:
    try:
        hints = get_type_hints(function)
    except Exception as error:
        raise ToolDefinitionError(f"the type hints of tool {name!r} cannot be read: {error}") from error
    fields: dict[str, Any] = {}
    for parameter in list(inspect.signature(function).parameters.values())[skip:]:
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if parameter.name in hidden:
            continue  # set by the agent's own defaults (a fork): not the model's to choose
        annotation = hints.get(parameter.name, Any)
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (annotation, default)
    try:
        return pydantic.create_model(
            f"{name}_arguments", __config__=pydantic.ConfigDict(extra="forbid"), **fields
        )
    except Exception as error:
        raise ToolDefinitionError(f"the parameters of tool {name!r} cannot be described: {error}") from error


def _schema(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The model's JSON schema, without the titles pydantic adds (noise for a model)."""
    return _untitled(model.model_json_schema())


def _untitled(value: Any) -> Any:
    """A JSON schema without its `title` entries (a property named "title" stays)."""
    if isinstance(value, dict):
        return {
            key: _untitled(item)
            for key, item in value.items()
            if not (key == "title" and isinstance(item, str))
        }
    if isinstance(value, list):
        return [_untitled(item) for item in value]
    return value
