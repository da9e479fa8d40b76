"""Messages and the promises that stream them.

- `Message`: an immutable message: `text` plus any metadata fields (`role`, `model`, ...).
- `MessagePromise`: a message that streams token by token; `await` gives the `Message`.
- `MessageSequencePromise`: a sequence of `MessagePromise`s that streams message by message;
  `await` gives a `MessageSequence` (a tuple of `Message`s).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from miniagents.promising.errors import PromiseCancelledError
from miniagents.promising.frozen import Frozen
from miniagents.promising.promises import StreamedPromise

__all__ = [
    "INCOMPLETE",
    "INTERRUPTED",
    "Message",
    "MessageInput",
    "MessagePromise",
    "MessageSequence",
    "MessageSequencePromise",
    "MetadataUpdate",
    "Token",
]

INCOMPLETE = "incomplete"
"""`Message.status` of a reply whose stream failed part-way (the `error` field says why)."""

INTERRUPTED = "interrupted"
"""`Message.status` of a reply that was cancelled part-way (for example with Esc in the TUI)."""


MetadataUpdate: TypeAlias = Mapping[str, Any]
"""A mapping in a token stream: merged into the streamed message's metadata instead of its text
(for a stop reason or usage known only at the end)."""

Token: TypeAlias = str | MetadataUpdate
"""What a message's token stream yields: text (`str`) or a `MetadataUpdate`."""


class Message(Frozen):
    """An immutable message. `str(message)` is its text.

    Any keyword besides `text` becomes a metadata field, frozen like the rest (`role`, `model`,
    `usage`, ...). A message that ended early carries `status` (`"incomplete"` or `"interrupted"`).
    """

    text: str = ""

    if TYPE_CHECKING:

        def __init__(self, *, text: str = "", **metadata: Any) -> None: ...

    def __str__(self) -> str:
        return self.text


class MessagePromise(StreamedPromise[str, Message]):
    """A message that streams token by token.

    Iterate it (`async for token in promise`) as many times and from as many tasks as you like;
    every iteration starts from the first token. `await promise` gives the complete `Message`.

    A streamed message is one object however many tokens it has. Make one from an async iterator of
    tokens: `MessagePromise(tokens=token_iterator, role="assistant")`. The iterator is drained in the
    background as soon as the promise exists. Besides `str` tokens it may yield mappings, which are
    merged into the message's metadata instead of its text (for usage or a stop reason known only
    at the end).
    """

    __slots__ = ("_message_class", "_metadata")

    def __init__(
        self,
        message: Message | None = None,
        *,
        tokens: AsyncIterable[Token] | None = None,
        message_class: type[Message] = Message,
        **metadata: Any,
    ) -> None:
        """Create a message promise.

        Args:
            message: an already complete message (then `tokens` must be `None`).
            tokens: async iterable of tokens (`str`) and metadata updates (mappings).
            message_class: the `Message` subclass to build at the end of a token stream.
            **metadata: metadata of the message being streamed.
        """
        self._message_class = message_class
        self._metadata: dict[str, Any] = metadata
        if message is not None:
            if tokens is not None or metadata:
                raise TypeError("give either a complete `message` or `tokens` with metadata, not both")
            super().__init__(items=(message.text,) if message.text else ())
            self._done = True
            self._resolved = message
        else:
            super().__init__(tokens)

    def _produce_item(self, item: Any) -> None:
        """Append a text token; merge a `MetadataUpdate` into the metadata."""
        if isinstance(item, str):
            self.append(item)
        else:
            self._metadata.update(item)

    @property
    def text_so_far(self) -> str:
        """The text of the tokens received until now."""
        return "".join(self._items)

    @property
    def metadata_so_far(self) -> dict[str, Any]:
        """The metadata known until now (a copy)."""
        if isinstance(self._resolved, Message):
            return self._resolved.model_dump(exclude={"text"})
        return dict(self._metadata)

    async def _resolve(self) -> Message:
        tokens = await self.aresolve_items()
        return self._message_class(text="".join(tokens), **self._metadata)

    async def aresolve_partial(self) -> Message:
        """Wait for the stream to end and return the message, even if the stream failed.

        A stream that failed gives the text received so far with `status="incomplete"` and the
        error in `error`; a cancelled one gives `status="interrupted"`. Never raises the stream's
        error (it counts as received).
        """
        try:
            return await self
        except PromiseCancelledError:
            return self.partial_message(INTERRUPTED)
        except Exception as error:
            return self.partial_message(INCOMPLETE, error)

    def partial_message(self, status: str = INTERRUPTED, error: BaseException | None = None) -> Message:
        """The message as it stands now, marked with `status` (and `error`), without waiting.

        A message that has already completed is returned as it is.
        """
        if isinstance(self._resolved, Message):
            return self._resolved
        if self._done and self._error is None:
            return self._message_class(text=self.text_so_far, **self._metadata)
        if error is not None:
            return self._message_class(
                text=self.text_so_far,
                **self._metadata,
                status=status,
                error=f"{type(error).__name__}: {error}",
            )
        return self._message_class(text=self.text_so_far, **self._metadata, status=status)


class MessageSequence(tuple[Message, ...]):
    """The resolved form of a `MessageSequencePromise`: a tuple of `Message`s."""

    __slots__ = ()

    async def aresolve_messages(self) -> tuple[Message, ...]:
        """Return the messages as a plain tuple (for code written against the promise)."""
        return tuple(self)


class MessageSequencePromise(StreamedPromise[MessagePromise, MessageSequence]):
    """A sequence of messages that streams message by message.

    `async for message_promise in sequence` gives `MessagePromise`s as soon as each one starts, so
    tokens can be streamed before the message (or the sequence) is complete. Iterate it any number
    of times. `await sequence` waits for every message and gives a `MessageSequence`.
    """

    __slots__ = ()

    async def _resolve(self) -> MessageSequence:
        promises = await self.aresolve_items()
        return MessageSequence([await promise for promise in promises])

    async def aresolve_messages(self) -> tuple[Message, ...]:
        """Wait for every message and return them as a tuple."""
        return tuple(await self)


MessageInput: TypeAlias = (
    str
    | Message
    | Mapping[str, Any]
    | Frozen
    | MessagePromise
    | MessageSequencePromise
    | AsyncIterable[Any]
    | Iterable[Any]
    | None
)
"""Anything that can stand for messages: what `MiniAgent.inquire()`, `InteractionContext.reply()`,
`achain_loop()`, `join_messages()` and `split_messages()` accept.

A `str` or `Message`, a `dict` of message fields, any other `Frozen` model, a `MessagePromise`, a
`MessageSequencePromise` (another agent's reply, say), and sync or async iterables of these, nested
to any depth. `None` stands for no messages.
"""
