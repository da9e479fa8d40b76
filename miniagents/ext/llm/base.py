"""What every LLM agent shares: input conversion, retries, the idle timeout and reply metadata."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from miniagents.agents import InteractionContext
from miniagents.errors import (
    LLMConnectionError,
    LLMError,
    LLMIdleTimeoutError,
    LLMStatusError,
    LLMStreamError,
)
from miniagents.messages import INCOMPLETE, INTERRUPTED, Message

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "TRANSIENT_STATUSES",
    "RetryNotice",
    "TruncatedStreamError",
    "chat_turns",
    "partial_marker",
    "redact",
    "stream_with_retries",
    "with_idle_timeout",
]

logger = logging.getLogger("miniagents.llm")

DEFAULT_MAX_RETRIES = 2
"""Retries after the first attempt (so at most 3 requests) for transient failures."""

DEFAULT_IDLE_TIMEOUT = 120.0
"""Seconds a reply stream may stay silent before it is ended as stalled."""

TRANSIENT_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
"""HTTP statuses worth retrying: timeouts, conflicts, rate limits, server errors, overload."""

_MAX_RETRY_AFTER = 60.0

_SDK_STATUS_PREFIX = re.compile(r"^Error code: \d+ - ")


@dataclass(frozen=True)
class RetryNotice:
    """Passed to an agent's `on_retry` callback before it waits and tries again."""

    provider: str
    attempt: int
    """The attempt that failed (1 for the first request)."""
    max_attempts: int
    delay: float
    """Seconds until the next attempt."""
    reason: str


def partial_marker(status: str) -> str:
    """The note appended to a partial reply when it is sent back to a model."""
    if status == INTERRUPTED:
        return "[this reply was interrupted by the user before it was complete]"
    return "[this reply broke off before it was complete]"


def chat_turns(messages: Iterable[Message]) -> list[tuple[str, str]]:
    """Turn messages into `(role, text)` turns for a chat API.

    A message keeps its `role` (`user`, `assistant` or `system`); one without a role is `user`. A
    partial reply (`status` incomplete or interrupted) is sent with a note saying so, never as if
    it were complete.
    """
    turns = []
    for message in messages:
        role = getattr(message, "role", None)
        if role not in ("user", "assistant", "system"):
            role = "user"
        text = message.text
        status = getattr(message, "status", None)
        if status in (INCOMPLETE, INTERRUPTED):
            text = f"{text}\n\n{partial_marker(status)}" if text else partial_marker(status)
        turns.append((role, text))
    return turns


def redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of `secret` in `text` with a mask that shows only its last 4 characters."""
    if secret and len(secret) >= 8 and secret in text:
        return text.replace(secret, "…" + secret[-4:])
    return text


async def with_idle_timeout(
    items: AsyncGenerator[Any], seconds: float | None, provider: str
) -> AsyncGenerator[Any]:
    """Pass `items` through, raising `LLMIdleTimeoutError` if the source is silent for `seconds`.

    The clock runs only while waiting for the source, not while the consumer handles an item.
    """
    if not seconds:
        async with aclosing(items):
            async for item in items:
                yield item
        return
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    deadline = loop.time() + seconds
    waiting = True
    fired = False

    def check() -> None:
        nonlocal handle, fired
        now = loop.time()
        if waiting and now >= deadline:
            fired = True
            task.cancel()
        else:
            handle = loop.call_at(max(deadline, now + 0.05) if waiting else now + seconds, check)

    handle = loop.call_at(deadline, check)
    try:
        async with aclosing(items):
            async for item in items:
                waiting = False
                yield item
                deadline = loop.time() + seconds
                waiting = True
    except asyncio.CancelledError:
        if fired and task.uncancel() == 0:
            raise LLMIdleTimeoutError(
                provider, f"no data for {seconds:g} s, so the reply was ended (the idle timeout is a setting)"
            ) from None
        raise
    finally:
        handle.cancel()


class TruncatedStreamError(Exception):
    """Raised by a provider's stream reader when the stream ended without its final event."""


@dataclass(frozen=True)
class _Failure:
    retryable: bool
    error: LLMError
    retry_after: float | None = None


async def stream_with_retries(
    provider: str,
    attempt: Callable[[], AsyncGenerator[str | dict[str, Any]]],
    classify: Callable[[BaseException, bool], _Failure | None],
    *,
    max_retries: int,
    idle_timeout: float | None,
    on_retry: Callable[[RetryNotice], object] | None = None,
) -> AsyncIterator[str | dict[str, Any]]:
    """Run `attempt()` and pass its tokens on, retrying transient failures before the first token.

    Once a token has been passed on, a failure is never retried (two attempts are never spliced
    into one reply): it ends the stream with an `LLMError`. The `time_to_first_token_s` metadata is
    added when the first token arrives.

    Args:
        provider: the provider's name, for messages.
        attempt: makes one request and yields its tokens and metadata updates.
        classify: maps an exception (and whether tokens were already sent) to a `_Failure`, or
            `None` for exceptions to pass through unchanged.
        max_retries: retries after the first attempt.
        idle_timeout: seconds of silence that end the stream (`None` or 0: no limit).
        on_retry: called before each wait for a retry.
    """
    started_at = time.perf_counter()
    max_attempts = max(1, max_retries + 1)
    for attempt_number in range(1, max_attempts + 1):
        streamed = False
        try:
            async with aclosing(with_idle_timeout(attempt(), idle_timeout, provider)) as items:
                async for item in items:
                    if not streamed and isinstance(item, str):
                        streamed = True
                        yield {"time_to_first_token_s": round(time.perf_counter() - started_at, 4)}
                    yield item
            return
        except LLMIdleTimeoutError:
            raise
        except Exception as error:
            failure = classify(error, streamed)
            if failure is None:
                raise
            if streamed or not failure.retryable or attempt_number == max_attempts:
                raise failure.error from error
            delay = (
                failure.retry_after
                if failure.retry_after is not None
                else min(0.5 * 2 ** (attempt_number - 1), 8.0)
            )
            if delay > _MAX_RETRY_AFTER:
                raise failure.error from error
            notice = RetryNotice(provider, attempt_number, max_attempts, delay, str(failure.error))
            logger.info(
                "%s; retrying in %.1f s (attempt %d of %d)",
                failure.error,
                delay,
                attempt_number + 1,
                max_attempts,
            )
            if on_retry is not None:
                on_retry(notice)
            await asyncio.sleep(delay)


