"""Agents for the panel view tests, loaded the way a user would: `--agent tests.tui.panel_agents:NAME`."""

from miniagents import InteractionContext, miniagent
from miniagents.ext.llm.demo import demo_agent

alpha = demo_agent.fork(alias="alpha", script=["Alpha says: **one**, two, three."], tokens_per_second=0)
beta = demo_agent.fork(alias="beta", script=["Beta answers:\n\n- a list\n- of things"], tokens_per_second=0)
failing = demo_agent.fork(
    alias="failing", script=["this reply breaks off soon"], fail_after_tokens=2, tokens_per_second=0
)
slow = demo_agent.fork(alias="slow", script=[" ".join(f"word{i}" for i in range(300))], tokens_per_second=40)

writer = demo_agent.fork(alias="writer", script=["A first draft."], tokens_per_second=0)
critic = demo_agent.fork(alias="critic", script=["The draft is too short."], tokens_per_second=0)


@miniagent
async def pipeline(ctx: InteractionContext) -> None:
    """Writer, then critic on the draft: the pane shows which agent wrote each message."""
    draft = writer.inquire(ctx.messages)
    ctx.reply(draft)
    ctx.reply(critic.inquire(draft))


not_an_agent = "just a string"

slow_writer = demo_agent.fork(alias="writer", script=["one two three four five six"], tokens_per_second=20)
slow_critic = demo_agent.fork(alias="critic", script=["seven eight nine ten"], tokens_per_second=20)


@miniagent
async def slow_pipeline(ctx: InteractionContext) -> None:
    """A writer streaming a word every 50 ms, then a critique sent once it is whole (it arrives at once).

    Over the whole reply that is about 20 tok/s; the critique alone would look like thousands.
    """
    draft = slow_writer.inquire(ctx.messages)
    ctx.reply(draft)
    critique = slow_critic.inquire(draft)
    await critique
    ctx.reply(critique)


@miniagent
async def plain_text(ctx: InteractionContext) -> None:
    """An agent of the user's that replies with a bare string (no role, no agent field of its own)."""
    ctx.reply("Just text.")
