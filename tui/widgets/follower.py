"""`Follower`: the view that holds a growing reply and follows it as it grows."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Follower"]


class Follower(Protocol):
    """The view that holds a growing reply and follows it (a `ChatLog`)."""

    def followed_height(self) -> int:
        """How many lines the view shows while it follows new text at the bottom (0 while not)."""
        ...

    def show_lines_hidden(self, lines: int) -> None:
        """The reply lays out only its last lines: `lines` above them are not (0: it lays out all)."""
        ...
