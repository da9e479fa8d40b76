"""`SizedByLayout`: widgets whose new size, found by a layout, asks for no second layout."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive

__all__ = ["SizedByLayout"]


class SizedByLayout:
    """Mix in before the Textual base class of a widget whose virtual size only the layout sets.

    Textual's `virtual_size` lays the screen out and repaints the widget again whenever it changes.
    The layout sets it for every widget whose size it changed, so a reply that grew laid the screen
    out twice: the second time found nothing new and repainted the whole conversation view anyway.
    With four panes at 1,000 tok/s each, that doubled the cost of every frame a stream drew (about
    15 ms each, in `tests/benchmarks/terminal_bench.py`). Scrollbars still follow the new size: the
    layout updates them itself.
    """

    virtual_size = Reactive(Size(0, 0), layout=False, repaint=False)
