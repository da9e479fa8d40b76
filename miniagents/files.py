"""Saving files safely: atomic replacement, private folders, and a free name for a kept copy."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from miniagents.errors import TranscriptWriteError

__all__ = ["make_private_folders", "original_copy_path", "write_atomically"]


def make_private_folders(folder: Path) -> None:
    """Create `folder` and every missing folder above it, each with mode 0700 whatever the umask."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir()
        os.chmod(created, 0o700)


def original_copy_path(path: Path) -> Path:
    """A free name beside `path` for a copy of it as it was (`chat.md.orig`, `chat.md.orig2`, ...)."""
    candidate, number = path.with_name(f"{path.name}.orig"), 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.orig{number}")
    return candidate


def write_atomically(path: Path, content: str | bytes) -> None:
    """Replace `path` with `content` so that a crash leaves the old file or the new one, whole.

    Raises:
        TranscriptWriteError: with the path and the reason; the old file is untouched.
    """
    folder = path.parent
    try:
        make_private_folders(folder)
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o600
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise TranscriptWriteError(
            f"could not save the transcript {path}: {error.strerror or error}"
        ) from error
    try:
        data = content.encode("utf-8") if isinstance(content, str) else content
        with os.fdopen(descriptor, "wb") as file:
            os.fchmod(file.fileno(), mode)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        with contextlib.suppress(OSError):
            directory = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
    except (OSError, UnicodeEncodeError) as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        reason = getattr(error, "strerror", None) or str(error)
        raise TranscriptWriteError(f"could not save the transcript {path}: {reason}") from error
