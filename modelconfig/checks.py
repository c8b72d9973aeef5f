"""System checks for model configuration."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def fernet_key_configured(app_configs, **kwargs):
    """Provider keys encrypted with a key derived from SECRET_KEY are lost when SECRET_KEY rotates."""
    if settings.DEBUG or not settings.FERNET_KEY_DERIVED:
        return []
    return [
        Warning(
            "ATELIER_FERNET_KEY is not set: provider keys are encrypted with a key derived from SECRET_KEY, "
            "so rotating SECRET_KEY makes every stored key unreadable.",
            hint='Set ATELIER_FERNET_KEY to a key from `python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"` and keep it stable.',
            id="modelconfig.W001",
        )
    ]
