"""Drawing text selected with the mouse over a line of a widget drawn with Textual's line API."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

__all__ = ["highlighted", "selection_style"]


def selection_style(style: Style) -> Style:
    """The theme's selection style, keeping the text's own colour where the theme's is transparent.

    Textual resolves a transparent selection foreground to the selection background: drawn as is,
    selected text would vanish (same colour on same colour).
    """
    if style.color is not None and style.color == style.bgcolor:
        return Style(bgcolor=style.bgcolor)
    return style


def highlighted(line: Strip, span: tuple[int, int], style: Style) -> Strip:
    """`line` with the cells from `span[0]` to `span[1]` (-1: the end) drawn in `style` on top."""
    end = line.cell_length if span[1] == -1 else min(span[1], line.cell_length)
    start = min(span[0], end)
    before, inside, after = line.divide([start, end, line.cell_length])
    marked = [Segment(text, base + style if base else style, control) for text, base, control in inside]
    return Strip.join([before, Strip(marked, inside.cell_length), after])
