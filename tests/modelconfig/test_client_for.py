"""Which provider, model and key serve an action: user override → user key → server key → offline."""

import pytest
from cryptography.fernet import Fernet

from agents.offline_model import OfflineClient
from modelconfig import selectors, services
from modelconfig.actions import OFFLINE_MODEL, Action
from modelconfig.clients import client_for
from modelconfig.models import ModelConfig, ProviderCredential
from modelconfig.providers.anthropic_client import AnthropicClient
from modelconfig.providers.base import ChatMessage, ProviderError
from modelconfig.providers.openai_compat import OpenAIClient

pytestmark = pytest.mark.django_db

USER_OPENAI_KEY = "sk-user-openai-0123456789abcdef"
USER_ANTHROPIC_KEY = "sk-ant-user-0123456789abcdef"


def _credential(user, provider="openai", key=USER_OPENAI_KEY, base_url="", name=None) -> ProviderCredential:
    credential = ProviderCredential(user=user, provider=provider, name=name or provider, base_url=base_url)
    credential.set_key(key)
    credential.save()
    return credential


def test_without_any_credential_every_action_runs_offline(user, settings):
    settings.OFFLINE_CHUNK_DELAY = 0.25
    for action in Action.values:
        client = client_for(user, action)
        assert isinstance(client, OfflineClient)
        assert client.action == action
        assert client.settings.model == OFFLINE_MODEL
        assert client.settings.chunk_delay == 0.25
        assert client.settings.api_key is None


def test_server_openai_key_serves_defaults_with_the_configured_model(user, settings):
    settings.OPENAI_API_KEY = "sk-server-openai-0123456789"
    settings.LLM_TIMEOUT, settings.LLM_MAX_RETRIES = 42.0, 3
    client = client_for(user, Action.PHASE_IMPLEMENTATION)
    assert isinstance(client, OpenAIClient)
    assert client.settings.model == "gpt-test-default"
    assert client.settings.api_key == "sk-server-openai-0123456789"
    assert client.settings.base_url is None
    assert (client.settings.timeout, client.settings.max_retries) == (42.0, 3)
    config = selectors.effective_config(user=user, action=Action.PHASE_IMPLEMENTATION)
    assert (config.provider, config.uses_own_key, config.is_offline) == ("openai", False, False)


def test_server_openai_base_url_alone_selects_openai(user, settings):
    settings.OPENAI_BASE_URL = "http://localhost:11434/v1"
    client = client_for(user, Action.CONVERSATION)
    assert isinstance(client, OpenAIClient)
    assert client.settings.base_url == "http://localhost:11434/v1"
    assert client.settings.api_key is None


def test_server_anthropic_key_is_used_when_there_is_no_openai_one(user, settings):
    settings.ANTHROPIC_API_KEY = "sk-ant-server-0123456789"
    client = client_for(user, Action.BLUEPRINT)
    assert isinstance(client, AnthropicClient)
    assert client.settings.model == "claude-test-default"
    assert client.settings.api_key == "sk-ant-server-0123456789"


def test_server_openai_wins_over_server_anthropic(user, settings):
    settings.OPENAI_API_KEY = "sk-server-openai-0123456789"
    settings.ANTHROPIC_API_KEY = "sk-ant-server-0123456789"
    assert selectors.effective_config(user=user, action=Action.BLUEPRINT).provider == "openai"


def test_users_own_key_wins_over_the_servers(user, settings):
    settings.OPENAI_API_KEY = "sk-server-openai-0123456789"
    credential = _credential(user, provider="anthropic", key=USER_ANTHROPIC_KEY)
    client = client_for(user, Action.CODE_REVIEW)
    assert isinstance(client, AnthropicClient)
    assert client.settings.api_key == USER_ANTHROPIC_KEY
    config = selectors.effective_config(user=user, action=Action.CODE_REVIEW)
    assert (config.uses_own_key, config.credential_id) == (True, credential.pk)


def test_the_users_newest_key_for_a_provider_is_used(user, settings):
    # These names resolve nowhere offline; the URL checks are not what this test is about.
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    _credential(user, key="sk-older-0123456789abcdef", base_url="https://old.example/v1")
    newest = _credential(user, key="sk-newer-0123456789abcdef", base_url="https://new.example/v1")
    client = client_for(user, Action.CONVERSATION)
    assert (client.settings.api_key, client.settings.base_url) == ("sk-newer-0123456789abcdef", newest.base_url)


def test_override_pinning_a_key_uses_that_key_and_its_parameters(user):
    pinned = _credential(user, key="sk-pinned-0123456789abcdef", name="pinned")
    _credential(user, key="sk-newer-0123456789abcdef", name="newer")
    services.model_config_set(
        user=user,
        action=Action.BLUEPRINT,
        model="gpt-custom",
        temperature=1.1,
        max_tokens=777,
        reasoning_effort="high",
        fallback_model="gpt-small",
        credential_id=pinned.pk,
    )
    client = client_for(user, Action.BLUEPRINT)
    assert client.settings.api_key == "sk-pinned-0123456789abcdef"
    assert (client.settings.model, client.settings.temperature, client.settings.max_tokens) == ("gpt-custom", 1.1, 777)
    assert (client.settings.reasoning_effort, client.settings.fallback_model) == ("high", "gpt-small")
    config = selectors.effective_config(user=user, action=Action.BLUEPRINT)
    assert config.is_user_override and config.credential_choice_id == pinned.pk


