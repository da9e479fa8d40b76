"""What the HTTP providers (`openai_agent`, `anthropic_agent`) share, written once.

A provider module builds its request and reads the stream's events (`wire.server_sent_events`)
into tokens and metadata updates; `Provider` does the rest: finding the key and base URL, sharing
one client per context, retrying transient failures before the first token, the idle timeout,
noticing a stream that ends without its finish reason, and turning SDK and transport exceptions
into `LLMError`s.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import re
import sys
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from miniagents.agents import InteractionContext, author_fields
from miniagents.errors import (
    LLMConfigError,
    LLMConnectionError,
    LLMError,
    LLMIdleTimeoutError,
    LLMStatusError,
    LLMStreamError,
)
from miniagents.ext.llm.base import TRANSIENT_STATUSES, RetryNotice, redact
from miniagents.ext.llm.idle import StreamIdleError, idle_limited
from miniagents.ext.llm.shared_client import ashared_resource
from miniagents.ext.llm.tool_loop import DEFAULT_MAX_TOOL_ROUNDS, DEFAULT_TOOL_TIMEOUT, areply_in_rounds
from miniagents.ext.llm.wire import StreamErrorEvent, retry_after_seconds, server_of
from miniagents.messages import Message, MessagePromise, Token
from miniagents.tools import ToolLike

__all__ = ["STOP_REASON", "Provider"]

logger = logging.getLogger("miniagents.llm")

STOP_REASON = "stop_reason"
"""The metadata key a provider's event reader yields once the provider says the reply is finished.
A stream that ends without it broke off (a proxy or a server cut it) and is not a complete reply."""

_MAX_RETRY_AFTER = 60.0

_SDK_STATUS_PREFIX = re.compile(r"^Error code: \d+ - ")


class _TruncatedStreamError(Exception):
    """The stream ended without the provider's finish reason."""


@dataclass(frozen=True)
class _Failure:
    retryable: bool
    error: LLMError
    retry_after: float | None = None


