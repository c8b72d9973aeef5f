"""Every path that checks a password stops guessing: django-axes per account and client address."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = settings.LOGIN_FAILURE_LIMIT = 3
    # The per-IP token limit is another, older guard: out of the way here.
    settings.TOKEN_RATE = "1000/m"


def _admin(make_user):
    admin = make_user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return admin


@pytest.mark.parametrize("path", ["/accounts/login/", "/api-auth/login/", "/admin/login/"])
def test_form_login_is_locked_after_failures_even_with_the_right_password(make_user, path):
    account = _admin(make_user)
    client = Client()
    statuses = [client.post(path, {"username": "root", "password": WRONG}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.post(path, {"username": "root", "password": account.raw_password})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_token_is_locked_after_failures_with_envelope_and_retry_after(user, settings):
    client = APIClient()
    statuses = [
        client.post("/api/auth/token", {"username": "ada", "password": WRONG}, format="json").status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
    response = client.post("/api/auth/token", {"username": "ada", "password": user.raw_password}, format="json")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["type"] == "RATE_LIMITED"
    assert error["message"].startswith("Too many failed sign-in attempts")
    assert error["details"] == {
        "limit": 3,
        "period_seconds": settings.LOGIN_COOLOFF_SECONDS,
        "retry_after_seconds": settings.LOGIN_COOLOFF_SECONDS,
    }
    assert response["Retry-After"] == str(settings.LOGIN_COOLOFF_SECONDS)


def test_failures_on_other_spellings_of_a_name_count_for_the_same_account(user):
    client = APIClient()
    for name in ("ADA", "ａｄａ", "Ada"):
        client.post("/api/auth/token", {"username": name, "password": WRONG}, format="json")
    response = client.post("/api/auth/token", {"username": "ada", "password": user.raw_password}, format="json")
    assert response.status_code == 429


def test_lockout_is_per_address_so_others_can_still_sign_in(user):
    attacker = APIClient(REMOTE_ADDR="203.0.113.9")
    for _ in range(4):
        attacker.post("/api/auth/token", {"username": "ada", "password": WRONG}, format="json")
    owner = APIClient(REMOTE_ADDR="198.51.100.4")
    response = owner.post("/api/auth/token", {"username": "ada", "password": user.raw_password}, format="json")
    assert response.status_code == 200


def test_a_sign_in_before_the_limit_resets_the_count(user):
    client = Client()
    for _round in range(2):
        for _ in range(2):
            assert client.post("/accounts/login/", {"username": "ada", "password": WRONG}).status_code == 200
        assert client.post("/accounts/login/", {"username": "ada", "password": user.raw_password}).status_code == 302
        client.post("/accounts/logout/")
