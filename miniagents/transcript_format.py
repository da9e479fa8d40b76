"""The Markdown transcript format: render a conversation to text and parse it back, exactly.

A transcript reads well in any Markdown viewer, and `cat`:

```
---
miniagents-transcript: 1
title: "Planning a trip"
created: "2026-11-27T06:50:00+00:00"
---

# Planning a trip

<!-- message 23 {"role":"user"} -->
### User

Where should I go in May?
<!-- /message -->

<!-- message 41 {"agent":"demo","model":"demo","role":"assistant"} -->
### Assistant · demo

Somewhere warm, with fewer crowds than June.
<!-- /message -->
```

- The front matter holds the title and other conversation fields, each value JSON-encoded.
- Each message is a section: a header comment with the length of its text in characters and its
  metadata as JSON, a heading naming the role (and, for assistants, the agent or model), a blank
  line, the text exactly as it was, a newline, and a closing comment. Comments stay out of a
  reader's way; the length lets the text contain anything at all (even this format's own markers)
  and still load byte for byte.
- Hand edits: if a text's length no longer matches, the loader falls back to the closing comment
  and reports the mismatch. A message cut off before its closing comment (a truncated file) loads
  with the text it has, marked `status="incomplete"`. A section that cannot be read is reported
  (file and line) and skipped; the rest still loads. Loading never changes the file; a history
  that rewrites a file loaded with problems first keeps the bytes as they were (`ChatHistoryMD`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miniagents.errors import TranscriptFormatError
from miniagents.messages import Message

__all__ = [
    "FORMAT_VERSION",
    "ParsedTranscript",
    "TranscriptFormatError",
    "parse_transcript",
    "read_transcript_file",
    "render_front_matter",
    "render_message",
    "render_transcript",
]

FORMAT_VERSION = 1

_HEADER = re.compile(r"^<!-- message (.*) -->\n", re.MULTILINE)
_CLOSING = "\n<!-- /message -->\n"
_FRONT_KEY = "miniagents-transcript"


@dataclass
class ParsedTranscript:
    """What `parse_transcript` found."""

    fields: dict[str, Any]
    """The front matter (title, created, ...)."""
    messages: list[Message]
    problems: list[str] = field(default_factory=list)
    """One line per problem: `name:line: what is wrong` (empty for a clean file)."""
    source: bytes = b""
    """The file's bytes exactly as read (set by `read_transcript_file`)."""


def _json(value: Any) -> str:
    # `>` is escaped so that no value can close the HTML comment it sits in.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).replace(
        ">", "\\u003e"
    )


def _display_line(text: str, limit: int = 120) -> str:
    line = " ".join(str(text).split())
    return line[:limit]


def render_heading(metadata: dict[str, Any]) -> str:
    """The visible heading of a message section: who wrote it, and marks that a Markdown viewer shows.

    The pane of a side-by-side reply, a partial reply's status and error, a picked winner, an
    alternative and a replaced message are all visible here; the comment above the heading keeps
    the same facts as data (the loader reads only that).
    """
    role = metadata.get("role")
    if role == "assistant":
        name = metadata.get("agent") or metadata.get("model") or "assistant"
        heading = f"### Assistant · {_display_line(name, 60)}"
    elif role == "system":
        heading = "### System"
    elif role == "user":
        heading = "### User"
    elif role == "tool":
        tool = metadata.get("tool_name") or metadata.get("agent") or "tool"
        heading = f"### Tool · {_display_line(tool, 60)}"
        if metadata.get("approval") == "denied":
            heading += " (denied)"
        elif metadata.get("is_error"):
            heading += " (error)"
        elif metadata.get("approval") == "allowed":
            heading += " (allowed)"
    else:
        heading = f"### {_display_line(metadata.get('agent') or role or 'Message', 60)}"
    calls = metadata.get("tool_calls")
    if isinstance(calls, list) and calls:
        names = ", ".join(str(call.get("name")) for call in calls if isinstance(call, dict))
        heading += f" · calls {_display_line(names, 80)}"
    branch = metadata.get("branch")
    if isinstance(branch, int) and not isinstance(branch, bool):
        heading += f" · pane {branch + 1}"
    status = metadata.get("status")
    if status in ("incomplete", "interrupted"):
        heading += f" ({status})"
    if metadata.get("error"):
        heading += f" · error: {_display_line(metadata['error'], 100)}"
    for flag, mark in (
        ("winner", " ★ winner"),
        ("alternative", " (alternative)"),
        ("superseded", " (superseded)"),
    ):
        if metadata.get(flag):
            heading += mark
    return heading


def render_message(message: Message) -> str:
    """One message section, starting with a blank line."""
    metadata = message.model_dump(mode="json", exclude={"text"})
    text = message.text
    return f"\n<!-- message {len(text)} {_json(metadata)} -->\n{render_heading(metadata)}\n\n{text}{_CLOSING}"


def render_front_matter(fields: dict[str, Any]) -> str:
    """The front matter and the title line."""
    lines = ["---", f"{_FRONT_KEY}: {FORMAT_VERSION}"]
    lines += [f"{key}: {_json(value)}" for key, value in fields.items() if key != _FRONT_KEY]
    lines.append("---")
    title = _display_line(fields.get("title") or "Untitled conversation")
    return "\n".join(lines) + f"\n\n# {title}\n"


