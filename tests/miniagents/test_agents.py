import asyncio
import logging

import pytest

from miniagents import (
    AgentCallError,
    AgentDefinitionError,
    InteractionContext,
    Message,
    MessagePromise,
    MessageSequence,
    MessageSequencePromise,
    MiniAgent,
    MiniAgents,
    NoActiveContextError,
    PromiseCancelledError,
    ReplyError,
    miniagent,
)


async def _tokens(*tokens, delay=0.0):
    for token in tokens:
        if delay:
            await asyncio.sleep(delay)
        yield token


@miniagent
async def echo(ctx: InteractionContext, prefix: str = "") -> None:
    async for message in ctx.messages:
        ctx.reply(prefix + (await message).text)


# ---------------------------------------------------------------- definition


def test_decorator_bare_and_with_defaults():
    @miniagent
    async def bare(ctx):
        pass

    @miniagent(alias="Named", temperature=0.5)
    async def configured(ctx, temperature=1.0):
        """Does things."""

    assert isinstance(bare, MiniAgent) and bare.alias == "bare"
    assert configured.alias == "Named"
    assert configured.defaults == {"temperature": 0.5}
    assert configured.description == "Does things."


def test_sync_function_is_refused_at_decoration():
    with pytest.raises(AgentDefinitionError, match="async def"):

        @miniagent  # pyright: ignore[reportArgumentType]
        def not_async(ctx):
            pass


def test_function_without_context_parameter_is_refused():
    with pytest.raises(AgentDefinitionError, match="first"):

        @miniagent  # pyright: ignore[reportArgumentType]
        async def no_params():
            pass

    with pytest.raises(AgentDefinitionError, match="first"):

        @miniagent  # pyright: ignore[reportArgumentType]
        async def keyword_only(*, ctx):
            pass


def test_unknown_default_is_refused_at_decoration():
    with pytest.raises(AgentCallError, match="nonexistent"):

        @miniagent(nonexistent=1)
        async def agent(ctx, known=1):
            pass


def test_inquire_outside_a_context_says_what_to_do():
    with pytest.raises(NoActiveContextError, match="MiniAgents"):
        echo.inquire("hi")


async def test_unknown_kwarg_on_inquire_is_refused():
    async with MiniAgents():
        with pytest.raises(AgentCallError, match="temperature"):
            echo.inquire("hi", temperature=1)


async def test_kwargs_reach_the_function_and_fork_accumulates():
    @miniagent
    async def show(ctx, **kwargs):
        ctx.reply(repr(sorted(kwargs.items())))

    first = show.fork(a=1)
    second = first.fork(b=2)
    async with MiniAgents():
        assert (await show.inquire().aresolve_messages())[0].text == "[]"
        assert (await first.inquire().aresolve_messages())[0].text == "[('a', 1)]"
        assert (await second.inquire().aresolve_messages())[0].text == "[('a', 1), ('b', 2)]"
        # inquire overrides fork
        assert (await second.inquire(a=9).aresolve_messages())[0].text == "[('a', 9), ('b', 2)]"
    assert show.defaults == {}
    assert first.defaults == {"a": 1}


# ---------------------------------------------------------------- replies


async def test_await_gives_resolved_sequence_that_still_resolves():
    async with MiniAgents():
        reply = await echo.inquire(["one", "two"], prefix=">")
        assert isinstance(reply, MessageSequence)
        assert [m.text for m in reply] == [">one", ">two"]
        assert await reply.aresolve_messages() == (
            Message(text=">one", agent="echo"),
            Message(text=">two", agent="echo"),
        )


async def test_inquire_returns_at_once_and_agent_runs_in_parallel():
    started = asyncio.Event()
    release = asyncio.Event()

    @miniagent
    async def slow(ctx):
        started.set()
        await release.wait()
        ctx.reply("done")

    async with MiniAgents():
        reply = slow.inquire()
        assert isinstance(reply, MessageSequencePromise)
        await asyncio.wait_for(started.wait(), 30)  # running although nobody consumes yet
        assert not reply.done
        release.set()
        assert (await reply.aresolve_messages())[0].text == "done"


@pytest.mark.parametrize("delays", [(0.03, 0.0, 0.01), (0.0, 0.02, 0.0), (0.01, 0.01, 0.01)])
async def test_reply_order_follows_reply_calls_not_completion(delays):
    @miniagent
    async def part(ctx, text, delay):
        await asyncio.sleep(delay)
        ctx.reply(text)

    @miniagent
    async def composer(ctx):
        ctx.reply(part.inquire(text="A", delay=delays[0]))
        ctx.reply("B")
        ctx.reply(part.inquire(text="C", delay=delays[1]))
        ctx.reply(MessagePromise(tokens=_tokens("D", "d", delay=delays[2])))
        ctx.reply(["E", {"text": "F", "role": "user"}, None, (Message(text="G"),)])

    async with MiniAgents():
        messages = await composer.inquire().aresolve_messages()
    assert [m.text for m in messages] == ["A", "B", "C", "Dd", "E", "F", "G"]
    assert messages[5].role == "user"


