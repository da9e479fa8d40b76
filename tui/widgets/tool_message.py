"""`ToolMessage`: a tool's result in a reply, under a title that says what was called and how it went."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from miniagents import INTERRUPTED, Message, MessagePromise
from miniagents.ext.llm.tool_loop import arguments_json
from tui.widgets.frame_pacer import FramePacer
from tui.widgets.message_views import AssistantMessage
from tui.widgets.reply_body import ReplyBody
from tui.widgets.stream_stats import StreamProgress

__all__ = ["ARGUMENTS_SHOWN", "CallTitles", "ToolMessage", "call_text"]

ARGUMENTS_SHOWN = 60
"""How many characters of a call's arguments its title shows (the transcript keeps them whole)."""


def call_text(name: str, arguments: Any) -> str:
    """`name(arguments)`, the arguments as JSON, shortened to `ARGUMENTS_SHOWN` characters."""
    shown = arguments_json(arguments) if arguments is not None else ""
    if len(shown) > ARGUMENTS_SHOWN:
        shown = shown[: ARGUMENTS_SHOWN - 1] + "…"
    return f"{name}({shown})"


class CallTitles:
    """The tool calls of one reply, as their blocks show them.

    The model's round lists the calls it made; each result is titled with the call it answers.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, str] = {}

    def note_calls(self, block: AssistantMessage, message: Message) -> None:
        """Remember the calls `message` (shown in `block`) asked for, and list them in its title."""
        called = {
            str(getattr(call, "id", "")): call_text(
                str(getattr(call, "name", "")), getattr(call, "arguments", None)
            )
            for call in getattr(message, "tool_calls", None) or ()
        }
        if called:
            self._by_id.update(called)
            block.show_calls(list(called.values()))

    def answered(self, metadata: Mapping[str, Any]) -> str:
        """The call a tool result (with this metadata) answers: the model's call, else the tool's name."""
        call_id = str(metadata.get("tool_call_id") or "")
        return self._by_id.get(call_id) or call_text(str(metadata.get("tool_name") or "tool"), None)


class ToolMessage(AssistantMessage):
    """A tool's result: `⚙ name(arguments) · state`, then what the tool returned, streamed as it comes.

    A tool that is an agent streams its reply here while it writes it. The state is waiting for
    approval (when the tool asks first), running, done (with the time it took), error (the model is
    told too), denied or stopped.
    """

    DEFAULT_CSS = """
    ToolMessage { margin: 0 8 0 3; }
    ToolMessage > * { border-left: wide $accent; }
    ToolMessage > .title { color: $accent; text-wrap: nowrap; text-overflow: ellipsis; }
    ToolMessage.-error > .title { color: $error; }
    ToolMessage.-asking > .title, ToolMessage.-denied > .title { color: $warning; }
    ToolMessage.-collapsed > ReplyBody { max-height: 12; }
    ToolMessage > .more { color: $text-muted; display: none; }
    ToolMessage.-long > .more { display: block; }
    """

    BINDINGS = [Binding("enter", "toggle_result", "Show all / less")]  # noqa: RUF012

    SHOWN_LINES = 12
    """A long result shows this many lines until the block is opened (Enter on it)."""
    SHOWN_CHARACTERS = 20_000
    """A result's first characters that the block draws at all (a tool may return megabytes)."""

    def __init__(self, call: str, message: Message | None = None) -> None:
        """A block for the call `call` (as `call_text` gives it), empty or showing a saved result."""
        super().__init__(call, message)
        self.body.room_after = 2 * ReplyBody.HEADROOM_LINES  # a short result keeps its exact height
        self.call = call
        self._state = ""
        self._hint = ""
        self._show_state("running…" if message is None else _final_state(message))
        self.add_class("-collapsed")

    def compose(self) -> ComposeResult:  # noqa: D102
        yield from super().compose()
        yield Static(classes="more")

    def on_mount(self) -> None:  # noqa: D102
        self.call_after_refresh(self._show_more)

    def action_toggle_result(self) -> None:
        """Show the whole result, or only its first lines again."""
        self.toggle_class("-collapsed")
        self.call_after_refresh(self._show_more)  # (the body measures its lines again at the next frame)

    def _show_more(self) -> None:
        """Say how many lines a collapsed result hides (nothing for a short one), and what is not drawn."""
        if not self.body.line_count:
            return  # not drawn yet (or its styles just changed): the next call tells
        hidden = self.body.line_count - self.SHOWN_LINES
        self.set_class(hidden > 0, "-long")
        if hidden > 0:
            hint = (
                "Enter: show less" if not self.has_class("-collapsed") else f"… {hidden} more lines (Enter)"
            )
            limit = self.SHOWN_CHARACTERS
            if limit is not None and len(self.text) > limit:
                hint += (
                    f" · the first {limit:,} of {len(self.text):,} characters are shown;"
                    " the model and the transcript have them all"
                )
            if hint != self._hint:  # (asked up to 4 times a second while the tool runs)
                self._hint = hint
                self.query_one(".more", Static).update(Text(hint))

    def title_text(self) -> str:
        """The title as shown now."""
        return f"⚙ {self.call} · {self._state}"

    async def stream(self, promise: MessagePromise, pacer: FramePacer, progress: StreamProgress) -> Message:
        """Stream the result (see `AssistantMessage.stream`), with the state in the title."""
        started: float | None = None

        def tick() -> None:  # waiting for approval, or the time it has run; the result's length
            nonlocal started
            if pacer.typing and started is not None:
                return  # a redraw now would make the next key wait; a later tick shows it
            if promise.metadata_so_far.get("approval") == "asked":
                self._show_state("waiting for your approval…")
                return
            now = time.perf_counter()
            started = started or now
            self._show_state(f"running {now - started:.0f} s…")
            self._show_more()

        tick()
        ticker = self.set_interval(0.25, tick)
        try:
            message = await super().stream(promise, pacer, progress)
        finally:
            ticker.stop()
        self._show_more()
        state = _final_state(message)
        if state == "done" and started is not None:  # (None: it was allowed and done within a tick)
            state = f"done in {time.perf_counter() - started:.1f} s"
        self._show_state(state)
        return message

    def _show_state(self, state: str) -> None:
        if state == self._state:
            return
        self._state = state
        self.set_class(state == "error", "-error")
        self.set_class(state == "denied", "-denied")
        self.set_class(state.startswith("waiting"), "-asking")
        self.refresh_title()


def _final_state(message: Message) -> str:
    """How a tool's run ended, as its title says: done, error, stopped (by the user) or broke off."""
    status = getattr(message, "status", None)
    if status is not None:
        return "stopped" if status == INTERRUPTED else "broke off"
    if getattr(message, "approval", None) == "denied":
        return "denied"
    return "error" if getattr(message, "is_error", False) else "done"
