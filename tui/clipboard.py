"""Copying text: the terminal's clipboard (OSC 52) plus a system clipboard tool or a file as a fallback."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from textual.actions import SkipAction
from textual.app import App
from textual.screen import Screen

__all__ = ["copy_selection", "copy_text"]

_TOOLS = (("wl-copy",), ("xclip", "-selection", "clipboard"), ("xsel", "--clipboard", "--input"), ("pbcopy",))


async def copy_text(app: App[object], text: str) -> str:
    """Copy `text` and return a short sentence saying where it went.

    OSC 52 reaches the clipboard of most terminals, even over SSH. Terminals that ignore it are
    covered by a clipboard tool when one is installed, else by a private file in the temp folder.
    """
    app.copy_to_clipboard(text)
    for command in _TOOLS:
        if shutil.which(command[0]) is None:
            continue
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError:
            continue
        try:
            await asyncio.wait_for(process.communicate(text.encode()), 2)
        except TimeoutError:  # a tool that hangs (no display to talk to): end it, never leave it behind
            process.kill()
            await process.wait()
            continue
        if process.returncode == 0:
            return f"Copied {len(text)} characters (terminal clipboard and {command[0]})."
    path = await asyncio.to_thread(_write_private, text)
    return f"Copied {len(text)} characters to the terminal clipboard; also saved in {path}."


async def copy_selection(screen: Screen[Any]) -> None:
    """Copy the text selected with the mouse on `screen` and say where it went (skips when none is)."""
    text = screen.get_selected_text()
    if not text:
        raise SkipAction()
    screen.notify(await copy_text(screen.app, text), markup=False)


def _write_private(text: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"miniagents-clipboard-{os.getuid()}.txt"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return path
