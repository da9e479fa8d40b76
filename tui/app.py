"""`ChatApp` and the `miniagents-tui` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import os
import signal
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from textual.app import App, SystemCommand
from textual.screen import Screen

from miniagents import ChatHistoryMD, MiniAgent, MiniAgents, TranscriptWriteError
from miniagents.transcript_folder import new_transcript_path
from miniagents.transcript_format import TranscriptFormatError, read_transcript_file
from tui import __version__
from tui.agent_loader import AgentLoadError, load_agent
from tui.config import ConfigError, Settings, build_agent, default_model, key_sources
from tui.screens.chat import ChatScreen
from tui.screens.panel import PanelScreen

_PALETTE = {
    "cancel_reply": ("Stop reply", "Stop the reply that is streaming (Esc)"),
    "regenerate": ("Regenerate reply", "Ask again for the last reply (Ctrl+R)"),
    "edit_last": ("Edit last prompt", "Edit the last prompt and resend it (Ctrl+G)"),
    "switch_model": ("Switch model", "Choose the model for the next replies (Ctrl+O)"),
    "set_system": ("Set system prompt", "Set or remove the system prompt (Ctrl+S)"),
    "copy_last": ("Copy last reply", "Copy the last reply (Ctrl+L)"),
    "compare_models": (
        "Compare models side by side",
        "Send the next prompts to several models at once, each in its own pane (Ctrl+N)",
    ),
    "app.open_transcripts": (
        "Open transcripts",
        "Browse, search, reopen, rename, delete saved chats (Ctrl+T)",
    ),
}

__all__ = ["ChatApp", "main", "run"]

MAX_PANES = 6

SHUTDOWN_GRACE_SECONDS = 2.0
"""How long quitting waits for agents to finish cleaning up before it cancels them outright."""


class ChatApp(App[int]):
    """The terminal chat. It hosts one `MiniAgents` context for its whole life."""

    TITLE = "miniagents-tui"

    def __init__(self, settings: Settings, transcript: Path) -> None:
        super().__init__()
        self.settings = settings
        self.transcript = transcript
        self.model_spec = settings.models[0] if settings.models else default_model()
        self.current_agent: MiniAgent = build_agent(self.model_spec, settings)
        self.system_prompt: str | None = settings.system
        self._keys_description = " · ".join(source.describe() for source in key_sources(Path(".env")))
        self.agents = MiniAgents()
        self.history = ChatHistoryMD(transcript, on_save_error=self._report_save_error)

    async def on_mount(self) -> None:  # noqa: D102
        await self.agents.__aenter__()
        if not self.is_headless:
            loop = asyncio.get_running_loop()
            for signal_number in (signal.SIGTERM, signal.SIGHUP):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(signal_number, self.exit)
        self.sub_title = f"{self.model_spec} · {self.transcript}"
        await self.history.aload_chat_history()
        self.system_prompt = self.history.fields.get("system") or self.settings.system
        await self.push_screen(self._main_screen())
        _tune_garbage_collector()

    async def on_unmount(self) -> None:
        """Let cancelled agents finish their cleanup (bounded), then save what the transcript still lacks."""
        try:
            await asyncio.wait_for(self.agents.__aexit__(None, None, None), SHUTDOWN_GRACE_SECONDS)
        except TimeoutError:
            pass  # leaving the context cancelled whatever was still running
        await self.history.aflush()

    def panel_specs(self) -> list[dict[str, str]]:
        """The panes to show: from the command line, else from a reopened panel transcript."""
        specs = [{"kind": "model", "spec": spec} for spec in self.settings.models]
        specs += [{"kind": "agent", "spec": spec} for spec in self.settings.agents]
        if len(specs) < 2:
            saved = self.history.fields.get("panel")
            if isinstance(saved, list) and len(saved) >= 2:
                return [dict(item) for item in saved]
        return specs

    def _main_screen(self) -> Screen[None]:
        specs = self.panel_specs()
        if len(specs) < 2:
            return ChatScreen()
        return self._panel_screen(specs)

    def _panel_screen(self, specs: list[dict[str, str]]) -> PanelScreen:
        """The panel view for `specs`, which the transcript records (to reopen the same panes)."""
        panes = []
        for item in specs:
            agent = (
                load_agent(item["spec"])
                if item["kind"] == "agent"
                else build_agent(item["spec"], self.settings)
            )
            panes.append((item["spec"], agent))
        if self.history.fields.get("panel") != specs:
            self.run_worker(self.history.aset_fields(panel=specs), group="fields")
        self.sub_title = f"{len(panes)} assistants side by side · {self.transcript}"
        return PanelScreen(panes)

    def compare_models(self, model_specs: list[str]) -> None:
        """Go on with this conversation in the panel view, one pane per model of `model_specs`.

        The switch happens on the app's own queue, after the caller (a worker of the chat screen,
        which the switch takes down) has returned.

        Raises:
            ConfigError: not 2 to `MAX_PANES` models, or one that names no known provider.
        """
        if not 2 <= len(model_specs) <= MAX_PANES:
            raise ConfigError(f"Give 2 to {MAX_PANES} models, separated by spaces.")
        screen = self._panel_screen([{"kind": "model", "spec": spec} for spec in model_specs])
        self.call_later(self.switch_screen, screen)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette: every chat action, besides Textual's own commands."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, ChatScreen):
            for binding_key, (title, help_text) in _PALETTE.items():
                yield SystemCommand(title, help_text, functools.partial(screen.run_action, binding_key))

    def model_choices(self) -> list[str]:
        """Models to offer in the model picker."""
        choices = ["demo", "local", "openai:gpt-4o-mini", "openai:gpt-4o", "anthropic:claude-sonnet-4-5"]
        return list(dict.fromkeys([self.model_spec, *self.settings.models, *choices]))

    def switch_model(self, spec: str) -> None:
        """Use `spec` for the next replies.

        Raises:
            ConfigError: `spec` names no known provider.
        """
        self.current_agent = build_agent(spec, self.settings)
        self.model_spec = spec
        self.sub_title = f"{self.model_spec} · {self.transcript}"

    async def set_system_prompt(self, system: str | None) -> None:
        """Use `system` as the system prompt from now on, and keep it in the transcript."""
        self.system_prompt = system
        await self.history.aset_fields(system=system)

    def action_open_transcripts(self) -> None:
        """Open the list of saved conversations."""
        from tui.screens.transcripts import TranscriptsScreen

        self.push_screen(TranscriptsScreen(self.settings.transcripts_dir), callback=self._open_chosen)

    async def _open_chosen(self, path: Path | None) -> None:
        if path is not None and path != self.transcript:
            await self.open_transcript(path)

    async def open_transcript(self, path: Path) -> None:
        """Switch to another saved conversation; the current one is saved, partial reply included."""
        previous = self.history
        self.transcript = path
        self.history = ChatHistoryMD(path, on_save_error=self._report_save_error)
        await self.history.aload_chat_history()
        self.system_prompt = self.history.fields.get("system") or self.settings.system
        self.sub_title = f"{self.model_spec} · {self.transcript}"
        await self.switch_screen(self._main_screen())
        await previous.aflush()

    def model_description(self) -> tuple[str, str]:
        """The model in use, and a note: where its key comes from, or how to get a real model."""
        if self.model_spec == "demo":
            return "demo (offline model)", "set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real model"
        if self.model_spec == "local":
            return "local (SmolLM2-135M on this machine)", "set OPENAI_API_KEY or ANTHROPIC_API_KEY for more"
        return self.model_spec, self._keys_description

    def _report_save_error(self, error: TranscriptWriteError) -> None:
        self.notify(str(error), title="Transcript not saved", severity="error", markup=False)


_gc_tuned = False


def _tune_garbage_collector() -> None:
    """Keep the garbage collector from pausing the app while replies stream.

    The objects that exist once the app is up (modules, styles, the first screen) are frozen out of
    collection. Young objects are collected as often as Python's default (cheap: the young generations
    stay small, pauses under 3 ms), full collections 100 times less often (each walks every object:
    30-150 ms). Measured in tests/benchmarks/tui_bench.py, four panes: the largest pause fell from
    25 ms (a middle-generation collection with thresholds 10,000/20/100) to 2 ms, with no full
    collection during the 40,000-token run.
    """
    global _gc_tuned
    if not _gc_tuned:
        _gc_tuned = True
        gc.freeze()
        gc.set_threshold(700, 10, 1000)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="miniagents-tui",
        description="A terminal chat with LLMs, built on MiniAgents (offline demo model when no key is set).",
        epilog="Exit codes: 0 on quit; 2 for bad arguments or an unreadable --resume file.",
    )
    parser.add_argument(
        "--model", action="append", default=[], help="demo, local, openai:<model> or anthropic:<model>"
    )
    parser.add_argument(
        "--agent",
        action="append",
        default=[],
        metavar="MODULE:NAME",
        help="a @miniagent of yours (package.module:agent_name), in its own pane; repeatable",
    )
    parser.add_argument("--system", help="a system prompt for the assistant")
    parser.add_argument(
        "--transcripts-dir", type=Path, help="where conversations are saved (default ./transcripts)"
    )
    parser.add_argument(
        "--resume", type=Path, metavar="FILE", help="reopen a saved conversation and continue it"
    )
    parser.add_argument("--max-retries", type=int, default=2, help="retries of transient provider errors")
    parser.add_argument(
        "--idle-timeout", type=float, default=120.0, help="seconds before a silent stream ends"
    )
    parser.add_argument("--demo-speed", type=float, default=200.0, help="tokens per second of the demo model")
    parser.add_argument("--version", action="version", version=f"miniagents-tui {__version__}")
    return parser


def run(argv: list[str] | None = None) -> int:
    """Parse the command line, run the app, and return the exit code."""
    args = _parser().parse_args(argv)
    load_dotenv(Path(".env"))
    transcripts_dir = args.transcripts_dir or Path(
        os.environ.get("MINIAGENTS_TRANSCRIPTS_DIR") or "transcripts"
    )
    settings = Settings(
        models=args.model,
        agents=args.agent,
        system=args.system,
        transcripts_dir=transcripts_dir,
        max_retries=args.max_retries,
        idle_timeout=args.idle_timeout,
        tokens_per_second=args.demo_speed,
    )
    try:
        for spec in settings.models:
            build_agent(spec, settings)
        for spec in settings.agents:
            load_agent(spec)
    except (ConfigError, AgentLoadError) as error:
        print(f"miniagents-tui: {error}", file=sys.stderr)
        return 2
    if len(settings.models) + len(settings.agents) > MAX_PANES:
        print(f"miniagents-tui: at most {MAX_PANES} assistants side by side", file=sys.stderr)
        return 2
    if args.resume is not None:
        try:
            if read_transcript_file(args.resume) is None:
                raise FileNotFoundError(f"no such file: {args.resume}")
        except (OSError, TranscriptFormatError) as error:
            print(f"miniagents-tui: cannot resume {args.resume}: {error}", file=sys.stderr)
            return 2
        transcript = args.resume
    else:
        transcript = new_transcript_path(transcripts_dir)
    app = ChatApp(settings, transcript)
    return app.run() or 0


def main() -> None:
    """Entry point of the `miniagents-tui` command."""
    raise SystemExit(run())