def render_transcript(fields: dict[str, Any], messages: list[Message]) -> str:
    """The whole file for a conversation."""
    return render_front_matter(fields) + "".join(render_message(message) for message in messages)


def parse_transcript(text: str, name: str = "transcript") -> ParsedTranscript:
    """Parse a transcript's text, loading what is valid and reporting the rest.

    Raises:
        TranscriptFormatError: nothing in the text looks like a transcript.
    """
    problems: list[str] = []

    def line_of(position: int) -> int:
        return text.count("\n", 0, position) + 1

    fields, position = _parse_front_matter(text, name, problems)
    messages: list[Message] = []
    while True:
        header = _HEADER.search(text, position)
        if header is None:
            break
        start = header.start()
        if text[position:start].strip() and messages:
            problems.append(f"{name}:{line_of(position)}: unexpected text between messages was ignored")
        length_text, _, metadata_text = header.group(1).partition(" ")
        try:
            length = int(length_text)
            metadata = json.loads(metadata_text)
            if not isinstance(metadata, dict) or length < 0:
                raise ValueError("not a length and a JSON object")
        except ValueError as error:
            problems.append(f"{name}:{line_of(start)}: message header is not valid JSON ({error}); skipped")
            position = header.end()
            continue
        heading_end = text.find("\n", header.end())
        if heading_end == -1 or not text.startswith("### ", header.end()):
            problems.append(f"{name}:{line_of(start)}: message has no heading line; skipped")
            position = header.end()
            continue
        body_start = heading_end + 2
        if text[heading_end : heading_end + 2] != "\n\n":
            problems.append(f"{name}:{line_of(start)}: no blank line after the heading; skipped")
            position = header.end()
            continue
        body_end = body_start + length
        cut_off = False
        if text.startswith(_CLOSING, body_end):
            next_position = body_end + len(_CLOSING)
        else:
            following = _HEADER.search(text, body_start)
            section_end = following.start() if following is not None else len(text)
            closing = text.find(_CLOSING, body_start - 1, section_end)
            if closing == -1:
                cut_off = True
                problems.append(
                    f"{name}:{line_of(start)}: message is cut off (no closing comment);"
                    " kept what it has, marked incomplete"
                )
                body_end = _without_partial_closing(text, body_start, section_end)
                next_position = section_end
            else:
                problems.append(
                    f"{name}:{line_of(start)}: message text length does not match its header"
                    " (edited by hand?); read up to the closing comment"
                )
                body_end = max(closing, body_start)
                next_position = closing + len(_CLOSING)
        body = text[body_start:body_end]
        if cut_off:
            metadata["status"] = "incomplete"
        try:
            messages.append(Message(**metadata, text=body))
        except ValueError as error:
            problems.append(f"{name}:{line_of(start)}: message metadata is invalid ({error}); skipped")
        position = next_position
    if text[position:].strip():
        problems.append(f"{name}:{line_of(position)}: unexpected text at the end was ignored")
    if not messages and fields is None:
        raise TranscriptFormatError(
            f"{name} is not a MiniAgents transcript (no front matter and no messages)"
        )
    return ParsedTranscript(fields or {}, messages, problems)


def _without_partial_closing(text: str, start: int, end: int) -> int:
    """Where a cut-off message's text ends: before any start of its closing comment."""
    if end < len(text) and end > start and text[end - 1] == "\n":
        end -= 1  # the line break before the next message's header
    for size in range(len(_CLOSING) - 1, 0, -1):
        if end - size >= start and text.startswith(_CLOSING[:size], end - size):
            return end - size
    return end


def _parse_front_matter(text: str, name: str, problems: list[str]) -> tuple[dict[str, Any] | None, int]:
    if not text.startswith("---\n"):
        problems.append(f"{name}:1: no front matter; title unknown")
        return None, 0
    end = text.find("\n---\n", 3)
    if end == -1:
        problems.append(f"{name}:1: front matter is not closed")
        return None, 0
    fields: dict[str, Any] = {}
    for number, line in enumerate(text[4:end].split("\n"), start=2):
        key, separator, raw = line.partition(": ")
        if not separator:
            problems.append(f"{name}:{number}: front matter line is not `key: value`; ignored")
            continue
        try:
            fields[key] = json.loads(raw)
        except ValueError:
            problems.append(f"{name}:{number}: front matter value is not valid JSON; ignored")
    if fields.pop(_FRONT_KEY, None) is None:
        problems.append(f"{name}:1: front matter does not name the transcript format")
    position = end + len("\n---\n")
    title_end = text.find("\n", position + 1)
    if text.startswith("\n# ", position) and title_end != -1:
        position = title_end + 1
    return fields, position


def read_transcript_file(path: Path) -> ParsedTranscript | None:
    """Read and parse a transcript file (blocking); `None` if it does not exist.

    Invalid UTF-8 is replaced with U+FFFD and reported; the file is never modified.

    Raises:
        TranscriptFormatError: the file is not a transcript at all.
        OSError: the file cannot be read.
    """
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    problems: list[str] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problems.append(f"{path.name}:{line}: invalid UTF-8 (shown as \ufffd)")
        text = data.decode("utf-8", errors="replace")
    parsed = parse_transcript(text, path.name)
    parsed.problems[:0] = problems
    parsed.source = data
    return parsed
