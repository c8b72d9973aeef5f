"""Account writes: sign-up and API tokens."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.selectors import username_taken
from accounts.usernames import canonical_username
from config.errors import Conflict, InvalidInput


@transaction.atomic
def user_sign_up(*, username: str, password: str, email: str = "") -> User:
    """Create a user after Django's password validation; usernames are NFKC-normalised and unique
    case-insensitively."""
    username = canonical_username(username)
    if username_taken(username=username):
        raise Conflict("That username is taken.", details={"fields": {"username": ["That username is taken."]}})
    user = User(username=username, email=email)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(f"password: {' '.join(exc.messages)}", details={"fields": {"password": exc.messages}})
    user.set_password(password)
    user.save()
    return user


def user_token(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
