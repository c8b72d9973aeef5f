"""One model answer, as the pipeline needs it: thinking shown, cut answers continued, usage recorded.

- What the model thinks before answering (its reasoning field or a leading `<think>` block, which the
  provider clients take out of the answer) is broadcast as `model_thinking {action, chunk}` frames, never
  saved: the UI shows it as a collapsible "thinking" indicator.
- An answer cut at the output limit (`finish_reason: "length"`, `stop_reason: "max_tokens"`) is continued:
  the partial answer goes back as the assistant's turn with "continue exactly where you stopped", and the
  continuation streams on as if the answer had not been cut. The user is told with a warning.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from agents import context, prompts
from agents.events import emit
from agents.models import UsageRecord
from agents.problems import warn
from config.database import release_idle_connection
from config.failures import AtelierError
from modelconfig.clients import client_for
from modelconfig.providers.base import STOP_LENGTH, CancelToken, ChatClient, ChatMessage, ModelSettings

# Continuations of one cut answer: enough for a long file at a small limit, bounded if the model loops.
MAX_CONTINUATIONS = 3
THINKING_EVENT_INTERVAL = 0.1
# A continuation that starts again at the beginning of the cut answer's last line(s) has the repeat
# dropped, when it is at least this long (shorter overlaps are as likely to be new text).
MIN_OVERLAP = 8
MAX_OVERLAP = 400

UsageRecorder = Callable[..., None]
CALL_WINDOW = timedelta(hours=1)


class CallLimitReached(AtelierError):
    """The agent's circuit breaker: PROVIDER_CALLS_PER_HOUR model calls in the last hour, whatever the cause."""

    type, status, code = "RATE_LIMITED", 429, "CALL_LIMIT"


def check_call_budget(agent) -> None:
    """Refuse a model call past the agent's hourly budget (each call leaves a UsageRecord, failed ones too)."""
    limit = settings.PROVIDER_CALLS_PER_HOUR
    since = timezone.now() - CALL_WINDOW
    calls = UsageRecord.objects.filter(agent_id=agent.pk, created_at__gte=since)
    if calls.count() < limit:
        return
    oldest = calls.order_by("created_at").values_list("created_at", flat=True).first()
    wait = max(1, math.ceil((oldest + CALL_WINDOW - timezone.now()).total_seconds())) if oldest else 3600
    raise CallLimitReached(
        f"This app made {limit} model calls in the last hour, the most allowed (ATELIER_PROVIDER_CALLS_PER_HOUR), "
        f"so no more are made for now; resume in {math.ceil(wait / 60)} minutes, or ask your administrator to "
        "raise the limit.",
        details={"limit": limit, "period_seconds": 3600, "retry_after_seconds": wait},
    )


class ThinkingRelay:
    """Forwards reasoning text as `model_thinking` frames, coalesced like file chunks."""

    def __init__(self, agent_id, action: str):
        self.agent_id, self.action = agent_id, action
        self._pending: list[str] = []
        self._last = 0.0

    def __call__(self, text: str) -> None:
        self._pending.append(text)
        if time.monotonic() - self._last >= THINKING_EVENT_INTERVAL:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            emit(self.agent_id, "model_thinking", action=self.action, chunk="".join(self._pending))
            self._pending = []
        self._last = time.monotonic()


def thinking_client(agent, action: str, *, sdk_retries: int | None = None) -> tuple[ChatClient, ThinkingRelay]:
    """The configured client for `action`, with its reasoning relayed to the agent's clients."""
    client = client_for(agent.owner, action, sdk_retries=sdk_retries)
    relay = ThinkingRelay(agent.pk, action)
    client.on_reasoning = relay
    return client, relay


def model_settings_for(agent, action: str) -> ModelSettings:
    """The resolved settings of the model that serves `action` for the agent's owner."""
    return client_for(agent.owner, action).settings


def stream_answer(
    *, agent, action: str, messages: Sequence[ChatMessage], cancel: CancelToken, record_usage: UsageRecorder
) -> Iterator[str]:
    """The model's whole answer as text deltas, continued across output limits.

    The SDK does not retry: the run does (agents.lifecycle), announcing each retry, from durable state.
    """
    answer: list[str] = []
    for continuation in range(MAX_CONTINUATIONS + 1):
        check_call_budget(agent)
        client, relay = thinking_client(agent, action, sdk_retries=0)
        window = context.window_for(client.settings)
        if window is not None and context.estimate_tokens(messages) > window:
            if continuation:
                warn(
                    agent.pk,
                    code="OUTPUT_LIMIT",
                    message=(
                        "The model's answer was cut at its output limit, and there is no room left in its context "
                        "window to continue it; what it wrote so far is used."
                    ),
                )
                return
            # Never sent: the model would silently drop the start of the prompt (its instructions).
            raise context.ContextTooSmall(
                f"The prompt (about {context.estimate_tokens(messages)} tokens) is larger than the context window "
                f"of {client.settings.model} ({window} tokens). Set a larger context window for the model."
            )
        deltas = client.stream(messages, cancel=cancel)
        if continuation:
            deltas = _without_overlap(deltas, already="".join(answer)[-MAX_OVERLAP:])
        try:
            for delta in deltas:
                answer.append(delta)
                yield delta
                release_idle_connection()  # what the delta needed is written; wait for the next without it
        finally:
            relay.flush()
            record_usage(agent=agent, client=client, action=action)
        if client.stop_reason != STOP_LENGTH:
            return
        limit = client.settings.max_tokens
        if continuation == MAX_CONTINUATIONS:
            warn(
                agent.pk,
                code="OUTPUT_LIMIT",
                message=(
                    f"The model's answer was still cut at its output limit ({limit} tokens) after "
                    f"{MAX_CONTINUATIONS} continuations; what it wrote so far is used."
                ),
            )
            return
        warn(
            agent.pk,
            code="OUTPUT_LIMIT",
            message=(f"The model's answer was cut at its output limit ({limit} tokens); asking it to continue."),
        )
        messages = prompts.continuation_messages(messages, partial="".join(answer))


def _without_overlap(deltas: Iterator[str], *, already: str) -> Iterator[str]:
    """Drop a repeat of the cut answer's end at the start of its continuation."""
    held = ""
    for delta in deltas:
        if held is None:
            yield delta
            continue
        held += delta
        if len(held) < MAX_OVERLAP and "\n" not in held[MIN_OVERLAP:]:
            continue
        yield _trim(held, already)
        held = None
    if held:
        yield _trim(held, already)


def _trim(text: str, already: str) -> str:
    for size in range(min(len(text), len(already)), MIN_OVERLAP - 1, -1):
        starts_a_line = size == len(already) or already[-size - 1] == "\n"
        if starts_a_line and already.endswith(text[:size]):
            return text[size:]
    return text
