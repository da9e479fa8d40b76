"""`PromptInput`: a multi-line input where Enter sends and Ctrl+J (or Shift+Enter) adds a new line."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea


class PromptInput(TextArea):
    """The prompt. Pasted text is inserted literally and never sent on its own.

    PageUp and PageDown scroll the conversation (the screen's `scroll_conversation` action), so the
    reader never has to leave the prompt to read back.
    """

    BINDINGS = [  # noqa: RUF012
        Binding("pageup", "screen.scroll_conversation(-1)", "Scroll up", show=False),
        Binding("pagedown", "screen.scroll_conversation(1)", "Scroll down", show=False),
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

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            text = self.text
            if text.strip():
                self.post_message(self.Submitted(self, text))
            return
        if event.key in ("ctrl+j", "shift+enter"):
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        await super()._on_key(event)
