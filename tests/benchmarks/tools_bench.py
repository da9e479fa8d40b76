"""Benchmark: what tool calling adds over the SDK, and how soon a sub-agent's tokens reach the reader.

Run: `python tests/benchmarks/tools_bench.py` (prints JSON). Measures
  - one tool round against the local fake server (a request whose reply calls a tool, the tool, a
    second request streaming 2,000 tokens) through `openai_agent(tools=...)`, beside the same two
    requests made with the raw OpenAI SDK by hand; runs alternate, medians compared
    (target: agent <= 1.3x raw);
  - a `@miniagent` tool's tokens, from the moment the tool yields each one to the moment the reader
    of the outer reply gets it (target: median <= 1 ms).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[2]))

import openai

from miniagents import InteractionContext, MiniAgents, miniagent
from miniagents.ext.llm.demo import demo_agent
from miniagents.ext.llm.openai import openai_agent
from tests.fakes.llm_server import Call, FakeLLMServer, Reply

ROUNDS = 15
ANSWER_TOKENS = 2_000
SUB_AGENT_TOKENS = 2_000
KEY = "sk-bench"
ARGUMENTS = '{"city": "Paris", "unit": "c"}'


def get_weather(city: str, unit: str = "c") -> str:
    """Current weather for a city."""
    return f"18°{unit.upper()} and sunny in {city}"


def script(server: FakeLLMServer) -> None:
    server.script(
        Reply(tokens=[], calls=[Call("get_weather", ARGUMENTS, id="c1")]),
        Reply(tokens=[f"t{i} " for i in range(ANSWER_TOKENS)]),
    )


async def by_hand(client: openai.AsyncOpenAI) -> float:
    started = time.perf_counter()
    messages: Any = [{"role": "user", "content": "weather?"}]
    tools: Any = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    stream = await client.chat.completions.create(model="m", messages=messages, tools=tools, stream=True)
    calls: dict[int, list[str]] = {}
    async with stream:
        async for chunk in stream:
            for call in chunk.choices[0].delta.tool_calls or () if chunk.choices else ():
                entry = calls.setdefault(call.index, ["", "", ""])
                entry[0] = call.id or entry[0]
                if call.function:
                    entry[1] += call.function.name or ""
                    entry[2] += call.function.arguments or ""
    call_id, name, arguments = calls[0]
    result = get_weather(**json.loads(arguments))
    messages += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": result},
    ]
    stream = await client.chat.completions.create(model="m", messages=messages, tools=tools, stream=True)
    count = 0
    async with stream:
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                count += 1
    assert count == ANSWER_TOKENS
    return time.perf_counter() - started


async def through_agent(server: FakeLLMServer) -> float:
    agent = openai_agent.fork(base_url=server.openai_base_url, api_key=KEY, model="m", tools=[get_weather])
    started = time.perf_counter()
    count = 0
    async for message in agent.inquire("weather?"):
        async for _ in message:
            count += 1
    assert count == ANSWER_TOKENS + 1  # the answer's tokens, and the tool's result
    return time.perf_counter() - started


async def tool_round(server: FakeLLMServer) -> dict[str, float]:
    raw, agent = [], []
    async with (
        MiniAgents(),
        openai.AsyncOpenAI(api_key=KEY, base_url=server.openai_base_url, max_retries=0) as client,
    ):
        for _ in range(ROUNDS):
            script(server)
            raw.append(await by_hand(client))
            script(server)
            agent.append(await through_agent(server))
    return {
        "raw_sdk_median_s": round(statistics.median(raw), 4),
        "agent_median_s": round(statistics.median(agent), 4),
        "ratio": round(statistics.median(agent) / statistics.median(raw), 3),
    }


async def sub_agent_latency() -> dict[str, float]:
    produced: list[float] = []

    @miniagent
    async def writer(ctx: InteractionContext, topic: str) -> None:
        """Write about a topic."""

        async def tokens():
            for i in range(SUB_AGENT_TOKENS):
                await asyncio.sleep(0)  # a token now and then, as a model would
                produced.append(time.perf_counter())
                yield f"w{i} "

        ctx.reply_tokens(tokens())

    received: list[float] = []
    async with MiniAgents():
        async for message in demo_agent.fork(tools=[writer], tokens_per_second=0).inquire("writer, go"):
            is_result = message.metadata_so_far.get("role") == "tool"
            async for _ in message:
                if is_result:
                    received.append(time.perf_counter())
    assert len(received) == SUB_AGENT_TOKENS == len(produced)
    delays = sorted((r - p) * 1000 for p, r in zip(produced, received, strict=True))
    return {
        "median_ms": round(statistics.median(delays), 4),
        "p99_ms": round(delays[int(len(delays) * 0.99)], 4),
    }


async def main() -> None:
    with FakeLLMServer() as server:
        results = {
            "tool_round": await tool_round(server),
            "sub_agent_token_to_outer_reader": await sub_agent_latency(),
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
