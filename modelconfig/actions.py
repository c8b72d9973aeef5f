"""The agent's LLM actions and the default configuration of each (docs/architecture.md §5).

Which provider a default uses follows the server's credentials: none → the built-in offline model; an
OpenAI key or base URL → `openai` with `ATELIER_OPENAI_MODEL`; else an Anthropic key → `anthropic` with
`ATELIER_ANTHROPIC_MODEL`. Parameters are per action: short chat answers, long implementation phases.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models

OFFLINE_MODEL = "atelier-offline"


class Provider(models.TextChoices):
    OFFLINE = "offline", "Offline model (built in)"
    OPENAI = "openai", "OpenAI-compatible"
    ANTHROPIC = "anthropic", "Anthropic"


# Providers that take a key; the offline model needs none.
CREDENTIAL_PROVIDERS = (Provider.OPENAI, Provider.ANTHROPIC)


class Action(models.TextChoices):
    BLUEPRINT = "blueprint", "Blueprint"
    PHASE_GENERATION = "phase_generation", "Phase planning"
    PHASE_IMPLEMENTATION = "phase_implementation", "Phase implementation"
    CODE_REVIEW = "code_review", "Code review"
    FILE_REGENERATION = "file_regeneration", "File regeneration"
    CONVERSATION = "conversation", "Conversation"


class ReasoningEffort(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


@dataclass(frozen=True)
class ActionSpec:
    """What an action does and the parameters it runs with unless a user says otherwise."""

    description: str
    temperature: float
    max_tokens: int


ACTION_SPECS: dict[str, ActionSpec] = {
    Action.BLUEPRINT: ActionSpec("Plans the app: title, file plan and phases.", 0.4, 8192),
    Action.PHASE_GENERATION: ActionSpec("Decides what the next phase changes.", 0.3, 4096),
    # Writes whole files for a phase: the longest answers of all.
    Action.PHASE_IMPLEMENTATION: ActionSpec("Writes the code of each phase.", 0.2, 16384),
    Action.CODE_REVIEW: ActionSpec("Reviews generated code for mistakes.", 0.1, 4096),
    Action.FILE_REGENERATION: ActionSpec("Rewrites a single broken file.", 0.2, 8192),
    Action.CONVERSATION: ActionSpec("Answers you in the chat.", 0.6, 1024),
}


@dataclass(frozen=True)
class ActionDefault:
    """The configuration an action runs with when the user has no override."""

    action: str
    provider: str
    model: str
    temperature: float
    max_tokens: int
    reasoning_effort: str | None = None
    fallback_model: str | None = None


def server_provider() -> str:
    """The provider the server's own credentials allow: openai, else anthropic, else offline."""
    if settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL:
        return Provider.OPENAI
    if settings.ANTHROPIC_API_KEY:
        return Provider.ANTHROPIC
    return Provider.OFFLINE


def default_model(provider: str) -> str:
    """The model a provider runs when nobody named one."""
    if provider == Provider.OPENAI:
        return settings.OPENAI_MODEL
    if provider == Provider.ANTHROPIC:
        return settings.ANTHROPIC_MODEL
    return OFFLINE_MODEL


def action_default(action: str, *, provider: str | None = None) -> ActionDefault:
    """The default for `action`, on `provider` (default: whichever the server's credentials allow)."""
    spec = ACTION_SPECS[Action(action)]
    provider = provider or server_provider()
    return ActionDefault(
        action=str(action),
        provider=provider,
        model=default_model(provider),
        temperature=spec.temperature,
        max_tokens=spec.max_tokens,
    )


def is_action(value: str) -> bool:
    return value in Action.values
