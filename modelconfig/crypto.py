"""Provider keys at rest: Fernet with `settings.FERNET_KEY`, and the masked form shown instead of a key."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

MASK = "…"
# Below this length the first and last characters would give away too much of the key.
MIN_PARTIAL_MASK_LENGTH = 12


class UnreadableSecret(Exception):
    """A stored value cannot be decrypted with the current FERNET_KEY (the key changed)."""


def _fernet() -> Fernet:
    return Fernet(settings.FERNET_KEY.encode() if isinstance(settings.FERNET_KEY, str) else settings.FERNET_KEY)


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise UnreadableSecret("The stored value cannot be decrypted with the current ATELIER_FERNET_KEY.")


def mask_key(key: str) -> str:
    """`sk-proj-0123456789abcd` → `…abcd`: the last 4 characters only (a known prefix such as `sk-ant-` narrows
    nothing worth showing); short keys are masked whole; no key → ""."""
    if not key:
        return ""
    if len(key) < MIN_PARTIAL_MASK_LENGTH:
        return "****"
    return f"{MASK}{key[-4:]}"
