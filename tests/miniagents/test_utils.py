import asyncio

import pytest

from miniagents import (
    AWAIT,
    CLEAR,
    ChainError,
    InMemoryChatHistory,
    InteractionContext,
    Message,
    MessagePromise,
    MiniAgents,
    StopLoop,
    achain_loop,
    adialog_loop,
    join_messages,
    miniagent,
    split_messages,
)


async def _tokens(*tokens, gate=None, gate_after=None):
    for index, token in enumerate(tokens):
        if gate is not None and index == gate_after:
            await gate.wait()
        yield token


# ---------------------------------------------------------------- loops


async def test_chain_needs_await():
    @miniagent
    async def agent(ctx):
        pass

    async with MiniAgents():
        with pytest.raises(ChainError, match="AWAIT"):
            await achain_loop([agent, agent])
        with pytest.raises(ChainError, match="holds agents"):
            await achain_loop([agent, AWAIT, "not an agent"])  # pyright: ignore[reportArgumentType]


async def test_chain_passes_replies_along_and_stops_normally():
    log = []

    @miniagent
    async def counter(ctx):
        texts = [m.text for m in await ctx.messages]
        number = int(texts[0]) + 1 if texts else 0
        log.append(number)
        if number == 3:
            raise StopLoop
        ctx.reply(str(number))

    @miniagent
    async def relay(ctx):
        ctx.reply(ctx.messages)

    async with MiniAgents():
        await asyncio.wait_for(achain_loop([counter, AWAIT, relay]), 30)
    assert log == [0, 1, 2, 3]


async def test_chain_error_reaches_the_caller_with_its_type():
    calls = []

    @miniagent
    async def user(ctx):
        await ctx.messages
        calls.append("user")
        ctx.reply("hi")

    @miniagent
    async def assistant(ctx):
        calls.append("assistant")
        raise KeyError("provider down")

    async with MiniAgents():
        with pytest.raises(KeyError, match="provider down"):
            await asyncio.wait_for(achain_loop([user, AWAIT, assistant]), 30)
    assert calls == ["user", "assistant"]  # the second user call received the error


async def test_clear_starts_the_next_agent_with_no_input():
    seen = []

    @miniagent
    async def speaker(ctx):
        seen.append([m.text for m in await ctx.messages])
        if len(seen) == 3:
            raise StopLoop
        ctx.reply("said something")

    async with MiniAgents():
        await achain_loop([speaker, AWAIT, CLEAR, speaker, AWAIT], initial_input="start")
    assert seen == [["start"], [], ["said something"]]


async def test_dialog_loop_alternates_and_streams_to_the_user():
    transcript = []

    @miniagent
    async def user(ctx: InteractionContext):
        async for message in ctx.messages:
            transcript.append("assistant: " + "".join([token async for token in message]))
        if len(transcript) == 2:
            raise StopLoop
        ctx.reply(f"question {len(transcript)}")

    @miniagent
    async def assistant(ctx: InteractionContext):
        question = (await ctx.messages)[0].text
        transcript.append("user: " + question)
        ctx.reply_tokens(_tokens("answer to ", question))

    async with MiniAgents():
        await asyncio.wait_for(adialog_loop(user, assistant), 30)
    assert transcript == ["user: question 0", "assistant: answer to question 0"]


async def test_dialog_loop_sends_the_selected_history_and_restarts_a_turn_on_an_empty_user_reply():
    history = InMemoryChatHistory()
    seen = []
    user_turns = iter(
        [
            Message(text="first", role="user"),
            None,  # no new message: the assistant answers the same conversation again
            StopLoop(),
        ]
    )

    @miniagent
    async def user(ctx):
        await ctx.messages
        turn = next(user_turns)
        if isinstance(turn, StopLoop):
            raise turn
        if turn is None:
            last = len(await history.aload_chat_history()) - 1
            await history.aupdate_message(last, superseded=True)  # the reply is replaced
        else:
            ctx.reply(turn)

    @miniagent
    async def assistant(ctx):
        messages = await ctx.messages
        seen.append([m.text for m in messages])
        ctx.reply(f"answer {len(seen)}")

    def without_replaced(messages):
        return [m for m in messages if not getattr(m, "superseded", False)]

    async with MiniAgents():
        await adialog_loop(user, assistant, history, select_history=without_replaced)
    assert seen == [["first"], ["first"]]  # the replaced answer is not sent back
    saved = await history.aload_chat_history()
    assert [(m.text, getattr(m, "superseded", None)) for m in saved] == [
        ("first", None),
        ("answer 1", True),
        ("answer 2", None),
    ]


