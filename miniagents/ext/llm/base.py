"""What every LLM agent shares, offline ones included: defaults, retry notices, input conversion.

The code that HTTP providers share (keys, clients, retries, the idle timeout, error mapping) is in
`miniagents.ext.llm.provider`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from miniagents.messages import INCOMPLETE, INTERRUPTED, Message

__all__ = [
    "DEFAULT_ANTHROPIC_MODEL",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_OPENAI_MODEL",
    "TRANSIENT_STATUSES",
    "RetryNotice",
    "chat_turns",
    "model_text",
    "partial_marker",
    "redact",
]

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
"""The model `openai_agent` asks for when none is given."""

DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-5"
"""The model `anthropic_agent` asks for when none is given."""

DEFAULT_MAX_RETRIES = 2
"""Retries after the first attempt (so at most 3 requests) for transient failures."""

DEFAULT_IDLE_TIMEOUT = 120.0
"""Seconds a reply stream may stay silent before it is ended as stalled."""

TRANSIENT_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
"""HTTP statuses worth retrying: timeouts, conflicts, rate limits, server errors, overload."""


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
        turns.append((role, model_text(message)))
    return turns


def model_text(message: Message) -> str:
    """A message's text as a model is sent it: a partial reply carries a note saying so."""
    status = getattr(message, "status", None)
    if status in (INCOMPLETE, INTERRUPTED):
        return f"{message.text}\n\n{partial_marker(status)}" if message.text else partial_marker(status)
    return message.text


def redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of `secret` in `text` with a mask that shows only its last 4 characters."""
    if secret and len(secret) >= 8 and secret in text:
        return text.replace(secret, "…" + secret[-4:])
    return text
