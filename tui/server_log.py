"""Where the stderr of MCP servers goes: a private log file, never the screen."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from miniagents.files import make_private_folders

__all__ = ["open_server_log", "server_log_path"]


def server_log_path() -> Path:
    """`$XDG_STATE_HOME/miniagents-tui/mcp-servers.log` (by default under `~/.local/state`)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "miniagents-tui" / "mcp-servers.log"


@contextlib.contextmanager
def open_server_log() -> Iterator[tuple[TextIO, Path]]:
    """The log opened to append (folder 0700, file 0600), and its path; the null device if it cannot be."""
    path = server_log_path()
    try:
        make_private_folders(path.parent)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError:
        path = Path(os.devnull)
        descriptor = os.open(path, os.O_WRONLY)
    with os.fdopen(descriptor, "a", encoding="utf-8", errors="replace") as log:
        log.write(f"--- miniagents-tui started its MCP servers at {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        log.flush()
        yield log, path
