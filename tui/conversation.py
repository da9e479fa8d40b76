"""Which saved messages make up the conversation a model is sent.

Regenerating or editing marks replaced messages `superseded`; in the panel view, replies carry
`branch` (their pane) and `winner` or `alternative` once a winner is picked. A chat that goes on in
the panel view keeps its earlier replies, which have no `branch`: they count for every pane. Every
message stays in the transcript; these functions choose the ones that count.
"""

from __future__ import annotations

from collections.abc import Iterable

from miniagents import Message

__all__ = ["is_active", "pane_context", "pane_history"]


def is_active(message: Message) -> bool:
    """Whether a message is part of the conversation (not replaced by a regenerated or edited turn)."""
    return not getattr(message, "superseded", False)


def _in_pane(message: Message, branch: int) -> bool:
    """Whether `message` is a user message, a reply of pane `branch`, or one from before the panel."""
    return getattr(message, "role", None) != "assistant" or getattr(message, "branch", None) in (None, branch)


def pane_context(messages: Iterable[Message], branch: int) -> list[Message]:
    """What pane `branch` sends to its model: user messages, its own replies, and picked winners."""
    return [
        message
        for message in messages
        if is_active(message)
        and (
            getattr(message, "winner", False)
            or (_in_pane(message, branch) and not getattr(message, "alternative", False))
        )
    ]


def pane_history(messages: Iterable[Message], branch: int) -> list[Message]:
    """What pane `branch` shows: user messages and its own replies (winner or not)."""
    return [message for message in messages if is_active(message) and _in_pane(message, branch)]
