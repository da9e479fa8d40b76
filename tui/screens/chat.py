"""`ChatScreen`: one conversation with one assistant, run through `adialog_loop`.

The screen's `user_agent` is the person at the keyboard: it shows the assistant's reply as it
streams, then waits for the next prompt and replies with it. `ChatHistoryMD` records both sides.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from miniagents import InteractionContext, Message, MessagePromise, MiniAgent, adialog_loop
from tui.sanitize import visible
from tui.widgets.chat_log import ChatLog
from tui.widgets.prompt import PromptInput

if TYPE_CHECKING:
    from tui.app import ChatApp


class ChatScreen(Screen[None]):
    """The chat: messages, a status line and the prompt."""

    CSS_PATH = "chat.tcss"
    AUTO_FOCUS = "PromptInput"
    BINDINGS = [Binding("escape", "cancel_reply", "Stop reply")]  # noqa: RUF012

    def __init__(self) -> None:
        super().__init__()
        self._prompts: asyncio.Queue[str] = asyncio.Queue()
        self._streaming: MessagePromise | None = None
        self.user_agent = MiniAgent(self._user_turn, alias="user")
        self.assistant_agent = MiniAgent(self._assistant_turn, alias="assistant")

    @property
    def chat_app(self) -> ChatApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:  # noqa: D102
        yield Header()
        yield ChatLog()
        yield Static(id="status")
        yield PromptInput(id="prompt")
        yield Footer()

    def on_mount(self) -> None:  # noqa: D102
        self.set_status(self.chat_app.model_description())
        self.run_conversation()

    def set_status(self, text: str) -> None:
        """Show `text` (literally) in the status line."""
        self.query_one("#status", Static).update(Text(visible(text)))

    @work(exclusive=True, group="dialog")
    async def run_conversation(self) -> None:
        """Show the transcript so far, then run the dialog loop until the app closes."""
        log = self.query_one(ChatLog)
        history = self.chat_app.history
        for problem in history.problems:
            await log.add_notice(problem, error=True)
        for message in await history.aload_chat_history():
            if getattr(message, "role", None) == "user":
                await log.add_user(message.text)
            else:
                pane = await log.add_assistant(str(getattr(message, "agent", None) or "assistant"))
                await pane.show_message(message)
        await adialog_loop(self.user_agent, self.assistant_agent, chat_history=history)

    async def _assistant_turn(self, ctx: InteractionContext) -> None:
        system = self.chat_app.settings.system
        kwargs = {"system": system} if system else {}
        ctx.reply(self.chat_app.current_agent.inquire(ctx.messages, **kwargs))

    async def _user_turn(self, ctx: InteractionContext) -> None:
        log = self.query_one(ChatLog)
        try:
            async for promise in ctx.messages:
                pane = await log.add_assistant(str(promise.metadata_so_far.get("agent") or "assistant"))
                self._streaming = promise
                try:
                    message = await pane.stream(promise)
                finally:
                    self._streaming = None
                self._show_reply_status(message)
        except Exception as error:
            await log.add_notice(f"Error: {error}", error=True)
        ctx.reply(await self._prompts.get())

    def _show_reply_status(self, message: Message) -> None:
        usage = getattr(message, "usage", None)
        output_tokens = getattr(usage, "output_tokens", None) if usage is not None else None
        ttft = getattr(message, "time_to_first_token_s", None)
        parts = [self.chat_app.model_description()]
        if output_tokens is not None:
            parts.append(f"{output_tokens} tokens")
        if ttft is not None:
            parts.append(f"first token {ttft:.2f} s")
        self.set_status(" · ".join(parts))

    @on(PromptInput.Submitted)
    async def send_prompt(self, event: PromptInput.Submitted) -> None:
        """Send the prompt's text as the user's next message."""
        event.prompt.clear()
        await self.query_one(ChatLog).add_user(event.text)
        self._prompts.put_nowait(event.text)

    def action_cancel_reply(self) -> None:
        """Stop the reply that is streaming; what arrived stays, marked as interrupted."""
        if self._streaming is not None:
            self._streaming.cancel()
