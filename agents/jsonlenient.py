"""JSON objects out of a model's answer, read the way models write them.

Models asked for "one JSON object and nothing else" still add prose and ```json fences, write comments,
trailing commas and single quotes, and sometimes several objects (a draft, then the answer). This module
finds every top-level object, in order: each is read strictly first, then leniently (json-repair), so
harmless slips never cost a retry. An object cut off before its closing brace is not repaired: guessing
the missing part would turn a truncated answer into a wrong one.

Pure Python, no Django.
"""

from __future__ import annotations

import json
import re

import json_repair

# Object starts tried: bounded, so a long answer full of braces stays cheap.
MAX_OBJECT_STARTS = 50


class NoJsonObject(ValueError):
    """The text holds no readable JSON object; the message says what was wrong with the closest one."""


def json_objects(text: str) -> list[dict]:
    """Every top-level JSON object in `text`, in the order written (fences and prose around them ignored)."""
    found, problem = _objects_in(text.lstrip("\ufeff"))
    if not found:
        if problem is None:
            raise NoJsonObject("the answer holds no JSON object (expected one object starting with '{')")
        raise NoJsonObject(f"the answer's JSON is malformed: {problem}")
    return found


def _objects_in(region: str) -> tuple[list[dict], str | None]:
    objects: list[dict] = []
    problem: str | None = None
    pos = 0
    for _ in range(MAX_OBJECT_STARTS):
        start = region.find("{", pos)
        if start == -1:
            break
        end = _balanced_end(region, start)
        if end is None:
            problem = problem or "the JSON object is cut off before its closing '}'"
            pos = start + 1
            continue
        value, error = _read(region[start:end])
        if isinstance(value, dict):
            objects.append(value)
            pos = end
        else:
            problem = problem or error
            pos = start + 1
    return objects, problem


def _read(candidate: str) -> tuple[object, str | None]:
    try:
        return json.loads(candidate), None
    except json.JSONDecodeError as exc:
        error = _describe(candidate, exc)
    try:
        value = json_repair.loads(candidate, skip_json_loads=True)
    except Exception:  # noqa: BLE001 - json-repair raises assorted errors on hopeless input; the strict error says why
        return None, error
    return (value, None) if isinstance(value, dict) and value else (None, error)


def _balanced_end(text: str, start: int) -> int | None:
    """The index just past the `}` closing the object at `start`, skipping strings and comments."""
    depth = 0
    pos = start
    length = len(text)
    while pos < length:
        char = text[pos]
        if char in "\"'":
            pos = _string_end(text, pos)
            if pos is None:
                return None
            continue
        if text.startswith("//", pos):
            newline = text.find("\n", pos)
            pos = length if newline == -1 else newline
            continue
        if text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            if close == -1:
                return None
            pos = close + 2
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return None


def _string_end(text: str, start: int) -> int | None:
    quote = text[start]
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if char == quote:
            return pos + 1
        if char == "\n" and quote == "'":
            # An apostrophe in prose ("it's"), not a single-quoted string: it ends nothing.
            return start + 1
        pos += 1
    return None if quote == '"' else start + 1


def _describe(text: str, exc: json.JSONDecodeError) -> str:
    line_start = text.rfind("\n", 0, exc.pos) + 1
    line_end = text.find("\n", exc.pos)
    line = text[line_start : line_end if line_end != -1 else len(text)].strip()
    if len(line) > 80:
        line = line[:77] + "..."
    return f"{exc.msg} at line {exc.lineno} column {exc.colno} (near: {line!r})"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def string_value_prefix(text: str, key: str) -> str | None:
    """What has arrived so far of the string value of `key` in a JSON object still being streamed.

    None until `"key": "` has arrived. Escapes are decoded; one cut in half waits for the next chunk. For
    showing a streamed answer as it comes: the whole answer is read with `json_objects` once it is complete.
    """
    start = re.search(rf'"{re.escape(key)}"\s*:\s*"', text)
    if start is None:
        return None
    out: list[str] = []
    pos = start.end()
    while pos < len(text):
        char = text[pos]
        if char == '"':
            break
        if char != "\\":
            out.append(char)
            pos += 1
            continue
        escape = text[pos + 1 : pos + 2]
        if not escape:
            break
        if escape == "u":
            digits = text[pos + 2 : pos + 6]
            if len(digits) < 4:
                break
            try:
                out.append(chr(int(digits, 16)))
            except ValueError:
                out.append(digits)
            pos += 6
            continue
        out.append(_ESCAPES.get(escape, escape))
        pos += 2
    return "".join(out)
