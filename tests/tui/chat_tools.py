"""Tools for the chat tests, loaded the way a user would: `--tools tests.tui.chat_tools:NAME`."""

import asyncio

from miniagents import InteractionContext, miniagent


def weather(city: str) -> str:
    """Current weather for a city."""
    return f"18°C and sunny in {city}"


def broken_gauge(city: str) -> str:
    """A gauge that always fails."""
    raise RuntimeError(f"the gauge in {city} is broken")


def station_list(city: str) -> str:
    """Every weather station in a city."""
    return "\n".join(f"- station {number} in {city}" for number in range(40))


async def stuck_sensor(city: str) -> str:
    """A sensor that never answers."""
    await asyncio.Event().wait()
    return "never"


NARRATOR_LINES: asyncio.Queue[str | None] = asyncio.Queue()
"""What `narrator` writes next: the test feeds it line by line (`None` ends its reply)."""


@miniagent
async def narrator(ctx: InteractionContext, topic: str) -> None:
    """Tell a story about a topic, as the test feeds it."""

    async def lines():
        while (line := await NARRATOR_LINES.get()) is not None:
            yield line

    ctx.reply_tokens(lines(), role="assistant")


tools = [weather, broken_gauge, stuck_sensor, station_list]
not_a_tool = 42


def firehose(city: str) -> str:
    """Every reading ever taken in a city (a megabyte of text)."""
    line = f"{city}: 18°C, wind 3 m/s, humidity 40 % \x1b[31m[bold]not markup[/bold]\n"
    return line * (1_048_576 // len(line) + 1)
