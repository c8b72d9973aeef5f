"""Preview URLs are computed when read, for the reader's view of the server: never stored, never patched."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from agents.deployments import agent_deploy_preview
from agents.models import Agent, File
from tests.agents.ws import next_frame, session_cookie

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def previews_here(settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path / "previews"
    settings.PREVIEW_DOMAIN = "preview.localhost"
    settings.PREVIEW_SCHEME = "http"
    settings.PREVIEW_PORT = ""


def make_app(user) -> Agent:
    agent = Agent.objects.create(owner=user, query="a page", title="Page")
    File.objects.create(agent=agent, path="index.html", content="<p>hi</p>\n", sha256=File.digest("<p>hi</p>\n"))
    return agent


def test_a_preview_deployed_without_a_request_gets_the_port_of_whoever_reads_it(api_client, user):
    agent = make_app(user)
    deployment = agent_deploy_preview(agent=agent)  # as the pipeline does: no request, no port

    on_8123 = api_client.get(f"/api/agent/{agent.pk}/preview", HTTP_HOST="localhost:8123").json()["data"]
    on_80 = api_client.get(f"/api/agent/{agent.pk}", HTTP_HOST="localhost").json()["data"]

    assert on_8123["previewUrl"] == f"http://{deployment.id}.preview.localhost:8123/"
    assert on_80["preview"]["previewUrl"] == f"http://{deployment.id}.preview.localhost/"


def test_the_preview_port_setting_wins_over_the_request(api_client, user, settings):
    settings.PREVIEW_PORT = "9000"
    agent = make_app(user)
    deployment = agent_deploy_preview(agent=agent)

    data = api_client.get(f"/api/agent/{agent.pk}/preview", HTTP_HOST="localhost:8123").json()["data"]

    assert data["previewUrl"] == f"http://{deployment.id}.preview.localhost:9000/"


@pytest.mark.django_db(transaction=True)
async def test_the_socket_shows_the_preview_url_on_the_port_it_was_opened_on(user):
    from config.asgi import application

    agent = await database_sync_to_async(make_app)(user)
    headers = [
        (b"host", b"localhost:8555"),
        (b"origin", b"http://localhost:8555"),
        (b"cookie", await session_cookie(user)),
    ]
    communicator = WebsocketCommunicator(application, f"/api/agent/{agent.pk}/ws", headers=headers)
    try:
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        assert (await next_frame(communicator))["type"] == "agent_connected"

        deployment = await database_sync_to_async(agent_deploy_preview)(agent=agent)  # no request
        frames = [await next_frame(communicator) for _ in range(2)]
        assert [f["type"] for f in frames] == ["deployment_started", "deployment_completed"]
        assert frames[1]["previewUrl"] == f"http://{deployment.id}.preview.localhost:8555/"

        await communicator.send_json_to({"type": "get_state"})
        state = (await next_frame(communicator))["state"]
        assert state["preview"]["previewUrl"] == f"http://{deployment.id}.preview.localhost:8555/"
    finally:
        await communicator.disconnect()


def test_previews_imports_nothing_from_agents():
    for path in (ROOT / "previews").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not [n for n in names if n == "agents" or n.startswith("agents.")], path
