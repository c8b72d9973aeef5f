"""What the SDK-backed providers share: fallback, cancellation, and user-safe errors.

Pure Python (no Django imports). Retries with exponential back-off on 429/5xx/connection errors are the
SDKs' own (`max_retries`, honouring `retry-after`) outside an agent's run; inside one the run retries
(agents.retries) and the SDKs' are off. This module adds what the SDKs lack:
- fallback to `settings.fallback_model` when the primary model fails before any text was streamed;
- cancellation that is honoured at once: the SDK call runs in a worker thread, because a blocked SDK call
  (connecting, sleeping between retries, reading a stalled stream) cannot be interrupted from the caller's
  thread, and closing an httpx response from another thread does not wake a blocked read;
- errors as `ProviderError`, with secrets scrubbed from every message, a `code` naming the cause, whether
  trying again can help (`retryable`), and the wait the provider asked for (`retry_after`).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import socket
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx2

from .base import (
    CancelToken,
    ChatClient,
    ChatMessage,
    GenerationCancelled,
    ModelSettings,
    ProviderError,
    Usage,
)
from .reasoning import ThinkFilter

logger = logging.getLogger(__name__)

# Statuses the SDKs retry by themselves; a ProviderError carrying one is worth trying again later.
RETRYABLE_STATUSES = frozenset({408, 409, 429})
# The fallback model runs on the same account: a refused key, permission or empty balance stays so.
NO_FALLBACK_STATUSES = frozenset({401, 403})
NO_FALLBACK_CODES = frozenset({"KEY_REFUSED", "INSUFFICIENT_QUOTA"})
# Longest wait a provider may ask for that is still read as such (a larger number is read as missing).
MAX_RETRY_AFTER_SECONDS = 24 * 3600
# How providers say "no credit left": OpenAI's 429 `insufficient_quota`, OpenRouter's 402, Anthropic's 400.
_QUOTA_TYPES = frozenset({"insufficient_quota", "billing_error"})
_QUOTA_PHRASES = ("credit balance is too low", "insufficient credit", "exceeded your current quota")
DETAIL_LIMIT = 300
DUMMY_API_KEY = "not-needed"

_SECRET_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-*.]{3,}"),
    re.compile(r"(?i)\bbearer\s+[^\s,;\"']+"),
    re.compile(r"(?i)(x-api-key|api[_-]?key|authorization)([\"']?\s*[:=]\s*[\"']?)[^\s,;\"'}]+"),
)


def scrub_secrets(text: str, *secrets: str | None) -> str:
    """Remove API keys (the ones we know, and anything shaped like one) from text meant for users or logs."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = _SECRET_PATTERNS[0].sub("sk-[redacted]", text)
    text = _SECRET_PATTERNS[1].sub("Bearer [redacted]", text)
    return _SECRET_PATTERNS[2].sub(r"\1\2[redacted]", text)


def error_detail(body: object, fallback: str) -> str:
    """The provider's own error message from an error body, whatever the server's dialect."""
    detail: object = body
    if isinstance(detail, dict) and isinstance(detail.get("error"), dict | str):
        detail = detail["error"]  # Anthropic's full body, or Ollama's {"error": "..."}
    if isinstance(detail, dict):
        detail = detail.get("message") or fallback
    if not isinstance(detail, str) or not detail.strip():
        detail = fallback
    detail = " ".join(detail.split())
    return detail if len(detail) <= DETAIL_LIMIT else detail[: DETAIL_LIMIT - 1] + "…"


def provider_message(body: object) -> str:
    """The `message` of a provider's JSON error body, and nothing else from the body.

    A server answering with an HTML page or arbitrary text (an internal service, a proxy's error page) is
    never quoted back to the user: the SDKs' own error text embeds the whole body, so it is not used either.
    """
    detail: object = body
    if isinstance(detail, dict) and isinstance(detail.get("error"), dict | str):
        detail = detail["error"]  # Anthropic's full body, or Ollama's {"error": "..."}
    if isinstance(detail, dict):
        detail = detail.get("message")
    if not isinstance(body, dict) or not isinstance(detail, str) or not detail.strip():
        return "the response carried no error message"
    return error_detail(detail, "")


def is_retryable_status(status: int | None) -> bool:
    return status is not None and (status in RETRYABLE_STATUSES or status >= 500)


def error_kind(body: object) -> str:
    """The provider's machine name for an error (`code`, else `type`) from an error body, or ""."""
    detail: object = body
    if isinstance(detail, dict) and isinstance(detail.get("error"), dict):
        detail = detail["error"]
    if not isinstance(detail, dict):
        return ""
    for name in ("code", "type"):
        value = detail.get(name)
        if isinstance(value, str) and value and value != "error":
            return value
    return ""


