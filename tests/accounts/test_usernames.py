"""User names are NFKC-normalised and compared case-insensitively on every path."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

FULLWIDTH_ALICE = "ａｌｉｃｅ"
PASSWORD = "c0mpiler-Queen"


def _api_signup(username):
    return APIClient().post("/api/auth/signup", {"username": username, "password": PASSWORD}, format="json")


def test_api_signup_refuses_a_fullwidth_twin_of_an_existing_name(make_user):
    make_user("alice")
    response = _api_signup(FULLWIDTH_ALICE)
    assert response.status_code == 409
    assert response.json()["error"]["type"] == "CONFLICT"


def test_api_signup_stores_the_normalised_name():
    response = _api_signup(FULLWIDTH_ALICE)
    assert response.status_code == 201
    assert response.json()["data"]["user"]["username"] == "alice"


def test_form_signup_refuses_a_fullwidth_or_uppercase_twin(make_user):
    make_user("alice")
    for name in (FULLWIDTH_ALICE, "ALICE"):
        response = Client().post("/accounts/signup/", {"username": name, "password1": PASSWORD, "password2": PASSWORD})
        assert response.status_code == 400
        assert "taken" in response.content.decode()


@pytest.mark.parametrize("typed", ["alice", "Alice", FULLWIDTH_ALICE])
def test_html_login_accepts_any_spelling_of_the_name(typed):
    assert _api_signup("Alice").status_code == 201
    client = Client()
    response = client.post("/accounts/login/", {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/api/auth/me").json()["data"]["username"] == "Alice"


@pytest.mark.parametrize("typed", ["ALICE", FULLWIDTH_ALICE])
def test_token_accepts_any_spelling_of_the_name(typed):
    assert _api_signup("alice").status_code == 201
    response = APIClient().post("/api/auth/token", {"username": typed, "password": PASSWORD}, format="json")
    assert response.status_code == 200
