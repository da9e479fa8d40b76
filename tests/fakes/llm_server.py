"""A local HTTP server that speaks the OpenAI chat-completions and Anthropic messages streaming protocols.

It runs in a background thread on 127.0.0.1, records every request, and answers each one with the
next scripted `Behavior` (or, when the script is empty, a reply that echoes the last user message).
Point the real SDK clients at it with `base_url`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Call:
    """A tool call the model makes; its arguments (JSON text) stream in `pieces` (default: 4 characters)."""

    name: str
    arguments: str
    id: str = ""
    pieces: list[str] | None = None

    def argument_pieces(self) -> list[str]:
        if self.pieces is not None:
            assert "".join(self.pieces) == self.arguments, "the pieces must join to the arguments"
            return self.pieces
        return [self.arguments[i : i + 4] for i in range(0, len(self.arguments), 4)] or [""]


@dataclass
class Reply:
    """Stream `tokens`, one every `delay` seconds (on average: late tokens are not made up with pauses),
    then the tool `calls`, if any (the round then ends as the provider ends a tool-use turn)."""

    tokens: list[str]
    delay: float = 0.0
    model: str | None = None
    input_tokens: int = 7
    calls: list[Call] = field(default_factory=list)


@dataclass
class Status:
    """Answer with an HTTP error status and a provider-shaped JSON error body."""

    code: int
    message: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fail:
    """Stream `tokens_before` tokens, then misbehave.

    `how` is one of: `drop` (close the socket), `stall` (go silent for `stall_seconds`), `error_event`
    (an SSE error event), `invalid_json` (a data line that is not JSON).
    """

    how: str
    tokens_before: list[str] = field(default_factory=list)
    stall_seconds: float = 30.0


Behavior = Reply | Status | Fail


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # many concurrent clients connect at once in load tests

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_connections = 0
        self._count_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._count_lock:
            self.open_connections += 1
        try:
            super().process_request_thread(request, client_address)  # closes the socket at the end
        finally:
            with self._count_lock:
                self.open_connections -= 1


@dataclass
class RecordedRequest:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float = 0.0
    """`time.monotonic()` when the request arrived."""
    answered_at: float | None = None
    """`time.monotonic()` when the whole answer had been written (None until then)."""
    answer: Behavior | None = None
    """What the script answered it with."""
    token_sent_at: list[float] = field(default_factory=list)
    """`time.monotonic()` when each token of a `Reply` had been written, in order."""


class FakeLLMServer:
    """The server; use as a context manager or call `start()`/`stop()`."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._script: deque[Behavior] = deque()
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self._httpd.server_address[1]

    @property
    def openai_base_url(self) -> str:
        """`base_url` for `AsyncOpenAI` (with `/v1`)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """`base_url` for `AsyncAnthropic` (without `/v1`)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        """How many client connections the server still holds open (keep-alive ones included)."""
        return self._httpd.open_connections

    async def wait_until_idle(self, timeout: float = 5.0) -> None:
        """Wait until the server has closed every connection (clients that closed theirs see it at once)."""
        deadline = time.monotonic() + timeout
        while self.open_connections:
            assert time.monotonic() < deadline, f"{self.open_connections} connections still open"
            await asyncio.sleep(0.01)

    def script(self, *behaviors: Behavior) -> None:
        """Queue behaviors for the next requests, in order."""
        with self._lock:
            self._script.extend(behaviors)

    def next_behavior(self, body: dict[str, Any]) -> Behavior:
        """Pop the next scripted behavior, or make the default echo reply."""
        with self._lock:
            if self._script:
                return self._script.popleft()
        text = _last_user_text(body)
        return Reply(tokens=["You ", "said: ", text])

    def start(self) -> FakeLLMServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; stalled responses are released too."""
        self._stop_event.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _has_tool_blocks(body: dict[str, Any]) -> bool:
    return any(
        isinstance(block, dict) and block.get("type") in ("tool_use", "tool_result")
        for message in body.get("messages") or ()
        if isinstance(message.get("content"), list)
        for block in message["content"]
    )


def _make_handler(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            request = RecordedRequest(
                self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()
            )
            server.requests.append(request)
            anthropic = self.path.endswith("/messages")
            if anthropic and "tools" not in body and _has_tool_blocks(body):
                # as the real API: history with tool blocks needs tools in the request
                refusal = "Requests which include `tool_use` or `tool_result` blocks must define tools."
                self._send_status(Status(400, refusal), anthropic)
                return
            behavior = server.next_behavior(body)
            request.answer = behavior
            if isinstance(behavior, Status):
                self._send_status(behavior, anthropic)
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True
            model = body.get("model", "fake-model")
            try:
                if isinstance(behavior, Reply):
                    events = _anthropic_events if anthropic else _openai_events
                    due = time.monotonic()
                    for event in events(
                        behavior.tokens, behavior.model or model, behavior.input_tokens, behavior.calls
                    ):
                        if behavior.delay and event[1]:
                            # token i goes out `i * delay` after the first: the rate holds even
                            # where one sleep is coarser than the delay
                            due += behavior.delay
                            if (ahead := due - time.monotonic()) > 0:
                                time.sleep(ahead)
                        self._write(event[0])
                        if event[1]:
                            request.token_sent_at.append(time.monotonic())
                    self.wfile.write(b"0\r\n\r\n")  # the end of a chunked body
                    self.wfile.flush()
                    request.answered_at = time.monotonic()
                else:
                    self._fail(behavior, anthropic, model)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _write(self, data: str) -> None:
            encoded = data.encode()
            self.wfile.write(f"{len(encoded):x}\r\n".encode() + encoded + b"\r\n")
            self.wfile.flush()

        def _send_status(self, behavior: Status, anthropic: bool) -> None:
            if anthropic:
                kind = {401: "authentication_error", 404: "not_found_error", 429: "rate_limit_error"}.get(
                    behavior.code, "api_error"
                )
                payload = {"type": "error", "error": {"type": kind, "message": behavior.message}}
            else:
                payload = {"error": {"message": behavior.message, "type": "error", "code": behavior.code}}
            encoded = json.dumps(payload).encode()
            self.send_response(behavior.code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(encoded)))
            for key, value in behavior.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(encoded)

        def _fail(self, behavior: Fail, anthropic: bool, model: str) -> None:
            events = list(
                (_anthropic_events if anthropic else _openai_events)(behavior.tokens_before, model, 7)
            )
            # keep the preamble and the token events, drop the events that end the stream
            keep = 2 + len(behavior.tokens_before) if anthropic else len(behavior.tokens_before)
            for data, _ in events[:keep]:
                self._write(data)
            if behavior.how == "drop":
                self.connection.shutdown(2)
                return
            if behavior.how == "stall":
                server._stop_event.wait(behavior.stall_seconds)
            elif behavior.how == "error_event":
                if anthropic:
                    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
                    self._write(f"event: error\ndata: {json.dumps(error)}\n\n")
                else:
                    self._write('data: {"error": {"message": "server melted", "type": "server_error"}}\n\n')
            elif behavior.how == "invalid_json":
                prefix = "event: content_block_delta\n" if anthropic else ""
                self._write(prefix + "data: {not json\n\n")
            else:
                raise ValueError(f"unknown failure {behavior.how!r}")
            self.wfile.write(b"0\r\n\r\n")

    return Handler


def _openai_events(tokens: list[str], model: str, input_tokens: int, calls: Sequence[Call] = ()):
    """Yield (sse_text, is_token) pairs of a chat-completions stream."""

    def chunk(payload: dict[str, Any]) -> str:
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}
        return f"data: {json.dumps(base | payload)}\n\n"

    def delta(content: dict[str, Any]) -> str:
        return chunk({"choices": [{"index": 0, "delta": content, "finish_reason": None}]})

    for token in tokens:
        yield delta({"content": token}), True
    for index, call in enumerate(calls):
        opening = {"index": index, "id": call.id or f"call_{index}", "type": "function"}
        yield delta({"tool_calls": [opening | {"function": {"name": call.name, "arguments": ""}}]}), False
        for piece in call.argument_pieces():
            yield delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}), False
    finish = "tool_calls" if calls else "stop"
    yield chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}), False
    usage = {
        "prompt_tokens": input_tokens,
        "completion_tokens": len(tokens),
        "total_tokens": input_tokens + len(tokens),
    }
    yield chunk({"choices": [], "usage": usage}), False
    yield "data: [DONE]\n\n", False


def _anthropic_events(tokens: list[str], model: str, input_tokens: int, calls: Sequence[Call] = ()):
    """Yield (sse_text, is_token) pairs of an Anthropic messages stream."""

    def event(name: str, payload: dict[str, Any]) -> str:
        return f"event: {name}\ndata: {json.dumps(payload)}\n\n"

    message = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": model,
        "usage": {"input_tokens": input_tokens, "output_tokens": 0},
    }
    yield event("message_start", {"type": "message_start", "message": message}), False
    block = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    yield event("content_block_start", block), False
    for token in tokens:
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": token}}
        yield event("content_block_delta", delta), True
    yield event("content_block_stop", {"type": "content_block_stop", "index": 0}), False
    for number, call in enumerate(calls, start=1):
        use = {"type": "tool_use", "id": call.id or f"toolu_{number}", "name": call.name, "input": {}}
        yield (
            event(
                "content_block_start", {"type": "content_block_start", "index": number, "content_block": use}
            ),
            False,
        )
        for piece in call.argument_pieces():
            json_delta = {"type": "input_json_delta", "partial_json": piece}
            yield (
                event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": number, "delta": json_delta},
                ),
                False,
            )
        yield event("content_block_stop", {"type": "content_block_stop", "index": number}), False
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use" if calls else "end_turn"},
        "usage": {"output_tokens": len(tokens)},
    }
    yield event("message_delta", delta), False
    yield event("message_stop", {"type": "message_stop"}), False