async def test_reply_accepts_async_iterables_of_nested_pieces():
    async def pieces():
        yield "one"
        yield ["two", MessagePromise(tokens=_tokens("thr", "ee"))]
        await asyncio.sleep(0)
        yield echo.inquire("four")

    @miniagent
    async def agent(ctx):
        ctx.reply(pieces())
        ctx.reply("five")

    async with MiniAgents():
        assert [m.text for m in await agent.inquire().aresolve_messages()] == [
            "one",
            "two",
            "three",
            "four",
            "five",
        ]


async def test_reply_with_an_unsupported_type_raises_reply_error_in_the_agent():
    @miniagent
    async def agent(ctx):
        ctx.reply(42)

    async with MiniAgents():
        with pytest.raises(ReplyError, match="int"):
            await agent.inquire()


async def test_streamed_reply_tokens_arrive_before_the_message_ends():
    gate = asyncio.Event()

    async def tokens():
        yield "Hel"
        yield "lo"
        await gate.wait()
        yield "!"

    @miniagent
    async def agent(ctx):
        ctx.reply_tokens(tokens(), role="assistant")

    async with MiniAgents():
        reply = agent.inquire()
        received = []
        final = None
        async for message in reply:
            async for token in message:
                received.append(token)
                if token == "lo":
                    assert not message.done
                    gate.set()
            final = await message
        assert received == ["Hel", "lo", "!"]
        assert final == Message(text="Hello!", role="assistant", agent="agent")


async def test_message_promises_replay_for_every_consumer():
    @miniagent
    async def agent(ctx):
        ctx.reply_tokens(_tokens("a", "b", "c", delay=0.001))

    async def consume(reply):
        return ["".join([t async for t in m]) async for m in reply]

    async with MiniAgents():
        reply = agent.inquire()
        results = await asyncio.gather(*(consume(reply) for _ in range(5)))
        assert results == [["abc"]] * 5
        assert await consume(reply) == ["abc"]  # again after the end


async def test_token_stream_can_set_metadata_at_the_end():
    async def tokens():
        yield "hi"
        yield {"usage": {"output_tokens": 1}}

    async with MiniAgents():
        message = await MessagePromise(tokens=tokens(), role="assistant")
    assert message.text == "hi"
    assert message.usage.output_tokens == 1
    assert message.role == "assistant"


async def test_ctx_messages_stream_input_from_another_agent():
    gate = asyncio.Event()
    seen = []

    @miniagent
    async def producer(ctx):
        async def tokens():
            yield "first "
            await gate.wait()
            yield "second"

        ctx.reply_tokens(tokens())

    @miniagent
    async def consumer(ctx):
        async for message in ctx.messages:
            async for token in message:
                seen.append(token)
                gate.set()  # only reachable because the first token streamed through
        ctx.reply("".join(seen))

    async with MiniAgents():
        assert (await consumer.inquire(producer.inquire()).aresolve_messages())[0].text == "first second"


async def test_finish_early_ends_the_reply_while_the_agent_goes_on():
    finished = asyncio.Event()

    @miniagent
    async def agent(ctx):
        ctx.reply("answer")
        ctx.finish_early()
        assert ctx.reply_finished
        with pytest.raises(ReplyError, match="finished"):
            ctx.reply("too late")
        await asyncio.sleep(0.01)
        finished.set()

    async with MiniAgents():
        assert [m.text for m in await agent.inquire().aresolve_messages()] == ["answer"]
        assert not finished.is_set()
    assert finished.is_set()  # the context waited for it


# ---------------------------------------------------------------- errors


class CustomError(Exception):
    pass


async def test_error_reaches_consumer_after_earlier_messages():
    @miniagent
    async def failing(ctx):
        ctx.reply("before")
        await asyncio.sleep(0)
        raise CustomError("boom")

    async with MiniAgents():
        received = []
        with pytest.raises(CustomError, match="boom"):
            async for message in failing.inquire():
                received.append((await message).text)
        assert received == ["before"]
        # other agents and later calls are unaffected
        assert [m.text for m in await echo.inquire("still fine").aresolve_messages()] == ["still fine"]


async def test_error_travels_through_an_agent_that_forwards_the_reply():
    @miniagent
    async def failing(ctx):
        raise CustomError("deep")

    @miniagent
    async def forwarder(ctx):
        ctx.reply(failing.inquire())

    async with MiniAgents():
        with pytest.raises(CustomError, match="deep"):
            await forwarder.inquire()


