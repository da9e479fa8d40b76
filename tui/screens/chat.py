"""`ChatScreen`: one conversation with one assistant, run by `adialog_loop`.

The person at the keyboard is the loop's user agent: it shows the assistant's reply as it streams
(in the screen's `ConversationView`), then waits for what the person does next (a `Turn`: send,
regenerate, or edit and resend) and replies with it. `adialog_loop` records both sides in the
session's transcript and sends the assistant the messages that still count (`active_messages`:
replaced ones stay in the transcript, marked `superseded`).
"""

from __future__ import annotations

import asyncio
import contextlib

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header

from miniagents import InteractionContext, Message, MiniAgent, adialog_loop
from tui.clipboard import copy_selection, copy_text
from tui.conversation import Regenerate, Resend, Send, Turn, active_messages
from tui.instant_prompt import CHAT_PLACEHOLDER
from tui.messages import CompareRequested, ToolsChanged
from tui.screens.dialogs import InputDialog, aask_system_prompt
from tui.session import ChatSession
from tui.widgets.chat_log import ChatLog
from tui.widgets.conversation_view import ConversationView
from tui.widgets.frame_pacer import FramePacer
from tui.widgets.markdown_pieces import code_blocks
from tui.widgets.message_views import AssistantMessage, UserMessage
from tui.widgets.prompt import PromptInput

__all__ = ["ChatScreen"]

RESUME_WINDOW = 30
"""How many of a reopened conversation's last messages are shown (all of them are sent to the model)."""


