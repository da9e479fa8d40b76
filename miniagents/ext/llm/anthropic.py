"""`anthropic_agent`: messages from Anthropic's API, streamed."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import TYPE_CHECKING, Any

from miniagents.agents import InteractionContext, miniagent
from miniagents.ext.llm.base import (
    DEFAULT_ANTHROPIC_MODEL,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    RetryNotice,
    model_text,
)
from miniagents.ext.llm.provider import STOP_REASON, Provider
from miniagents.ext.llm.tool_loop import (
    DEFAULT_MAX_TOOL_ROUNDS,
    DEFAULT_TOOL_TIMEOUT,
    arguments_json,
    parse_tool_call,
)
from miniagents.ext.llm.wire import server_sent_events
from miniagents.messages import Message, Token
from miniagents.promising.frozen import plain
from miniagents.tools import Tool, ToolLike

if TYPE_CHECKING:
    import anthropic

__all__ = ["DEFAULT_ANTHROPIC_MAX_TOKENS", "DEFAULT_ANTHROPIC_MODEL", "anthropic_agent"]

_ANTHROPIC = Provider("Anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "anthropic")

DEFAULT_ANTHROPIC_MAX_TOKENS = 4096
"""Anthropic requires `max_tokens`; this is used when none is given."""


@miniagent(alias="anthropic")
async def anthropic_agent(
    ctx: InteractionContext,
    model: str = DEFAULT_ANTHROPIC_MODEL,
    system: str | None = None,
    temperature: float | None = None,
    max_tokens: int = DEFAULT_ANTHROPIC_MAX_TOKENS,
    base_url: str | None = None,
    api_key: str | None = None,
    max_retries: int = DEFAULT_MAX_RETRIES,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    on_retry: Callable[[RetryNotice], object] | None = None,
    client: anthropic.AsyncAnthropic | None = None,
    tools: Sequence[ToolLike] = (),
    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS,
    tool_timeout: float | None = DEFAULT_TOOL_TIMEOUT,
    **params: Any,
) -> None:
    """Reply with an assistant message streamed from the messages API.

    With `tools`, the reply holds the calls, their results and more rounds before the final
    message (see `miniagents.ext.llm.tool_loop`).

    System messages in the input are joined into Anthropic's separate `system` field, after
    `system`. Consecutive messages of the same role are merged, as the API requires alternation.

    Args:
        ctx: the interaction; its messages are the conversation (role `user` unless they say otherwise).
        model: the model name, sent as is.
        system: a system prompt.
        temperature: sampling temperature.
        max_tokens: the most tokens to generate (required by Anthropic, so it has a default).
        base_url: the API's base URL (default: `ANTHROPIC_BASE_URL`, else Anthropic's).
        api_key: the key (default: `ANTHROPIC_API_KEY`).
        max_retries: retries of transient failures before the first token.
        idle_timeout: seconds of silence after which the stream is ended as stalled.
        on_retry: called with a `RetryNotice` before each retry.
        client: an `anthropic.AsyncAnthropic` to use instead of the shared one.
        tools: functions and agents the model may call (see `miniagents.tools`).
        max_tool_rounds: the most rounds of tool calls in one reply.
        tool_timeout: seconds a tool call may take before it is stopped with an error result
            (None: no limit).
        **params: any other messages-API parameter, passed through.
    """
    sdk = await _ANTHROPIC.aload_sdk()
    api: anthropic.AsyncAnthropic
    api, api_key = await _ANTHROPIC.aconnect(
        api_key=api_key,
        base_url=base_url,
        client=client,
        params=params,
        create=lambda key, url: _warmed(sdk.AsyncAnthropic(api_key=key, base_url=url, max_retries=0)),
    )
    described = [Tool.of(tool) for tool in tools]
    base: dict[str, Any] = {"model": model, "max_tokens": max_tokens, **params}
    if temperature is not None:
        base["temperature"] = temperature
    if described:
        base["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in described
        ]

    def attempt_for(conversation: Sequence[Message]) -> Callable[[], AsyncGenerator[Token]]:
        system_text, messages = _anthropic_messages(conversation, system, with_tools=bool(described))
        request = {**base, "messages": messages}
        if system_text:
            request["system"] = system_text
        request = _split_extra_body(request)

        async def attempt() -> AsyncGenerator[Token]:
            # The SDK makes the request (and raises its status errors); the events are read here,
            # as JSON, instead of as one pydantic object each.
            input_tokens = 0
            ending: dict[str, Any] = {}
            calls: dict[int, list[str]] = {}
            async with api.messages.with_streaming_response.create(**request, stream=True) as response:
                async for event in server_sent_events(response.iter_bytes()):
                    kind = event.get("type")
                    if kind == "content_block_delta":
                        delta = event.get("delta") or {}
                        if delta.get("type") == "text_delta" and delta.get("text"):
                            yield delta["text"]
                        elif delta.get("type") == "input_json_delta" and event.get("index") in calls:
                            calls[event["index"]][2] += delta.get("partial_json") or ""
                    elif kind == "content_block_start":
                        block = event.get("content_block") or {}
                        if block.get("type") == "tool_use":
                            calls[event.get("index", 0)] = [block.get("id", ""), block.get("name", ""), ""]
                    elif kind == "message_start":
                        message = event.get("message") or {}
                        input_tokens = (message.get("usage") or {}).get("input_tokens", 0)
                        yield {"model": message.get("model") or model}
                    elif kind == "message_delta":
                        ending = {
                            "usage": {
                                "input_tokens": input_tokens,
                                "output_tokens": (event.get("usage") or {}).get("output_tokens"),
                            },
                            STOP_REASON: (event.get("delta") or {}).get("stop_reason"),
                        }
                    elif kind == "message_stop":
                        if calls:
                            yield {"tool_calls": [parse_tool_call(*calls[i]) for i in sorted(calls)]}
                        yield {STOP_REASON: None, **ending}  # the reply is complete only once this arrives

        return attempt

    await _ANTHROPIC.areply(
        ctx,
        attempt_for,
        tools=described,
        max_tool_rounds=max_tool_rounds,
        tool_timeout=tool_timeout,
        api_key=api_key,
        client=api,
        model=model,
        max_retries=max_retries,
        idle_timeout=idle_timeout,
        on_retry=on_retry,
    )


def _warmed(client: anthropic.AsyncAnthropic) -> anthropic.AsyncAnthropic:
    """`client` with its messages API imported (the SDK imports it on first use; this runs in a thread)."""
    _ = client.messages
    return client


def _anthropic_messages(
    conversation: Sequence[Message], system: str | None, with_tools: bool = True
) -> tuple[str, list[dict[str, Any]]]:
    """The system text and the alternating turns of the messages API, tool use and results included.

    System messages join the system text; tool results go in the next user turn; consecutive
    messages of one role are merged, as the API requires alternation. A request without tools may
    not hold tool blocks (the API refuses it), so then earlier calls and results go as text.
    """
    system_parts = [system] if system else []
    turns: list[dict[str, Any]] = []

    def add(role: str, content: str | list[dict[str, Any]]) -> None:
        if not turns or turns[-1]["role"] != role:
            turns.append({"role": role, "content": content})
            return
        before = turns[-1]["content"]
        if isinstance(before, str) and isinstance(content, str):
            turns[-1]["content"] = f"{before}\n\n{content}"
        else:
            turns[-1]["content"] = _blocks(before) + _blocks(content)

    for message in conversation:
        role = getattr(message, "role", None)
        calls = getattr(message, "tool_calls", None)
        text = model_text(message)
        if role == "system":
            system_parts.append(text)
        elif role == "tool" and not with_tools:
            outcome = "failed" if getattr(message, "is_error", False) else "returned"
            add("user", f"[{getattr(message, 'tool_name', 'a tool')} {outcome}: {text}]")
        elif role == "assistant" and calls and not with_tools:
            called = "\n".join(f"[called {c.name}({arguments_json(c.arguments)})]" for c in calls)
            add("assistant", f"{text}\n\n{called}" if text else called)
        elif role == "tool":
            result: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": str(message.tool_call_id),
                "content": text,
            }
            if getattr(message, "is_error", False):
                result["is_error"] = True
            add("user", [result])
        elif role == "assistant" and calls:
            uses = [
                {"type": "tool_use", "id": str(c.id), "name": str(c.name), "input": _tool_input(c.arguments)}
                for c in calls
            ]
            add("assistant", _blocks(text) + uses)
        else:
            add("assistant" if role == "assistant" else "user", text)
    return "\n\n".join(system_parts), turns


def _blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(content, list):
        return content
    return [{"type": "text", "text": content}] if content else []


def _tool_input(arguments: Any) -> dict[str, Any]:
    """A call's arguments as the object Anthropic wants (text that was not a JSON object: empty)."""
    value = plain(arguments)
    return value if isinstance(value, dict) else {}


_KNOWN_PARAMETERS: frozenset[str] | None = None


def _split_extra_body(request: dict[str, Any]) -> dict[str, Any]:
    """Send parameters this SDK version has no argument for (such as `temperature`) in `extra_body`."""
    global _KNOWN_PARAMETERS
    if _KNOWN_PARAMETERS is None:
        messages = importlib.import_module("anthropic.resources.messages")
        _KNOWN_PARAMETERS = frozenset(inspect.signature(messages.AsyncMessages.create).parameters)
    known = {key: value for key, value in request.items() if key in _KNOWN_PARAMETERS}
    extra = {key: value for key, value in request.items() if key not in _KNOWN_PARAMETERS}
    if extra:
        known["extra_body"] = {**extra, **known.get("extra_body", {})}
    return known
