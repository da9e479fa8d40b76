"""Make untrusted text (model output, error bodies, titles, file names) safe to show in a terminal."""

from __future__ import annotations

import re

__all__ = ["visible"]

# C0 controls except tab and newline, DEL, C1 controls, and the Unicode BiDi embedding/override/isolate marks.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """Return `text` with every terminal control shown as a literal escape (ESC becomes backslash-x1b).

    Works on any chunk of a stream: each character is handled on its own, so a sequence split
    across chunks is neutralised just the same.
    """
    return _UNSAFE.sub(_escape, text)
