"""`FramePacer`: the ticks at which streaming replies redraw, shared by every reply of an app."""

from __future__ import annotations

import asyncio

__all__ = ["TICK_SECONDS", "FramePacer"]

TICK_SECONDS = 1 / 30
"""The display tick: at most one streaming reply redraws per tick (a lone reply: 30 times a second)."""


class FramePacer:
    """Hands out the ticks at which streaming replies redraw: one reply per tick, in turn.

    Tokens that arrive between a reply's turns are drawn together. Replies streaming side by side
    take turns, so the work of one tick stays small and a key press is never stuck behind the
    redraw of every pane at once.
    """

    def __init__(self) -> None:
        self._last_booked = -1

    async def wait_turn(self) -> None:
        """Sleep until the next tick that no other reply has taken."""
        now = asyncio.get_running_loop().time()
        tick = max(int(now / TICK_SECONDS) + 1, self._last_booked + 1)
        self._last_booked = tick
        await asyncio.sleep(tick * TICK_SECONDS - now)
