"""The built-in offline model: deterministic answers streamed like a real model's.

It reads the tagged sections of the prompt (`agents.prompts`), computes the whole answer for its action,
and streams it in small chunks of fixed sizes, pausing `settings.chunk_delay` between chunks so the UI
shows real streaming. No network, no randomness, no clock: the same prompt gives the same answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from modelconfig.providers.base import (
    STOP_END,
    CancelToken,
    ChatClient,
    ChatMessage,
    GenerationCancelled,
    ProviderError,
    Usage,
)

from . import answers
from .prompt import Prompt, read_prompt

# Chunk sizes cycle through these: uneven like a real stream, so parsers meet every kind of boundary.
CHUNK_SIZES = (24, 40, 17, 56, 32, 64, 20, 48)

ANSWERS: dict[str, Callable[[Prompt], str]] = {
    "blueprint": answers.blueprint_answer,
    "phase_generation": answers.plan_answer,
    "phase_implementation": answers.implementation_answer,
    "file_regeneration": answers.regeneration_answer,
    "code_review": answers.review_answer,
    "conversation": answers.conversation_answer,
}


def estimate_tokens(chars: int) -> int:
    """About four characters per token, as for English text and code with common tokenizers."""
    return (chars + 3) // 4


def answer_for(action: str, messages: Sequence[ChatMessage]) -> str:
    """The complete answer of the offline model to `messages` for `action`."""
    try:
        answer = ANSWERS[action]
    except KeyError:
        raise ProviderError(f"The offline model does not know the action {action!r}.") from None
    return answer(read_prompt(messages))


class OfflineClient(ChatClient):
    """Deterministic, network-free model used by default and in tests."""

    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken | None = None) -> Iterator[str]:
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled()
        text = answer_for(self.action, messages)
        self.usage = Usage(input_tokens=estimate_tokens(sum(len(m.content) for m in messages)))
        delay = self.settings.chunk_delay
        pos = index = 0
        while pos < len(text):
            if cancel is not None and cancel.is_set():
                raise GenerationCancelled()
            if index and delay > 0:
                # Waiting on the token rather than sleeping lets a stop interrupt the pause itself.
                if cancel is None:
                    time.sleep(delay)
                elif cancel.wait(delay):
                    raise GenerationCancelled()
            chunk = text[pos : pos + CHUNK_SIZES[index % len(CHUNK_SIZES)]]
            pos += len(chunk)
            index += 1
            self.usage.output_tokens = estimate_tokens(pos)
            yield chunk
        self.stop_reason = STOP_END
