"""ASGI entry point: HTTP to Django, WebSockets (origin-checked, session-aware) to the agents routing."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from agents.events import ServerLoopMiddleware  # noqa: E402
from agents.routing import websocket_urlpatterns  # noqa: E402

# AllowedHostsOriginValidator, minus the preview hosts: generated code on a preview origin must never
# open a socket that rides on the user's session.
_preview_suffix = f".{settings.PREVIEW_DOMAIN}"
websocket_origins = [host for host in settings.ALLOWED_HOSTS if host != _preview_suffix]
if settings.DEBUG and "*" in websocket_origins:
    websocket_origins = ["*"]

application = ServerLoopMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": OriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), websocket_origins
            ),
        }
    )
)

if settings.TASKS_BACKEND == "thread" and not settings.TESTING:
    # The embedded default runs agents in this process: resume those a previous process left mid-run.
    from agents.tasks import start_sweeper  # noqa: E402

    start_sweeper()
