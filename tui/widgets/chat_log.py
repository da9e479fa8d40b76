"""`ChatLog`: the scrolling list of a conversation's messages."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from miniagents import Message
from tui.sanitize import visible
from tui.widgets.laid_out import SizedByLayout
from tui.widgets.message_views import AssistantMessage, UserMessage
from tui.widgets.tool_message import CallTitles, ToolMessage

__all__ = ["ChatLog"]


class ChatLog(SizedByLayout, VerticalScroll):
    """The scrolling list of messages; it follows new text unless the user has scrolled up."""

    DEFAULT_CSS = """
    ChatLog { height: 1fr; padding: 0 1; scrollbar-gutter: stable; scrollbar-size-vertical: 1; }
    """

    MAX_MOUNTED = 100
    """Only the newest messages stay mounted; older ones are in the transcript."""

    def on_mount(self) -> None:  # noqa: D102
        self.anchor()

    def scroll_pages(self, pages: int) -> None:
        """Scroll by a page up (`pages` < 0) or down; back at the bottom, the view follows new text again.

        A conversation that fits on the screen does not scroll (and keeps following new text).
        """
        if self.max_scroll_y <= 0:
            return
        if pages < 0:
            self.scroll_page_up(animate=False)
        elif self.scroll_y + self.scrollable_content_region.height >= self.max_scroll_y:
            # The last page. (Textual's page down would release the anchor even where the view
            # cannot move, and a reader at the bottom would stop seeing new text.)
            self.follow()
        else:
            self.scroll_page_down(animate=False)

    def follow(self) -> None:
        """Follow new text again from the bottom, wherever the reader had scrolled to."""
        self.anchor()
        self.scroll_end(animate=False, immediate=True)

    async def _add(self, widget: Widget) -> None:
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

    async def add_tool_result(self, call: str) -> ToolMessage:
        """Append an empty tool result for the call `call` (`name(arguments)`), ready to stream."""
        widget = ToolMessage(call)
        await self._add(widget)
        return widget

    async def add_saved(self, messages: Iterable[Message], default_name: str = "assistant") -> None:
        """Show saved messages, all mounted in one go (for a reopened conversation)."""
        widgets: list[UserMessage | AssistantMessage] = []
        calls = CallTitles()
        for message in messages:
            role = getattr(message, "role", None)
            if role == "user":
                widgets.append(UserMessage(message.text))
            elif role == "tool":
                widgets.append(ToolMessage(calls.answered(message.model_dump()), message))
            else:
                widget = AssistantMessage(str(getattr(message, "agent", None) or default_name), message)
                calls.note_calls(widget, message)
                widgets.append(widget)
        if widgets:
            await self.mount_all(widgets)

    async def add_notice(self, text: str, error: bool = False) -> Static:
        """Append a one-line notice (an error when `error`)."""
        widget = Static(Text(visible(text)), classes="notice error" if error else "notice")
        await self.mount(widget)
        return widget
