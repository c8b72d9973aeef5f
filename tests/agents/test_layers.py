"""The embedded default's channel layer (agents/layers.py): it says when it dropped, and hands a consumer
that is behind its backlog without a wake-up per message."""

from agents.layers import OVERFLOW, EventsInMemoryChannelLayer


async def test_receive_nowait_hands_over_what_is_queued_in_order_then_none():
    layer = EventsInMemoryChannelLayer(capacity=10)
    channel = await layer.new_channel()
    await layer.group_add("agent.a", channel)
    for n in range(3):
        await layer.group_send("agent.a", {"type": "agent.event", "n": n})
    assert [layer.receive_nowait(channel)["n"] for _ in range(3)] == [0, 1, 2]
    assert layer.receive_nowait(channel) is None
    await layer.group_send("agent.a", {"type": "agent.event", "n": 3})
    assert (await layer.receive(channel))["n"] == 3


async def test_a_member_whose_queue_was_full_is_told_before_its_next_message():
    layer = EventsInMemoryChannelLayer(capacity=2)
    channel = await layer.new_channel()
    await layer.group_add("agent.a", channel)
    for n in range(3):
        await layer.group_send("agent.a", {"type": "agent.event", "n": n})
    assert layer.receive_nowait(channel) == {"type": OVERFLOW}
    assert [layer.receive_nowait(channel)["n"] for _ in range(2)] == [0, 1]
    assert layer.receive_nowait(channel) is None
