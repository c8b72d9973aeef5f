"""Fixtures for the agents tests: every action pointed at a fake model server (helpers: tests/support/agents.py)."""

import pytest

from tests.agents import ws
from tests.fake_llm import FakeLLMServer


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


@pytest.fixture(autouse=True)
async def _sockets_disconnected():
    """Sockets a test opened are disconnected when it ends, passed or failed."""
    yield
    await ws.disconnect_all()
