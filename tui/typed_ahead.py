"""What is typed before the app is up: `LineEditor` takes the keys, `TypedAhead` hands them to the app."""

from __future__ import annotations

import unicodedata

__all__ = ["PASTE_END", "PASTE_START", "QUIT_KEY", "LineEditor", "TypedAhead"]

QUIT_KEY = "\x11"
"""Ctrl+Q quits while the app loads, as it does once it is up."""

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
"""What the terminal sends around pasted text (bracketed paste, turned on while the prompt reads)."""


class TypedAhead:
    """What was typed before the app was up.

    The prompt's text, whether Enter sent it, and the text typed after Enter in the same read (later
    keys wait for the app).

    (A plain class: `dataclasses` would add 15 ms before the prompt is drawn.)
    """

    __slots__ = ("after", "sent", "text")

    def __init__(self, text: str = "", sent: bool = False, after: str = "") -> None:
        self.text = text
        self.sent = sent
        self.after = after


class LineEditor:
    """The keys the instant prompt understands: text, Backspace, Ctrl+J (a new line), Enter, Ctrl+Q.

    Pasted text (which the terminal brackets) is taken as is, its line breaks as new lines. Escape
    sequences (arrows, function keys) and other control keys are dropped: they would act on a screen
    that is not there yet.
    """

    def __init__(self) -> None:
        self.text = ""
        self.sent = False
        self.quit = False
        self.after = ""
        """What was read after Enter, as read."""
        self._escape = ""  # an escape sequence read in part
        self._pasting = False

    def feed(self, chars: str) -> None:
        """Take `chars`, read from the terminal; what comes after Enter goes to `after` as it is."""
        for index, char in enumerate(chars):
            if self.quit:
                return
            if self.sent:
                self.after += chars[index:]
                return
            if self._escape:
                self._escape += char
                if _escape_ends(self._escape):
                    self._pasting = {PASTE_START: True, PASTE_END: False}.get(self._escape, self._pasting)
                    self._escape = ""
            elif char == "\x1b":
                self._escape = char
            elif char in "\r\n" and self._pasting:
                self.text += "\n"
            elif char == "\r":
                self.sent = bool(self.text.strip())
            elif char == "\n":
                self.text += "\n"
            elif char == QUIT_KEY:
                self.quit = True
            elif char in "\x7f\x08":
                self.text = self.text[:-1]
            elif char == "\t" or unicodedata.category(char)[0] != "C":
                self.text += char
        if self._escape == "\x1b":
            self._escape = ""  # a lone Esc at the end: the Esc key, not the start of a sequence


def _escape_ends(sequence: str) -> bool:
    """Whether `sequence` (starting with ESC) is complete: ESC x, ESC O x, or ESC [ ... final byte."""
    if len(sequence) == 2:
        return sequence[1] not in "[O"
    if sequence[1] == "O":
        return True
    return "@" <= sequence[-1] <= "~"
