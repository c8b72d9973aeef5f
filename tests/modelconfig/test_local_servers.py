"""Settings offers a model server running on this machine (Ollama, LM Studio) in one click."""

import pytest

from modelconfig.local_servers import local_servers
from tests.fake_llm import FakeLLMServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_llm():
    with FakeLLMServer(flavor="openai") as server:
        yield server


def _port(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_a_server_that_answers_is_found_with_its_models(settings, local_llm):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True

    [found] = local_servers(known=(("Ollama", _port(local_llm)),))

    assert found.name == "Ollama"
    assert found.base_url == f"http://127.0.0.1:{_port(local_llm)}/v1"
    assert found.models == ("fake-model", "fake-fallback")


def test_nothing_listening_is_nothing_offered(settings, local_llm):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    port = _port(local_llm)
    local_llm.stop()

    assert local_servers(known=(("LM Studio", port),)) == []


def test_nothing_is_offered_where_users_may_not_use_private_urls(settings, local_llm):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False

    assert local_servers(known=(("Ollama", _port(local_llm)),)) == []


def test_the_settings_page_offers_it_in_one_click(settings, local_llm, client, user, monkeypatch):
    import modelconfig.local_servers as module

    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    monkeypatch.setattr(module, "KNOWN_SERVERS", (("Ollama", _port(local_llm)),))
    client.force_login(user)

    page = client.get("/settings/").content.decode()

    assert "Ollama is running on this machine" in page
    assert "Use Ollama (fake-model) for every action" in page
