"""Per-user model choices and provider credentials.

A `ModelConfig` row exists only when a user overrides an action's default. A `ProviderCredential` holds
the key encrypted (Fernet, `settings.FERNET_KEY`) and a masked hint for display; the key itself is never
readable through the model's fields.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from modelconfig import crypto
from modelconfig.actions import CREDENTIAL_PROVIDERS, Action, Provider, ReasoningEffort

MAX_TOKENS_LIMIT = 200_000
MIN_CONTEXT_WINDOW, MAX_CONTEXT_WINDOW = 1024, 10_000_000
MAX_TEMPERATURE = 2.0


class ProviderCredential(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_credentials")
    provider = models.CharField(max_length=20, choices=[(p.value, p.label) for p in CREDENTIAL_PROVIDERS])
    name = models.CharField(max_length=100)
    # Empty: the provider's public API. Set: any compatible server (OpenRouter, vLLM, Ollama, ...).
    base_url = models.CharField(max_length=500, blank=True)
    encrypted_key = models.TextField(blank=True, editable=False)
    key_hint = models.CharField(max_length=32, blank=True, editable=False)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "provider"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()}, {self.key_hint or 'no key'})"

    @property
    def has_key(self) -> bool:
        return bool(self.encrypted_key)

    @property
    def is_working(self) -> bool:
        """False once a check of the key failed (`last_error`), until one passes: such a key is not chosen."""
        return not self.last_error

    @property
    def status(self) -> str:
        """ "working" (its last check passed), "not working" (it failed) or "unverified" (never checked)."""
        if self.last_error:
            return "not working"
        return "working" if self.last_verified_at else "unverified"

    def set_key(self, key: str) -> None:
        """Store `key` encrypted (an empty key clears it) and remember its masked hint."""
        self.encrypted_key = crypto.encrypt(key) if key else ""
        self.key_hint = crypto.mask_key(key)

    def get_key(self) -> str:
        """The plaintext key, for the provider call only. Raises crypto.UnreadableSecret."""
        return crypto.decrypt(self.encrypted_key) if self.encrypted_key else ""


class ModelConfig(models.Model):
    """A user's override of one action's default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="model_configs")
    action = models.CharField(max_length=40, choices=Action.choices)
    # "" = automatic: the user's own key if they have one, else the server's, else the offline model.
    provider = models.CharField(max_length=20, blank=True, choices=[("", "Automatic"), *Provider.choices])
    model = models.CharField(max_length=200)
    temperature = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(MAX_TEMPERATURE)])
    max_tokens = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_TOKENS_LIMIT)])
    reasoning_effort = models.CharField(max_length=10, blank=True, choices=ReasoningEffort.choices)
    fallback_model = models.CharField(max_length=200, blank=True)
    # Tokens the model reads and writes in one call; empty = the known default for the model's name.
    context_window = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(MIN_CONTEXT_WINDOW), MaxValueValidator(MAX_CONTEXT_WINDOW)]
    )
    # A deleted credential leaves the override in place; resolution then picks another key or the default.
    credential = models.ForeignKey(
        ProviderCredential, null=True, blank=True, on_delete=models.SET_NULL, related_name="model_configs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "action"], name="modelconfig_unique_user_action")]
        ordering = ["user", "action"]

    def __str__(self) -> str:
        return f"{self.user} · {self.action} → {self.provider or 'automatic'}/{self.model}"

    def clean(self) -> None:
        # Invariants the admin form enforces too; the API's service checks the same with field names.
        credential = self.credential
        if credential is None:
            return
        if self.user_id is not None and credential.user_id != self.user_id:
            raise ValidationError({"credential": "This key belongs to another user."})
        if self.provider and self.provider != credential.provider:
            raise ValidationError({"credential": f"This key is for {credential.get_provider_display()}."})
