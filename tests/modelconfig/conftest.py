"""Model configuration tests start from a server with no credentials of its own, whatever the environment says."""

import pytest

from tests.fake_llm import fake_anthropic, fake_openai  # noqa: F401 - fixtures for this package


@pytest.fixture(autouse=True)
def _no_server_keys(settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    settings.ANTHROPIC_API_KEY = ""
    settings.OPENAI_MODEL = "gpt-test-default"
    settings.ANTHROPIC_MODEL = "claude-test-default"
    settings.LLM_MAX_RETRIES = 0
    settings.LLM_TIMEOUT = 5.0
    settings.OFFLINE_CHUNK_DELAY = 0.0


@pytest.fixture
def other_user(make_user):
    return make_user("grace")