@dataclass(frozen=True)
class Provider:
    """One HTTP provider: its name, where its settings come from and its SDK's error classes."""

    name: str
    """The provider's name in messages, e.g. `"OpenAI"`."""
    key_env: str
    """The environment variable that holds the API key."""
    base_url_env: str
    """The environment variable that holds a base URL (another server speaking the same API)."""
    sdk_name: str
    """The SDK's module (`openai`, `anthropic`); it defines `APIStatusError`, `APIConnectionError` and
    `APIError`. It is imported on first use, in a worker thread (`aload_sdk`): importing an SDK takes
    about a second, which neither `import miniagents.ext.llm.openai` nor the event loop should wait for."""
    key_needed_with_base_url: bool = True
    """Whether a server at a custom base URL needs a key too (OpenAI-compatible local servers do not)."""

    @property
    def sdk(self) -> ModuleType:
        """The SDK module (imported here, blocking, if `aload_sdk` has not imported it yet)."""
        return importlib.import_module(self.sdk_name)

    async def aload_sdk(self) -> ModuleType:
        """The SDK module, imported in a worker thread the first time.

        Raises:
            LLMConfigError: the SDK is not installed.
        """
        module = sys.modules.get(self.sdk_name)
        spec = getattr(module, "__spec__", None)
        if module is not None and not getattr(spec, "_initializing", False):
            return module  # (a module another thread is still importing waits for it, below)
        try:
            return await asyncio.to_thread(importlib.import_module, self.sdk_name)
        except ImportError as error:
            raise LLMConfigError(
                self.name, f"the {self.sdk_name} package is missing: pip install {self.sdk_name}"
            ) from error

    async def aconnect(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        client: Any,
        params: Mapping[str, Any],
        create: Callable[[str, str | None], Any],
    ) -> tuple[Any, str | None]:
        """The client to call (`client`, else the shared one) and the API key in use.

        The key and base URL are the ones given, else the environment's. The shared client is made
        by `create(key, base_url)` once per `MiniAgents` context (see `ashared_resource`: in a worker
        thread, closed at the context's exit), so connections are reused across calls.

        Raises:
            LLMConfigError: `params` has `stream` (replies always stream), or there is no key (and,
                where that is enough, no base URL either).
        """
        if "stream" in params:
            raise LLMConfigError(
                self.name,
                "`stream` is not a parameter here: replies always stream (await one for the whole message).",
            )
        api_key = api_key or os.environ.get(self.key_env) or None
        base_url = base_url or os.environ.get(self.base_url_env) or None
        if client is not None:
            return client, api_key
        return await self._ashared_client(api_key, base_url, create), api_key

    async def _ashared_client(
        self, api_key: str | None, base_url: str | None, create: Callable[[str, str | None], Any]
    ) -> Any:
        if api_key is None and (self.key_needed_with_base_url or base_url is None):
            fix = f"Set {self.key_env} (in the environment or a .env file)"
            if not self.key_needed_with_base_url:
                fix += f", or set {self.base_url_env} to a compatible server"
            raise LLMConfigError(self.name, f"no API key. {fix}.")
        key = api_key or "no-key-needed"
        return await ashared_resource((self.name, base_url, key), lambda: create(key, base_url))

    async def areply(
        self,
        ctx: InteractionContext,
        attempt_for: Callable[[Sequence[Message]], Callable[[], AsyncGenerator[Token]]],
        *,
        api_key: str | None,
        client: Any,
        model: str,
        max_retries: int,
        idle_timeout: float | None,
        on_retry: Callable[[RetryNotice], object] | None,
        tools: Iterable[ToolLike] = (),
        max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS,
        tool_timeout: float | None = DEFAULT_TOOL_TIMEOUT,
    ) -> None:
        """Reply with the assistant messages the model streams from `client`'s server, tools included.

        `attempt_for(conversation)` gives the function that makes one request for that conversation
        and yields its text tokens and metadata updates, among them `tool_calls` and `STOP_REASON`
        (when the provider says the round is complete). Transient failures before the first token
        are retried (honouring Retry-After); once a token is out, a failure ends the message with an
        `LLMError` and the tokens so far. Rounds of tool calls go on as `areply_in_rounds` says.
        """
        server = server_of(client)
        metadata: dict[str, Any] = {
            "role": "assistant",
            **author_fields(ctx.agent_path),
            "provider": self.name.lower(),
            "model": model,
        }

        def start_round(conversation: Sequence[Message]) -> MessagePromise:
            tokens = self._stream(
                attempt_for(conversation), api_key, server, max_retries, idle_timeout, on_retry
            )
            return MessagePromise(tokens=tokens, **metadata)

        await areply_in_rounds(
            ctx,
            start_round,
            provider=self.name,
            tools=tools,
            max_tool_rounds=max_tool_rounds,
            tool_timeout=tool_timeout,
        )

    async def _stream(
        self,
        attempt: Callable[[], AsyncGenerator[Token]],
        api_key: str | None,
        server: str,
        max_retries: int,
        idle_timeout: float | None,
        on_retry: Callable[[RetryNotice], object] | None,
    ) -> AsyncGenerator[Token]:
        started_at = time.perf_counter()
        max_attempts = max(1, max_retries + 1)
        for attempt_number in range(1, max_attempts + 1):
            streamed = False
            try:
                async with aclosing(self._checked(attempt(), server, idle_timeout)) as items:
                    async for item in items:
                        if not streamed and isinstance(item, str):
                            streamed = True
                            yield {"time_to_first_token_s": round(time.perf_counter() - started_at, 4)}
                        yield item
                return
            except LLMIdleTimeoutError:
                raise
            except Exception as error:
                failure = self._classify(error, streamed, api_key, server)
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
                logger.info(
                    "%s; retrying in %.1f s (attempt %d of %d)",
                    failure.error,
                    delay,
                    attempt_number + 1,
                    max_attempts,
                )
                if on_retry is not None:
                    on_retry(RetryNotice(self.name, attempt_number, max_attempts, delay, str(failure.error)))
                await asyncio.sleep(delay)

    async def _checked(
        self, items: AsyncGenerator[Token], server: str, idle_timeout: float | None
    ) -> AsyncGenerator[Token]:
        """`items` with the idle timeout around each one, and the check that the stream was finished."""
        finished = started = False
        try:
            async with aclosing(idle_limited(items, idle_timeout)) as limited:
                async for item in limited:
                    if isinstance(item, str):
                        started = True
                    elif STOP_REASON in item:
                        finished = True
                    yield item
        except StreamIdleError:
            raise LLMIdleTimeoutError(self.name, server, idle_timeout or 0, started) from None
        if not finished:
            raise _TruncatedStreamError("the server closed the stream before saying it was finished")

    def _classify(
        self, error: BaseException, streamed: bool, api_key: str | None, server: str
    ) -> _Failure | None:
        """Map an SDK or transport exception (and whether tokens were already sent) to a `_Failure`."""
        provider, sdk = self.name, self.sdk
        message = redact(str(getattr(error, "message", None) or error), api_key)
        message = _SDK_STATUS_PREFIX.sub("", message)  # the status is named in our own words
        if isinstance(error, _TruncatedStreamError):
            if streamed:
                return _Failure(False, LLMStreamError(provider, f"the stream broke off part-way: {message}"))
            return _Failure(
                True, LLMConnectionError(provider, f"{server} closed the connection before answering")
            )
        if isinstance(error, sdk.APIStatusError):
            status = int(getattr(error, "status_code", 0) or 0)
            if status in (0, 200) or streamed:  # an error event inside a stream that had started
                return _Failure(False, LLMStreamError(provider, f"the stream failed part-way: {message}"))
            headers = getattr(getattr(error, "response", None), "headers", None)
            retryable = status in TRANSIENT_STATUSES
            return _Failure(
                retryable,
                LLMStatusError(provider, _status_message(status, message, self.key_env), status, retryable),
                retry_after_seconds(headers) if retryable else None,
            )
        if isinstance(error, sdk.APIConnectionError):
            if streamed:
                return _Failure(False, LLMStreamError(provider, f"the connection broke part-way: {message}"))
            return _Failure(True, LLMConnectionError(provider, f"could not reach {server}: {message}"))
        if isinstance(error, sdk.APIError | StreamErrorEvent) or streamed:
            return _Failure(
                False,
                LLMStreamError(provider, f"the stream failed part-way: {type(error).__name__}: {message}"),
            )
        if isinstance(error, importlib.import_module("httpx2").TransportError):
            return _Failure(
                True,
                LLMConnectionError(provider, f"the connection failed: {type(error).__name__}: {message}"),
            )
        return None


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
