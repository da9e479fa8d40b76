"""`Frozen`: deeply immutable pydantic models, compared and hashed by value."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

__all__ = ["Frozen", "plain"]

_SCALARS = (str, int, float, bool, type(None))


class Frozen(BaseModel):
    """An immutable pydantic model that accepts extra fields.

    Values are frozen on the way in: lists and tuples become tuples and dicts become `Frozen`
    objects, all the way down. Other mutable values are rejected. Two `Frozen` objects of the same
    class with the same content are equal and hash alike, in every run (`content_hash` is a SHA-256
    of a canonical JSON form, usable as an id).
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    _content_hash: str | None = PrivateAttr(default=None)

    if TYPE_CHECKING:
        # Extra fields are allowed: let type checkers accept any keyword and any attribute.
        def __init__(self, **data: Any) -> None: ...

        def __getattr__(self, name: str) -> Any: ...

    @model_validator(mode="before")
    @classmethod
    def _freeze_input(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: _freeze(value) for key, value in data.items()}
        return data

    def as_canonical(self) -> dict[str, Any]:
        """Return the content as plain JSON-compatible data, with the class name under `"class_"`."""
        canonical: dict[str, Any] = {"class_": type(self).__name__}
        for key, value in self:
            canonical[key] = _canonical(value)
        return canonical

    @property
    def content_hash(self) -> str:
        """A SHA-256 hex digest of the class name and content; equal objects have equal hashes."""
        if self._content_hash is None:
            encoded = json.dumps(
                self.as_canonical(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
            ).encode("utf-8", "surrogatepass")
            self._content_hash = hashlib.sha256(encoded).hexdigest()
        return self._content_hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frozen):
            return NotImplemented
        return type(self) is type(other) and self.content_hash == other.content_hash

    def __hash__(self) -> int:
        return int(self.content_hash[:16], 16)


def _freeze(value: Any) -> Any:
    if isinstance(value, _SCALARS) or isinstance(value, Frozen):
        return value
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ValueError(f"Frozen dict keys must be strings, got {type(key).__name__}: {key!r}")
        return Frozen(**value)
    raise ValueError(
        f"Frozen values must be str, int, float, bool, None, list, tuple, dict or Frozen;"
        f" got {type(value).__name__}"
    )


def _canonical(value: Any) -> Any:
    if isinstance(value, Frozen):
        return value.as_canonical()
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    return value


def plain(value: Any) -> Any:
    """`value` with `Frozen` objects turned back into dicts and tuples into lists (JSON-ready)."""
    if isinstance(value, Frozen):
        return {key: plain(item) for key, item in value}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value
