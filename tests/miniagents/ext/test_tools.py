"""Tools (#13): functions and agents a model calls, against the fake server with the real SDKs."""

import asyncio
import json
from typing import Literal

import pydantic
import pytest

from miniagents import ChatHistoryMD, InteractionContext, Message, MiniAgents, miniagent
from miniagents.errors import ToolDefinitionError, ToolError, ToolRoundsError
from miniagents.ext.llm.anthropic import anthropic_agent
from miniagents.ext.llm.demo import demo_agent
from miniagents.ext.llm.openai import openai_agent
from miniagents.tools import Tool
from tests.fakes.llm_server import Call, Reply

KEY = "sk-test-SECRETVALUE-1234"


def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Current weather for a city."""
    return f"18°{unit.upper()} and sunny in {city}"


class Stop(pydantic.BaseModel):
    name: str
    minutes: int = 0


def plan_route(stops: list[Stop], avoid_tolls: bool = False) -> dict:
    """Plan a route through the stops."""
    return {
        "stops": [stop.name for stop in stops],
        "minutes": sum(s.minutes for s in stops),
        "tolls": not avoid_tolls,
    }


@pytest.fixture(params=["openai", "anthropic"])
def provider(request, llm_server):
    """(name, a function making that provider's agent for the fake server) for each provider."""
    if request.param == "openai":

        def make(**kwargs):
            return openai_agent.fork(
                base_url=llm_server.openai_base_url, api_key=KEY, model="gpt-fake", max_retries=0, **kwargs
            )

    else:

        def make(**kwargs):
            return anthropic_agent.fork(
                base_url=llm_server.anthropic_base_url,
                api_key=KEY,
                model="claude-fake",
                max_retries=0,
                **kwargs,
            )

    return request.param, make


# ---------------------------------------------------------------- describing tools


def test_a_function_is_described_from_its_signature_and_docstring():
    tool = Tool.of(get_weather)
    assert (tool.name, tool.description) == ("get_weather", "Current weather for a city.")
    assert tool.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"enum": ["c", "f"], "type": "string", "default": "c"},
        },
        "required": ["city"],
        "additionalProperties": False,
    }


def test_pydantic_models_and_lists_nest_and_validate():
    tool = Tool.of(plan_route)
    stops = tool.parameters["properties"]["stops"]
    assert stops["type"] == "array" and stops["items"] == {"$ref": "#/$defs/Stop"}
    assert tool.parameters["$defs"]["Stop"]["required"] == ["name"]
    arguments = tool.validate('{"stops": [{"name": "Lyon", "minutes": 5}]}')
    assert arguments["stops"] == [Stop(name="Lyon", minutes=5)] and arguments["avoid_tolls"] is False
    with pytest.raises(ValueError, match=r"stops\.0\.minutes"):
        tool.validate({"stops": [{"name": "Lyon", "minutes": "soon"}]})
    with pytest.raises(ValueError, match="not valid JSON"):
        tool.validate('{"stops": [')


def test_an_agent_is_described_by_its_parameters_after_ctx():
    @miniagent
    async def researcher(ctx: InteractionContext, question: str, depth: int = 1) -> None:
        """Look a question up."""

    tool = Tool.of(researcher)
    assert tool.name == "researcher" and tool.description == "Look a question up."
    assert set(tool.parameters["properties"]) == {"question", "depth"}
    assert tool.parameters["required"] == ["question"]
    assert set(Tool.of(researcher.fork(depth=3)).parameters["properties"]) == {"question"}


@pytest.mark.parametrize("bad", [42, "get_weather", lambda: None])
def test_what_cannot_be_a_tool_is_refused_with_the_reason(bad):
    with pytest.raises(ToolDefinitionError):
        Tool.of(bad)


# ---------------------------------------------------------------- the example of the issue, for real


async def _consume(reply) -> list[Message]:
    messages = []
    async for promise in reply:
        async for _ in promise:
            pass
        messages.append(await promise)
    return messages


