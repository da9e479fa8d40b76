"""`FramePacer`: the ticks at which streaming replies redraw, shared by every reply of an app."""

from __future__ import annotations

import asyncio
import math

__all__ = ["KEY_QUIET_SECONDS", "TICK_SECONDS", "FramePacer"]

TICK_SECONDS = 1 / 30
"""The display tick: at most one streaming reply redraws per tick (a lone reply: 30 times a second)."""

KEY_QUIET_SECONDS = 0.04
"""After a key press, streaming replies leave the screen alone this long: the frame that shows the
key is a small one (the prompt), never one that also redraws every streaming reply."""


class FramePacer:
    """Hands out the ticks at which streaming replies redraw: one reply per tick, in turn.

    Tokens that arrive between a reply's turns are drawn together. Replies streaming side by side
    take turns, so the work of one tick stays small; and no tick falls just after a key press
    (`note_key`), so a key never waits behind the redraw of a streaming reply.
    """

    def __init__(self) -> None:
        self._last_booked = -1
        self._last_key = -math.inf

    def note_key(self) -> None:
        """A key was pressed: keep the next `KEY_QUIET_SECONDS` free of stream redraws."""
        self._last_key = asyncio.get_running_loop().time()

    async def wait_turn(self) -> None:
        """Sleep until the next tick that no other reply has taken and no key press is near."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            earliest = max(now, self._last_key + KEY_QUIET_SECONDS)
            tick = max(math.floor(earliest / TICK_SECONDS) + 1, self._last_booked + 1)
            self._last_booked = tick
            await asyncio.sleep(tick * TICK_SECONDS - now)
            if loop.time() >= self._last_key + KEY_QUIET_SECONDS:
                return  # (else a key came while sleeping: take a later tick)
