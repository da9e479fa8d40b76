"""Benchmark: `openai_agent` beside the raw OpenAI SDK stream, both against the local fake server.

Run: `python tests/benchmarks/llm_bench.py` (prints JSON). Measures
  - 10,000 tokens of one reply consumed token by token, through the agent and through the raw SDK
    in the same run (target: agent time <= 1.3x raw);
  - 500 concurrent agent calls, each reply checked whole;
  - four replies side by side, each 5,000 tokens sent one by one at 1,000 tok/s (as fast providers
    do), from a server in another process: the CPU this process spends per token.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))

import openai

from miniagents import MiniAgents
from miniagents.ext.llm.openai import openai_agent
from tests.fakes.llm_server import FakeLLMServer, Reply

TOKENS = 10_000
CONCURRENT = 500
KEY = "sk-bench"


async def raw_sdk(server: FakeLLMServer) -> float:
    server.script(Reply(tokens=[f"t{i} " for i in range(TOKENS)]))
    async with openai.AsyncOpenAI(api_key=KEY, base_url=server.openai_base_url, max_retries=0) as client:
        started = time.perf_counter()
        stream = await client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "go"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        count = 0
        async with stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    count += 1
        elapsed = time.perf_counter() - started
    assert count == TOKENS
    return elapsed


async def through_agent(server: FakeLLMServer) -> float:
    server.script(Reply(tokens=[f"t{i} " for i in range(TOKENS)]))
    agent = openai_agent.fork(base_url=server.openai_base_url, api_key=KEY, model="m")
    async with MiniAgents():
        started = time.perf_counter()
        count = 0
        async for message in agent.inquire("go"):
            async for _ in message:
                count += 1
        elapsed = time.perf_counter() - started
    assert count == TOKENS
    return elapsed


async def concurrent_calls(server: FakeLLMServer) -> dict[str, float]:
    agent = openai_agent.fork(base_url=server.openai_base_url, api_key=KEY, model="m")
    async with MiniAgents():
        started = time.perf_counter()
        replies = [agent.inquire(f"question {i}") for i in range(CONCURRENT)]
        texts = [(await reply)[0].text for reply in replies]
        elapsed = time.perf_counter() - started
    whole = sum(text == f"You said: question {i}" for i, text in enumerate(texts))
    return {"calls": CONCURRENT, "whole_replies": whole, "seconds": round(elapsed, 2)}


PACED_TOKENS = 5_000
PACED_SERVER = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).parents[2])!r})
from tests.fakes.llm_server import FakeLLMServer, Reply
with FakeLLMServer() as server:
    tokens = [f"t{{i}} " for i in range({PACED_TOKENS})]
    server.script(*[Reply(tokens=tokens, delay=0.001) for _ in range(4)])
    print(server.openai_base_url, flush=True)
    sys.stdin.read()
"""


async def paced_streams_cpu() -> dict[str, float]:
    """Four replies at 1,000 tok/s each, read token by token: CPU seconds per token in this process."""
    with subprocess.Popen(
        [sys.executable, "-c", PACED_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as server:
        assert server.stdout is not None and server.stdin is not None
        base_url = server.stdout.readline().strip()

        async def read(agent) -> int:
            count = 0
            async for message in agent.inquire("go"):
                async for _ in message:
                    count += 1
            return count

        async with MiniAgents():
            agents = [openai_agent.fork(base_url=base_url, api_key=KEY, model=name) for name in "abcd"]
            cpu, started = time.process_time(), time.perf_counter()
            counts = await asyncio.gather(*(read(agent) for agent in agents))
            cpu, elapsed = time.process_time() - cpu, time.perf_counter() - started
        server.stdin.close()
    assert counts == [PACED_TOKENS] * 4
    return {
        "seconds": round(elapsed, 2),
        "cpu_s": round(cpu, 2),
        "cpu_us_per_token": round(cpu / sum(counts) * 1e6, 1),
    }


async def main() -> None:
    with FakeLLMServer() as server:
        raw, agent = [], []
        for _ in range(3):
            raw.append(await raw_sdk(server))
            agent.append(await through_agent(server))
        concurrent = await concurrent_calls(server)
    paced = await paced_streams_cpu()
    result = {
        "tokens": TOKENS,
        "raw_sdk_s": round(min(raw), 3),
        "agent_s": round(min(agent), 3),
        "agent_to_raw_ratio (<=1.3)": round(min(agent) / min(raw), 3),
        "concurrent": concurrent,
        "four_streams_at_1000_tok_s": paced,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
