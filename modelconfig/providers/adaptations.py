"""Request parameters adapted to what a provider's model accepts, learnt from its own refusals.

Why: providers refuse parameters with a 400 whose message says what they want instead. DeepSeek refuses
`max_tokens` above 8192 ("the valid range of max_tokens is [1, 8192]"), OpenAI's reasoning models refuse
`max_tokens` ("use 'max_completion_tokens' instead") and any `temperature` but the default, Anthropic
refuses a `max_tokens` above the model's limit ("max_tokens: 64000 > 32000"). The request is adapted from
that message and sent again, and the adaptation is remembered per base URL and model, so later calls do
not pay the refused request again.

The memory is process-wide (a dict behind a lock): each worker process learns once per model, which costs
one refused request per process and model, and forgets on restart, when a provider may have changed its
limits anyway. Pure Python.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

# A limit below this is more likely a number from another sentence than the model's output limit.
_MIN_TOKEN_LIMIT = 256
_TOKEN_PARAMETERS = ("max_tokens", "max_completion_tokens")
_MENTIONS_TOKEN_LIMIT = re.compile(r"max_(?:completion_|output_)?tokens|output tokens", re.IGNORECASE)


@dataclass
class Adaptation:
    """What to change in every request to one model."""

    rename: dict[str, str] = field(default_factory=dict)
    drop: set[str] = field(default_factory=set)
    token_limit: int | None = None

    def apply(self, params: dict[str, Any]) -> None:
        for old, new in self.rename.items():
            if old in params:
                params[new] = params.pop(old)
        for name in self.drop:
            params.pop(name, None)
        if self.token_limit is not None:
            for name in _TOKEN_PARAMETERS:
                if isinstance(params.get(name), int) and params[name] > self.token_limit:
                    params[name] = self.token_limit


_lock = threading.Lock()
_learnt: dict[tuple[str, str], Adaptation] = {}


def apply_learnt(params: dict[str, Any], *, base_url: str, model: str) -> None:
    """Adapt `params` in place with what this model refused before."""
    with _lock:
        adaptation = _learnt.get((base_url, model))
        if adaptation is not None:
            adaptation.apply(params)


def learn_from_refusal(params: dict[str, Any], message: str, *, base_url: str, model: str) -> bool:
    """Adapt `params` to the refusal in `message`, remember it; False if the refusal is about something else."""
    text = message.lower()
    change = Adaptation()
    token_name = next((name for name in _TOKEN_PARAMETERS if name in params), None)
    if "max_tokens" in params and "max_completion_tokens" in text:
        change.rename["max_tokens"] = "max_completion_tokens"
    elif "temperature" in params and "temperature" in text:
        change.drop.add("temperature")
    elif token_name is not None and _MENTIONS_TOKEN_LIMIT.search(message):
        limit = _token_limit(message, current=params[token_name])
        if limit is None:
            return False
        change.token_limit = limit
    else:
        return False
    change.apply(params)
    with _lock:
        known = _learnt.setdefault((base_url, model), Adaptation())
        known.rename.update(change.rename)
        known.drop |= change.drop
        if change.token_limit is not None:
            known.token_limit = min(change.token_limit, known.token_limit or change.token_limit)
    logger.info("Model %r at %s refused a parameter; adapted and remembered: %s", model, base_url, change)
    return True


def _token_limit(message: str, *, current: object) -> int | None:
    """The largest number in the message below the refused value: "[1, 8192]", "64000 > 32000", "at most 4096"."""
    if not isinstance(current, int):
        return None
    numbers = [int(n) for n in re.findall(r"(?<![\w.])\d{3,7}(?![\w.])", message.replace(",", " "))]
    below = [n for n in numbers if _MIN_TOKEN_LIMIT <= n < current]
    return max(below) if below else None


def forget_all() -> None:
    """Forget every adaptation (tests start from a clean process state)."""
    with _lock:
        _learnt.clear()
