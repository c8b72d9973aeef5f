"""Who a WebSocket belongs to: the session of its handshake, read once and never written.

Channels' `AuthMiddlewareStack` wraps every frame a consumer sends in `SessionMiddleware`'s `send`, which
looks at the lazy session (`modified`, `is_empty()`) to save it on an HTTP response; on a socket that is
pure cost, about a tenth of the server's CPU per delivered frame (bench/README.md). A socket never changes
its session, so this stack passes `send` through untouched and keeps the rest: cookies parsed, the session
loaded lazily (in the sync thread, by `AuthMiddleware`), `scope["user"]` resolved before the consumer runs.
"""

from __future__ import annotations

from importlib import import_module

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware
from django.conf import settings


class SocketSessionMiddleware:
    """Puts the handshake's session in `scope["session"]`, read-only: frames go straight to the server."""

    def __init__(self, inner):
        self.inner = inner
        self.session_store = import_module(settings.SESSION_ENGINE).SessionStore

    async def __call__(self, scope, receive, send):
        key = scope["cookies"].get(settings.SESSION_COOKIE_NAME)
        return await self.inner(dict(scope, session=self.session_store(session_key=key)), receive, send)


def SocketAuthMiddlewareStack(inner):  # noqa: N802 - named like Channels' AuthMiddlewareStack
    return CookieMiddleware(SocketSessionMiddleware(AuthMiddleware(inner)))
