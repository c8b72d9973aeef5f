"""The main origin's CSP (django-csp); preview hosts keep their own policy and get HTTPS and HSTS in production."""

import pytest
from django.test import Client

from tests.previews.factories import publish

pytestmark = pytest.mark.django_db

PREVIEW_DOMAIN = "preview.localhost"


@pytest.fixture
def preview_settings(settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path / "previews"
    settings.PREVIEW_DOMAIN = PREVIEW_DOMAIN
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, f".{PREVIEW_DOMAIN}"]
    return settings


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {part[0]: part[1:] for part in parts}


def test_pages_of_the_main_origin_allow_only_their_own_scripts_and_styles(client):
    response = client.get("/accounts/login/")
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_the_main_origin_may_frame_previews_only(client, settings):
    policy = _directives(client.get("/accounts/login/")["Content-Security-Policy"])
    assert policy["frame-src"] == [f"{settings.PREVIEW_SCHEME}://*.{settings.PREVIEW_DOMAIN}:*"]


def test_the_api_docs_load_nothing_from_a_cdn(client, user):
    client.force_login(user)
    for path in ("/api/docs/", "/api/redoc/"):
        html = client.get(path).content.decode()
        assert "cdn.jsdelivr.net" not in html and "fonts.googleapis.com" not in html
        assert "/static/drf_spectacular_sidecar/" in html


@pytest.fixture
def agent(user):
    from agents.models import Agent

    return Agent.objects.create(owner=user, query="A todo list", title="Todos")


def test_a_preview_keeps_its_own_policy(preview_settings, agent):
    deployment = publish(agent.pk)
    response = Client().get("/", HTTP_HOST=f"{deployment.id}.{PREVIEW_DOMAIN}")
    assert response.status_code == 200
    assert "script-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
    assert "frame-ancestors" in response["Content-Security-Policy"]


def test_a_preview_over_http_is_redirected_to_https_in_production(preview_settings, agent):
    preview_settings.SECURE_SSL_REDIRECT = True
    deployment = publish(agent.pk)
    host = f"{deployment.id}.{PREVIEW_DOMAIN}"
    response = Client().get("/index.html", HTTP_HOST=host)
    assert response.status_code == 301
    assert response["Location"] == f"https://{host}/index.html"


def test_a_preview_over_https_gets_hsts_in_production(preview_settings, agent):
    preview_settings.SECURE_SSL_REDIRECT = True
    preview_settings.SECURE_HSTS_SECONDS = 31536000
    deployment = publish(agent.pk)
    response = Client().get("/", HTTP_HOST=f"{deployment.id}.{PREVIEW_DOMAIN}", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "frame-ancestors" in response["Content-Security-Policy"]
    assert response["Cross-Origin-Resource-Policy"] == "same-site"
