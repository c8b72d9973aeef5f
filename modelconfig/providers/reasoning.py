"""Separates a leading `<think>` block from the answer, as a stream goes by.

Why: reasoning models served without a reasoning parser (qwen3 or deepseek-r1 on Ollama, vLLM, LM Studio)
write their thoughts into the answer itself, as `<think>…</think>` (or `<thinking>…</thinking>`) before
it. Those thoughts hold drafts of the very output the parsers look for (`cat > index.html`, JSON objects,
the word EOF), so they are taken out before any parser or the chat sees the text.

Only a block at the very start counts (after whitespace); a `<think>` later in the answer is content.
A block that is never closed makes the whole stream reasoning (the answer was cut before it began).
Pure Python; any split of the stream into chunks gives the same result.
"""

from __future__ import annotations

import re

_OPENERS = ("<think>", "<thinking>")
_CLOSERS = {"<think>": "</think>", "<thinking>": "</thinking>"}
_LONGEST_OPENER = max(len(opener) for opener in _OPENERS)
_START, _THINKING, _ANSWER = "start", "thinking", "answer"


class ThinkFilter:
    """`feed()` returns (reasoning, answer) text for each chunk; `finish()` the rest at the end."""

    def __init__(self) -> None:
        self._state = _START
        self._held = ""  # text not yet known to be reasoning or answer
        self._closer = ""
        self._after_close = False  # drop the blank lines between the closing tag and the answer

    def feed(self, text: str) -> tuple[str, str]:
        if self._state == _ANSWER:
            return "", self._answer(text)
        self._held += text
        if self._state == _START:
            stripped = self._held.lstrip()
            opener = next((o for o in _OPENERS if stripped.startswith(o)), None)
            if opener is None:
                if any(o.startswith(stripped) for o in _OPENERS) and len(stripped) < _LONGEST_OPENER:
                    return "", ""  # could still become an opener
                self._state = _ANSWER
                held, self._held = self._held, ""
                return "", held
            self._state = _THINKING
            self._closer = _CLOSERS[opener]
            self._held = stripped[len(opener) :]
        return self._scan_thinking()

    def _scan_thinking(self) -> tuple[str, str]:
        end = self._held.find(self._closer)
        if end != -1:
            reasoning, rest = self._held[:end], self._held[end + len(self._closer) :]
            self._held = ""
            self._state = _ANSWER
            self._after_close = True
            return reasoning, self._answer(rest)
        # Hold back what could be the start of the closing tag.
        keep = next(
            (
                n
                for n in range(min(len(self._closer) - 1, len(self._held)), 0, -1)
                if self._closer.startswith(self._held[-n:])
            ),
            0,
        )
        reasoning = self._held[: len(self._held) - keep]
        self._held = self._held[len(self._held) - keep :]
        return reasoning, ""

    def _answer(self, text: str) -> str:
        if self._after_close:
            text = re.sub(r"^\s+", "", text)
            if text:
                self._after_close = False
        return text

    def finish(self) -> tuple[str, str]:
        held, self._held = self._held, ""
        if self._state == _THINKING:
            return held, ""
        if self._state == _START:
            return "", held
        return "", ""
