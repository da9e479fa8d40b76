"""Cutting a reply's Markdown into pieces at paragraph breaks outside code, and finding its code blocks."""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = [
    "CHUNK_CHARS",
    "HARD_CHUNK_CHARS",
    "code_blocks",
    "extend_chunks",
    "markdown_chunks",
    "paragraph_breaks",
]

CHUNK_CHARS = 800
"""A long reply is shown as several pieces of about this size, cut at paragraph breaks: a frame of new
tokens re-renders only the last piece, so the cost of a frame does not grow with the reply."""

HARD_CHUNK_CHARS = 1200
"""A piece with no paragraph break for this long is cut at the next line break or space outside code
instead (the text goes on on a new line there): a paragraph thousands of words long would otherwise
make every frame render all of it again."""

_BREAK_OR_FENCE = re.compile(r"\n\n|^(?:```|~~~)", re.MULTILINE)
_SOFT_BREAK = re.compile(r"\n\n|^(?:```|~~~)|[ \n]", re.MULTILINE)

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

    After `HARD_CHUNK_CHARS` without one, the cut is at the first line break or space outside code.
    A prefix of a text is cut at the same places as the whole text, so a streaming reply can be cut as
    it grows.
    """
    chunks, start = [], 0
    inside_code = False
    for match in _SOFT_BREAK.finditer(text):
        found = match.group()
        if found not in ("\n\n", " ", "\n"):
            inside_code = not inside_code
            continue
        cut = match.end()
        if inside_code or cut >= len(text):
            continue
        if (found == "\n\n" and cut - start >= CHUNK_CHARS) or cut - start >= HARD_CHUNK_CHARS:
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
