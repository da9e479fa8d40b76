"""How a reply streams: tokens, time to first token and rate, counted as tokens arrive."""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["PROGRESS_SECONDS", "StreamProgress", "StreamStats", "counted"]


def counted(number: int, noun: str) -> str:
    """`number` and `noun`, plural unless the number is one: "1 token", "2 tokens"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@dataclass(frozen=True)
class StreamStats:
    """How a reply streamed, for the status line."""

    tokens: int
    time_to_first_token: float | None
    tokens_per_second: float | None

    def status_parts(self, tokens: int | None = None, elapsed: float | None = None) -> list[str]:
        """These numbers for a status line, most important first.

        The rate, the tokens (`tokens` when given, such as the provider's count), `elapsed` seconds
        when given, then the time to first token.
        """
        parts = []
        if self.tokens_per_second is not None:
            parts.append(f"{self.tokens_per_second:.0f} tok/s")
        parts.append(counted(self.tokens if tokens is None else tokens, "token"))
        if elapsed is not None:
            parts.append(f"{elapsed:.1f} s")
        if self.time_to_first_token is not None:
            parts.append(f"first token {self.time_to_first_token:.2f} s")
        return parts


@dataclass
class StreamProgress:
    """How a reply is streaming so far."""

    started: float
    """When the request was made (a `time.perf_counter()` reading)."""
    tokens: int = 0
    first_token_at: float | None = None

    def count_tokens(self, number: int = 1) -> None:
        """Count `number` tokens that have just arrived."""
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        self.tokens += number

    def stats(self, now: float) -> StreamStats:
        """The numbers as of `now` (a `time.perf_counter()` reading); the rate is since the first token."""
        rate = None
        if self.first_token_at is not None and self.tokens > 1 and now > self.first_token_at:
            rate = (self.tokens - 1) / (now - self.first_token_at)
        ttft = self.first_token_at - self.started if self.first_token_at is not None else None
        return StreamStats(self.tokens, ttft, rate)


PROGRESS_SECONDS = 0.5
"""How often a streaming reply reports its numbers so far (to a status line)."""
