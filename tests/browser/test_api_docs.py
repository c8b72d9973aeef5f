"""The API docs render from this server alone: Swagger UI and Redoc come with the project, no request leaves
the origin, and nothing breaks the CSP (a refusal is a console error, which fails the test)."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def _requests_elsewhere(page, origin: str) -> list[str]:
    elsewhere: list[str] = []

    def route(request_route):
        url = request_route.request.url
        parsed = urlparse(url)
        if f"{parsed.scheme}://{parsed.netloc}" == origin or parsed.scheme in ("data", "blob"):
            request_route.continue_()
        else:
            elsewhere.append(url)
            request_route.abort()

    page.route("**/*", route)
    return elsewhere


def test_swagger_ui_works_offline(signed_in, server):
    elsewhere = _requests_elsewhere(signed_in, server.url)
    signed_in.goto("/api/docs/")
    expect(signed_in.get_by_role("heading", name="Atelier API")).to_be_visible()
    expect(signed_in.get_by_text("/api/agent/codegen").first).to_be_visible()
    assert elsewhere == []


def test_redoc_works_offline(signed_in, server):
    # Redoc's bundle hard-codes one image from its CDN (the "API docs by Redocly" logo, hidden when it fails):
    # the CSP refuses it, so it never leaves the origin; that refusal is the only console error allowed.
    signed_in.context.js_errors.allow(r"cdn\.redoc\.ly/redoc/logo-mini\.svg")
    elsewhere = _requests_elsewhere(signed_in, server.url)
    signed_in.goto("/api/redoc/")
    expect(signed_in.get_by_role("heading", name="Atelier API").first).to_be_visible()
    assert elsewhere == []