async def test_functions_and_an_agent_as_tools_then_the_answer(provider, llm_server):
    name, make = provider
    inner = make()

    @miniagent
    async def researcher(ctx: InteractionContext, question: str) -> None:
        """Look a question up and answer it in one short paragraph."""
        ctx.reply(inner.inquire(question))

    llm_server.script(
        Reply(
            tokens=["Let me check."],
            calls=[
                Call("get_weather", '{"city": "Paris"}', id="c1"),
                Call("researcher", '{"question": "Who built the Eiffel Tower?"}', id="c2"),
            ],
        ),
        Reply(tokens=["Gustave ", "Eiffel's ", "company."]),
        Reply(tokens=["Sunny, ", "and Eiffel."]),
    )
    async with MiniAgents():
        messages = await _consume(
            make(tools=[get_weather, researcher]).inquire("Weather in Paris, and who built it?")
        )
    calls, weather, research, answer = messages
    assert calls.role == "assistant" and calls.text == "Let me check."
    assert [(c.id, c.name, c.arguments.model_dump()) for c in calls.tool_calls] == [
        ("c1", "get_weather", {"city": "Paris"}),
        ("c2", "researcher", {"question": "Who built the Eiffel Tower?"}),
    ]
    assert (weather.role, weather.tool_call_id, weather.tool_name, weather.is_error) == (
        "tool",
        "c1",
        "get_weather",
        False,
    )
    assert weather.text == "18°C and sunny in Paris"
    assert research.text == "Gustave Eiffel's company." and research.tool_name == "researcher"
    agent = "openai" if name == "openai" else "anthropic"
    assert (research.agent, research.agent_path) == ("researcher", f"{agent}/researcher")
    assert (answer.role, answer.text, answer.agent) == ("assistant", "Sunny, and Eiffel.", agent)
    assert "tool_calls" not in answer.model_dump()

    first, inner_request, follow_up = (request.body for request in llm_server.requests)
    assert inner_request["messages"][-1]["content"] == "Who built the Eiffel Tower?"
    if name == "openai":
        assert [t["function"]["name"] for t in first["tools"]] == ["get_weather", "researcher"]
        assert first["tools"][0]["function"]["parameters"]["required"] == ["city"]
        assert follow_up["messages"][1:] == [
            {
                "role": "assistant",
                "content": "Let me check.",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    },
                    {
                        "id": "c2",
                        "type": "function",
                        "function": {
                            "name": "researcher",
                            "arguments": '{"question": "Who built the Eiffel Tower?"}',
                        },
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "18°C and sunny in Paris"},
            {"role": "tool", "tool_call_id": "c2", "content": "Gustave Eiffel's company."},
        ]
    else:
        assert [t["name"] for t in first["tools"]] == ["get_weather", "researcher"]
        assert first["tools"][0]["input_schema"]["required"] == ["city"]
        assert follow_up["messages"][1:] == [
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "c1", "name": "get_weather", "input": {"city": "Paris"}},
                    {
                        "type": "tool_use",
                        "id": "c2",
                        "name": "researcher",
                        "input": {"question": "Who built the Eiffel Tower?"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "c1", "content": "18°C and sunny in Paris"},
                    {"type": "tool_result", "tool_use_id": "c2", "content": "Gustave Eiffel's company."},
                ],
            },
        ]


async def test_arguments_split_at_every_boundary_arrive_whole(provider, llm_server):
    _, make = provider
    arguments = '{"city": "Zürich", "unit": "f"}'
    splits = range(len(arguments) + 1)
    for split in splits:
        llm_server.script(
            Reply(
                tokens=[],
                calls=[Call("get_weather", arguments, pieces=[arguments[:split], arguments[split:]])],
            ),
            Reply(tokens=["ok"]),
        )
    async with MiniAgents():
        agent = make(tools=[get_weather])
        for split in splits:
            calls, result, _ = await _consume(agent.inquire("weather?"))
            assert calls.tool_calls[0].arguments.model_dump() == {"city": "Zürich", "unit": "f"}, split
            assert result.text == "18°F and sunny in Zürich", split


async def test_the_calls_of_one_round_run_concurrently(provider, llm_server):
    _, make = provider
    started = {"a": asyncio.Event(), "b": asyncio.Event()}

    async def wait_for_each_other(me: str, other: str) -> str:
        started[me].set()
        await started[other].wait()  # only returns if the other call runs at the same time
        return f"{me} done"

    async def tool_a() -> str:
        """A."""
        return await wait_for_each_other("a", "b")

    async def tool_b() -> str:
        """B."""
        return await wait_for_each_other("b", "a")

    llm_server.script(
        Reply(tokens=[], calls=[Call("tool_a", "{}"), Call("tool_b", "{}")]), Reply(tokens=["both"])
    )
    async with MiniAgents():
        messages = await asyncio.wait_for(_consume(make(tools=[tool_a, tool_b]).inquire("go")), 60)
    assert [m.text for m in messages] == ["", "a done", "b done", "both"]


