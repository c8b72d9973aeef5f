"""Writes: model overrides, provider keys, and the checks that run a key or a configuration for real.

Refusals are `InvalidInput` whose message starts with the API field at fault (`credentialId: …`), so
the API and the settings page show them next to the right field.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.errors import InvalidInput, ProviderFailed
from modelconfig import crypto, selectors
from modelconfig.actions import Action, Provider, action_default
from modelconfig.clients import client_for
from modelconfig.models import ModelConfig, ProviderCredential
from modelconfig.providers.base import ChatMessage, ProviderError
from modelconfig.providers.common import scrub_secrets
from modelconfig.validation import UnsafeURL, public_addresses, validate_base_url

logger = logging.getLogger(__name__)

TEST_PROMPT = (
    ChatMessage(role="system", content="You are answering a connection check from Atelier's settings page."),
    ChatMessage(role="user", content="Reply with one short sentence saying that you can read this."),
)
MAX_TEST_REPLY = 500


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", details={"fields": {field: [message]}})


# -- model configurations -------------------------------------------------------------------------------


def model_config_build(
    *,
    user,
    action: str,
    model: str,
    provider: str = "",
    temperature: float | None = None,
    max_tokens: int | None = None,
    reasoning_effort: str | None = None,
    fallback_model: str = "",
    credential_id: int | None = None,
    context_window: int | None = None,
) -> ModelConfig:
    """A validated, unsaved override (used as is by the connection test, saved by `model_config_set`)."""
    default = action_default(action)
    credential = None
    if credential_id is not None:
        credential = selectors.credential_get(user=user, credential_id=credential_id)
        if credential is None:
            raise _invalid("credentialId", "No such provider key.")
        if provider == Provider.OFFLINE:
            raise _invalid("credentialId", "The offline model takes no key.")
        if provider and provider != credential.provider:
            raise _invalid(
                "credentialId", f"This key is for {credential.get_provider_display()}, not {Provider(provider).label}."
            )
        if not credential.is_working:
            raise _invalid(
                "credentialId",
                f"The key \u201c{credential.name}\u201d does not work ({credential.last_error}). "
                "Fix it under Provider keys and verify it first.",
            )
    elif provider in (Provider.OPENAI, Provider.ANTHROPIC) and not _key_available(user=user, provider=provider):
        raise _invalid("provider", f"No {Provider(provider).label} key is set up. Add one under Provider keys.")
    return ModelConfig(
        user=user,
        action=Action(action).value,
        provider=provider,
        model=model.strip(),
        temperature=default.temperature if temperature is None else temperature,
        max_tokens=default.max_tokens if max_tokens is None else max_tokens,
        reasoning_effort=reasoning_effort or "",
        fallback_model=(fallback_model or "").strip(),
        context_window=context_window,
        credential=credential,
    )


def _key_available(*, user, provider: str) -> bool:
    return selectors.server_has_key(provider) or selectors.credential_list(user=user).filter(provider=provider).exists()


@transaction.atomic
def model_config_set(*, user, action: str, **fields) -> ModelConfig:
    """Create or replace the user's override of `action` (fields as in `model_config_build`)."""
    built = model_config_build(user=user, action=action, **fields)
    config, _ = ModelConfig.objects.update_or_create(
        user=user,
        action=built.action,
        defaults={
            name: getattr(built, name)
            for name in (
                "provider",
                "model",
                "temperature",
                "max_tokens",
                "reasoning_effort",
                "fallback_model",
                "context_window",
                "credential",
            )
        },
    )
    return config


def model_config_reset(*, user, action: str) -> None:
    """Back to the default for `action`."""
    ModelConfig.objects.filter(user=user, action=Action(action).value).delete()


def model_config_reset_all(*, user) -> None:
    ModelConfig.objects.filter(user=user).delete()


@dataclass(frozen=True)
class ConnectionTest:
    provider: str
    model: str
    latency_ms: int
    reply: str


def model_config_test(*, user, action: str, override: ModelConfig | None = None) -> ConnectionTest:
    """Send a short prompt through `client_for`; ProviderFailed (no secret in it) when the provider fails."""
    client = None
    try:
        client = client_for(user, action, override=override)
        if client.provider == Provider.OFFLINE:
            # The offline model only understands the agent's own prompts, except in conversation.
            client = type(client)(action=Action.CONVERSATION, settings=client.settings)
        started = time.monotonic()
        reply = client.complete(TEST_PROMPT)
    except ProviderError as error:
        message = scrub_secrets(error.message, client.settings.api_key if client is not None else None)
        logger.info("Model test failed for user %s, action %s: %s", user.pk, action, message)
        raise ProviderFailed(message)
    latency_ms = round((time.monotonic() - started) * 1000)
    reply = reply.strip()
    if len(reply) > MAX_TEST_REPLY:
        reply = reply[: MAX_TEST_REPLY - 1] + "…"
    return ConnectionTest(provider=client.provider, model=client.model, latency_ms=latency_ms, reply=reply)


