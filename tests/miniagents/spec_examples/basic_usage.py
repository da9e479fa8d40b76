import asyncio
from miniagents import miniagent, MiniAgents, InteractionContext

@miniagent
async def simple_agent(ctx: InteractionContext) -> None:
    ctx.reply("Hello from the agent!")

async def main():
    async with MiniAgents():
        reply = await simple_agent.inquire()
        print(await reply.aresolve_messages())

asyncio.run(main())
