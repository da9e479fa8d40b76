"""Messages the screens send to the app (Textual messages, not chat messages)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tui.session import PaneSpec

__all__ = ["CompareRequested", "LeavePanelRequested", "ToolsChanged"]


@dataclass
class CompareRequested(Message):
    """The person asked to go on with this conversation side by side, one pane per model."""

    panes: list[PaneSpec]


@dataclass
class LeavePanelRequested(Message):
    """The person asked to go on in the chat with one pane alone (the session already uses it)."""


@dataclass
class ToolsChanged(Message):
    """The tools on offer changed (an MCP server connected, failed or went away); sent to the screen."""

    problem: str | None
    """One line on what went wrong, or None when a server just became ready."""
