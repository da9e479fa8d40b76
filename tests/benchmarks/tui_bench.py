"""Benchmark of miniagents-tui, headless. Run: `python tests/benchmarks/tui_bench.py` (prints JSON).

Headless: the app runs in this process with Textual's headless driver, so it measures the app's own
work (rendering, layout, the framework) without a terminal's input thread and output writer, and
without the provider SDKs. What a user feels in a real terminal is more (issue: a benchmark of the
installed executable in a pseudo-terminal).

- first paint: from process start (before imports) to the chat screen ready for typing (<= 400 ms);
- one pane: the demo model streaming 20,000 tokens at 5,000 tokens/s while a key is pressed every
  20 ms: every token rendered; key-to-redraw latency p50/p99 (p99 <= 50 ms), from posting the key
  event to the end of the first frame drawn after the prompt changed; the event loop's lag p99;
- four panes streaming 10,000 tokens each at 1,000 tokens/s, the same measures;
- a 1,000-message transcript reopened: time until it is shown and the prompt takes keys (<= 500 ms),
  and RSS (<= 200 MB);
- CPU use in the 2 s after the stream ends (back to idle).
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()

import asyncio  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[2]))

from textual import events  # noqa: E402
from textual.screen import Screen  # noqa: E402

from miniagents import Message  # noqa: E402
from miniagents.ext.llm.demo import demo_agent, split_into_tokens  # noqa: E402
from miniagents.transcript_format import render_transcript  # noqa: E402
from tui.app import ChatApp  # noqa: E402
from tui.cli import tune_garbage_collector  # noqa: E402
from tui.config import Settings  # noqa: E402
from tui.screens.chat import ChatScreen  # noqa: E402
from tui.screens.panel import PanelScreen  # noqa: E402
from tui.widgets.message_views import AssistantMessage, UserMessage  # noqa: E402
from tui.widgets.prompt import PromptInput  # noqa: E402

TOKENS = 20_000
RATE = 5_000.0
SIZE = (120, 40)


def _long_reply(tokens: int = TOKENS) -> str:
    """Markdown with a paragraph break every 60 words, a code block every 300, a heading every 500."""
    words = []
    for index in range(tokens):
        if index % 500 == 0:
            words.append("\n\n## Section\n\n")
        elif index % 300 == 0:
            words.append("\n\n```python\nprint('code')\n```\n\n")
        elif index % 60 == 0:
            words.append("\n\n")
        words.append(f" w{index}")
    return "".join(words)


async def _wait_for(condition, pilot, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not reached")
        await pilot.pause(0.005)


_REFRESHES: list[float] = []
"""When each screen refresh (the compositor writing a frame) ended."""


def _record_refreshes() -> None:
    original = Screen._compositor_refresh

    def recorded(self: Screen[object]) -> None:
        original(self)
        _REFRESHES.append(time.perf_counter())

    Screen._compositor_refresh = recorded  # type: ignore[method-assign]


async def _key_to_redraw(app: ChatApp, prompt: PromptInput) -> float:
    """Send a key as the terminal would; seconds until a frame showing it has been drawn."""
    before = prompt.text
    pressed = time.perf_counter()
    app.post_message(events.Key("x", "x"))
    while prompt.text == before:
        await asyncio.sleep(0.001)
    changed = time.perf_counter()
    while not _REFRESHES or _REFRESHES[-1] < changed:
        await asyncio.sleep(0.001)
    return next(t for t in _REFRESHES if t >= changed) - pressed


def _latency_summary(latencies: list[float], lag: LoopLag) -> dict[str, object]:
    ordered = sorted(latencies)
    return {
        "key_presses": len(ordered),
        "key_to_redraw_p50_ms": round(statistics.median(ordered) * 1000, 1),
        "key_to_redraw_p99_ms (<=50)": round(
            ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1
        ),
        "loop_lag_p99_ms": lag.p99_ms(),
    }


class LoopLag:
    """Measures how late the event loop runs a 5 ms timer: an upper bound for how long a key waits."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            self.lags.append(time.perf_counter() - before - 0.005)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._task is not None
        self._task.cancel()

    def p99_ms(self) -> float:
        lags = sorted(self.lags)
        return round(lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000, 1)


async def first_paint(folder: Path) -> float:
    app = ChatApp(Settings(), folder / "first.md")
    async with app.run_test(size=SIZE) as pilot:
        await _wait_for(lambda: isinstance(app.focused, PromptInput), pilot)
        return time.perf_counter() - PROCESS_START


