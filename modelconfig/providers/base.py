"""The one streaming interface every model provider offers.

Pure Python (no Django imports) so the providers can be exercised without a database. A client is bound
to one action and one resolved model configuration; `stream()` yields text deltas and fills `usage`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from config.failures import AtelierError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ImageInput:
    """An image passed to the model (already validated and re-encoded by the caller)."""

    mime_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str
    images: tuple[ImageInput, ...] = ()


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class ModelSettings:
    """A fully resolved configuration for one call: which provider, which model, how."""

    provider: str  # "offline" | "openai" | "anthropic"
    model: str
    temperature: float = 0.2
    max_tokens: int = 8192
    reasoning_effort: str | None = None
    fallback_model: str | None = None
    # Tokens in and out of one call; None: the default for the model's name (agents.context).
    context_window: int | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    # A base URL a user typed: connect only to public addresses, checked at connect time (network.py).
    public_peers_only: bool = False
    timeout: float = 60.0
    max_retries: int = 2
    # Offline model only: seconds to sleep between streamed chunks, to make streaming visible.
    chunk_delay: float = 0.0


class ProviderError(AtelierError):
    """A provider refused or failed. `message` is safe to show to the user (never holds a secret).

    `status` is the provider's HTTP status (None when there was no response); `retryable` says whether the
    same call may succeed later; `retry_after` is how many seconds the provider asked to wait (None when it
    did not say); `code` names the cause for programs (`KEY_REFUSED`, `INSUFFICIENT_QUOTA`, ...).
    """

    type = "PROVIDER_ERROR"
    http_status = 502

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        code: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, code=code)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class GenerationCancelled(Exception):
    """The caller cancelled the stream (stop) while it was in flight."""


class CancelToken:
    """Set from another thread to stop a stream in flight.

    Clients check `is_set()` between deltas and register `on_cancel` callbacks (e.g. closing the HTTP
    response) so a stalled read is interrupted too.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - closing a response may race with its own end
                pass

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` when cancelled (at once if already). Returns a function that unregisters it."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._remove(callback)
        callback()
        return lambda: None

    def _remove(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


# `ChatClient.stop_reason` after a stream: the model ended its answer, or hit its output limit.
STOP_END = "end"
STOP_LENGTH = "length"


class ChatClient(ABC):
    """A streaming chat client bound to one action and one model configuration.

    `stream()` yields only the answer's text. What the model thought before answering (a provider's
    `reasoning_content` / thinking fields, or a leading `<think>` block) never reaches the caller as text:
    it goes to `on_reasoning`, when the caller sets one. After a stream, `stop_reason` says why it ended
    (`STOP_END`, `STOP_LENGTH` when cut at the output limit, None when unknown).
    """

    def __init__(self, *, action: str, settings: ModelSettings):
        self.action = action
        self.settings = settings
        self.usage = Usage()
        self.stop_reason: str | None = None
        self.on_reasoning: Callable[[str], None] | None = None

    def _reasoning(self, text: str) -> None:
        if text and self.on_reasoning is not None:
            self.on_reasoning(text)

    @property
    def provider(self) -> str:
        return self.settings.provider

    @property
    def model(self) -> str:
        return self.settings.model

    @abstractmethod
    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken | None = None) -> Iterator[str]:
        """Yield text deltas. Fills `self.usage`. Raises ProviderError or GenerationCancelled."""

    def complete(self, messages: Sequence[ChatMessage], *, cancel: CancelToken | None = None) -> str:
        return "".join(self.stream(messages, cancel=cancel))
