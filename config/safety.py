"""Production refuses to run on a secret key anyone can read (the development key, a published placeholder).

Enforced where the server starts (config.asgi) and by `check --deploy`, not when the
settings load: `makemigrations` and friends must keep working on a checkout with nothing set.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

MESSAGE = "SECRET_KEY must be set to your own random value when DEBUG is false (for development: DEBUG=true)."


def refuses_public_secret_key() -> bool:
    # The suite runs with DEBUG off (pytest-django) on the development key.
    return not settings.DEBUG and not settings.TESTING and settings.SECRET_KEY_IS_PUBLIC


def require_private_secret_key() -> None:
    """Raise ImproperlyConfigured when a production process would sign sessions with a public key."""
    if refuses_public_secret_key():
        raise ImproperlyConfigured(MESSAGE)


@register(Tags.security, deploy=True)
def secret_key_is_private(app_configs, **kwargs):
    if not refuses_public_secret_key():
        return []
    return [Error(MESSAGE, id="config.E001")]
