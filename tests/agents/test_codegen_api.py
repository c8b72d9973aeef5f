"""POST /api/agent/codegen and the agent HTTP endpoints (docs/architecture.md §8)."""

import io
import json
import time
import zipfile

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient
from PIL import Image as PILImage
from rest_framework.test import APIClient

from agents.models import Agent, Image
from config.ratelimits import wait_phrase
from tests.support.agents import generate

pytestmark = pytest.mark.django_db(transaction=True)


async def _lines(response) -> list[dict]:
    return [json.loads(line) async for line in _iter_lines(response)]


async def _iter_lines(response):
    buffer = b""
    async for part in response.streaming_content:
        buffer += part
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if line:
                yield line


def consume(response) -> bytes:
    """The whole NDJSON body of a streaming response from the sync test client."""

    async def collect():
        return b"".join([part async for part in response.streaming_content])

    return async_to_sync(collect)()


@pytest.fixture
async def aclient(user):
    client = AsyncClient()
    await client.aforce_login(user)
    return client


async def test_codegen_streams_start_chunks_and_blueprint(aclient):
    response = await aclient.post("/api/agent/codegen", {"query": "a todo list"}, content_type="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Cache-Control"] == "no-cache"
    lines = await _lines(response)
    start, *chunks, last = lines
    assert start["type"] == "start" and start["message"] == "Code generation started"
    agent_id = start["agentId"]
    assert start["websocketUrl"] == f"ws://testserver/api/agent/{agent_id}/ws"
    assert start["httpStatusUrl"] == f"http://testserver/api/agent/{agent_id}"
    assert start["template"]["name"] == "static-web"
    assert start["model"]["provider"] == "offline"
    assert chunks and all(c["type"] == "chunk" for c in chunks)
    assert last["type"] == "blueprint"
    assert json.loads("".join(c["chunk"] for c in chunks)) == {
        k: v for k, v in last["blueprint"].items() if k != "template"
    } | (
        {"template": json.loads("".join(c["chunk"] for c in chunks)).get("template")}
        if "template" in json.loads("".join(c["chunk"] for c in chunks))
        else {}
    )
    agent = await Agent.objects.aget(pk=agent_id)
    assert agent.blueprint == last["blueprint"]


async def test_first_line_arrives_before_the_blueprint_is_finished(aclient, settings):
    settings.OFFLINE_CHUNK_DELAY = 0.02
    response = await aclient.post("/api/agent/codegen", {"query": "a notes app"}, content_type="application/json")
    lines = _iter_lines(response)
    first = json.loads(await anext(lines))
    agent = await Agent.objects.aget(pk=first["agentId"])
    assert agent.blueprint is None  # still being written
    rest = [json.loads(line) async for line in lines]
    assert rest[-1]["type"] == "blueprint"
    assert [line["type"] for line in rest[:-1]] == ["chunk"] * (len(rest) - 1) and len(rest) > 2
    await agent.arefresh_from_db()
    assert agent.blueprint == rest[-1]["blueprint"]


async def test_client_that_walks_away_mid_stream_loses_nothing(aclient, settings):
    settings.OFFLINE_CHUNK_DELAY = 0.01
    response = await aclient.post("/api/agent/codegen", {"query": "a calculator"}, content_type="application/json")
    lines = _iter_lines(response)
    first = json.loads(await anext(lines))
    await lines.aclose()  # the client goes away
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        agent = await Agent.objects.aget(pk=first["agentId"])
        if agent.blueprint is not None:
            break
        await sync_to_async(time.sleep)(0.05)
    assert agent.blueprint["title"]
    assert await agent.phases.acount() == 1


