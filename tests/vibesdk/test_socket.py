"""VibeSDK's frames on the agent socket, beside Atelier's (G7–G10 and the smaller items of #16)."""

import base64
import io
import json

import pytest
from channels.db import database_sync_to_async
from PIL import Image as PILImage

from agents import services, vibesdk
from agents.models import Agent, Event, File, Image
from agents.payloads import agent_snapshot as agent_state
from tests.agents.ws import frames_until, next_frame, open_socket
from tests.support.agents import generate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture(autouse=True)
def _previews(settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path / "previews"


@pytest.fixture
def built(create_agent):
    agent = create_agent("a todo list")
    generate(agent)
    return agent


async def _ticket_socket(agent, user):
    ticket = await database_sync_to_async(services.ticket_issue)(user=user, agent=agent)
    return await open_socket(agent.pk, ticket=ticket, origin=None)


async def test_snapshot_carries_vibesdk_state_fields(built, user):
    socket = await _ticket_socket(built, user)
    frame = await next_frame(socket)
    state = frame["state"]
    files = await database_sync_to_async(lambda: dict(built.files.values_list("path", "content")))()
    assert {path: f["fileContents"] for path, f in state["generatedFilesMap"].items()} == files
    assert all(f["filePath"] == path for path, f in state["generatedFilesMap"].items())
    assert state["generatedFilesInline"] is True
    assert state["behaviorType"] == "phasic" and state["projectType"] == "app"
    assert state["projectName"] == built.blueprint["projectName"]
    assert state["shouldBeGenerating"] is False
    assert state["generatedPhases"] and all(p["completed"] for p in state["generatedPhases"])
    assert state["generatedPhases"][0]["files"] == state["phases"][0]["files"]
    assert state["previewUrl"].startswith("http://") and frame["previewUrl"] == state["previewUrl"]
    # Atelier's own fields are all still there.
    assert {"files", "phases", "status", "blueprint", "preview", "conversation"} <= set(state)
    await socket.disconnect()


def test_an_app_too_big_for_the_snapshot_sends_an_empty_files_map(built):
    File.objects.filter(agent=built, path="index.html").update(content="x" * (vibesdk.FILES_MAP_MAX_BYTES + 1))
    state = agent_state(Agent.objects.get(pk=built.pk))
    assert state["generatedFilesMap"] == {} and state["generatedFilesInline"] is False
    assert len(json.dumps(state["generatedFilesMap"])) < 10


def test_files_map_holds_only_complete_files():
    files = [
        {"filePath": "a.js", "fileContents": "1", "complete": True},
        {"filePath": "b.js", "fileContents": "", "complete": False},
    ]
    assert list(vibesdk.generated_files_map(files)) == ["a.js"]


def test_should_be_generating_follows_the_run():
    assert vibesdk.should_be_generating(status="generating", generation_requested=True)
    assert vibesdk.should_be_generating(status="planning", generation_requested=True)
    assert not vibesdk.should_be_generating(status="complete", generation_requested=False)
    assert not vibesdk.should_be_generating(status="stopped", generation_requested=True)


def test_every_phase_is_validated_before_it_is_implemented(built):
    types = list(Event.objects.filter(agent=built).order_by("seq").values_list("type", flat=True))
    phases = types.count("phase_implemented")
    assert phases >= 1 and types.count("phase_validating") == types.count("phase_validated") == phases
    previous = -1
    for index in (i for i, kind in enumerate(types) if kind == "phase_implemented"):
        between = types[previous + 1 : index]
        assert between.count("phase_validating") == between.count("phase_validated") == 1
        validating, validated = between.index("phase_validating"), between.index("phase_validated")
        # The check may have a failing file rewritten (between the two); no file changes once it is validated.
        assert validating < validated and "file_generated" not in between[validated:]
        previous = index


def test_phase_validated_names_its_phase(built):
    frames = Event.objects.filter(agent=built, type="phase_validated").values_list("payload", flat=True)
    names = set(
        Event.objects.filter(agent=built, type="phase_implemented").values_list("payload__phase__name", flat=True)
    )
    assert {f["phase"]["name"] for f in frames} == names and all(f["phase"]["files"] for f in frames)


async def test_deployment_completed_carries_preview_url_in_both_spellings(built, user):
    socket = await _ticket_socket(built, user)
    await next_frame(socket)
    await socket.send_json_to({"type": "preview"})
    frame = await frames_until(socket, "deployment_completed")
    assert frame[-1]["previewURL"] == frame[-1]["previewUrl"] and frame[-1]["previewURL"].startswith("http")
    await socket.disconnect()


async def test_conversation_state_carries_messages_and_vibesdk_state(built, user):
    socket = await _ticket_socket(built, user)
    await next_frame(socket)
    await socket.send_json_to({"type": "get_conversation_state"})
    frame = await next_frame(socket)
    assert frame["type"] == "conversation_state"
    assert frame["messages"][0]["text"] == "a todo list"
    history = frame["state"]["runningHistory"]
    assert history[0] == {"role": "user", "content": "a todo list", "conversationId": history[0]["conversationId"]}
    assert frame["state"]["fullHistory"] == history and frame["state"]["id"]
    await socket.disconnect()


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        ({"type": "session_init", "credentials": {"providers": {"openai": {"apiKey": "sk-secret"}}}}, "Settings"),
        ({"type": "deploy"}, "preview"),
    ],
)
async def test_session_init_and_deploy_get_a_clear_refusal_and_the_socket_stays_open(built, user, frame, words):
    socket = await _ticket_socket(built, user)
    await next_frame(socket)
    await socket.send_json_to(frame)
    error = await next_frame(socket)
    assert error["type"] == "error" and error["code"] == "NOT_SUPPORTED" and words in error["error"]
    assert "sk-secret" not in json.dumps(error)
    await socket.send_json_to({"type": "get_state"})
    assert (await next_frame(socket))["type"] == "agent_state"
    await socket.disconnect()


