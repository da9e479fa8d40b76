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

from miniagents.agents import InteractionContext, author_fields, miniagent
from miniagents.errors import LLMStreamError
from miniagents.ext.llm.base import chat_turns
from miniagents.ext.llm.tool_loop import DEFAULT_MAX_TOOL_ROUNDS, DEFAULT_TOOL_TIMEOUT, areply_in_rounds
from miniagents.messages import Message, MessagePromise
from miniagents.tools import Tool, ToolLike

__all__ = [
    "DEFAULT_DEMO_SPEED",
    "DEMO_MODEL",
    "demo_agent",
    "demo_reply_text",
    "demo_tool_calls",
    "split_into_tokens",
]

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
    tools: Sequence[ToolLike] = (),
    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS,
    tool_timeout: float | None = DEFAULT_TOOL_TIMEOUT,
    **_ignored: Any,
) -> None:
    """Reply with a deterministic Markdown message streamed at `tokens_per_second`.

    With `tools`, a prompt that mentions a tool (its name, or a word of its name such as `weather`
    for `get_weather`) makes the model call the first such tool, with arguments taken from the
    prompt, and then answer with what the tool returned.

    Args:
        ctx: the interaction.
        tokens_per_second: streaming rate (0 or less: as fast as possible).
        system: a system prompt (the reply mentions it).
        script: reply with exactly this text instead (one reply per call, cycling by turn).
        fail_after_tokens: raise `LLMStreamError` after this many tokens (to try error handling).
        first_token_delay: seconds before the first token.
        tools: functions and agents the model may call (see `miniagents.tools`).
        max_tool_rounds: the most rounds of tool calls in one reply.
        tool_timeout: seconds a tool call may take before it is stopped with an error result
            (None: no limit).
        **_ignored: settings meant for real providers (`model`, `temperature`, ...), accepted and unused.
    """
    described = [Tool.of(tool) for tool in tools]
    metadata: dict[str, Any] = {
        "role": "assistant",
        **author_fields(ctx.agent_path),
        "provider": "demo",
        "model": DEMO_MODEL,
    }

    def start_round(conversation: Sequence[Message]) -> MessagePromise:
        turns = chat_turns(conversation)
        user_turns = [text for role, text in turns if role == "user"]
        prompt = user_turns[-1] if user_turns else ""
        calls = demo_tool_calls(conversation, described)
        if calls:
            text = ""
        elif conversation and getattr(conversation[-1], "role", None) == "tool":
            text = _answer_from_results(conversation)
        elif script:
            text = script[(len(user_turns) - 1) % len(script)]
        else:
            text = demo_reply_text(prompt, system, turn=len(user_turns))
        input_tokens = sum(len(split_into_tokens(turn_text)) for _, turn_text in turns)
        ending: dict[str, Any] = {"stop_reason": "tool_use" if calls else "end_turn"}
        if calls:
            ending["tool_calls"] = calls
        stream = _stream(
            split_into_tokens(text),
            tokens_per_second,
            fail_after_tokens,
            first_token_delay,
            input_tokens,
            ending,
        )
        return MessagePromise(tokens=stream, **metadata)

    await areply_in_rounds(
        ctx,
        start_round,
        provider="Demo",
        tools=described,
        max_tool_rounds=max_tool_rounds,
        tool_timeout=tool_timeout,
    )


async def _stream(
    tokens: list[str],
    tokens_per_second: float,
    fail_after_tokens: int | None,
    first_token_delay: float,
    input_tokens: int,
    ending: dict[str, Any],
) -> AsyncIterator[str | dict[str, Any]]:
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
    yield {**ending, "usage": {"input_tokens": input_tokens, "output_tokens": len(tokens)}}


_PLACE_PARAMETERS = frozenset({"city", "place", "location", "country", "town", "where", "name"})


def demo_tool_calls(conversation: Sequence[Message], tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """The tool calls the demo model makes: one, to the first tool the last prompt mentions.

    Only a prompt (a user message at the end) leads to a call, so a reply has one round of tools.
    """
    if not tools or not conversation or getattr(conversation[-1], "role", "user") not in ("user", None):
        return []
    prompt = conversation[-1].text
    words = {word.lower() for word in re.findall(r"[\w-]+", prompt)}
    for tool in tools:
        parts = {part for part in re.split(r"[_-]", tool.name.lower()) if len(part) >= 4}
        if tool.name.lower() in words or parts & words:
            earlier = sum(len(getattr(m, "tool_calls", None) or ()) for m in conversation)
            return [
                {"id": f"demo_call_{earlier + 1}", "name": tool.name, "arguments": _arguments(tool, prompt)}
            ]
    return []


def _arguments(tool: Tool, prompt: str) -> dict[str, Any]:
    """Arguments for `tool` taken from `prompt`: required parameters only (the others keep defaults)."""
    schema = tool.parameters
    arguments: dict[str, Any] = {}
    for name in schema.get("required", ()):
        spec = schema.get("properties", {}).get(name, {})
        kind = spec.get("type")
        if "enum" in spec:
            arguments[name] = spec["enum"][0]
        elif kind in ("integer", "number"):
            number = re.search(r"-?\d+(?:\.\d+)?", prompt)
            value = float(number.group()) if number else 1
            arguments[name] = int(value) if kind == "integer" else value
        elif kind == "boolean":
            arguments[name] = False
        elif name.lower() in _PLACE_PARAMETERS:
            capitalized = re.findall(r"(?<!^)\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*", prompt.strip())
            arguments[name] = capitalized[0] if capitalized else prompt.strip()
        else:
            arguments[name] = prompt.strip()
    return arguments


def _gist(text: str, limit: int = 300) -> str:
    """A result on one line, cut to `limit` characters (a tool may return megabytes)."""
    line = " ".join(text[: limit * 4].split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _answer_from_results(conversation: Sequence[Message]) -> str:
    results = []
    for message in reversed(conversation):
        if getattr(message, "role", None) != "tool":
            break
        results.append(message)
    lines = [
        f"- **{getattr(m, 'tool_name', 'tool')}**"
        + (" failed: " if getattr(m, "is_error", False) else ": ")
        + _gist(m.text)
        for m in reversed(results)
    ]
    return "This is the **offline demo model**. I asked a tool, and it said:\n\n" + "\n".join(lines)
