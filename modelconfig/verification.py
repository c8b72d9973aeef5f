"""Checking a provider key without spending tokens: list the models the key can use.

The chat clients in `modelconfig.providers` only stream; listing models is the one other call, made here
with the same SDKs. Errors become `ProviderError`s with any secret scrubbed from the message.
"""

from __future__ import annotations

import anthropic
import openai

from modelconfig.actions import Provider
from modelconfig.providers.anthropic_client import ANTHROPIC_BASE_URL
from modelconfig.providers.base import ProviderError
from modelconfig.providers.common import DUMMY_API_KEY, error_detail, provider_message, scrub_secrets
from modelconfig.providers.network import http_client
from modelconfig.providers.openai_compat import OPENAI_BASE_URL

# A person is waiting on the settings page: fail fast rather than retry for minutes.
VERIFY_TIMEOUT = 20.0
VERIFY_MAX_RETRIES = 1
MAX_MODELS = 200

LABELS = {Provider.OPENAI: "OpenAI-compatible API", Provider.ANTHROPIC: "Anthropic API"}


def list_models(*, provider: str, base_url: str | None, api_key: str | None, public_peers_only: bool) -> list[str]:
    """The ids of the models `api_key` may use at `base_url`. Raises ProviderError.

    `public_peers_only`: the URL is a user's, so connect only to public addresses (providers.network).
    """
    label = LABELS[Provider(provider)]
    try:
        if provider == Provider.OPENAI:
            client = http_client(openai.DefaultHttpxClient, timeout=VERIFY_TIMEOUT, public_peers_only=public_peers_only)
            with openai.OpenAI(
                api_key=api_key or DUMMY_API_KEY,
                base_url=base_url or OPENAI_BASE_URL,
                timeout=VERIFY_TIMEOUT,
                max_retries=VERIFY_MAX_RETRIES,
                http_client=client,
            ) as sdk:
                models = [model.id for model in sdk.models.list().data]
        else:
            client = http_client(
                anthropic.DefaultHttpxClient, timeout=VERIFY_TIMEOUT, public_peers_only=public_peers_only
            )
            with anthropic.Anthropic(
                api_key=api_key or DUMMY_API_KEY,
                base_url=base_url or ANTHROPIC_BASE_URL,
                timeout=VERIFY_TIMEOUT,
                max_retries=VERIFY_MAX_RETRIES,
                http_client=client,
            ) as sdk:
                models = [model.id for model in sdk.models.list(limit=100).data]
    except (openai.APITimeoutError, anthropic.APITimeoutError):
        raise ProviderError(f"{label} timed out after {VERIFY_TIMEOUT:g}s.", retryable=True) from None
    except (openai.APIConnectionError, anthropic.APIConnectionError) as error:
        cause = error.__cause__ or error
        raise _safe(
            f"{label} connection failed: {error_detail(str(cause), type(cause).__name__)}", api_key, retryable=True
        ) from None
    except (openai.APIStatusError, anthropic.APIStatusError) as error:
        detail = provider_message(error.body)
        raise _safe(f"{label} returned HTTP {error.status_code}: {detail}", api_key, status=error.status_code) from None
    except (openai.OpenAIError, anthropic.AnthropicError) as error:
        raise _safe(f"{label} client error: {error}", api_key) from None
    return sorted(models)[:MAX_MODELS]


def _safe(message: str, api_key: str | None, **kwargs) -> ProviderError:
    # Not chained (`from None` at the raise): the SDK's exception text may quote the key back.
    return ProviderError(scrub_secrets(message, api_key), **kwargs)
