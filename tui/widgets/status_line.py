"""`StatusLine`: one line of facts joined by " · "; the ones that do not fit are left off the end."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from tui.sanitize import visible

__all__ = ["SEPARATOR", "StatusLine"]

SEPARATOR = " · "


class StatusLine(Widget):
    """A one-line status, its parts given most important first.

    When the line is too narrow for all of them, the last ones are dropped whole; a single part that
    is still too long ends in "…".
    """

    DEFAULT_CSS = """
    StatusLine { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *parts: str, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.parts = parts
        """The parts shown (literally), most important first."""

    def show(self, *parts: str) -> None:
        """Show `parts` instead of the current ones."""
        self.parts = parts
        self.refresh()

    def render(self) -> Text:  # noqa: D102
        shown = [visible(part) for part in self.parts]
        while len(shown) > 1 and cell_len(SEPARATOR.join(shown)) > self.size.width:
            shown.pop()
        return Text(SEPARATOR.join(shown))