def test_override_naming_a_provider_uses_the_users_key_for_it(user, settings):
    settings.OPENAI_API_KEY = "sk-server-openai-0123456789"
    _credential(user, provider="anthropic", key=USER_ANTHROPIC_KEY)
    services.model_config_set(user=user, action=Action.CONVERSATION, provider="anthropic", model="claude-x")
    client = client_for(user, Action.CONVERSATION)
    assert isinstance(client, AnthropicClient)
    assert (client.settings.model, client.settings.api_key) == ("claude-x", USER_ANTHROPIC_KEY)


def test_override_whose_key_was_deleted_falls_back_to_offline_when_nothing_else_serves(user):
    credential = _credential(user)
    services.model_config_set(
        user=user, action=Action.CONVERSATION, provider="openai", model="gpt-x", credential_id=credential.pk
    )
    services.credential_delete(credential=credential)
    config = selectors.effective_config(user=user, action=Action.CONVERSATION)
    assert (config.provider, config.model, config.is_offline, config.is_user_override) == (
        "offline",
        OFFLINE_MODEL,
        True,
        True,
    )
    assert isinstance(client_for(user, Action.CONVERSATION), OfflineClient)


def test_offline_model_name_saved_earlier_is_not_sent_to_a_real_provider(user):
    services.model_config_set(user=user, action=Action.CONVERSATION, model=OFFLINE_MODEL, temperature=0.9)
    _credential(user)
    client = client_for(user, Action.CONVERSATION)
    assert isinstance(client, OpenAIClient)
    assert (client.settings.model, client.settings.temperature) == ("gpt-test-default", 0.9)


def test_another_users_key_is_never_used_even_if_a_row_points_at_it(user, other_user):
    foreign = _credential(other_user, key="sk-foreign-0123456789abcdef")
    ModelConfig.objects.create(
        user=user,
        action=Action.CONVERSATION,
        provider="openai",
        model="gpt-x",
        temperature=0.5,
        max_tokens=100,
        credential=foreign,
    )
    client = client_for(user, Action.CONVERSATION)
    assert client.settings.api_key != "sk-foreign-0123456789abcdef"
    assert isinstance(client, OfflineClient)


def test_user_uses_own_keys_only_when_every_action_is_served_by_their_keys(user, settings):
    settings.OPENAI_API_KEY = "sk-server-openai-0123456789"
    assert not selectors.user_uses_own_keys(user=user)
    _credential(user)
    assert selectors.user_uses_own_keys(user=user)
    services.model_config_set(user=user, action=Action.CODE_REVIEW, provider="offline", model=OFFLINE_MODEL)
    assert not selectors.user_uses_own_keys(user=user)


def test_model_info_names_the_model_that_writes_code(user):
    assert selectors.model_info(user=user) == {"provider": "offline", "name": OFFLINE_MODEL}
    _credential(user, provider="anthropic", key=USER_ANTHROPIC_KEY)
    services.model_config_set(user=user, action=Action.PHASE_IMPLEMENTATION, model="claude-coder")
    assert selectors.model_info(user=user) == {"provider": "anthropic", "name": "claude-coder"}


def test_effective_configs_lists_every_action_in_order(user):
    assert [c.action for c in selectors.effective_configs(user=user)] == Action.values


def test_unknown_action_is_a_value_error(user):
    with pytest.raises(ValueError):
        client_for(user, "write_poetry")


def test_without_a_user_the_server_defaults_apply(settings):
    settings.ANTHROPIC_API_KEY = "sk-ant-server-0123456789"
    assert isinstance(client_for(None, Action.BLUEPRINT), AnthropicClient)


def test_a_private_base_url_is_refused_at_call_time_once_private_urls_are_disallowed(user, settings):
    _credential(user, base_url="http://127.0.0.1:11434/v1", name="Local")
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    assert client_for(user, Action.CONVERSATION).settings.base_url == "http://127.0.0.1:11434/v1"
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    with pytest.raises(ProviderError, match="Local"):
        client_for(user, Action.CONVERSATION)


def test_a_key_encrypted_with_an_old_fernet_key_asks_to_be_entered_again(user, settings):
    _credential(user, name="Old")
    settings.FERNET_KEY = Fernet.generate_key().decode()
    with pytest.raises(ProviderError, match="Enter the key again"):
        client_for(user, Action.CONVERSATION)


def test_client_for_streams_from_the_users_openai_compatible_server(user, fake_openai, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    _credential(user, key=fake_openai.api_key, base_url=fake_openai.base_url)
    services.model_config_set(user=user, action=Action.CONVERSATION, model="fake-model", max_tokens=50)
    client = client_for(user, Action.CONVERSATION)
    assert client.complete([ChatMessage(role="user", content="hi")]) == "Hello from the fake model."
    request = fake_openai.last_request
    assert request.headers["authorization"] == f"Bearer {fake_openai.api_key}"
    assert (request.model, request.json["max_tokens"]) == ("fake-model", 50)


def test_client_for_streams_from_the_users_anthropic_server(user, fake_anthropic, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    _credential(user, provider="anthropic", key=fake_anthropic.api_key, base_url=fake_anthropic.base_url)
    services.model_config_set(user=user, action=Action.BLUEPRINT, model="fake-model")
    client = client_for(user, Action.BLUEPRINT)
    assert client.complete([ChatMessage(role="user", content="hi")]) == "Hello from the fake model."
    sent = fake_anthropic.last_request.headers
    # The installed SDK sends the key as a bearer token; older ones as x-api-key.
    assert fake_anthropic.api_key in (sent.get("x-api-key"), sent.get("authorization", "").removeprefix("Bearer "))