async def streaming(folder: Path) -> dict[str, object]:
    reply = _long_reply()
    tokens = split_into_tokens(reply)
    app = ChatApp(Settings(), folder / "stream.md")
    async with app.run_test(size=SIZE) as pilot:
        app.session.agent = demo_agent.fork(script=[reply], tokens_per_second=RATE)
        await pilot.press("g", "o")
        started = time.perf_counter()
        await pilot.press("enter")
        await _wait_for(lambda: bool(app.screen.query(AssistantMessage)), pilot)
        pane = app.screen.query_one(AssistantMessage)
        latencies = []
        prompt = app.screen.query_one(PromptInput)
        lag = LoopLag()
        lag.__enter__()
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        while chat.streaming or not latencies:
            latencies.append(await _key_to_redraw(app, prompt))
            await asyncio.sleep(0.02)
        await _wait_for(lambda: not chat.streaming, pilot)
        lag.__exit__()
        elapsed = time.perf_counter() - started
        settle_started = time.perf_counter()
        try:
            await _wait_for(lambda: pane.body.source == reply, pilot, timeout=10)
            rendered_all = pane.text == reply
        except TimeoutError:
            rendered_all = False
            source = pane.body.source
            at = next(
                (i for i, (a, b) in enumerate(zip(source, reply, strict=False)) if a != b),
                min(len(source), len(reply)),
            )
            print("not rendered:", len(source), len(reply), repr(source[at - 40 : at + 40]), file=sys.stderr)
            print("expected:    ", repr(reply[at - 40 : at + 40]), file=sys.stderr)
        render_settle_ms = (time.perf_counter() - settle_started) * 1000
        await asyncio.sleep(1)
        cpu_before = time.process_time()
        await asyncio.sleep(1)
        idle_cpu = time.process_time() - cpu_before  # share of one core in the second after the first
    return {
        "tokens": len(tokens),
        "stream_seconds": round(elapsed, 2),
        "effective_tokens_per_s": round(len(tokens) / elapsed),
        "every_token_rendered": rendered_all,
        "render_settled_after_stream_ms": round(render_settle_ms, 1),
        **_latency_summary(latencies, lag),
        "cpu_share_1_to_2_s_after_stream": round(idle_cpu, 3),
    }


async def four_panes(folder: Path) -> dict[str, object]:
    """4 panes, each streaming about 10,000 tokens at 1,000 tokens/s, while a key is pressed every 20 ms."""
    script = _long_reply(10_000)
    app = ChatApp(Settings(models=["demo"] * 4), folder / "panel.md")
    async with app.run_test(size=(160, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, PanelScreen)
        screen.pane_agents = [demo_agent.fork(script=[script], tokens_per_second=1000) for _ in range(4)]
        await pilot.press("g", "o")
        started = time.perf_counter()
        await pilot.press("enter")
        await _wait_for(lambda: screen.busy, pilot)
        prompt = screen.query_one(PromptInput)
        latencies = []
        lag = LoopLag()
        lag.__enter__()
        while screen.busy:
            latencies.append(await _key_to_redraw(app, prompt))
            await asyncio.sleep(0.02)
        lag.__exit__()
        elapsed = time.perf_counter() - started
        texts = [[block.text for block in pane.query(AssistantMessage)] for pane in screen.panes]
    return {
        "panes": 4,
        "tokens_per_pane": len(split_into_tokens(script)),
        "all_text_complete": all(pane_texts == [script] for pane_texts in texts),
        "seconds": round(elapsed, 2),
        **_latency_summary(latencies, lag),
    }


async def long_transcript(folder: Path) -> dict[str, float]:
    path = folder / "long.md"
    messages = []
    for index in range(1000):
        if index % 2 == 0:
            messages.append(Message(text=f"Question {index}: how does this work?", role="user"))
        else:
            text = f"Answer {index}.\n\n- point one\n- point two\n\n```python\nprint({index})\n```\n"
            messages.append(Message(text=text, role="assistant", agent="demo", model="demo"))
    path.write_text(render_transcript({"title": "Long", "created": "2026"}, messages))
    started = time.perf_counter()
    app = ChatApp(Settings(), path)
    async with app.run_test(size=SIZE) as pilot:
        await _wait_for(lambda: isinstance(app.focused, PromptInput), pilot)
        prompt = app.screen.query_one(PromptInput)
        app.post_message(events.Key("k", "k"))
        await _wait_for(lambda: prompt.text == "k", pilot)
        interactive = time.perf_counter() - started
        await _wait_for(lambda: len(app.screen.query(UserMessage)) >= 15, pilot)
        await pilot.pause(0.05)
        shown = time.perf_counter() - started
        mounted = len(app.screen.query(UserMessage)) + len(app.screen.query(AssistantMessage))
    return {
        "interactive_ms (<=500)": round(interactive * 1000),
        "last_messages_shown_ms": round(shown * 1000),
        "messages_mounted": mounted,
        "peak_rss_mib (<=200)": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


async def main() -> None:
    tune_garbage_collector()  # as the `miniagents-tui` command does before the app starts
    _record_refreshes()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        result: dict[str, object] = {"first_paint_ms (<=400)": round(await first_paint(folder) * 1000)}
        result["long_transcript"] = await long_transcript(folder)
        result["one_pane_5000_tok_s"] = await streaming(folder)
        result["four_panes_1000_tok_s"] = await four_panes(folder)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
