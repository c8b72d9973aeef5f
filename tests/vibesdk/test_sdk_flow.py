"""VibeSDK's own integration flow (sdk/test/integration/test-flow.ts), step by step, against Atelier.

The same requests the SDK makes, in the same order, with only what the SDK sends: an API key exchanged for
a Bearer access token, `POST /api/agent`, a ticket from `POST /api/ws-ticket` before every connect, a socket
with no Origin header and no `?after`. What the SDK would make of the frames is `SdkSession` (sdk_model.py).
Then what the integration flow leaves out and real use needs: a follow-up, a file comparison over HTTP and
a reconnect that must restore the SDK's workspace from the snapshot alone.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import pytest
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient

from accounts import services as account_services
from tests.agents import ws
from tests.vibesdk.sdk_model import SdkSession

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

PROMPT = "Build a simple hello world page with a title and welcome message"


@pytest.fixture(autouse=True)
def _previews(settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path / "previews"


class SdkClient:
    """VibeSDK's HttpClient and BuildSession.connect(), over Django's ASGI test client and Channels."""

    def __init__(self, api_key: str):
        self.api_key = api_key
        self.http = AsyncClient()
        self.access_token: str | None = None

    async def exchange(self) -> dict:
        response = await self.http.post(
            "/api/auth/exchange-api-key", headers={"authorization": f"Bearer {self.api_key}"}
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["success"] is True
        self.access_token = body["data"]["accessToken"]
        return body["data"]

    def _auth(self) -> dict:
        return {"authorization": f"Bearer {self.access_token}"}

    async def get_json(self, path: str) -> dict:
        response = await self.http.get(path, headers=self._auth())
        assert response.status_code == 200, (path, response.content)
        return response.json()

    async def post_json(self, path: str, body: dict) -> dict:
        response = await self.http.post(path, json.dumps(body), content_type="application/json", headers=self._auth())
        assert response.status_code == 200, (path, response.content)
        return response.json()

    async def build(self, prompt: str, **options) -> tuple[dict, list[str]]:
        """client.build(): the first NDJSON object is the start event; later `chunk` strings are the blueprint."""
        body = {"query": prompt, "behaviorType": "phasic", **options}
        response = await self.http.post(
            "/api/agent", json.dumps(body), content_type="application/json", headers=self._auth()
        )
        assert response.status_code == 200, response.content
        raw = b"".join([part async for part in response.streaming_content])
        objects = [json.loads(line) for line in raw.decode().split("\n") if line.strip()]
        start, rest = objects[0], objects[1:]
        return start, [o["chunk"] for o in rest if isinstance(o.get("chunk"), str)]

    async def ticket(self, agent_id: str) -> str:
        body = await self.post_json("/api/ws-ticket", {"resourceType": "agent", "resourceId": agent_id})
        assert body["success"] is True and set(body["data"]) >= {"ticket", "expiresIn", "expiresAt"}
        return body["data"]["ticket"]

    async def connect(self, websocket_url: str, agent_id: str) -> SdkSocket:
        ticket = await self.ticket(agent_id)
        return await SdkSocket.open(websocket_url, ticket)


class SdkSocket:
    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator
        self.session = SdkSession()

    @classmethod
    async def open(cls, websocket_url: str, ticket: str) -> SdkSocket:
        parts = urlsplit(websocket_url)
        sep = "&" if parts.query else "?"
        path = f"{parts.path}{'?' + parts.query if parts.query else ''}{sep}ticket={ticket}"
        # The SDK's WebSocket sends no Origin header (and no cookie).
        communicator = ws.communicator(path, [(b"host", parts.netloc.encode())])
        connected, _ = await communicator.connect(timeout=5)
        assert connected, "the ticket socket was refused"
        socket = cls(communicator)
        # BuildSession.connect(): on open, ask for the conversation state.
        await socket.send({"type": "get_conversation_state"})
        return socket

    async def send(self, frame: dict) -> None:
        await self.communicator.send_json_to(frame)

    async def wait_for(self, predicate, timeout: float = 60.0) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.communicator.receive_json_from(timeout=timeout)
                self.session.apply(frame)
                if predicate(frame):
                    return frame

    async def wait_type(self, kind: str, timeout: float = 60.0) -> dict:
        return await self.wait_for(lambda f: f["type"] == kind, timeout)

    async def wait_until_seen(self, kind: str, *, after: str | None = None) -> None:
        """Until a `kind` frame has arrived (after the last `after` frame), now or earlier."""
        seen = self.session.seen
        start = len(seen) - seen[::-1].index(after) if after in seen else 0
        if kind not in seen[start:]:
            await self.wait_type(kind)

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
def api_key(user):
    return account_services.user_token(user=user)


async def test_auth_flow(api_key):
    client = SdkClient(api_key)
    # auth_check: Bearer with the API key itself, must be 200.
    check = await client.http.get("/api/auth/check", headers={"authorization": f"Bearer {api_key}"})
    assert check.status_code == 200 and check.json()["data"]["authenticated"] is True
    # token_exchange via client.apps.listRecent().
    await client.exchange()
    recent = await client.get_json("/api/apps/recent")
    assert recent["success"] is True and recent["data"]["apps"] == []


async def test_full_build_flow_then_follow_up_and_reconnect(api_key):
    client = SdkClient(api_key)
    await client.exchange()

    # start_build
    start, chunks = await client.build(PROMPT, projectType="app")
    agent_id = start["agentId"]
    assert start["behaviorType"] == "phasic" and start["projectType"] == "app"
    assert start["websocketUrl"].endswith(f"/api/agent/{agent_id}/ws") and chunks

    # websocket_connected, then session.startGeneration()
    socket = await client.connect(start["websocketUrl"], agent_id)
    connected = await socket.wait_type("agent_connected")
    assert connected["state"]["behaviorType"] == "phasic"
    await socket.send({"type": "generate_all"})

    # generation_started, phase_implementing, files_generated, phase_validated (deployable), phase_implemented
    started = await socket.wait_type("generation_started")
    assert started["totalFiles"] > 0
    implementing = await socket.wait_type("phase_implementing")
    assert implementing["phase"]["name"]
    await socket.wait_type("file_generated")
    assert socket.session.files, "the SDK's workspace is empty after file_generated"
    validated = await socket.wait_type("phase_validated")
    assert validated["phase"]["name"] == implementing["phase"]["name"]
    seen = socket.session.seen
    assert seen.index("phase_validating") < seen.index("phase_validated")
    await socket.wait_type("phase_implemented")

    # deployable
    assert socket.session.files

    # get_preview: no preview URL yet, so session.deployPreview() and wait for deployment_completed
    if not socket.session.preview_url:
        await socket.send({"type": "preview"})
        completed = await socket.wait_type("deployment_completed")
        assert completed["previewURL"].startswith("http")
    assert socket.session.preview_url.startswith("http")
    # The run ends with generation_complete, then its automatic deployment (either may be seen already).
    await socket.wait_until_seen("generation_complete")
    await socket.wait_until_seen("deployment_completed", after="generation_complete")

    # A follow-up (session.followUp), answered, then built into a new phase.
    await socket.send({"type": "user_suggestion", "message": "make it dark"})
    reply = await socket.wait_for(lambda f: f["type"] == "conversation_response" and not f["isStreaming"])
    assert reply["message"]
    await socket.wait_type("generation_complete")
    await socket.wait_type("deployment_completed")
    await socket.send({"type": "get_conversation_state"})
    await socket.wait_type("conversation_state")
    history = socket.session.conversation_state["runningHistory"]
    assert [m["content"] for m in history if m["role"] == "user"][-1] == "make it dark"

    # The SDK's files are the app's files (compared over HTTP, client.apps.get).
    details = (await client.get_json(f"/api/apps/{agent_id}"))["data"]
    served = {f["filePath"]: f["fileContents"] for f in details["agentSummary"]["generatedCode"]}
    assert socket.session.files == served
    live_files, live_preview = dict(socket.session.files), socket.session.preview_url
    assert details["previewUrl"] == live_preview
    await socket.close()

    # A reconnect: a fresh ticket, a fresh socket, the workspace rebuilt from agent_connected alone.
    again = await client.connect(start["websocketUrl"], agent_id)
    await again.wait_type("agent_connected")
    session = again.session
    assert session.files == live_files
    assert session.preview_url == live_preview
    assert session.state_fields["behaviorType"] == "phasic" and session.state_fields["projectType"] == "app"
    assert session.state_fields["query"] == PROMPT and session.state_fields["projectName"]
    assert session.state_fields["shouldBeGenerating"] is False
    assert session.phases and all(p["status"] == "completed" for p in session.phases)
    await again.wait_type("conversation_state")
    assert session.conversation_state["runningHistory"]
    await again.close()

    # client.apps: the app is listed, then deleted.
    apps = (await client.get_json("/api/apps"))["data"]["apps"]
    assert [a["id"] for a in apps] == [agent_id] and apps[0]["status"] == "completed"
    deleted = await client.http.delete(f"/api/apps/{agent_id}", headers=client._auth())
    assert deleted.status_code == 200 and deleted.json()["data"]["success"] is True
    assert (await client.get_json("/api/apps"))["data"]["apps"] == []