async def test_sync_tools_run_in_threads_at_the_same_time(provider, llm_server):
    import threading

    _, make = provider
    barrier = threading.Barrier(2, timeout=30)

    def left() -> str:
        """L."""
        barrier.wait()  # both threads must be running for either to pass
        return "left"

    def right() -> str:
        """R."""
        barrier.wait()
        return "right"

    llm_server.script(
        Reply(tokens=[], calls=[Call("left", "{}"), Call("right", "{}")]), Reply(tokens=["done"])
    )
    async with MiniAgents():
        messages = await _consume(make(tools=[left, right]).inquire("go"))
    assert [m.text for m in messages[1:3]] == ["left", "right"]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (Call("get_weather", '{"city": "Atlantis"}'), "ValueError: no weather under water"),
        (Call("nope", "{}"), "there is no tool named 'nope'; the tools are: get_weather"),
        (
            Call("get_weather", '{"unit": "k"}'),
            "invalid arguments: city: Field required; unit: Input should be 'c' or 'f'",
        ),
        (Call("get_weather", '{"city": '), "the arguments are not valid JSON"),
    ],
)
async def test_errors_go_back_to_the_model_which_recovers(provider, llm_server, call, expected):
    name, make = provider

    def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
        """Current weather for a city."""
        if city == "Atlantis":
            raise ValueError("no weather under water")
        return "fine"

    llm_server.script(Reply(tokens=[], calls=[call]), Reply(tokens=["Sorry, ", "I could not."]))
    async with MiniAgents():
        _, result, answer = await _consume(make(tools=[get_weather]).inquire("weather?"))
    assert result.is_error and result.role == "tool" and result.text.startswith(expected)
    assert answer.text == "Sorry, I could not."
    sent = llm_server.requests[-1].body["messages"]
    if name == "openai":
        assert sent[-1]["role"] == "tool" and sent[-1]["content"] == result.text
    else:
        (block,) = sent[-1]["content"]
        assert block["is_error"] is True and block["content"] == result.text


async def test_the_round_limit_ends_the_reply_with_a_clear_error(provider, llm_server):
    _, make = provider
    llm_server.script(*[Reply(tokens=[], calls=[Call("get_weather", '{"city": "Oslo"}')]) for _ in range(3)])
    async with MiniAgents():
        reply = make(tools=[get_weather], max_tool_rounds=2).inquire("weather?")
        with pytest.raises(ToolRoundsError, match=r"after 2 rounds of them.*raise `max_tool_rounds`"):
            await _consume(reply)
        kinds = [(await p).role for p in reply.items_so_far]
    assert kinds == ["assistant", "tool", "assistant", "tool", "assistant"]
    assert len(llm_server.requests) == 3


