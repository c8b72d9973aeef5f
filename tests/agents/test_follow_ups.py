"""Follow-up requests that fail, and the circuit breaker, against a fake provider on the real wire.

A chat request whose phase cannot be planned fails in the conversation, once, with the reason and a way to
retry it (`retry_request`, `POST /api/agent/<id>/messages/<id>/retry`); the app stays as it was. No run
ever re-queues itself after a failure, and an agent never makes more than PROVIDER_CALLS_PER_HOUR calls.
"""

import pytest

from agents import services
from agents.models import Agent, AgentStatus, Event, Message, Phase
from config.errors import AtelierError
from tests.agents.test_generation_on_real_wire import offline_responder
from tests.fake_llm import FakeLLMServer, insufficient_quota, verbatim
from tests.support.agents import generate, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(settings):
    with FakeLLMServer(flavor="openai", responder=offline_responder) as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, server.api_key
        settings.AUTO_DEPLOY_PREVIEW = False
        yield server


def _complete_app(user) -> Agent:
    agent = services.agent_create(owner=user, query="a todo list")
    services.agent_generate_blueprint(agent=agent)
    generate(agent)
    assert agent.status == AgentStatus.COMPLETE, agent.error
    return agent


def _payloads(agent: Agent, type_: str) -> list[dict]:
    return list(Event.objects.filter(agent=agent, type=type_).order_by("seq").values_list("payload", flat=True))


def _idle(agent: Agent) -> Agent:
    wait_for(lambda: not Agent.objects.filter(pk=agent.pk).exclude(lease_owner="").exists())
    wait_for(lambda: not Agent.objects.filter(pk=agent.pk, status__in=["planning", "generating"]).exists())
    agent.refresh_from_db()
    return agent


def test_insufficient_quota_on_a_follow_up_fails_that_request_once(provider, user):
    agent = _complete_app(user)
    calls = provider.calls
    provider.script([verbatim("Sure: a dark mode it is.")])  # the chat reply still gets through
    provider.always = insufficient_quota()

    message = services.agent_user_suggestion(agent=agent, text="add a dark mode")
    wait_for(lambda: Message.objects.filter(pk=message.pk).exclude(error="").exists())
    agent = _idle(agent)

    assert provider.calls - calls == 2  # the reply and one planning call: nothing retried, nothing re-queued
    assert agent.status == AgentStatus.COMPLETE  # the app is as it was
    assert not agent.generation_requested
    [failed] = _payloads(agent, "request_failed")
    assert failed["code"] == "INSUFFICIENT_QUOTA"
    assert failed["messageIds"] == [message.pk]
    assert failed["retry"] == {"type": "retry_request", "messageId": message.pk}
    assert "no credit left" in failed["error"] and "Add credit" in failed["error"]
    message.refresh_from_db()
    assert (message.pending, message.error) == (False, failed["error"])
    assert not _payloads(agent, "error")


def test_a_follow_up_whose_reply_is_refused_fails_at_once_without_a_run(provider, user):
    agent = _complete_app(user)
    calls = provider.calls
    provider.always = insufficient_quota()

    with pytest.raises(AtelierError) as caught:
        services.agent_user_suggestion(agent=agent, text="add a dark mode")

    assert caught.value.code == "INSUFFICIENT_QUOTA"
    assert provider.calls - calls == 1
    message = Message.objects.filter(agent=agent, role="user").last()
    assert not message.pending and "no credit left" in message.error
    assert not Agent.objects.get(pk=agent.pk).generation_requested
    assert len(_payloads(agent, "request_failed")) == 1


def test_a_failed_request_is_retried_over_http_and_then_built(provider, user, api_client):
    agent = _complete_app(user)
    provider.script([verbatim("Sure.")])
    provider.always = insufficient_quota()
    message = services.agent_user_suggestion(agent=agent, text="add a dark mode")
    wait_for(lambda: Message.objects.filter(pk=message.pk).exclude(error="").exists())
    _idle(agent)

    provider.always = None  # credit added
    response = api_client.post(f"/api/agent/{agent.pk}/messages/{message.pk}/retry")

    assert response.status_code == 202, response.content
    assert response.json()["data"] == {"messageId": message.pk, "pending": True}
    wait_for(lambda: Phase.objects.filter(agent=agent, requests=["add a dark mode"], status="done").exists())
    agent = _idle(agent)
    assert agent.status == AgentStatus.COMPLETE
    message.refresh_from_db()
    assert (message.pending, message.error) == (False, "")


def test_retrying_a_request_that_did_not_fail_is_a_conflict(provider, user, api_client):
    agent = _complete_app(user)
    message = Message.objects.filter(agent=agent, role="user").first()

    response = api_client.post(f"/api/agent/{agent.pk}/messages/{message.pk}/retry")

    assert response.status_code == 409
    assert response.json()["error"]["type"] == "CONFLICT"


def test_the_circuit_breaker_caps_an_agents_calls_per_hour(provider, user, settings):
    settings.PROVIDER_CALLS_PER_HOUR = 3
    agent = services.agent_create(owner=user, query="a todo list")
    services.agent_generate_blueprint(agent=agent)  # call 1
    generate(agent)

    assert agent.status == AgentStatus.FAILED
    assert provider.calls == 3
    [error] = _payloads(agent, "error")
    assert error["code"] == "CALL_LIMIT"
    assert "ATELIER_PROVIDER_CALLS_PER_HOUR" in agent.error


async def test_retry_request_on_the_socket_needs_a_message_id(provider, user):
    from channels.db import database_sync_to_async

    from tests.agents.ws import open_socket

    agent = await database_sync_to_async(services.agent_create)(owner=user, query="a todo list")
    socket = await open_socket(agent.pk, user)
    await socket.receive_json_from(timeout=5)

    await socket.send_json_to({"type": "retry_request", "messageId": "7"})
    error = await socket.receive_json_from(timeout=5)
    await socket.send_json_to({"type": "retry_request", "messageId": 999999})
    missing = await socket.receive_json_from(timeout=5)

    await socket.disconnect()
    assert (error["type"], error["code"]) == ("error", "INVALID_INPUT")
    assert (missing["type"], missing["code"]) == ("error", "NOT_FOUND")
