"""`FramePacer`: while the user types, streaming replies redraw only between keys."""

import asyncio
import time

import pytest

from tui.widgets import frame_pacer
from tui.widgets.frame_pacer import FramePacer


@pytest.fixture
def long_holds(monkeypatch):
    """Holds far longer than any test step, so only the pacer's rules decide (never the clock)."""
    monkeypatch.setattr(frame_pacer, "KEY_HOLD_SECONDS", 60.0)


async def _let_run() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_without_keys_a_reply_gets_the_next_tick():
    pacer = FramePacer()
    first = await pacer.wait_turn()
    second = await pacer.wait_turn()
    assert second > first  # one turn per tick


async def test_slow_redraws_space_the_turns_out():
    """Redraws take at most REDRAW_SHARE of the time: the rest is for reading the streams and keys."""
    pacer = FramePacer()
    loop = asyncio.get_running_loop()
    for _ in range(frame_pacer.RECENT_REDRAWS):
        pacer.note_redrawn(loop.time() - 0.1)  # each took 100 ms
    first = await pacer.wait_turn()
    second = await pacer.wait_turn()
    assert second - first >= 0.1 / frame_pacer.REDRAW_SHARE


async def test_a_suspended_app_does_not_space_the_turns_out_for_long():
    """A redraw that spans a suspension (Ctrl+Z, a sleeping laptop) is not taken as its length."""
    pacer = FramePacer()
    pacer.note_redrawn(asyncio.get_running_loop().time() - 3600)  # an hour on screen, seemingly
    assert pacer.turn_interval <= frame_pacer.LONGEST_REDRAW_SECONDS / frame_pacer.REDRAW_SHARE


async def test_a_key_holds_replies_until_it_is_drawn_then_every_waiting_reply_redraws(long_holds):
    pacer = FramePacer()
    pacer.note_key()
    waiting = [asyncio.create_task(pacer.wait_turn()) for _ in range(2)]
    await _let_run()
    assert not any(task.done() for task in waiting)  # the key is not on screen yet

    pacer.note_key_drawn()
    await _let_run()
    assert all(task.done() for task in waiting)  # one frame redraws them all

    later = asyncio.create_task(pacer.wait_turn())
    await _let_run()
    assert not later.done()  # a reply that waits only now: the next drawn key
    pacer.note_key()
    pacer.note_key_drawn()
    await asyncio.wait_for(later, 5)


async def test_a_key_read_from_the_terminal_holds_replies_before_the_app_handles_it(long_holds):
    pacer = FramePacer()
    pacer.note_key_read()
    waiting = asyncio.create_task(pacer.wait_turn())
    await _let_run()
    assert not waiting.done()  # the key is on its way to the app
    pacer.note_key()
    pacer.note_key_drawn()
    await asyncio.wait_for(waiting, 5)


async def test_replies_waiting_together_share_a_turn():
    """Their redraws go into one frame: the screen is drawn once for all of them, not once each."""
    pacer = FramePacer()
    await pacer.wait_turn()
    waiting = [asyncio.create_task(pacer.wait_turn()) for _ in range(3)]
    turns = await asyncio.wait_for(asyncio.gather(*waiting), 5)
    assert len(set(turns)) == 1  # (each will say when the turn it took began: `note_redrawn`)


async def test_replies_that_shared_a_turn_count_once_among_the_recent_redraws():
    """Four panes' redraws of one frame are one redraw: they do not push the earlier ones out."""
    pacer = FramePacer()
    loop = asyncio.get_running_loop()
    pacer.note_redrawn(loop.time() - 0.2)  # a slow frame
    shared = await pacer.wait_turn()
    for _ in range(frame_pacer.RECENT_REDRAWS):
        pacer.note_redrawn(shared)  # a quick frame that many replies took part in
    assert pacer.turn_interval >= 0.2 / 3 / frame_pacer.REDRAW_SHARE  # (the mean of 0, 0.2 and ~0)


async def test_after_a_busy_loop_woke_the_replies_late_the_next_turn_is_an_interval_later():
    """A slow frame is not followed at once by another: the turns stay `turn_interval` apart."""
    pacer = FramePacer()
    await pacer.wait_turn()
    waiting = asyncio.create_task(pacer.wait_turn())
    await _let_run()  # it has booked its turn
    time.sleep(4 * frame_pacer.TICK_SECONDS)  # a slow frame: the loop is blocked past that turn
    late = await asyncio.wait_for(waiting, 5)
    after = await pacer.wait_turn()
    assert after - late >= frame_pacer.TICK_SECONDS


