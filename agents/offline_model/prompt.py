"""Reads back the tagged sections of the prompts rendered by `agents.prompts`.

The format (see that module's docstring): `<name>` newline body newline `</name>`; JSON bodies never
contain "<"; text sections and `<file>` entries carry `chars="N"` and are skipped by length, so nothing
inside user text or file content is ever taken for a tag. Sections are read in order from the start, and
only the known names count, so prose between them is ignored.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.prompts import FILE_TAG, FILES_SECTION, LENGTH_ATTRIBUTE, PATH_ATTRIBUTE, SECTIONS
from modelconfig.providers.base import ChatMessage, ProviderError

_ATTRS = r"((?:\s+[a-z_]+=\"[^\"]*\")*)"
_OPEN = re.compile(r"<(" + "|".join(SECTIONS) + r")" + _ATTRS + r"\s*>")
_FILE_OPEN = re.compile(r"<" + FILE_TAG + _ATTRS + r"\s*>")
_ATTR = re.compile(r'([a-z_]+)="([^"]*)"')
_END_FILES = f"</{FILES_SECTION}>"


@dataclass
class Prompt:
    """The sections of one user message; `raw` is the whole message (used when it has no sections)."""

    raw: str
    sections: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def text(self, name: str, default: str = "") -> str:
        return self.sections.get(name, default)

    def json(self, name: str, default: object = None) -> object:
        if name not in self.sections:
            return default
        try:
            return json.loads(self.sections[name])
        except json.JSONDecodeError as exc:
            raise ProviderError(f"The offline model could not read <{name}> in the prompt: {exc}") from exc

    def require_dict(self, name: str) -> dict:
        value = self.json(name)
        if not isinstance(value, dict):
            raise ProviderError(f"The offline model needs a <{name}> section holding a JSON object.")
        return value


def _attributes(raw: str) -> dict[str, str]:
    return {key: html.unescape(value) for key, value in _ATTR.findall(raw)}


def _body_start(text: str, pos: int) -> int:
    return pos + 1 if text.startswith("\n", pos) else pos


def _skip_closing(text: str, pos: int, name: str) -> int:
    closing = f"</{name}>"
    found = text.find(closing, pos)
    return found + len(closing) if found != -1 else pos


def _sized(attrs: dict[str, str]) -> int | None:
    chars = attrs.get(LENGTH_ATTRIBUTE, "")
    return int(chars) if chars.isdigit() else None


def _read_files(text: str, pos: int, files: dict[str, str]) -> int:
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith(_END_FILES, pos) or pos >= len(text):
            return pos + len(_END_FILES)
        match = _FILE_OPEN.match(text, pos)
        if match is None:
            return _skip_closing(text, pos, FILES_SECTION)
        attrs = _attributes(match.group(1))
        start = _body_start(text, match.end())
        size = _sized(attrs)
        if size is not None:
            content = text[start : start + size]
            pos = _skip_closing(text, start + size, FILE_TAG)
        else:
            end = text.find(f"\n</{FILE_TAG}>", start)
            end = end if end != -1 else len(text)
            content = text[start:end]
            pos = _skip_closing(text, end, FILE_TAG)
        if PATH_ATTRIBUTE in attrs:
            files[attrs[PATH_ATTRIBUTE]] = content


def parse(text: str) -> Prompt:
    """All known sections of `text`, in order; a repeated section keeps its last value."""
    prompt = Prompt(raw=text)
    pos = 0
    while True:
        match = _OPEN.search(text, pos)
        if match is None:
            return prompt
        name, attrs = match.group(1), _attributes(match.group(2))
        start = _body_start(text, match.end())
        if name == FILES_SECTION:
            prompt.sections[name] = ""
            pos = _read_files(text, start, prompt.files)
            continue
        size = _sized(attrs)
        if size is not None:
            prompt.sections[name] = text[start : start + size]
            pos = _skip_closing(text, start + size, name)
            continue
        end = text.find(f"</{name}>", start)
        if end == -1:
            return prompt
        prompt.sections[name] = text[start:end].strip()
        pos = end + len(name) + 3


def read_prompt(messages: Sequence[ChatMessage]) -> Prompt:
    """The sections of the last user message that has any.

    A retry adds a user message holding only the error, after the original prompt: the sections are
    still read from the original.
    """
    last_user: ChatMessage | None = None
    for message in reversed(messages):
        if message.role != "user":
            continue
        last_user = last_user or message
        prompt = parse(message.content)
        if prompt.sections:
            return prompt
    return Prompt(raw=last_user.content if last_user else "")
