"""The seam the agent engine calls: `client_for(user, action)` → a ready ChatClient.

Resolution lives in `selectors.resolve`; this module turns it into `ModelSettings` (timeouts and retries
from settings) and the provider's client class.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.utils.module_loading import import_string

from modelconfig import crypto
from modelconfig.actions import Provider
from modelconfig.models import ModelConfig
from modelconfig.providers.base import ChatClient, ModelSettings, ProviderError
from modelconfig.selectors import Resolution, resolve
from modelconfig.validation import UnsafeURL, validate_base_url

# Imported on first use: the two SDKs cost ~65 MiB per process, which a deployment on the offline model (and
# every worker until it calls a real provider) need not pay.
CLIENT_CLASSES: dict[str, str] = {
    Provider.OFFLINE: "agents.offline_model.OfflineClient",
    Provider.OPENAI: "modelconfig.providers.openai_compat.OpenAIClient",
    Provider.ANTHROPIC: "modelconfig.providers.anthropic_client.AnthropicClient",
}


def client_for(user, action: str, *, override: ModelConfig | None = None, sdk_retries: int | None = None) -> ChatClient:
    """A client for `action` as `user` has it configured (`override`: an unsaved config to try instead).

    `sdk_retries` replaces the SDK's own retry budget (an agent's run passes 0: it retries by itself, visibly).

    Raises ValueError for an unknown action, and ProviderError (a user-safe message) when the user's key
    can no longer be decrypted or their base URL is no longer allowed.
    """
    resolution = resolve(user=user, action=action, override=override)
    client_class: type[ChatClient] = import_string(CLIENT_CLASSES[resolution.config.provider])
    resolved = model_settings(resolution)
    if sdk_retries is not None:
        resolved = dataclasses.replace(resolved, max_retries=sdk_retries)
    return client_class(action=resolution.config.action, settings=resolved)


def model_settings(resolution: Resolution) -> ModelSettings:
    config = resolution.config
    base_url, api_key = (None, None) if config.is_offline else _endpoint(resolution)
    # Only the server's own environment may point at a private address (a local Ollama), unless the
    # install allows it for its users too.
    public_peers_only = resolution.credential is not None and not settings.ALLOW_PRIVATE_PROVIDER_URLS
    return ModelSettings(
        provider=config.provider,
        model=config.model,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        reasoning_effort=config.reasoning_effort,
        fallback_model=config.fallback_model,
        context_window=config.context_window,
        base_url=base_url,
        api_key=api_key,
        public_peers_only=public_peers_only,
        timeout=settings.LLM_TIMEOUT,
        max_retries=settings.LLM_MAX_RETRIES,
        chunk_delay=settings.OFFLINE_CHUNK_DELAY if config.is_offline else 0.0,
    )


def _endpoint(resolution: Resolution) -> tuple[str | None, str | None]:
    """The base URL and plaintext key to call; ProviderError when a user's key or URL can't be used."""
    credential = resolution.credential
    base_url = resolution.base_url
    if credential is None:
        return base_url, resolution.api_key()
    if base_url and not settings.ALLOW_PRIVATE_PROVIDER_URLS:
        # Checked again at call time: a hostname may resolve elsewhere than when the key was saved.
        try:
            base_url = validate_base_url(base_url, allow_private=False)
        except UnsafeURL as error:
            raise ProviderError(f"The base URL of your key '{credential.name}' is refused: {error}")
    try:
        return base_url, resolution.api_key()
    except crypto.UnreadableSecret:
        raise ProviderError(
            f"Your key '{credential.name}' can no longer be read (the server's encryption key changed). "
            "Enter the key again."
        )
