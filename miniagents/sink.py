"""`MessageSink`: turns whatever is given as messages into one `MessageSequencePromise`, in order.

Accepted pieces, nested to any depth: `None` (skipped), `str`, `Message`, a `dict` of message fields,
`MessagePromise`, `MessageSequencePromise` (another agent's reply, for example), other
`StreamedPromise`s of these, and sync or async iterables of any of these. Pieces that are already
there go straight into the sequence; the first piece that has to be awaited starts one background
task that expands it, and everything put after it waits its turn behind it, so the order of the
sequence is always the order of the `put()` calls.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any

from miniagents.errors import ReplyError
from miniagents.messages import Message, MessageInput, MessagePromise, MessageSequencePromise
from miniagents.promising.context import PromisingContext
from miniagents.promising.errors import PromiseCancelledError
from miniagents.promising.frozen import Frozen
from miniagents.promising.promises import StreamedPromise

__all__ = ["MessageSink", "to_message_sequence"]


class MessageSink:
    """Feeds a `MessageSequencePromise` from pieces of any accepted shape, keeping their order."""

    __slots__ = ("_close_error", "_close_requested", "_pending", "author", "sequence")

    def __init__(
        self, sequence: MessageSequencePromise | None = None, author: Mapping[str, Any] | None = None
    ) -> None:
        """A sink feeding `sequence` (a new one by default).

        `author` fields (`agent`, ...) are added to every message made here from a `str` or a
        `dict` that does not set them; messages given whole pass unchanged.
        """
        self.sequence = sequence if sequence is not None else MessageSequencePromise()
        self.author: Mapping[str, Any] = author or {}
        self._pending: deque[Any] | None = None
        self._close_requested = False
        self._close_error: BaseException | None = None

    @property
    def closed(self) -> bool:
        """Whether `close()` was called (pieces may still be on their way into the sequence)."""
        return self._close_requested

    def put(self, piece: MessageInput) -> None:
        """Add a piece (see the module docstring for what is accepted).

        Raises:
            ReplyError: the sink was closed, or the piece (or a directly nested one) has a type
                that cannot be turned into messages.
        """
        if self._close_requested:
            raise ReplyError("cannot add messages: this reply has already been finished")
        if self._pending is not None:
            _check_type(piece)
            self._pending.append(piece)
        else:
            self._put_now(piece)

    def close(self, error: BaseException | None = None) -> None:
        """End the sequence (after pieces still being expanded), with `error` if given. Idempotent."""
        if self._close_requested:
            return
        self._close_requested = True
        self._close_error = error
        if self._pending is None:
            self.sequence.finish(error)

    def _put_now(self, piece: Any) -> None:
        item = _as_message_promise(piece, self.author)
        if item is not None:
            self.sequence.append(item)
        elif piece is None:
            return
        elif _is_async_piece(piece):
            self._pending = deque((piece,))
            PromisingContext.get_current().start_soon(self._expand())
        elif isinstance(piece, Iterable):
            for sub_piece in piece:
                if self._pending is not None:
                    _check_type(sub_piece)
                    self._pending.append(sub_piece)
                else:
                    self._put_now(sub_piece)
        else:
            _check_type(piece)

    async def _expand(self) -> None:
        pending = self._pending
        assert pending is not None
        sequence = self.sequence
        try:
            while pending:
                await _expand_into(pending.popleft(), sequence, self.author)
        except asyncio.CancelledError:
            sequence.finish(PromiseCancelledError("the reply was cancelled while it was being put together"))
            raise
        except Exception as error:
            pending.clear()
            sequence.finish(error)
        self._pending = None
        if self._close_requested:
            sequence.finish(self._close_error)


async def _expand_into(piece: Any, sequence: MessageSequencePromise, author: Mapping[str, Any]) -> None:
    item = _as_message_promise(piece, author)
    if item is not None:
        sequence.append(item)
    elif piece is None:
        return
    elif isinstance(piece, StreamedPromise | AsyncIterable):
        async for sub_piece in piece:
            await _expand_into(sub_piece, sequence, author)
    elif isinstance(piece, Iterable):
        for sub_piece in piece:
            await _expand_into(sub_piece, sequence, author)
    else:
        _check_type(piece)


def _as_message_promise(piece: Any, author: Mapping[str, Any]) -> MessagePromise | None:
    if isinstance(piece, MessagePromise):
        return piece
    if isinstance(piece, str):
        return MessagePromise(Message(text=piece, **author))
    if isinstance(piece, Message):
        return MessagePromise(piece)
    if isinstance(piece, Mapping):
        return MessagePromise(Message(**{**author, **piece}))
    if isinstance(piece, Frozen):
        return MessagePromise(Message(**piece.model_dump()))
    return None


def _is_async_piece(piece: Any) -> bool:
    return isinstance(piece, StreamedPromise | AsyncIterable)


def _check_type(piece: Any) -> None:
    if piece is None or isinstance(
        piece, str | Message | Mapping | Frozen | StreamedPromise | AsyncIterable | Iterable
    ):
        return
    raise ReplyError(
        f"cannot send {type(piece).__name__} as a message: give a str, Message, dict, MessagePromise,"
        " MessageSequencePromise, or an (async) iterable of these"
    )


def to_message_sequence(messages: MessageInput) -> MessageSequencePromise:
    """Turn messages of any accepted shape into a `MessageSequencePromise` (as is, if it already is one)."""
    if isinstance(messages, MessageSequencePromise):
        return messages
    sink = MessageSink()
    if messages is not None:
        sink.put(messages)
    sink.close()
    return sink.sequence
