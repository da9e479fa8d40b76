"""The OpenAI and Anthropic agents, with the real SDKs talking to a local fake server."""

import asyncio
import logging
import time

import pytest

from miniagents import (
    LLMConfigError,
    LLMConnectionError,
    LLMIdleTimeoutError,
    LLMStatusError,
    LLMStreamError,
    Message,
    MiniAgents,
)
from miniagents.ext.llm.anthropic import anthropic_agent
from miniagents.ext.llm.openai import openai_agent
from tests.fakes.llm_server import Fail, Reply, Status

KEY = "sk-test-SECRETVALUE-1234"


@pytest.fixture(params=["openai", "anthropic"])
def provider(request, llm_server):
    """Each test runs against both providers: (name, agent configured for the fake server)."""
    if request.param == "openai":
        agent = openai_agent.fork(
            base_url=llm_server.openai_base_url, api_key=KEY, model="gpt-fake", max_retries=0
        )
    else:
        agent = anthropic_agent.fork(
            base_url=llm_server.anthropic_base_url, api_key=KEY, model="claude-fake", max_retries=0
        )
    return request.param, agent


async def _collect(reply):
    tokens = []
    async for message in reply:
        async for token in message:
            tokens.append(token)
    return tokens


async def test_streams_tokens_with_metadata(provider, llm_server):
    name, agent = provider
    llm_server.script(Reply(tokens=["Hel", "lo", " there"]))
    async with MiniAgents():
        reply = agent.inquire("Hi!")
        assert await _collect(reply) == ["Hel", "lo", " there"]
        (message,) = await reply
    assert message.text == "Hello there"
    assert message.role == "assistant"
    assert message.provider == name
    assert message.usage.input_tokens == 7 and message.usage.output_tokens == 3
    assert message.stop_reason in ("stop", "end_turn")
    assert message.time_to_first_token_s >= 0
    assert "status" not in message.model_dump()


@pytest.mark.parametrize("stream", [True, False])
async def test_a_stream_argument_is_refused_with_what_to_do_and_nothing_is_sent(provider, llm_server, stream):
    _, agent = provider
    async with MiniAgents():
        with pytest.raises(LLMConfigError, match="always stream"):
            await agent.inquire("Hi!", stream=stream)
    assert llm_server.requests == []


async def test_roles_system_prompt_and_parameters_reach_the_api(provider, llm_server):
    name, agent = provider
    history = [
        Message(text="be brief", role="system"),
        "first question",
        Message(text="first answer", role="assistant"),
        Message(text="cut off", role="assistant", status="interrupted"),
        "second question",
    ]
    async with MiniAgents():
        await agent.inquire(history, system="You are terse.", temperature=0.0, max_tokens=50)
    body = llm_server.requests[-1].body
    assert body["temperature"] == 0.0 and body["max_tokens"] == 50
    if name == "openai":
        assert body["model"] == "gpt-fake"
        roles = [m["role"] for m in body["messages"]]
        assert roles == ["system", "system", "user", "assistant", "assistant", "user"]
        assert body["messages"][0]["content"] == "You are terse."
        assert "interrupted" in body["messages"][4]["content"]
        assert body["messages"][4]["content"].startswith("cut off")
    else:
        assert body["model"] == "claude-fake"
        assert body["system"] == "You are terse.\n\nbe brief"
        assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
        assert "first answer\n\ncut off" in body["messages"][1]["content"]
        assert "interrupted" in body["messages"][1]["content"]


async def test_inquire_overrides_fork(provider, llm_server):
    _, agent = provider
    async with MiniAgents():
        await agent.fork(model="forked").inquire("x", model="overridden")
    assert llm_server.requests[-1].body["model"] == "overridden"


