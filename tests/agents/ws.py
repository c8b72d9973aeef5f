"""Helpers to drive the agent socket through the real ASGI application."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

ORIGIN = (b"origin", b"http://testserver")

# Every communicator a test made; `disconnect_all` (an autouse fixture's teardown) closes those still open, so a
# failing assertion never leaves a consumer running into the next test.
OPEN: list[WebsocketCommunicator] = []


def communicator(path: str, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    """A communicator on the real ASGI application, disconnected at the test's teardown if still open."""
    from config.asgi import application

    made = WebsocketCommunicator(application, path, headers=headers)
    OPEN.append(made)
    return made


async def disconnect_all() -> None:
    while OPEN:
        made = OPEN.pop()
        if not made.future.done():
            await made.disconnect()


@sync_to_async
def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def open_socket(
    agent_id, user=None, *, after: int | None = None, ticket: str | None = None, origin: tuple | None = ORIGIN
) -> WebsocketCommunicator:
    query = []
    if after is not None:
        query.append(f"after={after}")
    if ticket is not None:
        query.append(f"ticket={ticket}")
    path = f"/api/agent/{agent_id}/ws" + ("?" + "&".join(query) if query else "")
    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append(origin)
    if user is not None:
        headers.append((b"cookie", await session_cookie(user)))
    socket = communicator(path, headers)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    return socket


async def frames_until(communicator, type_: str, timeout: float = 30.0, limit: int = 100_000) -> list[dict]:
    """Collect frames up to and including the first of `type_`."""
    frames = []
    async with asyncio.timeout(timeout):
        while len(frames) < limit:
            frame = await communicator.receive_json_from(timeout=timeout)
            frames.append(frame)
            if frame["type"] == type_:
                return frames
    raise AssertionError(f"no {type_} frame")


async def next_frame(communicator, timeout: float = 5.0) -> dict:
    return await communicator.receive_json_from(timeout=timeout)
