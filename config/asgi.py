"""ASGI entry point: HTTP to Django, WebSockets (origin-checked, session-aware) to the agents routing."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from config.safety import require_private_secret_key  # noqa: E402

require_private_secret_key()

from config.server import leave_body_parsing_to_django  # noqa: E402

leave_body_parsing_to_django()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from agents.realtime import ServerLoopMiddleware  # noqa: E402
from agents.routing import websocket_urlpatterns  # noqa: E402
from config.origins import SocketOriginValidator  # noqa: E402
from config.socket_auth import SocketAuthMiddlewareStack  # noqa: E402

application = ServerLoopMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # Same origin, scheme and port included; never a preview host; no Origin only with a ticket.
            "websocket": SocketOriginValidator(SocketAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)

from previews.toolchain import toolchain  # noqa: E402

toolchain()  # check Node, npm and bubblewrap now: a missing one is logged once, and react-vite is not offered

if settings.TASKS_BACKEND == "thread" and not settings.TESTING:
    # The embedded default runs agents in this process: resume those a previous process left mid-run.
    from agents.tasks import start_sweeper  # noqa: E402

    start_sweeper()
