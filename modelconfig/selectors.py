"""Reads: which model, on which provider, with whose key, serves each of a user's actions.

Resolution order for one action:
1. the provider: the user's override pins a key (its provider) or names a provider; "automatic" means
   the user's own key (OpenAI first), else the server's (`OPENAI_API_KEY`/`OPENAI_BASE_URL`, then
   `ANTHROPIC_API_KEY`), else the offline model;
2. the key for that provider: the pinned key, else the user's newest working key for it (a key whose last
   check failed is skipped until it passes one), else the server's;
   when there is none at all, the action runs on the offline model (and says so);
3. the parameters: the override's, else the action's defaults (`modelconfig.actions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from modelconfig.actions import CREDENTIAL_PROVIDERS, OFFLINE_MODEL, Action, Provider, action_default
from modelconfig.models import ModelConfig, ProviderCredential


@dataclass(frozen=True)
class EffectiveConfig:
    """What actually serves an action for a user. Holds no secret: safe to send to the browser."""

    action: str
    provider: str
    model: str
    temperature: float
    max_tokens: int
    reasoning_effort: str | None
    fallback_model: str | None
    is_user_override: bool
    uses_own_key: bool
    credential_id: int | None
    is_offline: bool
    # What the user chose, as opposed to what resolved: "" = automatic; the key they pinned, if any.
    provider_choice: str = ""
    credential_choice_id: int | None = None
    # None: the default for the model's name (agents.context).
    context_window: int | None = None


@dataclass(frozen=True)
class Resolution:
    """An EffectiveConfig plus where to send it: the base URL and whose key (for `client_for` only)."""

    config: EffectiveConfig
    base_url: str | None = None
    credential: ProviderCredential | None = None
    server_key: str | None = field(default=None, repr=False)

    def api_key(self) -> str | None:
        """The plaintext key; raises crypto.UnreadableSecret when a stored key can't be decrypted."""
        if self.credential is not None:
            return self.credential.get_key() or None
        return self.server_key


@dataclass
class _UserState:
    """A user's overrides and keys, read once for any number of actions."""

    overrides: dict[str, ModelConfig]
    credentials: list[ProviderCredential]  # newest first

    def newest_credential(self, provider: str) -> ProviderCredential | None:
        """The newest key for `provider` that is not known to fail: a key whose check failed switches nothing."""
        return next((c for c in self.credentials if c.provider == provider and c.is_working), None)


def _user_state(user) -> _UserState:
    if user is None or not getattr(user, "is_authenticated", False):
        return _UserState(overrides={}, credentials=[])
    overrides = {c.action: c for c in ModelConfig.objects.filter(user=user).select_related("credential")}
    credentials = list(ProviderCredential.objects.filter(user=user).order_by("-created_at", "-id"))
    return _UserState(overrides=overrides, credentials=credentials)


def server_has_key(provider: str) -> bool:
    """Whether the server's own settings hold a credential for `provider`."""
    if provider == Provider.OPENAI:
        return bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)
    if provider == Provider.ANTHROPIC:
        return bool(settings.ANTHROPIC_API_KEY)
    return False


def _automatic_provider(state: _UserState) -> str:
    for provider in CREDENTIAL_PROVIDERS:
        if state.newest_credential(provider) is not None:
            return provider
    for provider in CREDENTIAL_PROVIDERS:
        if server_has_key(provider):
            return provider
    return Provider.OFFLINE


def _resolve(state: _UserState, action: str, override: ModelConfig | None) -> Resolution:
    action = Action(action).value
    pinned = override.credential if override is not None else None
    if pinned is not None and override is not None and override.user_id != pinned.user_id:
        pinned = None  # never another user's key, whatever the row says
    choice = override.provider if override is not None else ""
    provider = (pinned.provider if pinned is not None else choice) or _automatic_provider(state)

    credential = None
    if provider != Provider.OFFLINE:
        credential = pinned or state.newest_credential(provider)
        if credential is None and not server_has_key(provider):
            provider = Provider.OFFLINE

    default = action_default(action, provider=provider)
    if override is not None:
        model, temperature, max_tokens = override.model, override.temperature, override.max_tokens
        reasoning_effort, fallback_model = override.reasoning_effort or None, override.fallback_model or None
    else:
        model, temperature, max_tokens = default.model, default.temperature, default.max_tokens
        reasoning_effort, fallback_model = default.reasoning_effort, default.fallback_model
    if provider == Provider.OFFLINE:
        model, fallback_model = OFFLINE_MODEL, None
    elif model == OFFLINE_MODEL:
        # Saved while the action ran offline: no other provider serves that name.
        model = default.model

    config = EffectiveConfig(
        action=action,
        provider=provider,
        model=model,
        temperature=temperature,
        max_tokens=max_tokens,
        reasoning_effort=reasoning_effort,
        fallback_model=fallback_model,
        is_user_override=override is not None,
        uses_own_key=credential is not None,
        credential_id=credential.pk if credential is not None else None,
        is_offline=provider == Provider.OFFLINE,
        provider_choice=choice,
        credential_choice_id=pinned.pk if pinned is not None else None,
        context_window=override.context_window if override is not None else None,
    )
    if provider == Provider.OFFLINE:
        return Resolution(config=config)
    if credential is not None:
        return Resolution(config=config, base_url=credential.base_url or None, credential=credential)
    if provider == Provider.OPENAI:
        return Resolution(
            config=config, base_url=settings.OPENAI_BASE_URL or None, server_key=settings.OPENAI_API_KEY or None
        )
    return Resolution(
        config=config, base_url=settings.ANTHROPIC_BASE_URL or None, server_key=settings.ANTHROPIC_API_KEY or None
    )


def resolve(*, user, action: str, override: ModelConfig | None = None) -> Resolution:
    """Resolve one action; `override` (possibly unsaved) replaces the user's stored override."""
    state = _user_state(user)
    if override is None:
        override = state.overrides.get(Action(action).value)
    return _resolve(state, action, override)


def effective_config(*, user, action: str) -> EffectiveConfig:
    """What serves `action` for `user` (ValueError for an unknown action)."""
    return resolve(user=user, action=action).config


def effective_configs(*, user) -> list[EffectiveConfig]:
    """Every action, in the order of `Action`."""
    state = _user_state(user)
    return [_resolve(state, action, state.overrides.get(action)).config for action in Action.values]


def user_uses_own_keys(*, user) -> bool:
    """True when the user's own keys serve every action, so the server's LLM rate limit need not apply."""
    return all(config.uses_own_key for config in effective_configs(user=user))


def user_spends_server_keys(*, user) -> bool:
    """True when some action runs on the server's own key: only such runs cost the operator money, so only
    they count toward the app-creation limit (the offline model and a user's own keys are exempt)."""
    return any(not config.is_offline and not config.uses_own_key for config in effective_configs(user=user))


def model_info(*, user) -> dict:
    """The model that writes the code, for the UI: `{"provider": …, "name": …}`."""
    config = effective_config(user=user, action=Action.PHASE_IMPLEMENTATION)
    return {"provider": config.provider, "name": config.model}


def credential_list(*, user):
    return ProviderCredential.objects.filter(user=user).order_by("-created_at", "-id")


def credential_get(*, user, credential_id) -> ProviderCredential | None:
    """The user's credential, or None (another user's key is simply not found)."""
    try:
        return ProviderCredential.objects.get(user=user, pk=credential_id)
    except (ProviderCredential.DoesNotExist, ValueError, TypeError):
        return None
