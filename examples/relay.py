"""Two agents streaming into each other: a writer and a shouting relay."""

import asyncio

from miniagents import InteractionContext, MiniAgents, miniagent


@miniagent
async def writer(ctx: InteractionContext, topic: str) -> None:
    async def tokens():
        for word in f"streams about {topic} arrive word by word".split():
            await asyncio.sleep(0.01)  # pretend the words come from a network
            yield word + " "

    ctx.reply_tokens(tokens(), role="assistant")


@miniagent
async def shouter(ctx: InteractionContext) -> None:
    async def tokens():
        async for message in ctx.messages:
            async for token in message:
                yield token.upper()

    ctx.reply_tokens(tokens(), role="assistant")


async def main() -> None:
    async with MiniAgents():
        reply = shouter.inquire(writer.inquire(topic="agents"))
        async for message in reply:  # message by message...
            async for token in message:  # ...and token by token
                print(token, end="|", flush=True)
        print()
        print(await reply)


if __name__ == "__main__":
    asyncio.run(main())
