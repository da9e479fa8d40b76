"""Benchmark: the installed `miniagents-tui` in a real pseudo-terminal, measured as a user meets it.

Run: `python tests/benchmarks/terminal_bench.py [--runs N]` (prints JSON; about a minute a run).

Unlike `tui_bench.py` (the app headless, in-process, with the demo model: good for finding which
part of a frame costs what), this starts the executable on a 120x40 pty (`TERM=xterm-256color`),
talking to a local OpenAI-compatible server (the fake one of the tests) through `--model
openai:<name>` and `OPENAI_BASE_URL`. Keys are written to the pty, and what is on screen is read
back through a terminal emulator (pyte), so every cost a user pays is in: start-up imports, the SDK
parsing each streamed chunk, Textual's input thread and output writer, and the bytes on the wire.

Each run reports, with the goals of issue #15:
- `start_to_typed_char_s`: the command starts -> a character typed at once is visible (<= 0.4 s; the
  instant prompt draws it, `tui/instant_prompt.py`), and `start_to_app_drawn_s`: -> the app's own
  first frame (its footer) is on screen;
- `tokens_per_s_20000`: one 20,000-token reply sent as fast as the server can, tokens / (Enter ->
  the last token on screen) (>= 5,000);
- `key_echo_ms_one_stream_1000`: key -> its echo while one reply streams at 1,000 tok/s (p99 <= 50);
- `key_echo_ms_four_panes_1000`: the same with four panes at 1,000 tok/s each (p99 <= 50), how far
  the screen is behind the streams at their end, and how far behind they are while they run (the
  screen never more than 0.1 s behind): `while_typing` (the 80 keys, 50 ms apart) and `after_typing`
  (to the end), each with the frames that showed a pane more text, how far behind it was just before
  them (median, p90, worst), and how far behind the furthest pane is when the phase ends. Before
  those 80 keys, as soon as the four replies show text, a `typist` types 40 keys 120 ms apart: their
  echo, and how far behind the panes were meanwhile;
- `key_echo_ms_agent_tool_1000`: the same while a tool that is an agent streams its reply at
  1,000 tok/s inside its tool block (issue #14: p99 <= 50);
- `typing_ms_one_stream_2000`: each character typed at 10/s while a reply streams at 2,000 tok/s
  (every one <= 50);
- `key_echo_ms_right_after_enter`: a key typed with the Enter that sends a prompt, while the reply's
  blocks are being added (before its text streams), for the two replies above (no goal of its own);
- `idle_cpu_s_over_3s`: CPU the app uses in 3 s after the streams (keep it near 0);
- `quit_s`: Ctrl+Q -> the process has exited;
and, for each, the load average, the share of the machine that other processes used meanwhile, and
`python_ms`: how long a fixed piece of pure-Python work took here just before and just after it.
On the same 2-core machine, with other processes using none of it, that time went from 35 to 73 ms
and back within minutes, and the figures above with it: compare runs whose `python_ms` match.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))

from tests.fakes.llm_server import Call, FakeLLMServer, RecordedRequest, Reply
from tests.fakes.terminal import Terminal, app_environment

COLUMNS, LINES = 120, 40
KEYS = 80
TYPIST_KEYS, TYPIST_PAUSE = 40, 0.12  # a fast typist: 8 keys a second


def python_ms() -> float:
    """Milliseconds, the best of 3, that a fixed piece of pure-Python work takes here now."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(300_000):
            total += len(str(number)) ^ (number & 7)
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


