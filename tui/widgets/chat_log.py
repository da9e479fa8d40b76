"""The conversation: a scrolling list of user and assistant messages; assistant ones stream as Markdown."""

from __future__ import annotations

from rich.text import Text
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static

from miniagents import INCOMPLETE, INTERRUPTED, Message, MessagePromise, PromiseCancelledError
from tui.sanitize import visible

STATUS_WORDS = {
    INCOMPLETE: "⚠ incomplete: the reply broke off",
    INTERRUPTED: "⏹ interrupted: you stopped this reply",
}
"""The wording shown under a partial reply (the transcript stores the same `status`)."""


class UserMessage(Static):
    """A message the user sent, shown literally."""

    DEFAULT_CSS = """
    UserMessage {
        margin: 1 0 0 8;
        padding: 0 1;
        background: $primary 15%;
        border-left: wide $primary;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__(Text(visible(text)))


class AssistantMessage(Vertical):
    """An assistant's reply: a title line, the Markdown body, and a status line when it is partial."""

    DEFAULT_CSS = """
    AssistantMessage {
        height: auto;
        margin: 1 8 0 0;
        padding: 0 1;
        border-left: wide $secondary;
    }
    AssistantMessage > .title { color: $text-muted; }
    AssistantMessage > Markdown { margin: 0; padding: 0; }
    AssistantMessage > .status { color: $warning; }
    AssistantMessage > .error { color: $error; }
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name
        self.body = Markdown()
        self.text = ""

    def compose(self):  # noqa: D102
        yield Static(Text(visible(self._name)), classes="title")
        yield self.body

    async def show_message(self, message: Message) -> None:
        """Show a complete (or partial) message at once."""
        self.text = message.text
        await self.body.update(visible(message.text))
        status = getattr(message, "status", None)
        if status in STATUS_WORDS:
            await self.show_status(status)

    async def stream(self, promise: MessagePromise) -> Message:
        """Render `promise` token by token; return the message (partial, with `status`, if it ended early)."""
        stream = Markdown.get_stream(self.body)
        try:
            async for token in promise:
                self.text += token
                await stream.write(visible(token))
        except PromiseCancelledError:
            pass
        except Exception:
            pass
        finally:
            await stream.stop()
        message = await promise.aresolve_partial()
        await self.body.update(visible(message.text))  # one full render fixes streamed code fences
        status = getattr(message, "status", None)
        if status in STATUS_WORDS:
            await self.show_status(status, getattr(message, "error", None))
        return message

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

    def on_mount(self) -> None:  # noqa: D102
        self.anchor()

    async def add_user(self, text: str) -> UserMessage:
        """Append a user message."""
        widget = UserMessage(text)
        await self.mount(widget)
        return widget

    async def add_assistant(self, name: str) -> AssistantMessage:
        """Append an empty assistant message, ready to stream."""
        widget = AssistantMessage(name)
        await self.mount(widget)
        return widget

    async def add_notice(self, text: str, error: bool = False) -> Static:
        """Append a one-line notice (an error when `error`)."""
        widget = Static(Text(visible(text)), classes="notice error" if error else "notice")
        await self.mount(widget)
        return widget
