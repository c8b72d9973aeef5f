"""API keys and the short-lived access tokens VibeSDK's client exchanges them for.

An Atelier API key is the user's API token (`POST /api/auth/token`, shown at sign-up): one credential per
user, already issued, rotated by replacing the token, so no second key model is needed. The SDK trades it at
`POST /api/auth/exchange-api-key` for an access token that expires after ACCESS_TOKEN_SECONDS. Access tokens
are signed, not stored; each names the key it came from by `api_key_id`, and stops working as soon as that
key is no longer the user's, so replacing a key revokes its access tokens at once.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.core import signing
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import User

ACCESS_TOKEN_SECONDS = 15 * 60
_SALT = "atelier.accounts.access-token"


def api_key_id(key: str) -> str:
    """A stable, non-secret name for an API key (what VibeSDK calls `apiKeyId`)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def api_key_user(*, key: str) -> User | None:
    """The active user whose API key this is, or None."""
    if not key or len(key) > 256:
        return None
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


def access_token_issue(*, user: User, key: str) -> tuple[str, datetime]:
    """A signed access token for `user`, bound to API key `key`, and when it expires."""
    token = signing.dumps({"u": user.pk, "k": api_key_id(key)}, salt=_SALT)
    return token, timezone.now() + timedelta(seconds=ACCESS_TOKEN_SECONDS)


def is_access_token(value: str) -> bool:
    # API keys are 40 hex characters; signed values always contain the signer's ':' separator.
    return ":" in value


def access_token_user(*, token: str) -> tuple[User, str] | None:
    """(user, api key id) of a valid, unexpired access token whose key is still the user's; else None."""
    if len(token) > 512:
        return None
    try:
        claims = signing.loads(token, salt=_SALT, max_age=ACCESS_TOKEN_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(claims, dict):
        return None
    current = Token.objects.select_related("user").filter(user_id=claims.get("u")).first()
    if current is None or not current.user.is_active or api_key_id(current.key) != claims.get("k"):
        return None
    return current.user, claims["k"]
