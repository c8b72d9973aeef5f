"""Driving an agent in the test's own thread, and reading back what it produced."""

from __future__ import annotations

import time

from agents import pipeline
from agents.models import Agent, Event


def generate(agent: Agent) -> pipeline.RunOutcome:
    """Run generation to the end in this thread, as the task would (after the planning run let go)."""
    wait_for(lambda: not Agent.objects.get(pk=agent.pk).lease_owner)
    Agent.objects.filter(pk=agent.pk).update(generation_requested=True, stop_requested=False)
    outcome = pipeline.run(agent_id=agent.pk)
    agent.refresh_from_db()
    return outcome


def files_of(agent: Agent) -> dict[str, str]:
    return dict(agent.files.filter(complete=True).values_list("path", "content"))


def event_types(agent: Agent) -> list[str]:
    return list(Event.objects.filter(agent=agent).order_by("seq").values_list("type", flat=True))


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
