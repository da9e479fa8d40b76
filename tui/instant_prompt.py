"""`InstantPrompt`: the chat's prompt on screen the moment the command starts, while the app loads.

Loading Textual, pydantic and the app takes 0.6-0.9 s on a 2-core machine before Textual draws its
first frame (measured in `tests/benchmarks/terminal_bench.py`; importing Textual alone is 0.26-0.34 s).
A person who starts typing at once would see nothing for that long. So the command first draws the
frame of the chat (header, status line, prompt, footer, in the app's colours) and echoes what is
typed, from a thread, while the main thread imports the rest. Just before Textual takes the terminal,
`hand_over()` stops the thread and gives back what was typed: the app puts it in its prompt, and
sends it if Enter was pressed.

This module imports nothing heavy (it runs before everything else) and nothing from the app.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import select
import sys
import threading
import unicodedata

from tui.typed_ahead import LineEditor, TypedAhead

__all__ = ["CHAT_PLACEHOLDER", "COLOURS", "PANEL_PLACEHOLDER", "InstantPrompt", "placeholder_for"]

CHAT_PLACEHOLDER = "Enter sends · Ctrl+J new line · Ctrl+P all commands · Ctrl+T saved chats · Ctrl+Q quits"
"""The chat's empty prompt says this."""

PANEL_PLACEHOLDER = (
    "One message to every pane · Enter sends · Tab to a pane, w picks its reply · Ctrl+Q quits"
)
"""The panel's empty prompt says this."""

COLOURS = {
    "screen": "#121212",
    "bar": "#242f38",
    "bar-text": "#a7abaf",
    "title": "#e0e0e0",
    "prompt": "#1e1e1e",
    "border": "#0178d4",
    "text": "#e0e0e0",
    "placeholder": "#787878",
}
"""The colours of the app's default theme where the instant prompt draws (a test keeps them equal)."""


def placeholder_for(argv: list[str]) -> str:
    """The placeholder of the screen the command line `argv` opens: the panel for two assistants or more."""
    assistants = sum(
        1 for arg in argv if arg in ("--model", "--agent") or arg.startswith(("--model=", "--agent="))
    )
    return PANEL_PLACEHOLDER if assistants > 1 else CHAT_PLACEHOLDER


LEAVE_SCREEN = "\x1b[?2004l\x1b[?25h\x1b[?1049l"
"""Bracketed paste off, the cursor shown, the normal screen back."""


