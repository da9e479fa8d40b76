"""R15 load: many agents and many LLM calls at once, every reply whole and in order, resources released.

These assert completeness and resource use, never time.
"""

import asyncio
import os
import resource

from miniagents import InteractionContext, MiniAgents, miniagent
from miniagents.ext.llm.openai import openai_agent


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def test_2000_agents_each_streaming_100_tokens():
    @miniagent
    async def streamer(ctx: InteractionContext, number: int) -> None:
        async def tokens():
            for index in range(100):
                if index % 10 == 0:
                    await asyncio.sleep(0)
                yield f"{number}:{index} "

        ctx.reply_tokens(tokens())

    async def consume(reply):
        return ["".join([token async for token in message]) async for message in reply]

    baseline_tasks = len(asyncio.all_tasks())
    baseline_fds = _open_fds()
    async with MiniAgents():
        replies = [streamer.inquire(number=number) for number in range(2000)]
        results = await asyncio.gather(*(consume(reply) for reply in replies))
    for number, texts in enumerate(results):
        assert texts == ["".join(f"{number}:{index} " for index in range(100))]
    assert _peak_rss_mib() < 1024
    assert len(asyncio.all_tasks()) == baseline_tasks
    assert _open_fds() == baseline_fds


async def test_500_concurrent_llm_calls_against_the_fake_server(llm_server):
    # A generous request timeout: on a loaded 2-core machine 500 connections can wait seconds to be
    # accepted; the test is about every reply arriving whole, not about how fast (llm_bench is).
    agent = openai_agent.fork(
        base_url=llm_server.openai_base_url, api_key="sk-load", model="m", max_retries=0, timeout=300
    )
    baseline_tasks = len(asyncio.all_tasks())
    baseline_fds = _open_fds()
    async with MiniAgents():
        replies = [agent.inquire(f"question {number}") for number in range(500)]
        messages = await asyncio.gather(*(reply.aresolve_messages() for reply in replies))
    assert [m[0].text for m in messages] == [f"You said: question {number}" for number in range(500)]
    assert len(llm_server.requests) == 500
    assert _peak_rss_mib() < 1024
    await llm_server.wait_until_idle()  # the server's ends of the connections are closed too
    assert len(asyncio.all_tasks()) == baseline_tasks
    assert _open_fds() == baseline_fds  # the shared HTTP client was closed with the context