def test_codegen_requires_authentication():
    response = APIClient().post("/api/agent/codegen", {"query": "x"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "UNAUTHORIZED"


def test_codegen_accepts_token_auth(user):
    from accounts.services import user_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {user_token(user=user)}")
    response = client.post("/api/agent/codegen", {"query": "a counter"}, format="json")
    assert response.status_code == 200
    assert b'"type": "blueprint"' in consume(response)


@pytest.mark.parametrize("query", ["", "   \n  "])
def test_codegen_refuses_empty_query(api_client, query):
    response = api_client.post("/api/agent/codegen", {"query": query}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "INVALID_INPUT"
    assert response.json()["error"]["message"].startswith("query")
    assert Agent.objects.count() == 0


def test_codegen_refuses_query_over_20000_chars_with_413(api_client):
    response = api_client.post("/api/agent/codegen", {"query": "x" * 20_001}, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "PAYLOAD_TOO_LARGE"


def test_codegen_accepts_exactly_20000_chars_after_trim(api_client):
    response = api_client.post("/api/agent/codegen", {"query": "  " + "x" * 20_000 + "  "}, format="json")
    assert response.status_code == 200
    consume(response)


def test_codegen_on_the_servers_key_is_rate_limited_per_user(api_client, settings, use_model):
    use_model("openai", lambda body: "not a blueprint")  # the server's key pays: the limit applies
    settings.CODEGEN_RATE = "2/h"
    for _ in range(2):
        response = api_client.post("/api/agent/codegen", {"query": "a counter"}, format="json")
        consume(response)
    response = api_client.post("/api/agent/codegen", {"query": "a counter"}, format="json")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["type"] == "RATE_LIMITED"
    assert error["details"]["limit"] == 2 and error["details"]["period_seconds"] == 3600
    assert response["Retry-After"] == str(error["details"]["retry_after_seconds"])
    wait = wait_phrase(error["details"]["retry_after_seconds"])
    assert error["message"] == f"You have created too many apps on this server's model for now. Try again in {wait}."
    assert Agent.objects.count() == 2


def test_codegen_on_the_offline_model_does_not_count_toward_the_limit(api_client, settings):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = settings.ANTHROPIC_API_KEY = ""
    settings.CODEGEN_RATE = "1/h"
    for _ in range(3):
        response = api_client.post("/api/agent/codegen", {"query": "a counter"}, format="json")
        assert response.status_code == 200
        consume(response)
    assert Agent.objects.count() == 3


def test_codegen_on_the_users_own_key_does_not_count_toward_the_limit(api_client, user, settings, use_model):
    from modelconfig.models import ProviderCredential

    server = use_model("openai", lambda body: "not a blueprint")
    credential = ProviderCredential(user=user, provider="openai", name="mine", base_url=server.base_url)
    credential.set_key(server.api_key)
    credential.save()
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    settings.CODEGEN_RATE = "1/h"
    for _ in range(3):
        response = api_client.post("/api/agent/codegen", {"query": "a counter"}, format="json")
        assert response.status_code == 200
        consume(response)
    assert Agent.objects.count() == 3


def _png(size=(32, 24), color=(200, 30, 30), fmt="PNG", **save) -> io.BytesIO:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, format=fmt, **save)
    buffer.seek(0)
    return buffer


def _upload(data: io.BytesIO, name: str, content_type: str = "image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data.getvalue(), content_type=content_type)


def test_codegen_with_images_stores_them_reencoded(api_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    exif = PILImage.Exif()
    exif[0x010F] = "SecretCam"
    jpeg = _png(fmt="JPEG", exif=exif.tobytes())
    response = api_client.post(
        "/api/agent/codegen",
        {"query": "an app like this sketch", "images": [_upload(_png(), "sketch.png"), _upload(jpeg, "shot.jpg")]},
        format="multipart",
    )
    assert response.status_code == 200
    consume(response)
    images = list(Image.objects.order_by("mime_type"))
    assert [i.mime_type for i in images] == ["image/jpeg", "image/png"]
    assert images[1].width == 32 and images[1].height == 24
    stored = images[0].file.read()
    assert b"SecretCam" not in stored
    assert images[0].agent_id is not None


def test_codegen_refuses_more_than_two_images(api_client):
    files = [_upload(_png(), f"{i}.png") for i in range(3)]
    response = api_client.post("/api/agent/codegen", {"query": "x", "images": files}, format="multipart")
    assert response.status_code == 400
    assert "at most 2" in response.json()["error"]["message"]


def test_image_refused_when_not_really_an_image_whatever_its_declared_type(api_client, planned):
    fake = io.BytesIO(b"<script>alert(1)</script>" * 10)
    response = api_client.post(
        f"/api/agent/{planned.pk}/images", {"images": [_upload(fake, "evil.png")]}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("evil.png:")


def test_gif_is_refused(api_client, planned):
    response = api_client.post(
        f"/api/agent/{planned.pk}/images",
        {"images": [_upload(_png(fmt="GIF"), "anim.gif", "image/gif")]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "PNG, JPEG or WebP" in response.json()["error"]["message"]


def test_decompression_bomb_is_refused(api_client, planned):
    bomb = io.BytesIO()
    PILImage.new("1", (8000, 6000)).save(bomb, format="PNG")  # 48 MP, a few KB
    bomb.seek(0)
    response = api_client.post(
        f"/api/agent/{planned.pk}/images", {"images": [_upload(bomb, "bomb.png")]}, format="multipart"
    )
    assert response.status_code == 413
    assert "too many pixels (8000×6000)" in response.json()["error"]["message"]


def test_image_over_10_mib_is_refused(api_client, planned):
    big = io.BytesIO(b"\x89PNG" + b"0" * (10 * 1024 * 1024 + 1))
    response = api_client.post(
        f"/api/agent/{planned.pk}/images", {"images": [_upload(big, "big.png")]}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith("big.png:")


def test_image_upload_returns_ids_for_chat(api_client, planned, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = _upload(_png((10, 20)), "a.png")
    response = api_client.post(f"/api/agent/{planned.pk}/images", {"images": [upload]}, format="multipart")
    assert response.status_code == 201
    (image,) = response.json()["data"]["images"]
    assert image["mimeType"] == "image/png" and image["width"] == 10 and image["height"] == 20


@pytest.fixture
def planned(create_agent):
    return create_agent("a counter")


def test_agent_detail_status_and_summary(api_client, planned):
    generate(planned)
    body = api_client.get(f"/api/agent/{planned.pk}").json()["data"]
    assert body["status"] == "complete"
    assert body["title"] == planned.blueprint["title"]
    assert all(p["status"] == "done" for p in body["phases"])
    assert {f["filePath"] for f in body["files"]} >= {"index.html", "styles.css", "app.js"}
    assert body["usage"]["tokensIn"] > 0
    assert body["model"]["provider"] == "offline"


def test_connect_returns_websocket_url_and_ticket(api_client, planned):
    body = api_client.get(f"/api/agent/{planned.pk}/connect").json()["data"]
    assert body["websocketUrl"] == f"ws://testserver/api/agent/{planned.pk}/ws"
    assert body["agentId"] == str(planned.pk)
    assert len(body["ticket"]) >= 32 and body["expiresIn"] == 60


def test_agents_list_is_paginated_newest_first(api_client, create_agent, make_user):
    first = create_agent("one", blueprint=False)
    second = create_agent("two", blueprint=False)
    create_agent("someone else's", owner=make_user("eve"), blueprint=False)
    body = api_client.get("/api/agents").json()["data"]
    assert body["count"] == 2
    assert [a["agentId"] for a in body["results"]] == [str(second.pk), str(first.pk)]


def test_file_and_export(api_client, planned):
    generate(planned)
    body = api_client.get(f"/api/agent/{planned.pk}/files/index.html").json()["data"]
    assert body["filePath"] == "index.html" and "<html" in body["fileContents"]
    assert api_client.get(f"/api/agent/{planned.pk}/files/nope.js").status_code == 404
    export = api_client.get(f"/api/agent/{planned.pk}/export")
    assert export["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert any(n.endswith("/index.html") for n in names)


@pytest.mark.parametrize("path", ["", "/connect", "/export", "/files/index.html"])
def test_another_users_agent_is_404_everywhere(planned, make_user, path):
    client = APIClient()
    client.force_authenticate(make_user("mallory"))
    response = client.get(f"/api/agent/{planned.pk}{path}")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "NOT_FOUND"


def test_another_users_agent_images_is_404(planned, make_user):
    client = APIClient()
    client.force_authenticate(make_user("mallory"))
    response = client.post(
        f"/api/agent/{planned.pk}/images", {"images": [_upload(_png(), "a.png")]}, format="multipart"
    )
    assert response.status_code == 404


def test_delete_agent(api_client, planned):
    assert api_client.delete(f"/api/agent/{planned.pk}").status_code == 204
    assert not Agent.objects.filter(pk=planned.pk).exists()


def test_usage_per_day(api_client, planned):
    generate(planned)
    body = api_client.get("/api/usage").json()["data"]
    assert body["totals"]["calls"] >= 4
    assert body["days"][0]["tokensIn"] > 0


def test_usage_on_the_offline_model_is_shown_as_free(api_client, planned):
    generate(planned)
    totals = api_client.get("/api/usage").json()["data"]["totals"]

    assert totals["freeTokensIn"] == totals["tokensIn"] > 0
    assert totals["freeTokensOut"] == totals["tokensOut"] > 0


def test_codegen_honours_accept_ndjson(api_client):
    response = api_client.post(
        "/api/agent/codegen", {"query": "a counter"}, format="json", HTTP_ACCEPT="application/x-ndjson"
    )
    assert response.status_code == 200
    assert b'"type": "blueprint"' in consume(response)


def test_codegen_refusal_with_accept_ndjson_is_one_json_line(api_client):
    response = api_client.post("/api/agent/codegen", {"query": ""}, format="json", HTTP_ACCEPT="application/x-ndjson")
    assert response.status_code == 400
    assert response.content.endswith(b"\n")
    assert json.loads(response.content)["error"]["type"] == "INVALID_INPUT"


def test_automatic_preview_uses_the_port_the_app_was_created_on(api_client, settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path
    settings.PREVIEW_PORT = ""
    response = api_client.post("/api/agent/codegen", {"query": "a counter"}, format="json", HTTP_HOST="localhost:8123")
    consume(response)
    agent = Agent.objects.get()
    generate(agent)
    preview = api_client.get(f"/api/agent/{agent.pk}/preview", HTTP_HOST="localhost:8123").json()["data"]
    assert preview["previewUrl"].endswith(".preview.localhost:8123/")
    assert preview["error"] is None
