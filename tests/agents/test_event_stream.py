"""The event stream under load: every durable event reaches a live socket once, in seq order, whatever the
channel layer drops (docs: the event-stream issue; DESIGN.md §6)."""

import asyncio
import functools
import threading
import uuid

import pytest
from channels.db import database_sync_to_async

from agents.events import emit
from agents.models import Event
from tests.agents.ws import next_frame, open_socket
from tests.support.services import SERVICE_URLS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def create_agent(create_agent):
    """The stream is checked after the events a planning run writes: agents are planned by the model."""
    return functools.partial(create_agent, run_planning=True)


@pytest.fixture
def planned_agent(create_agent):
    return create_agent("a todo list")


def _flood(agent_id, rounds: int) -> None:
    """Durable and broadcast-only events interleaved, as a run and a chat turn produce them."""
    for i in range(rounds):
        emit(agent_id, "file_chunk_generated", filePath="app.js", chunk=f"chunk {i}\n")
        if i % 3 == 0:
            emit(agent_id, "conversation_response", message=f"reply {i}", conversationId="c-1", isStreaming=True)
        if i % 7 == 0:
            emit(agent_id, "phase_generating", message=f"Planning {i}")


def _flood_while_the_socket_waits(agent_id, rounds: int) -> None:
    # Joined on the event loop's own thread: the loop is blocked meanwhile, so everything emitted reaches the
    # layer at once, far more than a consumer queue holds.
    thread = threading.Thread(target=_flood, args=(agent_id, rounds))
    thread.start()
    thread.join()


async def _receive_until_seq(communicator, last_seq: int) -> list[dict]:
    frames = []
    while not frames or frames[-1]["seq"] < last_seq:
        frames.append(await next_frame(communicator, timeout=10))
    return frames


@database_sync_to_async
def _durable_rows(agent_id, after: int) -> list[dict]:
    rows = Event.objects.filter(agent_id=agent_id, seq__gt=after).order_by("seq")
    return list(rows.values_list("payload", flat=True))


async def _assert_socket_got_every_durable_event_in_order(communicator, agent_id, connected_seq: int):
    rows = await _durable_rows(agent_id, connected_seq)
    frames = await _receive_until_seq(communicator, rows[-1]["seq"])
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(set(seqs)), "frames out of seq order, or one twice"
    assert [f for f in frames if f["type"] != "file_chunk_generated"] == rows


@pytest.mark.parametrize(
    "backend", ["agents.layers.EventsInMemoryChannelLayer", "channels.layers.InMemoryChannelLayer"]
)
async def test_a_flood_that_overflows_the_layer_still_delivers_every_durable_event_in_order(
    planned_agent, user, settings, backend
):
    # Ours says when it dropped; Channels' own drops silently, and the next durable frame's prevDurableSeq
    # shows the hole. Either way the socket ends with every durable event, in order.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": backend, "CONFIG": {"capacity": 5}}}
    communicator = await open_socket(planned_agent.pk, user)
    connected = await next_frame(communicator)
    _flood_while_the_socket_waits(planned_agent.pk, 120)
    if backend.startswith("channels."):
        await database_sync_to_async(emit)(planned_agent.pk, "generation_complete", message="done")
    await _assert_socket_got_every_durable_event_in_order(communicator, planned_agent.pk, connected["seq"])
    await communicator.disconnect()


async def test_the_overflow_lost_broadcast_only_frames_not_durable_ones(planned_agent, user, settings):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "agents.layers.EventsInMemoryChannelLayer", "CONFIG": {"capacity": 5}}
    }
    communicator = await open_socket(planned_agent.pk, user)
    connected = await next_frame(communicator)
    _flood_while_the_socket_waits(planned_agent.pk, 60)
    rows = await _durable_rows(planned_agent.pk, connected["seq"])
    frames = await _receive_until_seq(communicator, rows[-1]["seq"])
    chunks = [f for f in frames if f["type"] == "file_chunk_generated"]
    assert len(chunks) < 60, "the flood did not overflow the layer: this test proves nothing"
    assert [f for f in frames if f["type"] != "file_chunk_generated"] == rows
    await communicator.disconnect()


async def test_replies_to_a_socket_keep_seq_order_with_the_events_around_them(planned_agent, user):
    communicator = await open_socket(planned_agent.pk, user)
    connected = await next_frame(communicator)
    flood = asyncio.create_task(asyncio.to_thread(_flood, planned_agent.pk, 80))
    for _ in range(20):
        await communicator.send_json_to({"type": "oops"})
        await communicator.send_json_to({"type": "get_conversation_state"})
    await flood
    await communicator.send_json_to({"type": "get_state"})
    frames = []
    while not frames or frames[-1]["type"] != "agent_state":
        frames.append(await next_frame(communicator, timeout=10))
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(set(seqs))
    assert sum(f["type"] == "error" for f in frames) == 20
    rows = await _durable_rows(planned_agent.pk, connected["seq"])
    assert [
        f for f in frames if f["type"] not in ("file_chunk_generated", "error", "conversation_state", "agent_state")
    ] == rows
    await communicator.disconnect()


async def test_each_durable_frame_names_the_durable_seq_before_it(planned_agent, user):
    communicator = await open_socket(planned_agent.pk, user)
    connected = await next_frame(communicator)
    await database_sync_to_async(_flood)(planned_agent.pk, 10)
    rows = await _durable_rows(planned_agent.pk, connected["seq"])
    previous = [connected["seq"]] + [row["seq"] for row in rows[:-1]]
    assert [row["prevDurableSeq"] for row in rows] == previous
    await communicator.disconnect()


@pytest.mark.redis
async def test_on_the_redis_pubsub_layer_a_live_socket_gets_every_durable_event_in_order(planned_agent, user, settings):
    # ATELIER_CHANNEL_LAYER=pubsub: one publish per group message, fanned out in each process.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [SERVICE_URLS["redis"]], "prefix": f"events-test-{uuid.uuid4().hex[:8]}"},
        }
    }
    communicator = await open_socket(planned_agent.pk, user)
    connected = await next_frame(communicator)
    await asyncio.to_thread(_flood, planned_agent.pk, 60)
    await _assert_socket_got_every_durable_event_in_order(communicator, planned_agent.pk, connected["seq"])
    await communicator.disconnect()
