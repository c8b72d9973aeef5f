"""Per-IP limits key on the address the trusted proxies saw, never on what a client writes.

`daphne --proxy-headers` sets the ASGI scope's client (REMOTE_ADDR) from the left-most X-Forwarded-For
entry; the requests below carry exactly what daphne would then hand to Django.
"""

import pytest
from daphne.utils import parse_x_forwarded_for
from rest_framework.test import APIClient

from config.clientip import client_ip

pytestmark = pytest.mark.django_db

REAL_CLIENT = "203.0.113.7"
PROXY = "10.0.0.2"


def _as_daphne_proxy_headers(xff: str) -> dict:
    """META for a request reaching `daphne --proxy-headers` from PROXY with this X-Forwarded-For."""
    (address, _port), _scheme = parse_x_forwarded_for(
        {b"x-forwarded-for": [xff.encode()]}, original_addr=[PROXY, 1234], original_scheme="http"
    )
    return {"REMOTE_ADDR": address, "HTTP_X_FORWARDED_FOR": xff}


def _token_attempts(meta_for, count):
    statuses = []
    for n in range(count):
        statuses.append(
            APIClient()
            .post("/api/auth/token", {"username": "ada", "password": "wrong"}, format="json", **meta_for(n))
            .status_code
        )
    return statuses


def test_rotating_forwarded_for_behind_one_proxy_does_not_escape_the_token_limit(user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TOKEN_RATE = "3/m"
    settings.AXES_FAILURE_LIMIT = 1000
    statuses = _token_attempts(lambda n: _as_daphne_proxy_headers(f"198.18.0.{n}, {REAL_CLIENT}"), 5)
    assert statuses == [401, 401, 401, 429, 429]


def test_rotating_forwarded_for_does_not_escape_the_signup_limit(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SIGNUP_RATE = "2/h"
    statuses = [
        APIClient()
        .post(
            "/api/auth/signup",
            {"username": f"u{n}", "password": "c0mpiler-Queen"},
            format="json",
            **_as_daphne_proxy_headers(f"198.18.1.{n}, {REAL_CLIENT}"),
        )
        .status_code
        for n in range(4)
    ]
    assert statuses == [201, 201, 429, 429]


def test_rotating_forwarded_for_does_not_escape_the_login_lockout(user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = settings.LOGIN_FAILURE_LIMIT = 2
    for n in range(3):
        APIClient().post(
            "/api/auth/token",
            {"username": "ada", "password": "wrong"},
            format="json",
            **_as_daphne_proxy_headers(f"198.18.2.{n}, {REAL_CLIENT}"),
        )
    response = APIClient().post(
        "/api/auth/token",
        {"username": "ada", "password": user.raw_password},
        format="json",
        **_as_daphne_proxy_headers(f"198.18.2.99, {REAL_CLIENT}"),
    )
    assert response.status_code == 429


class _Request:
    def __init__(self, **meta):
        self.META = meta


@pytest.mark.parametrize(
    ("count", "meta", "expected"),
    [
        (0, {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "198.18.0.1"}, "192.0.2.1"),
        (1, {"REMOTE_ADDR": "198.18.0.1", "HTTP_X_FORWARDED_FOR": f"198.18.0.1, {REAL_CLIENT}"}, REAL_CLIENT),
        (2, {"REMOTE_ADDR": "x", "HTTP_X_FORWARDED_FOR": f"1.1.1.1, {REAL_CLIENT}, 10.0.0.9"}, REAL_CLIENT),
        (2, {"REMOTE_ADDR": REAL_CLIENT, "HTTP_X_FORWARDED_FOR": REAL_CLIENT}, REAL_CLIENT),
        (1, {"REMOTE_ADDR": "192.0.2.1"}, "192.0.2.1"),
        (1, {"REMOTE_ADDR": "x", "HTTP_X_FORWARDED_FOR": "1.1.1.1, [2001:db8::1]:443"}, "2001:db8::1"),
        (1, {"REMOTE_ADDR": "x", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 203.0.113.7:5555"}, REAL_CLIENT),
        (1, {"REMOTE_ADDR": "x", "HTTP_X_FORWARDED_FOR": "1.1.1.1, not-an-ip"}, "0.0.0.0"),
    ],
)
def test_client_ip_reads_forwarded_for_from_the_right(settings, count, meta, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_Request(**meta)) == expected
