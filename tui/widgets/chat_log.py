"""The conversation: a scrolling list of user and assistant messages; assistant ones stream as Markdown."""

from __future__ import annotations

import asyncio
import re
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rich.markdown import Heading
from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from rich.theme import Theme as RichTheme
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from miniagents import INCOMPLETE, INTERRUPTED, Message, MessagePromise
from tui.sanitize import visible

STATUS_WORDS = {
    INCOMPLETE: "⚠ incomplete: the reply broke off",
    INTERRUPTED: "⏹ interrupted: you stopped this reply",
}
"""The wording shown under a partial reply (the transcript stores the same `status`)."""

TICK_SECONDS = 1 / 30
"""The display tick: at most one streaming reply redraws per tick (a lone reply: 30 times a second)."""


class FramePacer:
    """Hands out the ticks at which streaming replies redraw: one reply per tick, in turn.

    Tokens that arrive between a reply's turns are drawn together. Replies streaming side by side
    take turns, so the work of one tick stays small and a key press is never stuck behind the
    redraw of every pane at once.
    """

    def __init__(self) -> None:
        self._last_booked = -1

    async def wait_turn(self) -> None:
        """Sleep until the next tick that no other reply has taken."""
        now = asyncio.get_running_loop().time()
        tick = max(int(now / TICK_SECONDS) + 1, self._last_booked + 1)
        self._last_booked = tick
        await asyncio.sleep(tick * TICK_SECONDS - now)


PACER = FramePacer()
"""The pacer every streaming reply in the app shares."""


CHUNK_CHARS = 2000
"""A long reply is shown as several pieces of about this size, cut at paragraph breaks: a frame of new
tokens re-renders only the last piece, so the cost of a frame does not grow with the reply."""

_BREAK_OR_FENCE = re.compile(r"\n\n|^(?:```|~~~)", re.MULTILINE)

_CODE_BLOCK = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def code_blocks(markdown: str) -> list[str]:
    """The contents of the fenced code blocks in `markdown`, in order."""
    return [match.group(2) for match in _CODE_BLOCK.finditer(markdown)]


def paragraph_breaks(text: str) -> Iterator[int]:
    """The indexes just after each blank line of `text` that is outside a code block."""
    inside_code = False
    for match in _BREAK_OR_FENCE.finditer(text):
        if match.group() != "\n\n":
            inside_code = not inside_code
        elif not inside_code:
            yield match.end()


def markdown_chunks(text: str) -> list[str]:
    """`text` cut at the first blank line outside a code block after each `CHUNK_CHARS` characters.

    A prefix of a text is cut at the same places as the whole text, so a streaming reply can be cut as
    it grows.
    """
    chunks, start = [], 0
    for cut in paragraph_breaks(text):
        if cut - start >= CHUNK_CHARS and cut < len(text):
            chunks.append(text[start:cut])
            start = cut
    chunks.append(text[start:])
    return chunks


def extend_chunks(chunks: list[str], fragment: str) -> int:
    """Add `fragment` to the last of `chunks`, cut as `markdown_chunks` would; return how many completed."""
    source = chunks[-1] + fragment
    pieces = markdown_chunks(source) if len(source) > CHUNK_CHARS else [source]
    chunks[-1:] = pieces
    return len(pieces) - 1


@dataclass(frozen=True)
class StreamStats:
    """How a reply streamed, for the status line."""

    tokens: int
    time_to_first_token: float | None
    tokens_per_second: float | None

    def status_parts(self, tokens: int | None = None, elapsed: float | None = None) -> list[str]:
        """These numbers for a status line, most important first.

        The rate, the tokens (`tokens` when given, such as the provider's count), `elapsed` seconds
        when given, then the time to first token.
        """
        parts = []
        if self.tokens_per_second is not None:
            parts.append(f"{self.tokens_per_second:.0f} tok/s")
        parts.append(f"{self.tokens if tokens is None else tokens} tokens")
        if elapsed is not None:
            parts.append(f"{elapsed:.1f} s")
        if self.time_to_first_token is not None:
            parts.append(f"first token {self.time_to_first_token:.2f} s")
        return parts


