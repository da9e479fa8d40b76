r"""Keys from a real terminal, with pasted text kept as text.

Textual 8.2's input parser reads an escape sequence inside a bracketed paste as key presses:
pasting `a \x1b[0m b\x12` delivers `[`, `0`, `m`, ..., Ctrl+R to the app instead of text, so a
paste can run commands. `PasteSafeDriver` shows every control character between the terminal's
paste markers as its visible symbol (U+2400 to U+2421; tab and line breaks stay) before the
parser sees it. `tests/tui/test_terminal_input.py` pins the parser's behaviour: when Textual
fixes it, that test fails and this module can go.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import selectors
from typing import IO, Any, Protocol, cast, runtime_checkable

from textual import events
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.drivers.linux_driver import LinuxDriver

from tui.typed_ahead import PASTE_END, PASTE_START

__all__ = ["PASTE_END", "PASTE_START", "KeyReadListener", "PasteFilter", "PasteSafeDriver"]


_VISIBLE_CONTROLS = {code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\n\r"}
_VISIBLE_CONTROLS[0x7F] = 0x2421
_VISIBLE_CONTROLS.update({code: 0xFFFD for code in range(0x80, 0xA0)})


def _partial_marker(text: str, marker: str) -> int:
    """How many characters at the end of `text` could begin `marker` (0 if none)."""
    for size in range(min(len(marker) - 1, len(text)), 0, -1):
        if text.endswith(marker[:size]):
            return size
    return 0


class PasteFilter:
    """Rewrites the terminal's input so that nothing between paste markers is a control.

    Outside a paste the input passes through unchanged and at once (a lone Escape is never held
    back); inside one, a possible start of the end marker is held until the next read.
    """

    def __init__(self) -> None:
        self._pasting = False
        self._seen = ""  # outside a paste: the last characters passed on, to find a split start marker
        self._held = ""  # inside a paste: a possible start of the end marker

    def feed(self, data: str) -> str:
        """The input `data` with pasted controls made visible."""
        out: list[str] = []
        while data:
            if not self._pasting:
                seen = self._seen + data
                found = seen.find(PASTE_START)
                if found == -1:
                    out.append(data)
                    self._seen = seen[-(len(PASTE_START) - 1) :]
                    break
                after = found + len(PASTE_START) - len(self._seen)
                out.append(data[:after])
                data, self._seen, self._pasting = data[after:], "", True
            else:
                data, self._held = self._held + data, ""
                found = data.find(PASTE_END)
                if found == -1:
                    keep = _partial_marker(data, PASTE_END)
                    out.append(data[: len(data) - keep].translate(_VISIBLE_CONTROLS))
                    self._held = data[len(data) - keep :]
                    break
                out.append(data[:found].translate(_VISIBLE_CONTROLS) + PASTE_END)
                data, self._pasting = data[found + len(PASTE_END) :], False
        return "".join(out)


class _HungUpTolerantOutput:
    """The terminal's output for Textual's writer thread: a write to a terminal that is gone is dropped.

    Textual writes frames from a thread through a queue of 30. If the terminal stalls (a frozen
    window, an SSH link that hangs) and then goes away, the blocked write fails, the writer thread
    dies, and the app blocks for ever on the full queue: SIGHUP is never handled and the reply
    streaming at the time is never saved. With the failure dropped, the queue drains, the app
    takes SIGHUP, saves and exits.
    """

    def __init__(self, file: IO[str]) -> None:
        self._file = file

    def write(self, text: str) -> int:
        try:
            return self._file.write(text)
        except OSError:
            return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError):
            self._file.flush()

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return self._file.isatty()


@runtime_checkable
class KeyReadListener(Protocol):
    """An app told of each key as soon as it is read from the terminal, before it handles the key."""

    def note_key_read(self) -> None:
        """A key was read (called on the app's event loop)."""


class PasteSafeDriver(LinuxDriver):
    """Textual's driver for Linux and macOS terminals, reading input through a `PasteFilter`.

    It also stops reading when the terminal is gone (an empty read) instead of polling it forever,
    and writes to a terminal that is gone are dropped (`_HungUpTolerantOutput`). An app that is a
    `KeyReadListener` hears of each key as it is read: several turns of its event loop before
    the key event reaches it.
    """

    def __init__(self, app: App[Any], **options: Any) -> None:
        super().__init__(app, **options)
        self.app_loop = asyncio.get_running_loop()
        """The app's event loop (the driver is made on it)."""
        self.key_listener = app if isinstance(app, KeyReadListener) else None
        """Told of each key read, if the app listens."""

    def start_application_mode(self) -> None:  # noqa: D102
        # Textual's writer thread writes to this; it takes the file-like object's write, flush, fileno
        if not isinstance(self._file, _HungUpTolerantOutput):  # (this runs again after a suspend)
            self._file = cast(IO[str], _HungUpTolerantOutput(self._file))
        super().start_application_mode()

    def run_input_thread(self) -> None:
        """Read the terminal, filter pastes, parse, and hand the events to the app."""
        parser = XTermParser()
        paste = PasteFilter()
        decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        try:
            while not self.exit_event.is_set():
                for _ in selector.select(0.1):
                    data = os.read(self.fileno, 4096)
                    if not data:
                        return
                    text = paste.feed(decode(data))
                    for event in parser.feed(text) if text else ():  # an empty feed means end of input
                        if self.key_listener is not None and isinstance(event, events.Key):
                            self.app_loop.call_soon_threadsafe(self.key_listener.note_key_read)
                        self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)
        finally:
            selector.close()
