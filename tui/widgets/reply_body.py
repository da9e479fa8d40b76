"""`ReplyBody`: a reply's Markdown drawn with Textual's line API, piece by piece, by Rich.

Why not Textual's `Markdown` widget and `Markdown.get_stream()`: that widget mounts a child widget
per Markdown block. A 20,000-token reply becomes hundreds of widgets whose layout cost 30-60 ms a
frame in `tests/benchmarks/tui_bench.py`, and with four panes streaming at 1,000 tok/s each a key
waited 136-165 ms (p99) for its redraw. Drawn as one widget whose pieces render once (only the last,
growing piece renders again), the same benchmark gives 11-35 ms.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict

from rich.segment import Segment
from rich.theme import Theme as RichTheme
from textual.geometry import Region, Size
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from tui.widgets.follower import Follower
from tui.widgets.highlight import highlighted, selection_style
from tui.widgets.kept_strips import KeptStrips
from tui.widgets.laid_out import SizedByLayout
from tui.widgets.markdown_pieces import extend_chunks, markdown_chunks

__all__ = ["ReplyBody"]


class ReplyBody(SizedByLayout, Widget):
    """A reply's Markdown, drawn by Rich as one widget.

    The source is kept in pieces of about `CHUNK_CHARS`, cut at paragraph breaks outside code blocks.
    New text re-renders only the last piece, and Textual lays out and paints a single widget. Of the
    other pieces only the line count is kept, and the lines of the few drawn last: a long reply costs
    the garbage collector little. Links show their address as plain text: nothing a model writes
    becomes a terminal escape sequence.
    """

    DEFAULT_CSS = """
    ReplyBody { height: auto; }
    """

    KEPT_PIECES = 8
    """How many rendered pieces each reply keeps the lines of (enough to fill the tallest screen)."""

    KEPT_STRIPS = 512
    """At most this many lines are kept as drawn (more than the tallest screen shows)."""

    HEADROOM_LINES = 8
    """A reply that is still `growing` keeps this many lines of room below its text.

    A reply that grows by a line makes Textual lay out and repaint the whole screen: the view that
    follows it scrolls, so every line moves. That costs 25-50 ms a frame on a 120x40 terminal (most
    of it re-rendering every visible line, measured in `tests/benchmarks/terminal_bench.py`), and a
    key pressed meanwhile waits for it. With room to spare below its text, new lines only repaint
    themselves; once the text fills the room, the screen is laid out again with this much room
    anew (not rounded to a multiple of it: that left 0-7 lines, a layout every 4 lines on average).
    A reply takes room from the moment it is added, before its first token: its first frames are
    the ones a key typed as it starts would wait for.
    """

    def __init__(self, source: str = "") -> None:
        super().__init__()
        self.pieces = markdown_chunks(source)
        """The source, in pieces; only the last one still grows."""
        self._key: tuple[int, str] | None = None  # the (width, theme) of everything cached below
        self._starts: list[int] = []  # the first line of each piece but the last
        self._settled_height = 0  # the lines of every piece but the last
        # piece -> (its source, whether it ends with a blank line, its lines: strips only when drawn)
        self._drawn: OrderedDict[int, tuple[str, bool, list[list[Segment]]]] = OrderedDict()
        self._growing = False
        self._height = 0  # the height last given to the layout
        self._unshown_from: int | None = None  # the first line changed by text added but not shown yet
        self._shown_lines: int | None = None  # the lines of the text last shown (None: measure again)
        self._strips = KeptStrips(self.KEPT_STRIPS)
        self.room_after = 0
        """A growing body takes room once it is this tall (a tool block: only when long)."""
        self.follower: Follower | None = None
        """The view that holds it and follows it as it grows, if any; see `show_added`."""
        self._tail = 0  # a growing body lays out only this many of its last lines (0: all of them)
        self._no_room = False  # laid out whole again: no room below the text until more comes
        self._whole_asked = False  # `show_whole` asked for a layout of every line, not yet done
        self._top = 0  # the first line drawn: the lines above it are not laid out (while `_tail`)

    @property
    def growing(self) -> bool:
        """Whether text is still being added (a streaming reply): then it keeps room below its text."""
        return self._growing

    @growing.setter
    def growing(self, growing: bool) -> None:
        if growing != self._growing:
            self._growing = growing
            self._show_all_lines()
            self.refresh(layout=True)

    @property
    def tail_only(self) -> bool:
        """Whether only the last lines are laid out now (the view follows the reply as it grows)."""
        return self._tail > 0

    def show_whole(self) -> bool:
        """Lay out every line again, from the next frame (the reader scrolls away); whether it had not."""
        if not self._tail:
            return False
        self._show_all_lines()
        self._no_room = True  # (the view shows the same lines at its bottom as before)
        self._whole_asked = True
        self.refresh(layout=True)
        return True

    @property
    def laid_out_whole(self) -> bool:
        """Whether the layout that `show_whole` asked for is done (or none was asked for)."""
        return not self._whole_asked

    @property
    def kept_pieces(self) -> int:
        """How many pieces' rendered lines are kept now (at most `KEPT_PIECES`)."""
        return len(self._drawn)

    @property
    def line_count(self) -> int:
        """How many lines the whole reply takes at the width it was last drawn at (0 before that)."""
        if self._key is None:
            return 0
        return self._settled_height + len(self._piece_lines(len(self.pieces) - 1))

    @property
    def source(self) -> str:
        """The whole Markdown source shown."""
        return "".join(self.pieces)

    def add(self, fragment: str) -> None:
        """Add text at the end, drawn at the next `show_added`; a long last piece is cut up.

        Pieces it completes are measured now, as the text streams in: the frame that shows them then
        renders only the last piece. (A pane of the panel view redraws a few times a second; the
        pieces completed meanwhile took it 6-12 ms to render at once, and a key waited behind that.)
        """
        if self._unshown_from is None:
            self._unshown_from = self._settled_height  # where the piece that grows starts
        completed = extend_chunks(self.pieces, fragment)
        if self._key is not None:
            for index in range(len(self.pieces) - 1 - completed, len(self.pieces) - 1):
                self._settle(index)

    def show_added(self) -> None:
        """Draw the text added since the last time, from the next frame.

        Only the lines from the piece that grew on are repainted where the text still fits in the room
        taken; else the screen is laid out again. Where the view that holds a growing body follows it
        (`follower`) and it fills that view, only its last lines are laid out, as many as the
        view shows: new text then repaints the body where it is, and the screen is not laid out again
        (the view does not scroll). With four panes at 1,000 tok/s each, every redraw of a pane laid
        out the screen, about a third of each frame.
        """
        changed_from, self._unshown_from = self._unshown_from, None
        if changed_from is None:
            return  # nothing was added
        self._no_room = False
        if self._key is None:
            self.refresh(layout=True)
            return
        self._shown_lines = self.line_count
        follower = self.follower if self._growing else None
        tail = follower.followed_height() if follower is not None else 0
        if follower is not None and tail and self._fills(tail):
            if self._tail == tail == self._height:
                self._top = max(0, self._shown_lines - tail)
                self.refresh()
            else:
                self._tail = tail
                self.refresh(layout=True)
            follower.show_lines_hidden(max(0, self._shown_lines - tail))
            return
        if self._tail:
            self._show_all_lines()
            self.refresh(layout=True)
        elif self._growing and self._shown_lines <= self._height:
            self.refresh(Region(0, changed_from, self._key[0], self._height - changed_from))
        else:
            self.refresh(layout=True)

    def _fills(self, tail: int) -> bool:
        """Whether the text shown fills a view `tail` lines high, or would with the room it takes.

        A reply that outgrows its room, and would fill the view with the room it takes anew, takes
        the view's height at once: one layout of the screen, not two (a key waits behind each).
        """
        lines = self._shown_lines or 0
        if lines >= tail:
            return True
        if lines + self.HEADROOM_LINES < tail or lines < self.room_after:
            return False
        return self._tail == tail or lines > self._height

    def _show_all_lines(self) -> None:
        """Lay out every line from the next layout (asked for by the caller)."""
        if self._tail and self.follower is not None:
            self.follower.show_lines_hidden(0)
        self._tail = 0

    def _settle(self, index: int) -> None:
        """Count the lines of piece `index`, now that it no longer grows."""
        self._starts.append(self._settled_height)
        self._settled_height += len(self._piece_lines(index))

    def _piece_lines(self, index: int, shown: bool = False) -> list[list[Segment]]:
        """The lines of piece `index` at the cached width and theme, rendered if not kept.

        With `shown`, the last piece's lines as they were last shown, while text added since waits
        for `show_added` (it is drawn from the frame after that): text streams in between the turn
        that shows it and the frame, and the piece would be rendered twice a frame.
        """
        assert self._key is not None
        source = self.pieces[index]
        kept = self._drawn.get(index)
        if kept is not None and shown and self._unshown_from is not None and index == len(self.pieces) - 1:
            return kept[2]
        # A piece cut at a paragraph break ends with the blank line Rich puts between two blocks.
        gap = index < len(self.pieces) - 1 and source.endswith("\n\n")
        if kept is not None and kept[0] == source and kept[1] == gap:
            self._drawn.move_to_end(index)
            return kept[2]
        same = kept is not None and kept[0] == source  # (the piece no longer grows: no blank line yet)
        lines = kept[2] if kept is not None and same else self.render_piece(source, self._key[0])
        if gap:
            lines = [*lines, [Segment(" " * self._key[0], self.rich_style)]]
        self._drawn[index] = (source, gap, lines)
        self._drawn.move_to_end(index)
        while len(self._drawn) > self.KEPT_PIECES:
            self._drawn.popitem(last=False)
        return lines

    def render_piece(self, source: str, width: int) -> list[list[Segment]]:
        """The lines of Markdown `source` at `width`, in the current theme (no caching).

        They are made into strips only when drawn: most lines of a long reply are only counted.
        """
        from rich.markdown import Markdown  # imported with the first reply: it brings Pygments (~0.1 s)

        theme = self.app.current_theme
        markdown = Markdown(source, code_theme="monokai" if theme.dark else "default", hyperlinks=False)
        console = self.app.console
        options = console.options.update(width=width, height=None, highlight=False)
        # inline code in the theme's accent colour (Rich's default is cyan on black)
        with console.use_theme(RichTheme({"markdown.code": f"bold {theme.accent or 'yellow'}"})):
            return console.render_lines(markdown, options, style=self.rich_style, pad=True)

    def _use(self, width: int) -> None:
        """Make the caches hold lines for `width` and the current theme (measuring every piece again)."""
        key = (width, self.app.current_theme.name)
        if self._key != key:
            self._key = key
            self._starts, self._settled_height = [], 0
            self._drawn.clear()
            self._strips.clear()
            self._shown_lines = None
            if self._unshown_from is not None:
                self._unshown_from = 0  # (lines of the old width)
            for index in range(len(self.pieces) - 1):
                self._settle(index)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:  # noqa: D102
        if not width:
            return 0
        self._use(width)
        if self._unshown_from is not None and self._shown_lines is not None:
            lines = self._shown_lines  # text added since it was last shown counts once it is shown
        else:
            lines = self.line_count
        if self._tail and self._growing and lines + self.HEADROOM_LINES >= self._tail:
            self._top = max(0, lines - self._tail)
            self._height = self._tail
            return self._tail
        self._top = 0
        self._whole_asked = False
        if self._growing and lines >= self.room_after and not self._no_room:
            room = self.HEADROOM_LINES
            lines = self._height if lines < self._height <= lines + room else lines + room
        self._height = lines
        return lines

    def _piece_at(self, y: int) -> tuple[int, int]:
        """The piece that line `y` belongs to, and the reply's line where that piece starts."""
        if y >= self._settled_height:
            return len(self.pieces) - 1, self._settled_height
        index = bisect_right(self._starts, y) - 1
        return index, self._starts[index]

    def render_line(self, y: int) -> Strip:  # noqa: D102
        width = self.size.width
        if not width:
            return Strip.blank(0)
        self._use(width)
        y += self._top
        index, first = self._piece_at(y)
        lines = self._piece_lines(index, shown=True)
        if y - first >= len(lines):
            return Strip.blank(width, self.rich_style)
        line = self._strips.strip(y, lines[y - first], width)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            line = highlighted(
                line, span, selection_style(self.screen.get_component_rich_style("screen--selection"))
            )
        return line

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The text under `selection`, as shown (wrapped lines, list bullets), for copying."""
        if not self.size.width:
            return None
        self._use(self.size.width)
        shown = [
            "".join(segment.text for segment in line).rstrip()
            for index in range(len(self.pieces))
            for line in self._piece_lines(index)
        ]
        return selection.extract("\n".join(shown)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:  # noqa: D102
        self.refresh()

    def notify_style_update(self) -> None:  # noqa: D102
        super().notify_style_update()
        self._key = None  # colours come from the styles: render again
