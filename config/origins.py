"""Which pages may open a WebSocket (docs/architecture.md §9): the site's own origin, compared as scheme, host and port.

A browser always sends `Origin` on a WebSocket and attaches the session cookie whatever page opened it, so the
Origin is what stops another site (another port of the same host included, or a plain-http page in front of
an https site) from riding on the session. A client without an `Origin` is not a browser: it may connect only
with a ticket, and its cookies are dropped so that a session can never be used without an Origin check.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": "80", "https": "443"}


def _normalized(scheme: str, host: str, port: str | None) -> tuple[str, str, str]:
    scheme = scheme.lower()
    return scheme, host.lower().rstrip("."), port or DEFAULT_PORTS.get(scheme, "")


def parse_origin(value: str) -> tuple[str, str, str] | None:
    """(scheme, host, port) of an Origin or a trusted-origin setting; None when it is not an http(s) origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username is not None:
        return None
    return _normalized(parts.scheme, parts.hostname, str(port) if port else None)


def _is_preview_host(host: str) -> bool:
    suffix = f".{settings.PREVIEW_DOMAIN}"
    return host == settings.PREVIEW_DOMAIN or host.endswith(suffix)


def _page_scheme(scope: dict, headers: dict[bytes, bytes]) -> str:
    """The scheme of a page on this site: the socket's own (ws ↔ http, wss ↔ https), https when TLS is
    terminated by a proxy that says so, and always https when the site redirects to https."""
    if scope.get("scheme") == "wss" or getattr(settings, "SECURE_SSL_REDIRECT", False):
        return "https"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name = proxy_header[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
        if headers.get(name, b"").decode("latin1").split(",")[0].strip() == proxy_header[1]:
            return "https"
    return "http"


def _own_origin(scope: dict, headers: dict[bytes, bytes]) -> tuple[str, str, str] | None:
    host_header = headers.get(b"host", b"").decode("latin1")
    host, port = split_domain_port(host_header)
    if not host or not validate_host(host, settings.ALLOWED_HOSTS) or _is_preview_host(host):
        return None
    return _normalized(_page_scheme(scope, headers), host, port or None)


def _trusted_origins() -> list[tuple[str, str, str]]:
    configured = [*settings.CSRF_TRUSTED_ORIGINS, *settings.PUBLIC_ORIGIN.split(",")]
    return [origin for origin in map(parse_origin, configured) if origin is not None]


def _matches(origin: tuple[str, str, str], pattern: tuple[str, str, str]) -> bool:
    scheme, host, port = pattern
    if origin[0] != scheme or origin[2] != port:
        return False
    if host.startswith("*."):
        return origin[1].endswith(host[1:])
    return origin[1] == host


def origin_allowed(scope: dict) -> bool:
    """A socket with an Origin must come from this site's own origin (or a configured trusted one), never
    from a preview host; one without an Origin must carry a ticket."""
    headers = dict(scope.get("headers", []))
    raw = headers.get(b"origin")
    if raw is None:
        query = parse_qs(scope.get("query_string", b"").decode("latin1"))
        return bool((query.get("ticket") or [""])[0])
    origin = parse_origin(raw.decode("latin1"))
    if origin is None or _is_preview_host(origin[1]):
        return False
    own = _own_origin(scope, headers)
    if own is not None and origin == own:
        return True
    return any(_matches(origin, trusted) for trusted in _trusted_origins())


class SocketOriginValidator:
    """ASGI middleware for the websocket router: refuses the upgrade (HTTP 403) unless `origin_allowed`."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        if not any(name == b"origin" for name, _ in scope.get("headers", [])):
            scope = {**scope, "headers": [(n, v) for n, v in scope.get("headers", []) if n != b"cookie"]}
        return await self.application(scope, receive, send)