async def test_key_goes_in_the_header_only(provider, llm_server):
    _name, agent = provider
    async with MiniAgents():
        (message,) = await agent.inquire("hi")
    request = llm_server.requests[-1]
    header = request.headers.get("authorization", "") + request.headers.get("x-api-key", "")
    assert KEY in header
    assert KEY not in str(request.body)
    assert KEY not in message.model_dump_json()


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_errors_name_the_variable_never_the_key(provider, llm_server, status, caplog):
    name, agent = provider
    llm_server.script(Status(status, message=f"Incorrect API key provided: {KEY}"))
    with caplog.at_level(logging.DEBUG):
        async with MiniAgents():
            with pytest.raises(LLMStatusError) as caught:
                await agent.fork(max_retries=3).inquire("hi")
    text = str(caught.value)
    assert ("OPENAI_API_KEY" if name == "openai" else "ANTHROPIC_API_KEY") in text
    assert KEY not in text and KEY not in caplog.text
    assert text.startswith("OpenAI:" if name == "openai" else "Anthropic:")
    assert len(llm_server.requests) == 1  # permanent: exactly one request


@pytest.mark.parametrize(("status", "hint"), [(404, "model name"), (400, "too long")])
async def test_other_permanent_errors_are_not_retried(provider, llm_server, status, hint):
    _, agent = provider
    llm_server.script(Status(status, message="nope"))
    async with MiniAgents():
        with pytest.raises(LLMStatusError, match=hint) as caught:
            await agent.fork(max_retries=3).inquire("hi")
    assert caught.value.status_code == status
    assert len(llm_server.requests) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 408])
async def test_transient_errors_retry_and_honour_retry_after(provider, llm_server, status):
    _, agent = provider
    notices = []
    llm_server.script(Status(status, headers={"retry-after": "0.3"}), Reply(tokens=["ok"]))
    async with MiniAgents():
        started = time.monotonic()
        (message,) = await agent.fork(max_retries=2, on_retry=notices.append).inquire("hi")
        elapsed = time.monotonic() - started
    assert message.text == "ok"
    assert len(llm_server.requests) == 2
    assert elapsed >= 0.3  # waited as the server asked
    assert [(n.attempt, n.max_attempts, n.delay) for n in notices] == [(1, 3, 0.3)]


async def test_transient_errors_give_up_after_the_budget_with_a_clear_error(provider, llm_server):
    name, agent = provider
    status = 529 if name == "anthropic" else 503
    llm_server.script(*[Status(status, headers={"retry-after-ms": "10"})] * 3)
    async with MiniAgents():
        with pytest.raises(LLMStatusError, match=str(status)) as caught:
            await agent.fork(max_retries=2).inquire("hi")
    assert caught.value.retryable
    assert len(llm_server.requests) == 3
    # the server recovered: the same prompt works again
    async with MiniAgents():
        (message,) = await agent.inquire("hi")
    assert message.text == "You said: hi"


async def test_connection_reset_before_first_token_is_retried(provider, llm_server):
    _, agent = provider
    llm_server.script(Fail("drop"), Reply(tokens=["fine"]))
    async with MiniAgents():
        (message,) = await agent.fork(max_retries=1).inquire("hi")
    assert message.text == "fine"
    assert len(llm_server.requests) == 2


async def test_unreachable_server_is_a_connection_error():
    agent = openai_agent.fork(base_url="http://127.0.0.1:9/v1", api_key=KEY, max_retries=0)
    async with MiniAgents():
        with pytest.raises(LLMConnectionError, match=r"OpenAI: could not reach 127\.0\.0\.1:9:"):
            await agent.inquire("hi")


@pytest.mark.parametrize("how", ["drop", "error_event", "invalid_json"])
async def test_failure_mid_stream_keeps_tokens_and_is_not_retried(provider, llm_server, how):
    _, agent = provider
    llm_server.script(Fail(how, tokens_before=["par", "tial"]))
    async with MiniAgents():
        reply = agent.fork(max_retries=3).inquire("hi")
        received = []
        with pytest.raises(LLMStreamError):
            async for message in reply:
                async for token in message:
                    received.append(token)
        partial = await reply.items_so_far[0].aresolve_partial()
    assert received == ["par", "tial"]
    assert partial.text == "partial" and partial.status == "incomplete"
    assert len(llm_server.requests) == 1  # never re-sent, never spliced


