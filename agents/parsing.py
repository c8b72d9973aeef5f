"""Incremental parser for files a model writes as shell heredocs (docs/architecture.md §10).

The model streams text such as::

    cat > src/app.js << 'EOF'
    ...full file content...
    EOF

`HeredocParser` reads that stream in chunks of any size and reports each file through callbacks while it
is still being written. It tolerates the slips models make (unquoted or double-quoted delimiters, any
delimiter word, quoted paths, stray or wrapping code fences, CRLF) and refuses paths that could
escape the project. It also reads what models write instead of whole files (docs/architecture.md §10 as changed by
the real-models issue), reported through their own callbacks so the caller applies them to the files:

- edit blocks, in aider's SEARCH/REPLACE format, after a line naming the file (`on_edit`)::

      app.js
      <<<<<<< SEARCH
      exact lines of the current file
      =======
      their replacement
      >>>>>>> REPLACE

  A block with no file line of its own belongs to the file of the block before it.
- `cat >> path << EOF` appends (`on_append`; without that callback, it writes the file like `>`);
- unified diffs in a ```diff or ```patch fence (`on_patch`, with the diff text);
- a file written as a Markdown block: a line naming the file (`**index.html**`, `### index.html`,
  `` `index.html` ``, `index.html:`) or `title="index.html"` on the fence, then a fenced block. This is
  read through the same open / chunk / close callbacks, and only while no heredoc was seen in the stream
  (an answer that uses heredocs shows its Markdown blocks as examples).

Invariant, for every feature: any split of the stream into chunks gives the same callbacks with the
same joined content. Pure Python: no Django imports, so it is tested without a database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

MAX_PATH_LENGTH = 255

_PATH = r"""(?P<path>"[^"\n]*"|'[^'\n]*'|[^\s<>'";&|]+)"""
_DELIMITER = r"""(?P<dash>-?)[ \t]*['"]?(?P<delim>[A-Za-z_][\w-]*)['"]?"""
# A command prefix such as `mkdir -p src &&` is allowed before `cat`, as models often add one.
_PREFIX = r"^\s*(?:\$\s+)?(?:[^\n]*?(?:&&|;)\s*)?cat[ \t]*"
# `cat > PATH << EOF` and the equivalent `cat << EOF > PATH`; `>>` appends.
_OPEN_PATTERNS = (
    re.compile(_PREFIX + r"(?P<op>>>?)[ \t]*" + _PATH + r"[ \t]*<<" + _DELIMITER + r"\s*$"),
    re.compile(_PREFIX + r"<<" + _DELIMITER + r"[ \t]*(?P<op>>>?)[ \t]*" + _PATH + r"\s*$"),
)
_SEARCH = re.compile(r"^[ \t]*<{5,9}[ \t]*SEARCH[ \t]*$")
_DIVIDER = re.compile(r"^[ \t]*={5,9}[ \t]*$")
_REPLACE = re.compile(r"^[ \t]*>{5,9}[ \t]*REPLACE[ \t]*$")
_FENCE_OPEN = re.compile(r"^[ \t]*(?P<ticks>`{3,})[ \t]*(?P<lang>[\w+#.-]*)(?P<rest>[^`]*)$")
_FENCE_TITLE = re.compile(r"""(?:title|file(?:name)?|path)=["']?(?P<path>[^"'\s]+)""")
# A line that only names a file: `app.js`, **app.js**, ### app.js, File: app.js, app.js:
_FILE_LINE = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]+|[-*][ \t]+|\d+\.[ \t]+)?(?:\*\*|__)?`?"
    r"(?:(?:file(?:name)?|path)[ \t]*:[ \t]*)?`?"
    r"(?P<path>[\w][\w./-]*\.[A-Za-z0-9]{1,10})`?(?:\*\*|__)?:?(?:\*\*|__)?[ \t]*$",
    re.IGNORECASE,
)
_MAX_BLOCK_LINE = 64 * 1024  # an edit or diff line longer than this is not what the block meant
_MAX_OPENING_LINE = 1024
_FENCE_LINE = r"[ \t]*```[^`\n]*\n"
# A longer line is never the delimiter or a fence. The bound keeps the held-back partial line short, so
# feeding stays linear even for a megabyte of spaces or a huge ```-prefixed line.
_MAX_MARKER_LINE = 256
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

OpenCallback = Callable[[str], None]
ChunkCallback = Callable[[str, str], None]
CloseCallback = Callable[[str, str], None]
ErrorCallback = Callable[[str, str | None], None]
EditCallback = Callable[[str, str, str], None]
AppendCallback = Callable[[str, str], None]
PatchCallback = Callable[[str], None]


