"""`ChatApp` and the `miniagents-tui` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from dotenv import load_dotenv
from textual.app import App

from miniagents import ChatHistoryMD, MiniAgent, MiniAgents, TranscriptWriteError
from miniagents.transcript_folder import new_transcript_path
from miniagents.transcript_format import TranscriptFormatError, read_transcript_file
from tui import __version__
from tui.config import ConfigError, Settings, build_agent, default_model, key_sources
from tui.screens.chat import ChatScreen

__all__ = ["ChatApp", "main", "run"]

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
        self.agents = MiniAgents()
        self.history = ChatHistoryMD(transcript, on_save_error=self._report_save_error)

    async def on_mount(self) -> None:  # noqa: D102
        await self.agents.__aenter__()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal_number, self.exit)
        self.sub_title = f"{self.model_spec} · {self.transcript}"
        await self.push_screen(ChatScreen())

    async def on_unmount(self) -> None:
        """Let cancelled agents finish their cleanup (bounded), then save what the transcript still lacks."""
        try:
            await asyncio.wait_for(self.agents.__aexit__(None, None, None), SHUTDOWN_GRACE_SECONDS)
        except TimeoutError:
            pass  # leaving the context cancelled whatever was still running
        await self.history.aflush()

    def model_description(self) -> str:
        """The model in use and, for the offline demo, how to get a real one."""
        if self.model_spec == "demo":
            return "demo (offline model) · set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real model"
        keys = " · ".join(source.describe() for source in key_sources(Path(".env")))
        return f"{self.model_spec} · {keys}"

    def _report_save_error(self, error: TranscriptWriteError) -> None:
        self.notify(str(error), title="Transcript not saved", severity="error", markup=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="miniagents-tui",
        description="A terminal chat with LLMs, built on MiniAgents (offline demo model when no key is set).",
        epilog="Exit codes: 0 on quit; 2 for bad arguments or an unreadable --resume file.",
    )
    parser.add_argument(
        "--model", action="append", default=[], help="demo, openai:<model> or anthropic:<model>"
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
        system=args.system,
        transcripts_dir=transcripts_dir,
        resume=args.resume,
        max_retries=args.max_retries,
        idle_timeout=args.idle_timeout,
        tokens_per_second=args.demo_speed,
    )
    if len(settings.models) > 1:
        print(
            "miniagents-tui: several --model need the side-by-side view, which is not built yet;",
            file=sys.stderr,
        )
        print("give one --model for now.", file=sys.stderr)
        return 2
    try:
        for spec in settings.models:
            build_agent(spec, settings)
    except ConfigError as error:
        print(f"miniagents-tui: {error}", file=sys.stderr)
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
