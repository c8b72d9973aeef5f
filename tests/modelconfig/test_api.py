"""The model configuration and provider key API, as a client sees it."""

import logging
import socket

import pytest
from rest_framework.test import APIClient

from modelconfig.actions import OFFLINE_MODEL, Action
from modelconfig.models import ModelConfig, ProviderCredential
from tests.fake_llm import Status, Stream

pytestmark = pytest.mark.django_db

USER_KEY = "sk-user-secret-0123456789abcdefXYZ"


@pytest.fixture
def allow_private(settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True


def _add_key(client, **fields):
    """Add a key without the check on save (most of these keys lead nowhere); tests of the check pass verify."""
    body = {"provider": "openai", "name": "Mine", "apiKey": USER_KEY, "verify": False, **fields}
    response = client.post("/api/providers", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def _error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    return body["error"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- model configs ----------------------------------------------------------------------------------------


def test_list_shows_every_action_with_defaults_running_offline(api_client):
    data = api_client.get("/api/model-configs").json()["data"]
    assert [c["action"] for c in data] == Action.values
    implementation = data[Action.values.index("phase_implementation")]
    conversation = data[Action.values.index("conversation")]
    assert implementation["maxTokens"] > conversation["maxTokens"]
    for config in data:
        assert config["provider"] == "offline" and config["model"] == OFFLINE_MODEL
        assert (config["isOffline"], config["isUserOverride"], config["usesOwnKey"]) == (True, False, False)
        assert config["label"] and config["description"]


def test_list_follows_the_servers_key(api_client, settings):
    settings.ANTHROPIC_API_KEY = "sk-ant-server-0123456789"
    data = api_client.get("/api/model-configs").json()["data"]
    assert {(c["provider"], c["model"], c["isOffline"]) for c in data} == {("anthropic", "claude-test-default", False)}


def test_put_saves_an_override_and_get_returns_it(api_client, allow_private):
    key = _add_key(api_client, baseUrl="http://127.0.0.1:9/v1")
    body = {
        "provider": "openai",
        "model": "gpt-4o",
        "temperature": 0.7,
        "maxTokens": 2048,
        "reasoningEffort": "low",
        "fallbackModel": "gpt-4o-mini",
        "credentialId": key["id"],
    }
    response = api_client.put("/api/model-configs/code_review", body, format="json")
    assert response.status_code == 200, response.json()
    data = api_client.get("/api/model-configs/code_review").json()["data"]
    assert {k: data[k] for k in body} == body
    assert (data["isUserOverride"], data["usesOwnKey"], data["isOffline"]) == (True, True, False)


def test_put_fills_omitted_parameters_from_the_actions_defaults(api_client):
    data = api_client.put("/api/model-configs/conversation", {"model": OFFLINE_MODEL}, format="json").json()["data"]
    assert (data["temperature"], data["maxTokens"], data["reasoningEffort"]) == (0.6, 1024, None)
    assert data["isUserOverride"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"model": ""}, "model"),
        ({"model": None}, "model"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"maxTokens": 0}, "maxTokens"),
        ({"maxTokens": 200_001}, "maxTokens"),
        ({"reasoningEffort": "extreme"}, "reasoningEffort"),
        ({"provider": "mistral"}, "provider"),
        ({"credentialId": 999_999}, "credentialId"),
        ({"provider": "anthropic"}, "provider"),
    ],
)
def test_put_validation_errors_name_the_field(api_client, change, field):
    body = {"provider": "", "model": "some-model", **change}
    error = _error(api_client.put("/api/model-configs/blueprint", body, format="json"), 400)
    assert error["type"] == "INVALID_INPUT"
    assert error["message"].startswith(f"{field}: ")
    assert not ModelConfig.objects.exists()


def test_put_refuses_another_users_key(api_client, other_user):
    foreign = ProviderCredential(user=other_user, provider="openai", name="Theirs")
    foreign.set_key("sk-theirs-0123456789abcdef")
    foreign.save()
    error = _error(
        api_client.put("/api/model-configs/blueprint", {"model": "gpt-x", "credentialId": foreign.pk}, format="json"),
        400,
    )
    assert error["message"].startswith("credentialId: ")


def test_put_refuses_a_key_of_another_provider(api_client):
    key = _add_key(api_client)
    error = _error(
        api_client.put(
            "/api/model-configs/blueprint",
            {"provider": "anthropic", "model": "claude", "credentialId": key["id"]},
            format="json",
        ),
        400,
    )
    assert error["message"].startswith("credentialId: ")


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_unknown_action_is_not_found(api_client, method):
    response = getattr(api_client, method)("/api/model-configs/write_poetry", {"model": "x"}, format="json")
    assert _error(response, 404)["type"] == "NOT_FOUND"


