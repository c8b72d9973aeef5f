"""Which file a preview URL names, and which stored paths are safe to publish. Pure: no Django imports.

A path is safe when it is a relative POSIX path of plain segments: no empty, `.` or `..` segment, no
leading slash, no backslash, no NUL or other control character, at most 255 characters. Anything else
names no file, so the caller answers 404 (serving) or refuses to publish.
"""

from __future__ import annotations

MAX_PATH_LENGTH = 255
INDEX = "index.html"


def clean_file_path(path: str) -> str | None:
    """`path` if it is a safe relative POSIX path, else None."""
    if not path or len(path) > MAX_PATH_LENGTH or path.startswith("/") or "\\" in path:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        return None
    if any(segment in ("", ".", "..") for segment in path.split("/")):
        return None
    return path


def file_path_for_url(url_path: str) -> str | None:
    """The published file a (percent-decoded) URL path names: `/` → `index.html`, `/sub/` → `sub/index.html`."""
    if not url_path.startswith("/"):
        return None
    relative = url_path[1:]
    if relative == "" or relative.endswith("/"):
        relative += INDEX
    return clean_file_path(relative)
