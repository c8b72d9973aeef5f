"""VibeSDK's flows run on the agents' socket: the same teardown applies."""

import pytest

from tests.agents import ws


@pytest.fixture
async def _disconnect_sockets():
    yield
    await ws.disconnect_all()


@pytest.fixture(autouse=True)
def _sockets_disconnected(request):
    """Sockets a test opened are disconnected when it ends, passed or failed (not for browser tests: an async
    fixture cannot run beside the session's sync Playwright, whose loop holds the main thread)."""
    if request.node.get_closest_marker("browser") is None:
        request.getfixturevalue("_disconnect_sockets")
