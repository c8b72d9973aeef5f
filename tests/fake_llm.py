"""A scriptable local model server speaking the real OpenAI and Anthropic wire protocols.

Why: provider clients are only trustworthy when exercised through the official SDKs over real HTTP (retries,
SSE parsing, timeouts, aborted sockets), so tests talk to this server instead of mocking the SDKs. Each test
queues responses with `server.script([...])`; once the queue is empty the server answers with `responder`
(request JSON -> text), so a whole generation can run against it. Import the fixtures into a conftest with
`from tests.fake_llm import fake_anthropic, fake_openai`.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

import pytest

from modelconfig.providers.base import ModelSettings

Flavor = Literal["openai", "anthropic"]
# A responder answers with text (sent in 40-character chunks), chunks, or any script item.
Responder = Callable[[dict[str, Any]], "str | Sequence[str] | ScriptItem"]

FAKE_API_KEY = "sk-fake-test-0123456789abcdefghij"
DEFAULT_MODEL = "fake-model"


@dataclass(frozen=True)
class Status:
    """An error response in the provider's own error format.

    `retry_after_ms` defaults to 1 so the SDKs' retry back-off is instant in tests.
    """

    status: int
    message: str | None = None
    param: str | None = None  # OpenAI names the refused parameter in `error.param`
    retry_after: float | None = None
    retry_after_ms: int | None = 1
    headers: Mapping[str, str] = field(default_factory=dict)
    # The provider's error `type` (and OpenAI's `code`), e.g. "insufficient_quota"; a default per status.
    error_type: str | None = None


@dataclass(frozen=True)
class Stream:
    """A successful answer: streamed as SSE when the request asked for a stream, else one JSON body.

    `end` says how the stream finishes: "done" (the protocol's terminal events), "stall" (keep the
    connection open and send nothing more), "disconnect" (drop the TCP connection mid-body), "eof" (end the
    body cleanly but without terminal events) or "error" (the provider's in-stream error event).
    `usage` is (input_tokens, output_tokens); estimated from the text when omitted. `finish` is why the
    model stopped: "stop", or "length" when cut at its output limit (`finish_reason: "length"` on OpenAI,
    `stop_reason: "max_tokens"` on Anthropic). `reasoning` chunks are sent first, in the protocol's own
    reasoning field (`delta.reasoning_content`, or a thinking block).
    """

    chunks: Sequence[str]
    delay: float = 0.0
    finish: Literal["stop", "length"] = "stop"
    reasoning: Sequence[str] = ()
    usage: tuple[int, int] | None = None
    end: Literal["done", "stall", "disconnect", "eof", "error"] = "done"
    error_message: str = "Overloaded"


@dataclass(frozen=True)
class Malformed:
    """Valid text chunks, then an SSE event whose data is not JSON (`raw`, or a default per protocol)."""

    chunks: Sequence[str] = ()
    raw: str | None = None


@dataclass(frozen=True)
class Hang:
    """Accept the request and send nothing at all (not even headers) for `seconds` (or until shutdown)."""

    seconds: float | None = None


@dataclass(frozen=True)
class Json:
    """Any JSON body with any status: the escape hatch for shapes the other items do not cover."""

    body: Any
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Interrupt:
    """The responder's answer, broken off after `after` chunks the way `end` says (see `Stream.end`):
    a dropped connection, an in-stream error event (Anthropic: `overloaded_error`), a stall, a silent EOF."""

    end: Literal["stall", "disconnect", "eof", "error"] = "disconnect"
    after: int = 2
    error_message: str = "Overloaded"


ScriptItem = Status | Stream | Malformed | Hang | Json | Interrupt


def insufficient_quota() -> Status:
    """OpenAI's answer to a key without credit: a 429 that no retry will ever cure."""
    return Status(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        retry_after_ms=None,
        error_type="insufficient_quota",
    )


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # lower-cased names
    json: Any

    @property
    def model(self) -> str | None:
        return self.json.get("model") if isinstance(self.json, dict) else None


def default_responder(body: dict[str, Any]) -> str:
    return "Hello from the fake model."


class FakeLLMServer:
    """A threaded HTTP server on 127.0.0.1 with a random port; see the module docstring."""

    def __init__(self, *, flavor: Flavor, responder: Responder | None = None, api_key: str = FAKE_API_KEY):
        self.flavor: Flavor = flavor
        self.responder: Responder = responder or default_responder
        self.api_key = api_key
        # When set, requests carrying another key get a 401 (like the real services).
        self.expected_key: str | None = None
        self.models: list[str] = [DEFAULT_MODEL, "fake-fallback"]
        self.requests: list[RecordedRequest] = []
        # Seconds between the chunks of the responder's answers (scripted Streams have their own `delay`).
        self.chunk_delay = 0.0
        # When set, answered instead of the responder once the script is empty: a provider that always fails.
        self.always: ScriptItem | None = None
        self._script: deque[ScriptItem] = deque()
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        # A short poll interval, because `shutdown()` waits for the serving loop to notice (0.5 s by default).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-llm", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """What the SDK wants as `base_url`: OpenAI-compatible servers include `/v1`, Anthropic does not."""
        return f"{self.url}/v1" if self.flavor == "openai" else self.url

    def settings(self, **overrides: Any) -> ModelSettings:
        """ModelSettings pointing at this server, with test-friendly timeouts."""
        values: dict[str, Any] = {
            "provider": self.flavor,
            "model": DEFAULT_MODEL,
            "base_url": self.base_url,
            "api_key": self.api_key,
            "timeout": 5.0,
            "max_retries": 2,
        }
        values.update(overrides)
        return ModelSettings(**values)

    def script(self, items: Sequence[ScriptItem]) -> None:
        """Queue responses, answered in order, one per model request (GET /v1/models is not scripted)."""
        with self._lock:
            self._script.extend(items)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    @property
    def calls(self) -> int:
        """Model calls received (POSTs), whatever they were answered with."""
        return sum(1 for r in self.requests if r.method == "POST")

    @property
    def last_request(self) -> RecordedRequest:
        return self.requests[-1]

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_item(self, body: dict[str, Any]) -> ScriptItem:
        with self._lock:
            item = self._script.popleft() if self._script else self.always
        if item is not None and not isinstance(item, Interrupt):
            return item
        answer = self.responder(body)
        if isinstance(answer, ScriptItem):
            return answer
        chunks = _split_text(answer) if isinstance(answer, str) else list(answer)
        if isinstance(item, Interrupt):
            return Stream(chunks[: item.after], delay=self.chunk_delay, end=item.end, error_message=item.error_message)
        return Stream(chunks, delay=self.chunk_delay)


def _split_text(text: str, size: int = 40) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


_TOKENISH = re.compile(r" ?[A-Za-z]{1,8}|\d{1,3}| ?[^\sA-Za-z\d]{1,2}|\s{1,4}")


def token_chunks(text: str) -> list[str]:
    """`text` cut the way models stream it: pieces of one to a few characters, split inside words,
    markers and line ends alike (`<<`, `EOF`, `\n`, `<<<<<<<` all arrive in pieces)."""
    pieces = _TOKENISH.findall(text)
    assert "".join(pieces) == text, "every character belongs to a piece"
    return pieces or [""]


def verbatim(text: str, **stream: Any) -> Stream:
    """An answer sent exactly as written, in token-sized chunks."""
    return Stream(token_chunks(text), **stream)


def _estimate_tokens(value: Any) -> int:
    return max(1, len(json.dumps(value)) // 4)


# Anthropic's SDK skips events without an `event:` name, so its malformed event needs one.
_MALFORMED_EVENTS = {
    "openai": 'data: {"choices": [{"delta": \n\n',
    "anthropic": 'event: content_block_delta\ndata: {"type": "content_block_delta", \n\n',
}
_OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "requests",
}
_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def _make_handler(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        fake = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeLLMServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib's per-request stderr lines."""

    def do_GET(self) -> None:
        self._record(None)
        if self.path.split("?")[0] != "/v1/models":
            self._send_error_json(Status(404, f"Unknown path {self.path}"))
            return
        if self.fake.expected_key is not None and self._sent_key() != self.fake.expected_key:
            # As the real services do: listing models needs a valid key too (it is how keys are checked).
            self._send_error_json(Status(401, f"Incorrect API key provided: {self._sent_key()}"))
            return
        if self.fake.flavor == "openai":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.fake.models]
            self._send_json(200, {"object": "list", "data": data})
        else:
            data = [
                {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
                for m in self.fake.models
            ]
            self._send_json(
                200,
                {
                    "data": data,
                    "has_more": False,
                    "first_id": data[0]["id"] if data else None,
                    "last_id": data[-1]["id"] if data else None,
                },
            )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        self._record(body)
        expected = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}[self.fake.flavor]
        if self.path.split("?")[0] != expected:
            self._send_error_json(Status(404, f"Unknown path {self.path}"))
            return
        if not isinstance(body, dict):
            self._send_error_json(Status(400, "The request body is not a JSON object"))
            return
        if self.fake.expected_key is not None and self._sent_key() != self.fake.expected_key:
            self._send_error_json(Status(401, f"Incorrect API key provided: {self._sent_key()}"))
            return
        item = self.fake._next_item(body)
        if isinstance(item, Status):
            self._send_error_json(item)
        elif isinstance(item, Json):
            self._send_json(item.status, item.body, item.headers)
        elif isinstance(item, Hang):
            self.fake.stopping.wait(item.seconds)
            self.close_connection = True
        elif isinstance(item, Malformed):
            self._start_sse()
            for event in self._text_events(body, item.chunks):
                self._write_chunk(event)
            self._write_chunk(item.raw or _MALFORMED_EVENTS[self.fake.flavor])
            self._end_body()
        elif body.get("stream"):
            self._stream(body, item)
        else:
            self._send_json(200, self._complete_body(body, item))

    # -- recording and plumbing ------------------------------------------------------------------------

    def _record(self, body: Any) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.fake.requests.append(RecordedRequest(self.command, self.path, headers, body))

    def _sent_key(self) -> str:
        # The anthropic SDK sends `Authorization: Bearer`; older clients send `x-api-key`.
        return self.headers.get("x-api-key") or self.headers.get("Authorization", "").removeprefix("Bearer ")

    def _send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-request-id" if self.fake.flavor == "openai" else "request-id", "req_fake")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_error_json(self, item: Status) -> None:
        message = item.message or f"Fake error {item.status}"
        if self.fake.flavor == "openai":
            kind = item.error_type or _OPENAI_ERROR_TYPES.get(item.status, "server_error")
            code = item.error_type
            body: dict[str, Any] = {"error": {"message": message, "type": kind, "param": item.param, "code": code}}
        else:
            kind = item.error_type or _ANTHROPIC_ERROR_TYPES.get(item.status, "api_error")
            body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}
        headers = dict(item.headers)
        if item.retry_after is not None:
            headers.setdefault("retry-after", str(item.retry_after))
        if item.retry_after_ms is not None:
            headers.setdefault("retry-after-ms", str(item.retry_after_ms))
        self._send_json(item.status, body, headers)

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _write_chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_body(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _usage(self, body: dict[str, Any], item: Stream) -> tuple[int, int]:
        if item.usage is not None:
            return item.usage
        return _estimate_tokens(body.get("messages")), _estimate_tokens("".join(item.chunks))

    # -- the two wire protocols --------------------------------------------------------------------------

    def _stream(self, body: dict[str, Any], item: Stream) -> None:
        self._start_sse()
        try:
            if self.fake.flavor == "anthropic":
                self._write_chunk(_sse(self._anthropic_start(body, item), event="message_start"))
                if item.reasoning:
                    for event in self._anthropic_thinking(item.reasoning):
                        self._write_chunk(event)
                self._write_chunk(
                    _sse(
                        {
                            "type": "content_block_start",
                            "index": self._text_index(item),
                            "content_block": {"type": "text", "text": ""},
                        },
                        event="content_block_start",
                    )
                )
                self._write_chunk(_sse({"type": "ping"}, event="ping"))
            else:
                for index, text in enumerate(item.reasoning):
                    delta = {"reasoning_content": text, "content": None}
                    if index == 0:
                        delta["role"] = "assistant"
                    self._write_chunk(_sse(_openai_chunk(body, [{"index": 0, "delta": delta, "finish_reason": None}])))
            for event in self._text_events(body, item.chunks, delay=item.delay, index=self._text_index(item)):
                self._write_chunk(event)
            if item.end == "stall":
                self.fake.stopping.wait()
                self.close_connection = True
                return
            if item.end == "disconnect":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if item.end == "error":
                self._write_chunk(self._error_event(item.error_message))
            elif item.end == "done":
                for event in self._final_events(body, item):
                    self._write_chunk(event)
            self._end_body()
        except (BrokenPipeError, ConnectionResetError):
            # The client went away (a cancel): nothing left to send to.
            self.close_connection = True

    @staticmethod
    def _text_index(item: Stream) -> int:
        return 1 if item.reasoning else 0

    def _anthropic_thinking(self, reasoning: Sequence[str]) -> Iterator[str]:
        start = {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}
        yield _sse(start, event="content_block_start")
        for text in reasoning:
            delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": text}}
            yield _sse(delta, event="content_block_delta")
        signature = {"type": "signature_delta", "signature": "c2ln"}
        yield _sse({"type": "content_block_delta", "index": 0, "delta": signature}, event="content_block_delta")
        yield _sse({"type": "content_block_stop", "index": 0}, event="content_block_stop")

    def _text_events(
        self, body: dict[str, Any], chunks: Sequence[str], delay: float = 0.0, index: int = 0
    ) -> Iterator[str]:
        for position, text in enumerate(chunks):
            if delay and position:
                time.sleep(delay)
            if self.fake.flavor == "openai":
                delta: dict[str, Any] = {"content": text}
                if position == 0:
                    delta["role"] = "assistant"
                yield _sse(_openai_chunk(body, [{"index": 0, "delta": delta, "finish_reason": None}]))
            else:
                yield _sse(
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "text_delta", "text": text},
                    },
                    event="content_block_delta",
                )

    def _final_events(self, body: dict[str, Any], item: Stream) -> Iterator[str]:
        input_tokens, output_tokens = self._usage(body, item)
        if self.fake.flavor == "openai":
            yield _sse(_openai_chunk(body, [{"index": 0, "delta": {}, "finish_reason": item.finish}]))
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = {
                    "prompt_tokens": input_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": input_tokens + output_tokens,
                }
                yield _sse(_openai_chunk(body, [], usage=usage))
            yield "data: [DONE]\n\n"
        else:
            yield _sse({"type": "content_block_stop", "index": self._text_index(item)}, event="content_block_stop")
            stop_reason = "max_tokens" if item.finish == "length" else "end_turn"
            yield _sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": output_tokens},
                },
                event="message_delta",
            )
            yield _sse({"type": "message_stop"}, event="message_stop")

    def _error_event(self, message: str) -> str:
        if self.fake.flavor == "openai":
            return _sse({"error": {"message": message, "type": "server_error", "param": None, "code": None}})
        return _sse({"type": "error", "error": {"type": "overloaded_error", "message": message}}, event="error")

    def _anthropic_start(self, body: dict[str, Any], item: Stream) -> dict[str, Any]:
        input_tokens, _ = self._usage(body, item)
        return {
            "type": "message_start",
            "message": {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": body.get("model"),
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": 1},
            },
        }

    def _complete_body(self, body: dict[str, Any], item: Stream) -> dict[str, Any]:
        text = "".join(item.chunks)
        input_tokens, output_tokens = self._usage(body, item)
        if self.fake.flavor == "openai":
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": input_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": input_tokens + output_tokens,
                },
            }
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }


def _openai_chunk(body: dict[str, Any], choices: list[Any], usage: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": body.get("model"),
        "choices": choices,
        "usage": usage,
    }


def _sse(data: Any, event: str | None = None) -> str:
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {json.dumps(data)}\n\n"


@pytest.fixture
def fake_openai() -> Iterator[FakeLLMServer]:
    """An OpenAI-compatible server (`/v1/chat/completions`, `/v1/models`), stopped after the test."""
    with FakeLLMServer(flavor="openai") as server:
        yield server


@pytest.fixture
def fake_anthropic() -> Iterator[FakeLLMServer]:
    """An Anthropic Messages API server (`/v1/messages`, `/v1/models`), stopped after the test."""
    with FakeLLMServer(flavor="anthropic") as server:
        yield server
