"""A new key is checked before it is used: a failing one is saved as not working and switches nothing."""

import pytest

from modelconfig.models import ProviderCredential

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_server_keys(settings):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = settings.ANTHROPIC_API_KEY = ""
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True  # the fake provider listens on 127.0.0.1


def _providers(api_client) -> set[str]:
    return {config["provider"] for config in api_client.get("/api/model-configs").json()["data"]}


def _add(api_client, server, api_key):
    body = {"provider": "openai", "name": "Mine", "baseUrl": server.base_url, "apiKey": api_key}
    response = api_client.post("/api/providers", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_a_key_the_provider_refuses_is_saved_as_not_working_and_switches_nothing(api_client, fake_openai):
    fake_openai.expected_key = "sk-the-real-one-0123456789"

    key = _add(api_client, fake_openai, "sk-a-typo-0123456789")

    assert key["status"] == "not working" and "401" in key["lastError"]
    assert "sk-a-typo-0123456789" not in key["lastError"]
    assert _providers(api_client) == {"offline"}


def test_a_key_that_works_is_used_at_once(api_client, fake_openai):
    key = _add(api_client, fake_openai, fake_openai.api_key)

    assert key["status"] == "working" and key["lastVerifiedAt"]
    assert _providers(api_client) == {"openai"}


def test_a_failing_key_is_used_once_a_later_check_passes(api_client, fake_openai):
    fake_openai.expected_key = "sk-not-yet-0123456789"
    key = _add(api_client, fake_openai, fake_openai.api_key)
    fake_openai.expected_key = None

    assert api_client.post(f"/api/providers/{key['id']}/verify").status_code == 200

    assert ProviderCredential.objects.get(pk=key["id"]).status == "working"
    assert _providers(api_client) == {"openai"}


def test_a_not_working_key_cannot_be_pinned_to_an_action(api_client, fake_openai):
    fake_openai.expected_key = "sk-the-real-one-0123456789"
    key = _add(api_client, fake_openai, "sk-a-typo-0123456789")

    response = api_client.put(
        "/api/model-configs/blueprint", {"model": "fake-model", "credentialId": key["id"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("credentialId: The key “Mine” does not work")
    assert _providers(api_client) == {"offline"}
