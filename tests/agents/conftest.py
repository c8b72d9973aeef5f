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


@pytest.fixture
async def _disconnect_sockets():
    yield
    await ws.disconnect_all()


@pytest.fixture(autouse=True)
def _sockets_disconnected(request):
    """Sockets a test opened are disconnected when it ends, passed or failed. Browser tests open none, and an
    async fixture cannot run beside the session's sync Playwright, whose loop holds the main thread."""
    if request.node.get_closest_marker("browser") is None:
        request.getfixturevalue("_disconnect_sockets")
