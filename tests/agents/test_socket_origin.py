"""Who may open the agent socket: the site's own origin (scheme, host and port), or a ticket without an Origin."""

import pytest
from channels.db import database_sync_to_async

from agents import services
from tests.agents import ws
from tests.agents.ws import next_frame, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


@pytest.fixture
def agent(create_agent):
    return create_agent("a todo list", blueprint=False)


async def _connect(agent_id, *, headers, query: str = ""):
    path = f"/api/agent/{agent_id}/ws" + (f"?{query}" if query else "")
    communicator = ws.communicator(path, [(b"host", b"testserver"), *headers])
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def _session_socket(agent, user, origin: bytes, *extra):
    return await _connect(agent.pk, headers=[(b"origin", origin), (b"cookie", await session_cookie(user)), *extra])


async def test_the_sites_own_origin_opens_the_socket(agent, user):
    communicator, connected = await _session_socket(agent, user, b"http://testserver")
    assert connected
    assert (await next_frame(communicator))["type"] == "agent_connected"
    await communicator.disconnect()


async def test_another_port_of_the_same_host_is_refused(agent, user):
    _, connected = await _session_socket(agent, user, b"http://testserver:3000")
    assert not connected


async def test_an_http_downgrade_is_refused_when_the_site_is_https(agent, user, settings):
    settings.SECURE_SSL_REDIRECT = True
    _, connected = await _session_socket(agent, user, b"http://testserver")
    assert not connected
    communicator, connected = await _session_socket(agent, user, b"https://testserver")
    assert connected
    await communicator.disconnect()


async def test_an_http_page_is_refused_behind_a_tls_proxy(agent, user, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    _, connected = await _session_socket(agent, user, b"http://testserver", (b"x-forwarded-proto", b"https"))
    assert not connected


async def test_a_trusted_origin_from_the_settings_opens_the_socket(agent, user, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://atelier.example.com"]
    communicator, connected = await _session_socket(agent, user, b"https://atelier.example.com")
    assert connected
    await communicator.disconnect()
    _, connected = await _session_socket(agent, user, b"http://atelier.example.com")
    assert not connected


@pytest.mark.parametrize("origin", [b"null", b"testserver", b"http://testserver/path", b"ftp://testserver"])
async def test_a_malformed_origin_is_refused(agent, user, origin):
    _, connected = await _session_socket(agent, user, origin)
    assert not connected


async def test_a_ticket_opens_the_socket_without_an_origin(agent, user):
    ticket = await database_sync_to_async(services.ticket_issue)(user=user, agent=agent)
    communicator, connected = await _connect(agent.pk, headers=[], query=f"ticket={ticket}")
    assert connected
    frame = await next_frame(communicator)
    assert frame["type"] == "agent_connected" and frame["state"]["agentId"] == str(agent.pk)
    await communicator.disconnect()


async def test_a_session_without_an_origin_is_refused(agent, user):
    _, connected = await _connect(agent.pk, headers=[(b"cookie", await session_cookie(user))])
    assert not connected


async def test_a_bad_ticket_without_an_origin_is_refused_before_the_upgrade(agent, user):
    # Even with the owner's session cookie: without an Origin only the ticket counts, and a refusal is an
    # HTTP 403 on the upgrade (what daphne sends for a close before accept), not an accepted socket.
    communicator, connected = await _connect(
        agent.pk, headers=[(b"cookie", await session_cookie(user))], query="ticket=not-a-ticket"
    )
    assert not connected


async def test_another_users_ticket_without_an_origin_is_refused_before_the_upgrade(agent, make_user, create_agent):
    from asgiref.sync import sync_to_async

    intruder = await sync_to_async(make_user)("mallory")
    theirs = await database_sync_to_async(create_agent)("a counter", owner=intruder, blueprint=False)
    ticket = await database_sync_to_async(services.ticket_issue)(user=intruder, agent=theirs)
    _, connected = await _connect(agent.pk, headers=[], query=f"ticket={ticket}")
    assert not connected


async def test_a_malformed_agent_id_closes_with_4404(user):
    communicator, connected = await _connect(
        "not-a-uuid", headers=[(b"origin", b"http://testserver"), (b"cookie", await session_cookie(user))]
    )
    assert connected
    assert (await communicator.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4404}


async def test_a_1000_deep_json_frame_is_an_error_frame_and_the_socket_stays_open(agent, user):
    communicator, connected = await _session_socket(agent, user, b"http://testserver")
    assert connected
    assert (await next_frame(communicator))["type"] == "agent_connected"
    await communicator.send_to(text_data="[" * 1000 + "]" * 1000)
    error = await next_frame(communicator)
    assert (error["type"], error["code"]) == ("error", "MALFORMED_JSON")
    await communicator.send_json_to({"type": "get_state"})
    assert (await next_frame(communicator))["type"] == "agent_state"
    await communicator.disconnect()