async def test_stalled_stream_ends_at_the_idle_timeout(provider, llm_server):
    _, agent = provider
    llm_server.script(Fail("stall", tokens_before=["waiting"], stall_seconds=10))
    async with MiniAgents():
        promise = (await agent.fork(idle_timeout=1.0).inquire("hi").aresolve_items())[0]
        partial = await promise.aresolve_partial()
    assert partial.text == "waiting" and partial.status == "incomplete"
    assert f"no data from 127.0.0.1:{llm_server.port} for 1 s, so the reply was ended there" in partial.error


async def test_the_idle_timeout_counts_from_the_last_item_not_from_the_start(provider, llm_server):
    """A slow stream whose tokens come well within the timeout runs longer than it, to the end."""
    _, agent = provider
    tokens = [f"t{i} " for i in range(8)]
    llm_server.script(Reply(tokens=tokens, delay=0.25))  # 2 s in all, 0.25 s apart
    async with MiniAgents():
        started = asyncio.get_running_loop().time()
        promise = (await agent.fork(idle_timeout=1.0).inquire("hi").aresolve_items())[0]
        message = await promise.aresolve_partial()
        took = asyncio.get_running_loop().time() - started
    assert message.text == "".join(tokens) and getattr(message, "status", None) is None
    assert took > 1.0  # the stream did outlast the timeout


async def test_a_server_that_never_answers_is_named_at_the_idle_timeout(provider, llm_server):
    """#12.14: not "the reply broke off" (nothing had started), but who did not answer, and after how long."""
    _, agent = provider
    llm_server.script(Fail("stall", tokens_before=[], stall_seconds=10))
    async with MiniAgents():
        with pytest.raises(LLMIdleTimeoutError) as caught:
            await agent.fork(idle_timeout=1.0, max_retries=2).inquire("hi")
    assert str(caught.value).endswith(f": no answer from 127.0.0.1:{llm_server.port} after 1 s")
    assert not caught.value.started and caught.value.seconds == 1.0
    assert len(llm_server.requests) == 1


async def test_cancelling_the_consumer_closes_the_http_stream(provider, llm_server):
    _, agent = provider
    llm_server.script(Reply(tokens=[f"t{i} " for i in range(500)], delay=0.01))
    async with MiniAgents() as context:
        first_token = asyncio.Event()

        async def consume():
            async for message in agent.inquire("hi"):
                async for _ in message:
                    first_token.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first_token.wait(), 60)
        cancelled_at = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        while context.active_tasks:
            await asyncio.sleep(0.01)
        # R7 promises 1 s; 10x margin so that a loaded machine cannot fail it (llm_bench measures it)
        assert time.monotonic() - cancelled_at < 10


async def test_missing_key_is_a_config_error_naming_the_variable():
    async with MiniAgents():
        with pytest.raises(LLMConfigError, match="OPENAI_API_KEY"):
            await openai_agent.inquire("hi")
        with pytest.raises(LLMConfigError, match="ANTHROPIC_API_KEY"):
            await anthropic_agent.inquire("hi")


async def test_openai_compatible_server_from_the_environment_needs_no_key(llm_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    async with MiniAgents():
        (message,) = await openai_agent.inquire("local please", model="llama3")
    assert message.text == "You said: local please"
    assert llm_server.requests[-1].body["model"] == "llama3"


async def test_many_concurrent_calls_complete_whole(llm_server):
    agent = openai_agent.fork(base_url=llm_server.openai_base_url, api_key=KEY, max_retries=0)
    async with MiniAgents():
        replies = [agent.inquire(f"question {i}") for i in range(100)]
        messages = [(await reply)[0] for reply in replies]
    assert [m.text for m in messages] == [f"You said: question {i}" for i in range(100)]
