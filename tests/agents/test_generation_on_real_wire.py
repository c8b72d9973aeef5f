"""A whole generation through the real provider SDKs and HTTP, against a local fake server.

The fake server speaks the OpenAI (SSE streaming) and Anthropic wire protocols; what it says comes from
the offline model reading the same prompts, so the answers are realistic and the parser, validation and
events run exactly as they would on a hosted model.
"""

import functools

import pytest

from agents import prompts, services
from agents.models import AgentStatus, UsageRecord
from agents.offline_model.client import answer_for
from modelconfig.providers.base import ChatMessage
from tests.fake_llm import FakeLLMServer
from tests.support.agents import files_of, generate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def create_agent(create_agent):
    """Planning is part of the generation on the wire: agents are planned by the model, not made by a factory."""
    return functools.partial(create_agent, run_planning=True)


ACTION_BY_SYSTEM_PROMPT = {
    prompts.BLUEPRINT_SYSTEM: "blueprint",
    prompts.PHASE_PLAN_SYSTEM: "phase_generation",
    prompts.PHASE_IMPLEMENTATION_SYSTEM: "phase_implementation",
    prompts.FILE_REGENERATION_SYSTEM: "file_regeneration",
    prompts.CODE_REVIEW_SYSTEM: "code_review",
    prompts.CONVERSATION_SYSTEM: "conversation",
}


def _text(content) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def offline_responder(body: dict) -> str:
    """Answer an OpenAI or Anthropic request body as the offline model would."""
    messages = (
        [
            ChatMessage(
                role="system",
                content=body["system"] if isinstance(body.get("system"), str) else _text(body.get("system", [])),
            )
        ]
        if "system" in body
        else []
    )
    for message in body["messages"]:
        messages.append(ChatMessage(role=message["role"], content=_text(message["content"])))
    action = ACTION_BY_SYSTEM_PROMPT[messages[0].content]
    return answer_for(action, messages)


@pytest.fixture
def openai_server():
    with FakeLLMServer(flavor="openai", responder=offline_responder) as server:
        yield server


@pytest.fixture
def anthropic_server():
    with FakeLLMServer(flavor="anthropic", responder=offline_responder) as server:
        yield server


def test_generation_runs_end_to_end_on_an_openai_compatible_server(settings, openai_server, create_agent):
    settings.OPENAI_BASE_URL = openai_server.base_url
    settings.OPENAI_API_KEY = openai_server.settings().api_key
    settings.OPENAI_MODEL = "llama3.1:8b"

    agent = create_agent("a todo list")
    outcome = generate(agent)

    assert outcome.status == "complete", agent.error
    assert agent.status == AgentStatus.COMPLETE
    assert {"index.html", "styles.css", "app.js"} <= set(files_of(agent))
    paths = {r.path for r in openai_server.requests}
    assert paths == {"/v1/chat/completions"}
    assert {r.model for r in openai_server.requests} == {"llama3.1:8b"}
    assert all(r.json["stream"] is True for r in openai_server.requests)
    usage = UsageRecord.objects.filter(agent=agent, provider="openai")
    assert usage.count() == len(openai_server.requests)
    assert all(u.tokens_out > 0 for u in usage)


def test_generation_runs_end_to_end_on_anthropic(settings, anthropic_server, create_agent):
    settings.ANTHROPIC_BASE_URL = anthropic_server.base_url
    settings.ANTHROPIC_API_KEY = anthropic_server.settings().api_key
    settings.ANTHROPIC_MODEL = "claude-test"

    agent = create_agent("a calculator")
    assert generate(agent).status == "complete", agent.error
    assert "app.js" in files_of(agent)
    assert {r.path for r in anthropic_server.requests} == {"/v1/messages"}


def test_provider_failure_mid_generation_fails_clearly_without_the_key(settings, openai_server, create_agent):
    from agents.models import Event
    from tests.fake_llm import Status

    settings.OPENAI_BASE_URL = openai_server.base_url
    settings.OPENAI_API_KEY = openai_server.settings().api_key
    settings.LLM_MAX_RETRIES = 0
    agent = create_agent("a notes app")
    openai_server.script([Status(500, message="The model is overloaded")] * 4)

    outcome = generate(agent)

    assert outcome.status == "failed"
    assert agent.status == AgentStatus.FAILED
    error = Event.objects.filter(agent=agent, type="error").last().payload
    assert error["code"] == "PROVIDER_UNAVAILABLE"  # retryable, retried by the run until the attempts ran out
    assert "overloaded" in error["error"] and "Gave up after 4 attempts" in error["error"]
    assert settings.OPENAI_API_KEY not in error["error"]


def test_chat_reply_comes_from_the_configured_provider(settings, openai_server, create_agent):
    settings.OPENAI_BASE_URL = openai_server.base_url
    settings.OPENAI_API_KEY = openai_server.settings().api_key
    agent = create_agent("a counter")
    generate(agent)
    before = len(openai_server.requests)
    services.agent_reply(agent=agent, history=[], text="make it dark", images=[])
    assert len(openai_server.requests) == before + 1


def test_key_never_appears_in_events_logs_or_responses_during_a_run(
    settings, openai_server, create_agent, caplog, api_client
):
    import json
    import logging

    from agents.models import Event

    key = "sk-live-THIS-IS-SECRET-1234567890"
    openai_server.expected_key = key
    settings.OPENAI_BASE_URL = openai_server.base_url
    settings.OPENAI_API_KEY = key
    caplog.set_level(logging.DEBUG)

    agent = create_agent("an expense tracker")
    assert generate(agent).status == "complete"
    services.agent_reply(agent=agent, history=[], text="make it green", images=[])

    bodies = [
        api_client.get(f"/api/agent/{agent.pk}").content,
        api_client.get("/api/model-configs").content,
        api_client.get("/api/usage").content,
    ]
    events = json.dumps(list(Event.objects.filter(agent=agent).values_list("payload", flat=True)))
    assert all(r.headers.get("authorization") == f"Bearer {key}" for r in openai_server.requests)
    assert key not in caplog.text
    assert key not in events
    assert all(key.encode() not in body for body in bodies)


def test_attached_images_reach_the_model_as_image_inputs(settings, openai_server, api_client, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image as PILImage

    from agents.models import Agent
    from tests.agents.test_codegen_api import consume

    settings.MEDIA_ROOT = tmp_path
    settings.OPENAI_BASE_URL = openai_server.base_url
    settings.OPENAI_API_KEY = openai_server.settings().api_key
    buffer = io.BytesIO()
    PILImage.new("RGB", (16, 16), (0, 128, 255)).save(buffer, format="PNG")
    sketch = SimpleUploadedFile("sketch.png", buffer.getvalue(), content_type="image/png")

    response = api_client.post(
        "/api/agent/codegen", {"query": "an app like this sketch", "images": [sketch]}, format="multipart"
    )
    consume(response)

    blueprint_request = openai_server.requests[0].json
    user_parts = blueprint_request["messages"][-1]["content"]
    images = [p for p in user_parts if p.get("type") == "image_url"]
    assert len(images) == 1 and images[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert Agent.objects.get().blueprint is not None
