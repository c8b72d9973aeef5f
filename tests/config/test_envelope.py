"""Every API error uses the envelope of docs/architecture.md §8."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_unknown_api_url_is_404_envelope(api_client):
    response = api_client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": {"type": "NOT_FOUND", "message": "Not found."}}


def test_unknown_api_url_is_404_envelope_without_auth():
    response = Client().get("/api/nope/")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "NOT_FOUND"


def test_wrong_method_is_405_envelope(api_client):
    response = api_client.delete("/api/auth/me")
    assert response.status_code == 405
    assert response.json()["success"] is False
    assert response.json()["error"]["type"] == "INVALID_INPUT"


def test_malformed_json_is_400_invalid_input():
    response = Client().post("/api/auth/signup", data="{not json", content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "INVALID_INPUT"
    assert "Malformed" in error["message"]


def test_validation_error_names_the_field():
    response = Client().post("/api/auth/signup", data={"password": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("username:")
    assert "username" in response.json()["error"]["details"]["fields"]


def test_unhandled_exception_is_500_envelope(api_client, monkeypatch):
    from accounts import apis

    def boom(self, request):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(apis.MeApi, "get", boom)
    response = api_client.get("/api/auth/me")
    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "error": {"type": "INTERNAL", "message": "Something went wrong on our side."},
    }


def test_plain_django_crash_under_api_is_500_envelope(settings, client):
    settings.ROOT_URLCONF = "tests.config.crash_urls"
    client.raise_request_exception = False
    response = client.get("/api/crash")
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "INTERNAL"
    assert "boom" not in response.content.decode()


def test_openapi_schema_and_docs_are_served(api_client):
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/auth/signup" in schema.content
    assert api_client.get("/api/docs/").status_code == 200


def test_browsable_api_renders_html(client, user):
    client.force_login(user)
    response = client.get("/api/auth/me", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"<html" in response.content
