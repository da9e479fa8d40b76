"""`ChatLog`: the scrolling list of a conversation's messages."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import events
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from miniagents import Message
from tui.sanitize import visible
from tui.widgets.laid_out import SizedByLayout
from tui.widgets.message_views import AssistantMessage, UserMessage
from tui.widgets.reply_body import ReplyBody
from tui.widgets.tool_message import CallTitles, ToolMessage

__all__ = ["ChatLog"]


class ChatLog(SizedByLayout, VerticalScroll):
    """The scrolling list of messages; it follows new text unless the user has scrolled up.

    Its scrollbar is always there, its track unseen: only a thumb shows, where there is something
    to scroll. (Shown only once a reply outgrew the view, the scrollbar was sized by one layout and
    asked for another: with four panes filling at once, a key typed then waited 57-127 ms, traced.)
    """

    DEFAULT_CSS = """
    ChatLog {
        height: 1fr;
        padding: 0 1;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        scrollbar-background: transparent;
    }
    """

    MAX_MOUNTED = 100
    """Only the newest messages stay mounted; older ones are in the transcript."""

    def __init__(self) -> None:
        super().__init__()
        self._waiting_to_scroll_up: float | None = None  # lines to scroll up once replies are laid out
        self._lines_hidden = 0  # lines of a reply above the last ones it lays out (`show_lines_hidden`)

    def on_mount(self) -> None:  # noqa: D102
        self.anchor()

    def followed_height(self) -> int:
        """How many lines the view shows while it follows new text at the bottom (0 while it does not).

        A growing reply that fills the view lays out only its last lines, as many as this: the view
        then shows the same and need not scroll as the reply grows (`ReplyBody.show_added`).
        """
        scrolled_up = self.scroll_y < self.max_scroll_y and self.max_scroll_y > 0  # (not: all fits)
        if self._waiting_to_scroll_up is not None or scrolled_up:
            return 0
        return self.scrollable_content_region.height

    def show_lines_hidden(self, lines: int) -> None:
        """A reply lays out only its last lines, `lines` above them not (0: all).

        The scrollbar shows where the view is in the whole conversation all the same.
        """
        self._lines_hidden = lines
        self._show_scroll_position()

    def on_resize(self) -> None:  # noqa: D102
        self._show_scroll_position()  # (a layout set the scrollbar by what it laid out)

    def _show_scroll_position(self) -> None:
        if self._lines_hidden and self.show_vertical_scrollbar:
            scrollbar = self.vertical_scrollbar
            scrollbar.window_virtual_size = self.virtual_size.height + self._lines_hidden
            scrollbar.position = self.scroll_y + self._lines_hidden

    def _show_whole_replies(self) -> list[ReplyBody]:
        """Lay out the whole text of replies that show only their last lines; those replies."""
        if not self._lines_hidden:
            return []  # (every line is laid out: no need to look, on every scroll and wheel turn)
        return [body for body in self.query(ReplyBody) if body.tail_only and body.show_whole()]

    def _scroll_up(self, lines: float) -> bool:
        """Scroll up by `lines` once replies that show only their last lines are laid out whole.

        Returns whether it will (else the caller scrolls now). Until then the view keeps to the
        bottom, which shows the same lines; scrolls asked for meanwhile add up.
        """
        if self._waiting_to_scroll_up is None:
            whole = self._show_whole_replies()
            if not whole:
                return False
            self._waiting_to_scroll_up = 0.0
            self.screen.screen_layout_refresh_signal.subscribe(self, lambda _: self._scroll_up_now(whole))
        self._waiting_to_scroll_up += lines
        return True

    def _scroll_up_now(self, whole: list[ReplyBody]) -> None:
        """Once the replies `whole` are laid out whole, scroll up as asked, from the bottom.

        (The view was at the bottom.) After a layout that came before theirs, it waits for the next.
        """
        if any(body.is_mounted and not body.laid_out_whole for body in whole):
            return
        self.screen.screen_layout_refresh_signal.unsubscribe(self)
        lines, self._waiting_to_scroll_up = self._waiting_to_scroll_up or 0.0, None
        self.scroll_to(y=max(0.0, self.max_scroll_y - lines), animate=False, immediate=True)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:  # noqa: D102
        if not (event.ctrl or event.shift) and self._scroll_up(self.app.scroll_sensitivity_y):
            event.prevent_default()
            event.stop()

    def release_anchor(self) -> None:
        """The reader scrolls away from the bottom: replies lay out their whole text again."""
        super().release_anchor()
        self._show_whole_replies()

    def scroll_pages(self, pages: int) -> None:
        """Scroll by a page up (`pages` < 0) or down; back at the bottom, the view follows new text again.

        A conversation that fits on the screen does not scroll (and keeps following new text).
        """
        if self.max_scroll_y <= 0:
            return
        if pages < 0:
            if not self._scroll_up(self.scrollable_content_region.height):
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
        widget.body.follower = self
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