class ChatScreen(Screen[None]):
    """The chat: messages, a status line and the prompt."""

    CSS_PATH = "chat.tcss"
    AUTO_FOCUS = "PromptInput"
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel_reply", "Stop reply", tooltip="Stop the reply that is streaming"),
        Binding("ctrl+r", "regenerate", "Regenerate", tooltip="Ask again for the last reply"),
        Binding("ctrl+g", "edit_last", "Edit last prompt", tooltip="Edit the last prompt and resend it"),
        Binding("ctrl+o", "switch_model", "Switch model", tooltip="Choose the model for the next replies"),
        Binding("ctrl+s", "set_system", "System prompt", tooltip="Set or remove the system prompt"),
        Binding("ctrl+l", "copy_last", "Copy reply", tooltip="Copy the last reply"),
        Binding(
            "ctrl+n",
            "compare_models",
            "Compare models",
            tooltip="Send the next prompts to several models at once, each in its own pane",
        ),
        Binding("ctrl+c,super+c", "copy_selection", "Copy selected text", show=False),
    ]

    def __init__(self, session: ChatSession, pacer: FramePacer, keys_description: str) -> None:
        super().__init__()
        self.session = session
        self._pacer = pacer
        self._keys_description = keys_description
        self._turns: asyncio.Queue[Turn] = asyncio.Queue()
        self._editing: UserMessage | None = None
        self.user_agent = MiniAgent(self._user_turn, alias="user")
        """The person at the keyboard, as the dialog loop's user agent."""

    @property
    def conversation(self) -> ConversationView:
        """The conversation on screen."""
        return self.query_one(ConversationView)

    @property
    def chat_log(self) -> ChatLog:
        """The message list."""
        return self.conversation.chat_log

    @property
    def streaming(self) -> bool:
        """Whether a reply is streaming now."""
        return self.conversation.streaming

    def compose(self) -> ComposeResult:  # noqa: D102
        yield Header()
        yield ConversationView(self._pacer, "assistant")
        prompt = PromptInput(
            id="prompt",
            placeholder=CHAT_PLACEHOLDER,
        )
        prompt.cursor_blink = not self.app.is_headless  # a steady cursor keeps headless screenshots stable
        yield prompt
        yield Footer()

    def on_mount(self) -> None:  # noqa: D102
        self._show_model()
        self.run_conversation()

    def _show_model(self) -> None:
        """Put the model in use (and where its key comes from) around the status line."""
        model, note = self.session.model_description(self._keys_description)
        tools = self.session.tools_description()
        view = self.conversation
        view.status_before, view.status_after = (model, *([tools] if tools else [])), (note,)
        view.set_status()

    @on(ToolsChanged)
    async def tools_changed(self, event: ToolsChanged) -> None:
        """Show the tools on offer now; what went wrong with a server stays in the conversation."""
        self._show_model()
        if event.problem:
            await self.chat_log.add_notice(event.problem, error=True)

    # ------------------------------------------------------------ the conversation

    @work(exclusive=True, group="dialog")
    async def run_conversation(self) -> None:
        """Show the transcript so far, then let `adialog_loop` alternate the person and the assistant."""
        history = self.session.history
        for problem in history.problems:
            await self.chat_log.add_notice(problem, error=True)
        shown = active_messages(await history.aload_chat_history())
        if len(shown) > RESUME_WINDOW:
            earlier = len(shown) - RESUME_WINDOW
            await self.chat_log.add_notice(
                f"{earlier} earlier messages are in {history.path} (and sent to the model)."
            )
            shown = shown[-RESUME_WINDOW:]
        await self.chat_log.add_saved(shown)
        held_with = self.session.earlier_model(shown)
        if held_with is not None:
            now = self.session.model_spec
            await self.chat_log.add_notice(
                f"This chat was held with {held_with}; it goes on with {now} (Ctrl+O to switch)."
            )
        self._report_missing_tools(shown)
        assistant = self.session.assistant.fork(on_retry=self.conversation.show_retry)
        await adialog_loop(self.user_agent, assistant, history, select_history=active_messages)

    @work(group="tools-check")
    async def _report_missing_tools(self, messages: list[Message]) -> None:
        """Say which tools this chat called that are not on offer now (once the MCP servers settle)."""
        missing = await self.session.amissing_tools(messages)
        if missing:
            names = ", ".join(missing)
            await self.chat_log.add_notice(
                f"This chat called {names}, not loaded now: the model sees those calls but cannot make"
                " them again (load tools with --tools or --mcp)."
            )

    async def _user_turn(self, ctx: InteractionContext) -> None:
        """Show the assistant's reply, then reply with what the person does next."""
        await self.conversation.show_reply(ctx.messages)
        with contextlib.suppress(Exception):  # shown above; waiting only until the transcript has it all
            await ctx.messages
        turn = await self._turns.get()
        ctx.reply(await turn.aapply(self.session.history))

    # ------------------------------------------------------------ actions

    async def action_copy_selection(self) -> None:
        """Copy the text selected with the mouse (Ctrl+C), else the focused message."""
        if not self.get_selected_text() and isinstance(self.focused, UserMessage | AssistantMessage):
            await self.action_copy_focused()
            return
        await copy_selection(self)

    def action_scroll_conversation(self, pages: int) -> None:
        """Scroll the conversation by a page (PageUp/PageDown in the prompt)."""
        self.chat_log.scroll_pages(pages)

    def action_follow_conversation(self) -> None:
        """Back to the bottom of the conversation, following new text again (Ctrl+End)."""
        self.chat_log.follow()

    @on(PromptInput.Submitted)
    async def send_prompt(self, event: PromptInput.Submitted) -> None:
        """Send the prompt's text (or, when editing an earlier prompt, resend it edited)."""
        event.prompt.remove_sent(event.text)
        editing, self._editing = self._editing, None
        if editing is not None and editing.is_mounted:
            prompts = list(self.chat_log.query(UserMessage))
            from_end = prompts.index(editing) - len(prompts)
            await self._remove_from(editing)
            await self.chat_log.add_user(event.text)
            self.conversation.stop()
            self._turns.put_nowait(Resend(from_end, event.text))
        else:
            await self.chat_log.add_user(event.text)
            self._turns.put_nowait(Send(event.text))
        self.chat_log.follow()

    async def _remove_from(self, widget: UserMessage | AssistantMessage) -> None:
        children = list(self.chat_log.children)
        await self.chat_log.remove_children(children[children.index(widget) :])

    def action_cancel_reply(self) -> None:
        """Stop the reply that is streaming; what arrived stays, marked as interrupted."""
        prompt = self.query_one(PromptInput)
        if self._editing is not None:
            self._editing = None
            prompt.clear()
            self.notify("Edit cancelled.")
            return
        if not self.conversation.stop():
            prompt.focus()  # nothing to stop: back to the prompt (from a focused message, say)

    async def action_regenerate(self) -> None:
        """Ask the assistant again for the last reply (the old one stays in the transcript).

        After a turn that failed before any reply, the unanswered prompt is sent again.
        """
        prompts = list(self.chat_log.query(UserMessage))
        if not prompts:
            self.notify("There is no reply to regenerate yet.")
            return
        self.conversation.stop()
        children = list(self.chat_log.children)
        await self.chat_log.remove_children(children[children.index(prompts[-1]) + 1 :])
        self._turns.put_nowait(Regenerate())
        self.chat_log.follow()

    def action_edit_last(self) -> None:
        """Edit the last prompt and resend it."""
        prompts = list(self.chat_log.query(UserMessage))
        if prompts:
            self._start_editing(prompts[-1])
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
        prompt.move_cursor(prompt.document.end)
        prompt.focus()
        self.notify("Editing an earlier prompt: Enter resends it, Esc cancels.")

    async def action_copy_focused(self) -> None:
        """Copy the focused message's text (Enter on a reply, Ctrl+C on any message)."""
        if isinstance(self.focused, UserMessage | AssistantMessage):
            self.notify(await copy_text(self.app, self.focused.text), markup=False)

    async def action_copy_code(self) -> None:
        """Copy a code block of the focused reply (Ctrl+B; press again for the next one)."""
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
        if self.streaming:
            self.notify("Wait until the reply has finished (or stop it with Esc), then compare.")
            return
        answer = await self.app.push_screen_wait(
            InputDialog(
                "Models to compare, 2 to 6, separated by spaces (demo, local, openai:<model>,"
                " anthropic:<model>):",
                value=f"{self.session.model_spec} demo",
                check=lambda text: self.session.compare(_model_list(text)),
            )
        )
        if answer is not None:
            self.post_message(CompareRequested(self.session.compare(_model_list(answer))))

    @work(group="dialogs")
    async def action_switch_model(self) -> None:
        """Choose the model for the next replies."""
        session = self.session
        answer = await self.app.push_screen_wait(
            InputDialog(
                "Model for the next replies (demo, openai:<model>, anthropic:<model>):",
                session.model_spec,
                session.model_choices(),
                check=lambda text: session.switch_model(text.strip()),
            )
        )
        if answer:
            self._show_model()

    @work(group="dialogs")
    async def action_set_system(self) -> None:
        """Set the system prompt for the next replies (empty to remove it)."""
        await aask_system_prompt(self, self.session)


def _model_list(text: str) -> list[str]:
    return text.replace(",", " ").split()