async def test_error_mid_stream_keeps_tokens_and_marks_partial_incomplete():
    async def tokens():
        yield "par"
        yield "tial"
        raise CustomError("socket closed")

    async with MiniAgents():
        promise = MessagePromise(tokens=tokens(), role="assistant")
        received = []
        with pytest.raises(CustomError):
            async for token in promise:
                received.append(token)
        assert received == ["par", "tial"]
        partial = await promise.aresolve_partial()
    assert partial.text == "partial"
    assert partial.status == "incomplete"
    assert "socket closed" in partial.error


async def test_unconsumed_error_is_logged_once_on_exit(caplog):
    @miniagent
    async def failing(ctx):
        raise CustomError("nobody listens")

    with caplog.at_level(logging.ERROR, logger="miniagents"):
        async with MiniAgents():
            failing.inquire()
    records = [r for r in caplog.records if "nobody listens" in r.getMessage()]
    assert len(records) == 1


async def test_consumed_error_is_not_logged(caplog):
    @miniagent
    async def failing(ctx):
        raise CustomError("handled")

    with caplog.at_level(logging.ERROR, logger="miniagents"):
        async with MiniAgents():
            with pytest.raises(CustomError):
                await failing.inquire()
    assert not [r for r in caplog.records if "handled" in r.getMessage()]


# ---------------------------------------------------------------- context and cancellation


async def test_context_exit_waits_for_running_agents():
    done = []

    @miniagent
    async def slow(ctx):
        await asyncio.sleep(0.02)
        done.append(True)

    async with MiniAgents():
        slow.inquire()
    assert done == [True]


def test_run_returns_the_coroutine_result():
    async def main():
        return [m.text for m in await echo.inquire("x").aresolve_messages()]

    assert MiniAgents().run(main()) == ["x"]


async def test_cancelling_the_caller_cancels_the_agents_it_started():
    started = asyncio.Event()
    closed = asyncio.Event()

    async def endless_tokens():
        try:
            while True:
                yield "t"
                started.set()
                await asyncio.sleep(0.001)
        finally:
            closed.set()

    @miniagent
    async def streamer(ctx):
        ctx.reply_tokens(endless_tokens())

    @miniagent
    async def middle(ctx):
        ctx.reply(streamer.inquire())

    async def caller():
        async for message in middle.inquire():
            async for _ in message:
                pass

    async with MiniAgents() as context:
        task = asyncio.create_task(caller())
        await asyncio.wait_for(started.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(closed.wait(), 30)
        await asyncio.sleep(0)
        assert not context.active_tasks


async def test_other_consumers_of_a_cancelled_stream_see_promise_cancelled_error():
    gate = asyncio.Event()

    async def tokens():
        yield "so far"
        await gate.wait()
        yield "never"

    @miniagent
    async def streamer(ctx):
        ctx.reply_tokens(tokens())

    async with MiniAgents():
        holder = {}

        async def caller():
            holder["reply"] = streamer.inquire()
            await asyncio.Event().wait()

        task = asyncio.create_task(caller())
        await asyncio.sleep(0.01)
        message = (await holder["reply"].aresolve_items())[0]
        task.cancel()
        with pytest.raises(PromiseCancelledError):
            await message
        partial = await message.aresolve_partial()
        assert (partial.text, partial.status) == ("so far", "interrupted")


async def test_body_error_cancels_running_agents_and_nothing_is_left():
    @miniagent
    async def forever(ctx):
        await asyncio.Event().wait()

    context = MiniAgents()
    with pytest.raises(CustomError):
        async with context:
            forever.inquire()
            await asyncio.sleep(0)
            raise CustomError("body failed")
    assert not context.active_tasks


async def test_contexts_cannot_be_reentered():
    context = MiniAgents()
    async with context:
        pass
    with pytest.raises(RuntimeError, match="already"):
        async with context:
            pass


async def test_cancel_on_a_reply_cancels_the_agent_and_what_it_started():
    inner_cancelled, started = asyncio.Event(), asyncio.Event()

    @miniagent
    async def inner(ctx):
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            inner_cancelled.set()
            raise

    @miniagent
    async def outer(ctx):
        ctx.reply(inner.inquire())
        await asyncio.Event().wait()

    async with MiniAgents() as context:
        reply = outer.inquire()
        await asyncio.wait_for(started.wait(), 60)
        assert reply.cancel()
        await asyncio.wait_for(inner_cancelled.wait(), 60)
        with pytest.raises(PromiseCancelledError):
            await reply
        while context.active_tasks:
            await asyncio.sleep(0.01)