async def test_cancelling_the_reply_cancels_a_running_tool(provider, llm_server):
    _, make = provider
    running, cancelled = asyncio.Event(), asyncio.Event()

    async def slow_lookup() -> str:
        """Takes forever."""
        running.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    llm_server.script(*[Reply(tokens=[], calls=[Call("slow_lookup", "{}")]) for _ in range(2)])
    agent = make(tools=[slow_lookup])
    async with MiniAgents() as context:
        # the task that asked is cancelled: everything its reply started stops
        task = asyncio.create_task(_ask_and_consume(agent))
        await asyncio.wait_for(running.wait(), 60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(cancelled.wait(), 60)
        while context.active_tasks:
            await asyncio.sleep(0.01)

        # the tool's result message is stopped (Esc in the app): the tool stops and the reply ends
        running.clear()
        cancelled.clear()
        reply = agent.inquire("go")
        async for promise in reply:
            if promise.metadata_so_far.get("role") == "tool":
                await asyncio.wait_for(running.wait(), 60)
                promise.cancel()
        await asyncio.wait_for(cancelled.wait(), 60)
        result = await reply.items_so_far[1].aresolve_partial()
        assert result.status == "interrupted" and len(reply.items_so_far) == 2
    assert len(llm_server.requests) == 2


async def _ask_and_consume(agent):
    return await _consume(agent.inquire("go"))


async def test_an_agent_tool_streams_to_the_outer_consumer_while_it_writes(provider, llm_server):
    _, make = provider
    gate = asyncio.Event()

    async def words():
        yield "first "
        await gate.wait()  # the rest only after the outer consumer has seen the first token
        yield "second"

    @miniagent
    async def writer(ctx: InteractionContext, topic: str) -> None:
        """Write about a topic."""
        ctx.reply_tokens(words())

    llm_server.script(Reply(tokens=[], calls=[Call("writer", '{"topic": "x"}')]), Reply(tokens=["done"]))
    async with MiniAgents():
        reply = make(tools=[writer]).inquire("write")
        seen = []
        async for promise in reply:
            async for token in promise:
                seen.append(token)
                if token == "first ":
                    assert not promise.done  # the sub-agent is still writing
                    gate.set()
    assert seen == ["first ", "second", "done"]


async def test_a_chat_with_tools_is_saved_reloaded_and_continued(provider, llm_server, tmp_path):
    name, make = provider
    path = tmp_path / "chat.md"
    llm_server.script(
        Reply(tokens=["Checking."], calls=[Call("get_weather", '{"city": "Rome"}', id="w1")]),
        Reply(tokens=["Sunny in Rome."]),
        Reply(tokens=["You are welcome."]),
    )
    async with MiniAgents():
        history = ChatHistoryMD(path)
        await history.logging_agent.inquire(Message(text="Weather in Rome?", role="user"))
        await history.logging_agent.inquire(
            make(tools=[get_weather]).inquire(await history.aload_chat_history())
        )
        saved = await history.aload_chat_history()

        text = path.read_text()  # a Markdown viewer shows the calls and results in the headings
        assert f"### Assistant · {name} · calls get_weather\n" in text and "### Tool · get_weather\n" in text
        reloaded = await ChatHistoryMD(path).aload_chat_history()
        assert reloaded == saved and [m.role for m in reloaded] == ["user", "assistant", "tool", "assistant"]
        await make(tools=[get_weather]).inquire([*reloaded, Message(text="Thanks!", role="user")])
    sent = llm_server.requests[-1].body["messages"]
    if name == "openai":
        assert [m["role"] for m in sent] == ["user", "assistant", "tool", "assistant", "user"]
        assert sent[1]["tool_calls"][0]["function"] == {
            "name": "get_weather",
            "arguments": '{"city": "Rome"}',
        }
        assert sent[2] == {"role": "tool", "tool_call_id": "w1", "content": "18°C and sunny in Rome"}
    else:
        assert [m["role"] for m in sent] == ["user", "assistant", "user", "assistant", "user"]
        assert sent[1]["content"][1] == {
            "type": "tool_use",
            "id": "w1",
            "name": "get_weather",
            "input": {"city": "Rome"},
        }
        assert sent[2]["content"] == [
            {"type": "tool_result", "tool_use_id": "w1", "content": "18°C and sunny in Rome"}
        ]


async def test_a_chat_with_tools_continues_with_a_model_that_has_no_tools(provider, llm_server):
    """Resumed without its tools: the calls and results go as text (Anthropic refuses tool blocks
    in a request without tools, and so does the fake server)."""
    name, make = provider
    llm_server.script(Reply(tokens=["Still sunny."]))
    earlier = [
        Message(text="Weather in Rome?", role="user"),
        Message(
            text="Checking.",
            role="assistant",
            tool_calls=[{"id": "w1", "name": "get_weather", "arguments": {"city": "Rome"}}],
        ),
        Message(
            text="18°C and sunny in Rome",
            role="tool",
            tool_call_id="w1",
            tool_name="get_weather",
            is_error=False,
        ),
        Message(text="Sunny in Rome.", role="assistant"),
        Message(text="And now?", role="user"),
    ]
    async with MiniAgents():
        reply = [m.text for m in await make().inquire(earlier)]
    assert reply == ["Still sunny."]
    sent = llm_server.requests[-1].body
    assert "tools" not in sent
    if name == "anthropic":
        assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user", "assistant", "user"]
        assert sent["messages"][1]["content"] == 'Checking.\n\n[called get_weather({"city": "Rome"})]'
        assert sent["messages"][2]["content"] == "[get_weather returned: 18°C and sunny in Rome]"


# ---------------------------------------------------------------- offline, and who wrote what


async def test_the_demo_model_calls_a_tool_the_prompt_mentions_and_answers_with_its_result():
    async with MiniAgents():
        messages = await _consume(
            demo_agent.fork(tools=[get_weather], tokens_per_second=0).inquire("Weather in Paris, please?")
        )
    calls, result, answer = messages
    assert [(c.name, c.arguments.model_dump()) for c in calls.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert result.text == "18°C and sunny in Paris" and result.agent_path == "demo/get_weather"
    assert "18°C and sunny in Paris" in answer.text
    async with MiniAgents():
        (plain,) = await demo_agent.fork(tools=[get_weather], tokens_per_second=0).inquire("Hello there")
    assert "tool_calls" not in plain.model_dump()


async def test_nested_agents_say_who_wrote_each_message():
    @miniagent
    async def inner(ctx: InteractionContext) -> None:
        ctx.reply("from inner")
        ctx.reply({"text": "a dict", "role": "assistant"})

    @miniagent
    async def outer(ctx: InteractionContext) -> None:
        ctx.reply("from outer")
        ctx.reply(inner.inquire())

    async with MiniAgents():
        messages = await outer.inquire()
    assert [(m.text, m.agent, getattr(m, "agent_path", None)) for m in messages] == [
        ("from outer", "outer", None),
        ("from inner", "inner", "outer/inner"),
        ("a dict", "inner", "outer/inner"),
    ]
    assert json.loads(messages[1].model_dump_json())["agent_path"] == "outer/inner"


async def test_tools_can_be_given_to_inquire_as_well_as_to_fork():
    async with MiniAgents():
        calls, result, _ = await demo_agent.inquire(
            "weather in Oslo?", tools=[get_weather], tokens_per_second=0
        )
    assert calls.tool_calls[0].name == "get_weather" and result.text == "18°C and sunny in Oslo"


async def test_a_tool_that_takes_too_long_is_stopped_and_the_model_is_told(provider, llm_server):
    """`tool_timeout`: the call is cancelled (its `finally` runs), what it wrote so far is kept, and the
    result is an error naming the limit, which goes back to the model in the next round."""
    _, make = provider
    cleaned_up = asyncio.Event()

    @miniagent
    async def slow_search(ctx: InteractionContext, query: str) -> None:
        """Search slowly."""

        async def tokens():
            yield f"found 1 page about {query}; "
            try:
                await asyncio.Event().wait()  # never returns
                yield "never"
            finally:
                cleaned_up.set()

        ctx.reply_tokens(tokens(), role="assistant")

    llm_server.script(
        Reply(tokens=[], calls=[Call("slow_search", json.dumps({"query": "foxes"}))]),
        Reply(tokens=["The search took too long."]),
    )
    async with MiniAgents():
        _, result, answer = await make(tools=[slow_search], tool_timeout=0.2).inquire("search foxes")
    assert cleaned_up.is_set()
    assert result.is_error
    assert result.text == (
        "found 1 page about foxes; \n\n"
        "ToolTimeoutError: 'slow_search' took longer than 0.2 s, so it was stopped"
    )
    assert answer.text == "The search took too long."
    sent_back = json.dumps(llm_server.requests[1].body)
    assert "took longer than 0.2 s" in sent_back


async def test_a_tool_that_asks_runs_only_when_allowed_and_the_model_hears_a_no():
    asked = []

    async def approve(tool, arguments):
        asked.append((tool.name, arguments))
        return arguments["city"] != "Atlantis"

    guarded = Tool.of(get_weather).asking(approve)
    async with MiniAgents():
        _, allowed, _ = await demo_agent.inquire("weather in Paris", tools=[guarded], tokens_per_second=0)
        _, denied, answer = await demo_agent.inquire(
            "weather in Atlantis", tools=[guarded], tokens_per_second=0
        )
    assert asked == [
        ("get_weather", {"city": "Paris", "unit": "c"}),
        ("get_weather", {"city": "Atlantis", "unit": "c"}),
    ]
    assert (allowed.text, allowed.is_error, allowed.approval) == ("18°C and sunny in Paris", False, "allowed")
    assert (denied.text, denied.is_error, denied.approval) == (
        "the user did not allow this call",
        True,
        "denied",
    )
    assert "did not allow" in answer.text


async def test_a_tool_error_is_sent_to_the_model_as_it_is_written():
    def lookup(code: str) -> str:
        """Look a code up."""
        raise ToolError(f"no entry for {code}; try a code of 3 letters")

    async with MiniAgents():
        _, result, _ = await demo_agent.inquire("lookup XYZW", tools=[lookup], tokens_per_second=0)
    assert (result.text, result.is_error) == ("no entry for lookup XYZW; try a code of 3 letters", True)


async def test_an_approver_that_fails_counts_as_a_no():
    async def approve(tool, arguments):
        raise RuntimeError("no screen to ask on")

    async with MiniAgents():
        _, result, _ = await demo_agent.inquire(
            "weather in Oslo", tools=[Tool.of(get_weather).asking(approve)], tokens_per_second=0
        )
    assert result.is_error and result.approval == "denied"
    assert (
        result.text == "the user did not allow this call (asking failed: RuntimeError: no screen to ask on)"
    )
