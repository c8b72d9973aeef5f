"""Users' provider URLs never reach the server's own network: refused at save time and at connect time,
redirects never followed, and what a failing server answered is not quoted back verbatim."""

import socket

import pytest
from rest_framework.test import APIClient

from modelconfig.actions import Action
from modelconfig.clients import client_for
from modelconfig.models import ProviderCredential
from modelconfig.providers.base import ChatMessage, ProviderError
from modelconfig.providers.openai_compat import OpenAIClient
from tests.fake_llm import FakeLLMServer, Json

pytestmark = pytest.mark.django_db

HI = [ChatMessage(role="user", content="hi")]
PUBLIC = "93.184.215.14"


def _resolving(monkeypatch, *answers):
    """getaddrinfo answering each look-up with the next address (the last one repeats): DNS rebinding."""
    queue = list(answers)

    def fake_getaddrinfo(host, port, *args, **kwargs):
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:11434/v1",
        "http://169.254.169.254/latest",
        "http://10.0.0.8/v1",
        "http://100.64.1.1/v1",
        "http://[fd00::5]/v1",
        "http://0.0.0.0:8000/v1",
        "http://localhost:11434/v1",
    ],
)
def test_private_provider_urls_are_refused_with_the_default_settings(api_client, base_url):
    response = api_client.post(
        "/api/providers", {"provider": "openai", "name": "Mine", "baseUrl": base_url}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "INVALID_INPUT"
    assert not ProviderCredential.objects.exists()


def test_the_setting_lets_a_single_user_install_allow_private_urls(api_client, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    response = api_client.post(
        "/api/providers",
        {"provider": "openai", "name": "Ollama", "baseUrl": "http://127.0.0.1:11434/v1", "verify": False},
        format="json",
    )
    assert response.status_code == 201


def test_a_name_that_rebinds_to_loopback_after_the_save_is_refused_at_connect_time(user, fake_openai, monkeypatch):
    port = fake_openai.url.rsplit(":", 1)[1]
    # Public when saved and when checked before the call, then the fake server's loopback address.
    _resolving(monkeypatch, PUBLIC, PUBLIC, "127.0.0.1")
    api = APIClient()
    api.force_authenticate(user)
    created = api.post(
        "/api/providers",
        {
            "provider": "openai",
            "name": "Rebind",
            "apiKey": "sk-user-0123456789",
            "baseUrl": f"https://rebind.example:{port}/v1",
            "verify": False,  # the resolutions above are for the call below
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    with pytest.raises(ProviderError, match="refused"):
        client_for(user, Action.CONVERSATION).complete(HI)
    assert fake_openai.requests == []


def test_the_guarded_client_refuses_every_non_public_peer(fake_openai, monkeypatch):
    _resolving(monkeypatch, "127.0.0.1")
    port = fake_openai.url.rsplit(":", 1)[1]
    guarded = OpenAIClient(
        action="conversation",
        settings=fake_openai.settings(base_url=f"http://llm.example:{port}/v1", public_peers_only=True, max_retries=0),
    )
    with pytest.raises(ProviderError, match="refused"):
        guarded.complete(HI)
    assert fake_openai.requests == []
    # The same name through the server's own (unguarded) client reaches it: the guard made the difference.
    trusted = OpenAIClient(
        action="conversation", settings=fake_openai.settings(base_url=f"http://llm.example:{port}/v1", max_retries=0)
    )
    assert trusted.complete(HI) == "Hello from the fake model."


def test_redirects_are_not_followed(fake_openai):
    with FakeLLMServer(flavor="openai") as internal:
        fake_openai.script([Json({}, status=307, headers={"Location": f"{internal.base_url}/chat/completions"})])
        client = OpenAIClient(action="conversation", settings=fake_openai.settings(max_retries=0))
        with pytest.raises(ProviderError, match="307"):
            client.complete(HI)
        assert internal.requests == []


@pytest.mark.parametrize("body", ["<html>internal admin page token=hunter2</html>", {"internal": "token=hunter2"}])
def test_an_error_body_without_a_provider_message_is_not_quoted(fake_openai, body):
    fake_openai.script([Json(body, status=500)])
    client = OpenAIClient(action="conversation", settings=fake_openai.settings(max_retries=0))
    with pytest.raises(ProviderError) as raised:
        client.complete(HI)
    assert "500" in raised.value.message
    assert "hunter2" not in raised.value.message


def test_plain_http_to_a_public_host_is_refused_for_a_key(api_client, monkeypatch):
    _resolving(monkeypatch, PUBLIC)

    response = api_client.post(
        "/api/providers",
        {"provider": "openai", "name": "Clear", "apiKey": "sk-user-0123456789", "baseUrl": "http://llm.example/v1"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "baseUrl: Use https:// for a provider on the internet: over http:// your key travels unencrypted."
    )
    assert not ProviderCredential.objects.exists()


def test_plain_http_to_a_server_on_this_machine_is_accepted_where_private_urls_are(api_client, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True

    response = api_client.post(
        "/api/providers",
        {"provider": "openai", "name": "Ollama", "baseUrl": "http://127.0.0.1:11434/v1", "verify": False},
        format="json",
    )

    assert response.status_code == 201
