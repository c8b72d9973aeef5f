"""Helpers to drive the agent socket through the real ASGI application."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

ORIGIN = (b"origin", b"http://testserver")


@sync_to_async
def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def open_socket(
    agent_id, user=None, *, after: int | None = None, ticket: str | None = None, origin: tuple | None = ORIGIN
) -> WebsocketCommunicator:
    from config.asgi import application

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
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


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
