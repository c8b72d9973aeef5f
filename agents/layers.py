"""The embedded default's channel layer: Channels' in-memory layer, cheaper per message, and never silent.

Channels' `InMemoryChannelLayer` drops a group message for a member whose queue is full without a word
(and removes a member whose oldest message expired from all its groups). Here a member that misses a
message for either reason gets `{"type": "layer.overflow"}` as the next message it receives, so the
agent consumer replays durable events from the database instead of losing them. Also, per message:
- `group_send` puts the message on each member's queue directly: no task and no `deepcopy` per member
  (frames travel as pre-serialised text and are never mutated);
- the expiry sweep, which walks every channel and group, runs at most once a second instead of on every
  send and receive;
- `send()` to one channel (replies to a socket) is not capped: a reply is never dropped;
- `receive_nowait()` hands over a message already queued, so a consumer that is behind takes its backlog
  without a task and an `asyncio.wait` per message (agents.consumers).
"""

from __future__ import annotations

import asyncio
import time

from channels.layers import InMemoryChannelLayer

OVERFLOW = "layer.overflow"
CLEAN_INTERVAL = 1.0


class EventsInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.overflowed: set[str] = set()
        self._cleaned_at = 0.0

    def _queue(self, channel: str) -> asyncio.Queue:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue()
        return queue

    async def send(self, channel, message):
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        self._queue(channel).put_nowait((time.time() + self.expiry, message))

    async def group_send(self, group, message):
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._maybe_clean()
        members = self.groups.get(group)
        if not members:
            return
        item = (time.time() + self.expiry, message)
        for channel in list(members):
            queue = self._queue(channel)
            if queue.qsize() >= self.get_capacity(channel):
                self.overflowed.add(channel)
            else:
                queue.put_nowait(item)

    async def receive(self, channel):
        self.require_valid_channel_name(channel)
        self._maybe_clean()
        if channel in self.overflowed:
            self.overflowed.discard(channel)
            return {"type": OVERFLOW}
        queue = self._queue(channel)
        try:
            _, message = await queue.get()
        finally:
            if queue.empty() and self.channels.get(channel) is queue:
                self.channels.pop(channel, None)
        return message

    def receive_nowait(self, channel: str) -> dict | None:
        """The next message for `channel` if one is already queued (or the overflow notice), else None."""
        if channel in self.overflowed:
            self.overflowed.discard(channel)
            return {"type": OVERFLOW}
        queue = self.channels.get(channel)
        if queue is None or queue.empty():
            return None
        _, message = queue.get_nowait()
        if queue.empty() and self.channels.get(channel) is queue:
            self.channels.pop(channel, None)
        return message

    def _maybe_clean(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at >= CLEAN_INTERVAL:
            self._cleaned_at = now
            self._clean_expired()

    def _remove_from_groups(self, channel):
        # A message expired unread: the member missed it, and (as in Channels) leaves its groups. Say so.
        self.overflowed.add(channel)
        super()._remove_from_groups(channel)

    async def group_discard(self, group, channel):
        await super().group_discard(group, channel)
        self.overflowed.discard(channel)  # the consumer is leaving: nothing to tell it any more

    async def flush(self):
        await super().flush()
        self.overflowed = set()
