"""A model calls a typed function and another agent; the agent's reply streams through the call live.

Run `python examples/tools.py`: with `OPENAI_API_KEY` (or `OPENAI_BASE_URL`) it asks a real model,
without either the offline demo model plays the assistant (it calls a tool the prompt mentions).
"""

from typing import Literal

from miniagents import InteractionContext, MiniAgents, miniagent
from miniagents.ext.llm.openai import openai_agent


def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Current weather for a city."""
    return f"18°{unit.upper()} and sunny in {city}"


@miniagent
async def researcher(ctx: InteractionContext, question: str) -> None:
    """Look a question up and answer it in one short paragraph."""
    ctx.reply(openai_agent.inquire(question, model="gpt-4o-mini"))


assistant = openai_agent.fork(model="gpt-4o-mini", tools=[get_weather, researcher])


async def main() -> None:
    async with MiniAgents():
        async for message in assistant.inquire("Weather in Paris, and who built the Eiffel Tower?"):
            async for token in message:
                print(token, end="", flush=True)


async def show_the_work(agent=assistant) -> None:
    """Like `main()`, with a line before each message saying what it is: a call, a result or the answer."""
    async with MiniAgents():
        async for message in agent.inquire("Weather in Paris, and who built the Eiffel Tower?"):
            metadata = message.metadata_so_far
            if metadata.get("role") == "tool":
                print(f"[{metadata.get('agent_path', metadata['tool_name'])} answers] ", end="")
            async for token in message:
                print(token, end="", flush=True)
            done = await message
            for call in done.model_dump().get("tool_calls") or ():
                print(
                    f"{chr(10) if done.text else ''}[calls {call['name']} with {call['arguments']}]", end=""
                )
            print()


if __name__ == "__main__":
    import asyncio
    import os

    from miniagents.ext.llm.demo import demo_agent

    offline = not (os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"))
    model = demo_agent.fork(tools=[get_weather, researcher]) if offline else assistant
    asyncio.run(show_the_work(model))
