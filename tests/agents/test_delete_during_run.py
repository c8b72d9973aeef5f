"""Deleting an app while its run works: the run is stopped first, then the app goes, quietly.

Against a fake provider on the real wire, streaming slowly, so the delete lands in the middle of a file.
"""

import asyncio
import logging

import pytest
from channels.db import database_sync_to_async

from agents import services
from agents.models import Agent, Event
from tests.agents.test_generation_on_real_wire import offline_responder
from tests.agents.ws import frames_until, open_socket
from tests.fake_llm import FakeLLMServer
from tests.support.agents import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(settings):
    with FakeLLMServer(flavor="openai", responder=offline_responder) as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, server.api_key
        settings.AUTO_DEPLOY_PREVIEW = False
        yield server


@database_sync_to_async
def _planned(user) -> Agent:
    agent = services.agent_create(owner=user, query="a todo list")
    services.agent_generate_blueprint(agent=agent)
    return agent


async def test_delete_during_generation_stops_the_run_and_closes_sockets_with_4404(provider, user, caplog):
    agent = await _planned(user)
    provider.chunk_delay = 0.05  # a file takes seconds to stream
    socket = await open_socket(agent.pk, user)
    await socket.receive_json_from(timeout=5)
    await socket.send_json_to({"type": "generate_all"})
    await frames_until(socket, "file_chunk_generated", timeout=30)
    calls_before = provider.calls

    caplog.set_level(logging.INFO)
    await database_sync_to_async(services.agent_delete)(agent=agent)

    frames = await frames_until(socket, "agent_deleted", timeout=15)
    types = [f["type"] for f in frames]
    assert "generation_stopped" in types  # the run was stopped before the app went
    assert types.index("generation_stopped") < types.index("agent_deleted")
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}
    assert not await Agent.objects.filter(pk=agent.pk).aexists()
    assert not await Event.objects.filter(agent_id=agent.pk).aexists()
    await asyncio.sleep(0)  # let the run's last log lines land
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert provider.calls == calls_before  # the call in flight was the last one


def test_delete_over_http_during_generation_answers_204_and_the_run_ends_quietly(provider, user, api_client, caplog):
    agent = services.agent_create(owner=user, query="a notes app")
    services.agent_generate_blueprint(agent=agent)
    provider.chunk_delay = 0.05
    services.agent_start_generation(agent=agent)
    wait_for(lambda: Event.objects.filter(agent=agent, type="file_generating").exists())

    caplog.set_level(logging.INFO)
    response = api_client.delete(f"/api/agent/{agent.pk}")

    assert response.status_code == 204
    assert not Agent.objects.filter(pk=agent.pk).exists()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
