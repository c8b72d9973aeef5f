import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_signup_returns_201_with_token_usable_on_me():
    client = APIClient()
    response = client.post("/api/auth/signup", {"username": "grace", "password": "c0mpiler-Queen"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["data"]["user"]["username"] == "grace"
    token = body["data"]["token"]

    me = APIClient().get("/api/auth/me", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json() == {"success": True, "data": me.json()["data"]}
    assert me.json()["data"]["username"] == "grace"


def test_signup_refuses_weak_password_naming_the_field():
    response = APIClient().post("/api/auth/signup", {"username": "bob", "password": "123"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "INVALID_INPUT"
    assert error["message"].startswith("password:")


def test_signup_refuses_taken_username_case_insensitively(make_user):
    make_user("Grace")
    response = APIClient().post("/api/auth/signup", {"username": "grace", "password": "c0mpiler-Queen"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["type"] == "CONFLICT"


def test_signup_can_be_closed(settings):
    settings.OPEN_SIGNUP = False
    response = APIClient().post("/api/auth/signup", {"username": "x", "password": "c0mpiler-Queen"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "FORBIDDEN"


def test_token_for_right_password(user):
    response = APIClient().post("/api/auth/token", {"username": "ada", "password": user.raw_password}, format="json")
    assert response.status_code == 200
    assert len(response.json()["data"]["token"]) == 40


def test_token_refuses_wrong_password(user):
    response = APIClient().post("/api/auth/token", {"username": "ada", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "UNAUTHORIZED"


def test_token_guessing_is_rate_limited_per_ip(user, settings):
    settings.TOKEN_RATE = "3/m"
    client = APIClient()
    for _ in range(3):
        client.post("/api/auth/token", {"username": "ada", "password": "nope"}, format="json")
    response = client.post("/api/auth/token", {"username": "ada", "password": user.raw_password}, format="json")
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["type"] == "RATE_LIMITED"
    assert body["error"]["details"]["limit"] == 3
    assert body["error"]["details"]["period_seconds"] == 60
    assert int(response["Retry-After"]) == body["error"]["details"]["retry_after_seconds"] > 0


def test_me_requires_authentication():
    response = APIClient().get("/api/auth/me")
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": {"type": "UNAUTHORIZED", "message": "Authentication credentials were not provided."},
    }


def test_me_with_session(client, user):
    client.force_login(user)
    assert client.get("/api/auth/me").json()["data"]["username"] == "ada"


def test_signup_page_creates_account_and_logs_in(client):
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    response = client.post(
        "/accounts/signup/",
        {"username": "linus", "email": "", "password1": "kernel-Hacker-91", "password2": "kernel-Hacker-91"},
    )
    assert response.status_code == 302
    assert client.get("/api/auth/me").json()["data"]["username"] == "linus"


def test_signup_page_shows_form_errors(client):
    response = client.post("/accounts/signup/", {"username": "x", "password1": "abc", "password2": "abd"})
    assert response.status_code == 400
    assert "The two password fields" in response.content.decode()


def test_login_page_is_csrf_protected(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "ada", "password": user.raw_password})
    assert response.status_code == 403


def test_login_and_logout_pages(client, user):
    response = client.post("/accounts/login/", {"username": "ada", "password": user.raw_password})
    assert response.status_code == 302
    assert client.get("/api/auth/me").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/api/auth/me").status_code == 401


def test_admin_lists_users(admin_client, user):
    response = admin_client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert "ada" in response.content.decode()
