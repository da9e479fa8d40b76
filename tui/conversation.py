"""Which saved messages make up the conversation a model is sent.

Regenerating or editing marks replaced messages `superseded`; in the panel view, replies carry
`branch` (their pane) and `winner` or `alternative` once a winner is picked. A chat that goes on in
the panel view keeps its earlier replies, which have no `branch`: they count for every pane. Every
message stays in the transcript; these functions choose the ones that count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from miniagents import ChatHistory, Message

__all__ = [
    "Regenerate",
    "Resend",
    "Send",
    "Turn",
    "active_messages",
    "is_active",
    "last_winner",
    "pane_context",
    "pane_history",
]


def is_active(message: Message) -> bool:
    """Whether a message is part of the conversation (not replaced by a regenerated or edited turn)."""
    return not getattr(message, "superseded", False)


def active_messages(messages: Iterable[Message]) -> list[Message]:
    """The messages that make up the chat's conversation (for `adialog_loop`'s `select_history`).

    After a panel, the chat goes on as the pane of the last picked winner saw it (`pane_context`).
    """
    messages = list(messages)
    branch = last_winner(messages)
    if branch is not None:
        return pane_context(messages, branch)
    return [message for message in messages if is_active(message)]


def last_winner(messages: Iterable[Message]) -> int | None:
    """The pane whose reply was picked last (`None` if none was)."""
    for message in reversed(list(messages)):
        branch = getattr(message, "branch", None)
        if is_active(message) and getattr(message, "winner", False) and isinstance(branch, int):
            return branch
    return None


@dataclass(frozen=True)
class Send:
    """The person sends a new prompt."""

    text: str

    async def aapply(self, history: ChatHistory) -> Message | None:
        """The user's reply for this turn."""
        return Message(text=self.text, role="user")


@dataclass(frozen=True)
class Regenerate:
    """The person asks for the last reply again (after a failed turn: the unanswered prompt is sent again)."""

    async def aapply(self, history: ChatHistory) -> Message | None:
        """Mark the replies after the last prompt replaced; the turn sends no new message."""
        messages = await history.aload_chat_history()
        active = [i for i, m in enumerate(messages) if is_active(m)]
        prompts = [i for i in active if getattr(messages[i], "role", None) == "user"]
        start = prompts[-1] + 1 if prompts else 0
        await _supersede(history, [i for i in active if i >= start])
        return None


@dataclass(frozen=True)
class Resend:
    """The person edits an earlier prompt and sends it again: it and everything after it are replaced."""

    from_end: int
    """Which prompt: -1 for the last one, -2 for the one before, and so on."""
    text: str

    async def aapply(self, history: ChatHistory) -> Message | None:
        """Mark the edited prompt and everything after it replaced; the turn sends the new text."""
        messages = await history.aload_chat_history()
        active = [i for i, m in enumerate(messages) if is_active(m)]
        prompts = [i for i in active if getattr(messages[i], "role", None) == "user"]
        if -len(prompts) <= self.from_end < 0:
            start = prompts[self.from_end]
            await _supersede(history, [i for i in active if i >= start])
        return Message(text=self.text, role="user")


Turn = Send | Regenerate | Resend
"""What the person does next in the chat."""


async def _supersede(history: ChatHistory, indexes: list[int]) -> None:
    for index in indexes:
        await history.aupdate_message(index, superseded=True)


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
