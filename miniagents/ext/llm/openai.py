"""`openai_agent`: chat completions from OpenAI or any OpenAI-compatible server, streamed.

`OPENAI_BASE_URL` (or `base_url=`) points it at Ollama, vLLM, llama.cpp's server, LM Studio and the
like; such servers usually need no key.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from typing import TYPE_CHECKING, Any

from miniagents.agents import InteractionContext, miniagent
from miniagents.ext.llm.base import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_OPENAI_MODEL,
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
from miniagents.tools import Tool, ToolLike

if TYPE_CHECKING:
    import openai

__all__ = ["DEFAULT_OPENAI_MODEL", "openai_agent"]

_OPENAI = Provider("OpenAI", "OPENAI_API_KEY", "OPENAI_BASE_URL", "openai", key_needed_with_base_url=False)


@miniagent(alias="openai")
async def openai_agent(
    ctx: InteractionContext,
    model: str = DEFAULT_OPENAI_MODEL,
    system: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    max_retries: int = DEFAULT_MAX_RETRIES,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    on_retry: Callable[[RetryNotice], object] | None = None,
    client: openai.AsyncOpenAI | None = None,
    tools: Sequence[ToolLike] = (),
    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS,
    tool_timeout: float | None = DEFAULT_TOOL_TIMEOUT,
    **params: Any,
) -> None:
    """Reply with an assistant message streamed from the chat completions API.

    With `tools`, the reply holds the calls, their results and more rounds before the final
    message (see `miniagents.ext.llm.tool_loop`).

    Args:
        ctx: the interaction; its messages are the conversation (role `user` unless they say otherwise).
        model: the model name, sent as is.
        system: a system prompt put before the conversation.
        temperature: sampling temperature.
        max_tokens: the most tokens to generate.
        base_url: the API's base URL (default: `OPENAI_BASE_URL`, else OpenAI's).
        api_key: the key (default: `OPENAI_API_KEY`; a local server needs none).
        max_retries: retries of transient failures before the first token.
        idle_timeout: seconds of silence after which the stream is ended as stalled.
        on_retry: called with a `RetryNotice` before each retry.
        client: an `openai.AsyncOpenAI` to use instead of the shared one.
        tools: functions and agents the model may call (see `miniagents.tools`).
        max_tool_rounds: the most rounds of tool calls in one reply.
        tool_timeout: seconds a tool call may take before it is stopped with an error result
            (None: no limit).
        **params: any other chat-completions parameter, passed through.
    """
    sdk = await _OPENAI.aload_sdk()
    api: openai.AsyncOpenAI
    api, api_key = await _OPENAI.aconnect(
        api_key=api_key,
        base_url=base_url,
        client=client,
        params=params,
        create=lambda key, url: _warmed(sdk.AsyncOpenAI(api_key=key, base_url=url, max_retries=0)),
    )
    described = [Tool.of(tool) for tool in tools]
    base: dict[str, Any] = {"model": model, **params}
    if temperature is not None:
        base["temperature"] = temperature
    if max_tokens is not None:
        base["max_tokens"] = max_tokens
    if described:
        base["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
            }
            for t in described
        ]

    def attempt_for(conversation: Sequence[Message]) -> Callable[[], AsyncGenerator[Token]]:
        request = {**base, "messages": _openai_messages(conversation, system)}

        async def attempt() -> AsyncGenerator[Token]:
            # The SDK makes the request (and raises its status errors); the events are read here:
            # building the SDK's pydantic object for every chunk cost more than the rest of the app.
            streaming = api.chat.completions.with_streaming_response.create(
                **request, stream=True, stream_options={"include_usage": True}
            )
            calls: dict[int, list[str]] = {}
            async with streaming as response:
                async for chunk in server_sent_events(response.iter_bytes()):
                    choices = chunk.get("choices")
                    if choices:
                        choice = choices[0]
                        delta = choice.get("delta") or {}
                        if delta.get("content"):
                            yield delta["content"]
                        for call in delta.get("tool_calls") or ():
                            entry = calls.setdefault(call.get("index", 0), ["", "", ""])
                            entry[0] = call.get("id") or entry[0]
                            function = call.get("function") or {}
                            entry[1] += function.get("name") or ""
                            entry[2] += function.get("arguments") or ""
                        if choice.get("finish_reason"):
                            if calls:
                                yield {"tool_calls": [parse_tool_call(*calls[i]) for i in sorted(calls)]}
                            yield {STOP_REASON: choice["finish_reason"], "model": chunk.get("model") or model}
                    usage = chunk.get("usage")
                    if usage:
                        yield {
                            "usage": {
                                "input_tokens": usage.get("prompt_tokens"),
                                "output_tokens": usage.get("completion_tokens"),
                            }
                        }

        return attempt

    await _OPENAI.areply(
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


def _warmed(client: openai.AsyncOpenAI) -> openai.AsyncOpenAI:
    """`client` with its chat API imported (the SDK imports it on first use; this runs in a thread)."""
    _ = client.chat.completions
    return client


def _openai_messages(conversation: Sequence[Message], system: str | None) -> list[dict[str, Any]]:
    """The conversation as chat-completions messages: tool calls and results in OpenAI's shape."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in conversation:
        role = getattr(message, "role", None)
        calls = getattr(message, "tool_calls", None)
        if role == "tool":
            messages.append(
                {"role": "tool", "tool_call_id": str(message.tool_call_id), "content": message.text}
            )
        elif role == "assistant" and calls:
            messages.append(
                {
                    "role": "assistant",
                    "content": model_text(message) or None,
                    "tool_calls": [
                        {
                            "id": str(call.id),
                            "type": "function",
                            "function": {"name": str(call.name), "arguments": arguments_json(call.arguments)},
                        }
                        for call in calls
                    ],
                }
            )
        else:
            messages.append(
                {
                    "role": role if role in ("user", "assistant", "system") else "user",
                    "content": model_text(message),
                }
            )
    return messages
