"""VibeSDK's auth, beside Atelier's: Bearer, the API-key exchange and the always-200 auth check (G1, G2)."""

from datetime import datetime, timedelta

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_key(user):
    return services.user_token(user=user)


def _exchange(key: str, header: str = "HTTP_AUTHORIZATION", prefix: str = "Bearer "):
    return APIClient().post("/api/auth/exchange-api-key", **{header: f"{prefix}{key}"})


def test_the_api_key_exchange_answers_what_the_sdk_reads(api_key, user):
    response = _exchange(api_key)
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"accessToken", "expiresIn", "expiresAt", "apiKeyId", "user"}
    assert data["expiresIn"] == 15 * 60
    expires_at = datetime.fromisoformat(data["expiresAt"])
    assert timedelta(minutes=14) < expires_at - datetime.now(expires_at.tzinfo) <= timedelta(minutes=15)
    assert data["user"]["username"] == "ada" and data["user"]["displayName"] == "ada"
    assert api_key not in response.content.decode().replace(data["accessToken"], "")


def test_the_access_token_is_accepted_as_bearer(api_key):
    token = _exchange(api_key).json()["data"]["accessToken"]
    me = APIClient().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200 and me.json()["data"]["username"] == "ada"


def test_the_api_key_itself_is_accepted_as_bearer(api_key):
    me = APIClient().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert me.status_code == 200 and me.json()["data"]["username"] == "ada"


def test_the_exchange_also_reads_x_api_key(api_key):
    assert _exchange(api_key, header="HTTP_X_API_KEY", prefix="").status_code == 200


@pytest.mark.parametrize("key", ["", "0" * 40, "x" * 300])
def test_a_wrong_api_key_is_401(key):
    response = _exchange(key)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "UNAUTHORIZED"


def test_replacing_the_api_key_revokes_its_access_tokens(api_key, user):
    token = _exchange(api_key).json()["data"]["accessToken"]
    Token.objects.filter(user=user).delete()
    services.user_token(user=user)
    me = APIClient().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 401


def test_an_expired_access_token_is_401(api_key, monkeypatch):
    from accounts import access_tokens

    token = _exchange(api_key).json()["data"]["accessToken"]
    monkeypatch.setattr(access_tokens, "ACCESS_TOKEN_SECONDS", -1)
    assert APIClient().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_a_tampered_access_token_is_401(api_key):
    token = _exchange(api_key).json()["data"]["accessToken"]
    assert APIClient().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token[:-2]}xx").status_code == 401


def test_a_deactivated_user_cannot_exchange(api_key, user):
    user.is_active = False
    user.save()
    assert _exchange(api_key).status_code == 401


def test_the_exchange_is_rate_limited_per_ip(settings):
    settings.API_KEY_EXCHANGE_RATE = "2/m"
    codes = [_exchange("0" * 40).status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_token_auth_still_works_beside_bearer(api_key):
    assert APIClient().get("/api/auth/me", HTTP_AUTHORIZATION=f"Token {api_key}").status_code == 200


def test_auth_check_signed_out_is_200():
    response = APIClient().get("/api/auth/check")
    assert response.status_code == 200
    assert response.json()["data"] == {"authenticated": False, "user": None, "sessionId": None}


def test_auth_check_with_a_bad_bearer_is_200_signed_out():
    response = APIClient().get("/api/auth/check", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 200
    assert response.json()["data"]["authenticated"] is False


def test_auth_check_with_the_api_key_names_the_user(api_key):
    response = APIClient().get("/api/auth/check", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    data = response.json()["data"]
    assert data["authenticated"] is True and data["user"]["username"] == "ada"
    assert data["sessionId"].startswith("api_key:") and api_key not in data["sessionId"]


def test_auth_check_with_a_session_never_shows_the_session_key(client, user):
    client.force_login(user)
    data = client.get("/api/auth/check").json()["data"]
    assert data["authenticated"] is True
    assert data["sessionId"].startswith("session:")
    assert client.cookies["sessionid"].value not in data["sessionId"]


def test_bearer_needs_no_csrf_token(api_key):
    client = APIClient(enforce_csrf_checks=True)
    response = client.post(
        "/api/ws-ticket",
        {"resourceType": "agent", "resourceId": "x"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    )
    assert response.status_code != 403
