"""Pasted text stays text (#12.8): `PasteFilter` in front of Textual's input parser."""

import asyncio
import os
import threading

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.app import App

from tui.terminal_input import PASTE_END, PASTE_START, PasteFilter, PasteSafeDriver

HOSTILE_PASTES = [
    "p \x1b[0m q\x12 r",
    "x \x1b]0;T\x07 y",
    "a\x1b\x1bb\x1b[201",
    "tab\tand\r\nlines \x7f\x9b31m",
]


def parse(*chunks: str, paste_filter: PasteFilter | None = None) -> list[events.Event]:
    parser = XTermParser()
    found: list[events.Event] = []
    for chunk in chunks:
        data = paste_filter.feed(chunk) if paste_filter is not None else chunk
        if not data:
            continue  # as the driver does: an empty feed would mean the end of the input
        found += [event for event in parser.feed(data) if isinstance(event, events.Event)]
    return found


def test_textual_still_runs_escape_sequences_inside_a_paste_as_keys():
    """Pins the parser bug this module works around: if it fails, Textual fixed it; drop the filter."""
    keys = [e.key for e in parse(PASTE_START + HOSTILE_PASTES[0] + PASTE_END) if isinstance(e, events.Key)]
    assert "ctrl+r" in keys


@pytest.mark.parametrize("pasted", HOSTILE_PASTES)
def test_a_paste_with_controls_arrives_as_one_paste_of_visible_text(pasted):
    data = "k" + PASTE_START + pasted + PASTE_END + "z"
    for split in range(len(data) + 1):
        found = parse(data[:split], data[split:], paste_filter=PasteFilter())
        assert [type(e) for e in found] == [events.Key, events.Paste, events.Key], split
        paste = found[1]
        assert isinstance(paste, events.Paste)
        assert not any((c < " " and c not in "\t\r\n") or "\x7f" <= c <= "\x9f" for c in paste.text)
        assert paste.text.replace("\u241b", "\x1b").replace("\u2412", "\x12").startswith(pasted[:4])
        assert [e.key for e in found if isinstance(e, events.Key)] == ["k", "z"]


def test_controls_are_shown_as_their_symbols_and_line_breaks_stay():
    (paste,) = parse(PASTE_START + "a\x1b[0m\x12\tb\nc" + PASTE_END, paste_filter=PasteFilter())
    assert isinstance(paste, events.Paste)
    assert paste.text == "a\u241b[0m\u2412\tb\nc"


def test_typing_and_a_lone_escape_pass_at_once():
    paste_filter = PasteFilter()
    assert paste_filter.feed("hello") == "hello"
    assert paste_filter.feed("\x1b") == "\x1b"
    assert paste_filter.feed("[A") == "[A"
    assert paste_filter.feed("\x12") == "\x12"


async def test_the_driver_tells_a_listening_app_of_each_key_as_it_reads_it():
    """Before the key event makes its way to the app: streaming replies hold from then on."""

    class Listening(App[None]):
        def __init__(self) -> None:
            super().__init__()
            self.keys_read = asyncio.Queue[None]()

        def note_key_read(self) -> None:
            self.keys_read.put_nowait(None)

    app = Listening()
    driver = PasteSafeDriver(app)
    driver.fileno, typed = os.pipe()
    reader = threading.Thread(target=driver.run_input_thread)
    reader.start()
    try:
        os.write(typed, b"ab")
        for _ in "ab":
            await asyncio.wait_for(app.keys_read.get(), 30)
    finally:
        os.close(typed)  # the end of the input: the driver stops reading
        reader.join(30)
        os.close(driver.fileno)
    assert not reader.is_alive()
    assert app.keys_read.empty()
