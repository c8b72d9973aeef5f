"""VibeSDK's flow over the real wire: daphne on a free port, HTTP with urllib, the socket with `websockets`.

What the in-process flow (test_sdk_flow.py) cannot show: that a refused socket is an HTTP 403 on the
upgrade for a client without an Origin (VibeSDK's client then backs off instead of reconnecting at once),
and that the frames pass daphne as they are.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.browser import _running_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_db):  # noqa: F811
    with _running_server(tmp_path_factory.mktemp("atelier-vibesdk"), migrated_db, chunk_delay=0.001) as running:
        yield running


def _http(server, method: str, path: str, *, body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read().decode()


def _run_in_own_thread(coroutine) -> None:
    """The session's sync Playwright keeps an event loop running on the main thread: use a loop of our own."""
    failure: list[BaseException] = []

    def target():
        try:
            asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the test's thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def test_the_sdk_flow_over_daphne(server):
    _run_in_own_thread(_sdk_flow_over_daphne(server))


def test_refusals_on_the_upgrade(server):
    _run_in_own_thread(_refusals_on_the_upgrade(server))


def _sign_up(server, name: str) -> str:
    _, text = _http(server, "POST", "/api/auth/signup", body={"username": name, "password": "a-Strong-passw0rd"})
    return json.loads(text)["data"]["token"]


async def _refused_status(url: str, **options) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, **options):
            pass
    return refused.value.response.status_code


async def _frames_until(socket, kind: str, frames: list) -> dict:
    async with asyncio.timeout(90):
        while True:
            frame = json.loads(await socket.recv())
            frames.append(frame)
            if frame["type"] == kind:
                return frame


async def _sdk_flow_over_daphne(server):
    api_key = _sign_up(server, "sdk-wire")
    status, text = _http(server, "GET", "/api/auth/check", token=api_key)
    assert status == 200 and json.loads(text)["data"]["authenticated"] is True
    access = json.loads(_http(server, "POST", "/api/auth/exchange-api-key", token=api_key)[1])["data"]["accessToken"]

    _, stream = _http(
        server,
        "POST",
        "/api/agent",
        token=access,
        body={"query": "a hello world page", "behaviorType": "phasic", "projectType": "app"},
    )
    start = json.loads(stream.splitlines()[0])
    assert start["behaviorType"] == "phasic"
    ticket_body = {"resourceType": "agent", "resourceId": start["agentId"]}
    ticket = json.loads(_http(server, "POST", "/api/ws-ticket", token=access, body=ticket_body)[1])["data"]["ticket"]

    frames: list[dict] = []
    async with connect(f"{start['websocketUrl']}?ticket={ticket}", max_size=2**21) as socket:
        connected = json.loads(await socket.recv())
        assert connected["type"] == "agent_connected" and connected["state"]["behaviorType"] == "phasic"
        await socket.send(json.dumps({"type": "generate_all"}))
        await _frames_until(socket, "phase_validated", frames)
        await _frames_until(socket, "generation_complete", frames)
        completed = await _frames_until(socket, "deployment_completed", frames)
        assert completed["previewURL"].startswith("http://")
        assert completed["previewURL"] == completed["previewUrl"]

    # The same ticket again: refused on the upgrade, as VibeSDK refuses.
    assert await _refused_status(f"{start['websocketUrl']}?ticket={ticket}") == 403
    # A reconnect with a fresh ticket restores the files from the snapshot alone.
    ticket = json.loads(_http(server, "POST", "/api/ws-ticket", token=access, body=ticket_body)[1])["data"]["ticket"]
    async with connect(f"{start['websocketUrl']}?ticket={ticket}", max_size=2**21) as socket:
        state = json.loads(await socket.recv())["state"]
    written = {f["file"]["filePath"]: f["file"]["fileContents"] for f in frames if f["type"] == "file_generated"}
    assert {path: f["fileContents"] for path, f in state["generatedFilesMap"].items()} == written


async def _refusals_on_the_upgrade(server):
    api_key = _sign_up(server, "sdk-wire-2")
    _, stream = _http(server, "POST", "/api/agent", token=api_key, body={"query": "a counter"})
    start = json.loads(stream.splitlines()[0])
    url = start["websocketUrl"]
    # No ticket and no Origin; a made-up ticket; another port as Origin: all refused before the upgrade.
    assert await _refused_status(url) == 403
    assert await _refused_status(f"{url}?ticket=made-up") == 403
    other_port = server.url.rsplit(":", 1)[0] + ":1"
    assert await _refused_status(url, origin=other_port) == 403