def test_delete_resets_an_action_to_its_default(api_client):
    api_client.put("/api/model-configs/blueprint", {"model": OFFLINE_MODEL, "temperature": 1.5}, format="json")
    data = api_client.delete("/api/model-configs/blueprint").json()["data"]
    assert (data["isUserOverride"], data["temperature"]) == (False, 0.4)
    assert not ModelConfig.objects.exists()


def test_reset_all_removes_every_override_of_the_user_only(api_client, other_user):
    ModelConfig.objects.create(user=other_user, action="blueprint", model="x", temperature=1, max_tokens=5)
    for action in ("blueprint", "conversation"):
        api_client.put(f"/api/model-configs/{action}", {"model": OFFLINE_MODEL}, format="json")
    data = api_client.post("/api/model-configs/reset").json()["data"]
    assert not any(c["isUserOverride"] for c in data)
    assert list(ModelConfig.objects.values_list("user", flat=True)) == [other_user.pk]


def test_model_config_endpoints_need_authentication(db):
    client = APIClient()
    for method, url in [
        ("get", "/api/model-configs"),
        ("put", "/api/model-configs/blueprint"),
        ("post", "/api/model-configs/test"),
        ("get", "/api/providers"),
    ]:
        assert _error(getattr(client, method)(url), 401)["type"] == "UNAUTHORIZED"


# -- connection test -------------------------------------------------------------------------------------


def test_model_test_against_the_fake_openai_server_reports_latency_and_reply(api_client, fake_openai, allow_private):
    key = _add_key(api_client, baseUrl=fake_openai.base_url, apiKey=fake_openai.api_key)
    api_client.put("/api/model-configs/conversation", {"model": "fake-model", "credentialId": key["id"]}, format="json")
    response = api_client.post("/api/model-configs/test", {"action": "conversation"}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["ok"], data["provider"], data["model"]) == (True, "openai", "fake-model")
    assert data["reply"] == "Hello from the fake model."
    assert isinstance(data["latencyMs"], int) and data["latencyMs"] >= 0
    assert fake_openai.last_request.headers["authorization"] == f"Bearer {fake_openai.api_key}"


def test_model_test_of_an_unsaved_config_does_not_save_it(api_client, fake_openai, allow_private):
    key = _add_key(api_client, baseUrl=fake_openai.base_url, apiKey=fake_openai.api_key)
    fake_openai.script([Stream(["pong"])])
    body = {
        "action": "blueprint",
        "provider": "openai",
        "model": "fake-fallback",
        "maxTokens": 16,
        "credentialId": key["id"],
    }
    data = api_client.post("/api/model-configs/test", body, format="json").json()["data"]
    assert (data["model"], data["reply"]) == ("fake-fallback", "pong")
    assert fake_openai.last_request.json["max_tokens"] == 16
    assert not ModelConfig.objects.exists()


def test_model_test_with_fields_but_no_model_names_the_model_field(api_client):
    error = _error(
        api_client.post("/api/model-configs/test", {"action": "blueprint", "temperature": 1}, format="json"), 400
    )
    assert error["message"].startswith("model: ")


@pytest.mark.parametrize("action", Action.values)
def test_model_test_on_the_offline_model_works_without_any_key(api_client, action):
    response = api_client.post("/api/model-configs/test", {"action": action}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["ok"], data["provider"], data["model"]) == (True, "offline", OFFLINE_MODEL)
    assert data["reply"]


def test_provider_500_becomes_provider_error(api_client, fake_openai, allow_private):
    _add_key(api_client, baseUrl=fake_openai.base_url, apiKey=fake_openai.api_key)
    fake_openai.script([Status(500, "The fake model fell over")])
    error = _error(api_client.post("/api/model-configs/test", {"action": "conversation"}, format="json"), 502)
    assert error["type"] == "PROVIDER_ERROR"
    assert "500" in error["message"] and "fell over" in error["message"]


