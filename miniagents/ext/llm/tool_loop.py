"""The tool loop every LLM agent shares: stream a round, run the tools it asks for, stream again.

A round is one request to the model, streamed as one assistant message. When the model asks for
tools, that message carries `tool_calls` (a tuple of `{id, name, arguments}`); every call of the
round starts at once, concurrently, and its result message (`role="tool"`) joins the reply right
after the call. The next round sends the conversation with the calls and their results. The reply
therefore reads in order: calls, results, ..., the model's final text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from miniagents.agents import InteractionContext
from miniagents.errors import ToolRoundsError
from miniagents.messages import Message, MessagePromise
from miniagents.promising.frozen import plain
from miniagents.tools import DEFAULT_TOOL_TIMEOUT, ToolLike, start_tool_call, tools_by_name

__all__ = [
    "DEFAULT_MAX_TOOL_ROUNDS",
    "DEFAULT_TOOL_TIMEOUT",
    "areply_in_rounds",
    "arguments_json",
    "parse_tool_call",
]

DEFAULT_MAX_TOOL_ROUNDS = 10
"""How many rounds of tool calls a reply may take before it is ended with `ToolRoundsError`."""


async def areply_in_rounds(
    ctx: InteractionContext,
    start_round: Callable[[Sequence[Message]], MessagePromise],
    *,
    provider: str,
    tools: Iterable[ToolLike] = (),
    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS,
    tool_timeout: float | None = DEFAULT_TOOL_TIMEOUT,
) -> None:
    """Reply with rounds of the model (`start_round`) and the results of the tools they call.

    After each round that calls tools come their results and another round, until the model
    answers without calling a tool. A call that takes longer than `tool_timeout` seconds is
    stopped, and its result says so (an error the model can recover from). A round that fails or
    is stopped ends the reply (its message says how).

    Raises:
        ToolDefinitionError: something in `tools` cannot be a tool.
        ToolRoundsError: the model still called tools after `max_tool_rounds` rounds of them.
    """
    known = tools_by_name(tools)
    conversation = list(await ctx.messages)
    rounds = 0
    while True:
        round_reply = start_round(conversation)
        ctx.reply(round_reply)
        message = await round_reply.aresolve_partial()
        calls = getattr(message, "tool_calls", None) or ()
        if not calls or getattr(message, "status", None) is not None:
            return
        if rounds >= max_tool_rounds:
            raise ToolRoundsError(
                provider,
                f"the model still asked for tools after {max_tool_rounds} rounds of them, so the reply"
                " was ended (raise `max_tool_rounds` if it needs more)",
            )
        rounds += 1
        results = [start_tool_call(call, known, timeout=tool_timeout) for call in calls]
        ctx.reply(results)
        conversation.append(message)
        conversation += [await result.aresolve_partial() for result in results]
        if any(getattr(result, "status", None) is not None for result in conversation[-len(results) :]):
            return


def parse_tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """A tool call as it goes into a message: its arguments parsed (kept as text if not JSON)."""
    parsed: Any = arguments
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        pass
    return {"id": call_id, "name": name, "arguments": parsed}


def arguments_json(arguments: Any) -> str:
    """A call's arguments as JSON text for a provider (text that is not JSON is sent as it came)."""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(plain(arguments), ensure_ascii=False)
