import asyncio
import time

import pytest

from miniagents import LLMStreamError, Message, MiniAgents
from miniagents.ext.llm.demo import demo_agent, demo_reply_text, split_into_tokens


def test_tokens_join_back_to_the_text():
    text = demo_reply_text("Tell me about  streams\n\nplease")
    assert "".join(split_into_tokens(text)) == text
    assert len(split_into_tokens(text)) > 50


def test_reply_is_deterministic_and_depends_on_input():
    assert demo_reply_text("hello world") == demo_reply_text("hello world")
    assert demo_reply_text("hello world") != demo_reply_text("goodbye moon")
    text = demo_reply_text("explain recursion")
    assert "```" in text and "\n- " in text and "recursion" in text


async def test_streams_markdown_with_provider_metadata():
    async with MiniAgents():
        reply = demo_agent.inquire(
            ["earlier", Message(text="ok", role="assistant"), "what is a promise"], tokens_per_second=0
        )
        tokens = [token async for message in reply async for token in message]
        (message,) = await reply
    assert "".join(tokens) == message.text == demo_reply_text("what is a promise", turn=2)
    assert (message.role, message.provider, message.model) == ("assistant", "demo", "demo")
    assert message.usage.output_tokens == len(tokens)
    assert message.stop_reason == "end_turn"


async def test_rate_is_respected():
    async with MiniAgents():
        started = time.monotonic()
        await demo_agent.inquire(
            "x", script=["one two three four five six seven eight nine ten"], tokens_per_second=50
        )
        elapsed = time.monotonic() - started
    assert elapsed > 0.15  # 10 tokens at 50/s take about 0.18 s: the rate is kept (never faster)


async def test_scripted_failure_keeps_partial_text():
    async with MiniAgents():
        (promise,) = await demo_agent.inquire(
            "x", script=["a b c d"], fail_after_tokens=2, tokens_per_second=0
        ).aresolve_items()
        with pytest.raises(LLMStreamError):
            await promise
        partial = await promise.aresolve_partial()
    assert (partial.text, partial.status) == ("a b", "incomplete")


async def test_cancel_stops_streaming():
    async with MiniAgents() as context:

        async def consume():
            async for message in demo_agent.inquire("x", tokens_per_second=20):
                async for _ in message:
                    pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.01)
        assert not context.active_tasks
