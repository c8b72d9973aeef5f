from tests.agents.conftest import create_agent  # noqa: F401 - the agents' factory, shared
