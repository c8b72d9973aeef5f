"""GET /healthz: is the database answering, is the channel layer answering; can framework apps be built."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from previews.toolchain import toolchain

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:  # noqa: BLE001 - any failure means "down"; logged below
        logger.warning("healthz: database check failed", exc_info=True)
        return False


async def _layer_roundtrip() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    await layer.send(channel, {"type": "healthz.ping"})
    await asyncio.wait_for(layer.receive(channel), timeout=2)


def _channel_layer_ok() -> bool:
    try:
        async_to_sync(_layer_roundtrip)()
        return True
    except Exception:  # noqa: BLE001 - any failure means the layer is down; logged
        logger.warning("healthz: channel layer check failed", exc_info=True)
        return False


@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "channel_layer": _channel_layer_ok()}
    body = {"status": "ok" if all(checks.values()) else "unavailable"}
    body.update({name: "ok" if ok else "down" for name, ok in checks.items()})
    # Optional: without Node, npm or bubblewrap the server works, but offers no React (react-vite) apps.
    tools = toolchain()
    body["framework_apps"] = "ok" if tools.available else "unavailable"
    if not tools.available:
        body["framework_apps_reason"] = " ".join(tools.reasons)
    return JsonResponse(body, status=200 if all(checks.values()) else 503)
