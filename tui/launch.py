"""The `miniagents-tui` command: the instant prompt first (`tui.instant_prompt`), then the app."""

from __future__ import annotations

import os
import sys

from tui.instant_prompt import InstantPrompt

__all__ = ["FRAMES_PER_SECOND", "main", "use_frame_cap"]

FRAMES_PER_SECOND = "240"
"""Textual's frame cap (`TEXTUAL_FPS`, read when Textual is imported), unless the user set one.

Textual draws on a grid of 1/FPS, and a change that comes after a late frame waits for the grid
point after the next one: 17-33 ms at Textual's default of 60. That was most of the wait of the
first key typed while a reply streams (`terminal_bench.py`, one stream: p99 17-40 ms at 60 fps,
9-12 ms at 240).
Nothing draws more often for it: frames come only for changes, and `FramePacer` paces the
streaming replies.
"""


def use_frame_cap() -> None:
    """Set `TEXTUAL_FPS` to `FRAMES_PER_SECOND` unless it is set (before Textual is imported)."""
    os.environ.setdefault("TEXTUAL_FPS", FRAMES_PER_SECOND)


def main() -> None:
    """Entry point of the `miniagents-tui` command."""
    use_frame_cap()
    instant = InstantPrompt.open(sys.argv[1:])
    try:
        from tui.cli import main as run_app  # (Textual, pydantic, the app: 0.6-0.9 s)

        run_app(instant)
    finally:
        if instant is not None:
            instant.close()