def _png_base64(size=(16, 16)) -> str:
    out = io.BytesIO()
    PILImage.new("RGB", size, (10, 120, 200)).save(out, format="PNG", optimize=False)
    return base64.b64encode(out.getvalue()).decode()


async def test_inline_images_on_user_suggestion_are_stored_like_uploads(built, user):
    socket = await _ticket_socket(built, user)
    await next_frame(socket)
    image = {"id": "a", "filename": "sketch.png", "mimeType": "image/png", "base64Data": _png_base64()}
    await socket.send_json_to({"type": "user_suggestion", "message": "match this sketch", "images": [image]})
    frames = await frames_until(socket, "user_message")
    stored = await database_sync_to_async(lambda: list(Image.objects.filter(agent=built)))()
    assert len(stored) == 1 and (stored[0].width, stored[0].height) == (16, 16)
    assert frames[-1]["imageIds"] == [str(stored[0].pk)]
    await frames_until(socket, "generation_complete")
    await socket.disconnect()


async def test_a_large_inline_image_frame_is_accepted_up_to_daphnes_cap(built, user):
    socket = await _ticket_socket(built, user)
    await next_frame(socket)
    noisy = PILImage.effect_noise((300, 300), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    data = base64.b64encode(out.getvalue()).decode()
    assert 64 * 1024 < len(data) < 1024 * 1024
    image = {"filename": "noise.png", "mimeType": "image/png", "base64Data": data}
    await socket.send_json_to({"type": "user_suggestion", "message": "use this texture", "images": [image]})
    assert (await frames_until(socket, "user_message"))[-1]["imageIds"]
    await frames_until(socket, "generation_complete")
    await socket.disconnect()


@pytest.mark.parametrize(
    ("images", "code"),
    [
        ([{"filename": "x.png", "base64Data": "%%%"}], "INVALID_INPUT"),
        ([{"filename": "x.png", "base64Data": base64.b64encode(b"<svg/>").decode()}], "INVALID_INPUT"),
        ([{"base64Data": "AA=="}] * 3, "INVALID_INPUT"),
        ("not a list", "INVALID_INPUT"),
    ],
)
async def test_bad_inline_images_get_an_error_and_no_message(built, user, images, code):
    socket = await _ticket_socket(built, user)
    await next_frame(socket)
    await socket.send_json_to({"type": "user_suggestion", "message": "like this", "images": images})
    error = await frames_until(socket, "error")
    assert error[-1]["code"] == code
    count = await database_sync_to_async(lambda: Event.objects.filter(agent=built, type="user_message").count())()
    assert count == 0
    await socket.disconnect()


async def test_a_big_frame_without_images_is_still_too_large(built, user):
    socket = await _ticket_socket(built, user)
    await next_frame(socket)
    await socket.send_to(text_data=json.dumps({"type": "user_suggestion", "message": "a" * 70_000}))
    assert (await next_frame(socket))["code"] == "FRAME_TOO_LARGE"
    await socket.send_to(text_data=json.dumps({"type": "get_state", "images": ["x" * 70_000]}))
    assert (await next_frame(socket))["code"] == "FRAME_TOO_LARGE"
    await socket.disconnect()


async def test_files_too_big_for_the_snapshot_follow_it_as_file_frames(built, user):
    from tests.vibesdk.sdk_model import SdkSession

    big = "/* padding */\n" * (vibesdk.FILES_MAP_MAX_BYTES // 14 + 1)
    huge = "x" * (vibesdk.FOLLOW_UP_MAX_BYTES + 1)
    await database_sync_to_async(
        lambda: (
            File.objects.filter(agent=built, path="styles.css").update(content=big),
            File.objects.filter(agent=built, path="app.js").update(content=huge),
        )
    )()
    files = await database_sync_to_async(lambda: dict(built.files.values_list("path", "content")))()
    socket = await _ticket_socket(built, user)
    session = SdkSession()
    session.apply(await next_frame(socket))
    assert session.files == {}
    for _ in range(len(files)):
        frame = await next_frame(socket)
        assert frame["type"] == "file_generated" and len(json.dumps(frame)) < 256 * 1024
        session.apply(frame)
    assert session.files == {path: text for path, text in files.items() if path != "app.js"}
    await socket.send_json_to({"type": "get_state"})
    assert (await next_frame(socket))["type"] == "agent_state"
    await socket.disconnect()


async def test_a_browser_socket_gets_no_file_follow_ups(built, user):
    await database_sync_to_async(
        lambda: File.objects.filter(agent=built, path="styles.css").update(
            content="x" * (vibesdk.FILES_MAP_MAX_BYTES + 1)
        )
    )()
    socket = await open_socket(built.pk, user)
    assert (await next_frame(socket))["type"] == "agent_connected"
    await socket.send_json_to({"type": "get_state"})
    assert (await next_frame(socket))["type"] == "agent_state"
    await socket.disconnect()