@dataclass
class StreamProgress:
    """How a reply is streaming so far."""

    started: float
    tokens: int = 0
    first_token_at: float | None = None

    def stats(self, now: float) -> StreamStats:
        """The numbers as of `now` (a `time.perf_counter()` reading); the rate is since the first token."""
        rate = None
        if self.first_token_at is not None and self.tokens > 1 and now > self.first_token_at:
            rate = (self.tokens - 1) / (now - self.first_token_at)
        ttft = self.first_token_at - self.started if self.first_token_at is not None else None
        return StreamStats(self.tokens, ttft, rate)


PROGRESS_SECONDS = 0.5
"""How often a streaming reply reports its numbers so far (to a status line)."""


class _LeftHeading(Heading):
    LEVEL_ALIGN = {}  # noqa: RUF012  (every heading level starts at the left margin, as in a chat)


class _ChatMarkdown(RichMarkdown):
    elements = {**RichMarkdown.elements, "heading_open": _LeftHeading}  # noqa: RUF012


class ReplyBody(Widget):
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

    def __init__(self, source: str = "") -> None:
        super().__init__()
        self.pieces = markdown_chunks(source)
        """The source, in pieces; only the last one still grows."""
        self._key: tuple[int, str] | None = None  # the (width, theme) of everything cached below
        self._starts: list[int] = []  # the first line of each piece but the last
        self._settled_height = 0  # the lines of every piece but the last
        self._drawn: OrderedDict[int, tuple[str, list[Strip]]] = OrderedDict()  # piece -> (source, lines)

    @property
    def source(self) -> str:
        """The whole Markdown source shown."""
        return "".join(self.pieces)

    def append(self, fragment: str) -> None:
        """Add text at the end (drawn from the next frame); a long last piece is cut up."""
        completed = extend_chunks(self.pieces, fragment)
        if completed and self._key is not None:
            for index in range(len(self.pieces) - 1 - completed, len(self.pieces) - 1):
                self._settle(index)
        self.refresh(layout=True)

    def _settle(self, index: int) -> None:
        """Count the lines of piece `index`, now that it no longer grows."""
        first = self._settled_height
        self._starts.append(first)
        self._settled_height += len(self._piece_lines(index, first))

    def _piece_lines(self, index: int, first: int) -> list[Strip]:
        """The lines of piece `index`, which starts at line `first`, at the cached width and theme.

        They are rendered if not kept. Each line carries its offsets, for selecting text with the mouse.
        """
        assert self._key is not None
        source = self.pieces[index]
        kept = self._drawn.get(index)
        if kept is not None and kept[0] == source:
            self._drawn.move_to_end(index)
            return kept[1]
        rendered = self._render_piece(source, self._key[0])
        lines = [line.simplify().apply_offsets(0, first + number) for number, line in enumerate(rendered)]
        self._drawn[index] = (source, lines)
        self._drawn.move_to_end(index)
        while len(self._drawn) > self.KEPT_PIECES:
            self._drawn.popitem(last=False)
        return lines

    def _render_piece(self, source: str, width: int) -> list[Strip]:
        theme = self.app.current_theme
        markdown = _ChatMarkdown(source, code_theme="monokai" if theme.dark else "default", hyperlinks=False)
        console = self.app.console
        options = console.options.update(width=width, height=None, highlight=False)
        # inline code in the theme's accent colour (Rich's default is cyan on black)
        with console.use_theme(RichTheme({"markdown.code": f"bold {theme.accent or 'yellow'}"})):
            lines = console.render_lines(markdown, options, style=self.rich_style, pad=True)
        return [Strip(line, width) for line in lines]

    def _use(self, width: int) -> None:
        """Make the caches hold lines for `width` and the current theme (measuring every piece again)."""
        key = (width, self.app.current_theme.name)
        if self._key != key:
            self._key = key
            self._starts, self._settled_height = [], 0
            self._drawn.clear()
            for index in range(len(self.pieces) - 1):
                self._settle(index)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:  # noqa: D102
        if not width:
            return 0
        self._use(width)
        return self._settled_height + len(self._piece_lines(len(self.pieces) - 1, self._settled_height))

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
        index, first = self._piece_at(y)
        lines = self._piece_lines(index, first)
        line = lines[y - first] if y - first < len(lines) else Strip.blank(width, self.rich_style)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            line = _highlighted(line, span, self.screen.get_component_rich_style("screen--selection"))
        return line

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The text under `selection`, as shown (wrapped lines, list bullets), for copying."""
        if not self.size.width:
            return None
        self._use(self.size.width)
        firsts = [*self._starts, self._settled_height]
        shown = [
            "".join(segment.text for segment in line).rstrip()
            for index, first in enumerate(firsts)
            for line in self._piece_lines(index, first)
        ]
        return selection.extract("\n".join(shown)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:  # noqa: D102
        self.refresh()

    def notify_style_update(self) -> None:  # noqa: D102
        super().notify_style_update()
        self._key = None  # colours come from the styles: render again


def _highlighted(line: Strip, span: tuple[int, int], style: Style) -> Strip:
    """`line` with the cells from `span[0]` to `span[1]` (-1: the end) drawn in `style` on top."""
    end = line.cell_length if span[1] == -1 else min(span[1], line.cell_length)
    start = min(span[0], end)
    before, inside, after = line.divide([start, end, line.cell_length])
    marked = [Segment(text, base + style if base else style, control) for text, base, control in inside]
    return Strip.join([before, Strip(marked, inside.cell_length), after])


class UserMessage(Static, can_focus=True):
    """A message the user sent, shown literally. Focus it and press `e` to edit and resend it."""

    DEFAULT_CSS = """
    UserMessage {
        margin: 1 0 0 8;
        padding: 0 1;
        background: $primary 15%;
        border-left: wide $primary;
    }
    UserMessage:focus { background: $primary 30%; }
    """

    BINDINGS = [  # noqa: RUF012
        Binding("e", "screen.edit_focused", "Edit & resend"),
        Binding("c", "screen.copy_focused", "Copy"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__(Text(visible(text)))
        self.text = text


class AssistantMessage(Vertical, can_focus=True):
    """An assistant's reply: a title line, the Markdown body, and a status line when it is partial."""

    DEFAULT_CSS = """
    AssistantMessage {
        height: auto;
        margin: 1 8 0 0;
        padding: 0 1;
        border-left: wide $secondary;
    }
    AssistantMessage:focus { background: $secondary 10%; }
    AssistantMessage > .title { color: $text-muted; }
    AssistantMessage > .status { color: $warning; }
    AssistantMessage > .error { color: $error; }
    """

    BINDINGS = [  # noqa: RUF012
        Binding("c", "screen.copy_focused", "Copy"),
        Binding("b", "screen.copy_code", "Copy code"),
    ]

    def __init__(self, name: str, message: Message | None = None) -> None:
        """Make an empty reply to stream into, or one that shows a saved `message` when mounted."""
        super().__init__()
        self._name = name
        self._saved = message
        self.body = ReplyBody(visible(message.text) if message is not None else "")
        """The rendered Markdown."""
        self.text = message.text if message is not None else ""
        self.code_index = 0

    def compose(self):  # noqa: D102
        yield Static(Text(visible(self._name)), classes="title")
        yield self.body
        status = getattr(self._saved, "status", None)
        if status in STATUS_WORDS:
            yield Static(Text(STATUS_WORDS[status]), classes="status")
            error = getattr(self._saved, "error", None)
            if error:
                yield Static(Text(visible(str(error))), classes="error")

    async def stream(
        self, promise: MessagePromise, on_progress: Callable[[StreamStats], object] | None = None
    ) -> tuple[Message, StreamStats]:
        """Render `promise` as it streams, a frame at a time; return the message and how it streamed.

        Once tokens flow, `on_progress` gets the numbers so far every `PROGRESS_SECONDS`. A reply that
        ends early comes back partial, with its `status`.
        """
        progress = StreamProgress(time.perf_counter())
        pending: list[str] = []
        wake = asyncio.Event()
        finished = False

        async def write_frames() -> None:
            # One redraw per turn however many tokens arrived: keeps rendering cheap.
            while True:
                if not finished:
                    await wake.wait()
                    wake.clear()
                    if not finished:
                        await PACER.wait_turn()
                if pending:
                    fragment = "".join(pending)
                    pending.clear()
                    self.text += fragment
                    self.body.append(visible(fragment))
                elif finished:
                    return

        def report() -> None:
            if on_progress is not None and progress.tokens:
                on_progress(progress.stats(time.perf_counter()))

        writer = asyncio.create_task(write_frames())
        ticker = self.set_interval(PROGRESS_SECONDS, report)
        try:
            async for token in promise:
                if progress.first_token_at is None:
                    progress.first_token_at = time.perf_counter()
                progress.tokens += 1
                pending.append(token)
                wake.set()
        except Exception:
            pass  # the error is shown below, from the partial message
        finally:
            ticker.stop()
            finished = True
            wake.set()
            try:
                await writer  # it writes what is pending, then ends
            finally:
                if not writer.done():  # we were cancelled while waiting: stop it too
                    writer.cancel()
                    await asyncio.gather(writer, return_exceptions=True)
        message = await promise.aresolve_partial()
        status = getattr(message, "status", None)
        if status in STATUS_WORDS:
            await self.show_status(status, getattr(message, "error", None))
        return message, progress.stats(time.perf_counter())

    async def show_status(self, status: str, error: str | None = None) -> None:
        """Mark the reply as partial (and show the error, if any)."""
        await self.mount(Static(Text(STATUS_WORDS[status]), classes="status"))
        if error:
            await self.show_error(error)

    async def show_error(self, error: str) -> None:
        """Show an error under the reply, literally."""
        await self.mount(Static(Text(visible(error)), classes="error"))


