"""The `miniagents-tui` command: the instant prompt first (`tui.instant_prompt`), then the app."""

from __future__ import annotations

import sys

from tui.instant_prompt import InstantPrompt

__all__ = ["main"]


def main() -> None:
    """Entry point of the `miniagents-tui` command."""
    instant = InstantPrompt.open(sys.argv[1:])
    try:
        from tui.cli import main as run_app  # (Textual, pydantic, the app: 0.6-0.9 s)

        run_app(instant)
    finally:
        if instant is not None:
            instant.close()
