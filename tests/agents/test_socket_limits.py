"""Socket commands that cost money or disk are limited like their HTTP twins; invalid frames cost nothing."""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from agents.models import Agent, File
from tests.agents.ws import frames_until, next_frame, open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def deployable_agent(user, settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path / "previews"
    agent = Agent.objects.create(owner=user, query="A greeting", title="Hello")
    File.objects.create(agent=agent, path="index.html", content="<p>hi</p>\n", sha256=File.digest("<p>hi</p>\n"))
    return agent


@sync_to_async
def http_deploy(user, agent) -> int:
    client = APIClient()
    client.force_authenticate(user)
    return client.post(f"/api/agent/{agent.pk}/deploy-preview").status_code


async def test_socket_preview_shares_the_http_deploy_limit(deployable_agent, user, settings):
    settings.DEPLOY_RATE = "3/h"
    communicator = await open_socket(deployable_agent.pk, user)
    await next_frame(communicator)
    assert await http_deploy(user, deployable_agent) == 202
    for _ in range(2):
        await communicator.send_json_to({"type": "preview"})
        await frames_until(communicator, "deployment_completed")
    await communicator.send_json_to({"type": "preview"})
    refused = await frames_until(communicator, "rate_limit_error")
    assert refused[-1]["error"]["limit"] == 3
    assert await http_deploy(user, deployable_agent) == 429
    await communicator.disconnect()


INVALID_SUGGESTIONS = [
    {"type": "user_suggestion", "message": ""},
    {"type": "user_suggestion", "message": "   "},
    {"type": "user_suggestion", "message": "x" * 20_001},
    {"type": "user_suggestion", "message": 42},
    {"type": "user_suggestion"},
    {"type": "user_suggestion", "message": "hi", "imageIds": "not-a-list"},
]


async def test_invalid_user_suggestions_are_error_frames_and_cost_no_llm_quota(create_agent, user, settings):
    settings.LLM_RATE = "1/d"
    agent = await database_sync_to_async(create_agent)("a todo list")
    communicator = await open_socket(agent.pk, user)
    await next_frame(communicator)
    for frame in INVALID_SUGGESTIONS:
        await communicator.send_json_to(frame)
        error = await next_frame(communicator)
        assert (error["type"], error["code"]) == ("error", "INVALID_INPUT"), frame
    # The day's one model request is still there.
    await communicator.send_json_to({"type": "generate_all"})
    frames = await frames_until(communicator, "generation_complete")
    assert not [f for f in frames if f["type"] == "rate_limit_error"]
    await communicator.disconnect()