class Machine:
    """CPU time of the whole machine, of the app and of this process, to tell what else ran."""

    def __init__(self, app_pid: int) -> None:
        self.app_pid = app_pid
        self.python_ms = python_ms()
        self.started = self._sample()

    @staticmethod
    def _total() -> tuple[float, float]:
        fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) / os.sysconf("SC_CLK_TCK"), idle / os.sysconf("SC_CLK_TCK")

    def app_cpu(self) -> float:
        """CPU seconds the app has used so far."""
        return self._process(self.app_pid)

    def _process(self, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (float(fields[11]) + float(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _sample(self) -> tuple[float, float, float, float]:
        total, idle = self._total()
        return total, idle, self._process(self.app_pid), time.process_time()

    def report(self) -> dict[str, object]:
        total, idle, app, own = self._sample()
        total0, idle0, app0, own0 = self.started
        busy = (total - total0) - (idle - idle0)
        others = max(0.0, busy - (app - app0) - (own - own0))
        span = max(total - total0, 1e-9)
        return {
            "load_1min": round(os.getloadavg()[0], 2),
            "others_share_of_machine": round(others / span, 3),
            "python_ms": [self.python_ms, python_ms()],
        }


class App:
    """`miniagents-tui` on a pty, with a fine-grained wait on what the screen shows."""

    def __init__(
        self, server: FakeLLMServer, models: list[str], folder: Path, tools: str | None = None
    ) -> None:
        executable = shutil.which("miniagents-tui") or str(Path(sys.executable).parent / "miniagents-tui")
        env = app_environment(folder, server.openai_base_url)
        args = [executable, "--max-retries", "0"]
        if tools is not None:  # a module of this checkout: found through PYTHONPATH
            args += ["--tools", tools]
            env["PYTHONPATH"] = str(Path(__file__).parents[2])
        for model in models:
            args += ["--model", model]
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.started = time.monotonic()
        self.terminal = Terminal(args, env, folder, COLUMNS, LINES)

        self.raw = bytearray()
        self.lag: ScreenLag | None = None  # sampled at every read while set
        self._fed = 0  # how much of `raw` pyte has seen (it is fed only when the screen is looked at)

    def text(self) -> str:
        """The screen as the terminal shows it now."""
        if self._fed < len(self.raw):
            self.terminal.stream.feed(bytes(self.raw[self._fed :]))
            self._fed = len(self.raw)
        return "\n".join(self.terminal.screen.display)

    def read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.terminal.master], [], [], timeout)
        if ready:
            self.raw += os.read(self.terminal.master, 1 << 20)
            if self.lag is not None:
                self.lag.sample()

    def wait(self, condition: Callable[[], bool], timeout: float = 60.0) -> float:
        """Read the pty until `condition()` holds (checked after every read); the time it held."""
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the screen never got there:\n{self.text()}")
            self.read(min(left, 0.05))
        return time.monotonic()

    def wait_for_bytes(self, *markers: bytes, since: int, timeout: float = 60.0) -> float:
        """Read until every one of `markers` (regular expressions) has matched output written after
        offset `since`; the time it did. Only new output is searched (with an overlap of 32 bytes).
        """
        missing = {marker: re.compile(marker) for marker in markers}
        searched = since

        def all_found() -> bool:
            nonlocal searched
            start = max(since, searched - 32)
            for marker, pattern in list(missing.items()):
                if pattern.search(self.raw, start) is not None:
                    del missing[marker]
            searched = len(self.raw)
            return not missing

        return self.wait(all_found, timeout)

    def key_to_screen(self, key: bytes, marker: bytes) -> float:
        """Send `key`; seconds until the app writes `marker` (a regular expression matching what only
        that key's effect draws)."""
        since = len(self.raw)
        sent = time.monotonic()
        self.terminal.send(key)
        return self.wait_for_bytes(marker, since=since) - sent

    def saved_interrupted(self) -> int:
        """How many replies the transcripts hold that were stopped part-way."""
        return sum(path.read_text().count("(interrupted)") for path in self.folder.glob("transcripts/*.md"))

    def quit(self) -> float:
        sent = time.monotonic()
        self.terminal.send(b"\x11")
        while self.terminal.process.poll() is None:
            if time.monotonic() - sent > 30:
                raise TimeoutError("the app did not quit")
            try:
                self.read(0.02)
            except OSError:
                break
        self.terminal.process.wait()
        return time.monotonic() - sent

    def close(self) -> None:
        self.terminal.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def milliseconds(values: list[float]) -> dict[str, object]:
    worst = sorted(range(len(values)), key=lambda index: -values[index])[:3]
    return {
        "p50": round(statistics.median(values) * 1000, 1),
        "p90": round(percentile(values, 0.9) * 1000, 1),
        "p99": round(percentile(values, 0.99) * 1000, 1),
        "max": round(max(values) * 1000, 1),
        "worst_keys": [(index, round(values[index] * 1000)) for index in worst],  # (which key, ms)
    }


class ScreenLag:
    """How far behind its stream each pane's text is on screen, sampled at every frame that shows it more.

    A stream's tokens are `<prefix><index> `. Just before a frame shows a pane's newer tokens, the pane
    was behind its stream by the time since the server wrote the first token the pane did not show yet
    (0 if it showed all written so far): the most it was behind since its last frame.
    """

    def __init__(self, app: App, requests: list[RecordedRequest], since: int) -> None:
        """Track the streams `requests` answered; what the output since offset `since` shows is shown."""
        self.app = app
        self.sent_at = {}  # prefix -> when the server wrote each of its tokens
        for request in requests:
            assert isinstance(request.answer, Reply)
            self.sent_at[request.answer.tokens[0][0]] = request.token_sent_at
        self.pattern = re.compile(f"([{''.join(self.sent_at)}])(\\d+) ".encode())
        self.shown = dict.fromkeys(self.sent_at, -1)  # prefix -> the newest token index on screen
        self.lags: list[float] = []
        self.scanned = since
        self.sample(record=False)

    def sample(self, record: bool = True) -> None:
        """Look at the output written since the last call (and `record` how far behind it was)."""
        now = time.monotonic()
        newest: dict[str, int] = {}
        for match in self.pattern.finditer(self.app.raw, max(0, self.scanned - 16)):
            prefix, index = match.group(1).decode(), int(match.group(2))
            newest[prefix] = max(newest.get(prefix, -1), index)
        self.scanned = len(self.app.raw)
        for prefix, index in newest.items():
            if index > self.shown[prefix]:
                sent_at = self.sent_at[prefix]
                first_unshown = self.shown[prefix] + 1
                if record and first_unshown < len(sent_at):
                    self.lags.append(max(0.0, now - sent_at[first_unshown]))
                self.shown[prefix] = index

    def report(self) -> dict[str, object]:
        """Seconds behind, over every pane: the median and the worst of the samples (None without
        any: no frame showed newer text), how many there were, and the most behind a pane is now."""
        now = time.monotonic()
        lags = self.lags
        behind_now = [
            now - sent_at[self.shown[prefix] + 1]
            for prefix, sent_at in self.sent_at.items()
            if self.shown[prefix] + 1 < len(sent_at)
        ]
        return {
            "frames_showing_more": len(lags),
            "behind_s_p50": round(statistics.median(lags), 3) if lags else None,
            "behind_s_p90": round(percentile(lags, 0.9), 3) if lags else None,
            "behind_s_max": round(max(lags), 3) if lags else None,
            "behind_s_now": round(max(behind_now, default=0.0), 3),
        }


def tokens(count: int, prefix: str = "t") -> list[str]:
    return [f"{prefix}{i} " for i in range(count)]


PLACEHOLDER = rb"Enter sends|One message to every pane"
"""The prompt's placeholder: drawn when the prompt becomes empty (after a backspace, say)."""
CLEAR_PROMPT = b"\x15"
"""Ctrl+U: the prompt's text from its start to the cursor goes."""
APP_FOOTER = rb"Stop reply"
"""Drawn by the app's first frame (its footer), not by the instant prompt."""
TYPED = "".join(chr(code) for code in range(0x100, 0x250))
"""Keys to type (Latin Extended letters), each once: it is written only where the prompt shows it,
so its first bytes in the output are its echo (the stream's tokens are ASCII)."""
RIGHT_AFTER_ENTER = "ɐɑ"
"""Typed in the same write as the Enter that starts a reply (not in `TYPED`)."""


def start(server: FakeLLMServer, folder: Path, models: list[str]) -> tuple[App, float, float]:
    """Start the app and type a key at once; the app, and the seconds until the key was drawn and
    until the app's own first frame was."""
    app = App(server, models, folder)
    app.terminal.send("ж".encode())  # typed at once, before anything is drawn: the terminal keeps it
    # the app's own drawing of it, after it has entered the alternate screen (not the kernel's echo)
    app.wait_for_bytes(re.escape(b"\x1b[?1049h"), since=0)
    shown = app.wait_for_bytes("ж".encode(), since=app.raw.find(b"\x1b[?1049h"))
    drawn = app.wait_for_bytes(APP_FOOTER, since=0)
    app.key_to_screen(b"\x7f", PLACEHOLDER)
    return app, shown - app.started, drawn - app.started


def keys_while_streaming(app: App, keys: str, pause: float = 0.05) -> list[float]:
    """Type `keys`, `pause` apart; the seconds each took to show."""
    latencies = []
    for key in keys:
        latencies.append(app.key_to_screen(key.encode(), key.encode()))
        time.sleep(max(0.0, pause - latencies[-1]))
    return latencies


def stop_reply(app: App) -> float:
    """Esc; seconds until the reply is saved as interrupted."""
    before = app.saved_interrupted()
    sent = time.monotonic()
    app.terminal.send(b"\x1b")
    return app.wait(lambda: app.saved_interrupted() > before, 120) - sent


def run_once(server: FakeLLMServer, folder: Path) -> dict[str, object]:
    result: dict[str, object] = {}

    # start-up, then one long reply as fast as the server can send it
    app, started, drawn = start(server, folder / "a", ["openai:fast"])
    result["start_to_typed_char_s"] = round(started, 3)
    result["start_to_app_drawn_s"] = round(drawn, 3)
    machine = Machine(app.terminal.process.pid)
    server.script(Reply(tokens=tokens(20_000)))
    app.key_to_screen("й".encode(), "й".encode())
    since = len(app.raw)
    sent = time.monotonic()
    app.terminal.send(b"\r")
    shown = app.wait_for_bytes(b"t19999", since=since, timeout=120)
    result["tokens_per_s_20000"] = round(20_000 / (shown - sent))
    result["tokens_per_s_20000_machine"] = machine.report()

    # keys while one reply streams at 1,000 tok/s
    machine = Machine(app.terminal.process.pid)
    # (each reply's tokens have their own prefix: the text of earlier ones is drawn again when the
    # chat scrolls, and would be taken for this one's)
    server.script(Reply(tokens=tokens(300_000, "u"), delay=0.001))  # stopped with Esc long before its end
    since = len(app.raw)
    after_enter = [
        app.key_to_screen(b"more\r" + RIGHT_AFTER_ENTER[0].encode(), RIGHT_AFTER_ENTER[0].encode())
    ]
    app.wait_for_bytes(rb"u\d{3,} ", since=since)
    echo = keys_while_streaming(app, TYPED[:KEYS])
    result["key_echo_ms_one_stream_1000"] = {
        **milliseconds(echo),
        "esc_to_saved_interrupted_s": round(stop_reply(app), 3),
        **machine.report(),
    }

    # typing at 10 characters a second while a reply streams at 2,000 tok/s
    machine = Machine(app.terminal.process.pid)
    server.script(Reply(tokens=tokens(300_000, "v"), delay=0.0005))
    since = len(app.raw)
    after_enter.append(
        app.key_to_screen(b"again\r" + RIGHT_AFTER_ENTER[1].encode(), RIGHT_AFTER_ENTER[1].encode())
    )
    app.wait_for_bytes(rb"v\d{3,} ", since=since)
    typed = keys_while_streaming(app, TYPED[KEYS : KEYS + 40], pause=0.1)
    stop_reply(app)  # (before the report: its Python timing would compete with the stream)
    result["typing_ms_one_stream_2000"] = {**milliseconds(typed), **machine.report()}
    result["key_echo_ms_right_after_enter"] = [round(seconds * 1000, 1) for seconds in after_enter]

    # idle, then quit
    machine = Machine(app.terminal.process.pid)
    cpu_before = machine.app_cpu()
    until = time.monotonic() + 3.0
    app.wait(lambda: time.monotonic() >= until)  # reads whatever the app still draws
    result["idle_cpu_s_over_3s"] = round(machine.app_cpu() - cpu_before, 3)
    result["quit_s"] = round(app.quit(), 3)
    app.close()

    # keys while a tool that is an agent streams its reply at 1,000 tok/s inside its block
    app = App(server, ["openai:fast"], folder / "c", tools="tests.benchmarks.bench_tools:tools")
    app.wait_for_bytes(PLACEHOLDER, since=0)
    machine = Machine(app.terminal.process.pid)
    server.script(
        Reply(tokens=["Asking."], calls=[Call("narrator", '{"topic": "a fox"}', id="n1")]),
        Reply(tokens=tokens(300_000, "s"), delay=0.001),
    )
    since = len(app.raw)
    app.terminal.send(b"story\r")
    app.wait_for_bytes(rb"s\d{3,} ", since=since)
    echo = keys_while_streaming(app, TYPED[KEYS + 40 : 2 * KEYS + 40])
    result["key_echo_ms_agent_tool_1000"] = {
        **milliseconds(echo),
        "esc_to_saved_interrupted_s": round(stop_reply(app), 3),
        **machine.report(),
    }
    app.quit()
    app.close()

    # four panes, each streaming at 1,000 tok/s
    app = App(server, [f"openai:{name}" for name in "abcd"], folder / "b")
    app.wait_for_bytes(PLACEHOLDER, since=0)
    machine = Machine(app.terminal.process.pid)
    count = 15_000
    server.script(*[Reply(tokens=tokens(count, prefix), delay=0.001) for prefix in "wxyz"])
    first = len(server.requests)
    since = len(app.raw)
    app.terminal.send(b"all\r")
    app.wait_for_bytes(*(f"{prefix}\\d{{3,}} ".encode() for prefix in "wxyz"), since=since)
    answers = server.requests[first:]
    app.lag = ScreenLag(app, answers, since)
    typist = keys_while_streaming(app, TYPED[:TYPIST_KEYS], pause=TYPIST_PAUSE)
    behind_while_typist_types = app.lag.report()
    app.lag.lags.clear()
    cleared = len(app.raw)
    app.terminal.send(CLEAR_PROMPT)  # (the 80 keys below then fit on the prompt's line, as alone)
    app.wait_for_bytes(PLACEHOLDER, since=cleared)
    echo = keys_while_streaming(app, TYPED[KEYS + 40 : 2 * KEYS + 40])
    behind_while_typing = app.lag.report()
    app.lag.lags.clear()
    shown = app.wait_for_bytes(*(f"{p}{count - 1}".encode() for p in "wxyz"), since=since, timeout=120)
    behind_after_typing = app.lag.report()
    app.lag = None
    app.wait(lambda: all(request.answered_at is not None for request in answers))
    # when the server had written the last of them (not when it meant to: it shares this process)
    streams_end = max(request.answered_at or 0.0 for request in answers)
    result["key_echo_ms_four_panes_1000"] = {
        **milliseconds(echo),
        "screen_behind_streams_at_end_s": round(max(0.0, shown - streams_end), 3),
        "while_typing": behind_while_typing,
        "after_typing": behind_after_typing,
        "typist": {**milliseconds(typist), "while_typing": behind_while_typist_types},
        **machine.report(),
    }
    app.quit()
    app.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    runs = []
    with FakeLLMServer() as server, tempfile.TemporaryDirectory() as folder:
        for number in range(args.runs):
            runs.append(run_once(server, Path(folder) / str(number)))
    print(json.dumps({"runs": runs}, indent=2))


if __name__ == "__main__":
    main()
