"""Which saved messages make up the conversation a model is sent.

Regenerating or editing marks replaced messages `superseded`; in the panel view, replies carry
`branch` (their pane) and `winner` or `alternative` once a winner is picked. Every message stays in
the transcript; these functions choose the ones that count.
"""

from __future__ import annotations

from collections.abc import Iterable

from miniagents import Message

__all__ = ["is_active", "pane_context"]


def is_active(message: Message) -> bool:
    """Whether a message is part of the conversation (not replaced by a regenerated or edited turn)."""
    return not getattr(message, "superseded", False)


def pane_context(messages: Iterable[Message], branch: int) -> list[Message]:
    """What pane `branch` sends to its model: user messages, its own replies, and picked winners."""
    context = []
    for message in messages:
        if not is_active(message):
            continue
        if getattr(message, "role", None) != "assistant" or getattr(message, "winner", False):
            context.append(message)
        elif getattr(message, "branch", None) == branch and not getattr(message, "alternative", False):
            context.append(message)
    return context
