"""Helpers shared by the TUI tests: wait for a state (never for a fixed time), read a transcript, type."""

from __future__ import annotations

import asyncio

from miniagents.transcript_format import read_transcript_file


async def wait_for(condition, pilot, timeout: float = 60.0):
    """Let the app run until `condition()` is truthy and return its value.

    `timeout` only keeps a broken test from hanging: it is far above anything a loaded machine needs.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := condition()):
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await pilot.pause(0.02)
    return value


def messages_in(path):
    """The messages of the transcript at `path` (none if it does not exist yet)."""
    parsed = read_transcript_file(path)
    return [] if parsed is None else parsed.messages


async def type_text(pilot, text: str) -> None:
    """Type `text` key by key."""
    for character in text:
        await pilot.press("space" if character == " " else character)


async def send(pilot, text: str) -> None:
    """Type `text` into the prompt and press Enter."""
    await type_text(pilot, text)
    await pilot.press("enter")


def first_reply_started(app) -> bool:
    """Whether the first assistant reply on the screen has shown some text."""
    from tui.widgets.message_views import AssistantMessage

    replies = app.screen.query(AssistantMessage)
    return bool(replies) and bool(replies.first().text)


class FedModel:
    """A model whose reply streams exactly what the test feeds it, when the test feeds it.

    A test that must see a reply still streaming (to scroll while text arrives) feeds it chunk by
    chunk instead of racing a model's speed on a loaded machine; `finish()` ends the reply.
    """

    def __init__(self) -> None:
        from miniagents import MiniAgent

        self._chunks: asyncio.Queue[str | None] = asyncio.Queue()
        self.agent = MiniAgent(self._reply, alias="fed")

    async def _reply(self, ctx, **_options) -> None:
        async def tokens():
            while (chunk := await self._chunks.get()) is not None:
                yield chunk
            yield {"stop_reason": "end_turn"}

        ctx.reply_tokens(tokens(), role="assistant", agent="fed")

    def feed(self, text: str) -> None:
        """Stream `text` next."""
        self._chunks.put_nowait(text)

    def finish(self) -> None:
        """End the reply after what was fed."""
        self._chunks.put_nowait(None)

    async def grow(self, chat_log, pilot, lines: int, paragraphs) -> None:
        """Feed paragraphs from `paragraphs` until `chat_log` could scroll more than `lines` lines
        further than before, with the reply laid out whole (the view that follows a reply may lay out
        only its last lines: see `ReplyBody.show_added`)."""
        from tui.widgets.reply_body import ReplyBody

        body = chat_log.query(ReplyBody).last()

        def scroll_height() -> int:
            hidden = body.line_count - body.size.height if body.tail_only else 0
            return chat_log.max_scroll_y + hidden

        start = scroll_height()
        while scroll_height() <= start + lines:
            self.feed(next(paragraphs) + "\n\n")
            await pilot.pause(0.01)


def record_notifications(monkeypatch) -> list[str]:
    """Every notification an app or screen shows from now on, as text (the originals still show)."""
    from textual.app import App

    shown: list[str] = []
    notify = App.notify

    def recording(app: App, message, *args, **kwargs):
        shown.append(str(message))
        return notify(app, message, *args, **kwargs)

    monkeypatch.setattr(App, "notify", recording)
    return shown


def chat_screen(app):
    """The app's chat screen, wherever it is in the stack (under a dialog, say)."""
    from tui.screens.chat import ChatScreen

    (chat,) = [screen for screen in app.screen_stack if isinstance(screen, ChatScreen)]
    return chat
