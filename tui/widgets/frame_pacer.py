"""`FramePacer`: the turns at which streaming replies redraw, shared by every reply of an app."""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
from collections import deque

__all__ = [
    "FIRST_KEY_GAP_SECONDS",
    "KEY_HOLD_SECONDS",
    "LONGEST_REDRAW_SECONDS",
    "RECENT_REDRAWS",
    "REDRAW_SHARE",
    "STALE_REDRAWS_SECONDS",
    "TICK_SECONDS",
    "FramePacer",
]

TICK_SECONDS = 1 / 30
"""The shortest time between two turns: streaming replies redraw at most 30 times a second."""

REDRAW_SHARE = 0.5
"""Stream redraws take at most about this share of the time: turns come at least the mean of the
recent redraws divided by it apart.

With four panes at 1,000 tok/s each, a pane's redraw (a layout and a repaint of the pane) took
20-60 ms, and 30 of them a second left too little time to read the streams: the screen fell
further behind them the longer they ran (0.2-2.7 s at their end in `terminal_bench.py`; 0.2-0.3 s
with this share)."""

KEY_HOLD_SECONDS = 0.25
"""While keys arrive less than this apart, streaming replies redraw only between them: right
after each key is on screen. A redraw of the chat costs 20-40 ms on a 120x40 terminal; a key
that came during one waited for it. After this long without a key, the ticks take over again.

Keys that come faster than a redraw (a fast burst, a held key repeating) hold streaming replies
back until they pause this long: a key never waits behind a stream's frame. (A redraw forced after
0.5 s of held keys made the next key wait 40-70 ms, one stream at 1,000 tok/s in a real terminal.)"""

FIRST_KEY_GAP_SECONDS = 0.05
"""The first key after a pause is taken to be followed by the next this soon (a fast typist).

The gap before it says nothing of the next one: taken as it was (seconds), every redraw fitted, and
the turn it gave (a chat scroll of 30-50 ms, say) was on screen when the second key came."""

LONGEST_REDRAW_SECONDS = 0.25
"""A redraw measured as longer than this counts as this long: the app was suspended (Ctrl+Z) or
the machine slept. Counted whole, one such redraw would space the next turns seconds apart."""

RECENT_REDRAWS = 16
"""A redraw fits between two keys if the slowest of this many recent turns' would have (a redraw
that scrolls the chat takes several times one that does not, and comes every few frames)."""

STALE_REDRAWS_SECONDS = 0.5
"""Redraws measured longer ago than this may describe another screen (the replies were still
filling their panes, with a layout each frame): then twice a typical one of them (the text held
back meanwhile is measured in that redraw too), not the slowest, says whether a redraw fits
between keys. The redraw that fits brings the record up to date. (Judged by the slowest, replies
that filled their panes as the user began to type stayed still while the user typed on at 8 keys
a second: 8-73 redraws in 10 s, four panes at 1,000 tok/s. Judged by a typical one alone, keys
20 a second apart let a redraw through every second or so, which held 1 s of text and made the
next key wait 100-130 ms.)"""


