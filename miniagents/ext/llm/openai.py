"""`openai_agent`: chat completions from OpenAI or any OpenAI-compatible server, streamed.

`OPENAI_BASE_URL` (or `base_url=`) points it at Ollama, vLLM, llama.cpp's server, LM Studio and the
like; such servers usually need no key.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

from miniagents.agents import InteractionContext, miniagent
from miniagents.ext.llm.base import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_OPENAI_MODEL,
    RetryNotice,
    chat_turns,
)
from miniagents.ext.llm.provider import STOP_REASON, Provider
from miniagents.messages import Token

try:
    import openai
except ImportError as _error:  # pragma: no cover - openai is a core dependency
    raise ImportError("openai_agent needs the OpenAI SDK: pip install openai") from _error

__all__ = ["DEFAULT_OPENAI_MODEL", "openai_agent"]

_OPENAI = Provider("OpenAI", "OPENAI_API_KEY", "OPENAI_BASE_URL", openai, key_needed_with_base_url=False)


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
    **params: Any,
) -> None:
    """Reply with one assistant message streamed from the chat completions API.

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
        **params: any other chat-completions parameter, passed through.
    """
    api: openai.AsyncOpenAI
    api, api_key = _OPENAI.connect(
        api_key=api_key,
        base_url=base_url,
        client=client,
        params=params,
        create=lambda key, url: openai.AsyncOpenAI(api_key=key, base_url=url, max_retries=0),
    )
    turns = chat_turns(await ctx.messages)
    messages: list[dict[str, str]] = [{"role": "system", "content": system}] if system else []
    messages += [{"role": role, "content": text} for role, text in turns]
    request: dict[str, Any] = {"model": model, "messages": messages, **params}
    if temperature is not None:
        request["temperature"] = temperature
    if max_tokens is not None:
        request["max_tokens"] = max_tokens

    async def attempt() -> AsyncGenerator[Token]:
        stream = await api.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        )
        async with stream:
            async for chunk in stream:
                if chunk.choices:
                    choice = chunk.choices[0]
                    if choice.delta.content:
                        yield choice.delta.content
                    if choice.finish_reason:
                        yield {STOP_REASON: choice.finish_reason, "model": chunk.model or model}
                if chunk.usage is not None:
                    yield {
                        "usage": {
                            "input_tokens": chunk.usage.prompt_tokens,
                            "output_tokens": chunk.usage.completion_tokens,
                        }
                    }

    _OPENAI.reply(
        ctx,
        attempt,
        api_key=api_key,
        client=api,
        model=model,
        max_retries=max_retries,
        idle_timeout=idle_timeout,
        on_retry=on_retry,
    )
