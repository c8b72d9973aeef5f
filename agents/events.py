"""Agent events: one `emit()` that numbers, persists (when durable) and broadcasts; snapshot; replay.

Every event gets a per-agent, strictly increasing `seq`. Durable events are written to `Event` before
they are broadcast; `file_chunk_generated` is broadcast only. Broadcasts go to the channel layer group
`agent.<id>` on the server's own event loop (docs/architecture.md §2): `async_to_sync(group_send)` from a plain
thread would run each send on a fresh loop, and the in-memory layer would then only wake the consumer on
daphne's next 1 s timer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid

from channels.layers import get_channel_layer
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

logger = logging.getLogger(__name__)

EPHEMERAL_TYPES = frozenset({"file_chunk_generated", "model_thinking", "blueprint_chunk"})
# After the seq counter was lost from the cache (eviction, Redis restart), restart this far past the
# last durable seq, so seqs handed to broadcast-only events since then are never reused.
SEQ_RESTART_MARGIN = 1000


def group_name(agent_id: uuid.UUID | str) -> str:
    """The channel layer group of an agent (letters, digits, dots, dashes; well under 100 chars)."""
    return f"agent.{agent_id}"


def _seq_key(agent_id) -> str:
    return f"atelier:seq:{agent_id}"


def seq_counter_init(*, agent_id, last_seq: int = 0) -> None:
    """Start an agent's seq counter (at creation); a later miss means it was lost."""
    cache.add(_seq_key(agent_id), last_seq, timeout=None)


# INCR only an existing key, in one round trip (Django's RedisCache.incr takes two: EXISTS, then INCR).
_INCR_EXISTING = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incr', KEYS[1]) end return false"


def _incr_existing(key: str) -> int | None:
    """The incremented counter, or None when the key is missing (never counted, or lost)."""
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        value = cache._cache.get_client(full_key, write=True).eval(_INCR_EXISTING, 1, full_key)
        return None if value is None else int(value)
    try:
        return cache.incr(key)
    except ValueError:
        return None


def _next_seq(agent_id) -> int:
    from agents.models import Agent

    key = _seq_key(agent_id)
    seq = _incr_existing(key)
    if seq is None:
        last = Agent.objects.filter(pk=agent_id).values_list("last_seq", flat=True).first() or 0
        cache.add(key, last + SEQ_RESTART_MARGIN, timeout=None)
        seq = cache.incr(key)
    return seq


def emit(agent_id, type: str, **fields) -> dict:
    """Number, persist (unless ephemeral) and broadcast one event. Returns the frame clients receive."""
    from agents.models import Agent, Event

    if type in EPHEMERAL_TYPES:
        frame = _frame(type, _next_seq(agent_id), fields)
    else:
        with transaction.atomic():
            # The row lock makes durable events commit in seq order, which the snapshot relies on.
            list(Agent.objects.select_for_update().filter(pk=agent_id).values_list("pk", flat=True))
            frame = _frame(type, _next_seq(agent_id), fields)
            Event.objects.create(agent_id=agent_id, seq=frame["seq"], type=type, payload=frame)
            Agent.objects.filter(pk=agent_id).update(last_seq=frame["seq"])
    transaction.on_commit(lambda: publish(group_name(agent_id), {"type": "agent.event", "event": frame}))
    return frame


def _frame(type: str, seq: int, fields: dict) -> dict:
    # Round-trip through JSON: channels-redis (msgpack) cannot carry UUIDs or datetimes.
    return json.loads(json.dumps({"type": type, "seq": seq, **fields}, default=str))


def replay(*, agent_id, after: int) -> list[dict]:
    """Durable frames with seq > after, in order."""
    from agents.models import Event

    events = Event.objects.filter(agent_id=agent_id, seq__gt=after).order_by("seq")
    return list(events.values_list("payload", flat=True))


class _Publisher:
    """Sends group messages in order from one task on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: asyncio.Queue | None = None
        self._started = False

    def submit(self, group: str, message: dict) -> None:
        self.loop.call_soon_threadsafe(self._put, group, message)

    def _put(self, group: str, message: dict) -> None:
        if self.queue is None:
            self.queue = asyncio.Queue()
            self.loop.create_task(self._drain())
        self.queue.put_nowait((group, message))

    async def _drain(self) -> None:
        while True:
            group, message = await self.queue.get()
            try:
                await get_channel_layer().group_send(group, message)
            except Exception:  # noqa: BLE001 - a lost broadcast is recovered by replay; keep sending
                logger.warning("Broadcast to %s failed", group, exc_info=True)

    @property
    def usable(self) -> bool:
        return self.loop.is_running() and not self.loop.is_closed()


_lock = threading.Lock()
_server_publisher: _Publisher | None = None
_own_publisher: _Publisher | None = None


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Publish on this (the server's) loop from now on."""
    global _server_publisher
    if _server_publisher is not None and _server_publisher.loop is loop:
        return
    with _lock:
        if _server_publisher is None or _server_publisher.loop is not loop:
            _server_publisher = _Publisher(loop)


