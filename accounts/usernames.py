"""One spelling per user name: NFKC-normalised (as Django's own forms do) and compared case-insensitively.

Without this a fullwidth `ａｌｉｃｅ` was a second "alice" through the API, which the HTML log-in (that
normalises) could then never sign in.
"""

from __future__ import annotations

import unicodedata


def canonical_username(username: str) -> str:
    """The stored form of a user name typed by someone: NFKC, as `AbstractBaseUser.normalize_username`."""
    return unicodedata.normalize("NFKC", username)


def username_key(username: str) -> str:
    """What two user names are compared by: their canonical form, case-folded."""
    return canonical_username(username).casefold()


def axes_username(request, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: failed attempts on `Alice` and `ａｌｉｃｅ` count for the same account."""
    username = (credentials or {}).get("username")
    if username is None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        username = data.get("username")
    return username_key(username) if isinstance(username, str) else None
