"""Chat history: in memory (`InMemoryChatHistory`) or as a Markdown transcript file (`ChatHistoryMD`)."""

from __future__ import annotations

import asyncio
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from miniagents.agents import InteractionContext, MiniAgent
from miniagents.errors import TranscriptWriteError
from miniagents.files import make_private_folders, original_copy_path, write_atomically
from miniagents.messages import INTERRUPTED, Message
from miniagents.transcript_format import read_transcript_file, render_front_matter, render_message

__all__ = [
    "ChatHistory",
    "ChatHistoryMD",
    "InMemoryChatHistory",
    "TranscriptWriteError",
    "make_private_folders",
    "original_copy_path",
    "write_atomically",
]

logger = logging.getLogger("miniagents.chat_history")


class ChatHistory(ABC):
    """A conversation's messages, in order, with an agent that records what passes through it."""

    def __init__(self) -> None:
        self.logging_agent: MiniAgent = MiniAgent(self._log_messages, alias="chat_history")
        """An agent that records every message it receives (streamed ones once complete, partial
        ones with their `status`) and replies with the same messages, unchanged and streaming.
        `inquire(messages, role="user")` records a role for messages that have none; any other
        keyword is recorded as metadata of every message (for example `branch=2`)."""

    @abstractmethod
    async def aload_chat_history(self) -> tuple[Message, ...]:
        """Return the stored messages, in order."""

    @abstractmethod
    def _append(self, message: Message) -> None:
        """Add a message in memory (no I/O, no waiting)."""

    @abstractmethod
    def _replace(self, index: int, message: Message) -> None:
        """Replace the message at `index` in memory (no I/O, no waiting)."""

    async def aupdate_message(self, index: int, **changes: Any) -> Message:
        """Replace the message at `index` by a copy with `changes` to its fields (and store it).

        Used, for example, to mark replies that a regenerated one replaced (`superseded=True`):
        the history keeps every alternative. A change to `None` removes that field.
        """
        messages = await self.aload_chat_history()
        fields: dict[str, Any] = {**messages[index].model_dump(), **changes}
        kept: dict[str, Any] = {
            key: value for key, value in fields.items() if value is not None or key not in changes
        }
        message = Message(**kept)
        self._replace(index, message)
        await self._persist()
        return message

    async def _persist(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Store what `_append` added (nothing to do for a history kept in memory)."""

    async def alog_message(self, message: Message) -> None:
        """Append one complete message to the history (and store it)."""
        await self._ensure_loaded()
        self._append(message)
        await self._persist()

    async def _ensure_loaded(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Read what is already stored, before the first message is appended."""

    async def aflush(self) -> None:
        """Store everything appended so far (for example after a cancelled save)."""
        await self._persist()

    async def _log_messages(self, ctx: InteractionContext, role: str | None = None, **metadata: Any) -> None:
        ctx.reply(ctx.messages)
        await self._ensure_loaded()
        async for message_promise in ctx.messages:
            try:
                message = await message_promise.aresolve_partial()
            except asyncio.CancelledError:
                # Being cancelled (the app is closing, say): keep what arrived, marked interrupted,
                # in memory at once; `aflush()` stores it.
                self._append(_completed(message_promise.partial_message(INTERRUPTED), role, metadata))
                raise
            await self.alog_message(_completed(message, role, metadata))


def _completed(message: Message, role: str | None, metadata: dict[str, Any]) -> Message:
    """`message` with `role` if it has none, and `metadata` added (as recorded, not as forwarded)."""
    if (role is None or getattr(message, "role", None) is not None) and not metadata:
        return message
    fields = message.model_dump()
    if role is not None and fields.get("role") is None:
        fields["role"] = role
    return Message(**{**fields, **metadata})


class InMemoryChatHistory(ChatHistory):
    """History kept in memory for the life of the object."""

    def __init__(self, messages: tuple[Message, ...] | list[Message] = ()) -> None:
        super().__init__()
        self._messages: list[Message] = list(messages)

    async def aload_chat_history(self) -> tuple[Message, ...]:
        """Return the messages logged so far."""
        return tuple(self._messages)

    def _append(self, message: Message) -> None:
        self._messages.append(message)

    def _replace(self, index: int, message: Message) -> None:
        self._messages[index] = message


class ChatHistoryMD(ChatHistory):
    """History stored in a Markdown transcript (see `miniagents.transcript_format`).

    Opening an existing file continues its conversation. A new file is written with the first
    message (fields set before that are kept until then), so a conversation that never starts
    leaves no empty transcript behind. After each logged message the whole file
    is written to a temporary file beside it, flushed, synced and renamed over the old one, in a
    worker thread: a crash at any moment leaves the complete old file or the complete new one. A
    failed save keeps everything in memory, reports `TranscriptWriteError` (to `on_save_error`, or
    the log) and the next save writes it all.

    New files are created with mode 0600 (and missing folders with 0700); saving keeps the mode of
    an existing file. A file that loaded with problems (see `problems`) is copied, byte for byte,
    to `original_copy` before it is first rewritten, so nothing the loader could not read is lost.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        title: str | None = None,
        on_save_error: Callable[[TranscriptWriteError], object] | None = None,
        on_saved: Callable[[], object] | None = None,
    ) -> None:
        """Open (lazily) the transcript at `path`.

        Args:
            path: the transcript file; it need not exist yet.
            title: the conversation's title for a new file (default: from the first user message).
            on_save_error: called with the error when a save fails (default: log it).
            on_saved: called after each save that succeeded (after a failed one: it works again).
        """
        super().__init__()
        self.path = Path(path)
        self._title = title
        self._on_save_error = on_save_error
        self._on_saved = on_saved
        self._fields: dict[str, Any] | None = None
        self._messages: list[Message] = []
        self._sections: list[str] = []
        self._lock = asyncio.Lock()
        self._dirty = False
        self.problems: list[str] = []
        """Problems found when the file was loaded (file:line: what), empty for a clean file."""
        self.last_save_error: TranscriptWriteError | None = None
        """The error of the most recent save, or `None` if it succeeded."""
        self.original_copy: Path | None = None
        """Where the file as it was is kept before the first save (set when it loaded with problems)."""
        self._original: bytes | None = None

    async def _ensure_loaded(self) -> None:
        if self._fields is not None:
            return
        async with self._lock:
            if self._fields is None:
                await self._load()

    async def _load(self) -> None:
        parsed = await asyncio.to_thread(read_transcript_file, self.path)
        if parsed is None:
            self._fields = {
                "title": self._title or "",
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            return
        self._fields = parsed.fields
        self._messages = parsed.messages
        self._sections = [render_message(message) for message in parsed.messages]
        self.problems = parsed.problems
        if parsed.problems:
            self._original = parsed.source
            self.original_copy = await asyncio.to_thread(original_copy_path, self.path)
            self.problems.append(
                f"{self.path.name}: the file as it was is kept as {self.original_copy.name}"
                " when this chat is next saved"
            )

    @property
    def title(self) -> str:
        """The conversation's title (empty until known)."""
        return str((self._fields or {}).get("title") or self._title or "")

    async def aload_chat_history(self) -> tuple[Message, ...]:
        """Return the stored messages (reading the file the first time).

        Raises:
            TranscriptFormatError: the file exists but is not a transcript at all.
            OSError: the file cannot be read.
        """
        await self._ensure_loaded()
        return tuple(self._messages)

    def _append(self, message: Message) -> None:
        if self._fields is None:
            raise RuntimeError("ChatHistoryMD: load the history before appending to it")
        if (
            not self._fields.get("title")
            and getattr(message, "role", None) == "user"
            and message.text.strip()
        ):
            self._fields["title"] = " ".join(message.text.split())[:60]
        self._messages.append(message)
        self._sections.append(render_message(message))
        self._dirty = True

    def _replace(self, index: int, message: Message) -> None:
        self._messages[index] = message
        self._sections[index] = render_message(message)
        self._dirty = True

    @property
    def fields(self) -> dict[str, Any]:
        """The conversation's fields (title, created, system prompt, ...), a copy."""
        return dict(self._fields or {})

    async def aset_fields(self, **fields: Any) -> None:
        """Change conversation fields (such as `title` or `system`) and save; `None` removes one."""
        await self._ensure_loaded()
        assert self._fields is not None
        for key, value in fields.items():
            if value is None:
                self._fields.pop(key, None)
            else:
                self._fields[key] = value
        self._dirty = True
        await self._persist()

    async def aset_title(self, title: str) -> None:
        """Change the conversation's title and save."""
        await self.aset_fields(title=title)

    async def _persist(self) -> None:
        """Write the file if anything changed since the last save (errors are reported, not raised)."""
        async with self._lock:
            if self._fields is None or not self._dirty:
                return  # nothing new: another save already wrote it
            if not self._messages and not await asyncio.to_thread(self.path.exists):
                return  # a new transcript is written with its first message
            self._dirty = False
            content = render_front_matter(self._fields) + "".join(self._sections)
            try:
                if self._original is not None and self.original_copy is not None:
                    await asyncio.to_thread(write_atomically, self.original_copy, self._original)
                    self._original = None
                await asyncio.to_thread(write_atomically, self.path, content)
            except TranscriptWriteError as error:
                self._dirty = True
                self.last_save_error = error
                if self._on_save_error is not None:
                    self._on_save_error(error)
                else:
                    logger.error("%s", error)
            else:
                self.last_save_error = None
                if self._on_saved is not None:
                    self._on_saved()