def _own_loop_publisher() -> _Publisher:
    """A private loop thread, for processes without a server loop (db_worker, CLI)."""
    global _own_publisher
    with _lock:
        if _own_publisher is None or not _own_publisher.usable:
            loop = asyncio.new_event_loop()
            started = threading.Event()
            loop.call_soon(started.set)
            threading.Thread(target=loop.run_forever, name="atelier-publisher", daemon=True).start()
            started.wait(5)
            _own_publisher = _Publisher(loop)
        return _own_publisher


def publish(group: str, message: dict) -> None:
    publisher = _server_publisher
    if publisher is None or not publisher.usable:
        publisher = _own_loop_publisher()
    publisher.submit(group, message)


class ServerLoopMiddleware:
    """ASGI middleware that tells `publish()` which loop the server (and its sockets) run on."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        bind_loop(asyncio.get_running_loop())
        return await self.app(scope, receive, send)


def snapshot(*, agent_id, request_host: str | None = None) -> tuple[dict, int]:
    """The state and the seq it reflects, read under the agent's row lock so no durable event is
    half-in: events after the returned seq are not in the state, events up to it are."""
    from agents.models import Agent

    with transaction.atomic():
        agent = Agent.objects.select_for_update().select_related("owner").get(pk=agent_id)
        return agent_state(agent, request_host=request_host), agent.last_seq


def socket_seq(agent_id) -> int:
    """A seq for a frame sent to one socket only (replies, errors): unique and increasing, never stored."""
    return _next_seq(agent_id)


def agent_state(agent, *, request_host: str | None = None) -> dict:
    """The full snapshot a client needs to draw the workspace; `seq` is the last durable event in it."""
    from agents.models import File, Message, Phase
    from agents.pipeline import phase_payload
    from agents.selectors import agent_latest_preview

    files = []
    for file in File.objects.filter(agent=agent).order_by("path"):
        files.append({
            "filePath": file.path,
            "filePurpose": file.purpose,
            "fileContents": file.content if file.complete else "",
            "complete": file.complete and not file.generating,
            "generating": file.generating,
            "draft": file.draft if file.generating else "",
            "phaseIndex": file.phase.index if file.phase_id else None,
        })
    preview = agent_latest_preview(agent=agent, request_host=request_host)
    from agents import vibesdk
    from modelconfig.selectors import model_info

    phases = [phase_payload(p) for p in Phase.objects.filter(agent=agent).order_by("index")]
    return json.loads(json.dumps({
        "agentId": str(agent.pk),
        "title": agent.title,
        "query": agent.query,
        "status": agent.status,
        "error": agent.error or None,
        "blueprint": agent.blueprint,
        "template": agent.template_name,
        "currentPhaseIndex": agent.current_phase_index,
        "phases": phases,
        "files": files,
        "conversation": [
            {"id": m.pk, "role": m.role, "text": m.text, "imageIds": m.image_ids, "pending": m.pending,
             "createdAt": m.created_at}
            for m in Message.objects.filter(agent=agent, cleared=False).order_by("created_at", "id")
        ],
        "preview": preview,
        "version": _current_version(agent),
        "model": model_info(user=agent.owner),
        # The model that wrote the app (the chip shows it rather than today's configuration) and what a
        # complete app still has wrong ("Complete with problems").
        "builtWith": {"provider": agent.model_provider, "name": agent.model_name} if agent.model_name else None,
        "problems": agent.problems or [],
        "usage": {"tokensIn": agent.tokens_in, "tokensOut": agent.tokens_out},
        "createdAt": agent.created_at,
        "updatedAt": agent.updated_at,
        # VibeSDK's AgentState fields, for its client (agents/vibesdk.py).
        **vibesdk.snapshot_fields(
            query=agent.query, title=agent.title, blueprint=agent.blueprint, template=agent.template_name,
            status=agent.status, generation_requested=agent.generation_requested, phases=phases, files=files,
            preview_url=preview["previewUrl"] if preview else None,
        ),
    }, default=str))


def _current_version(agent) -> dict | None:
    from agents.versions import head, version_payload

    version = head(agent=agent)
    return None if version is None else version_payload(version)