class ChatLog(VerticalScroll):
    """The scrolling list of messages; it follows new text unless the user has scrolled up."""

    DEFAULT_CSS = """
    ChatLog { height: 1fr; padding: 0 1; }
    """

    MAX_MOUNTED = 100
    """Only the newest messages stay mounted; older ones are in the transcript."""

    def on_mount(self) -> None:  # noqa: D102
        self.anchor()

    def scroll_pages(self, pages: int) -> None:
        """Scroll by a page up (`pages` < 0) or down; back at the bottom, the view follows new text again."""
        if pages < 0:
            self.scroll_page_up(animate=False)
        else:
            self.scroll_page_down(animate=False)

    async def _add(self, widget: Static | Vertical) -> None:
        await self.mount(widget)
        messages = [child for child in self.children if isinstance(child, UserMessage | AssistantMessage)]
        if len(messages) > self.MAX_MOUNTED:
            await self.remove_children(messages[: len(messages) - self.MAX_MOUNTED])

    async def add_user(self, text: str) -> UserMessage:
        """Append a user message."""
        widget = UserMessage(text)
        await self._add(widget)
        return widget

    async def add_assistant(self, name: str) -> AssistantMessage:
        """Append an empty assistant message, ready to stream."""
        widget = AssistantMessage(name)
        await self._add(widget)
        return widget

    async def add_saved(self, messages: list[Message], default_name: str = "assistant") -> None:
        """Show saved messages, all mounted in one go (for a reopened conversation)."""
        widgets: list[UserMessage | AssistantMessage] = []
        for message in messages:
            if getattr(message, "role", None) == "user":
                widgets.append(UserMessage(message.text))
            else:
                widgets.append(
                    AssistantMessage(str(getattr(message, "agent", None) or default_name), message)
                )
        if widgets:
            await self.mount_all(widgets)

    async def add_notice(self, text: str, error: bool = False) -> Static:
        """Append a one-line notice (an error when `error`)."""
        widget = Static(Text(visible(text)), classes="notice error" if error else "notice")
        await self.mount(widget)
        return widget
