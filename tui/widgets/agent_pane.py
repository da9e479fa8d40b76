"""`AgentPane`: one assistant's column in the panel view: its name over a `ConversationView`."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui.sanitize import visible
from tui.widgets.conversation_view import ConversationView
from tui.widgets.frame_pacer import FramePacer
from tui.widgets.prompt import send_typing_to_prompt

__all__ = ["AgentPane"]


class AgentPane(Vertical, can_focus=True):
    """A pane: the assistant's name, and its conversation with its own status and cancel."""

    DEFAULT_CSS = """
    AgentPane {
        border: round $secondary;
        height: 1fr;
        min-width: 30;
    }
    AgentPane:focus-within, AgentPane:focus { border: round $accent; }
    AgentPane.winner { border: double $success; }
    AgentPane > .pane-title {
        height: 1;
        padding: 0 1;
        background: $secondary 20%;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    AgentPane ChatLog { padding: 0; }
    """

    def __init__(self, index: int, name: str, pacer: FramePacer) -> None:
        super().__init__(id=f"pane-{index}")
        self.index = index
        """The pane's position, from 0; replies it writes are saved with it as `branch`."""
        self.pane_name = name
        self.view = ConversationView(pacer, name)
        """The pane's conversation."""

    def compose(self) -> ComposeResult:  # noqa: D102
        yield Static(Text(visible(f"{self.index + 1}. {self.pane_name}")), classes="pane-title")
        yield self.view

    def on_mount(self) -> None:  # noqa: D102
        self.view.set_status("ready")

    def on_key(self, event: events.Key) -> None:  # noqa: D102
        send_typing_to_prompt(self, event)
