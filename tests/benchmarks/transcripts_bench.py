"""Benchmark of Markdown transcripts. Run: `python tests/benchmarks/transcripts_bench.py` (prints JSON).

- list a folder of 1,000 transcripts (target <= 300 ms);
- load a 1,000-message transcript (target <= 200 ms);
- log one more message to a 1,000-message transcript, saved atomically with fsync (target <= 20 ms).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from miniagents import ChatHistoryMD, Message
from miniagents.ext.llm.demo import demo_reply_text
from miniagents.transcript_folder import list_transcripts
from miniagents.transcript_format import render_transcript


def _conversation(size: int) -> list[Message]:
    messages = []
    for index in range(size):
        if index % 2 == 0:
            messages.append(Message(text=f"Question number {index} about topic {index % 17}?", role="user"))
        else:
            text = demo_reply_text(f"question {index}")
            messages.append(Message(text=text, role="assistant", model="demo", usage={"output_tokens": 120}))
    return messages


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        for index in range(1000):
            path = folder / f"chat-{index:04d}.md"
            path.write_text(
                render_transcript({"title": f"Chat {index}", "created": "2026"}, _conversation(6))
            )
        started = time.perf_counter()
        listed = list_transcripts(folder)
        list_ms = (time.perf_counter() - started) * 1000
        assert len(listed) == 1000

        big = folder / "big" / "long.md"
        big.parent.mkdir()
        big.write_text(render_transcript({"title": "Long", "created": "2026"}, _conversation(1000)))
        started = time.perf_counter()
        history = ChatHistoryMD(big)
        loaded = await history.aload_chat_history()
        load_ms = (time.perf_counter() - started) * 1000
        assert len(loaded) == 1000

        append_ms = []
        for index in range(20):
            started = time.perf_counter()
            await history.alog_message(Message(text=f"one more {index}", role="user"))
            append_ms.append((time.perf_counter() - started) * 1000)
        assert history.last_save_error is None
        big_kib = round(big.stat().st_size / 1024)
    print(
        json.dumps(
            {
                "list_1000_transcripts_ms (<=300)": round(list_ms, 1),
                "load_1000_messages_ms (<=200)": round(load_ms, 1),
                "log_one_message_to_1000_median_ms (<=20)": round(statistics.median(append_ms), 2),
                "log_one_message_to_1000_max_ms": round(max(append_ms), 2),
                "big_file_kib": big_kib,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
