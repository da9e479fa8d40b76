"""`AgentPane`: one assistant's column in the panel view, with its own messages, status and cancel."""

from __future__ import annotations

import time
from functools import partial

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from miniagents import Message, MessagePromise, MessageSequencePromise
from tui.sanitize import visible
from tui.widgets.chat_log import ChatLog, StreamStats
from tui.widgets.status_line import StatusLine


class AgentPane(Vertical, can_focus=True):
    """A pane: the assistant's name, its conversation, and a status line with its own numbers."""

    DEFAULT_CSS = """
    AgentPane {
        border: round $secondary;
        height: 1fr;
        min-width: 30;
    }
    AgentPane:focus-within, AgentPane:focus { border: round $accent; }
    AgentPane.winner { border: double $success; }
    AgentPane > .pane-title { height: 1; padding: 0 1; background: $secondary 20%; }
    AgentPane > .pane-status { height: 1; padding: 0 1; color: $text-muted; }
    AgentPane > ChatLog { padding: 0; }
    """

    def __init__(self, index: int, name: str) -> None:
        super().__init__(id=f"pane-{index}")
        self.index = index
        self.pane_name = name
        self.streaming: MessagePromise | None = None

    def compose(self):  # noqa: D102
        yield Static(Text(visible(f"{self.index + 1}. {self.pane_name}")), classes="pane-title")
        yield ChatLog()
        yield StatusLine("ready", classes="pane-status")

    @property
    def chat_log(self) -> ChatLog:
        """This pane's message list."""
        return self.query_one(ChatLog)

    def set_status(self, *parts: str) -> None:
        """Show `parts` (literally, most important first) in this pane's status line."""
        for status in self.query(".pane-status").results(StatusLine):
            status.show(*parts)

    async def show_reply(self, reply: MessageSequencePromise) -> list[Message]:
        """Stream every message of `reply` into this pane (one block per message, titled with its agent)."""
        started = time.perf_counter()
        messages: list[Message] = []
        total_tokens = 0
        self.set_status("waiting for the first token…")
        try:
            async for promise in reply:
                block = await self.chat_log.add_assistant(
                    str(promise.metadata_so_far.get("agent") or self.pane_name)
                )
                self.streaming = promise
                show_progress = partial(self._show_progress, started, total_tokens)
                try:
                    message, stats = await block.stream(promise, show_progress)
                finally:
                    self.streaming = None
                messages.append(message)
                total_tokens += stats.tokens
                self._show_stats(stats, total_tokens, time.perf_counter() - started)
        except Exception as error:  # shown in this pane; the other panes go on
            await self.chat_log.add_notice(f"Error: {error}", error=True)
            self.set_status("error", f"{time.perf_counter() - started:.1f} s")
        return messages

    def _show_progress(self, started: float, tokens_before: int, so_far: StreamStats) -> None:
        self._show_stats(so_far, tokens_before + so_far.tokens, time.perf_counter() - started)

    def _show_stats(self, stats: StreamStats, tokens: int, elapsed: float) -> None:
        self.set_status(*stats.status_parts(tokens, elapsed))

    def cancel(self) -> bool:
        """Stop this pane's streaming reply (the others go on); whether there was one."""
        if self.streaming is None:
            return False
        self.streaming.cancel()
        return True

    async def show_history(self, messages: list[Message]) -> None:
        """Show saved messages (when a panel transcript is reopened)."""
        await self.chat_log.add_saved(messages, self.pane_name)
