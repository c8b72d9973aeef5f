"""Agent events: `emit()` numbers, persists (when durable) and broadcasts; `replay()` reads them back.

Every event gets a per-agent, strictly increasing `seq`. Durable events are written to `Event` and carry
`prevDurableSeq`, the seq of the agent's durable event before them (0 for the first), so any receiver can
tell a hole from a gap left by broadcast-only frames (docs/architecture.md §6).
`file_chunk_generated` is broadcast only.

Order: a seq is taken and its frame handed to the publisher in one step under a per-agent lock, and a
durable event does both while it holds the agent's row lock, so within a process frames reach the channel
layer in seq order. (A durable frame is therefore handed over just before its transaction commits.) Across
processes the consumer restores the order of durable frames from `prevDurableSeq` and the database.
"""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from agents import frames, realtime

# build_log: a preview build's output, live only; how the build ended is the durable deployment_* event.
EPHEMERAL_TYPES = frozenset({"file_chunk_generated", "model_thinking", "blueprint_chunk", "build_log"})
# After the seq counter was lost from the cache (eviction, Redis restart), restart this far past the
# last durable seq, so seqs handed to broadcast-only events since then are never reused.
SEQ_RESTART_MARGIN = 1000
# The layer message type every frame travels in; the consumer's `agent_event` handles it.
LAYER_TYPE = "agent.event"


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


# Striped per-agent locks: taking a seq and handing its frame over happen together (see the module doc).
_ORDER_LOCKS = [threading.Lock() for _ in range(64)]


@contextmanager
def _in_order(agent_id):
    with _ORDER_LOCKS[hash(str(agent_id)) % len(_ORDER_LOCKS)]:
        yield


def layer_message(frame: dict, text: str) -> dict:
    """What travels through the channel layer: the frame serialised once, plus what the consumer checks."""
    return {
        "type": LAYER_TYPE,
        "seq": frame["seq"],
        "prev": frame.get("prevDurableSeq"),
        "kind": frame["type"],
        "text": text,
    }


def emit(agent_id, type: str, **fields) -> dict:
    """Number, persist (unless ephemeral) and broadcast one event. Returns the (last) frame clients receive."""
    from agents.models import Agent, Event

    if type in EPHEMERAL_TYPES:
        chunk = fields.get("chunk")
        if isinstance(chunk, str) and len(chunk) > frames.CHUNK_PIECE_CHARS:
            step = frames.CHUNK_PIECE_CHARS
            frame = {}
            for start in range(0, len(chunk), step):
                piece = {**fields, "chunk": chunk[start : start + step]}
                if isinstance(fields.get("offset"), int):
                    piece["offset"] = fields["offset"] + start
                frame = emit(agent_id, type, **piece)
            return frame
        with _in_order(agent_id):
            frame = {"type": type, "seq": _next_seq(agent_id), **fields}
            text = frames.dumps(frame)
            realtime.publish(group_name(agent_id), layer_message(frame, text))
        return frame

    fields = frames.bound_event(agent_id, type, fields)
    with transaction.atomic():
        # The row lock makes durable events commit in seq order, which the snapshot relies on.
        previous = Agent.objects.select_for_update().filter(pk=agent_id).values_list("last_seq", flat=True).first()
        with _in_order(agent_id):
            seq = _next_seq(agent_id)
            text = frames.dumps({"type": type, "seq": seq, "prevDurableSeq": previous or 0, **fields})
            frame = frames.loads(text)  # plain JSON types: channels-redis (msgpack) and JSONField need them
            Event.objects.create(agent_id=agent_id, seq=seq, type=type, payload=frame)
            Agent.objects.filter(pk=agent_id).update(last_seq=seq)
            realtime.publish(group_name(agent_id), layer_message(frame, text))
    return frame


def socket_reply(*, agent_id, channel: str, type: str, **fields) -> dict:
    """A frame for one socket only (replies, errors): a fresh seq, never stored, sent in order with events."""
    with _in_order(agent_id):
        frame = {"type": type, "seq": _next_seq(agent_id), **fields}
        realtime.send(channel, {**layer_message(frame, frames.dumps(frame)), "reply": True})
    return frame


def socket_seq(agent_id) -> int:
    """A fresh seq for a frame to one socket only: unique and increasing, never stored."""
    return _next_seq(agent_id)


def replay(*, agent_id, after: int, before: int | None = None, limit: int | None = None) -> list[dict]:
    """Durable frames with after < seq (< before), in order, at most `limit` of them."""
    from agents.models import Event

    events = Event.objects.filter(agent_id=agent_id, seq__gt=after)
    if before is not None:
        events = events.filter(seq__lt=before)
    events = events.order_by("seq").values_list("payload", flat=True)
    return list(events[:limit] if limit else events)
