"""`demo_agent`: an offline model that streams a deterministic Markdown reply. No key, no network.

The reply depends on the conversation (it quotes and counts the last user message), streams at a
configurable rate, and carries the same metadata as the real providers. It makes the app usable on
a fresh machine and makes UI tests and benchmarks repeatable.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from miniagents.agents import InteractionContext, miniagent
from miniagents.errors import LLMStreamError
from miniagents.ext.llm.base import chat_turns

__all__ = ["DEFAULT_DEMO_SPEED", "DEMO_MODEL", "demo_agent", "demo_reply_text", "split_into_tokens"]

DEMO_MODEL = "demo"

DEFAULT_DEMO_SPEED = 200.0
"""Tokens per second the demo model streams at unless told otherwise."""

_TOKEN = re.compile(r"\s*\S+|\s+")

_LANGUAGES = (
    ("python", 'def greet(name: str) -> str:\n    return f"Hello, {name}!"\n\nprint(greet("{topic}"))'),
    ("bash", 'for word in {topic}; do\n  echo "$word"\ndone'),
    ("javascript", 'const greet = (name) => `Hello, ${name}!`;\nconsole.log(greet("{topic}"));'),
)


def split_into_tokens(text: str) -> list[str]:
    """Split text into word-sized tokens (each with the whitespace before it); joined they give `text`."""
    return _TOKEN.findall(text)


def demo_reply_text(prompt: str, system: str | None = None, turn: int = 1) -> str:
    """The demo model's reply to `prompt`: the same prompt always gives the same reply."""
    words = re.findall(r"[\w'-]+", prompt)
    topic = words[-1] if words else "nothing"
    digest = int(hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest(), 16)
    language, code = _LANGUAGES[digest % len(_LANGUAGES)]
    quoted = prompt.strip().splitlines()[0] if prompt.strip() else "(an empty message)"
    if len(quoted) > 80:
        quoted = quoted[:77] + "..."
    persona = f" Playing the part you set: *{system.strip()[:60]}*." if system and system.strip() else ""
    return (
        f"This is the **offline demo model** (turn {turn}), answering without any network.{persona}\n\n"
        f"You wrote {len(words)} word{'s' if len(words) != 1 else ''}, starting with: {quoted}\n\n"
        "Here is what a real model would give you, in Markdown:\n\n"
        f"- a list item about `{topic}`\n"
        "- a second item, with *emphasis*\n"
        f"- a third, counting {len(prompt)} characters\n\n"
        f"```{language}\n{code.replace('{topic}', topic)}\n```\n\n"
        "To talk to a real model, set `OPENAI_API_KEY` or `ANTHROPIC_API_KEY`, or point `OPENAI_BASE_URL`"
        " at a local server such as Ollama."
    )


@miniagent(alias="demo")
async def demo_agent(
    ctx: InteractionContext,
    tokens_per_second: float = DEFAULT_DEMO_SPEED,
    system: str | None = None,
    script: Sequence[str] | None = None,
    fail_after_tokens: int | None = None,
    first_token_delay: float = 0.0,
    **_ignored: Any,
) -> None:
    """Reply with a deterministic Markdown message streamed at `tokens_per_second`.

    Args:
        ctx: the interaction.
        tokens_per_second: streaming rate (0 or less: as fast as possible).
        system: a system prompt (the reply mentions it).
        script: reply with exactly this text instead (one reply per call, cycling by turn).
        fail_after_tokens: raise `LLMStreamError` after this many tokens (to try error handling).
        first_token_delay: seconds before the first token.
        **_ignored: settings meant for real providers (`model`, `temperature`, ...), accepted and unused.
    """
    turns = chat_turns(await ctx.messages)
    user_turns = [text for role, text in turns if role == "user"]
    prompt = user_turns[-1] if user_turns else ""
    if script:
        text = script[(len(user_turns) - 1) % len(script)]
    else:
        text = demo_reply_text(prompt, system, turn=len(user_turns))
    tokens = split_into_tokens(text)
    input_tokens = sum(len(split_into_tokens(turn_text)) for _, turn_text in turns)

    async def stream() -> AsyncIterator[str | dict[str, Any]]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        if first_token_delay > 0:
            await asyncio.sleep(first_token_delay)
        yield {"time_to_first_token_s": round(loop.time() - start, 4)}
        origin = loop.time()
        for index, token in enumerate(tokens):
            if fail_after_tokens is not None and index >= fail_after_tokens:
                raise LLMStreamError(
                    "Demo", f"the stream failed part-way (scripted after {fail_after_tokens} tokens)"
                )
            if tokens_per_second > 0:
                due = origin + index / tokens_per_second
                delay = due - loop.time()
                if delay > 0.001:
                    await asyncio.sleep(delay)
                elif index % 64 == 63:
                    await asyncio.sleep(0)  # stay fair to the rest of the loop at very high rates
            yield token
        yield {
            "stop_reason": "end_turn",
            "usage": {"input_tokens": input_tokens, "output_tokens": len(tokens)},
        }

    ctx.reply_tokens(stream(), role="assistant", agent=ctx.agent.alias, provider="demo", model=DEMO_MODEL)
