"""A conversation's messages: `UserMessage` (shown literally), `AssistantMessage` (streamed Markdown)."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from miniagents import INCOMPLETE, INTERRUPTED, Message, MessagePromise
from miniagents.errors import LLMIdleTimeoutError
from tui.sanitize import visible
from tui.widgets.frame_pacer import FramePacer
from tui.widgets.laid_out import SizedByLayout
from tui.widgets.prompt import send_typing_to_prompt
from tui.widgets.reply_body import ReplyBody
from tui.widgets.stream_stats import StreamProgress

__all__ = ["IDLE_TIMEOUT_HINT", "STATUS_WORDS", "AssistantMessage", "UserMessage"]

IDLE_TIMEOUT_HINT = " (wait longer with --idle-timeout SECONDS)"
"""Added to an idle-timeout error: the option that sets how long to wait."""

STATUS_WORDS = {
    INCOMPLETE: "⚠ incomplete: the reply broke off",
    INTERRUPTED: "⏹ interrupted: you stopped this reply",
}
"""The wording shown under a partial reply (the transcript stores the same `status`)."""


class UserMessage(Static, can_focus=True):
    """A message the user sent, shown literally. Focus it and press Enter to edit and resend it.

    Typing on a focused message goes to the prompt (`send_typing_to_prompt`).
    """

    DEFAULT_CSS = """
    UserMessage {
        margin: 1 0 0 8;
        padding: 0 1;
        background: $primary 15%;
        border-left: wide $primary;
    }
    UserMessage:focus { background: $primary 30%; }
    """

    BINDINGS = [Binding("enter", "screen.edit_focused", "Edit & resend")]  # noqa: RUF012

    def __init__(self, text: str) -> None:
        super().__init__(Text(visible(text)))
        self.text = text

    def on_key(self, event: events.Key) -> None:  # noqa: D102
        send_typing_to_prompt(self, event)


class AssistantMessage(SizedByLayout, Vertical, can_focus=True):
    """An assistant's reply: a title line, the Markdown body, and a status line when it is partial."""

    DEFAULT_CSS = """
    AssistantMessage {
        height: auto;
        margin: 1 8 0 0;
        padding: 0 1 0 0;
    }
    AssistantMessage > * { border-left: wide $secondary; padding-left: 1; }
    AssistantMessage:focus { background: $secondary 10%; }
    AssistantMessage > .title { color: $text-muted; }
    AssistantMessage > .status { color: $warning; }
    AssistantMessage > .error { color: $error; }
    """

    BLANK = True
    """Its bar is drawn by its children: as a container that scrolls and grows with its reply, its own
    lines of border and padding were styled anew in every frame that moved it (1.3-2.9 ms a pane
    redraw in the four-pane scenario of `tests/benchmarks/terminal_bench.py`)."""

    BINDINGS = [  # noqa: RUF012
        Binding("enter", "screen.copy_focused", "Copy"),
        Binding("ctrl+b", "screen.copy_code", "Copy code"),
    ]

    def __init__(self, name: str, message: Message | None = None) -> None:
        """Make an empty reply to stream into, or one that shows a saved `message` when mounted."""
        super().__init__()
        self._name = name
        self._title = name
        self._saved = message
        self._drawn = 0
        self.body = ReplyBody(visible(self._fit(message.text)) if message is not None else "")
        """The rendered Markdown."""
        self.text = message.text if message is not None else ""
        self.code_index = 0

    SHOWN_CHARACTERS: int | None = None
    """At most this many characters of the text are drawn (None: all); `text` keeps it whole."""

    def _fit(self, fragment: str) -> str:
        """The part of `fragment` still to be drawn, within `SHOWN_CHARACTERS`."""
        if self.SHOWN_CHARACTERS is None:
            return fragment
        drawn = fragment[: max(0, self.SHOWN_CHARACTERS - self._drawn)]
        self._drawn += len(drawn)
        return drawn

    def on_key(self, event: events.Key) -> None:  # noqa: D102
        send_typing_to_prompt(self, event)

    def title_text(self) -> str:
        """The title: who wrote the reply (and which tools it called, once it has)."""
        return self._title

    def show_calls(self, calls: list[str]) -> None:
        """Say in the title that this message asked for the tools `calls` (their results follow it)."""
        self._title = f"{self._name} · calls {', '.join(calls)}"
        self.refresh_title()

    def refresh_title(self) -> None:
        """Show `title_text()` as it is now."""
        for title in self.query(".title").results(Static):
            title.update(Text(visible(self.title_text())))

    def compose(self) -> ComposeResult:  # noqa: D102
        yield Static(Text(visible(self.title_text())), classes="title")
        yield self.body
        status = getattr(self._saved, "status", None)
        if status in STATUS_WORDS:
            yield Static(Text(STATUS_WORDS[status]), classes="status")
            error = getattr(self._saved, "error", None)
            if error:
                yield Static(Text(visible(str(error))), classes="error")

    async def stream(self, promise: MessagePromise, pacer: FramePacer, progress: StreamProgress) -> Message:
        """Render `promise` as it streams, a frame at a time (on `pacer`'s ticks); return the message.

        Every token is counted in `progress` as it arrives. A reply that ends early comes back
        partial, with its `status` shown under it.
        """
        wake = asyncio.Event()
        held: list[str] = []  # text not given to the body yet: while keys come, until the next turn

        def measure_held() -> None:
            if held:
                self.body.add("".join(held))  # (measured now, drawn at this reply's next turn)
                held.clear()

        async def write_frames() -> None:
            # One redraw per turn however many tokens arrived: keeps rendering cheap.
            while True:
                await wake.wait()
                wake.clear()
                turn = await pacer.wait_turn()
                self.call_after_refresh(pacer.note_redrawn, turn)
                measure_held()
                self.body.show_added()

        writer = asyncio.create_task(write_frames())
        self.body.growing = True
        try:
            async for tokens in promise.batches():
                progress.count_tokens(len(tokens))
                fragment = "".join(tokens)
                self.text += fragment
                if drawn := self._fit(fragment):
                    held.append(visible(drawn))
                    if not pacer.typing:  # (a key must not wait behind the measuring)
                        measure_held()
                    wake.set()
        except Exception:
            pass  # the error is shown below, from the partial message
        finally:
            # the end is drawn at once: a turn can be far off while the user types (Esc, say)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            measure_held()
            self.body.show_added()
            self.body.growing = False
        message = await promise.aresolve_partial()
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
        """Show an error under the reply, literally (with the option to change, for a timeout)."""
        if error.startswith(f"{LLMIdleTimeoutError.__name__}:"):
            error += IDLE_TIMEOUT_HINT
        await self.mount(Static(Text(visible(error)), classes="error"))
