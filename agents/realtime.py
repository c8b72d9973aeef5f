"""Realtime publishing: hand channel layer messages, in order, to one task on the server's event loop.

Generic (nothing here knows about agents). `async_to_sync(group_send)` from a plain thread would run each
send on a fresh loop, and the in-memory layer would then only wake a consumer on daphne's next 1 s timer
(docs/architecture.md, "Events"). So every process sends from one long-lived loop: the server's own
(`ServerLoopMiddleware` binds it), or a private loop thread in processes without one (db_worker, CLI).

Order: one process's messages reach the layer in the order `publish()` / `send()` were called, whether
they go to a group or to one channel, because a single task drains one FIFO queue.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


class _Publisher:
    """Sends layer messages in order from one task on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: asyncio.Queue | None = None

    def submit(self, kind: str, target: str, message: dict) -> None:
        self.loop.call_soon_threadsafe(self._put, kind, target, message)

    def _put(self, kind: str, target: str, message: dict) -> None:
        if self.queue is None:
            self.queue = asyncio.Queue()
            self.loop.create_task(self._drain())
        self.queue.put_nowait((kind, target, message))

    async def _drain(self) -> None:
        layer = get_channel_layer()
        while True:
            kind, target, message = await self.queue.get()
            try:
                if kind == "group":
                    await layer.group_send(target, message)
                else:
                    await layer.send(target, message)
            except Exception:  # noqa: BLE001 - a lost message is recovered by replay by seq; keep sending
                logger.warning("Sending to %s %s failed", kind, target, exc_info=True)

    @property
    def usable(self) -> bool:
        return self.loop.is_running() and not self.loop.is_closed()


_lock = threading.Lock()
_server_publisher: _Publisher | None = None
_own_publisher: _Publisher | None = None


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Publish on this (the server's) loop from now on."""
    global _server_publisher
    if _server_publisher is not None and _server_publisher.loop is loop:
        return
    with _lock:
        if _server_publisher is None or _server_publisher.loop is not loop:
            _server_publisher = _Publisher(loop)


def _own_loop_publisher() -> _Publisher:
    """A private loop thread, for processes without a server loop (db_worker, CLI)."""
    global _own_publisher
    with _lock:
        if _own_publisher is None or not _own_publisher.usable:
            loop = asyncio.new_event_loop()
            started = threading.Event()
            loop.call_soon(started.set)
            threading.Thread(target=loop.run_forever, name="atelier-publisher", daemon=True).start()
            started.wait(5)
            _own_publisher = _Publisher(loop)
        return _own_publisher


def _publisher() -> _Publisher:
    publisher = _server_publisher
    if publisher is None or not publisher.usable:
        publisher = _own_loop_publisher()
    return publisher


def publish(group: str, message: dict) -> None:
    """Send `message` to every member of `group`, after everything published before it in this process."""
    _publisher().submit("group", group, message)


def send(channel: str, message: dict) -> None:
    """Send `message` to one channel, in the same order as `publish()`."""
    _publisher().submit("channel", channel, message)


class ServerLoopMiddleware:
    """ASGI middleware that tells `publish()` which loop the server (and its sockets) run on."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        bind_loop(asyncio.get_running_loop())
        return await self.app(scope, receive, send)
