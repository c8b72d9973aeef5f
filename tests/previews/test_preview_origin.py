"""The preview origin: serves exactly one deployment's files, with strict headers and nothing of Django."""

import os

import pytest
from channels.testing import HttpCommunicator
from django.core.asgi import get_asgi_application
from django.test import Client

from previews.models import Deployment, DeploymentStatus
from tests.previews.factories import TODO_APP, preview_host, publish

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors "
)


def get(deployment, path, client=None, **extra):
    return (client or Client()).get(path, HTTP_HOST=preview_host(deployment), **extra)


def test_root_serves_index_html(deployment):
    response = get(deployment, "/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode() == TODO_APP["index.html"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/styles.css", "text/css; charset=utf-8"), ("/app.js", "text/javascript; charset=utf-8")],
)
def test_css_and_js_are_served_with_their_content_types(deployment, path, content_type):
    response = get(deployment, path)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.content.decode() == TODO_APP[path.lstrip("/")]


def test_folder_path_serves_its_index(deployment):
    response = get(deployment, "/about/")

    assert response.status_code == 200
    assert response.content.decode() == TODO_APP["about/index.html"]


def test_host_is_matched_case_insensitively_and_with_a_port(deployment):
    response = Client().get("/app.js", HTTP_HOST=f"{str(deployment.id).upper()}.Preview.Localhost:8000")

    assert response.status_code == 200


def test_head_sends_headers_without_body(deployment):
    response = Client().head("/app.js", HTTP_HOST=preview_host(deployment))

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(len(TODO_APP["app.js"].encode()))


def test_unchanged_file_revalidates_with_304(deployment):
    etag = get(deployment, "/app.js")["ETag"]

    response = get(deployment, "/app.js", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["Content-Security-Policy"].startswith(CSP)


@pytest.mark.parametrize(
    "path",
    [
        "/../",
        "/%2e%2e/",
        "/%2e%2e%2fconfig/settings.py",
        "/..%2f..%2fconfig%2fsettings.py",
        "/index.html%00.js",
        "//etc/passwd",
        "/%2fetc/passwd",
        "/..%5cconfig%5csettings.py",
        "/missing.js",
        "/about",
        "/.",
    ],
)
def test_anything_outside_the_deployment_is_404(deployment, path):
    response = get(deployment, path)

    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert len(response.content) < 32


def test_symlink_out_of_the_deployment_is_404(deployment, preview_root, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    os.symlink(secret, preview_root / str(deployment.id) / "leak.txt")

    assert get(deployment, "/leak.txt").status_code == 404


def test_other_deployments_files_are_not_reachable(deployment, make_agent, user, preview_root):
    other = make_agent(user, files={"index.html": "<p>other</p>", "only-here.js": "1;"})
    publish(other.pk, {"index.html": "<p>other</p>", "only-here.js": "1;"})

    assert get(deployment, "/only-here.js").status_code == 404


@pytest.mark.parametrize("path", ["/api/auth/me", "/admin/", "/admin/login/", "/accounts/login/", "/healthz"])
def test_django_urls_are_404_on_a_preview_host(deployment, path):
    response = get(deployment, path)

    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch", "options"])
def test_only_get_and_head_are_allowed(deployment, method):
    response = getattr(Client(), method)("/", HTTP_HOST=preview_host(deployment))

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "host",
    [
        "preview.localhost",
        "www.preview.localhost",
        "not-a-uuid.preview.localhost",
        "a.b.preview.localhost",
        "0123456789abcdef0123456789abcdef.preview.localhost",
        "11111111-2222-4333-8444-555555555555.preview.localhost",
    ],
)
def test_hosts_under_the_preview_domain_that_name_no_deployment_are_404(deployment, host):
    response = Client().get("/", HTTP_HOST=host)

    assert response.status_code == 404
    assert response["Content-Security-Policy"].startswith(CSP)


@pytest.mark.parametrize("status", [DeploymentStatus.FAILED, DeploymentStatus.PENDING, DeploymentStatus.BUILDING])
def test_deployment_that_is_not_ready_is_404(deployment, status):
    Deployment.objects.filter(pk=deployment.pk).update(status=status)

    assert get(deployment, "/").status_code == 404


def test_expired_deployment_is_404(deployment):
    Deployment.objects.filter(pk=deployment.pk).update(expires_at=deployment.created_at)

    assert get(deployment, "/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/app.js", "/missing", "/api/auth/me"])
def test_security_headers_on_every_preview_response(deployment, path):
    response = get(deployment, path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cross-Origin-Resource-Policy"] == "same-site"
    assert response["Cache-Control"] == "no-cache"
    assert response["Content-Security-Policy"] == (CSP + "http://127.0.0.1:* http://localhost:* http://testserver:*")
    assert "X-Frame-Options" not in response


def test_csp_frames_only_the_public_origin_when_set(deployment, settings):
    settings.PUBLIC_ORIGIN = "https://atelier.example.com/"

    response = get(deployment, "/")

    assert response["Content-Security-Policy"] == CSP + "https://atelier.example.com"


def test_csp_in_production_names_https_allowed_hosts(deployment, settings):
    settings.PREVIEW_SCHEME = "https"
    settings.ALLOWED_HOSTS = ["atelier.example.com", ".example.org", "*", "[::1]", ".preview.localhost"]

    response = get(deployment, "/")

    assert response["Content-Security-Policy"] == CSP + "https://atelier.example.com"


def test_no_cookie_is_set_or_read_on_a_preview_host(deployment, user):
    client = Client()
    client.force_login(user)

    response = get(deployment, "/", client=client)

    assert response.status_code == 200
    assert "Set-Cookie" not in response
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_main_site_still_denies_framing(db):
    response = Client().get("/accounts/login/")

    assert response["X-Frame-Options"] == "DENY"


def test_session_and_csrf_cookies_are_host_only(user):
    client = Client()
    page = client.get("/accounts/login/")
    login = client.post("/accounts/login/", {"username": "ada", "password": user.raw_password})

    assert login.status_code == 302
    assert login.cookies["sessionid"]["domain"] == ""
    assert "domain=" not in login.cookies["sessionid"].output().lower()
    assert page.cookies["csrftoken"]["domain"] == ""


@pytest.mark.django_db(transaction=True)
async def test_preview_origin_serves_under_asgi(preview_root, make_user):
    from asgiref.sync import sync_to_async

    from agents.models import Agent

    @sync_to_async
    def arrange():
        agent = Agent.objects.create(owner=make_user("asgi"), query="todo")
        return publish(agent.pk)

    deployment = await arrange()
    host = preview_host(deployment).encode()
    app = get_asgi_application()

    response = await HttpCommunicator(app, "GET", "/styles.css", headers=[(b"host", host)]).get_response()
    outside = await HttpCommunicator(app, "GET", "/api/auth/me", headers=[(b"host", host)]).get_response()

    headers = dict(response["headers"])
    assert response["status"] == 200
    assert headers[b"Content-Type"] == b"text/css; charset=utf-8"
    assert response["body"].decode() == TODO_APP["styles.css"]
    assert outside["status"] == 404
