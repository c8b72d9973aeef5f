"""GET /api/agent/<id>/events?after= and GET /api/agent/<id>/messages?before=: what a client missed or
what the snapshot left out, in bounded pages (docs/architecture.md §8)."""

import functools

import pytest
from rest_framework.test import APIClient

from agents import selectors
from agents.events import emit
from agents.frames import dumps
from agents.models import Event, Message, MessageRole
from agents.payloads import agent_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def create_agent(create_agent):
    """Pages of events need the events a planning run writes: agents are planned by the model, not made by a factory."""
    return functools.partial(create_agent, run_planning=True)


@pytest.fixture
def planned(create_agent):
    return create_agent("a todo list")


def _rows(agent, after: int = 0) -> list[dict]:
    return list(Event.objects.filter(agent=agent, seq__gt=after).order_by("seq").values_list("payload", flat=True))


def _events(api_client, agent, **params):
    response = api_client.get(f"/api/agent/{agent.pk}/events", params)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_events_after_pages_through_every_durable_event_in_seq_order(api_client, planned):
    for i in range(12):
        emit(planned.pk, "file_chunk_generated", filePath="app.js", chunk=f"chunk {i}")
        emit(planned.pk, "conversation_response", message=f"reply {i}", conversationId="c", isStreaming=False)
    start = _rows(planned)[0]["seq"]
    collected, after, pages = [], start - 1, 0
    while True:
        page = _events(api_client, planned, after=after, limit=5)
        collected += page["events"]
        after, pages = page["nextAfter"], pages + 1
        if not page["hasMore"]:
            break
    rows = _rows(planned, start - 1)
    assert collected == rows
    assert pages == -(-len(rows) // 5) and len(rows) > 12
    assert page["lastDurableSeq"] == collected[-1]["seq"]


def test_events_after_the_last_one_is_an_empty_page(api_client, planned):
    last = _rows(planned)[-1]["seq"]
    page = _events(api_client, planned, after=last)
    assert page == {"events": [], "hasMore": False, "nextAfter": last, "lastDurableSeq": last}


def test_an_events_page_stays_within_its_byte_budget_but_always_moves_on(planned):
    for i in range(6):
        emit(planned.pk, "conversation_response", message="x" * 10_000 + str(i), conversationId="c", isStreaming=False)
    after = _rows(planned)[-7]["seq"]
    texts, more = selectors.events_page(agent=planned, after=after, limit=100, budget=25_000)
    assert len(texts) == 2 and more
    texts, more = selectors.events_page(agent=planned, after=after, limit=100, budget=10)
    assert len(texts) == 1 and more, "a page always carries at least one event, whatever its size"


@pytest.mark.parametrize("query", ["", "?after=-1", "?after=abc", "?after=0&limit=0", "?after=0&limit=501"])
def test_events_with_a_bad_after_or_limit_is_400(api_client, planned, query):
    response = api_client.get(f"/api/agent/{planned.pk}/events{query}")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "INVALID_INPUT"


@pytest.mark.parametrize("path", ["/events?after=0", "/messages"])
def test_another_users_history_is_404(planned, make_user, path):
    client = APIClient()
    client.force_authenticate(make_user("mallory"))
    response = client.get(f"/api/agent/{planned.pk}{path}")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "NOT_FOUND"


def test_history_needs_authentication(planned):
    response = APIClient().get(f"/api/agent/{planned.pk}/events?after=0")
    assert response.status_code == 401


def _chat(agent, count: int, chars: int = 40) -> list[Message]:
    return [
        Message.objects.create(
            agent=agent, role=MessageRole.USER if i % 2 == 0 else MessageRole.ASSISTANT, text=f"{i:03d} " * (chars // 4)
        )
        for i in range(count)
    ]


def test_messages_page_back_from_the_snapshot_to_the_first_message(api_client, planned):
    visible = list(Message.objects.filter(agent=planned, cleared=False).order_by("created_at", "id"))
    visible += _chat(planned, 60, chars=20_000)
    snapshot = agent_snapshot(planned)
    assert len(dumps(snapshot)) <= 256 * 1024
    assert snapshot["conversationHasMore"]
    seen = [m["id"] for m in snapshot["conversation"]]
    before = snapshot["conversationBefore"]
    while before is not None:
        page = api_client.get(f"/api/agent/{planned.pk}/messages", {"before": before}).json()["data"]
        seen = [m["id"] for m in page["messages"]] + seen
        before = page["before"] if page["hasMore"] else None
    assert seen == [m.pk for m in visible]


def test_messages_without_before_are_the_newest_oldest_first(api_client, planned):
    chat = _chat(planned, 5)
    page = api_client.get(f"/api/agent/{planned.pk}/messages", {"limit": 3}).json()["data"]
    assert [m["id"] for m in page["messages"]] == [m.pk for m in chat[-3:]]
    assert page["hasMore"] and page["before"] == chat[-3].pk


@pytest.mark.parametrize("query", ["?before=x", "?before=0", "?limit=101"])
def test_messages_with_a_bad_before_or_limit_is_400(api_client, planned, query):
    response = api_client.get(f"/api/agent/{planned.pk}/messages{query}")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "INVALID_INPUT"
