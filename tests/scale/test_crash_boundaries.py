"""A run that dies at an awkward moment is resumed by the sweep with nothing lost: in-process and exact.

The multi-process tests kill a worker wherever it happens to be; these put the failure exactly where it
used to lose work: a Redis error that made the run release its lease, and a death between saving a file
and recording its event.
"""

from __future__ import annotations

import pytest
import redis
from django.utils import timezone

from agents import events, lifecycle, pipeline, services
from agents.models import Agent, AgentStatus, Event
from agents.tasks import sweep
from tests.scale.cluster import generated_files

pytestmark = pytest.mark.django_db(transaction=True)


class Died(Exception):
    """Stands for whatever kills a run that the pipeline does not expect."""


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _planned_agent(user) -> Agent:
    agent = services.agent_create(owner=user, query="an expense tracker")
    services.agent_generate_blueprint(agent=agent)
    Agent.objects.filter(pk=agent.pk).update(generation_requested=True)
    return agent


def _files(agent: Agent) -> dict[str, str]:
    return dict(agent.files.filter(complete=True).values_list("path", "content"))


def _resume_after_lease_expiry(agent: Agent) -> None:
    agent.refresh_from_db()
    assert agent.status == AgentStatus.GENERATING
    assert agent.lease_owner.startswith("run-"), "a run that died must leave its lease to expire, not release it"
    Agent.objects.filter(pk=agent.pk).update(lease_expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert sweep() == 1
    agent.refresh_from_db()
    assert agent.status == AgentStatus.COMPLETE


def _assert_each_planned_file_has_one_event(agent: Agent) -> None:
    frames = list(Event.objects.filter(agent=agent).order_by("seq").values_list("payload", flat=True))
    planned, generated, _ = generated_files(frames)
    assert sorted(generated) == sorted(planned)


def test_run_whose_emit_fails_on_a_redis_error_keeps_its_lease_and_is_resumed(user, monkeypatch):
    reference = _planned_agent(user)
    assert pipeline.run(agent_id=reference.pk).status == "complete"
    agent = _planned_agent(user)
    real_next_seq = events._next_seq
    calls = iter(range(10_000))

    def next_seq_until_redis_goes_away(agent_id):
        if next(calls) == 5:
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return real_next_seq(agent_id)

    monkeypatch.setattr(events, "_next_seq", next_seq_until_redis_goes_away)
    with pytest.raises(redis.exceptions.ConnectionError):
        pipeline.run(agent_id=agent.pk)
    monkeypatch.setattr(events, "_next_seq", real_next_seq)

    _resume_after_lease_expiry(agent)
    assert _files(agent) == _files(reference)
    _assert_each_planned_file_has_one_event(agent)


@pytest.mark.parametrize("event", ["file_generated", "phase_implemented", "generation_complete"])
def test_run_that_dies_as_it_records_a_step_loses_neither_the_step_nor_its_event(user, monkeypatch, event):
    agent = _planned_agent(user)
    real_emit = pipeline.emit
    died = []

    def emit_that_dies_once(agent_id, type, **fields):
        if type == event and not died:
            died.append(type)
            raise Died(f"the process died as it recorded {type}")
        return real_emit(agent_id, type, **fields)

    monkeypatch.setattr(pipeline, "emit", emit_that_dies_once)
    monkeypatch.setattr(lifecycle, "emit", emit_that_dies_once)  # status transitions emit there
    with pytest.raises(Died):
        pipeline.run(agent_id=agent.pk)

    _resume_after_lease_expiry(agent)
    kinds = list(Event.objects.filter(agent=agent).values_list("type", flat=True))
    assert kinds.count("generation_complete") == 1
    assert kinds.count("phase_implemented") == agent.phases.count()
    _assert_each_planned_file_has_one_event(agent)
