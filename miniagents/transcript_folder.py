"""A folder of Markdown transcripts: safe new names, listing, full-text search, retitling, deleting.

Functions here do blocking file I/O: call them from a worker thread (`asyncio.to_thread`) in async code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from miniagents.errors import UnsafeNameError
from miniagents.files import original_copy_path, write_atomically
from miniagents.transcript_format import (
    ParsedTranscript,
    TranscriptFormatError,
    read_transcript_file,
    render_front_matter,
    render_message,
)

__all__ = [
    "SearchHit",
    "TranscriptInfo",
    "UnsafeNameError",
    "confined_path",
    "delete_transcript",
    "list_transcripts",
    "new_transcript_path",
    "retitle_transcript",
    "search_transcripts",
]


@dataclass(frozen=True)
class TranscriptInfo:
    """A summary of one transcript, for a list of conversations."""

    path: Path
    title: str
    created: str
    modified: float
    """Last modification time (seconds since the epoch)."""
    models: tuple[str, ...]
    message_count: int
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    """A transcript that contains the searched text, with a snippet around the first match."""

    info: TranscriptInfo
    snippet: str
    matches: int


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:50].rstrip("-") or "chat"


def new_transcript_path(folder: str | os.PathLike[str], title: str = "", now: datetime | None = None) -> Path:
    """A fresh path in `folder` for a conversation: date, time and a slug of the title.

    The slug keeps only `a-z`, `0-9` and `-`, so the path can never leave `folder`.
    """
    now = now or datetime.now(UTC)
    stem = f"{now:%Y-%m-%d-%H%M%S}-{_slug(title)}"
    folder = Path(folder)
    path = folder / f"{stem}.md"
    counter = 2
    while path.exists():
        path = folder / f"{stem}-{counter}.md"
        counter += 1
    return path


def confined_path(folder: str | os.PathLike[str], name: str) -> Path:
    """The path of a user-given transcript name inside `folder`.

    Raises:
        UnsafeNameError: the name has path parts (`/`, `..`), is hidden, or is empty.
    """
    if not name or name != Path(name).name or name in (".", "..") or name.startswith(".") or "\x00" in name:
        raise UnsafeNameError(
            f"{name!r} is not a plain file name: give a name without folders, like 'my-chat.md'"
        )
    if not name.endswith(".md"):
        name += ".md"
    folder_path = Path(folder).resolve()
    path = (folder_path / name).resolve()
    if path.parent != folder_path:
        raise UnsafeNameError(f"{name!r} points outside the transcripts folder")
    return path


def _read(path: Path) -> tuple[TranscriptInfo, ParsedTranscript] | None:
    """The summary and the parsed content of one transcript (`None` if it cannot be read)."""
    try:
        parsed = read_transcript_file(path)
        modified = path.stat().st_mtime
    except (OSError, TranscriptFormatError):
        return None
    if parsed is None:
        return None
    models = tuple(
        dict.fromkeys(
            str(getattr(message, "model", None) or getattr(message, "agent", ""))
            for message in parsed.messages
            if getattr(message, "role", None) == "assistant"
        )
    )
    info = TranscriptInfo(
        path=path,
        title=str(parsed.fields.get("title") or path.stem),
        created=str(parsed.fields.get("created") or ""),
        modified=modified,
        models=models,
        message_count=len(parsed.messages),
        problems=tuple(parsed.problems),
    )
    return info, parsed


def _read_folder(folder: str | os.PathLike[str]) -> list[tuple[TranscriptInfo, ParsedTranscript]]:
    folder = Path(folder)
    if not folder.is_dir():
        return []
    read = [entry for path in folder.glob("*.md") if (entry := _read(path)) is not None]
    read.sort(key=lambda entry: entry[0].modified, reverse=True)
    return read


def list_transcripts(folder: str | os.PathLike[str]) -> list[TranscriptInfo]:
    """Summaries of the transcripts in `folder`, newest first (unreadable files are left out)."""
    return [info for info, _ in _read_folder(folder)]


def search_transcripts(folder: str | os.PathLike[str], query: str) -> list[SearchHit]:
    """Transcripts whose messages or title contain `query` (case-insensitive), newest first."""
    needle = query.casefold()
    if not needle:
        return []
    hits = []
    for info, parsed in _read_folder(folder):
        matches = 0
        snippet = ""
        for text in [info.title, *(message.text for message in parsed.messages)]:
            folded, origins = _folded(text)
            count = folded.count(needle)
            if count and not snippet:
                at = folded.find(needle)
                start, end = origins[at], origins[at + len(needle) - 1] + 1
                snippet = " ".join(text[max(0, start - 40) : end + 40].split())
            matches += count
        if matches:
            hits.append(SearchHit(info, snippet, matches))
    return hits


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` case-folded, and for each folded character the index of the character it came from.

    Folding can change lengths ("ß" becomes "ss"), so offsets in the folded text are mapped back
    through this list before the original text is cut.
    """
    folded: list[str] = []
    origins: list[int] = []
    for index, character in enumerate(text):
        piece = character.casefold()
        folded.append(piece)
        origins.extend([index] * len(piece))
    return "".join(folded), origins


def retitle_transcript(path: str | os.PathLike[str], title: str) -> Path | None:
    """Change a transcript's title (its file name stays); the rewrite is atomic.

    Returns where the file as it was is kept if it had problems (see `ChatHistoryMD`), else `None`.
    """
    path = Path(path)
    parsed = read_transcript_file(path)
    if parsed is None:
        raise FileNotFoundError(path)
    kept = None
    if parsed.problems:
        kept = original_copy_path(path)
        write_atomically(kept, parsed.source)
    fields = {**parsed.fields, "title": title}
    write_atomically(path, render_front_matter(fields) + "".join(render_message(m) for m in parsed.messages))
    return kept


def delete_transcript(path: str | os.PathLike[str]) -> None:
    """Delete a transcript file."""
    Path(path).unlink()
