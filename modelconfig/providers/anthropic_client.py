"""The `anthropic` provider: the Messages API with streaming, through the official `anthropic` SDK.

System messages go to the top-level `system` prompt; images are base64 image blocks placed before the text
(as Anthropic recommends). `reasoning_effort`, only when set, becomes `output_config.effort` (the SDK's
own knob for how hard the model thinks); OpenAI's "none"/"minimal" map to "low". `temperature` is not
sent: the installed SDK's Messages API no longer takes it. A `max_tokens` above the model's limit is
lowered to the limit the refusal names, and remembered (`adaptations`). Thinking blocks are passed on as
`Thought`s; `stop_reason: "max_tokens"` is reported as a cut answer.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import anthropic
import httpx2

from . import adaptations
from .base import STOP_END, STOP_LENGTH, ChatMessage, ProviderError, Usage
from .common import (
    DUMMY_API_KEY,
    SDKChatClient,
    Thought,
    error_detail,
    error_kind,
    provider_message,
    retry_after_seconds,
)
from .network import http_client

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_EFFORTS = frozenset({"low", "medium", "high", "xhigh", "max"})
_EFFORT_ALIASES = {"none": "low", "minimal": "low"}
# In-stream error types worth trying again (the others are about the request itself).
_RETRYABLE_STREAM_ERRORS = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})


class AnthropicClient(SDKChatClient):
    """Streams Messages API answers, with usage from `message_start` and `message_delta`."""

    provider_label = "Anthropic API"

    def _make_sdk(self, *, on_request: Callable[[httpx2.Request], None]) -> anthropic.Anthropic:
        settings = self.settings
        # Explicit key and base URL, so the SDK never looks at environment variables or profile files.
        return anthropic.Anthropic(
            api_key=settings.api_key or DUMMY_API_KEY,
            base_url=settings.base_url or ANTHROPIC_BASE_URL,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            http_client=http_client(
                anthropic.DefaultHttpxClient,
                timeout=settings.timeout,
                public_peers_only=settings.public_peers_only,
                event_hooks={"request": [on_request]},
            ),
        )

    def _deltas(
        self, sdk: anthropic.Anthropic, messages: Sequence[ChatMessage], *, model: str
    ) -> Iterator[str | Thought]:
        system, turns = anthropic_messages(messages)
        params: dict[str, Any] = {
            "model": model,
            "max_tokens": self.settings.max_tokens,
            "messages": turns,
            "stream": True,
        }
        if system:
            params["system"] = system
        effort = self._effort()
        if effort:
            params["output_config"] = {"effort": effort}
        stream = self._create(sdk, params)
        stopped = False
        with stream:
            for event in stream:
                if event.type == "message_start":
                    usage = event.message.usage
                    self.usage = Usage(input_tokens=_total_input_tokens(usage), output_tokens=usage.output_tokens or 0)
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    yield event.delta.text
                elif event.type == "content_block_delta" and event.delta.type == "thinking_delta":
                    yield Thought(event.delta.thinking)
                elif event.type == "message_delta":
                    if event.delta.stop_reason:
                        self.stop_reason = STOP_LENGTH if event.delta.stop_reason == "max_tokens" else STOP_END
                    # Counts here are cumulative for the whole message.
                    self.usage.output_tokens = event.usage.output_tokens or self.usage.output_tokens
                    if event.usage.input_tokens is not None:
                        self.usage.input_tokens = _total_input_tokens(event.usage)
                elif event.type == "message_stop":
                    stopped = True
        if not stopped:
            raise self.incomplete_error(model=model)

    def _create(self, sdk: anthropic.Anthropic, params: dict[str, Any]) -> Any:
        where = {"base_url": str(sdk.base_url), "model": params["model"]}
        adaptations.apply_learnt(params, **where)
        for _ in range(2):
            try:
                return sdk.messages.create(**params)
            except anthropic.BadRequestError as error:
                refusal = error.api_message or error_detail(error.body, error.message)
                if not adaptations.learn_from_refusal(params, refusal, **where):
                    raise
        return sdk.messages.create(**params)

    def _effort(self) -> str | None:
        requested = self.settings.reasoning_effort
        if not requested:
            return None
        effort = _EFFORT_ALIASES.get(requested, requested)
        if effort not in ANTHROPIC_EFFORTS:
            raise ProviderError(
                f"{self.provider_label} does not support reasoning effort {requested!r}; "
                f"use one of {', '.join(sorted(ANTHROPIC_EFFORTS))}."
            )
        return effort

    def _translate(self, error: Exception, *, model: str) -> ProviderError | None:
        # Order matters: a timeout is a connection error, and a status error is an API error.
        if isinstance(error, anthropic.APITimeoutError):
            return self.timeout_error(model=model)
        if isinstance(error, anthropic.APIConnectionError):
            return self.connection_error(error, model=model)
        if isinstance(error, anthropic.APIStatusError):
            detail = error.api_message or provider_message(error.body)
            if error.status_code < 400:
                # An `event: error` inside a stream that had started with HTTP 200.
                return self.stream_error(detail=detail, model=model, retryable=error.type in _RETRYABLE_STREAM_ERRORS)
            return self.status_error(
                status=error.status_code,
                detail=detail,
                model=model,
                kind=error_kind(error.body),
                retry_after=retry_after_seconds(error.response.headers),
            )
        if isinstance(error, anthropic.AnthropicError):
            return ProviderError(f"{self.provider_label} client error for model '{model}': {error}")
        return None


def anthropic_messages(messages: Sequence[ChatMessage]) -> tuple[str, list[dict[str, Any]]]:
    """Split out the system prompt and shape the turns as the Messages API wants them."""
    system = "\n\n".join(message.content for message in messages if message.role == "system")
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if not message.images:
            turns.append({"role": message.role, "content": message.content})
            continue
        if message.role != "user":
            raise ValueError("Only user messages can carry images.")
        blocks: list[dict[str, Any]] = [
            {
                "type": "image",
                "source": {
                    "type": "base64",
                    "media_type": image.mime_type,
                    "data": base64.b64encode(image.data).decode("ascii"),
                },
            }
            for image in message.images
        ]
        if message.content:
            blocks.append({"type": "text", "text": message.content})
        turns.append({"role": message.role, "content": blocks})
    return system, turns


def _total_input_tokens(usage: Any) -> int:
    """Input tokens including the cached ones, which the API counts separately."""
    return sum(
        getattr(usage, name, None) or 0
        for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
