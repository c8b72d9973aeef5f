"""Account reads."""

from __future__ import annotations

from accounts.models import User
from accounts.usernames import canonical_username


def user_get_by_username(*, username: str) -> User | None:
    """The user `username` names, whatever its case or Unicode compatibility form; None if none.

    An exact match wins over a case-insensitive one (two names differing only in case may predate the rule).
    """
    name = canonical_username(username)
    candidates = list(User.objects.filter(username__iexact=name).order_by("id")[:10])
    for user in candidates:
        if user.username == name:
            return user
    return candidates[0] if candidates else None


def username_taken(*, username: str) -> bool:
    return User.objects.filter(username__iexact=canonical_username(username)).exists()