def retry_after_seconds(headers: Any) -> float | None:
    """The wait a response asks for: `retry-after-ms`, else `retry-after` in seconds (or None)."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) / scale
        except ValueError:
            continue  # an HTTP date: rare from model APIs, and the run's own backoff still applies
        if 0 <= seconds <= MAX_RETRY_AFTER_SECONDS:
            return seconds
    return None


def is_quota_error(*, status: int, kind: str, detail: str) -> bool:
    lowered = detail.lower()
    return status == 402 or kind in _QUOTA_TYPES or any(phrase in lowered for phrase in _QUOTA_PHRASES)


class ConnectionBreaker:
    """Interrupts one SDK client's HTTP traffic from another thread; installed as an httpx request hook.

    Why: a thread blocked in the SDK (waiting for headers, reading a stalled stream) is only woken by
    shutting its socket down; `response.close()` or `client.close()` merely close the descriptor, which
    leaves a concurrent read waiting until its timeout (and races with descriptor reuse). The hook tags each
    request with an httpcore `trace` callback that records every socket the client opens, and refuses any
    request (such as the SDK's next retry) once broken.
    """

    def __init__(self) -> None:
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._broken = False

    def on_request(self, request: httpx2.Request) -> None:
        if self._broken:
            raise GenerationCancelled()
        request.extensions["trace"] = self._trace

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            broken = self._broken
        if broken:
            _shutdown(sock)

    def __call__(self) -> None:
        with self._lock:
            self._broken = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        # The base method, so a TLS socket keeps its SSL object for the reader that is about to fail.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: nothing left to interrupt


_ITEM, _END, _ERROR, _CANCEL = "item", "end", "error", "cancel"


@dataclass(frozen=True)
class Thought:
    """Reasoning text a provider sent in its own field (`reasoning_content`, a thinking block)."""

    text: str


class SDKChatClient(ChatClient):
    """A ChatClient over an official SDK: subclasses build the SDK client and read its stream.

    `model_used` tells which model actually answered (the primary, or the fallback).
    """

    provider_label = "Provider"

    def __init__(self, *, action: str, settings: ModelSettings):
        super().__init__(action=action, settings=settings)
        self.model_used: str | None = None

    # -- what a provider supplies -----------------------------------------------------------------

    @abstractmethod
    def _make_sdk(self, *, on_request: Callable[[httpx2.Request], None]) -> Any:
        """A fresh SDK client from `self.settings` whose httpx client runs `on_request` as a request hook."""

    @abstractmethod
    def _deltas(self, sdk: Any, messages: Sequence[ChatMessage], *, model: str) -> Iterator[str | Thought]:
        """Yield text deltas (and `Thought`s) for one model; fill `self.usage` and `self.stop_reason`."""

    @abstractmethod
    def _translate(self, error: Exception, *, model: str) -> ProviderError | None:
        """The ProviderError for an SDK/transport error, or None if `error` is not the provider's doing."""

    # -- shared behaviour ---------------------------------------------------------------------------

    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken | None = None) -> Iterator[str]:
        models = [self.settings.model]
        if self.settings.fallback_model and self.settings.fallback_model != self.settings.model:
            models.append(self.settings.fallback_model)
        for attempt, model in enumerate(models, start=1):
            started = False
            thinking = ThinkFilter()
            try:
                for delta in self._stream_model(messages, model=model, cancel=cancel):
                    started = True
                    if isinstance(delta, Thought):
                        self._reasoning(delta.text)
                        continue
                    reasoning, answer = thinking.feed(delta)
                    self._reasoning(reasoning)
                    if answer:
                        yield answer
                reasoning, answer = thinking.finish()
                self._reasoning(reasoning)
                if answer:
                    yield answer
                return
            except ProviderError as error:
                if (
                    started
                    or attempt == len(models)
                    or error.status in NO_FALLBACK_STATUSES
                    or error.code in NO_FALLBACK_CODES
                ):
                    raise
                logger.warning(
                    "%s model %r failed for %s (%s); falling back to %r",
                    self.provider_label,
                    model,
                    self.action,
                    error.message,
                    models[attempt],
                )

    def _stream_model(
        self, messages: Sequence[ChatMessage], *, model: str, cancel: CancelToken | None
    ) -> Iterator[str | Thought]:
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled()
        self.usage = Usage()
        self.stop_reason = None
        self.model_used = model
        breaker = ConnectionBreaker()
        inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        finished = threading.Event()

        def work() -> None:
            sdk = None
            try:
                sdk = self._make_sdk(on_request=breaker.on_request)
                for delta in self._deltas(sdk, messages, model=model):
                    if finished.is_set():
                        return
                    inbox.put((_ITEM, delta))
                inbox.put((_END, None))
            except Exception as error:  # noqa: BLE001 - handed to the consuming thread, which raises it
                inbox.put((_ERROR, error))
            finally:
                if sdk is not None:
                    sdk.close()

        def on_cancel() -> None:
            inbox.put((_CANCEL, None))
            breaker()

        unregister = cancel.on_cancel(on_cancel) if cancel is not None else None
        worker = threading.Thread(target=work, name=f"llm-{self.provider}-{self.action}", daemon=True)
        worker.start()
        worker_done = False
        try:
            while True:
                kind, value = inbox.get()
                worker_done = kind in (_END, _ERROR)
                if cancel is not None and cancel.is_set():
                    raise GenerationCancelled()
                if kind == _ITEM:
                    yield value
                elif kind == _END:
                    return
                elif kind == _ERROR:
                    error = self._provider_error(value, model=model)
                    if error is value:
                        raise error
                    # Not chained: the SDK's exception text may quote the key back.
                    raise error from None
        finally:
            finished.set()
            if unregister is not None:
                unregister()
            if not worker_done:
                breaker()  # the consumer left early (cancel, closed generator): free the connection now

    def _provider_error(self, error: Exception, *, model: str) -> Exception:
        if isinstance(error, ProviderError):
            translated: ProviderError | None = error
        elif isinstance(error, httpx2.TimeoutException):
            translated = self.timeout_error(model=model)
        elif isinstance(error, httpx2.TransportError):
            translated = self.connection_error(error, model=model)
        elif isinstance(error, json.JSONDecodeError):
            translated = ProviderError(
                f"{self.provider_label} sent a malformed stream for model '{model}'.",
                retryable=True,
                code="PROVIDER_STREAM_ERROR",
            )
        else:
            translated = self._translate(error, model=model)
        if translated is None:
            return error
        message = scrub_secrets(translated.message, self.settings.api_key)
        return ProviderError(
            message,
            status=translated.status,
            retryable=translated.retryable,
            code=translated.code,
            retry_after=translated.retry_after,
        )

    # -- messages shared by both providers ------------------------------------------------------------

    def timeout_error(self, *, model: str) -> ProviderError:
        return ProviderError(
            f"{self.provider_label} timed out after {self.settings.timeout:g}s waiting for model '{model}'.",
            retryable=True,
            code="PROVIDER_TIMEOUT",
        )

    def connection_error(self, error: BaseException, *, model: str) -> ProviderError:
        """A connection that failed or broke off; the transport's own words are the useful part."""
        cause = error.__cause__ if isinstance(error.__cause__, httpx2.TransportError) else error
        detail = error_detail(str(cause), type(cause).__name__)
        return ProviderError(
            f"{self.provider_label} connection failed for model '{model}': {detail}",
            retryable=True,
            code="PROVIDER_UNREACHABLE",
        )

    def status_error(
        self, *, status: int, detail: str, model: str, kind: str = "", retry_after: float | None = None
    ) -> ProviderError:
        """An HTTP error answer, classified: a refusal that will be repeated names its cause and its fix."""
        label = self.provider_label
        where = "Settings → Models"
        if status in (401, 403):
            return ProviderError(
                f"{label} refused the API key (HTTP {status}: {detail}). Check or replace the key in {where}, "
                "or choose another model there.",
                status=status,
                code="KEY_REFUSED",
            )
        if is_quota_error(status=status, kind=kind, detail=detail):
            return ProviderError(
                f"Your {label} key has no credit left (HTTP {status}: {detail}). Add credit with the provider, or "
                f"choose another model in {where}.",
                status=status,
                code="INSUFFICIENT_QUOTA",
            )
        if status == 404 or kind == "model_not_found":
            return ProviderError(
                f"{label} has no model '{model}' that this key can use (HTTP {status}: {detail}). Choose another "
                f"model in {where}.",
                status=status,
                code="MODEL_NOT_FOUND",
            )
        if is_retryable_status(status):
            return ProviderError(
                f"{label} returned HTTP {status} for model '{model}': {detail}",
                status=status,
                retryable=True,
                code="PROVIDER_RATE_LIMITED" if status == 429 else "PROVIDER_UNAVAILABLE",
                retry_after=retry_after,
            )
        return ProviderError(
            f"{label} refused the request for model '{model}' (HTTP {status}: {detail}); it would refuse it again. "
            f"Choose another model in {where} if this one cannot take it.",
            status=status,
            code="REQUEST_REFUSED",
        )

    def stream_error(self, *, detail: str, model: str, retryable: bool = True) -> ProviderError:
        """An error the provider reported inside a stream that had started fine."""
        return ProviderError(
            f"{self.provider_label} reported an error for model '{model}': {detail}",
            retryable=retryable,
            code="PROVIDER_STREAM_ERROR",
        )

    def incomplete_error(self, *, model: str) -> ProviderError:
        return ProviderError(
            f"{self.provider_label} stream for model '{model}' ended before the model finished.",
            retryable=True,
            code="PROVIDER_STREAM_ERROR",
        )
