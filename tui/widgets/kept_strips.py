"""`KeptStrips`: a widget's drawn lines, kept while what they show is the same."""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip

__all__ = ["KeptStrips"]


class KeptStrips:
    """Lines made into strips, by line number, each kept while its segments are the same list.

    A view that scrolls draws the same lines again at other places on screen: they are not made
    again. Runs of one style are joined, and each cell carries its offset for selecting with the mouse.
    """

    def __init__(self, most: int) -> None:
        """Keep at most `most` lines (more than the tallest screen shows); then start afresh."""
        self._most = most
        self._kept: dict[int, tuple[list[Segment], Strip]] = {}

    def clear(self) -> None:
        """Forget every line (the width or the colours changed)."""
        self._kept.clear()

    def strip(self, y: int, segments: list[Segment], width: int) -> Strip:
        """Line `y`, which shows `segments`, as a strip `width` cells wide."""
        kept = self._kept.get(y)
        if kept is not None and kept[0] is segments:
            return kept[1]
        if len(self._kept) >= self._most:
            self._kept.clear()
        line = Strip(Segment.simplify(segments), width).apply_offsets(0, y)
        self._kept[y] = (segments, line)
        return line
