"""The sweep's crash accounting (agents.tasks.sweep, agents.lifecycle): resume what died, fail what keeps
dying, re-enqueue what never started, and mark the task rows of killed workers failed.

Time passing is simulated by moving the lease expiry and the request time into the past; the task queue is
replaced by a recorder, so each test decides which run happens.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from agents import pipeline, services, tasks
from agents.models import Agent, AgentStatus, Event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def enqueued(monkeypatch):
    calls: list[dict] = []
    fake = SimpleNamespace(enqueue=lambda **kwargs: calls.append(kwargs), module_path=tasks.run_agent.module_path)
    monkeypatch.setattr(tasks, "run_agent", fake)
    return calls


def _lease_expires(agent: Agent) -> None:
    Agent.objects.filter(pk=agent.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_run_that_always_raises_ends_failed_after_the_crash_limit(user, settings, monkeypatch, enqueued):
    runs = []

    def always_raises(*, agent, cancel):
        runs.append(agent.pk)
        raise RuntimeError("a bug in the pipeline")

    monkeypatch.setattr(pipeline, "advance", always_raises)
    agent = services.agent_create(owner=user, query="a todo list")
    for _ in range(settings.AGENT_MAX_CRASHES):
        with pytest.raises(RuntimeError):
            pipeline.run(agent_id=agent.pk)
        _lease_expires(agent)  # the lease of the dead run runs out
        tasks.sweep()

    agent.refresh_from_db()
    assert len(runs) == settings.AGENT_MAX_CRASHES
    assert len(enqueued) == settings.AGENT_MAX_CRASHES - 1  # resumed after each crash but the last
    assert (agent.status, agent.crash_count, agent.lease_owner) == (AgentStatus.FAILED, 3, "")
    assert f"{settings.AGENT_MAX_CRASHES} times in a row" in agent.error
    error = Event.objects.filter(agent=agent, type="error").last().payload
    assert error["code"] == "RUN_CRASHED"
    tasks.sweep()
    assert len(enqueued) == settings.AGENT_MAX_CRASHES - 1  # failed stays failed


def test_a_run_wanted_but_never_started_is_enqueued_again_after_the_grace_period(user, settings, enqueued):
    agent = services.agent_create(owner=user, query="a todo list")
    requested = timezone.now() - timedelta(seconds=settings.AGENT_RUN_START_GRACE_SECONDS + 1)
    Agent.objects.filter(pk=agent.pk).update(run_requested_at=requested)  # its task was lost before it ran

    assert tasks.sweep() == 1
    assert tasks.sweep() == 0  # once per grace period
    assert enqueued == [{"agent_id": str(agent.pk)}]


def test_a_run_requested_within_the_grace_period_is_left_to_its_task(user, enqueued):
    agent = services.agent_create(owner=user, query="a todo list")
    Agent.objects.filter(pk=agent.pk).update(run_requested_at=timezone.now())

    assert tasks.sweep() == 0
    assert enqueued == []


def test_task_rows_left_running_by_a_killed_worker_are_marked_failed(user, settings, enqueued):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.TASKS_BACKEND = "database"
    dead = services.agent_create(owner=user, query="a todo list")
    alive = services.agent_create(owner=user, query="a notes app")
    long_ago = timezone.now() - timedelta(seconds=settings.AGENT_LEASE_SECONDS * 3)
    Agent.objects.filter(pk=dead.pk).update(
        lease_owner="run-killed", lease_expires_at=timezone.now() - timedelta(seconds=1), generation_requested=True
    )
    Agent.objects.filter(pk=alive.pk).update(
        lease_owner="run-alive", lease_expires_at=timezone.now() + timedelta(seconds=30)
    )

    def row(agent):
        return DBTaskResult.objects.create(
            status=TaskResultStatus.RUNNING,
            started_at=long_ago,
            args_kwargs={"args": [], "kwargs": {"agent_id": str(agent.pk)}},
            task_path=tasks.run_agent.module_path,
            backend_name="default",
            run_after=long_ago,
            worker_ids=["worker-1"],
        )

    killed, running = row(dead), row(alive)
    assert tasks.sweep() == 1

    killed.refresh_from_db()
    running.refresh_from_db()
    assert killed.status == TaskResultStatus.FAILED
    assert "stopped (killed or crashed)" in killed.traceback
    assert running.status == TaskResultStatus.RUNNING
