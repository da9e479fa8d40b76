"""Reading server-sent events off the wire, from bytes cut at arbitrary places."""

import asyncio
import json

import pytest

from miniagents.ext.llm.wire import StreamErrorEvent, server_sent_events

EVENTS = [{"n": 1, "text": "héllo"}, {"n": 2, "text": "two\nlines"}, {"n": 3, "text": "✓"}, {"n": [4, 5]}]


async def _aiter(chunks):
    for chunk in chunks:
        yield chunk


async def _read(chunks: list[bytes]) -> list[dict]:
    return [event async for event in server_sent_events(_aiter(chunks))]


def _stream(line_end: bytes) -> bytes:
    parts = [b": a comment", b"event: message", b"id: 7", b""]
    for event in EVENTS:
        parts += [b"data: " + json.dumps(event, ensure_ascii=False).encode(), b""]
    parts[-2:] = [b'data: {"n":', b"data: [4,", b"data:5]}", b""]  # the last event's data over three lines
    parts += [b"data:[DONE]", b"", b'data: {"after": "done"}', b""]
    return line_end.join(parts) + line_end


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("size", [1, 2, 3, 7, 10_000])
async def test_events_are_read_whatever_the_chunks_and_line_ends(line_end, size):
    """Every cut: inside a UTF-8 character, between CR and LF, inside `data:`, at each line end."""
    raw = _stream(line_end)
    chunks = [raw[i : i + size] for i in range(0, len(raw), size)]
    assert await _read(chunks) == EVENTS  # and nothing after [DONE]


async def test_an_error_event_raises_with_its_message():
    raw = b'data: {"n": 1}\n\ndata: {"error": {"message": "server melted"}}\n\ndata: {"n": 2}\n\n'
    events = []
    with pytest.raises(StreamErrorEvent, match="server melted"):
        async for event in server_sent_events(_aiter([raw])):
            events.append(event)
    assert events == [{"n": 1}]


async def test_data_that_is_not_json_raises_value_error():
    with pytest.raises(ValueError):
        await _read([b"data: {not json\n\n"])


async def test_an_event_without_its_blank_line_is_not_sent():
    assert await _read([b'data: {"n": 1}\n\ndata: {"n": 2}\n']) == [{"n": 1}]


async def test_a_chunks_events_are_given_before_the_reader_asks_for_more():
    """The pause that lets chunks gather comes after the events of the chunk waited for."""
    more = asyncio.Event()
    asked_for_more = asyncio.Event()

    async def body():
        await asyncio.sleep(0.01)  # the first chunk is waited for
        yield b'data: {"n": 1}\n\n'
        asked_for_more.set()
        await more.wait()
        yield b'data: {"n": 2}\n\n'

    events = server_sent_events(body())
    assert await anext(events) == {"n": 1}
    assert not asked_for_more.is_set()
    second = asyncio.ensure_future(anext(events))
    await asked_for_more.wait()  # after the pause, the reader asks for more
    more.set()
    assert await second == {"n": 2}


async def test_chunks_that_come_slowly_are_all_read_in_order():
    raw = _stream(b"\n")

    async def body():
        for i in range(0, len(raw), 9):
            await asyncio.sleep(0.001)
            yield raw[i : i + 9]

    assert [event async for event in server_sent_events(body())] == EVENTS
