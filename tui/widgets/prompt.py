"""`PromptInput`: a multi-line input where Enter sends and Ctrl+J (or Shift+Enter) adds a new line."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import TextArea

from tui.typed_ahead import TypedAhead

__all__ = ["PromptInput", "send_typing_to_prompt"]


class PromptInput(TextArea):
    """The prompt. Pasted text is inserted literally and never sent on its own.

    PageUp and PageDown scroll the conversation (the screen's `scroll_conversation` action), so the
    reader never has to leave the prompt to read back; Ctrl+End goes back to the bottom at once.
    """

    BINDINGS = [  # noqa: RUF012
        # Priority bindings run when the key reaches the app, before the text area takes Enter as a new
        # line; their actions queue behind the keys typed before them (see `action_submit`).
        Binding("enter", "submit", "Send", show=False, priority=True),
        Binding("ctrl+j,shift+enter", "newline", "New line", show=False, priority=True),
        Binding("pageup", "screen.scroll_conversation(-1)", "Scroll up", show=False),
        Binding("pagedown", "screen.scroll_conversation(1)", "Scroll down", show=False),
        Binding("ctrl+end", "screen.follow_conversation", "Follow new text", show=False),
    ]

    DEFAULT_CSS = """
    PromptInput {
        height: auto;
        max-height: 10;
        min-height: 3;
    }
    """

    @dataclass
    class Submitted(Message):
        """The user pressed Enter with some text in the prompt."""

        prompt: PromptInput
        text: str

    def action_submit(self) -> None:
        """Send the text (unless it is blank), once the keys typed before Enter are in it.

        Keys typed quickly (a burst from the terminal) wait in this widget's queue while a priority
        binding runs at once: the send is queued behind them, so no typed character is lost.
        """
        self.call_later(self._submit)

    def remove_sent(self, text: str) -> None:
        """Remove `text`, which was sent, from the start of the prompt; keys typed since stay."""
        if not self.text.startswith(text):
            self.clear()
            return
        lines = text.split("\n")
        self.delete((0, 0), (len(lines) - 1, len(lines[-1])))

    def _submit(self) -> None:
        text = self.text
        if text.strip():
            self.post_message(self.Submitted(self, text))

    def take_typed_ahead(self, typed: TypedAhead) -> None:
        """Take what was typed before the app was up: its text, sent if Enter was pressed."""
        self.insert(typed.text)
        if typed.sent:
            self.action_submit()
            self.call_later(self.insert, typed.after)  # once the send has taken the text

    def action_newline(self) -> None:
        """Start a new line in the prompt (after the keys typed before it)."""
        self.call_later(self.insert, "\n")


def send_typing_to_prompt(widget: Widget, event: events.Key) -> None:
    """Send a key typed on `widget` (a focused message or pane) to the screen's prompt instead.

    A printable key that no binding takes is typed into the prompt; Esc returns to the prompt when
    no binding takes it either. So typing never vanishes into a focused message, and one Tab too
    many never traps the person away from the prompt.
    """
    if event.key in widget.screen.active_bindings:
        return
    if not (event.is_printable or event.key == "escape"):
        return
    prompt = widget.screen.query_one(PromptInput)
    prompt.focus()
    if event.is_printable and event.character is not None:
        prompt.insert(event.character)
    event.stop()
