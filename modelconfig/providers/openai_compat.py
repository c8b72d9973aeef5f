"""The `openai` provider: any OpenAI-compatible chat completions API, through the official `openai` SDK.

OpenAI itself, OpenRouter, Groq, Gemini's compatible endpoint, vLLM, LM Studio, Ollama
(`http://localhost:11434/v1`). Local servers take no key, but the SDK insists on one, so an empty key is
sent as a placeholder. Parameters stay within what compatible servers accept (`max_tokens`, not
`max_completion_tokens`); when a model refuses one of them (OpenAI's reasoning models refuse `max_tokens`
and a custom `temperature`), the request is adapted once per refused parameter and sent again.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx2
import openai

from .base import ChatMessage, ImageInput, ProviderError, Usage
from .common import DUMMY_API_KEY, SDKChatClient, error_detail

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
            http_client=openai.DefaultHttpxClient(
                timeout=settings.timeout, event_hooks={"request": [on_request]}
            ),
        )

    def _deltas(self, sdk: openai.OpenAI, messages: Sequence[ChatMessage], *, model: str) -> Iterator[str]:
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
                    if choice.delta is not None and choice.delta.content:
                        yield choice.delta.content
        if not finished:
            raise self.incomplete_error(model=model)

    def _create(self, sdk: openai.OpenAI, params: dict[str, Any]) -> Any:
        while True:
            try:
                return sdk.chat.completions.create(**params)
            except openai.BadRequestError as error:
                if not _drop_refused_parameter(params, error):
                    raise

    def _translate(self, error: Exception, *, model: str) -> ProviderError | None:
        # Order matters: a timeout is a connection error, and a status error is an API error.
        if isinstance(error, openai.APITimeoutError):
            return self.timeout_error(model=model)
        if isinstance(error, openai.APIConnectionError):
            return self.connection_error(error, model=model)
        if isinstance(error, openai.APIStatusError):
            detail = error_detail(error.body, error.message)
            return self.status_error(status=error.status_code, detail=detail, model=model)
        if isinstance(error, openai.APIError):
            # An `{"error": ...}` event inside a stream that had started with HTTP 200.
            return self.stream_error(detail=error_detail(error.body, error.message), model=model)
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


def _drop_refused_parameter(params: dict[str, Any], error: openai.BadRequestError) -> bool:
    """Adapt `params` to a model that refused one of them; False if the refusal is about something else."""
    text = f"{error.param or ''} {error_detail(error.body, error.message)}".lower()
    if "max_tokens" in params and "max_completion_tokens" in text:
        params["max_completion_tokens"] = params.pop("max_tokens")
        changed = "max_tokens -> max_completion_tokens"
    elif "temperature" in params and "temperature" in text:
        params.pop("temperature")
        changed = "temperature dropped"
    else:
        return False
    logger.info("Model %r refused a parameter; retrying with %s", params.get("model"), changed)
    return True