class FramePacer:
    """Hands out the turns at which streaming replies redraw.

    Tokens that arrive between a reply's turns are drawn together, and replies streaming side by
    side (the panes of the panel view) redraw in the same turn, in one frame. (Given a turn each,
    four panes at 1,000 tok/s each redrew 3-5 times a second apiece, and showed text 0.23 s old at
    the median, 0.47-0.55 s at p90, in `tests/benchmarks/terminal_bench.py`; sharing turns gave 0.15
    and 0.22 s.) Slow redraws space the turns out. While the user types (`note_key`), turns come
    only right after a key has been drawn (`note_key_drawn`), so the next key, a typist's 50 ms or
    more later, finds the screen free: a key never waits behind the redraw of a streaming reply.
    (Four panes at 1,000 tok/s each, keys 120 ms apart: 620-630 pane redraws while 80 keys were
    typed, text 0.21-0.23 s old at the median; keys 50 ms apart leave no room for a redraw here.)
    """

    def __init__(self) -> None:
        self._free_turn_at = -math.inf  # the next free turn booked, for every reply waiting
        self._last_free_turn = -math.inf  # when a reply last got a turn with no key to wait for
        self._last_key = -math.inf
        self._key_gap = FIRST_KEY_GAP_SECONDS  # between the last two keys (a burst's first: assumed)
        self._recent = deque([0.0], maxlen=RECENT_REDRAWS)  # latest turns: from turn to on screen
        self._recent_turn = -math.inf  # when the newest of them began (its replies share one entry)
        self._redrawn_at = -math.inf  # when the newest of them was on screen
        self._key_turn = asyncio.Event()  # set when a drawn key gives a turn (then a new one)
        self._key_turn_given = -math.inf  # when a drawn key last gave a turn
        self._key_read = -math.inf  # when the terminal's input last held a key (`note_key_read`)

    def note_key_read(self) -> None:
        """A key was read from the terminal: hold stream redraws from now, before the app handles it.

        The key takes several turns of the event loop to reach the app; a stream's redraw started
        meanwhile would be in the frame the key waits for. It holds them as a key pressed does.
        """
        self._key_read = asyncio.get_running_loop().time()

    def note_key(self) -> None:
        """A key was pressed: hold stream redraws until it is drawn."""
        now = asyncio.get_running_loop().time()
        after_key = now < self._last_key + KEY_HOLD_SECONDS  # (a key read meanwhile does not count)
        self._key_gap = now - self._last_key if after_key else FIRST_KEY_GAP_SECONDS
        self._last_key = now

    def note_key_drawn(self) -> None:
        """The frame that shows the last key is out: the streaming replies waiting may redraw now.

        Only if that redraw is likely done before the next key comes, judged by the last gap between
        keys and the recent redraws (`STALE_REDRAWS_SECONDS`).
        """
        now = asyncio.get_running_loop().time()
        if now + self._redraw_estimate(now) < self._last_key + self._key_gap:
            turn, self._key_turn = self._key_turn, asyncio.Event()
            self._key_turn_given = now
            turn.set()  # (every reply waiting for it takes this turn)

    def note_redrawn(self, turn_started: float) -> None:
        """A stream's redraw, whose turn began at `turn_started` (`wait_turn`'s), is on screen.

        The replies that shared a turn count once, as the slowest of them.
        """
        now = asyncio.get_running_loop().time()
        took = min(now - turn_started, LONGEST_REDRAW_SECONDS)
        if turn_started == self._recent_turn:
            self._recent[-1] = max(self._recent[-1], took)
        else:
            self._recent.append(took)
            self._recent_turn = turn_started
        self._redrawn_at = now

    def _redraw_estimate(self, now: float) -> float:
        """How long a stream's turn takes to be on screen (`STALE_REDRAWS_SECONDS`).

        As long as the slowest recent one, or as two typical ones when none is recent.
        """
        if now - self._redrawn_at < STALE_REDRAWS_SECONDS:
            return max(self._recent)
        return 2 * statistics.median(self._recent)

    @property
    def turn_interval(self) -> float:
        """How far apart free turns are now: `TICK_SECONDS`, or more while redraws are slow."""
        return max(TICK_SECONDS, sum(self._recent) / len(self._recent) / REDRAW_SHARE)

    @property
    def typing(self) -> bool:
        """Whether keys are coming: then redraws that are not theirs (a status line's) should wait."""
        return self._typing(asyncio.get_running_loop().time())

    def _typing(self, now: float) -> bool:
        return now < self._hold_ends()

    def _hold_ends(self) -> float:
        """When keys stop holding stream redraws: `KEY_HOLD_SECONDS` after the last one pressed or read."""
        return max(self._last_key, self._key_read) + KEY_HOLD_SECONDS

    async def wait_turn(self) -> float:
        """Wait for the next turn: the next free one, or, while the user types, a drawn key.

        Every reply waiting when a turn comes takes it, so their redraws share one frame. Free turns
        are `turn_interval` apart, also when the loop wakes the replies late. Returns the loop time
        the turn began (the same for every reply that takes it), for `note_redrawn`.
        """
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self._typing(now):
                if await self._await_key_turn(self._hold_ends() - now):
                    return self._key_turn_given
                continue
            if self._free_turn_at < now:  # no turn booked: book the next one
                self._free_turn_at = max(now, self._last_free_turn + self.turn_interval)
            turn_at = self._free_turn_at
            await asyncio.sleep(turn_at - now)
            now = loop.time()
            if self._typing(now):
                continue  # a key came while sleeping: wait for it to be drawn
            if self._last_free_turn < turn_at:  # the first of this turn's replies to wake
                self._last_free_turn = now  # (the next one is an interval after this, however late)
            return self._last_free_turn

    async def _await_key_turn(self, seconds: float) -> bool:
        """Wait for `note_key_drawn` to hand out a turn (True), or `seconds` (typing stopped: False)."""
        turn = self._key_turn
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await turn.wait()
                return True
        return False
