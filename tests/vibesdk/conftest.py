"""VibeSDK's flows run on the agents' socket: the same teardown applies."""

import pytest

from tests.agents import ws


@pytest.fixture(autouse=True)
async def _sockets_disconnected():
    """Sockets a test opened are disconnected when it ends, passed or failed."""
    yield
    await ws.disconnect_all()