def _cells(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _tail(text: str, cells: int) -> str:
    """The end of `text` that fits in `cells` columns."""
    used, start = 0, len(text)
    while start and used + _cells(text[start - 1]) <= cells:
        start -= 1
        used += _cells(text[start])
    return text[start:]


class _Painter:
    """Escape sequences in the app's colours, in 24-bit colour where the terminal says it has it."""

    def __init__(self, truecolor: bool) -> None:
        self.truecolor = truecolor

    def colour(self, name: str, ground: int) -> str:
        red, green, blue = (int(COLOURS[name][i : i + 2], 16) for i in (1, 3, 5))
        if self.truecolor:
            return f"{ground};2;{red};{green};{blue}"
        return f"{ground};5;{_xterm_256(red, green, blue)}"

    def style(self, fg: str, bg: str, reverse: bool = False) -> str:
        return f"\x1b[0;{'7;' if reverse else ''}{self.colour(fg, 38)};{self.colour(bg, 48)}m"


def _xterm_256(red: int, green: int, blue: int) -> int:
    """The nearest of the 256-colour palette's cube and grey ramp."""
    levels = (0, 95, 135, 175, 215, 255)

    def nearest(value: int) -> int:
        return min(range(6), key=lambda i: abs(levels[i] - value))

    cube = (nearest(red), nearest(green), nearest(blue))
    cube_rgb = tuple(levels[i] for i in cube)
    grey_index = min(23, max(0, round(((red + green + blue) / 3 - 8) / 10)))
    grey = 8 + 10 * grey_index

    def distance(rgb: tuple[int, ...]) -> int:
        return sum((a - b) ** 2 for a, b in zip(rgb, (red, green, blue), strict=True))

    if distance((grey, grey, grey)) < distance(cube_rgb):
        return 232 + grey_index
    return 16 + 36 * cube[0] + 6 * cube[1] + cube[2]


class InstantPrompt:
    """The prompt drawn at once and fed by a thread until the app takes over (see the module's text).

    `open()` returns None where there is no terminal to draw on. The terminal is put in a mode that
    reads keys one by one without echo; `hand_over()` puts it back, for Textual to save and restore.
    What is written to `sys.stderr` meanwhile (a bad argument, say) is held, and written once the
    terminal is back on its normal screen (`close()`), where it stays readable.
    """

    def __init__(self, fd: int, out: int, placeholder: str, truecolor: bool) -> None:
        import termios  # exists on Linux and macOS only: `open` checks

        self._termios = termios
        self._fd, self._out = fd, out
        self._placeholder = placeholder
        self._painter = _Painter(truecolor)
        self._editor = LineEditor()
        self._original = termios.tcgetattr(fd)
        self._wake_read = self._wake_write = -1  # a pipe that wakes the thread to stop it
        self._thread = threading.Thread(target=self._read_keys, name="instant-prompt", daemon=True)
        self._handed_over = False
        self._stderr = sys.stderr
        self._held_errors = io.StringIO()

    @classmethod
    def open(cls, argv: list[str]) -> InstantPrompt | None:
        """Draw the prompt and echo keys, if stdin and stdout are a terminal; None where they are not."""
        if any(arg in ("-h", "--help", "--version") for arg in argv):
            return None
        if os.environ.get("TERM", "dumb") == "dumb" or not (sys.stdin.isatty() and sys.stdout.isatty()):
            return None
        try:
            prompt = cls(
                sys.stdin.fileno(),
                sys.stdout.fileno(),
                placeholder_for(argv),
                os.environ.get("COLORTERM", "") in ("truecolor", "24bit"),
            )
            prompt._start()
        except (ImportError, OSError):
            return None
        return prompt

    def _start(self) -> None:
        termios = self._termios
        attributes = termios.tcgetattr(self._fd)
        attributes[0] &= ~(termios.IXON | termios.ICRNL | termios.INLCR | termios.IGNCR)  # Ctrl+Q, Enter
        attributes[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN)
        attributes[6][termios.VMIN], attributes[6][termios.VTIME] = 1, 0
        termios.tcsetattr(self._fd, termios.TCSANOW, attributes)
        self._wake_read, self._wake_write = os.pipe()
        self._write("\x1b[?1049h\x1b[?25l\x1b[?2004h" + self.frame())
        sys.stderr = self._held_errors
        self._thread.start()

    def hand_over(self) -> TypedAhead:
        """Stop reading keys (what comes next waits for Textual) and return what was typed."""
        self._release(leave_screen=False)
        after = LineEditor()
        after.feed(self._editor.after.replace("\r", "\n"))
        return TypedAhead(self._editor.text, self._editor.sent, after.text)

    def close(self) -> None:
        """Give the terminal back as it was, and write what was held of `sys.stderr`.

        Where the app has had the terminal, it gave it back itself.
        """
        self._release(leave_screen=True)
        if held := self._held_errors.getvalue():
            self._held_errors = io.StringIO()
            self._stderr.write(held)
            self._stderr.flush()

    def _release(self, leave_screen: bool) -> None:
        """Stop reading keys and give the terminal's modes and `sys.stderr` back (once)."""
        if self._handed_over:
            return
        self._stop_thread()
        if leave_screen:
            self._leave_screen()
        else:
            self._restore_modes()
        sys.stderr = self._stderr
        self._handed_over = True

    def _stop_thread(self) -> None:
        if self._thread.is_alive():
            os.write(self._wake_write, b"x")
            self._thread.join()
        for fd in (self._wake_read, self._wake_write):
            if fd >= 0:
                os.close(fd)
        self._wake_read = self._wake_write = -1

    def _leave_screen(self) -> None:
        """The terminal as it was: its modes, the normal screen, the cursor, no bracketed paste."""
        self._restore_modes()
        self._write(LEAVE_SCREEN)

    def _restore_modes(self) -> None:
        with contextlib.suppress(self._termios.error):
            self._termios.tcsetattr(self._fd, self._termios.TCSANOW, self._original)

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError):  # the terminal may be gone: the app finds out
            os.write(self._out, text.encode())

    def _read_keys(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        editor = self._editor
        while not (editor.sent or editor.quit):
            ready, _, _ = select.select([self._fd, self._wake_read], [], [])
            if self._wake_read in ready:
                return
            try:
                data = os.read(self._fd, 4096)
            except OSError:
                return
            if not data:
                return  # the terminal hung up: the app finds out
            editor.feed(decoder.decode(data))
            if editor.quit:
                self._leave_screen()
                os._exit(0)  # nothing was started or saved yet
            self._write(self._prompt_line())

    # ------------------------------------------------------------ drawing

    def _size(self) -> tuple[int, int]:
        try:
            return os.get_terminal_size(self._out)
        except OSError:
            return 80, 24

    def frame(self) -> str:
        """The whole screen: the header, the empty chat, the status line, the prompt and the footer."""
        width, height = self._size()
        paint = self._painter
        title = "miniagents-tui".center(width - 2)[: width - 2]
        lines = [
            paint.style("title", "bar") + " " + title + " ",
            *[paint.style("text", "screen") + " " * width] * max(0, height - 6),
            paint.style("bar-text", "bar") + " starting…".ljust(width)[:width],
        ]
        border = paint.style("border", "screen", reverse=True) + "▊" + paint.style("border", "prompt")
        right = paint.style("border", "screen") + "▎"
        lines.append(border + "▔" * (width - 2) + right)
        lines.append("")  # the prompt's line: `_prompt_line` draws it
        lines.append(border + "▁" * (width - 2) + right)
        lines.append(paint.style("text", "bar") + " " * width)
        top = max(0, len(lines) - height)
        drawn = "".join(f"\x1b[{row + 1};1H{line}" for row, line in enumerate(lines[top:]) if line)
        return "\x1b[0m\x1b[2J" + drawn + self._prompt_line()

    def _prompt_line(self) -> str:
        """The prompt's text line (its last line, the end of it where it is long), with the cursor."""
        width, height = self._size()
        paint = self._painter
        room = max(1, width - 5)  # borders and padding, and a cell for the cursor
        text = _tail(self._editor.text.rsplit("\n", 1)[-1], room)
        cursor = paint.style("screen", "text")
        if text or "\n" in self._editor.text:
            shown = paint.style("text", "prompt") + text + cursor + " "
            used = sum(_cells(char) for char in text) + 1
        else:
            hint = self._placeholder[: room + 1]
            shown = cursor + hint[:1] + paint.style("placeholder", "prompt") + hint[1:]
            used = len(hint)
        padding = paint.style("text", "prompt") + " " * max(0, width - 3 - used)
        left = paint.style("border", "screen", reverse=True) + "▊" + paint.style("text", "prompt") + " "
        right = paint.style("border", "screen") + "▎"
        return f"\x1b[{max(1, height - 2)};1H" + left + shown + padding + right + "\x1b[0m"
