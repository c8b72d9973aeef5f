"""The `openai` provider: any OpenAI-compatible chat completions API, through the official `openai` SDK.

OpenAI itself, OpenRouter, Groq, Gemini's compatible endpoint, vLLM, LM Studio, Ollama
(`http://localhost:11434/v1`). Local servers take no key, but the SDK insists on one, so an empty key is
sent as a placeholder. Parameters stay within what compatible servers accept (`max_tokens`, not
`max_completion_tokens`); when a model refuses one of them (OpenAI's reasoning models refuse `max_tokens`
and a custom `temperature`, DeepSeek a `max_tokens` above 8192), the request is adapted from the refusal,
sent again, and the adaptation remembered (`adaptations`). Reasoning that servers send beside the answer
(`delta.reasoning_content` from DeepSeek and vLLM, `delta.reasoning` from OpenRouter and Ollama) is passed
on as `Thought`s, never as answer text.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx2
import openai

from . import adaptations
from .base import STOP_END, STOP_LENGTH, ChatMessage, ImageInput, ProviderError, Usage
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

logger = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"


class OpenAIClient(SDKChatClient):
    """Streams chat completions with usage from any OpenAI-compatible base URL."""

    provider_label = "OpenAI-compatible API"

    def _make_sdk(self, *, on_request: Callable[[httpx2.Request], None]) -> openai.OpenAI:
        settings = self.settings
        # An explicit base URL, so the SDK never falls back to the OPENAI_BASE_URL environment variable.
        return openai.OpenAI(
            api_key=settings.api_key or DUMMY_API_KEY,
            base_url=settings.base_url or OPENAI_BASE_URL,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            http_client=http_client(
                openai.DefaultHttpxClient,
                timeout=settings.timeout,
                public_peers_only=settings.public_peers_only,
                event_hooks={"request": [on_request]},
            ),
        )

    def _deltas(self, sdk: openai.OpenAI, messages: Sequence[ChatMessage], *, model: str) -> Iterator[str | Thought]:
        params: dict[str, Any] = {
            "model": model,
            "messages": [openai_message(message) for message in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        if self.settings.reasoning_effort:
            params["reasoning_effort"] = self.settings.reasoning_effort
        stream = self._create(sdk, params)
        finished = False
        with stream:
            for chunk in stream:
                if chunk.usage is not None:
                    self.usage = Usage(
                        input_tokens=chunk.usage.prompt_tokens or 0,
                        output_tokens=chunk.usage.completion_tokens or 0,
                    )
                for choice in chunk.choices or ():  # some servers send `null`
                    if choice.index != 0:
                        continue
                    if choice.finish_reason:
                        finished = True
                        self.stop_reason = STOP_LENGTH if choice.finish_reason == "length" else STOP_END
                    if choice.delta is None:
                        continue
                    thought = _reasoning_text(choice.delta)
                    if thought:
                        yield Thought(thought)
                    if choice.delta.content:
                        yield choice.delta.content
        if not finished:
            raise self.incomplete_error(model=model)

    def _create(self, sdk: openai.OpenAI, params: dict[str, Any]) -> Any:
        where = {"base_url": str(sdk.base_url), "model": params["model"]}
        adaptations.apply_learnt(params, **where)
        # Each refusal changes one parameter; the bound keeps a server that refuses everything from looping.
        for _ in range(4):
            try:
                return sdk.chat.completions.create(**params)
            except openai.BadRequestError as error:
                refusal = f"{error.param or ''} {error_detail(error.body, error.message)}"
                if not adaptations.learn_from_refusal(params, refusal, **where):
                    raise
        return sdk.chat.completions.create(**params)

    def _translate(self, error: Exception, *, model: str) -> ProviderError | None:
        # Order matters: a timeout is a connection error, and a status error is an API error.
        if isinstance(error, openai.APITimeoutError):
            return self.timeout_error(model=model)
        if isinstance(error, openai.APIConnectionError):
            return self.connection_error(error, model=model)
        if isinstance(error, openai.APIStatusError):
            return self.status_error(
                status=error.status_code,
                detail=provider_message(error.body),
                model=model,
                kind=error_kind(error.body) or (error.code or ""),
                retry_after=retry_after_seconds(error.response.headers),
            )
        if isinstance(error, openai.APIError):
            # An `{"error": ...}` event inside a stream that had started with HTTP 200.
            return self.stream_error(detail=provider_message(error.body), model=model)
        if isinstance(error, openai.OpenAIError):
            return ProviderError(f"{self.provider_label} client error for model '{model}': {error}")
        return None


def openai_message(message: ChatMessage) -> dict[str, Any]:
    """A chat message in the OpenAI wire shape; plain string content unless there are images."""
    if not message.images:
        return {"role": message.role, "content": message.content}
    if message.role != "user":
        raise ValueError("Only user messages can carry images.")
    parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
    parts += [{"type": "image_url", "image_url": {"url": data_url(image)}} for image in message.images]
    return {"role": message.role, "content": parts}


def data_url(image: ImageInput) -> str:
    return f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode('ascii')}"


def _reasoning_text(delta: Any) -> str:
    """Reasoning sent beside the content, under the names compatible servers use for it."""
    extra = delta.model_extra or {}
    for name in ("reasoning_content", "reasoning"):
        value = extra.get(name)
        if isinstance(value, str) and value:
            return value
    return ""
