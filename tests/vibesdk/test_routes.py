"""VibeSDK's HTTP routes beside Atelier's: POST /api/agent (G4), POST /api/ws-ticket (G5), /api/apps (G3)."""

import base64
import io
import json

import pytest
from asgiref.sync import async_to_sync
from PIL import Image as PILImage
from rest_framework.test import APIClient

from accounts import services as account_services
from agents.models import Agent, Image
from tests.support.agents import generate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bearer(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {account_services.user_token(user=user)}")
    return client


def _lines(response) -> list[dict]:
    async def collect():
        return b"".join([part async for part in response.streaming_content])

    return [json.loads(line) for line in async_to_sync(collect)().decode().splitlines() if line.strip()]


def _png_base64(size=(8, 8)) -> str:
    out = io.BytesIO()
    PILImage.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_post_api_agent_streams_the_codegen_lines_with_vibesdk_start_fields(bearer):
    response = bearer.post(
        "/api/agent",
        {
            "query": "a todo list",
            "behaviorType": "phasic",
            "projectType": "app",
            "language": "typescript",
            "frameworks": ["react"],
        },
        format="json",
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
    start, *rest = _lines(response)
    assert start["type"] == "start" and start["behaviorType"] == "phasic" and start["projectType"] == "app"
    assert Agent.objects.filter(pk=start["agentId"]).exists()
    assert rest[-1]["type"] == "blueprint"


def test_atelier_codegen_start_line_also_says_phasic(bearer):
    start = _lines(bearer.post("/api/agent/codegen", {"query": "a todo list"}, format="json"))[0]
    assert start["behaviorType"] == "phasic" and start["projectType"] == "app"


def test_post_api_agent_reads_selected_template(bearer):
    start = _lines(bearer.post("/api/agent", {"query": "a counter", "selectedTemplate": "static-web"}, format="json"))[
        0
    ]
    assert start["template"]["name"] == "static-web"
    assert Agent.objects.get(pk=start["agentId"]).template_name == "static-web"


def test_post_api_agent_stores_inline_images_like_uploads(bearer):
    image = {"id": "i1", "filename": "sketch.png", "mimeType": "image/png", "base64Data": _png_base64()}
    start = _lines(bearer.post("/api/agent", {"query": "an app like this sketch", "images": [image]}, format="json"))[0]
    stored = Image.objects.get(agent_id=start["agentId"])
    assert (stored.mime_type, stored.width, stored.height) == ("image/png", 8, 8)


@pytest.mark.parametrize(
    ("images", "status"),
    [
        ([{"filename": "x.png", "mimeType": "image/png", "base64Data": "not base64!"}], 400),
        (
            [
                {
                    "filename": "x.png",
                    "mimeType": "image/png",
                    "base64Data": base64.b64encode(b"GIF89a not really").decode(),
                }
            ],
            400,
        ),
        ([{"filename": "x.png"}], 400),
        ([{"filename": "big.png", "mimeType": "image/png", "base64Data": "A" * (14 * 1024 * 1024)}], 413),
    ],
)
def test_post_api_agent_refuses_bad_inline_images_without_creating_an_app(bearer, images, status):
    response = bearer.post("/api/agent", {"query": "a todo list", "images": images}, format="json")
    assert response.status_code == status
    assert response.json()["success"] is False
    assert not Agent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"projectType": "workflow"},
        {"behaviorType": "agentic"},
        {"credentials": {"providers": {"openai": {"apiKey": "sk-x"}}}},
    ],
)
def test_post_api_agent_refuses_what_atelier_does_not_do(bearer, body):
    response = bearer.post("/api/agent", {"query": "a todo list", **body}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "INVALID_INPUT"
    assert "sk-x" not in response.content.decode()


def test_post_api_agent_needs_auth():
    assert APIClient().post("/api/agent", {"query": "x"}, format="json").status_code == 401


def test_ws_ticket_for_own_agent(bearer, create_agent):
    agent = create_agent(blueprint=False)
    response = bearer.post("/api/ws-ticket", {"resourceType": "agent", "resourceId": str(agent.pk)}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["ticket"] and data["expiresIn"] == 60 and data["expiresAt"]
    assert data["websocketUrl"].endswith(f"/api/agent/{agent.pk}/ws")


def test_ws_ticket_for_another_users_agent_is_404(bearer, create_agent, make_user):
    theirs = create_agent(owner=make_user("mallory"), blueprint=False)
    response = bearer.post("/api/ws-ticket", {"resourceType": "agent", "resourceId": str(theirs.pk)}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"resourceType": "vault"}, {"resourceType": "agent"}, {"resourceType": "agent", "resourceId": "not-a-uuid"}],
)
def test_ws_ticket_refuses_bad_requests(bearer, body):
    assert bearer.post("/api/ws-ticket", body, format="json").status_code in (400, 404)


def test_ws_ticket_needs_auth(create_agent):
    agent = create_agent(blueprint=False)
    body = {"resourceType": "agent", "resourceId": str(agent.pk)}
    assert APIClient().post("/api/ws-ticket", body, format="json").status_code == 401


def test_apps_lists_own_apps_newest_first_in_vibesdk_shape(bearer, create_agent, make_user):
    older, newer = create_agent("a todo list", blueprint=False), create_agent("a counter", blueprint=False)
    create_agent("someone else's", owner=make_user("mallory"), blueprint=False)
    apps = bearer.get("/api/apps").json()["data"]["apps"]
    assert [a["id"] for a in apps] == [str(newer.pk), str(older.pk)]
    assert apps[0]["originalPrompt"] == "a counter" and apps[0]["status"] == "generating"
    assert {"title", "visibility", "isFavorite", "createdAt", "updatedAtFormatted", "previewUrl"} <= set(apps[0])


def test_apps_recent_is_the_last_ten(bearer, create_agent):
    for i in range(12):
        create_agent(f"app {i}", blueprint=False)
    apps = bearer.get("/api/apps/recent").json()["data"]["apps"]
    assert [a["originalPrompt"] for a in apps] == [f"app {i}" for i in range(11, 1, -1)]


def test_paginated_agents_list_is_unchanged(bearer, create_agent):
    create_agent(blueprint=False)
    body = bearer.get("/api/agents").json()
    assert body["success"] is True and "count" in json.dumps(body)


def test_app_details_carry_the_files_and_preview(bearer, create_agent, settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path
    agent = create_agent("a todo list")
    generate(agent)
    data = bearer.get(f"/api/apps/{agent.pk}").json()["data"]
    assert data["status"] == "completed" and data["behaviorType"] == "phasic"
    files = {f["filePath"]: f["fileContents"] for f in data["agentSummary"]["generatedCode"]}
    assert files == dict(agent.files.filter(complete=True).values_list("path", "content"))
    assert data["previewUrl"].startswith("http://") and data["deploymentId"]


@pytest.mark.parametrize("method", ["get", "delete"])
def test_another_users_app_is_404(bearer, create_agent, make_user, method):
    theirs = create_agent(owner=make_user("mallory"), blueprint=False)
    assert getattr(bearer, method)(f"/api/apps/{theirs.pk}").status_code == 404
    assert getattr(bearer, method)("/api/apps/not-a-uuid").status_code == 404
    assert Agent.objects.filter(pk=theirs.pk).exists()


def test_delete_app(bearer, create_agent):
    agent = create_agent(blueprint=False)
    response = bearer.delete(f"/api/apps/{agent.pk}")
    assert response.status_code == 200 and response.json()["data"] == {"success": True, "message": "App deleted."}
    assert not Agent.objects.filter(pk=agent.pk).exists()
