"""The OpenAI-compatible and Anthropic clients, through the official SDKs, against a local fake server.

No database, no network: `tests.fake_llm` speaks both wire protocols on 127.0.0.1.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import openai
import pytest

from modelconfig.providers.anthropic_client import AnthropicClient
from modelconfig.providers.base import (
    CancelToken,
    ChatClient,
    ChatMessage,
    GenerationCancelled,
    ImageInput,
    ProviderError,
)
from modelconfig.providers.common import scrub_secrets
from modelconfig.providers.openai_compat import OpenAIClient
from tests import fake_llm
from tests.fake_llm import FAKE_API_KEY, FakeLLMServer, Hang, Json, Malformed, Status, Stream

fake_openai = fake_llm.fake_openai
fake_anthropic = fake_llm.fake_anthropic

CLIENTS: dict[str, type[ChatClient]] = {"openai": OpenAIClient, "anthropic": AnthropicClient}
PNG = ImageInput(mime_type="image/png", data=b"\x89PNG\r\n\x1a\nfake-image")
HELLO = [ChatMessage(role="user", content="Say hello")]
STALL = 30.0  # seconds a stalled server or its back-off would keep a call waiting


@pytest.fixture(params=["openai", "anthropic"])
def server(request: pytest.FixtureRequest) -> FakeLLMServer:
    """Each test that takes `server` runs once per provider."""
    return request.getfixturevalue(f"fake_{request.param}")


def client_for(server: FakeLLMServer, **overrides: object) -> ChatClient:
    return CLIENTS[server.flavor](action="conversation", settings=server.settings(**overrides))


def cancel_once_requested(server: FakeLLMServer, delay: float = 0.3) -> tuple[CancelToken, list[float]]:
    """A token set `delay` seconds after the server saw the request (not after a fixed time: on a loaded
    machine the request may not even have arrived by then). The list gets the moment it was set."""
    token = CancelToken()
    cancelled_at: list[float] = []

    def wait_then_cancel() -> None:
        deadline = time.monotonic() + 30
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        cancelled_at.append(time.monotonic())
        token.set()

    threading.Thread(target=wait_then_cancel, daemon=True).start()
    return token, cancelled_at


def drain(deltas: Iterator[str]) -> list[str]:
    return list(deltas)


# -- streaming and request shape ----------------------------------------------------------------------


def test_stream_yields_text_deltas_in_order_and_fills_usage(server: FakeLLMServer) -> None:
    server.script([Stream(["Hel", "lo", " world"], usage=(12, 3))])
    client = client_for(server)

    deltas = drain(client.stream(HELLO))

    assert deltas == ["Hel", "lo", " world"]
    assert (client.usage.input_tokens, client.usage.output_tokens) == (12, 3)


def test_complete_joins_the_streamed_text(server: FakeLLMServer) -> None:
    server.responder = lambda body: f"echo: {body['messages'][-1]['content']}"

    assert client_for(server).complete(HELLO) == "echo: Say hello"


def test_openai_request_carries_model_settings_and_bearer_key(fake_openai: FakeLLMServer) -> None:
    drain(client_for(fake_openai, temperature=0.7, max_tokens=321).stream(HELLO))

    request = fake_openai.last_request
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {FAKE_API_KEY}"
    assert request.json["model"] == "fake-model"
    assert request.json["stream"] is True
    assert request.json["stream_options"] == {"include_usage": True}
    assert request.json["temperature"] == 0.7
    assert request.json["max_tokens"] == 321
    assert "reasoning_effort" not in request.json


def test_openai_sends_reasoning_effort_only_when_set(fake_openai: FakeLLMServer) -> None:
    drain(client_for(fake_openai, reasoning_effort="high").stream(HELLO))

    assert fake_openai.last_request.json["reasoning_effort"] == "high"


def test_openai_sends_images_as_data_url_parts(fake_openai: FakeLLMServer) -> None:
    messages = [
        ChatMessage(role="system", content="You build apps."),
        ChatMessage(role="user", content="Make this", images=(PNG,)),
    ]

    drain(client_for(fake_openai).stream(messages))

    sent = fake_openai.last_request.json["messages"]
    assert sent[0] == {"role": "system", "content": "You build apps."}
    assert sent[1]["content"] == [
        {"type": "text", "text": "Make this"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgpmYWtlLWltYWdl"}},
    ]


def test_openai_without_key_sends_a_placeholder_so_local_servers_work(fake_openai: FakeLLMServer) -> None:
    drain(client_for(fake_openai, api_key=None).stream(HELLO))

    assert fake_openai.last_request.headers["authorization"] == "Bearer not-needed"


def test_openai_switches_to_max_completion_tokens_when_the_model_refuses_max_tokens(
    fake_openai: FakeLLMServer,
) -> None:
    refusal = "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens'."
    fake_openai.script([Status(400, refusal), Stream(["ok"])])

    assert drain(client_for(fake_openai, max_tokens=50).stream(HELLO)) == ["ok"]

    retried = fake_openai.last_request.json
    assert retried["max_completion_tokens"] == 50
    assert "max_tokens" not in retried


def test_anthropic_request_separates_system_prompt_and_sends_base64_image_blocks(
    fake_anthropic: FakeLLMServer,
) -> None:
    messages = [
        ChatMessage(role="system", content="You build apps."),
        ChatMessage(role="user", content="Make this", images=(PNG,)),
        ChatMessage(role="assistant", content="Sure."),
        ChatMessage(role="user", content="Go"),
    ]

    drain(client_for(fake_anthropic, max_tokens=321).stream(messages))

    request = fake_anthropic.last_request
    assert request.path == "/v1/messages"
    assert request.headers["authorization"] == f"Bearer {FAKE_API_KEY}"  # this SDK's way to send the key
    assert request.json["system"] == "You build apps."
    assert request.json["max_tokens"] == 321
    assert request.json["messages"] == [
        {
            "role": "user",
            "content": [
                {
                    "type": "image",
                    "source": {
                        "type": "base64",
                        "media_type": "image/png",
                        "data": "iVBORw0KGgpmYWtlLWltYWdl",
                    },
                },
                {"type": "text", "text": "Make this"},
            ],
        },
        {"role": "assistant", "content": "Sure."},
        {"role": "user", "content": "Go"},
    ]
    assert "output_config" not in request.json


def test_anthropic_maps_reasoning_effort_to_output_effort(fake_anthropic: FakeLLMServer) -> None:
    drain(client_for(fake_anthropic, reasoning_effort="minimal").stream(HELLO))

    assert fake_anthropic.last_request.json["output_config"] == {"effort": "low"}


# -- retries and fallback -----------------------------------------------------------------------------


def test_sdk_retries_429_and_500_then_succeeds(server: FakeLLMServer) -> None:
    server.script([Status(429, retry_after=0), Status(500), Stream(["fine"])])

    assert drain(client_for(server, max_retries=2).stream(HELLO)) == ["fine"]

    assert [r.headers.get("x-stainless-retry-count") for r in server.requests] == ["0", "1", "2"]


def test_retry_budget_follows_max_retries(server: FakeLLMServer) -> None:
    server.script([Status(429, "Slow down"), Stream(["never reached"])])

    with pytest.raises(ProviderError) as caught:
        drain(client_for(server, max_retries=0).stream(HELLO))

    assert len(server.requests) == 1
    assert caught.value.status == 429
    assert caught.value.retryable is True
    assert "Slow down" in caught.value.message


def test_falls_back_to_fallback_model_after_persistent_failure(server: FakeLLMServer) -> None:
    server.script([Status(500), Status(503), Stream(["from fallback"])])
    client = client_for(server, max_retries=1, fallback_model="fake-fallback")

    assert drain(client.stream(HELLO)) == ["from fallback"]

    assert [r.model for r in server.requests] == ["fake-model", "fake-model", "fake-fallback"]
    assert client.model_used == "fake-fallback"


def test_fallback_failure_raises_the_fallback_error(server: FakeLLMServer) -> None:
    server.script([Status(500), Status(404, "No such model")])

    with pytest.raises(ProviderError) as caught:
        drain(client_for(server, max_retries=0, fallback_model="fake-fallback").stream(HELLO))

    assert caught.value.status == 404
    assert "fake-fallback" in caught.value.message


def test_no_fallback_on_a_refused_key(server: FakeLLMServer) -> None:
    server.script([Status(401, "Invalid key")])

    with pytest.raises(ProviderError) as caught:
        drain(client_for(server, fallback_model="fake-fallback").stream(HELLO))

    assert caught.value.status == 401
    assert caught.value.retryable is False
    assert len(server.requests) == 1


def test_no_fallback_once_text_was_streamed(server: FakeLLMServer) -> None:
    server.script([Stream(["Hel"], end="error", error_message="Overloaded")])
    client = client_for(server, fallback_model="fake-fallback")
    received: list[str] = []

    with pytest.raises(ProviderError) as caught:
        for delta in client.stream(HELLO):
            received.append(delta)

    assert received == ["Hel"]
    assert "Overloaded" in caught.value.message
    assert len(server.requests) == 1


# -- cancellation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "item",
    [Stream(["first"], end="stall"), Hang(), Status(429, retry_after=STALL, retry_after_ms=None)],
    ids=["stalled-stream", "no-headers", "retry-back-off"],
)
def test_cancel_stops_the_call_long_before_the_stalled_server_or_the_back_off_would(
    server: FakeLLMServer, item: fake_llm.ScriptItem
) -> None:
    server.script([item])
    client = client_for(server, timeout=30.0, fallback_model="fake-fallback")
    cancel, cancelled_at = cancel_once_requested(server)

    with pytest.raises(GenerationCancelled):
        drain(client.stream(HELLO, cancel=cancel))

    # The server would hold the call for 30 s (timeout, stall or Retry-After); a cancel honoured ends it
    # far sooner. The bound is a fraction of those 30 s, so a loaded machine does not make it flake.
    assert time.monotonic() - cancelled_at[0] < 10.0
    assert len(server.requests) == 1  # neither a retry nor the fallback after a cancel


def test_cancel_mid_stream_keeps_the_text_already_received(server: FakeLLMServer) -> None:
    server.script([Stream(["first", "second"], end="stall")])
    cancel = CancelToken()
    received: list[str] = []

    with pytest.raises(GenerationCancelled):
        for delta in client_for(server, timeout=30.0).stream(HELLO, cancel=cancel):
            received.append(delta)
            if len(received) == 2:
                cancel.set()

    assert received == ["first", "second"]


def test_a_cancel_set_before_the_call_sends_nothing(server: FakeLLMServer) -> None:
    cancel = CancelToken()
    cancel.set()

    with pytest.raises(GenerationCancelled):
        drain(client_for(server).stream(HELLO, cancel=cancel))

    assert server.requests == []


# -- broken streams and timeouts ----------------------------------------------------------------------


def test_malformed_stream_raises_provider_error(server: FakeLLMServer) -> None:
    server.script([Malformed(chunks=["Hel"])])

    with pytest.raises(ProviderError, match="malformed stream"):
        drain(client_for(server).stream(HELLO))


def test_stream_cut_off_midway_raises_retryable_provider_error(server: FakeLLMServer) -> None:
    server.script([Stream(["Hel"], end="disconnect")])

    with pytest.raises(ProviderError, match="connection failed") as caught:
        drain(client_for(server).stream(HELLO))

    assert caught.value.retryable is True


def test_stream_ending_without_the_final_event_is_an_error(server: FakeLLMServer) -> None:
    server.script([Stream(["Hel"], end="eof")])

    with pytest.raises(ProviderError, match="ended before the model finished"):
        drain(client_for(server).stream(HELLO))


@pytest.mark.parametrize("item", [Hang(), Stream(["Hel"], end="stall")], ids=["before-headers", "mid-stream"])
def test_a_silent_server_times_out(server: FakeLLMServer, item: fake_llm.ScriptItem) -> None:
    server.script([item])

    with pytest.raises(ProviderError, match="timed out") as caught:
        drain(client_for(server, timeout=0.3, max_retries=0).stream(HELLO))

    assert caught.value.retryable is True


def test_a_slow_but_steady_stream_is_not_a_timeout(server: FakeLLMServer) -> None:
    server.script([Stream(["slow", " but", " steady"], delay=0.3)])

    assert drain(client_for(server, timeout=1.0, max_retries=0).stream(HELLO)) == ["slow", " but", " steady"]


# -- secrets ------------------------------------------------------------------------------------------


def test_key_never_appears_in_errors_or_logs(server: FakeLLMServer, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("", "openai", "anthropic", "httpx2", "httpcore2"):
        caplog.set_level(logging.DEBUG, logger=name)
    echoed = f"Incorrect API key provided: {FAKE_API_KEY} (header Bearer {FAKE_API_KEY})"
    server.script([Status(500, echoed), Status(500, echoed), Status(401, echoed)])

    with pytest.raises(ProviderError) as caught:
        drain(client_for(server, max_retries=1, fallback_model="fake-fallback").stream(HELLO))

    error = caught.value
    assert "Incorrect API key provided" in error.message
    assert error.__cause__ is None and error.__context__ is None  # nothing chained that could quote the key
    for text in (error.message, str(error), repr(error), caplog.text):
        assert FAKE_API_KEY not in text
        assert FAKE_API_KEY[:12] not in text
    assert any(record.name.startswith("httpcore2") for record in caplog.records)  # the SDKs did log


def test_a_refused_key_is_reported_without_the_key(server: FakeLLMServer) -> None:
    server.expected_key = "sk-the-right-one-123456"

    with pytest.raises(ProviderError) as caught:
        drain(client_for(server).stream(HELLO))

    assert caught.value.status == 401
    assert "Incorrect API key provided: [redacted]" in caught.value.message


def test_scrub_secrets_removes_the_known_key_and_key_shaped_strings() -> None:
    text = "key sk-ant-api03-abcdef, Bearer tok_123, x-api-key: abc123 and mysecretvalue"

    scrubbed = scrub_secrets(text, "mysecretvalue")

    assert scrubbed == "key sk-[redacted], Bearer [redacted], x-api-key: [redacted] and [redacted]"


# -- the fake server itself speaks the real protocols ---------------------------------------------------


def test_fake_openai_serves_models_and_non_streaming_completions(fake_openai: FakeLLMServer) -> None:
    fake_openai.responder = lambda body: "plain answer"
    sdk = openai.OpenAI(api_key=FAKE_API_KEY, base_url=fake_openai.base_url, max_retries=0)

    models = [model.id for model in sdk.models.list()]
    completion = sdk.chat.completions.create(model="fake-model", messages=[{"role": "user", "content": "hi"}])

    assert models == ["fake-model", "fake-fallback"]
    assert completion.choices[0].message.content == "plain answer"
    assert completion.usage is not None and completion.usage.completion_tokens > 0


def test_fake_server_json_item_answers_any_body(fake_anthropic: FakeLLMServer) -> None:
    fake_anthropic.script([Json({"type": "error", "error": {"type": "api_error", "message": "odd"}}, status=418)])

    with pytest.raises(ProviderError, match="HTTP 418.*odd"):
        drain(client_for(fake_anthropic).stream(HELLO))
