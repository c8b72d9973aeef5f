import time

import pytest

from agents import pipeline, services
from agents.models import Agent, Event
from tests.fake_llm import FakeLLMServer


@pytest.fixture
def create_agent(user):
    def create(query: str = "a todo list app", owner=None, blueprint: bool = True) -> Agent:
        agent = services.agent_create(owner=owner or user, query=query)
        if blueprint:
            services.agent_generate_blueprint(agent=agent)
            agent.refresh_from_db()
        return agent

    return create


def generate(agent: Agent) -> pipeline.RunOutcome:
    """Run generation to the end in this thread, as the task would (after the planning run let go)."""
    wait_for(lambda: not Agent.objects.get(pk=agent.pk).lease_owner)
    Agent.objects.filter(pk=agent.pk).update(generation_requested=True, stop_requested=False)
    outcome = pipeline.run(agent_id=agent.pk)
    agent.refresh_from_db()
    return outcome


def files_of(agent: Agent) -> dict[str, str]:
    return dict(agent.files.filter(complete=True).values_list("path", "content"))


def event_types(agent: Agent) -> list[str]:
    return list(Event.objects.filter(agent=agent).order_by("seq").values_list("type", flat=True))


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


@pytest.fixture
def use_model(settings):
    """Point every action at a fake server of `flavor` answering with `responder`."""
    servers: list[FakeLLMServer] = []

    def use(flavor: str, responder) -> FakeLLMServer:
        server = FakeLLMServer(flavor=flavor, responder=responder).start()
        servers.append(server)
        settings.OPENAI_API_KEY = settings.ANTHROPIC_API_KEY = ""
        if flavor == "openai":
            settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, server.api_key
            settings.OPENAI_MODEL = "qwen3-32b"
        else:
            settings.ANTHROPIC_BASE_URL, settings.ANTHROPIC_API_KEY = server.base_url, server.api_key
            settings.ANTHROPIC_MODEL = "claude-test"
        return server

    yield use
    for server in servers:
        server.stop()
