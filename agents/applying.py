"""What a model's answer does to the project's files: between the parser and the file writer.

The parser (`agents.parsing`) reports whole files, edit blocks, appends and diffs; this module decides
what each means for the files as they are, and hands only whole, finished contents to the writer:

- Only planned paths are written, and never a file the model saw only as an outline (agents.context).
  A fix round (agents.fixes) passes `only`: the files involved in its findings, and nothing else is written.
  A path outside the plan whose base name matches exactly one planned (or existing) file is mapped to it
  (`src/app.js` -> `app.js`); any other is dropped, never saved.
- A whole file that elides content ("// ... rest of the file unchanged ...") is not saved.
- Edits, appends and diffs are applied to a working copy of each file; a file's changes are saved when
  the answer ends, and only if every change to it applied.
- Every file that could not be taken as written is in `needs_whole` (path -> why), for the caller to ask
  for again, whole. Each problem is reported through `warn`: it is being recovered.

No Django imports: the writer and the warning sink are passed in.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from agents import edits

Warn = Callable[..., None]  # warn(code=..., message=..., file_path=...)


class Saver(Protocol):
    def on_open(self, path: str) -> None: ...
    def on_chunk(self, path: str, text: str) -> None: ...
    def on_close(self, path: str, content: str) -> None: ...
    def abandon(self) -> None: ...


class AnswerApplier:
    """Parser callbacks (pass `callbacks()` to HeredocParser); call `finish()` when the answer ends."""

    def __init__(
        self,
        *,
        saver: Saver,
        files: Mapping[str, str],
        planned: Iterable[str],
        warn: Warn,
        outlined: Iterable[str] = (),
        only: Iterable[str] | None = None,
    ):
        self.saver = saver
        self.outlined = frozenset(outlined)
        self.only = None if only is None else frozenset(only)
        self.files = dict(files)  # complete contents as they are now
        self.known = set(planned) | set(files) | set(self.only or ())
        self.warn = warn
        self.needs_whole: dict[str, str] = {}
        self._working: dict[str, str] = {}  # edited copies, saved at the end
        self._open: str | None = None  # the whole file being written, as the saver knows it
        self._open_raw: str | None = None

    def callbacks(self) -> dict[str, Callable]:
        return {
            "on_open": self.on_open,
            "on_chunk": self.on_chunk,
            "on_close": self.on_close,
            "on_error": self.on_error,
            "on_edit": self.on_edit,
            "on_append": self.on_append,
            "on_patch": self.on_patch,
        }

    # -- paths -------------------------------------------------------------------------------------------

    def target(self, path: str) -> str | None:
        """The planned path `path` stands for, or None (dropped, with a warning)."""
        target = self._planned(path)
        if target is not None and target in self.outlined:
            self.warn(
                code="OUTLINED_FILE",
                file_path=target,
                message=f"The model changed {target}, which it was shown only as an outline; dropped.",
            )
            return None
        if target is not None and self.only is not None and target not in self.only:
            self.warn(
                code="OUTSIDE_FIX",
                file_path=target,
                message=f"The model changed {target}, which the fix did not involve; dropped.",
            )
            return None
        return target

    def _planned(self, path: str) -> str | None:
        if path in self.known:
            return path
        base = posixpath.basename(path)
        matches = sorted(known for known in self.known if posixpath.basename(known) == base)
        if len(matches) == 1:
            self.warn(
                code="UNPLANNED_PATH",
                file_path=matches[0],
                message=f"The model wrote {path}, which is not in the plan; saved as {matches[0]}.",
            )
            return matches[0]
        self.warn(
            code="UNPLANNED_PATH",
            file_path=path,
            message=f"The model wrote {path}, which is not in the plan; it was dropped.",
        )
        return None

    # -- whole files ---------------------------------------------------------------------------------------

    def on_open(self, path: str) -> None:
        self._open_raw = path
        self._open = self.target(path)
        if self._open is not None:
            self._working.pop(self._open, None)  # a whole file replaces earlier edits in the same answer
            self.saver.on_open(self._open)

    def on_chunk(self, path: str, text: str) -> None:
        if self._open is not None:
            self.saver.on_chunk(self._open, text)

    def on_close(self, path: str, content: str) -> None:
        target, self._open = self._open, None
        if target is None:
            return
        elided = edits.elision(content)
        if elided is not None:
            self.saver.abandon()
            self._ask_whole(target, f"it was written with {elided!r} in place of part of its content")
            return
        self.needs_whole.pop(target, None)
        self.files[target] = content
        self.saver.on_close(target, content)

    def on_error(self, message: str, path: str | None) -> None:
        # An unsafe path, a block that never ended: the content is not used, and planned files that are
        # missing are asked for again by the phase.
        self.warn(
            code="UNSAFE_PATH" if path is not None and "unterminated" not in message else "PARSE_ERROR",
            message=message,
            file_path=path,
        )

    # -- changes -------------------------------------------------------------------------------------------

    def on_edit(self, path: str, search: str, replace: str) -> None:
        target = self.target(path)
        if target is None or target in self.needs_whole:
            return
        elided = edits.elision(replace)
        if elided is not None:
            self._ask_whole(target, f"an edit block wrote {elided!r} in place of real content")
            return
        try:
            self._working[target] = edits.apply_edit(self._current(target), search, replace)
        except edits.EditFailed as exc:
            self._ask_whole(target, f"an edit block did not apply: {exc}")

    def on_append(self, path: str, addition: str) -> None:
        target = self.target(path)
        if target is None or target in self.needs_whole:
            return
        self._working[target] = edits.apply_append(self._current(target), addition)

    def on_patch(self, diff: str) -> None:
        current = {**self.files, **self._working}
        try:
            changed = edits.apply_patch(diff, current)
        except edits.PatchFailed as exc:
            target = self.target(exc.path) if exc.path else None
            if target is not None:
                self._ask_whole(target, f"its diff did not apply: {exc}")
            else:
                self.warn(code="EDIT_NOT_APPLIED", message=f"A diff from the model could not be used: {exc}")
            return
        for path, content in changed.items():
            target = self.target(path)
            if target is not None and target not in self.needs_whole:
                self._working[target] = content

    def _current(self, path: str) -> str:
        return self._working.get(path, self.files.get(path, ""))

    def _ask_whole(self, path: str, why: str) -> None:
        self._working.pop(path, None)
        self.needs_whole[path] = why
        self.warn(
            code="EDIT_NOT_APPLIED",
            file_path=path,
            message=f"{path} could not be used as the model wrote it ({why}); asking for the whole file.",
        )

    def finish(self) -> list[str]:
        """Save every file whose changes all applied; the paths saved."""
        saved = []
        for path, content in self._working.items():
            if path in self.needs_whole:
                continue
            self.saver.on_open(path)
            self.saver.on_chunk(path, content)
            self.saver.on_close(path, content)
            self.files[path] = content
            saved.append(path)
        self._working.clear()
        return saved
