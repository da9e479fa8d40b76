"""`ChatApp`: the Textual app. It owns the `MiniAgents` context and the session, and picks the screen."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import signal
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import App, AutopilotCallbackType, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.message import Message
from textual.pilot import Pilot
from textual.screen import Screen

from miniagents import MiniAgents, TranscriptWriteError
from miniagents.agents import current_agent_path
from miniagents.tools import Tool
from miniagents.transcript_folder import new_transcript_path
from tui.config import Settings, default_model, key_sources, provider_sdks
from tui.messages import CompareRequested, LeavePanelRequested, ToolsChanged
from tui.screens.chat import ChatScreen
from tui.screens.dialogs import ApprovalDialog, aask_about_call
from tui.screens.panel import PanelScreen
from tui.screens.transcripts import TranscriptsScreen
from tui.session import ChatSession, PaneSpec
from tui.toolbox import Toolbox, Verdict
from tui.typed_ahead import TypedAhead
from tui.widgets.frame_pacer import FramePacer
from tui.widgets.prompt import PromptInput

__all__ = ["ChatApp"]


class ChatApp(App[int]):
    """The terminal chat. Everything it runs lives in one `MiniAgents` context, entered around its run."""

    TITLE = "miniagents-tui"
    BINDINGS = [  # noqa: RUF012
        Binding(
            "ctrl+t",
            "open_transcripts",
            "Transcripts",
            tooltip="Browse, search, reopen, rename, delete saved chats",
        ),
        Binding(
            "ctrl+f", "new_chat", "New chat", tooltip="Start a fresh conversation (this one stays saved)"
        ),
    ]

    def __init__(
        self,
        settings: Settings,
        transcript: Path,
        typed_ahead: Callable[[], TypedAhead] | None = None,
    ) -> None:
        """The chat for `transcript` (new or saved) with `settings`.

        `typed_ahead` gives what was typed before the app was up (`tui.instant_prompt`), for the prompt.

        Raises:
            ConfigError: the first model of `settings` names no known provider.
        """
        super().__init__()
        self.settings = settings
        self.agents = MiniAgents()
        """The context every agent of the app runs in."""
        self._what = ""
        self._typed_ahead = typed_ahead
        self._typed: TypedAhead | None = None
        self.pacer = FramePacer()
        """The ticks at which streaming replies redraw, shared by every reply on screen."""
        self.keys_description = " · ".join(source.describe() for source in key_sources(Path(".env")))
        self.toolbox = Toolbox(settings)
        """The tools the models may call (kept across chats: so is what the user allowed)."""
        self.toolbox.ask_user = self._ask_about_call
        self.session = self._new_session(
            transcript, settings.models[0] if settings.models else default_model()
        )
        """The conversation on screen."""

    async def on_event(self, event: events.Event) -> None:
        """Every event passes here first: a key press holds streaming replies until the key is drawn."""
        if isinstance(event, events.Key):
            self.pacer.note_key()
            self.call_after_refresh(self.pacer.note_key_drawn)
        await super().on_event(event)

    def note_key_read(self) -> None:
        """The terminal driver has read a key that is on its way here: streaming replies hold now."""
        self.pacer.note_key_read()

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal; on Linux and macOS one that keeps pasted text as text."""
        driver = super().get_driver_class()
        if driver.__qualname__ != "LinuxDriver":
            return driver  # Windows, or a driver named in TEXTUAL_DRIVER
        from tui.terminal_input import PasteSafeDriver  # needs termios: imported only where it exists

        return PasteSafeDriver

    def _new_session(self, transcript: Path, model_spec: str) -> ChatSession:
        return ChatSession(
            self.settings,
            transcript,
            model_spec,
            self.toolbox,
            on_save_error=self._report_save_error,
            on_saved=self._show_where_saved,
        )

    # ------------------------------------------------------------ the MiniAgents context around the run

    async def run_async(
        self,
        *,
        headless: bool = False,
        inline: bool = False,
        inline_no_clear: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
        auto_pilot: AutopilotCallbackType | None = None,
    ) -> int | None:
        """Run the app inside its `MiniAgents` context; on the way out, stop every agent and save."""
        async with self._agents_running():
            return await super().run_async(
                headless=headless,
                inline=inline,
                inline_no_clear=inline_no_clear,
                mouse=mouse,
                size=size,
                auto_pilot=auto_pilot,
            )

    @asynccontextmanager
    async def run_test(
        self,
        *,
        headless: bool = True,
        size: tuple[int, int] | None = (80, 24),
        tooltips: bool = False,
        notifications: bool = False,
        message_hook: Callable[[Message], None] | None = None,
    ) -> AsyncGenerator[Pilot[int]]:
        """Run the app for a test (Textual's `run_test`), inside its `MiniAgents` context."""
        async with (
            self._agents_running(),
            super().run_test(
                headless=headless,
                size=size,
                tooltips=tooltips,
                notifications=notifications,
                message_hook=message_hook,
            ) as pilot,
        ):
            yield pilot

    @asynccontextmanager
    async def _agents_running(self) -> AsyncGenerator[None]:
        try:
            async with self.agents:
                try:
                    yield
                finally:
                    # The screens are gone: stop what they started. Exiting the context waits while
                    # the agents clean up (a reply being streamed is saved as interrupted).
                    self.agents.cancel_all()
                    await self.toolbox.aclose()
        finally:
            await self.session.history.aflush()

    # ------------------------------------------------------------ screens

    def on_load(self) -> None:
        """Textual is about to take the terminal: the instant prompt stops reading keys now."""
        if self._typed_ahead is not None:
            self._typed = self._typed_ahead()

    async def on_mount(self) -> None:  # noqa: D102
        if not self.is_headless:
            loop = asyncio.get_running_loop()
            for signal_number in (signal.SIGTERM, signal.SIGHUP):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(signal_number, self.exit)
        await self.session.aopen()
        await self.session.arecord_system_prompt()
        await self.push_screen(self._main_screen(command_line=True))
        if self._typed is not None:
            self.screen.query_one(PromptInput).take_typed_ahead(self._typed)
        self.call_after_refresh(self._warm_up)
        self.toolbox.start(self._tools_changed)

    def _warm_up(self) -> None:
        """After the first frame, import what replies need in a worker thread.

        The provider SDKs take about a second to import and `rich.markdown` (with Pygments) a tenth:
        imported here, the first reply rarely waits for them on the event loop.
        """
        self.run_worker(self._awarm_up(), exit_on_error=False)

    async def _awarm_up(self) -> None:
        specs = [self.session.model_spec, *self.settings.models]
        for name in ("rich.markdown", *sorted(provider_sdks(specs))):
            with contextlib.suppress(ImportError):  # a missing SDK is reported when a model needs it
                await asyncio.to_thread(importlib.import_module, name)

    # ------------------------------------------------------------ tools

    def _tools_changed(self, problem: str | None) -> None:
        """Tell the chat or panel (under any dialog) that the tools on offer changed."""
        for screen in self.screen_stack:
            if isinstance(screen, ChatScreen | PanelScreen):
                screen.post_message(ToolsChanged(problem))

    async def _ask_about_call(self, tool: Tool, arguments: dict[str, Any]) -> Verdict:
        """Ask the user whether a tool call may run (a dialog over whatever is on screen)."""
        path = current_agent_path()  # the agent whose tool loop asks (in the panel: which pane's model)
        caller = path[-1] if path and path[-1] != "assistant" else "The model"
        return await aask_about_call(
            self, ApprovalDialog(tool, arguments, self.toolbox.source_of(tool.name), caller)
        )

    def _main_screen(self, command_line: bool) -> Screen[None]:
        """The chat, or the panel view when the session has panes."""
        panes = self.session.panel(command_line)
        if len(panes) < 2:
            self._what = self.session.model_spec
            self._show_where_saved()
            return ChatScreen(self.session, self.pacer, self.keys_description)
        return self._panel_screen(panes)

    def _panel_screen(self, panes: list[PaneSpec]) -> PanelScreen:
        self._what = f"{len(panes)} assistants side by side"
        self._show_where_saved()
        return PanelScreen(self.session, panes, self.pacer)

    def _show_where_saved(self) -> None:
        """The header: what answers, and the transcript, marked while it cannot be saved."""
        unsaved = "⚠ NOT SAVED · " if self.session.history.last_save_error is not None else ""
        self.sub_title = f"{unsaved}{self._what} · {self.session.transcript}"  # the mark first: paths get cut

    @on(CompareRequested)
    def compare(self, event: CompareRequested) -> None:
        """Go on with this conversation in the panel view (the chat screen asked for it)."""
        self.switch_screen(self._panel_screen(event.panes))

    @on(LeavePanelRequested)
    def leave_panel(self) -> None:
        """Go on with this conversation in the chat, with the one pane the session now uses."""
        self.switch_screen(self._main_screen(command_line=False))
        self.notify(f"Going on with {self.session.model_spec} alone.", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer the saved conversations and a new chat from the chat and the panel view only."""
        if action in ("open_transcripts", "new_chat"):
            return isinstance(self.screen, ChatScreen | PanelScreen)
        return True

    async def action_new_chat(self) -> None:
        """Start a new conversation in a new transcript, with the model in use (the chat view)."""
        previous = self.session
        self.session = self._new_session(
            new_transcript_path(self.settings.transcripts_dir), previous.model_spec
        )
        await self.switch_screen(self._main_screen(command_line=False))
        await previous.history.aflush()
        self.notify(f"New chat. The last one is saved in {previous.transcript}.", markup=False)

    def action_open_transcripts(self) -> None:
        """Open the list of saved conversations."""
        browser = TranscriptsScreen(self.settings.transcripts_dir, self.session.transcript)
        self.push_screen(browser, callback=self._open_chosen)

    async def _open_chosen(self, path: Path | None) -> None:
        if path is not None and path != self.session.transcript:
            await self.open_transcript(path)

    async def open_transcript(self, path: Path) -> None:
        """Switch to another saved conversation, shown as it was held (chat or panes).

        The current one is saved first, partial reply included; the model stays the one in use.
        """
        previous = self.session
        self.session = self._new_session(path, previous.model_spec)
        await self.session.aopen()
        await self.switch_screen(self._main_screen(command_line=False))
        await previous.history.aflush()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette: Textual's own commands, then every key with a tooltip (screen, then app)."""
        yield from super().get_system_commands(screen)
        for owner, prefix in ((type(screen), ""), (type(self), "app.")):
            for binding in owner.BINDINGS:
                if isinstance(binding, Binding) and binding.tooltip:
                    run = functools.partial(screen.run_action, prefix + binding.action)
                    yield SystemCommand(
                        binding.description, f"{binding.tooltip} ({_key_name(binding.key)})", run
                    )
        for tool in self.toolbox.tools():
            about = f"{tool.name}({', '.join(tool.parameters.get('properties', {}))}): {tool.description}"
            yield SystemCommand(
                f"Tool: {tool.name}",
                tool.description or "a tool the models may call",
                functools.partial(self.notify, about, title="A tool the models may call", markup=False),
            )

    def _report_save_error(self, error: TranscriptWriteError) -> None:
        self.notify(str(error), title="Transcript not saved", severity="error", markup=False)
        self._show_where_saved()

    @property
    def unsaved_error(self) -> TranscriptWriteError | None:
        """Why the transcript could not be saved the last time it was tried, if it could not."""
        return self.session.history.last_save_error


def _key_name(keys: str) -> str:
    """How a binding's first key is written in the palette: `ctrl+r` as `Ctrl+R`, `escape` as `Esc`."""
    key = keys.split(",")[0]
    names = {"escape": "Esc", "pageup": "PageUp", "pagedown": "PageDown"}
    return "+".join(
        names.get(part, part.upper() if len(part) == 1 else part.title()) for part in key.split("+")
    )
