"""`ConversationView`: one conversation on screen, its replies streaming in, with a status line.

The one reply view of the app: the chat is a single `ConversationView`, and every pane of the panel
view holds one. A reply (`MessageSequencePromise`) gets a block per message, titled with the agent
that wrote it; tokens are drawn a frame at a time; the status line counts the reply's tokens over the
whole reply (all of its messages), shows retries, errors and the numbers at the end; a message that
ended early is marked incomplete or interrupted under its block.
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Vertical

from miniagents import Message, MessagePromise, MessageSequencePromise
from miniagents.errors import LLMIdleTimeoutError
from miniagents.ext.llm.base import RetryNotice
from tui.widgets.chat_log import ChatLog
from tui.widgets.frame_pacer import FramePacer
from tui.widgets.status_line import StatusLine
from tui.widgets.stream_stats import PROGRESS_SECONDS, StreamProgress
from tui.widgets.tool_message import CallTitles

__all__ = ["ConversationView"]


class ConversationView(Vertical):
    """A conversation's messages and, under them, a status line about the reply streaming into it."""

    DEFAULT_CSS = """
    ConversationView { height: 1fr; }
    ConversationView > .reply-status { height: 1; padding: 0 1; color: $text-muted; }
    ConversationView .notice { margin: 1 0 0 0; color: $text-muted; }
    ConversationView .notice.error { color: $error; }
    """

    def __init__(
        self, pacer: FramePacer, agent_name: str, *, id: str | None = None, classes: str | None = None
    ) -> None:
        """A view whose replies redraw on `pacer`'s ticks; `agent_name` titles replies that name no agent."""
        super().__init__(id=id, classes=classes)
        self.pacer = pacer
        self.agent_name = agent_name
        self.status_before: tuple[str, ...] = ()
        """Shown before the reply's own status parts (the chat shows its model there)."""
        self.status_after: tuple[str, ...] = ()
        """Shown after them (the chat shows where the key comes from)."""
        self._streaming: MessagePromise | None = None
        self._stopped = False
        self._retrying: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:  # noqa: D102
        yield ChatLog()
        yield StatusLine(classes="reply-status")

    @property
    def chat_log(self) -> ChatLog:
        """The list of messages."""
        return self.query_one(ChatLog)

    @property
    def streaming(self) -> bool:
        """Whether a reply is streaming into this view now."""
        return self._streaming is not None

    def set_status(self, *parts: str) -> None:
        """Show `parts` (literally, most important first) between `status_before` and `status_after`."""
        for status in self.query(".reply-status").results(StatusLine):
            status.show(*self.status_before, *parts, *self.status_after)

    def show_retry(self, notice: RetryNotice) -> None:
        """Say that the provider failed and when the next attempt is made (an LLM agent's `on_retry`)."""
        self._retrying = (
            f"retrying in {notice.delay:.1f} s (attempt {notice.attempt + 1} of {notice.max_attempts})",
            notice.reason,
        )
        self.set_status(*self._retrying)

    def stop(self) -> bool:
        """Stop the streaming reply (what arrived stays, marked interrupted); whether there was one."""
        if self._streaming is None:
            return False
        self._stopped = True
        self._streaming.cancel()
        return True

    async def show_reply(self, reply: MessageSequencePromise) -> list[Message]:
        """Stream every message of `reply` into the view and return them (partial ones marked).

        An error that ends the reply is shown under it, in the view; it is not raised.
        """
        progress = StreamProgress(time.perf_counter())
        self._stopped = False
        self._retrying = ()
        self.set_status("waiting for the first token…")
        ticker = self.set_interval(PROGRESS_SECONDS, lambda: self.show_progress(progress))
        messages: list[Message] = []
        calls = CallTitles()
        try:
            async for promise in reply:
                if self._stopped:
                    promise.cancel()  # a reply of several messages: the later ones are stopped too
                metadata = promise.metadata_so_far
                if metadata.get("role") == "tool":
                    block = await self.chat_log.add_tool_result(calls.answered(metadata))
                else:
                    name = str(metadata.get("agent") or self.agent_name)
                    block = await self.chat_log.add_assistant(name)
                self._streaming = promise
                try:
                    message = await block.stream(promise, self.pacer, progress)
                finally:
                    self._streaming = None
                messages.append(message)
                calls.note_calls(block, message)
        except Exception as error:  # shown to the person; the conversation goes on
            hint = (
                " (wait longer with --idle-timeout SECONDS)" if isinstance(error, LLMIdleTimeoutError) else ""
            )
            await self.chat_log.add_notice(f"Error: {error}{hint}", error=True)
            self.set_status("error", f"{time.perf_counter() - progress.started:.1f} s")
            return messages
        finally:
            ticker.stop()
        if messages:
            self._show_final(progress, messages)
        else:
            self.set_status()  # nothing came (the first turn of a chat has no reply to show)
        return messages

    def show_progress(self, progress: StreamProgress) -> None:
        """Show how the reply is streaming so far (unless keys are coming: the next tick will)."""
        if self.pacer.typing:
            return  # a redraw now would make the next key wait; the next tick shows it
        elapsed = time.perf_counter() - progress.started
        if not progress.tokens:
            self.set_status(f"waiting for the first token ({elapsed:.0f} s)…", *self._retrying)
        else:
            self.set_status("streaming…", *progress.stats(time.perf_counter()).status_parts(elapsed=elapsed))

    def _show_final(self, progress: StreamProgress, messages: list[Message]) -> None:
        now = time.perf_counter()
        counted = [getattr(getattr(m, "usage", None), "output_tokens", None) for m in messages]
        provider_tokens = sum(c for c in counted if c is not None) if None not in counted else None
        stats = progress.stats(now)
        self.set_status(*stats.status_parts(provider_tokens, now - progress.started))
