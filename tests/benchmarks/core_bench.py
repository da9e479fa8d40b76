"""Benchmark of the MiniAgents core beside plain asyncio doing the same work, in the same run.

Run: `python tests/benchmarks/core_bench.py` (prints JSON). Workloads:
  a) a trivial agent, inquire + resolve, N calls one after another: microseconds per call;
  b) N agents in flight at once, all resolved: seconds and peak RSS growth;
  c) T one-character tokens streamed as one message through 3 relay agents: tokens/s, time to
     first token, peak RSS growth.
Each workload runs in a fresh subprocess so that peak RSS is measured from a clean baseline.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator

CALLS = 2_000
IN_FLIGHT = 2_000
TOKENS = 200_000
RELAYS = 3


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- plain asyncio


async def _asyncio_sequential() -> dict[str, float]:
    async def agent(messages: list[str]) -> list[str]:
        return ["Hello!"]

    start = time.perf_counter()
    for _ in range(CALLS):
        await asyncio.get_running_loop().create_task(agent([]))
    return {"us_per_call": (time.perf_counter() - start) / CALLS * 1e6}


async def _asyncio_in_flight() -> dict[str, float]:
    async def agent(number: int) -> list[str]:
        await asyncio.sleep(0)
        return [f"reply {number}"]

    start = time.perf_counter()
    tasks = [asyncio.get_running_loop().create_task(agent(number)) for number in range(IN_FLIGHT)]
    results = await asyncio.gather(*tasks)
    assert len(results) == IN_FLIGHT
    return {"seconds": time.perf_counter() - start}


async def _asyncio_relay() -> dict[str, float]:
    queues: list[asyncio.Queue[str | None]] = [asyncio.Queue() for _ in range(RELAYS + 1)]

    async def tokens() -> AsyncIterator[str]:
        for _ in range(TOKENS):
            yield "x"

    async def produce() -> None:
        async for token in tokens():
            queues[0].put_nowait(token)
        queues[0].put_nowait(None)

    async def relay(source: asyncio.Queue[str | None], target: asyncio.Queue[str | None]) -> None:
        while (token := await source.get()) is not None:
            target.put_nowait(token)
        target.put_nowait(None)

    start = time.perf_counter()
    tasks = [asyncio.get_running_loop().create_task(produce())]
    tasks += [asyncio.get_running_loop().create_task(relay(queues[i], queues[i + 1])) for i in range(RELAYS)]
    first = None
    count = 0
    while (token := await queues[-1].get()) is not None:
        if first is None:
            first = time.perf_counter()
        count += len(token)
    await asyncio.gather(*tasks)
    end = time.perf_counter()
    assert count == TOKENS and first is not None
    return {"tokens_per_s": TOKENS / (end - start), "ttft_s": first - start}


# ---------------------------------------------------------------- MiniAgents


async def _miniagents_sequential() -> dict[str, float]:
    from miniagents import InteractionContext, MiniAgents, miniagent

    @miniagent
    async def agent(ctx: InteractionContext) -> None:
        ctx.reply("Hello!")

    async with MiniAgents():
        start = time.perf_counter()
        for _ in range(CALLS):
            await agent.inquire().aresolve_messages()
        elapsed = time.perf_counter() - start
    return {"us_per_call": elapsed / CALLS * 1e6}


async def _miniagents_in_flight() -> dict[str, float]:
    from miniagents import InteractionContext, MiniAgents, miniagent

    @miniagent
    async def agent(ctx: InteractionContext, number: int) -> None:
        await asyncio.sleep(0)
        ctx.reply(f"reply {number}")

    async with MiniAgents():
        start = time.perf_counter()
        replies = [agent.inquire(number=number) for number in range(IN_FLIGHT)]
        results = [await reply.aresolve_messages() for reply in replies]
        elapsed = time.perf_counter() - start
    assert len(results) == IN_FLIGHT
    return {"seconds": elapsed}


async def _miniagents_relay() -> dict[str, float]:
    from miniagents import InteractionContext, MiniAgents, miniagent

    @miniagent
    async def source_agent(ctx: InteractionContext) -> None:
        async def tokens() -> AsyncIterator[str]:
            for _ in range(TOKENS):
                yield "x"

        ctx.reply_tokens(tokens())

    @miniagent
    async def relay_agent(ctx: InteractionContext) -> None:
        async def tokens() -> AsyncIterator[str]:
            async for message in ctx.messages:
                async for token in message:
                    yield token

        ctx.reply_tokens(tokens())

    async with MiniAgents():
        start = time.perf_counter()
        reply = source_agent.inquire()
        for _ in range(RELAYS):
            reply = relay_agent.inquire(reply)
        first = None
        count = 0
        async for message in reply:
            async for token in message:
                if first is None:
                    first = time.perf_counter()
                count += len(token)
        end = time.perf_counter()
    assert count == TOKENS and first is not None
    return {"tokens_per_s": TOKENS / (end - start), "ttft_s": first - start}


WORKLOADS = {
    "asyncio_sequential": _asyncio_sequential,
    "asyncio_in_flight": _asyncio_in_flight,
    "asyncio_relay": _asyncio_relay,
    "miniagents_sequential": _miniagents_sequential,
    "miniagents_in_flight": _miniagents_in_flight,
    "miniagents_relay": _miniagents_relay,
}


def _run_one(name: str) -> dict[str, float]:
    # Import what the workload needs before the baseline, so that RSS growth measures the work.
    import miniagents  # noqa: F401

    baseline = _peak_rss_mib()
    result = asyncio.run(WORKLOADS[name]())
    result["rss_growth_mib"] = _peak_rss_mib() - baseline
    return result


def _measure(name: str, repeats: int = 3) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        output = subprocess.run(
            [sys.executable, __file__, "--one", name], check=True, capture_output=True, text=True
        ).stdout
        runs.append(json.loads(output))
    # best of the runs for speed, the largest for memory
    best: dict[str, float] = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        best[key] = max(values) if key in ("tokens_per_s", "rss_growth_mib") else min(values)
    return best


def main() -> None:
    """Measure every workload and print the results and the ratios as JSON."""
    results = {name: _measure(name) for name in WORKLOADS}
    a_ratio = results["miniagents_sequential"]["us_per_call"] / results["asyncio_sequential"]["us_per_call"]
    b_time = results["miniagents_in_flight"]["seconds"] / results["asyncio_in_flight"]["seconds"]
    b_mem = max(results["miniagents_in_flight"]["rss_growth_mib"], 0.1) / max(
        results["asyncio_in_flight"]["rss_growth_mib"], 0.1
    )
    c_speed = results["miniagents_relay"]["tokens_per_s"] / results["asyncio_relay"]["tokens_per_s"]
    c_ttft = results["miniagents_relay"]["ttft_s"] / results["asyncio_relay"]["ttft_s"]
    ratios = {
        "a_time_ratio (<=10)": round(a_ratio, 2),
        "b_time_ratio (<=10)": round(b_time, 2),
        "b_memory_ratio (<=4)": round(b_mem, 2),
        "c_tokens_per_s_ratio (>=0.5)": round(c_speed, 3),
        "c_ttft_ratio (<=5)": round(c_ttft, 2),
        "c_rss_growth_mib (<=40)": round(results["miniagents_relay"]["rss_growth_mib"], 1),
    }
    print(json.dumps({"results": results, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(_run_one(sys.argv[2])))
    else:
        main()
