"""`ChatScreen`: one conversation with one assistant, run through the framework.

The screen's `user_agent` is the person at the keyboard: it shows the assistant's reply as it
streams, then waits for what the person does next (send, regenerate, edit and resend) and replies
with their message. `ChatHistoryMD`'s logging agent records both sides; the assistant gets the
conversation so far (replies that were replaced are kept in the transcript, marked `superseded`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header

from miniagents import InteractionContext, Message, MessagePromise, MiniAgent
from miniagents.ext.llm.base import RetryNotice
from tui.clipboard import copy_selection, copy_text
from tui.conversation import is_active
from tui.screens.dialogs import InputDialog
from tui.widgets.chat_log import AssistantMessage, ChatLog, StreamStats, UserMessage, code_blocks
from tui.widgets.prompt import PromptInput
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from tui.app import ChatApp


RESUME_WINDOW = 30
"""How many of a reopened conversation's last messages are shown (all of them are sent to the model)."""


@dataclass(frozen=True)
class _Request:
    """What the person asked for: send a prompt, regenerate the last reply, or edit an earlier prompt."""

    kind: str
    text: str = ""
    user_position: int = -1
    """For `edit`: which user message (0 = the first one shown)."""


class ChatScreen(Screen[None]):
    """The chat: messages, a status line and the prompt."""

    CSS_PATH = "chat.tcss"
    AUTO_FOCUS = "PromptInput"
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel_reply", "Stop reply"),
        Binding("ctrl+r", "regenerate", "Regenerate"),
        Binding("ctrl+g", "edit_last", "Edit last prompt"),
        Binding("ctrl+o", "switch_model", "Model"),
        Binding("ctrl+s", "set_system", "System prompt"),
        Binding("ctrl+l", "copy_last", "Copy reply"),
        Binding("ctrl+n", "compare_models", "Compare"),
        Binding("ctrl+t", "app.open_transcripts", "Transcripts"),
        Binding("ctrl+c,super+c", "copy_selection", "Copy selected text", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._requests: asyncio.Queue[_Request] = asyncio.Queue()
        self._streaming: MessagePromise | None = None
        self._retrying: tuple[str, ...] = ()
        self._editing: UserMessage | None = None
        self.user_agent = MiniAgent(self._user_turn, alias="user")
        self.assistant_agent = MiniAgent(self._assistant_turn, alias="assistant")

    @property
    def chat_app(self) -> ChatApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    @property
    def chat_log(self) -> ChatLog:
        """The message list."""
        return self.query_one(ChatLog)

    def compose(self) -> ComposeResult:  # noqa: D102
        yield Header()
        yield ChatLog()
        yield StatusLine(id="status")
        prompt = PromptInput(id="prompt")
        prompt.cursor_blink = not self.app.is_headless  # a steady cursor keeps headless screenshots stable
        yield prompt
        yield Footer()

    def on_mount(self) -> None:  # noqa: D102
        self.set_status()
        self.run_conversation()

    def set_status(self, *parts: str) -> None:
        """Show the model, then `parts` (literally, most important first), then the model's note.

        Nothing is shown once the screen is being taken down.
        """
        model, note = self.chat_app.model_description()
        for status in self.query("#status").results(StatusLine):
            status.show(model, *parts, note)

    # ------------------------------------------------------------ the conversation

    @work(exclusive=True, group="dialog")
    async def run_conversation(self) -> None:
        """Show the transcript so far, then alternate between the person and the assistant."""
        history = self.chat_app.history
        for problem in history.problems:
            await self.chat_log.add_notice(problem, error=True)
        active = [m for m in await history.aload_chat_history() if is_active(m)]
        if len(active) > RESUME_WINDOW:
            earlier = len(active) - RESUME_WINDOW
            await self.chat_log.add_notice(
                f"{earlier} earlier messages are in {history.path} (and sent to the model)."
            )
            active = active[-RESUME_WINDOW:]
        await self.chat_log.add_saved(active)
        record = history.logging_agent
        assistant_reply: Any = None
        while True:
            await record.inquire(self.user_agent.inquire(assistant_reply), role="user")
            conversation = [m for m in await history.aload_chat_history() if is_active(m)]
            assistant_reply = record.inquire(self.assistant_agent.inquire(conversation), role="assistant")

    async def _assistant_turn(self, ctx: InteractionContext) -> None:
        self._retrying = ()
        app = self.chat_app
        kwargs: dict[str, Any] = {"on_retry": self._show_retry}
        if app.system_prompt:
            kwargs["system"] = app.system_prompt
        ctx.reply(app.current_agent.inquire(ctx.messages, **kwargs))

    async def _user_turn(self, ctx: InteractionContext) -> None:
        try:
            async for promise in ctx.messages:
                pane = await self.chat_log.add_assistant(
                    str(promise.metadata_so_far.get("agent") or "assistant")
                )
                self._streaming = promise
                self.set_status("streaming…", *self._retrying)
                try:
                    message, stats = await pane.stream(promise, self._show_progress)
                finally:
                    self._streaming = None
                self._show_reply_status(message, stats)
        except Exception as error:  # shown to the person; the conversation goes on
            await self.chat_log.add_notice(f"Error: {error}", error=True)
            self.set_status()
        request = await self._requests.get()
        if request.kind == "regenerate":
            await self._supersede(from_role="assistant", position=-1)
        elif request.kind == "edit":
            await self._supersede(from_role="user", position=request.user_position)
        if request.kind in ("send", "edit"):
            ctx.reply(Message(text=request.text, role="user"))

    async def _supersede(self, from_role: str, position: int) -> None:
        """Mark the active message of `from_role` at `position` (and all after it) as replaced."""
        history = self.chat_app.history
        messages = await history.aload_chat_history()
        active = [i for i, m in enumerate(messages) if is_active(m)]
        of_role = [i for i in active if getattr(messages[i], "role", None) == from_role]
        if not of_role:
            return
        start = of_role[position]
        for index in [i for i in active if i >= start]:
            await history.aupdate_message(index, superseded=True)

    def _show_retry(self, notice: RetryNotice) -> None:
        self._retrying = (
            f"retrying in {notice.delay:.1f} s (attempt {notice.attempt + 1} of {notice.max_attempts})",
            notice.reason,
        )
        self.set_status(*self._retrying)

    def _show_progress(self, so_far: StreamStats) -> None:
        self.set_status("streaming…", *so_far.status_parts())

    def _show_reply_status(self, message: Message, stats: StreamStats) -> None:
        usage = getattr(message, "usage", None)
        self.set_status(*stats.status_parts(getattr(usage, "output_tokens", None)))

    # ------------------------------------------------------------ actions

    async def action_copy_selection(self) -> None:
        """Copy the text selected with the mouse (Ctrl+C), with the clipboard fallbacks."""
        await copy_selection(self)

    def action_scroll_conversation(self, pages: int) -> None:
        """Scroll the conversation by a page (PageUp/PageDown in the prompt)."""
        self.chat_log.scroll_pages(pages)

    @on(PromptInput.Submitted)
    async def send_prompt(self, event: PromptInput.Submitted) -> None:
        """Send the prompt's text (or, when editing an earlier prompt, resend it edited)."""
        event.prompt.clear()
        editing, self._editing = self._editing, None
        if editing is not None and editing.is_mounted:
            users = list(self.chat_log.query(UserMessage))
            position = users.index(editing)
            await self._remove_from(editing)
            await self.chat_log.add_user(event.text)
            self._cancel_streaming()
            self._requests.put_nowait(_Request("edit", event.text, position))
            return
        await self.chat_log.add_user(event.text)
        self._requests.put_nowait(_Request("send", event.text))

    async def _remove_from(self, widget: UserMessage | AssistantMessage) -> None:
        children = list(self.chat_log.children)
        await self.chat_log.remove_children(children[children.index(widget) :])

    def _cancel_streaming(self) -> None:
        if self._streaming is not None:
            self._streaming.cancel()

    def action_cancel_reply(self) -> None:
        """Stop the reply that is streaming; what arrived stays, marked as interrupted."""
        if self._editing is not None:
            self._editing = None
            self.query_one(PromptInput).clear()
            self.notify("Edit cancelled.")
            return
        self._cancel_streaming()

    async def action_regenerate(self) -> None:
        """Ask the assistant again for the last reply (the old one stays in the transcript)."""
        replies = list(self.chat_log.query(AssistantMessage))
        if not replies:
            self.notify("There is no reply to regenerate yet.")
            return
        self._cancel_streaming()
        await self._remove_from(replies[-1])
        self._requests.put_nowait(_Request("regenerate"))

    def action_edit_last(self) -> None:
        """Edit the last prompt and resend it."""
        users = list(self.chat_log.query(UserMessage))
        if users:
            self._start_editing(users[-1])
        else:
            self.notify("There is no prompt to edit yet.")

    def action_edit_focused(self) -> None:
        """Edit the focused prompt and resend it (later messages are replaced)."""
        if isinstance(self.focused, UserMessage):
            self._start_editing(self.focused)

    def _start_editing(self, widget: UserMessage) -> None:
        self._editing = widget
        prompt = self.query_one(PromptInput)
        prompt.text = widget.text
        prompt.focus()
        self.notify("Editing an earlier prompt: Enter resends it, Esc cancels.")

    async def action_copy_focused(self) -> None:
        """Copy the focused message's text."""
        if isinstance(self.focused, UserMessage | AssistantMessage):
            self.notify(await copy_text(self.app, self.focused.text), markup=False)

    async def action_copy_code(self) -> None:
        """Copy a code block of the focused reply (press again for the next one)."""
        focused = self.focused
        if not isinstance(focused, AssistantMessage):
            return
        blocks = code_blocks(focused.text)
        if not blocks:
            self.notify("This reply has no code block.")
            return
        block = blocks[focused.code_index % len(blocks)]
        focused.code_index += 1
        self.notify(await copy_text(self.app, block), markup=False)

    async def action_copy_last(self) -> None:
        """Copy the last reply."""
        replies = list(self.chat_log.query(AssistantMessage))
        if replies:
            self.notify(await copy_text(self.app, replies[-1].text), markup=False)

    @work(group="dialogs")
    async def action_compare_models(self) -> None:
        """Go on in the panel view: ask which models, then one pane per model, this conversation kept."""
        if self._streaming is not None:
            self.notify("Wait until the reply has finished (or stop it with Esc), then compare.")
            return
        app = self.chat_app
        answer = await app.push_screen_wait(
            InputDialog(
                "Models to compare, 2 to 6, separated by spaces (demo, local, openai:<model>,"
                " anthropic:<model>):",
                value=f"{app.model_spec} demo",
            )
        )
        if answer is None:
            return
        try:
            app.compare_models(answer.replace(",", " ").split())
        except ValueError as error:
            self.notify(str(error), title="Cannot compare", severity="error", markup=False)

    @work(group="dialogs")
    async def action_switch_model(self) -> None:
        """Choose the model for the next replies."""
        app = self.chat_app
        answer = await app.push_screen_wait(
            InputDialog(
                "Model for the next replies (demo, openai:<model>, anthropic:<model>):",
                app.model_spec,
                app.model_choices(),
            )
        )
        if answer:
            try:
                app.switch_model(answer.strip())
            except ValueError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.set_status()

    @work(group="dialogs")
    async def action_set_system(self) -> None:
        """Set the system prompt for the next replies (empty to remove it)."""
        app = self.chat_app
        answer = await app.push_screen_wait(
            InputDialog("System prompt (empty for none):", app.system_prompt or "")
        )
        if answer is not None:
            await app.set_system_prompt(answer.strip() or None)
            self.notify("System prompt set." if answer.strip() else "System prompt removed.")
