"""Changes to existing files, as models write them: edit blocks, appends, unified diffs.

Why: a follow-up that changes one line should cost the tokens of that line, not of the whole file, and
models on follow-ups write partial content anyway (`cat >>` with only the new rules, a ```diff, a file
with `// ... rest of the file unchanged ...`). Reading those as whole files destroyed the app; here each
is applied to the file as it is, or refused so the caller asks for the whole file again.

- `apply_edit`: aider's SEARCH/REPLACE. The SEARCH text is found exactly first, then line by line
  ignoring trailing whitespace, then ignoring indentation; an empty SEARCH appends (or creates).
- `apply_patch`: a unified diff, parsed by whatthepatch; each hunk is applied as a SEARCH/REPLACE of its
  old lines by its new ones, so wrong line numbers in hunk headers (models get them wrong) do not matter.
- `elision`: the line that shows a "whole" file is not whole.

Pure Python, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import whatthepatch


class EditFailed(ValueError):
    """An edit that does not apply to the file as it is; the message says why, for the model."""


def apply_edit(content: str, search: str, replace: str) -> str:
    """`content` with the first occurrence of `search` replaced by `replace`, or EditFailed."""
    if not search.strip():
        if not content:
            return replace
        return content + ("" if content.endswith("\n") else "\n") + replace
    if search in content:
        return content.replace(search, replace, 1)
    for normalise in (str.rstrip, str.strip):
        replaced = _replace_lines(content, search, replace, normalise)
        if replaced is not None:
            return replaced
    first = next(line for line in search.splitlines() if line.strip())
    raise EditFailed(f"the SEARCH text starting {first.strip()[:60]!r} is not in the file as it is now")


def _replace_lines(content: str, search: str, replace: str, normalise) -> str | None:
    lines = content.splitlines(keepends=True)
    wanted = [normalise(line) for line in search.splitlines()]
    while wanted and not wanted[0]:
        wanted.pop(0)
    while wanted and not wanted[-1]:
        wanted.pop()
    if not wanted:
        return None
    have = [normalise(line) for line in lines]
    for start in range(len(lines) - len(wanted) + 1):
        if have[start : start + len(wanted)] == wanted:
            end = start + len(wanted)
            if replace and not replace.endswith("\n") and end < len(lines):
                replace += "\n"
            return "".join(lines[:start]) + replace + "".join(lines[end:])
    return None


def apply_append(content: str, addition: str) -> str:
    return content + ("" if not content or content.endswith("\n") else "\n") + addition


class PatchFailed(ValueError):
    """A diff that cannot be read or applied; `path` is its file when known."""

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.path = path


def apply_patch(diff: str, files: Mapping[str, str]) -> dict[str, str]:
    """The new content of each file the unified `diff` changes, or PatchFailed."""
    patches = [patch for patch in whatthepatch.parse_patch(diff) if patch.header is not None and patch.changes]
    if not patches:
        raise PatchFailed("the diff has no file header (--- a/path, +++ b/path) or no changes")
    changed: dict[str, str] = {}
    for patch in patches:
        path = _patch_path(patch.header)
        if path is None:
            raise PatchFailed("the diff names no file")
        content = changed.get(path, files.get(path, ""))
        hunks: dict[int, tuple[list[str], list[str]]] = {}
        for change in patch.changes:
            old, new = hunks.setdefault(change.hunk, ([], []))
            if change.old is not None:
                old.append(change.line + "\n")
            if change.new is not None:
                new.append(change.line + "\n")
        for old, new in hunks.values():
            try:
                content = apply_edit(content, "".join(old), "".join(new))
            except EditFailed as exc:
                raise PatchFailed(f"a hunk does not apply: {exc}", path) from None
        changed[path] = content
    return changed


def _patch_path(header) -> str | None:
    for name in (header.new_path, header.old_path):
        if name and name != "/dev/null":
            return re.sub(r"^[ab]/", "", name.strip())
    return None


_COMMENT = re.compile(r"^\s*(?://+|/\*+|<!--|#+|\*|\{/\*)\s*(?P<body>.*?)\s*(?:\*+/|-->|\*/\})?\s*$")
_ELLIPSIS = re.compile(r"\.\.\.|…")
_ELIDING_WORDS = re.compile(
    r"\b(?:unchanged|rest of|remaining|existing|omitted|same as|as before|previous|keep|other|etc)\b", re.IGNORECASE
)


def elision(content: str) -> str | None:
    """The comment line that stands in for left-out content ("... rest of the file unchanged ..."), if any."""
    for line in content.splitlines():
        if "..." not in line and "…" not in line and "unchanged" not in line.lower():
            continue
        match = _COMMENT.match(line)
        if match is None:
            continue
        body = match["body"]
        dotted = _ELLIPSIS.search(body) is not None
        if (dotted and (_ELIDING_WORDS.search(body) or not _ELLIPSIS.sub("", body).strip())) or (
            re.search(r"\bunchanged\b", body, re.IGNORECASE) and re.search(r"\b(?:rest|remain|file|code)", body, re.I)
        ):
            return line.strip()
    return None