class UnsafePath(ValueError):
    """A path the model wrote that could escape the project or is not a plain relative file name."""


def validate_path(path: str) -> str:
    """Return `path` normalised (`./a//b.js` -> `a/b.js`), or raise `UnsafePath` saying why."""
    if not path:
        raise UnsafePath("empty path")
    if len(path) > MAX_PATH_LENGTH:
        raise UnsafePath(f"path longer than {MAX_PATH_LENGTH} characters")
    if "\x00" in path:
        raise UnsafePath("path contains a NUL byte")
    if any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in path):
        raise UnsafePath("path contains a control character")
    if "\\" in path:
        raise UnsafePath("path contains a backslash")
    if path.startswith("~"):
        raise UnsafePath("path starts with '~'")
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        raise UnsafePath("path is absolute")
    if path.endswith("/"):
        raise UnsafePath("path names a directory")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafePath("path contains a '..' segment")
    if not parts:
        raise UnsafePath("path names no file")
    return "/".join(parts)


def _ignore(*_args: object) -> None:
    return None


class HeredocParser:
    """Streams heredoc-written files out of model output; see the module docstring.

    Content is reported with "\\n" line endings and includes the newline before the delimiter.
    `on_chunk` only ever receives text certain to belong to the file, so the chunks of one file
    concatenate to exactly the content given to `on_close`.
    """

    def __init__(
        self,
        *,
        on_open: OpenCallback | None = None,
        on_chunk: ChunkCallback | None = None,
        on_close: CloseCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_edit: EditCallback | None = None,
        on_append: AppendCallback | None = None,
        on_patch: PatchCallback | None = None,
        markdown_files: bool = True,
    ) -> None:
        self._on_open = on_open or _ignore
        self._on_chunk = on_chunk or _ignore
        self._on_close = on_close or _ignore
        self._on_error = on_error or _ignore
        self._on_edit = on_edit or _ignore
        self._on_append = on_append
        self._on_patch = on_patch or _ignore
        self._markdown_files = markdown_files
        self._reset()

    def _reset(self) -> None:
        self._pending_cr = False
        # Outside a heredoc: pieces of the current, still incomplete line.
        self._outside_line: list[str] = []
        self._seen_heredoc = False
        self._file_line: str | None = None  # the path named by the last non-blank line, if it only named one
        self._edit_path: str | None = None  # the file of the last edit block
        self._reset_outside_block()
        self._reset_block()

    def _reset_outside_block(self) -> None:
        # Line-based blocks outside heredocs: "search" / "replace" (an edit block), "diff", or "fence"
        # (a Markdown fence after a file line, waiting for its first line to show what it holds).
        self._block: str | None = None
        self._block_path: str | None = None
        self._block_lines: list[str] = []
        self._search_text = ""
        self._fence_ticks = 0

    def _reset_block(self) -> None:
        self._inside = False
        # Inside a heredoc. `_path` is None while skipping the body of a block whose path was refused.
        self._path: str | None = None
        self._stop: re.Pattern[str] | None = None
        self._delim = ""
        self._dash = False
        self._parts: list[str] = []
        self._tail = ""  # start of a line that may yet turn out to be the delimiter or a fence
        self._line_is_content = False  # the current line was already judged content and partly emitted
        self._first_line = True
        self._held_fence: str | None = None  # a fence line that is dropped if the delimiter follows it
        self._fences_emitted = 0
        self._wrapped = False
        self._append = False
        self._markdown = False  # a Markdown block: only its closing fence ends it

    def feed(self, text: str) -> None:
        """Consume the next piece of the stream; boundaries may fall anywhere."""
        if self._pending_cr:
            text = "\r" + text
            self._pending_cr = False
        if text.endswith("\r"):
            # The "\n" of a "\r\n" may come in the next chunk.
            text = text[:-1]
            self._pending_cr = True
        if "\r\n" in text:
            text = text.replace("\r\n", "\n")
        if not text:
            return
        if self._tail:
            text = self._tail + text
            self._tail = ""
        pos = 0
        end = len(text)
        while pos < end:
            pos = self._scan_inside(text, pos) if self._inside else self._scan_outside(text, pos)

    def finish(self) -> None:
        """Mark the end of the stream. A file still open is reported via `on_error` and discarded."""
        if self._pending_cr or self._tail or self._outside_line:
            # The last line may lack its newline, typically a final "EOF".
            self._pending_cr = False
            self.feed("\n")
        if self._inside and self._path is not None:
            self._on_error(f"unterminated file {self._path!r}: stream ended before {self._delim}", self._path)
        if self._block in ("search", "replace") and self._block_path is not None:
            self._on_error(f"unterminated edit block for {self._block_path!r}", self._block_path)
        elif self._block == "diff":
            self._on_error("unterminated diff: stream ended before its closing fence", None)
        self._reset()

    def _scan_outside(self, text: str, pos: int) -> int:
        newline = text.find("\n", pos)
        if newline == -1:
            self._outside_line.append(text[pos:])
            return len(text)
        line = text[pos:newline]
        if self._outside_line:
            self._outside_line.append(line)
            line = "".join(self._outside_line)
            self._outside_line.clear()
        self._outside(line)
        return newline + 1

    def _outside(self, line: str) -> None:
        """One whole line outside any heredoc."""
        if self._block is not None:
            self._block_line(line)
            return
        # The length bound keeps the lazy prefix match of the opening patterns cheap on long prose lines.
        if "<<" in line and len(line) <= _MAX_OPENING_LINE:
            if _SEARCH.match(line):
                self._start_edit(self._file_line or self._edit_path)
                return
            if self._open_if_heredoc(line):
                return
        if len(line) > _MAX_OPENING_LINE:
            self._file_line = None
            return
        fence = _FENCE_OPEN.match(line) if "```" in line else None
        if fence is not None:
            self._start_fence(fence)
            return
        named = _FILE_LINE.match(line)
        if named is not None:
            self._file_line = named["path"]
        elif line.strip():
            self._file_line = None

    def _start_fence(self, fence: re.Match[str]) -> None:
        if fence["lang"].lower() in ("diff", "patch", "udiff"):
            self._block, self._fence_ticks = "diff", len(fence["ticks"])
            return
        title = _FENCE_TITLE.search(fence["rest"])
        path = title["path"] if title else self._file_line
        if path is not None:
            # A fence after a file line (aider writes its edit blocks so, small models their files).
            self._block, self._block_path, self._fence_ticks = "fence", path, len(fence["ticks"])

    def _start_edit(self, raw_path: str | None) -> None:
        self._reset_outside_block()
        self._file_line = None
        self._block = "search"
        if raw_path is None:
            self._on_error("edit block without a file name before it; it is skipped", None)
            return
        try:
            self._block_path = validate_path(raw_path)
        except UnsafePath as exc:
            self._on_error(f"unsafe path {raw_path!r}: {exc}; its edit is skipped", raw_path)

    def _block_line(self, line: str) -> None:
        block = self._block
        if block == "fence":
            self._fence_first_line(line)
        elif block == "search":
            if _DIVIDER.match(line):
                self._block, self._search_text, self._block_lines = "replace", "".join(self._block_lines), []
            else:
                self._add_block_line(line)
        elif block == "replace":
            if _REPLACE.match(line):
                path, search, replace = self._block_path, self._search_text, "".join(self._block_lines)
                self._reset_outside_block()
                if path is not None:
                    self._edit_path = path
                    self._on_edit(path, search, replace)
            else:
                self._add_block_line(line)
        elif block == "diff":
            if self._is_closing_fence(line):
                diff = "".join(self._block_lines)
                self._reset_outside_block()
                self._on_patch(diff)
            else:
                self._add_block_line(line)

    def _add_block_line(self, line: str) -> None:
        self._block_lines.append(line[:_MAX_BLOCK_LINE] + "\n")

    def _is_closing_fence(self, line: str, ticks: int | None = None) -> bool:
        stripped = line.strip(" \t")
        return len(stripped) >= (ticks or self._fence_ticks) and not stripped.strip("`")

    def _fence_first_line(self, line: str) -> None:
        """The first line in a fence after a file line says what the block is."""
        path, ticks = self._block_path, self._fence_ticks
        self._reset_outside_block()
        if _SEARCH.match(line):
            self._start_edit(path)
            return
        if "<<" in line and len(line) <= _MAX_OPENING_LINE and self._open_if_heredoc(line):
            return  # a heredoc wrapped in a fence
        named = _FILE_LINE.match(line)
        if named is not None:
            self._file_line = named["path"]  # the file named again inside the fence, before its edit blocks
            return
        if self._seen_heredoc or not self._markdown_files or self._is_closing_fence(line, ticks):
            return
        try:
            safe = validate_path(path)
        except UnsafePath as exc:
            self._on_error(f"unsafe path {path!r}: {exc}; its content is skipped", path)
            safe = None
        self._inside = True
        self._markdown = True
        self._path = safe
        self._delim = "`" * ticks
        self._stop = re.compile(rf"^(?P<delim>[ \t]*`{{{ticks},}}[ \t]*\n)", re.MULTILINE)
        self._first_line = False
        if safe is not None:
            self._on_open(safe)
        self._emit(line + "\n")

    def _open_if_heredoc(self, line: str) -> bool:
        for pattern in _OPEN_PATTERNS:
            match = pattern.match(line)
            if match:
                break
        else:
            return False
        self._seen_heredoc = True
        self._file_line = None
        raw_path = match["path"]
        if raw_path[0] in "'\"":
            raw_path = raw_path[1:-1]
        self._inside = True
        self._delim = match["delim"]
        self._dash = bool(match["dash"])
        self._append = match["op"] == ">>" and self._on_append is not None
        # Only a whole line can end the file: the delimiter (leading tabs allowed after `<<-`, trailing
        # spaces always) or a fence line, which is held back in case it is the wrapper's closing fence.
        indent = "\t*" if self._dash else ""
        self._stop = re.compile(
            rf"^(?:(?P<delim>{indent}{re.escape(self._delim)}[ \t]*\n)|{_FENCE_LINE})", re.MULTILINE
        )
        try:
            self._path = validate_path(raw_path)
        except UnsafePath as exc:
            self._path = None
            self._on_error(f"unsafe path {raw_path!r}: {exc}; its content is skipped", raw_path)
            return True
        if not self._append:
            self._on_open(self._path)
        return True

    def _scan_inside(self, text: str, pos: int) -> int:
        if self._line_is_content:
            newline = text.find("\n", pos)
            if newline == -1:
                self._emit(text[pos:])
                return len(text)
            self._emit(text[pos : newline + 1])
            self._line_is_content = False
            pos = newline + 1
        assert self._stop is not None
        while True:
            match = self._stop.search(text, pos)
            if match:
                content_end = match.start()
            else:
                content_end = text.rfind("\n", pos) + 1 or pos
            if content_end > pos:
                self._release_fence()
                self._emit(text[pos:content_end])
                self._first_line = False
            if match is None:
                pos = content_end
                break
            if match.end() - match.start() > _MAX_MARKER_LINE + 1:
                self._release_fence()
                self._emit(match.group())
                self._first_line = False
                pos = match.end()
                continue
            if match["delim"] is not None:
                self._close()
                return match.end()
            if self._first_line:
                # Models sometimes wrap the whole file in ```lang ... ```: drop the opening fence.
                self._first_line = False
                self._wrapped = True
            else:
                self._release_fence()
                self._held_fence = match.group()
            pos = match.end()
        if pos < len(text):
            tail = text[pos:]
            if self._could_end_file(tail):
                self._tail = tail
            else:
                self._release_fence()
                self._emit(tail)
                self._first_line = False
                self._line_is_content = True
        return len(text)

    def _could_end_file(self, partial_line: str) -> bool:
        """True while the partial line may still become the delimiter or a fence line."""
        if len(partial_line) > _MAX_MARKER_LINE:
            return False
        if self._markdown:
            return not partial_line.strip(" \t").strip("`")
        candidate = partial_line.lstrip("\t") if self._dash else partial_line
        delim = self._delim
        if len(candidate) <= len(delim):
            if delim.startswith(candidate):
                return True
        elif candidate.startswith(delim) and not candidate[len(delim) :].strip(" \t"):
            return True
        unindented = partial_line.lstrip(" \t")
        if len(unindented) < 3:
            return "```".startswith(unindented)
        return unindented.startswith("```") and "`" not in unindented[3:]

    def _emit(self, text: str) -> None:
        if self._path is None:
            return
        self._parts.append(text)
        if not self._append:
            self._on_chunk(self._path, text)

    def _release_fence(self) -> None:
        if self._held_fence is not None:
            self._fences_emitted += 1
            self._emit(self._held_fence)
            self._held_fence = None

    def _close(self) -> None:
        # A fence right before the delimiter closes the wrapper, or is stray; but in an unwrapped file
        # after an odd count of fences it closes a block the file itself opened, as at the end of a README.
        if self._held_fence is not None and not self._wrapped and self._fences_emitted % 2 == 1:
            self._release_fence()
        path, content, append = self._path, "".join(self._parts), self._append
        self._reset_block()
        if path is None:
            return
        if append:
            self._on_append(path, content)
        else:
            self._on_close(path, content)


def parse_files(text: str, *, on_error: ErrorCallback | None = None) -> dict[str, str]:
    """Parse a complete model output and return path -> content; a later block for a path wins."""
    files: dict[str, str] = {}
    parser = HeredocParser(on_close=files.__setitem__, on_error=on_error)
    parser.feed(text)
    parser.finish()
    return files
