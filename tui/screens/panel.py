"""`PanelScreen`: one prompt goes to several assistants at once; each streams side by side in its own pane.

Every pane keeps its own context: the user's messages, its own replies, and the replies picked as
winners. Picking a winner (`w` on a focused pane) makes that reply part of every pane's context; the
other replies of that turn stay in the transcript as alternatives. The whole panel is one Markdown
transcript: assistant messages carry `branch` (the pane), `winner` or `alternative`.
"""

from __future__ import annotations

import asyncio
import math

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header

from miniagents import InteractionContext, Message, MiniAgent
from tui.clipboard import copy_selection, copy_text
from tui.conversation import last_winner, pane_context, pane_history
from tui.instant_prompt import PANEL_PLACEHOLDER
from tui.messages import LeavePanelRequested, ToolsChanged
from tui.screens.dialogs import aask_system_prompt
from tui.session import ChatSession, PaneSpec
from tui.widgets.agent_pane import AgentPane
from tui.widgets.frame_pacer import FramePacer
from tui.widgets.message_views import AssistantMessage
from tui.widgets.prompt import PromptInput
from tui.widgets.status_line import StatusLine

__all__ = ["PanelScreen"]

PANE_MIN_WIDTH = 40


class PanelScreen(Screen[None]):
    """Panes side by side (a grid when the terminal is narrow), one prompt for all of them."""

    CSS_PATH = "panel.tcss"
    AUTO_FOCUS = "PromptInput"
    BINDINGS = [  # noqa: RUF012
        Binding(
            "escape", "cancel", "Stop (focused pane or all)", tooltip="Stop the focused pane, or every pane"
        ),
        Binding("w", "pick_winner", "Pick winner", tooltip="Continue from the focused pane's last reply"),
        Binding(
            "ctrl+b",
            "leave_panel",
            "Go on alone",
            tooltip="Leave the panel: the focused pane (or the last winner) goes on alone in the chat",
        ),
        Binding("ctrl+s", "set_system", "System prompt", tooltip="Set or remove every pane's system prompt"),
        Binding(
            "ctrl+l",
            "copy_last",
            "Copy reply",
            tooltip="Copy the focused pane's (or the winner's) last reply",
        ),
        Binding("ctrl+r", "explain('regenerate')", "Regenerate", show=False),
        Binding("ctrl+g", "explain('edit')", "Edit last prompt", show=False),
        Binding("ctrl+o", "explain('switch')", "Switch model", show=False),
        Binding("ctrl+c,super+c", "copy_selection", "Copy selected text", show=False),
        Binding("pageup", "scroll_conversation(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_conversation(1)", "Scroll down", show=False),
        Binding("ctrl+end", "follow_conversation", "Follow new text", show=False),
    ]

    def __init__(self, session: ChatSession, panes: list[PaneSpec], pacer: FramePacer) -> None:
        """Show `session` in one pane per spec of `panes`.

        Raises:
            ConfigError: a model spec names no known provider.
            AgentLoadError: an agent cannot be loaded.
        """
        super().__init__()
        self.session = session
        self.pane_specs = panes
        self.pane_agents = session.pane_agents(panes)
        self._pacer = pacer
        self.user_agent = MiniAgent(self._user_message, alias="user")
        self._turn_running = False

    @property
    def busy(self) -> bool:
        """Whether a turn is running (some pane is still answering)."""
        return self._turn_running

    @property
    def panes(self) -> list[AgentPane]:
        """The panes, in order."""
        return list(self.query(AgentPane))

    def compose(self) -> ComposeResult:  # noqa: D102
        yield Header()
        with Container(id="panes"):
            for index, pane in enumerate(self.pane_specs):
                yield AgentPane(index, pane.spec, self._pacer)
        yield StatusLine(id="panel-status")
        prompt = PromptInput(
            id="prompt",
            placeholder=PANEL_PLACEHOLDER,
        )
        prompt.cursor_blink = not self.app.is_headless
        yield prompt
        yield Footer()

    async def on_mount(self) -> None:  # noqa: D102
        self._layout_panes(self.size.width)
        self._show_status()
        messages = await self.session.history.aload_chat_history()
        for pane in self.panes:
            await pane.view.chat_log.add_saved(pane_history(messages, pane.index), pane.pane_name)

    def _show_status(self) -> None:
        tools = self.session.tools_description()
        self.set_status(
            f"{len(self.pane_agents)} assistants",
            *([tools] if tools else []),
            "Enter sends to all",
            "Tab to a pane, then w picks its reply, Esc stops it",
        )

    @on(ToolsChanged)
    def tools_changed(self, event: ToolsChanged) -> None:
        """Show the tools on offer now, and what went wrong with a server (it stays on screen a while)."""
        self._show_status()
        if event.problem:
            self.notify(event.problem, title="MCP server", severity="error", timeout=30, markup=False)

    def on_resize(self, event: events.Resize) -> None:  # noqa: D102
        self._layout_panes(event.size.width)

    def _layout_panes(self, width: int) -> None:
        count = len(self.pane_agents)
        columns = max(1, min(count, width // PANE_MIN_WIDTH))
        grid = self.query_one("#panes", Container)
        grid.styles.grid_size_columns = columns
        grid.styles.grid_size_rows = math.ceil(count / columns)

    def set_status(self, *parts: str) -> None:
        """Show `parts` (literally, most important first) under the panes."""
        for status in self.query("#panel-status").results(StatusLine):
            status.show(*parts)

    async def _user_message(self, ctx: InteractionContext, text: str) -> None:
        ctx.reply(Message(text=text, role="user"))

    @on(PromptInput.Submitted)
    def send(self, event: PromptInput.Submitted) -> None:
        """Send the prompt to every pane."""
        if self._turn_running:
            self.notify("The assistants are still answering: wait, or press Esc to stop them.")
            return
        event.prompt.remove_sent(event.text)
        self._turn_running = True
        self.run_turn(event.text)

    @work(group="panel-turn")
    async def run_turn(self, text: str) -> None:
        """Record the prompt, then ask every pane's assistant in parallel and stream each into its pane."""
        try:
            session = self.session
            history = session.history
            await session.arecord_panel(self.pane_specs)
            record = history.logging_agent
            await record.inquire(self.user_agent.inquire(text=text))
            for pane in self.panes:
                await pane.view.chat_log.add_user(text)
                pane.view.chat_log.follow()
            messages = await history.aload_chat_history()
            replies = []
            for pane, spec, agent in zip(self.panes, self.pane_specs, self.pane_agents, strict=True):
                options = (
                    await session.amodel_options(spec.spec, pane.view.show_retry)
                    if spec.kind == "model"
                    else {}
                )
                reply = agent.inquire(pane_context(messages, pane.index), **options)
                replies.append(record.inquire(reply, role="assistant", branch=pane.index))
            await asyncio.gather(
                *(pane.view.show_reply(reply) for pane, reply in zip(self.panes, replies, strict=True))
            )
        finally:
            self._turn_running = False

    def _focused_pane(self) -> AgentPane | None:
        node: Widget | None = self.focused
        while node is not None and not isinstance(node, AgentPane):
            node = node.parent if isinstance(node.parent, Widget) else None
        return node

    def _panes_in_reach(self) -> list[AgentPane]:
        """The focused pane, or every pane when the focus is outside them (on the prompt)."""
        pane = self._focused_pane()
        return [pane] if pane is not None else self.panes

    async def action_copy_selection(self) -> None:
        """Copy the text selected with the mouse (Ctrl+C), with the clipboard fallbacks."""
        await copy_selection(self)

    def action_scroll_conversation(self, pages: int) -> None:
        """Scroll the focused pane by a page, or every pane when the prompt has focus."""
        for pane in self._panes_in_reach():
            pane.view.chat_log.scroll_pages(pages)

    def action_follow_conversation(self) -> None:
        """Back to the bottom of the focused pane, or of every pane, following new text (Ctrl+End)."""
        for pane in self._panes_in_reach():
            pane.view.chat_log.follow()

    def action_cancel(self) -> None:
        """Stop the focused pane's reply, or every pane's when the prompt has focus.

        On a focused pane that is not streaming, go back to the prompt.
        """
        stopped = [pane.view.stop() for pane in self._panes_in_reach()]
        if not any(stopped) and self._focused_pane() is not None:
            self.query_one(PromptInput).focus()

    def action_explain(self, what: str) -> None:
        """Say why a key of the chat does nothing here, and what to do instead."""
        self.notify(_NOT_IN_THE_PANEL[what], markup=False)

    @work(group="dialogs")
    async def action_set_system(self) -> None:
        """Set the system prompt of every model pane (empty to remove it)."""
        await aask_system_prompt(self, self.session)

    async def action_copy_last(self) -> None:
        """Copy the focused pane's last reply (the last winner's, when the prompt has focus)."""
        pane = self._focused_pane()
        if pane is None:
            winner = last_winner(await self.session.history.aload_chat_history())
            pane = self.panes[winner] if winner is not None else None
        if pane is None:
            self.notify("Tab to a pane first, then press Ctrl+L to copy its last reply.")
            return
        replies = list(pane.view.chat_log.query(AssistantMessage))
        if not replies:
            self.notify("This pane has no reply yet.")
            return
        self.notify(await copy_text(self.app, replies[-1].text), markup=False)

    async def action_leave_panel(self) -> None:
        """Go on in the chat with one pane alone: the focused one (its reply picked), else the last winner."""
        if self._turn_running:
            self.notify("Wait until every pane has finished (or stop them with Esc).")
            return
        pane = self._focused_pane()
        if pane is not None:
            if await self._turn_replies() and not await self._apick(pane):
                return
            index: int | None = pane.index
        else:
            index = last_winner(await self.session.history.aload_chat_history())
        if index is None:
            self.notify("Tab to the pane to go on with, then press Ctrl+B.")
            return
        await self.session.aleave_panel(self.pane_specs[index])
        self.post_message(LeavePanelRequested())

    async def action_pick_winner(self) -> None:
        """Continue the conversation with the focused pane's last reply; the others become alternatives."""
        pane = self._focused_pane()
        if pane is None:
            self.notify("Focus a pane first (Tab), then press w.")
            return
        if self._turn_running:
            self.notify("Wait until every pane has finished (or stop them with Esc).")
            return
        if await self._apick(pane):
            self.set_status(
                f"Pane {pane.index + 1} ({pane.pane_name}) won this turn:"
                " every pane continues from its reply."
            )

    async def _turn_replies(self) -> list[int]:
        """The indexes of the last turn's replies in the transcript."""
        messages = await self.session.history.aload_chat_history()
        last_user = max((i for i, m in enumerate(messages) if getattr(m, "role", None) == "user"), default=-1)
        return [
            i
            for i in range(last_user + 1, len(messages))
            if getattr(messages[i], "role", None) == "assistant"
        ]

    async def _apick(self, pane: AgentPane) -> bool:
        """Mark `pane`'s last reply the winner (the turn's others alternatives); `False` if it has none."""
        history = self.session.history
        messages = await history.aload_chat_history()
        turn = await self._turn_replies()
        if not any(getattr(messages[i], "branch", None) == pane.index for i in turn):
            self.notify("This pane has no reply in the last turn.")
            return False
        for index in turn:
            if getattr(messages[index], "branch", None) == pane.index:
                await history.aupdate_message(index, winner=True, alternative=None)
            else:
                await history.aupdate_message(index, alternative=True, winner=None)
        for other in self.panes:
            other.set_class(other is pane, "winner")
        return True


_NOT_IN_THE_PANEL = {
    "regenerate": "Regenerating is for the chat: Ctrl+B goes on there with the focused pane,"
    " or send the prompt again.",
    "edit": "Editing a prompt is for the chat: Ctrl+B goes on there with the focused pane;"
    " here, type the next prompt.",
    "switch": "The panes' models stay as they are: Ctrl+B goes on with one of them in the chat,"
    " where Ctrl+O switches.",
}
"""What the panel says for the chat's keys it has no use for."""
