"""The run lifecycle (agents.lifecycle) driven the way clients drive it, against a fake provider on the real wire.

The fake server speaks the OpenAI protocol and answers as the offline model would, so every run here goes
through the official SDK, SSE parsing, the parser and the events exactly as with a hosted model.
"""

import pytest
from channels.db import database_sync_to_async

from agents import lifecycle, services
from agents.models import Agent, AgentStatus
from tests.agents.test_generation_on_real_wire import offline_responder
from tests.agents.ws import frames_until, open_socket
from tests.fake_llm import FakeLLMServer, Status
from tests.support.agents import files_of, generate, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(settings):
    """An OpenAI-compatible server answering as the offline model, configured as the server-wide default."""
    with FakeLLMServer(flavor="openai", responder=offline_responder) as server:
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_API_KEY = server.api_key
        settings.AUTO_DEPLOY_PREVIEW = False
        yield server


def _reference_files(user, query: str) -> dict[str, str]:
    agent = services.agent_create(owner=user, query=query)
    services.agent_generate_blueprint(agent=agent)
    generate(agent)
    assert agent.status == AgentStatus.COMPLETE, agent.error
    return files_of(agent)


@database_sync_to_async
def _new_agent_being_planned(user, query: str) -> Agent:
    agent = services.agent_create(owner=user, query=query)
    lifecycle.request_planning(agent_id=agent.pk)
    return agent


async def test_generate_all_sent_while_the_blueprint_is_written_produces_a_complete_app(provider, user):
    provider.chunk_delay = 0.02  # a blueprint that takes a while to stream
    agent = await _new_agent_being_planned(user, "a todo list")
    socket = await open_socket(agent.pk, user)
    connected = await socket.receive_json_from(timeout=5)
    assert connected["state"]["blueprint"] is None  # still planning

    await socket.send_json_to({"type": "generate_all"})
    frames = await frames_until(socket, "generation_complete", timeout=60)

    types = [f["type"] for f in frames]
    assert types.index("blueprint_generated") < types.index("generation_started") < types.index("generation_complete")
    await socket.disconnect()
    # The frame is handed to the layer just before its transaction commits.
    await database_sync_to_async(wait_for)(lambda: Agent.objects.filter(pk=agent.pk, status="complete").exists())
    agent = await Agent.objects.aget(pk=agent.pk)
    assert {"index.html", "app.js"} <= set(await database_sync_to_async(files_of)(agent))


async def test_stop_sent_while_the_blueprint_is_written_stops_the_run(provider, user):
    provider.chunk_delay = 0.05
    agent = await _new_agent_being_planned(user, "a notes app")
    socket = await open_socket(agent.pk, user)
    await socket.receive_json_from(timeout=5)
    await frames_until(socket, "blueprint_chunk", timeout=20)

    await socket.send_json_to({"type": "stop_generation"})
    frames = await frames_until(socket, "generation_stopped", timeout=10)

    assert "blueprint_generated" not in [f["type"] for f in frames]
    await socket.disconnect()
    agent = await Agent.objects.aget(pk=agent.pk)
    assert agent.status == AgentStatus.STOPPED
    assert agent.blueprint is None


def test_resuming_a_failed_run_clears_its_error(provider, user, api_client):
    agent = services.agent_create(owner=user, query="a counter")
    services.agent_generate_blueprint(agent=agent)
    provider.script([Status(401, "Incorrect API key provided")])
    generate(agent)
    assert agent.status == AgentStatus.FAILED
    assert api_client.get(f"/api/agent/{agent.pk}").json()["data"]["error"]

    services.agent_resume(agent=agent)
    wait_for(lambda: Agent.objects.filter(pk=agent.pk, status=AgentStatus.COMPLETE, lease_owner="").exists())

    body = api_client.get(f"/api/agent/{agent.pk}").json()["data"]
    assert body["status"] == "complete"
    assert body["error"] is None
