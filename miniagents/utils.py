"""Helpers for common agent patterns: loops of agents, and joining or splitting messages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from miniagents.agents import MiniAgent
from miniagents.chat_history import ChatHistory
from miniagents.errors import ChainError, StopLoop
from miniagents.messages import Message, MessageInput, MessagePromise, MessageSequencePromise
from miniagents.miniagents import MiniAgents
from miniagents.promising.errors import PromiseCancelledError
from miniagents.promising.sentinels import AWAIT, CLEAR, Sentinel
from miniagents.sink import to_message_sequence

__all__ = ["achain_loop", "adialog_loop", "join_messages", "split_messages"]


async def achain_loop(agents: Sequence[MiniAgent | Sentinel], initial_input: MessageInput = None) -> None:
    """Call the agents of a chain one after another, forever: each gets the previous one's reply.

    The last agent's reply is the first agent's input on the next round (`initial_input` on the
    first). Agents start as soon as their input is known and stream into each other, except where
    the chain has `AWAIT`: there the loop waits until the reply so far is complete. `CLEAR` makes
    the next agent start with no input.

    The loop ends:
    - normally, when an agent raises `StopLoop` (it travels down the chain to the next `AWAIT`);
    - with the original exception, when an agent raises anything else (also at the next `AWAIT`);
    - with `CancelledError`, when the caller is cancelled (the agents it started are cancelled too).

    Raises:
        ChainError: the chain has no `AWAIT` (it would start agents without ever waiting) or holds
            something that is neither an agent nor `AWAIT`/`CLEAR`.
    """
    for agent in agents:
        if not isinstance(agent, MiniAgent) and agent is not AWAIT and agent is not CLEAR:
            raise ChainError(f"an agent chain holds agents, AWAIT and CLEAR only; got {agent!r}")
    if not any(agent is AWAIT for agent in agents):
        raise ChainError(
            "an agent chain needs at least one AWAIT, or it would start agents forever without waiting"
            " for any of them: e.g. `achain_loop([user_agent, AWAIT, assistant_agent])`"
        )
    messages: MessageInput = initial_input
    while True:
        for agent in agents:
            if agent is AWAIT:
                try:
                    messages = await to_message_sequence(messages)
                except StopLoop:
                    return
            elif agent is CLEAR:
                messages = None
            else:
                assert isinstance(agent, MiniAgent)
                messages = agent.inquire(messages)


async def adialog_loop(
    user_agent: MiniAgent,
    assistant_agent: MiniAgent,
    chat_history: ChatHistory | None = None,
    initial_input: MessageInput = None,
    *,
    select_history: Callable[[tuple[Message, ...]], MessageInput] | None = None,
) -> None:
    """Alternate between a user agent and an assistant agent until one of them raises `StopLoop`.

    The user agent receives the assistant's reply as it streams; the assistant starts once the
    user's reply is complete. Without `chat_history` this is
    `achain_loop([user_agent, AWAIT, assistant_agent])`: the assistant sees only the user's last
    reply. With it, both sides are recorded (roles `user` and `assistant` where messages have none)
    and the assistant receives the saved history each turn.

    A user agent that replies with no message asks for the assistant's turn again on the same
    history: together with `select_history` that is how a chat regenerates a reply or resends an
    edited prompt (mark the replaced messages, leave them out, reply with the new prompt or nothing).

    Args:
        user_agent: the person's side; its input is the assistant's last reply (`initial_input` on
            the first turn).
        assistant_agent: the assistant's side.
        chat_history: where both sides are recorded; without it the assistant gets only the user's
            last reply.
        initial_input: the user agent's input on the first turn.
        select_history: given every saved message, returns the ones the assistant is sent this turn
            (default: all of them). Only used with `chat_history`.
    """
    if chat_history is None:
        await achain_loop([user_agent, AWAIT, assistant_agent], initial_input=initial_input)
        return
    log = chat_history.logging_agent
    assistant_reply: MessageInput = initial_input
    while True:
        user_reply = log.inquire(user_agent.inquire(assistant_reply), role="user")
        try:
            await user_reply
        except StopLoop:
            return
        history = await chat_history.aload_chat_history()
        conversation = history if select_history is None else select_history(history)
        assistant_reply = log.inquire(assistant_agent.inquire(conversation), role="assistant")


def join_messages(
    messages: MessageInput,
    delimiter: str = "\n\n",
    strip_leading_newlines: bool = False,
    **metadata: Any,
) -> MessagePromise:
    """Join messages into one message that streams while they stream.

    Args:
        messages: the messages, in any shape `InteractionContext.reply()` accepts.
        delimiter: put between the texts of two messages (empty messages are skipped).
        strip_leading_newlines: drop newlines at the start of each message's text.
        **metadata: metadata of the joined message.
    """
    sequence = to_message_sequence(messages)

    async def joined_tokens() -> AsyncIterator[str]:
        any_text_yet = False
        async for message_promise in sequence:
            at_start = True
            async for token in message_promise:
                if at_start:
                    if strip_leading_newlines:
                        token = token.lstrip("\n")
                    if not token:
                        continue
                    if any_text_yet:
                        yield delimiter
                    at_start = False
                    any_text_yet = True
                yield token

    return MessagePromise(tokens=joined_tokens(), **metadata)


def split_messages(
    messages: MessageInput,
    delimiter: str = "\n\n",
    code_block_delimiter: str | None = "```",
    **metadata: Any,
) -> MessageSequencePromise:
    """Split each message at `delimiter` into several messages, streaming.

    Each part is a `MessagePromise` that streams as the input streams, so the first part arrives
    before the input ends. A delimiter inside a fenced code block (between two
    `code_block_delimiter`s) does not split. Delimiters are dropped; empty parts are skipped.

    Args:
        messages: the messages, in any shape `InteractionContext.reply()` accepts.
        delimiter: where to split; must not be empty.
        code_block_delimiter: the fence that opens and closes a code block (`None`: no code blocks).
        **metadata: metadata of every part.
    """
    if not delimiter:
        raise ValueError("split_messages needs a non-empty delimiter")
    source = to_message_sequence(messages)
    parts = MessageSequencePromise()
    splitter = _Splitter(parts, delimiter, code_block_delimiter or "", metadata)
    MiniAgents.get_current().start_soon(splitter.run(source))
    return parts


class _Splitter:
    """Feeds `parts` with streamed parts cut out of the input messages."""

    def __init__(
        self, parts: MessageSequencePromise, delimiter: str, fence: str, metadata: dict[str, Any]
    ) -> None:
        self._parts = parts
        self._delimiter = delimiter
        self._fence = fence
        self._metadata = metadata
        self._current: MessagePromise | None = None
        self._lookahead = max(len(delimiter), len(fence)) - 1

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self._current is None:
            self._current = MessagePromise(**self._metadata)
            self._parts.append(self._current)
        self._current.append(text)

    def _end_part(self, error: BaseException | None = None) -> None:
        if self._current is not None:
            self._current.finish(error)
            self._current = None

    async def run(self, source: MessageSequencePromise) -> None:
        try:
            async for message_promise in source:
                await self._split_one(message_promise)
        except asyncio.CancelledError:
            cancelled = PromiseCancelledError("splitting the messages was cancelled")
            self._end_part(cancelled)
            self._parts.finish(cancelled)
            raise
        except Exception as error:
            self._end_part(error)
            self._parts.finish(error)
        else:
            self._parts.finish()

    async def _split_one(self, message_promise: MessagePromise) -> None:
        delimiter, fence = self._delimiter, self._fence
        buffer = ""
        emitted = 0  # buffer[:emitted] is already in the current part
        scan = 0  # no delimiter or fence starts before this position (except those handled)
        in_code = False
        async for token in message_promise:
            buffer += token
            while True:
                fence_at = buffer.find(fence, scan) if fence else -1
                split_at = -1 if in_code else buffer.find(delimiter, scan)
                if fence_at != -1 and (split_at == -1 or fence_at < split_at):
                    in_code = not in_code
                    scan = fence_at + len(fence)
                elif split_at != -1:
                    self._emit(buffer[emitted:split_at])
                    self._end_part()
                    buffer = buffer[split_at + len(delimiter) :]
                    emitted = scan = 0
                else:
                    scan = max(scan, len(buffer) - self._lookahead)
                    if scan > emitted:
                        self._emit(buffer[emitted:scan])
                        buffer = buffer[scan:]
                        emitted = scan = 0
                    break
        self._emit(buffer[emitted:])
        self._end_part()
