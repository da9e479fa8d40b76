"""Tools for the chat, offline: `miniagents-tui --model demo --tools examples.chat_tools:tools`.

Then ask "weather in Paris?" (the function runs) or "a storyteller tale about a fox" (an agent runs,
and its reply streams inside the tool's block while it is written). With a real model, it picks the
tools itself: `miniagents-tui --model openai:gpt-4o-mini --tools examples.chat_tools:tools`.
"""

from typing import Literal

from miniagents import InteractionContext, miniagent
from miniagents.ext.llm.demo import demo_agent


def weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Current weather for a city."""
    return f"18°{unit.upper()} and sunny in {city}"


@miniagent
async def storyteller(ctx: InteractionContext, topic: str) -> None:
    """Tell a short story about a topic."""
    story = f"Once upon a time there was {topic}. " * 6 + "The end."
    ctx.reply(demo_agent.inquire(topic, script=[story], tokens_per_second=60))


tools = [weather, storyteller]