def retry_after_seconds(headers: Any) -> float | None:
    """Read `retry-after-ms` or `retry-after` (seconds) from response headers, if present and sane."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                seconds = float(value) * scale
            except ValueError:
                continue
            if seconds >= 0:
                return seconds
    return None


def classify_sdk_error(
    provider: str,
    key_env: str,
    api_key: str | None,
    error: BaseException,
    streamed: bool,
    status_error_type: type[BaseException],
    connection_error_type: type[BaseException],
    api_error_type: type[BaseException],
) -> _Failure | None:
    """Map an OpenAI- or Anthropic-SDK exception (same shapes in both) to a `_Failure`."""
    message = redact(str(getattr(error, "message", None) or error), api_key)
    message = _SDK_STATUS_PREFIX.sub("", message)  # the status is named in our own words
    if isinstance(error, TruncatedStreamError):
        if streamed:
            return _Failure(False, LLMStreamError(provider, f"the stream broke off part-way: {message}"))
        return _Failure(True, LLMConnectionError(provider, f"the stream broke off: {message}"))
    if isinstance(error, status_error_type):
        status = int(getattr(error, "status_code", 0) or 0)
        if status in (0, 200) or streamed:  # an error event inside a stream that had started
            return _Failure(False, LLMStreamError(provider, f"the stream failed part-way: {message}"))
        headers = getattr(getattr(error, "response", None), "headers", None)
        retryable = status in TRANSIENT_STATUSES
        return _Failure(
            retryable,
            LLMStatusError(provider, _status_message(status, message, key_env), status, retryable),
            retry_after_seconds(headers) if retryable else None,
        )
    if isinstance(error, connection_error_type):
        if streamed:
            return _Failure(False, LLMStreamError(provider, f"the connection broke part-way: {message}"))
        return _Failure(True, LLMConnectionError(provider, f"could not reach the server: {message}"))
    if isinstance(error, api_error_type) or streamed:
        return _Failure(
            False, LLMStreamError(provider, f"the stream failed part-way: {type(error).__name__}: {message}")
        )
    if _is_transport_error(error):
        return _Failure(
            True, LLMConnectionError(provider, f"the connection failed: {type(error).__name__}: {message}")
        )
    return None


def _is_transport_error(error: BaseException) -> bool:
    return any(
        cls.__name__ in ("TransportError", "RemoteProtocolError", "ReadError") for cls in type(error).__mro__
    )


def _status_message(status: int, message: str, key_env: str) -> str:
    if status in (401, 403):
        reason = "unauthorized" if status == 401 else "forbidden"
        return f"{status} {reason}: {message}. Check {key_env} (in the environment or a .env file)."
    if status == 404:
        return f"404 not found: {message}. Check the model name and the base URL."
    if status == 400:
        return (
            f"400 bad request: {message}. If the conversation is too long for the model,"
            " start a new one or shorten it."
        )
    if status == 429:
        return f"429 rate limited: {message}. Wait a little and send again."
    if status in TRANSIENT_STATUSES:
        return f"{status} server error: {message}. The provider may be overloaded; try again later."
    return f"{status}: {message}"


def reply_from_provider(
    ctx: InteractionContext,
    sdk: Any,
    *,
    provider: str,
    key_env: str,
    api_key: str | None,
    model: str,
    attempt: Callable[[], AsyncGenerator[str | dict[str, Any]]],
    max_retries: int,
    idle_timeout: float | None,
    on_retry: Callable[[RetryNotice], object] | None,
) -> None:
    """Reply with the assistant message that `attempt` streams, with retries, the idle timeout and metadata.

    `sdk` is the provider's SDK module (`openai` or `anthropic`); both define the same error classes.
    """

    def classify(error: BaseException, streamed: bool) -> _Failure | None:
        return classify_sdk_error(
            provider,
            key_env,
            api_key,
            error,
            streamed,
            sdk.APIStatusError,
            sdk.APIConnectionError,
            sdk.APIError,
        )

    ctx.reply_tokens(
        stream_with_retries(
            provider, attempt, classify, max_retries=max_retries, idle_timeout=idle_timeout, on_retry=on_retry
        ),
        role="assistant",
        agent=ctx.agent.alias,
        provider=provider.lower(),
        model=model,
    )


def shared_client(key: tuple[Any, ...], create: Callable[[], Any]) -> Any:
    """Return the client for `key` shared by the current `MiniAgents` context, creating it once.

    The client is closed (`await client.close()`) when the context exits, so connections are reused
    across calls and nothing is left open afterwards.
    """
    from miniagents.miniagents import MiniAgents

    context = MiniAgents.get_current()
    client = context.resources.get(key)
    if client is None:
        client = context.resources[key] = create()
        context.add_exit_callback(client.close)
    return client
