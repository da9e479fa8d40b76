"""Sentinel values: unique markers that are never confused with real data."""

from __future__ import annotations

from typing import Final, final

__all__ = ["AWAIT", "CLEAR", "DEFAULT", "NO_VALUE", "Sentinel"]


@final
class Sentinel:
    """A named marker object compared by identity.

    Sentinels are falsy, print their name and survive `copy`/`deepcopy` unchanged.
    """

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> Sentinel:
        return self

    def __deepcopy__(self, memo: object) -> Sentinel:
        return self

    def __reduce__(self) -> str:
        return self._name


AWAIT: Final = Sentinel("AWAIT")
"""In an agent chain: wait until the previous reply is complete before going on."""

CLEAR: Final = Sentinel("CLEAR")
"""In an agent chain: start the next agent with no input messages."""

DEFAULT: Final = Sentinel("DEFAULT")
"""Use the default value (where `None` is a meaningful value of its own)."""

NO_VALUE: Final = Sentinel("NO_VALUE")
"""Marks the absence of a value (where `None` is a meaningful value of its own)."""
