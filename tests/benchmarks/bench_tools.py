"""A tool for `terminal_bench.py`: an agent whose reply (from the fake server) streams in its block."""

from miniagents import InteractionContext, miniagent
from miniagents.ext.llm.openai import openai_agent


@miniagent
async def narrator(ctx: InteractionContext, topic: str) -> None:
    """Tell a long story about a topic."""
    ctx.reply(openai_agent.inquire(topic, model="narrator", max_retries=0))


tools = [narrator]