async def test_cancelling_a_loop_caller_cancels_the_agents():
    started = asyncio.Event()

    @miniagent
    async def waits_forever(ctx):
        started.set()
        await asyncio.Event().wait()

    async with MiniAgents() as context:
        task = asyncio.create_task(achain_loop([waits_forever, AWAIT]))
        await asyncio.wait_for(started.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(3):
            await asyncio.sleep(0)
        assert not context.active_tasks


# ---------------------------------------------------------------- join


async def test_join_streams_while_inputs_stream():
    gate = asyncio.Event()
    async with MiniAgents():
        joined = join_messages(
            ["one", MessagePromise(tokens=_tokens("tw", "o", gate=gate, gate_after=1)), "", "three"],
            role="assistant",
        )
        received = []
        async for token in joined:
            received.append(token)
            if token == "tw":
                assert not joined.done
                gate.set()
        message = await joined
    assert message == Message(text="one\n\ntwo\n\nthree", role="assistant")
    assert received[:3] == ["one", "\n\n", "tw"]


async def test_join_strips_leading_newlines_on_request():
    async with MiniAgents():
        plain = await join_messages(["a", "\n\nb"], delimiter="|")
        stripped = await join_messages(["a", "\n\nb", "\n"], delimiter="|", strip_leading_newlines=True)
    assert plain.text == "a|\n\nb"
    assert stripped.text == "a|b"


# ---------------------------------------------------------------- split


async def _split_texts(tokens, **kwargs):
    parts = split_messages(MessagePromise(tokens=_tokens(*tokens)), **kwargs)
    return [m.text for m in await parts.aresolve_messages()]


async def test_split_one_token_with_several_delimiters_does_not_deadlock():
    async with MiniAgents():
        texts = await asyncio.wait_for(_split_texts(["a\n\nb\n\nc\n\nd"]), 30)
    assert texts == ["a", "b", "c", "d"]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 100])
async def test_split_gives_the_same_parts_however_the_text_is_chunked(chunk):
    text = "intro\n\n```python\nx = 1\n\ny = 2\n```\n\nafter\n\n\n\nlast"
    tokens = [text[i : i + chunk] for i in range(0, len(text), chunk)]
    async with MiniAgents():
        texts = await _split_texts(tokens)
    assert texts == ["intro", "```python\nx = 1\n\ny = 2\n```", "after", "last"]


async def test_split_custom_delimiters_and_metadata():
    async with MiniAgents():
        parts = await split_messages(
            ["a;b", "~~~;~~~;c"], delimiter=";", code_block_delimiter="~~~", role="x"
        )
    assert [(m.text, m.role) for m in parts] == [("a", "x"), ("b", "x"), ("~~~;~~~", "x"), ("c", "x")]


async def test_split_first_part_streams_before_the_input_ends():
    gate = asyncio.Event()
    async with MiniAgents():
        parts = split_messages(
            MessagePromise(tokens=_tokens("first", " part\n\nsec", "ond", gate=gate, gate_after=2))
        )
        first_part = None
        async for part in parts:
            first_part = await part
            break
        assert first_part is not None and first_part.text == "first part"
        assert not parts.done
        gate.set()
        assert [m.text for m in await parts.aresolve_messages()] == ["first part", "second"]


async def test_split_passes_an_input_error_on():
    async def failing():
        yield "ok\n\npart"
        raise ValueError("input broke")

    async with MiniAgents():
        parts = split_messages(MessagePromise(tokens=failing()))
        with pytest.raises(ValueError, match="input broke"):
            await parts
        first = parts.items_so_far[0]
        assert (await first).text == "ok"
