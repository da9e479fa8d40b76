"""The `miniagents-tui` command: read the command line, check it, and run `ChatApp`."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
import tempfile
from pathlib import Path

from dotenv import load_dotenv

from miniagents.ext.mcp import MCPServerError, check_server
from miniagents.files import make_private_folders
from miniagents.transcript_folder import new_transcript_path
from miniagents.transcript_format import TranscriptFormatError, read_transcript_file
from tui import __version__
from tui.agent_loader import AgentLoadError, load_agent, load_tools
from tui.config import (
    DEFAULT_DEMO_SPEED,
    DEFAULT_TOOL_TIMEOUT,
    KNOWN_MODELS,
    MAX_PANES,
    ConfigError,
    Settings,
    build_agent,
)
from tui.instant_prompt import InstantPrompt

__all__ = ["main", "run"]

_ENVIRONMENT = """environment:
  OPENAI_API_KEY        key for openai:<model> (also read from a .env file)
  OPENAI_BASE_URL       an OpenAI-compatible server (Ollama, llama.cpp, vLLM); no key needed
  ANTHROPIC_API_KEY     key for anthropic:<model>
  MINIAGENTS_MODEL      the model when --model is not given
  MINIAGENTS_TRANSCRIPTS_DIR  where conversations are saved when --transcripts-dir is not given
  XDG_STATE_HOME        MCP servers' stderr goes to $XDG_STATE_HOME/miniagents-tui/mcp-servers.log
                        (default ~/.local/state/...)

