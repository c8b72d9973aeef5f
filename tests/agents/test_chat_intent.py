"""A chat message becomes a phase only when the conversation model takes it for a change request."""

import json

import pytest

from agents import services
from agents.models import Agent, AgentStatus, Event, Message, MessageRole
from tests.support.agents import generate, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _idle(agent) -> bool:
    agent = Agent.objects.get(pk=agent.pk)
    return agent.status == AgentStatus.COMPLETE and not agent.lease_owner


def test_thanks_is_answered_and_queues_no_phase(create_agent):
    agent = create_agent("a counter app")
    generate(agent)
    phases, budget = agent.phases.count(), Agent.objects.get(pk=agent.pk).phase_budget

    message = services.agent_user_suggestion(agent=agent, text="thanks!")

    agent.refresh_from_db()
    assert not message.pending and not Message.objects.get(pk=message.pk).pending
    assert agent.phases.count() == phases and agent.phase_budget == budget
    assert not agent.generation_requested and agent.status == AgentStatus.COMPLETE
    reply = Event.objects.filter(agent=agent, type="conversation_response").last().payload
    assert reply["intent"] == "chat" and reply["message"].startswith("You're welcome")
    assert Message.objects.filter(agent=agent, role=MessageRole.ASSISTANT).last().text == reply["message"]


def test_a_change_request_is_queued_and_builds_a_phase(create_agent):
    agent = create_agent("a counter app")
    generate(agent)
    phases = agent.phases.count()

    services.agent_user_suggestion(agent=agent, text="make it dark")
    wait_for(lambda: _idle(agent))

    reply = Event.objects.filter(agent=agent, type="conversation_response", payload__has_key="intent").get().payload
    assert reply["intent"] == "change"
    assert agent.phases.count() == phases + 1
    assert agent.phases.order_by("-index").first().requests == ["make it dark"]


def _conversation_server(use_model, answer: str):
    return use_model("openai", lambda body: answer)


def test_a_real_models_chat_decision_queues_no_phase(create_agent, use_model):
    agent = create_agent("a counter app")
    generate(agent)
    _conversation_server(use_model, json.dumps({"intent": "chat", "reply": "It counts clicks, and keeps them."}))

    message = services.agent_user_suggestion(agent=agent, text="what does it do?")

    agent.refresh_from_db()
    assert not Message.objects.get(pk=message.pk).pending and not agent.generation_requested
    replies = [e.payload for e in Event.objects.filter(agent=agent, type="conversation_response")]
    # Streamed frames show the reply, never the JSON around it.
    assert all(not r["message"].lstrip().startswith("{") for r in replies)
    assert replies[-1]["message"] == "It counts clicks, and keeps them."


def test_a_real_model_answering_in_prose_is_taken_as_a_change_request(create_agent, use_model):
    agent = create_agent("a counter app")
    _conversation_server(use_model, "Sure, I'll make it dark.")
    budget = agent.phase_budget

    services.agent_user_suggestion(agent=agent, text="make it dark")

    reply = Event.objects.filter(agent=agent, type="conversation_response").last().payload
    assert reply == {**reply, "intent": "change", "message": "Sure, I'll make it dark."}
    assert Agent.objects.get(pk=agent.pk).phase_budget > budget  # queued: room made for its phase
    # The run it started fails on this server's answers; let it end before the test does.
    wait_for(lambda: not Agent.objects.get(pk=agent.pk).lease_owner)


def test_a_request_waiting_when_the_key_is_refused_is_answered_and_stays_queued(user, settings):
    from agents.models import MessageRole
    from tests.agents.test_generation_on_real_wire import offline_responder
    from tests.fake_llm import FakeLLMServer, Status

    with FakeLLMServer(flavor="openai", responder=offline_responder) as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, server.api_key
        agent = services.agent_create(owner=user, query="a counter app")
        services.agent_generate_blueprint(agent=agent)
        request = Message.objects.create(agent=agent, role=MessageRole.USER, text="make it dark", pending=True)
        server.always = Status(401, "Incorrect API key provided")

        generate(agent)

    assert agent.status == AgentStatus.FAILED
    request.refresh_from_db()
    assert request.pending and "Settings" in request.error
    answer = Message.objects.filter(agent=agent, role=MessageRole.ASSISTANT).last().text
    assert answer.startswith("I could not work on “make it dark”: ")
    assert "press Resume" in answer and server.api_key not in answer
