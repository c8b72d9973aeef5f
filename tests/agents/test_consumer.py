"""The agent WebSocket through the real ASGI stack (docs/architecture.md §9)."""

import asyncio
import json
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from agents import services
from agents.events import emit
from agents.models import Agent, AgentStatus, Event
from tests.agents import ws
from tests.agents.ws import frames_until, next_frame, open_socket, session_cookie
from tests.support.agents import files_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def planned_agent(create_agent):
    return create_agent("a todo list")


@database_sync_to_async
def wait_idle(agent_id, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agent = Agent.objects.get(pk=agent_id)
        finished = agent.status in (AgentStatus.COMPLETE, AgentStatus.STOPPED, AgentStatus.FAILED)
        if finished and not agent.lease_owner:
            return agent
        time.sleep(0.02)
    raise AssertionError("run did not finish")


async def assert_closed_with(communicator, code):
    output = await communicator.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": code}


async def test_unauthenticated_socket_is_refused(planned_agent):
    communicator = await open_socket(planned_agent.pk)
    await assert_closed_with(communicator, 4401)


async def test_socket_without_allowed_origin_is_refused(planned_agent, user):
    communicator = ws.communicator(
        f"/api/agent/{planned_agent.pk}/ws",
        headers=[(b"origin", b"http://evil.example"), (b"cookie", await session_cookie(user))],
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_preview_origin_cannot_open_the_socket(planned_agent, user):
    communicator = ws.communicator(
        f"/api/agent/{planned_agent.pk}/ws",
        headers=[
            (b"origin", b"http://0b6f3c0e-6d2a-4f51-9a55-2f1d7b9e0c11.preview.localhost:8000"),
            (b"cookie", await session_cookie(user)),
        ],
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_another_users_socket_is_refused(planned_agent, make_user):
    intruder = await sync_to_async(make_user)("mallory")
    communicator = await open_socket(planned_agent.pk, intruder)
    await assert_closed_with(communicator, 4403)


async def test_unknown_agent_is_4404(user):
    communicator = await open_socket("0b6f3c0e-6d2a-4f51-9a55-2f1d7b9e0c11", user)
    await assert_closed_with(communicator, 4404)


async def test_connect_sends_snapshot_with_blueprint(planned_agent, user):
    communicator = await open_socket(planned_agent.pk, user)
    frame = await next_frame(communicator)
    assert frame["type"] == "agent_connected"
    state = frame["state"]
    assert state["agentId"] == str(planned_agent.pk)
    assert state["blueprint"]["title"] == planned_agent.blueprint["title"]
    assert state["phases"][0]["status"] == "planned"
    assert state["model"] == {"provider": "offline", "name": "atelier-offline"}
    assert frame["seq"] == planned_agent.last_seq
    await communicator.disconnect()


async def test_full_run_from_generate_all_to_generation_complete(planned_agent, user):
    communicator = await open_socket(planned_agent.pk, user)
    connected = await next_frame(communicator)
    await communicator.send_json_to({"type": "generate_all"})
    frames = await frames_until(communicator, "generation_complete")
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] > connected["seq"]
    types = [f["type"] for f in frames]
    assert types[0] == "generation_started"
    assert "file_chunk_generated" in types
    generated = {f["file"]["filePath"]: f["file"]["fileContents"] for f in frames if f["type"] == "file_generated"}
    agent = await wait_idle(planned_agent.pk)
    assert generated == await database_sync_to_async(files_of)(agent)
    # Between file_generating and file_generated, the chunks of a file add up to exactly the file.
    streaming = {}
    for frame in frames:
        if frame["type"] == "file_generating":
            streaming[frame["filePath"]] = ""
        elif frame["type"] == "file_chunk_generated":
            streaming[frame["filePath"]] += frame["chunk"]
        elif frame["type"] == "file_generated":
            assert streaming.pop(frame["file"]["filePath"]) == frame["file"]["fileContents"]
    await communicator.disconnect()


async def test_two_sockets_on_one_agent_receive_identical_streams(planned_agent, user):
    first = await open_socket(planned_agent.pk, user)
    second = await open_socket(planned_agent.pk, user)
    await next_frame(first)
    await next_frame(second)
    await first.send_json_to({"type": "generate_all"})
    a = await frames_until(first, "generation_complete")
    b = await frames_until(second, "generation_complete")
    assert a == b
    await wait_idle(planned_agent.pk)
    await first.disconnect()
    await second.disconnect()


async def test_reconnect_with_after_mid_run_receives_every_missed_durable_event_once(planned_agent, user, settings):
    settings.OFFLINE_CHUNK_DELAY = 0.002
    first = await open_socket(planned_agent.pk, user)
    await next_frame(first)
    await first.send_json_to({"type": "generate_all"})
    seen = await frames_until(first, "file_generated")
    last_durable = max(f["seq"] for f in seen if f["type"] != "file_chunk_generated")
    await first.disconnect()

    await asyncio.sleep(0.2)  # events happen while nobody listens
    second = await open_socket(planned_agent.pk, user, after=last_durable)
    rest = await frames_until(second, "generation_complete")
    await wait_idle(planned_agent.pk)
    durable_received = [f for f in rest if f["type"] != "file_chunk_generated"]
    seqs = [f["seq"] for f in durable_received]
    assert len(seqs) == len(set(seqs)), "a durable event arrived twice"
    missed = Event.objects.filter(agent=planned_agent, seq__gt=last_durable).order_by("seq")
    expected = await database_sync_to_async(lambda: list(missed.values_list("payload", flat=True)))()
    upto = seqs[-1]
    assert durable_received == [e for e in expected if e["seq"] <= upto]
    assert all(f["type"] != "agent_connected" for f in rest)
    await second.disconnect()


async def test_stop_and_resume_over_the_socket(planned_agent, user, settings):
    settings.OFFLINE_CHUNK_DELAY = 0.003
    communicator = await open_socket(planned_agent.pk, user)
    await next_frame(communicator)
    await communicator.send_json_to({"type": "generate_all"})
    await frames_until(communicator, "file_generating")
    await communicator.send_json_to({"type": "stop_generation"})
    await frames_until(communicator, "generation_stopped", timeout=5)
    agent = await wait_idle(planned_agent.pk)
    assert agent.status == AgentStatus.STOPPED

    settings.OFFLINE_CHUNK_DELAY = 0
    await communicator.send_json_to({"type": "resume_generation"})
    frames = await frames_until(communicator, "generation_complete")
    assert frames[0]["type"] == "generation_resumed"
    agent = await wait_idle(planned_agent.pk)
    assert agent.status == AgentStatus.COMPLETE
    await communicator.disconnect()


async def test_follow_up_chat_turn_produces_a_new_phase(planned_agent, user):
    communicator = await open_socket(planned_agent.pk, user)
    await next_frame(communicator)
    await communicator.send_json_to({"type": "generate_all"})
    await frames_until(communicator, "generation_complete")
    await wait_idle(planned_agent.pk)

    await communicator.send_json_to({"type": "user_suggestion", "message": "add a reset button", "imageIds": []})
    frames = await frames_until(communicator, "generation_complete")
    replies = [f for f in frames if f["type"] == "conversation_response" and not f["isStreaming"]]
    assert replies and replies[0]["message"]
    planned = [f for f in frames if f["type"] == "phase_generated"]
    assert planned
    changed = [f["file"]["filePath"] for f in frames if f["type"] == "file_generated"]
    assert "index.html" in changed or "app.js" in changed
    agent = await wait_idle(planned_agent.pk)
    files = await database_sync_to_async(files_of)(agent)
    assert "reset" in files["index.html"].lower()
    await communicator.disconnect()


async def test_ticket_opens_the_socket_once(planned_agent, user):
    ticket = await database_sync_to_async(services.ticket_issue)(user=user, agent=planned_agent)
    communicator = await open_socket(planned_agent.pk, ticket=ticket, origin=(b"origin", b"http://testserver"))
    assert (await next_frame(communicator))["type"] == "agent_connected"
    await communicator.disconnect()

    reused = await open_socket(planned_agent.pk, ticket=ticket)
    await assert_closed_with(reused, 4401)


async def test_ticket_for_another_agent_is_refused(planned_agent, create_agent, user):
    other = await database_sync_to_async(create_agent)("a counter", blueprint=False)
    ticket = await database_sync_to_async(services.ticket_issue)(user=user, agent=other)
    communicator = await open_socket(planned_agent.pk, ticket=ticket)
    await assert_closed_with(communicator, 4401)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "MALFORMED_JSON"),
        (json.dumps({"type": "oops"}), "UNKNOWN_TYPE"),
        (json.dumps([1, 2]), "INVALID_MESSAGE"),
        (json.dumps({"type": "x", "pad": "a" * 70_000}), "FRAME_TOO_LARGE"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(planned_agent, user, raw, code):
    communicator = await open_socket(planned_agent.pk, user)
    connected = await next_frame(communicator)
    await communicator.send_to(text_data=raw)
    error = await next_frame(communicator)
    assert error["type"] == "error" and error["code"] == code and error["seq"] > connected["seq"]
    await communicator.send_json_to({"type": "get_state"})
    state = await next_frame(communicator)
    assert state["type"] == "agent_state" and state["state"]["agentId"] == str(planned_agent.pk)
    await communicator.disconnect()


async def test_conversation_state_and_clear(planned_agent, user):
    communicator = await open_socket(planned_agent.pk, user)
    await next_frame(communicator)
    await communicator.send_json_to({"type": "get_conversation_state"})
    state = await next_frame(communicator)
    assert state["type"] == "conversation_state"
    assert state["messages"][0]["text"] == "a todo list"
    await communicator.send_json_to({"type": "clear_conversation"})
    assert (await next_frame(communicator))["type"] == "conversation_cleared"
    await communicator.send_json_to({"type": "get_conversation_state"})
    assert (await next_frame(communicator))["messages"] == []
    await communicator.disconnect()


async def test_model_configs_info(planned_agent, user):
    communicator = await open_socket(planned_agent.pk, user)
    await next_frame(communicator)
    await communicator.send_json_to({"type": "get_model_configs"})
    frame = await next_frame(communicator)
    assert frame["type"] == "model_configs_info"
    assert {c["action"] for c in frame["configs"]} >= {"blueprint", "phase_implementation", "conversation"}
    await communicator.disconnect()


async def test_llm_messages_are_rate_limited_per_user(planned_agent, user, settings):
    settings.LLM_RATE = "1/m"
    communicator = await open_socket(planned_agent.pk, user)
    await next_frame(communicator)
    await communicator.send_json_to({"type": "generate_all"})
    await frames_until(communicator, "generation_complete")
    await wait_idle(planned_agent.pk)
    await communicator.send_json_to({"type": "user_suggestion", "message": "make it dark"})
    frame = await frames_until(communicator, "rate_limit_error")
    error = frame[-1]["error"]
    assert error["limit"] == 1 and error["period_seconds"] == 60 and error["retry_after_seconds"] > 0
    assert "Try again" in error["message"]
    await communicator.disconnect()


async def test_events_emitted_from_other_threads_reach_the_socket_in_order(planned_agent, user):
    # The latency (emit to frame, against a bare websockets server) is measured in bench/latency.py.
    communicator = await open_socket(planned_agent.pk, user)
    try:
        await next_frame(communicator)
        for i in range(30):
            chunk = {"filePath": "x.js", "chunk": str(i)}
            thread = threading.Thread(target=emit, args=(planned_agent.pk, "file_chunk_generated"), kwargs=chunk)
            thread.start()
            frame = await next_frame(communicator)
            assert (frame["type"], frame["chunk"]) == ("file_chunk_generated", str(i))
            thread.join()
    finally:
        await communicator.disconnect()


async def test_stop_is_handled_while_a_chat_reply_is_still_being_written(planned_agent, user, settings):
    settings.OFFLINE_CHUNK_DELAY = 0.05  # a slow chat reply
    communicator = await open_socket(planned_agent.pk, user)
    await next_frame(communicator)
    await communicator.send_json_to({"type": "user_suggestion", "message": "make it dark"})
    await communicator.send_json_to({"type": "get_state"})
    # The state reply arrives before the chat reply is finished: the socket was not blocked by it.
    frames = await frames_until(communicator, "agent_state", timeout=5)
    assert not any(f["type"] == "conversation_response" and not f["isStreaming"] for f in frames)
    await communicator.send_json_to({"type": "stop_generation"})
    await frames_until(communicator, "generation_stopped", timeout=20)
    await wait_idle(planned_agent.pk)
    await communicator.disconnect()
