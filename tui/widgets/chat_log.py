"""The conversation: a scrolling list of user and assistant messages; assistant ones stream as Markdown."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static

from miniagents import INCOMPLETE, INTERRUPTED, Message, MessagePromise
from tui.sanitize import visible

STATUS_WORDS = {
    INCOMPLETE: "⚠ incomplete: the reply broke off",
    INTERRUPTED: "⏹ interrupted: you stopped this reply",
}
"""The wording shown under a partial reply (the transcript stores the same `status`)."""

FRAME_SECONDS = 1 / 30
"""Tokens that arrive within one frame are rendered together."""

CHUNK_CHARS = 3000
"""A long reply is rendered as several Markdown widgets of about this size, so that a new token only
re-renders the last one."""

_FENCE_LINE = re.compile(r"^(```|~~~)", re.MULTILINE)

_CODE_BLOCK = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def code_blocks(markdown: str) -> list[str]:
    """The contents of the fenced code blocks in `markdown`, in order."""
    return [match.group(2) for match in _CODE_BLOCK.finditer(markdown)]


def split_point(text: str, start: int) -> int | None:
    """The index just after the last paragraph break in `text[start:]` that is outside a code block."""
    position = text.rfind("\n\n", start)
    while position != -1:
        if len(_FENCE_LINE.findall(text, 0, position)) % 2 == 0:
            return position + 2
        position = text.rfind("\n\n", start, position)
    return None


def markdown_chunks(text: str) -> list[str]:
    """`text` cut at paragraph breaks outside code blocks into pieces of about `CHUNK_CHARS`."""
    chunks = []
    while len(text) > CHUNK_CHARS:
        cut = split_point(text[: CHUNK_CHARS * 2], CHUNK_CHARS // 2)
        if cut is None:
            break
        chunks.append(text[:cut])
        text = text[cut:]
    chunks.append(text)
    return chunks


@dataclass(frozen=True)
class StreamStats:
    """How a reply streamed, for the status line."""

    tokens: int
    time_to_first_token: float | None
    tokens_per_second: float | None


class UserMessage(Static, can_focus=True):
    """A message the user sent, shown literally. Focus it and press `e` to edit and resend it."""

    DEFAULT_CSS = """
    UserMessage {
        margin: 1 0 0 8;
        padding: 0 1;
        background: $primary 15%;
        border-left: wide $primary;
    }
    UserMessage:focus { background: $primary 30%; }
    """

    BINDINGS = [  # noqa: RUF012
        Binding("e", "screen.edit_focused", "Edit & resend"),
        Binding("c", "screen.copy_focused", "Copy"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__(Text(visible(text)))
        self.text = text


class AssistantMessage(Vertical, can_focus=True):
    """An assistant's reply: a title line, the Markdown body, and a status line when it is partial."""

    DEFAULT_CSS = """
    AssistantMessage {
        height: auto;
        margin: 1 8 0 0;
        padding: 0 1;
        border-left: wide $secondary;
    }
    AssistantMessage:focus { background: $secondary 10%; }
    AssistantMessage > .title { color: $text-muted; }
    AssistantMessage > Markdown { margin: 0; padding: 0; }
    AssistantMessage > .status { color: $warning; }
    AssistantMessage > .error { color: $error; }
    """

    BINDINGS = [  # noqa: RUF012
        Binding("c", "screen.copy_focused", "Copy"),
        Binding("b", "screen.copy_code", "Copy code"),
    ]

    def __init__(self, name: str, message: Message | None = None) -> None:
        """Make an empty reply to stream into, or one that shows a saved `message` when mounted."""
        super().__init__()
        self._name = name
        self._saved = message
        chunks = markdown_chunks(visible(message.text)) if message is not None else [""]
        self._bodies = [Markdown(chunk) for chunk in chunks]
        self.body = self._bodies[-1]
        """The Markdown widget that new text goes to (the last of the reply's chunks)."""
        self._chunk = chunks[-1]
        self.text = message.text if message is not None else ""
        self.code_index = 0

    def compose(self):  # noqa: D102
        yield Static(Text(visible(self._name)), classes="title")
        yield from self._bodies
        status = getattr(self._saved, "status", None)
        if status in STATUS_WORDS:
            yield Static(Text(STATUS_WORDS[status]), classes="status")
            error = getattr(self._saved, "error", None)
            if error:
                yield Static(Text(visible(str(error))), classes="error")

    @property
    def rendered_source(self) -> str:
        """The Markdown source of every chunk, joined (what is on screen)."""
        return "".join(widget.source for widget in self.query(Markdown))

    async def _new_body(self, source: str) -> None:
        self.body = Markdown()
        await self.mount(self.body)
        self._chunk = source
        await self.body.update(source)

    async def _write(self, fragment: str) -> None:
        """Add rendered text, starting a new chunk at a paragraph break when the current one is long."""
        start = len(self._chunk)
        self._chunk += fragment
        if len(self._chunk) > CHUNK_CHARS:
            cut = split_point(self._chunk, max(start - 1, CHUNK_CHARS // 2))
            if cut is not None and cut > start:
                head, rest = fragment[: cut - start], fragment[cut - start :]
                self._chunk = self._chunk[:cut]
                if head:
                    await self.body.append(head)
                await self._new_body(rest)
                return
        await self.body.append(fragment)

    async def stream(self, promise: MessagePromise) -> tuple[Message, StreamStats]:
        """Render `promise` as it streams, a frame at a time; return the message and how it streamed.

        A reply that ends early comes back partial, with its `status`.
        """
        started = time.perf_counter()
        first_token_at: float | None = None
        count = 0
        pending: list[str] = []
        wake = asyncio.Event()
        finished = False

        async def write_frames() -> None:
            # One append per frame however many tokens arrived: keeps rendering cheap.
            while True:
                if not finished:
                    await wake.wait()
                    wake.clear()
                    if not finished:
                        await asyncio.sleep(FRAME_SECONDS)
                if pending:
                    fragment = visible("".join(pending))
                    pending.clear()
                    await self._write(fragment)
                elif finished:
                    return

        writer = asyncio.create_task(write_frames())
        try:
            async for token in promise:
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                count += 1
                self.text += token
                pending.append(token)
                wake.set()
        except Exception:
            pass  # the error is shown below, from the partial message
        finally:
            finished = True
            wake.set()
            try:
                await writer  # it writes what is pending, then ends
            finally:
                if not writer.done():  # we were cancelled while waiting: stop it too
                    writer.cancel()
                    await asyncio.gather(writer, return_exceptions=True)
        message = await promise.aresolve_partial()
        await self.body.update(self._chunk)  # one full render of the last chunk fixes streamed code fences
        status = getattr(message, "status", None)
        if status in STATUS_WORDS:
            await self.show_status(status, getattr(message, "error", None))
        ended = time.perf_counter()
        rate = None
        if first_token_at is not None and count > 1 and ended > first_token_at:
            rate = (count - 1) / (ended - first_token_at)
        ttft = first_token_at - started if first_token_at is not None else None
        return message, StreamStats(count, ttft, rate)

    async def show_status(self, status: str, error: str | None = None) -> None:
        """Mark the reply as partial (and show the error, if any)."""
        await self.mount(Static(Text(STATUS_WORDS[status]), classes="status"))
        if error:
            await self.show_error(error)

    async def show_error(self, error: str) -> None:
        """Show an error under the reply, literally."""
        await self.mount(Static(Text(visible(error)), classes="error"))


class ChatLog(VerticalScroll):
    """The scrolling list of messages; it follows new text unless the user has scrolled up."""

    DEFAULT_CSS = """
    ChatLog { height: 1fr; padding: 0 1; }
    """

    MAX_MOUNTED = 100
    """Only the newest messages stay mounted; older ones are in the transcript."""

    def on_mount(self) -> None:  # noqa: D102
        self.anchor()

    async def _add(self, widget: Static | Vertical) -> None:
        await self.mount(widget)
        messages = [child for child in self.children if isinstance(child, UserMessage | AssistantMessage)]
        if len(messages) > self.MAX_MOUNTED:
            await self.remove_children(messages[: len(messages) - self.MAX_MOUNTED])

    async def add_user(self, text: str) -> UserMessage:
        """Append a user message."""
        widget = UserMessage(text)
        await self._add(widget)
        return widget

    async def add_assistant(self, name: str) -> AssistantMessage:
        """Append an empty assistant message, ready to stream."""
        widget = AssistantMessage(name)
        await self._add(widget)
        return widget

    async def add_saved(self, messages: list[Message], default_name: str = "assistant") -> None:
        """Show saved messages, all mounted in one go (for a reopened conversation)."""
        widgets: list[UserMessage | AssistantMessage] = []
        for message in messages:
            if getattr(message, "role", None) == "user":
                widgets.append(UserMessage(message.text))
            else:
                widgets.append(
                    AssistantMessage(str(getattr(message, "agent", None) or default_name), message)
                )
        if widgets:
            await self.mount_all(widgets)

    async def add_notice(self, text: str, error: bool = False) -> Static:
        """Append a one-line notice (an error when `error`)."""
        widget = Static(Text(visible(text)), classes="notice error" if error else "notice")
        await self.mount(widget)
        return widget