async def test_keys_faster_than_a_redraw_give_no_turn_however_long_they_last(long_holds):
    """A held key: no stream redraw between its repeats (one would make the next repeat wait)."""
    pacer = FramePacer()
    pacer.note_redrawn(await pacer.wait_turn() - 0.2)  # a reply just redrew, which took 200 ms
    pacer.note_key()  # the first key, after a pause
    waiting = asyncio.create_task(pacer.wait_turn())
    loop = asyncio.get_running_loop()
    held_since = loop.time()
    while loop.time() - held_since < 0.6:  # held past the 0.5 s after which a redraw used to be forced
        pacer.note_key()
        pacer.note_key_drawn()  # each key came right after the one before
        await asyncio.sleep(0.01)  # the key's repeat rate (not a wait for a state)
        assert not waiting.done()
    waiting.cancel()


async def test_one_slow_redraw_among_fast_ones_keeps_holding_replies_between_fast_keys(long_holds):
    """A redraw that scrolls the chat costs several of those that do not: the slowest recent one counts."""
    pacer = FramePacer()
    loop = asyncio.get_running_loop()
    pacer.note_redrawn(loop.time() - 0.2)  # slow
    for _ in range(frame_pacer.RECENT_REDRAWS - 1):
        pacer.note_redrawn(loop.time())  # fast
    pacer.note_key()
    waiting = asyncio.create_task(pacer.wait_turn())
    await _let_run()
    pacer.note_key()  # long before 1.5 x 200 ms after the last one, surely
    pacer.note_key_drawn()
    await _let_run()
    assert not waiting.done()

    pacer.note_redrawn(loop.time())  # the slow one is no longer recent
    pacer.note_key()
    pacer.note_key_drawn()
    await asyncio.wait_for(waiting, 5)


@pytest.mark.parametrize("read_first", [False, True], ids=["key", "key read then handled"])
async def test_the_first_key_after_a_pause_gives_a_turn_only_to_a_redraw_that_fits_a_typists_gap(
    long_holds, read_first
):
    """The long pause before it says nothing of when the next key comes (nor does its own read)."""
    pacer = FramePacer()
    loop = asyncio.get_running_loop()
    pacer.note_redrawn(loop.time() - frame_pacer.FIRST_KEY_GAP_SECONDS)  # a redraw as long as the gap
    if read_first:
        pacer.note_key_read()  # the terminal driver's notice, a few loop turns before the key event
    pacer.note_key()  # the first key for long (here: ever)
    waiting = asyncio.create_task(pacer.wait_turn())
    pacer.note_key_drawn()
    await _let_run()
    assert not waiting.done()

    for _ in range(frame_pacer.RECENT_REDRAWS):
        pacer.note_redrawn(loop.time())  # quick redraws: one fits
    pacer.note_key()
    pacer.note_key_drawn()
    await asyncio.wait_for(waiting, 5)


async def test_when_typing_stops_replies_redraw_on_the_ticks_again(monkeypatch):
    monkeypatch.setattr(frame_pacer, "KEY_HOLD_SECONDS", 0.05)
    pacer = FramePacer()
    pacer.note_key()  # never drawn (say, a key that changed nothing)
    await asyncio.wait_for(pacer.wait_turn(), 5)


@pytest.mark.parametrize("stale", [False, True], ids=["recent", "measured long ago"])
async def test_only_recent_slow_redraws_hold_replies_back_between_a_typists_keys(
    long_holds, monkeypatch, stale
):
    """A few slow redraws, long ago (the replies were filling their panes), no longer count whole:
    otherwise replies would stay still for as long as the user typed on."""
    monkeypatch.setattr(frame_pacer, "STALE_REDRAWS_SECONDS", 0.0 if stale else 60.0)
    pacer = FramePacer()
    loop = asyncio.get_running_loop()
    pacer.note_redrawn(loop.time() - 2 * frame_pacer.FIRST_KEY_GAP_SECONDS)  # slow: a layout
    for _ in range(frame_pacer.RECENT_REDRAWS - 1):
        pacer.note_redrawn(loop.time())  # quick
    pacer.note_key()  # the first key after a pause: the next one is taken to come a typist's gap later
    waiting = asyncio.create_task(pacer.wait_turn())
    await _let_run()
    pacer.note_key_drawn()
    await _let_run()
    assert waiting.done() == stale
    waiting.cancel()
