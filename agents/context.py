"""Prompts that fit the model's context window.

Why: every prompt carried every file in full, and a local model whose window is smaller than the prompt
silently drops its beginning (the system prompt). Each model has a window (a setting per model
configuration, else a default for its name, below); a prompt that would not fit keeps the files the call
works on in full and shows the others as outlines (path, size, purpose, the names they define), and a
prompt still too large is never sent.

Tokens are estimated (about 3.5 characters per token for code and prose), on the safe side: no tokenizer
download is needed and the estimate only has to keep the prompt under the window. Pure Python.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from modelconfig.providers.base import ChatMessage, ModelSettings, ProviderError

# Window sizes (input and output together) by model name, first match wins. Names with a ":" tag
# ("llama3.1:8b", "qwen3:8b") are served by Ollama, whose default window (num_ctx) is far below what the
# models support: 8192 tokens is assumed, and a configuration states the real one.
DEFAULT_WINDOWS: tuple[tuple[str, int], ...] = (
    (r"gpt-4\.1", 1_000_000),
    (r"gpt-5", 400_000),
    (r"gpt-4o|gpt-4-turbo", 128_000),
    (r"(?:^|/)o[1345](?:-|$)", 200_000),
    (r"claude", 200_000),
    (r"gemini", 1_000_000),
    (r"deepseek", 64_000),
    (r":", 8_192),
    (r"llama-?3\.[1-3]|qwen2\.5|qwen3|mistral-(?:small|large)|grok", 128_000),
    (r"llama-?3|llama3", 8_192),
)
UNKNOWN_MODEL_WINDOW = 32_768
CHARS_PER_TOKEN = 3.5
# Tokens of each message's framing (role markers); the answer keeps its max_tokens of the window, but
# at least a quarter and at most half of it.
MESSAGE_OVERHEAD = 8
MIN_ANSWER_SHARE, MAX_ANSWER_SHARE = 0.25, 0.5


class FittedPrompt(list):
    """Messages that fit the window; `outlined` names the files they show only as outlines."""

    def __init__(self, messages: Iterable[ChatMessage], outlined: Iterable[str] = ()):
        super().__init__(messages)
        self.outlined = frozenset(outlined)


class ContextTooSmall(ProviderError):
    """Even with every file outlined, the prompt is larger than the model's window."""

    code = "CONTEXT_TOO_SMALL"


def window_for(settings: ModelSettings) -> int | None:
    """The model's window in tokens; None for the offline model, which reads any prompt."""
    if settings.provider == "offline":
        return None
    if settings.context_window:
        return settings.context_window
    name = settings.model.lower()
    for pattern, window in DEFAULT_WINDOWS:
        if re.search(pattern, name):
            return window
    return UNKNOWN_MODEL_WINDOW


def prompt_budget(settings: ModelSettings) -> int | None:
    """Tokens a prompt may take: the window less room for the answer."""
    window = window_for(settings)
    if window is None:
        return None
    answer = min(max(settings.max_tokens, int(window * MIN_ANSWER_SHARE)), int(window * MAX_ANSWER_SHARE))
    return window - answer


def estimate_tokens(messages: Sequence[ChatMessage]) -> int:
    return sum(int(len(m.content) / CHARS_PER_TOKEN) + 1 + MESSAGE_OVERHEAD for m in messages)


def fit(
    render: Callable[[Mapping[str, str]], list[ChatMessage]],
    *,
    files: Mapping[str, str],
    keep: Iterable[str],
    budget: int | None,
    purposes: Mapping[str, str] | None = None,
) -> tuple[list[ChatMessage], list[str]]:
    """The messages `render` makes from `files`, with files outlined until they fit `budget`.

    Files outside `keep` are outlined first, largest first; then, if needed, the kept ones. Returns the
    messages and the paths outlined; raises ContextTooSmall when nothing fits.
    """
    shown = dict(files)
    messages = render(shown)
    if budget is None or estimate_tokens(messages) <= budget:
        return messages, []
    kept = set(keep)
    order = sorted((p for p in files if p not in kept), key=lambda p: -len(files[p]))
    order += sorted((p for p in files if p in kept), key=lambda p: -len(files[p]))
    outlined: list[str] = []
    for path in order:
        shown[path] = outline(path, files[path], (purposes or {}).get(path, ""))
        outlined.append(path)
        messages = render(shown)
        if estimate_tokens(messages) <= budget:
            return messages, outlined
    raise ContextTooSmall(
        f"The prompt needs about {estimate_tokens(messages)} tokens even with every file outlined, more than "
        f"the {budget} this model's context window leaves for it. Set a larger context window for the model."
    )


_JS_NAMES = re.compile(
    r"^(?:export\s+(?:default\s+)?)?(?:async\s+)?(?:function\*?\s+(\w+)|class\s+(\w+)|(?:const|let|var)\s+(\w+))",
    re.MULTILINE,
)
_CSS_SELECTORS = re.compile(r"^([^\s{}@/][^{}]*?)\s*\{", re.MULTILINE)
_HTML_IDS = re.compile(r"""\bid=["']([^"']+)["']""")
MAX_OUTLINE_NAMES = 40


def outline(path: str, content: str, purpose: str = "") -> str:
    """A short stand-in for a file: what it is for and the names other files may use."""
    extension = posixpath.splitext(path)[1].lower()
    if extension in (".js", ".mjs", ".jsx", ".ts", ".tsx"):
        names = [next(n for n in match if n) for match in _JS_NAMES.findall(content)]
        label = "defines"
    elif extension == ".css":
        names = [" ".join(s.split()) for s in _CSS_SELECTORS.findall(content)]
        label = "selectors"
    elif extension in (".html", ".htm"):
        names = ["#" + i for i in _HTML_IDS.findall(content)]
        label = "ids"
    else:
        names, label = [], ""
    unique = list(dict.fromkeys(names))[:MAX_OUTLINE_NAMES]
    lines = [
        f"[Outline only: the full file ({len(content)} characters) is left out to fit the context window. "
        "Do not change this file.]"
    ]
    if purpose:
        lines.append(f"Purpose: {purpose}")
    if unique:
        lines.append(f"{label.capitalize()}: {', '.join(unique)}")
    return "\n".join(lines) + "\n"