exit codes: 0 on quit; 2 for bad arguments or an unreadable --resume file."""


def _positive(kind: type[float] | type[int], allow_zero: bool, what: str):
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(f"{text!r}: {what}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="miniagents-tui",
        description="A terminal chat with LLMs, built on MiniAgents (offline demo model when no key is set).",
        epilog=_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        help=f"{', '.join(KNOWN_MODELS[:2])}, openai:<model> or anthropic:<model>;"
        " repeat it to compare models side by side",
    )
    parser.add_argument(
        "--agent",
        action="append",
        default=[],
        metavar="MODULE:NAME",
        help="a @miniagent of yours (package.module:agent_name), in its own pane; repeatable",
    )
    parser.add_argument(
        "--tools",
        action="append",
        default=[],
        metavar="MODULE:NAME",
        help="tools the models may call: a typed function, a @miniagent or a list of them"
        " (package.module:name); repeatable",
    )
    parser.add_argument(
        "--tool-timeout",
        type=_positive(float, False, "give a number of seconds above 0"),
        default=DEFAULT_TOOL_TIMEOUT,
        help="seconds a tool call may take before it is stopped (default: %(default)s)",
    )
    parser.add_argument(
        "--mcp",
        action="append",
        default=[],
        metavar="SERVER",
        help="an MCP server whose tools the models may call: a command line to start (quoted, e.g."
        ' "uvx mcp-server-time") or an http(s) URL; each call asks first; repeatable',
    )
    parser.add_argument(
        "--confirm-tools",
        action="store_true",
        help="ask before each call of a --tools tool too (they run without asking by default)",
    )
    parser.add_argument(
        "--allow-all-tools",
        action="store_true",
        help="never ask before a tool call, not even an MCP server's",
    )
    parser.add_argument("--system", help="a system prompt for the assistant (saved in the transcript)")
    parser.add_argument(
        "--transcripts-dir", type=Path, help="where conversations are saved (default: ./transcripts)"
    )
    parser.add_argument(
        "--resume", type=Path, metavar="FILE", help="reopen a saved conversation and continue it"
    )
    settings = Settings()
    parser.add_argument(
        "--max-retries",
        type=_positive(int, True, "give 0 or more"),
        default=settings.max_retries,
        help="retries of transient provider errors (default: %(default)s)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_positive(float, False, "give a number of seconds above 0"),
        default=settings.idle_timeout,
        help="seconds without data before a stream is ended (default: %(default)s)",
    )
    parser.add_argument(
        "--demo-speed",
        type=_positive(float, True, "give 0 (as fast as possible) or more"),
        default=DEFAULT_DEMO_SPEED,
        help="tokens per second of the demo model; 0 streams as fast as possible (default: %(default)s)",
    )
    parser.add_argument("--version", action="version", version=f"miniagents-tui {__version__}")
    return parser


def run(argv: list[str] | None = None, instant: InstantPrompt | None = None) -> int:
    """Parse the command line, run the app, and return the exit code.

    What was typed into the `instant` prompt meanwhile goes to the app's prompt.
    """
    from tui.app import ChatApp  # Textual loads with the app, after the arguments are known to be good

    args = _parser().parse_args(argv)
    load_dotenv(Path(".env"))
    transcripts_dir = args.transcripts_dir or Path(
        os.environ.get("MINIAGENTS_TRANSCRIPTS_DIR") or "transcripts"
    )
    settings = Settings(
        models=args.model,
        agents=args.agent,
        tools=args.tools,
        tool_timeout=args.tool_timeout,
        mcp=args.mcp,
        confirm_tools=args.confirm_tools,
        allow_all_tools=args.allow_all_tools,
        system=args.system,
        transcripts_dir=transcripts_dir,
        max_retries=args.max_retries,
        idle_timeout=args.idle_timeout,
        tokens_per_second=args.demo_speed,
    )
    if (settings.agents or settings.tools) and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # `--agent` and `--tools` modules are found in the current folder
    try:
        for spec in settings.tools:
            load_tools(spec)
        for spec in settings.models:
            build_agent(spec, settings)
        for spec in settings.agents:
            load_agent(spec)
        for server in settings.mcp:
            check_server(server)
    except (ConfigError, AgentLoadError, MCPServerError) as error:
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
    try:
        _check_writable(transcript.parent)
    except OSError as error:
        print(
            f"miniagents-tui: cannot save conversations in {transcript.parent}: {error.strerror or error}"
            " (give a folder you can write with --transcripts-dir)",
            file=sys.stderr,
        )
        return 2
    app = ChatApp(settings, transcript, typed_ahead=instant.hand_over if instant is not None else None)
    code = app.run() or 0
    if app.unsaved_error is not None:
        print(f"miniagents-tui: the conversation was not saved: {app.unsaved_error}", file=sys.stderr)
        return code or 1
    return code


def _check_writable(folder: Path) -> None:
    """Make `folder` (private) if needed and check that a file can be written in it.

    Raises:
        OSError: it cannot be made or written to.
    """
    make_private_folders(folder)
    with tempfile.TemporaryFile(dir=folder):
        pass


def tune_garbage_collector() -> None:
    """Keep the garbage collector from pausing the app while replies stream (process-wide: `main()` only).

    The objects that exist once the app is loaded (modules, classes) are frozen out of collection.
    Young objects are collected as often as Python's default (cheap: the young generations stay
    small, pauses under 3 ms), full collections 100 times less often (each walks every object:
    30-150 ms). Measured in tests/benchmarks/tui_bench.py, four panes: the largest pause fell from
    25 ms (a middle-generation collection with thresholds 10,000/20/100) to 2 ms, with no full
    collection during the 40,000-token run.
    """
    gc.freeze()
    gc.set_threshold(700, 10, 1000)


def main(instant: InstantPrompt | None = None) -> None:
    """Run the command (`tui.launch.main` starts the `instant` prompt first) and end the process."""
    import tui.app  # noqa: F401  (loaded before the collector freezes what exists)

    tune_garbage_collector()
    try:
        code = run(instant=instant)
    finally:
        if instant is not None:
            instant.close()  # the terminal is back: anything held for stderr is written now
    _exit_now(code)


def _exit_now(code: int) -> None:
    """End the process with `code` at once: everything is saved and the terminal restored by now.

    Two waits are skipped. A terminal that goes away while the app quits can leave Textual's input
    thread reading it forever (a hung-up terminal reads as empty, again and again): waiting for
    that thread would leave a process with no terminal, using CPU. And the interpreter's teardown
    frees every object of every module one by one, 0.2-0.5 s with a provider SDK loaded, for a
    process that is ending anyway.
    """
    logging.shutdown()
    with contextlib.suppress(OSError, ValueError):  # the terminal may be gone
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