# -- provider credentials -------------------------------------------------------------------------------


def _clean_base_url(base_url: str) -> str:
    if not base_url.strip():
        return ""
    try:
        url = validate_base_url(base_url, allow_private=settings.ALLOW_PRIVATE_PROVIDER_URLS)
    except UnsafeURL as error:
        raise _invalid("baseUrl", str(error))
    if _plain_http_to_a_public_host(url):
        # The key would cross the internet in clear text; a server on this machine or network may use http.
        raise _invalid(
            "baseUrl", "Use https:// for a provider on the internet: over http:// your key travels unencrypted."
        )
    return url


def _plain_http_to_a_public_host(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    try:
        public_addresses(parts.hostname or "", parts.port or 80)
    except UnsafeURL:
        return False  # private, local or unresolvable: not a public host
    return True


def _check_key_present(*, provider: str, base_url: str, has_key: bool) -> None:
    # Local OpenAI-compatible servers (Ollama, LM Studio, vLLM) take no key; the public APIs do.
    if not has_key and not (provider == Provider.OPENAI and base_url):
        raise _invalid("apiKey", "Enter the API key (only a custom OpenAI-compatible base URL may go without).")


def credential_create(
    *, user, provider: str, name: str = "", base_url: str = "", api_key: str = "", verify: bool = False
) -> ProviderCredential:
    """Save a key; with `verify`, check it at once (the API does): a failing key is kept, marked "not working"
    with the provider's answer, and no action switches to it (`selectors`)."""
    provider = Provider(provider).value
    if provider == Provider.OFFLINE:
        raise _invalid("provider", "The offline model takes no key.")
    base_url = _clean_base_url(base_url)
    api_key = api_key.strip()
    _check_key_present(provider=provider, base_url=base_url, has_key=bool(api_key))
    credential = ProviderCredential(
        user=user, provider=provider, name=name.strip() or Provider(provider).label, base_url=base_url
    )
    credential.set_key(api_key)
    credential.save()
    logger.info("User %s added %s credential %s", user.pk, provider, credential.pk)
    if verify:
        _verify_quietly(credential)
    return credential


def _verify_quietly(credential: ProviderCredential) -> None:
    """Check the key, recording the outcome on it (credential_verify) rather than raising it."""
    try:
        credential_verify(credential=credential)
    except (ProviderFailed, InvalidInput):
        credential.refresh_from_db(fields=["last_error", "last_verified_at", "updated_at"])


def credential_update(
    *,
    credential: ProviderCredential,
    name: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    verify: bool = False,
) -> ProviderCredential:
    """Change what is given (None = keep). A new key or URL clears the previous verification, and with
    `verify` is checked at once, as a new key is."""
    if name is not None:
        credential.name = name.strip() or Provider(credential.provider).label
    if base_url is not None and base_url.strip() != credential.base_url:
        credential.base_url = _clean_base_url(base_url)
        credential.last_verified_at, credential.last_error = None, ""
    if api_key is not None:
        credential.set_key(api_key.strip())
        credential.last_verified_at, credential.last_error = None, ""
    _check_key_present(provider=credential.provider, base_url=credential.base_url, has_key=credential.has_key)
    credential.save()
    if verify and credential.last_verified_at is None and not credential.last_error:
        _verify_quietly(credential)
    return credential


def credential_delete(*, credential: ProviderCredential) -> None:
    """Overrides that pinned this key fall back to another key of the user, the server's, or the default."""
    credential.delete()


def credential_verify(*, credential: ProviderCredential) -> list[str]:
    """List the models the key can use, recording the outcome on the credential."""
    try:
        base_url = credential.base_url or None
        if base_url and not settings.ALLOW_PRIVATE_PROVIDER_URLS:
            base_url = validate_base_url(base_url, allow_private=False)
        from modelconfig.verification import list_models  # loads the SDKs only when a key is verified

        models = list_models(
            provider=credential.provider,
            base_url=base_url,
            api_key=credential.get_key(),
            public_peers_only=not settings.ALLOW_PRIVATE_PROVIDER_URLS,
        )
    except UnsafeURL as error:
        _record_failure(credential, f"The base URL is refused: {error}")
        raise _invalid("baseUrl", str(error))
    except crypto.UnreadableSecret:
        _record_failure(credential, "The stored key can no longer be read (the server's encryption key changed).")
        raise ProviderFailed("The stored key can no longer be read. Enter the key again.")
    except ProviderError as error:
        _record_failure(credential, error.message)
        raise ProviderFailed(error.message)
    credential.last_verified_at, credential.last_error = timezone.now(), ""
    credential.save(update_fields=["last_verified_at", "last_error", "updated_at"])
    return models


def _record_failure(credential: ProviderCredential, message: str) -> None:
    credential.last_error = message
    credential.save(update_fields=["last_error", "updated_at"])
    logger.info("Provider key %s failed verification: %s", credential.pk, message)
