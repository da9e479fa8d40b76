"""`anthropic_agent`: messages from Anthropic's API, streamed."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Callable
from typing import Any

from miniagents.agents import InteractionContext, miniagent
from miniagents.ext.llm.base import (
    DEFAULT_ANTHROPIC_MODEL,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    RetryNotice,
    chat_turns,
)
from miniagents.ext.llm.provider import STOP_REASON, Provider
from miniagents.messages import Token

try:
    import anthropic
    from anthropic.resources.messages import AsyncMessages
except ImportError as _error:  # pragma: no cover - anthropic is a core dependency
    raise ImportError("anthropic_agent needs the Anthropic SDK: pip install anthropic") from _error

__all__ = ["DEFAULT_ANTHROPIC_MAX_TOKENS", "DEFAULT_ANTHROPIC_MODEL", "anthropic_agent"]

_ANTHROPIC = Provider("Anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", anthropic)

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
    **params: Any,
) -> None:
    """Reply with one assistant message streamed from the messages API.

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
        **params: any other messages-API parameter, passed through.
    """
    api: anthropic.AsyncAnthropic
    api, api_key = _ANTHROPIC.connect(
        api_key=api_key,
        base_url=base_url,
        client=client,
        params=params,
        create=lambda key, url: anthropic.AsyncAnthropic(api_key=key, base_url=url, max_retries=0),
    )
    system_parts = [system] if system else []
    messages: list[dict[str, str]] = []
    for role, text in chat_turns(await ctx.messages):
        if role == "system":
            system_parts.append(text)
        elif messages and messages[-1]["role"] == role:
            messages[-1]["content"] += "\n\n" + text
        else:
            messages.append({"role": role, "content": text})
    request: dict[str, Any] = {"model": model, "messages": messages, "max_tokens": max_tokens, **params}
    if system_parts:
        request["system"] = "\n\n".join(system_parts)
    if temperature is not None:
        request["temperature"] = temperature
    request = _split_extra_body(request)

    async def attempt() -> AsyncGenerator[Token]:
        stream = await api.messages.create(**request, stream=True)
        input_tokens = 0
        ending: dict[str, Any] = {}
        async with stream:
            async for event in stream:
                if event.type == "content_block_delta":
                    if event.delta.type == "text_delta" and event.delta.text:
                        yield event.delta.text
                elif event.type == "message_start":
                    input_tokens = event.message.usage.input_tokens
                    yield {"model": event.message.model or model}
                elif event.type == "message_delta":
                    ending = {
                        "usage": {"input_tokens": input_tokens, "output_tokens": event.usage.output_tokens},
                        STOP_REASON: event.delta.stop_reason,
                    }
                elif event.type == "message_stop":
                    yield {STOP_REASON: None, **ending}  # the reply is complete only once this arrives

    _ANTHROPIC.reply(
        ctx,
        attempt,
        api_key=api_key,
        client=api,
        model=model,
        max_retries=max_retries,
        idle_timeout=idle_timeout,
        on_retry=on_retry,
    )


_KNOWN_PARAMETERS: frozenset[str] | None = None


def _split_extra_body(request: dict[str, Any]) -> dict[str, Any]:
    """Send parameters this SDK version has no argument for (such as `temperature`) in `extra_body`."""
    global _KNOWN_PARAMETERS
    if _KNOWN_PARAMETERS is None:
        _KNOWN_PARAMETERS = frozenset(inspect.signature(AsyncMessages.create).parameters)
    known = {key: value for key, value in request.items() if key in _KNOWN_PARAMETERS}
    extra = {key: value for key, value in request.items() if key not in _KNOWN_PARAMETERS}
    if extra:
        known["extra_body"] = {**extra, **known.get("extra_body", {})}
    return known