def test_provider_401_becomes_provider_error_without_the_key(api_client, fake_openai, allow_private):
    # The fake server, like OpenAI, quotes the refused key back in its error message.
    fake_openai.expected_key = "sk-the-right-key-0123456789"
    _add_key(api_client, baseUrl=fake_openai.base_url, apiKey=USER_KEY)
    response = api_client.post("/api/model-configs/test", {"action": "conversation"}, format="json")
    error = _error(response, 502)
    assert error["type"] == "PROVIDER_ERROR" and "401" in error["message"]
    assert USER_KEY not in response.content.decode()
    assert USER_KEY[3:-4] not in response.content.decode()


def test_model_test_with_a_base_url_no_longer_allowed_is_a_provider_error(api_client, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    _add_key(api_client, name="Local", baseUrl="http://127.0.0.1:11434/v1")
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    error = _error(api_client.post("/api/model-configs/test", {"action": "conversation"}, format="json"), 502)
    assert error["type"] == "PROVIDER_ERROR" and "refused" in error["message"]


def test_model_tests_on_the_servers_key_are_rate_limited(api_client, fake_openai, settings):
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.LLM_RATE = "1/m"
    assert api_client.post("/api/model-configs/test", {"action": "conversation"}, format="json").status_code == 200
    response = api_client.post("/api/model-configs/test", {"action": "conversation"}, format="json")
    assert _error(response, 429)["type"] == "RATE_LIMITED"
    assert response["Retry-After"]


# -- provider keys ----------------------------------------------------------------------------------------


def test_created_key_is_shown_masked_and_never_returned(api_client):
    response = api_client.post(
        "/api/providers", {"provider": "openai", "name": "Work", "apiKey": USER_KEY, "verify": False}, format="json"
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["keyHint"], data["hasKey"], data["name"]) == ("…fXYZ", True, "Work")
    assert "apiKey" not in data
    listed = api_client.get("/api/providers")
    assert [p["id"] for p in listed.json()["data"]] == [data["id"]]
    for body in (response.content, listed.content, api_client.get(f"/api/providers/{data['id']}").content):
        assert USER_KEY.encode() not in body


def test_anthropic_key_is_required(api_client):
    error = _error(api_client.post("/api/providers", {"provider": "anthropic", "apiKey": ""}, format="json"), 400)
    assert error["message"].startswith("apiKey: ")


def test_openai_compatible_local_server_needs_no_key(api_client, allow_private):
    data = _add_key(api_client, baseUrl="http://localhost:11434/v1/", apiKey="")
    assert (data["hasKey"], data["keyHint"], data["baseUrl"]) == (False, "", "http://localhost:11434/v1")


def test_private_base_url_is_refused_when_private_urls_are_disallowed(api_client, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    for url in ("http://localhost:11434/v1", "http://169.254.169.254/", "http://10.0.0.2/v1"):
        error = _error(
            api_client.post(
                "/api/providers", {"provider": "openai", "baseUrl": url, "apiKey": USER_KEY}, format="json"
            ),
            400,
        )
        assert error["message"].startswith("baseUrl: ")
    assert not ProviderCredential.objects.exists()


def test_private_base_url_is_accepted_when_private_urls_are_allowed(api_client, allow_private):
    assert _add_key(api_client, baseUrl="http://10.0.0.2/v1")["baseUrl"] == "http://10.0.0.2/v1"


def test_patch_replaces_the_key_and_clears_the_verification(api_client):
    key = _add_key(api_client)
    ProviderCredential.objects.filter(pk=key["id"]).update(last_error="old failure")
    response = api_client.patch(
        f"/api/providers/{key['id']}",
        {"apiKey": "sk-new-key-0123456789-abcd", "name": "Renamed", "verify": False},
        format="json",
    )
    data = response.json()["data"]
    assert (data["keyHint"], data["name"], data["lastError"]) == ("…abcd", "Renamed", "")
    assert ProviderCredential.objects.get(pk=key["id"]).get_key() == "sk-new-key-0123456789-abcd"


def test_delete_removes_the_key_and_overrides_using_it_fall_back(api_client):
    key = _add_key(api_client)
    api_client.put("/api/model-configs/blueprint", {"model": "gpt-x", "credentialId": key["id"]}, format="json")
    assert api_client.delete(f"/api/providers/{key['id']}").status_code == 204
    data = api_client.get("/api/model-configs/blueprint").json()["data"]
    assert (data["isUserOverride"], data["isOffline"], data["credentialId"]) == (True, True, None)


def test_another_users_key_is_not_found(api_client, other_user):
    foreign = ProviderCredential(user=other_user, provider="openai", name="Theirs")
    foreign.set_key("sk-theirs-0123456789abcdef")
    foreign.save()
    url = f"/api/providers/{foreign.pk}"
    assert _error(api_client.get(url), 404)["type"] == "NOT_FOUND"
    assert _error(api_client.patch(url, {"name": "mine now"}, format="json"), 404)["type"] == "NOT_FOUND"
    assert _error(api_client.post(f"{url}/verify"), 404)["type"] == "NOT_FOUND"
    assert _error(api_client.delete(url), 404)["type"] == "NOT_FOUND"
    assert ProviderCredential.objects.get(pk=foreign.pk).name == "Theirs"
    assert api_client.get("/api/providers").json()["data"] == []


def test_verify_lists_models_and_records_success(api_client, fake_openai, allow_private):
    key = _add_key(api_client, baseUrl=fake_openai.base_url, apiKey=fake_openai.api_key)
    data = api_client.post(f"/api/providers/{key['id']}/verify").json()["data"]
    assert data["ok"] is True
    assert data["models"] == ["fake-fallback", "fake-model"]
    assert data["provider"]["lastVerifiedAt"] and data["provider"]["lastError"] == ""
    assert fake_openai.last_request.headers["authorization"] == f"Bearer {fake_openai.api_key}"


def test_verify_against_anthropic_lists_models(api_client, fake_anthropic, allow_private):
    response = api_client.post(
        "/api/providers",
        {"provider": "anthropic", "apiKey": fake_anthropic.api_key, "baseUrl": fake_anthropic.base_url},
        format="json",
    )
    data = api_client.post(f"/api/providers/{response.json()['data']['id']}/verify").json()["data"]
    assert data["models"] == ["fake-fallback", "fake-model"]
    sent = fake_anthropic.last_request.headers
    # The installed SDK sends the key as a bearer token; older ones as x-api-key.
    assert fake_anthropic.api_key in (sent.get("x-api-key"), sent.get("authorization", "").removeprefix("Bearer "))


def test_verify_failure_is_a_provider_error_and_is_recorded(api_client, allow_private):
    key = _add_key(api_client, baseUrl=f"http://127.0.0.1:{_closed_port()}/v1")
    error = _error(api_client.post(f"/api/providers/{key['id']}/verify"), 502)
    assert error["type"] == "PROVIDER_ERROR" and "connection" in error["message"].lower()
    data = api_client.get(f"/api/providers/{key['id']}").json()["data"]
    assert data["lastError"] and data["lastVerifiedAt"] is None


def test_verify_reports_the_providers_http_error(api_client, fake_openai, allow_private):
    key = _add_key(api_client, baseUrl=f"{fake_openai.url}/elsewhere", apiKey=fake_openai.api_key)
    error = _error(api_client.post(f"/api/providers/{key['id']}/verify"), 502)
    assert "404" in error["message"]


# -- secrets stay secret ---------------------------------------------------------------------------------


def test_keys_never_appear_in_responses_or_logs(api_client, fake_openai, allow_private, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "sk-very-secret-user-key-0123456789ABCD"
    fake_openai.api_key = secret
    bodies = []
    response = api_client.post(
        "/api/providers",
        {"provider": "openai", "name": "Logged?", "apiKey": secret, "baseUrl": fake_openai.base_url},
        format="json",
    )
    bodies.append(response.content)
    key_id = response.json()["data"]["id"]
    bodies.append(api_client.get("/api/providers").content)
    bodies.append(api_client.get(f"/api/providers/{key_id}").content)
    bodies.append(api_client.post(f"/api/providers/{key_id}/verify").content)
    bodies.append(api_client.put("/api/model-configs/conversation", {"model": "fake-model"}, format="json").content)
    bodies.append(api_client.get("/api/model-configs").content)
    bodies.append(api_client.post("/api/model-configs/test", {"action": "conversation"}, format="json").content)
    fake_openai.script([Status(500, f"upstream saw key {secret}")])
    bodies.append(api_client.post("/api/model-configs/test", {"action": "conversation"}, format="json").content)
    fake_openai.expected_key = "sk-something-else-0123456789"
    bodies.append(api_client.post("/api/model-configs/test", {"action": "conversation"}, format="json").content)
    bodies.append(api_client.patch(f"/api/providers/{key_id}", {"apiKey": secret + "2"}, format="json").content)

    assert len(fake_openai.requests) >= 4  # the key did reach the provider
    fragments = (secret, secret[3:-4])
    for body in bodies:
        assert not any(fragment.encode() in body for fragment in fragments), body
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records) + caplog.text
    assert not any(fragment in logged for fragment in fragments)
