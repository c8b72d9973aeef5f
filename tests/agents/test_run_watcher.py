"""One watcher per process (agents.lifecycle.RunWatcher): stops and lost leases for all of its runs at once."""

import threading
import time

import pytest
from django.db.backends.utils import CursorWrapper
from django_tasks.signals import task_enqueued

from agents import lifecycle, pipeline
from agents.models import Agent, AgentStatus
from agents.tasks import run_agent
from tests.agents.test_generation_on_real_wire import offline_responder
from tests.support.agents import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class Watched:
    """A watchdog on an agent whose lease it holds, recording when it was cancelled."""

    def __init__(self, agent: Agent):
        self.agent = agent
        self.owner = f"run-test-{agent.pk.hex[:8]}"
        assert lifecycle.take_lease(agent_id=agent.pk, owner=self.owner)
        self.cancelled = threading.Event()
        self.watchdog = lifecycle.Watchdog(agent_id=agent.pk, owner=self.owner, on_cancel=self.cancelled.set)

    def __enter__(self):
        self.watchdog.start()
        return self

    def __exit__(self, *exc):
        self.watchdog.stop()


@pytest.fixture
def watched(create_agent):
    started: list[Watched] = []

    def watch(count: int) -> list[Watched]:
        for _ in range(count):
            started.append(Watched(create_agent(blueprint=False)).__enter__())
        return started[-count:]

    yield watch
    for item in started:
        item.__exit__()


@pytest.fixture
def watcher_queries(monkeypatch):
    """Statements the watcher thread sends, and the ticks it made, counted from now on."""
    counts = {"statements": 0, "ticks": 0}
    execute, tick = CursorWrapper.execute, lifecycle.RunWatcher._tick

    def counting_execute(self, *args, **kwargs):
        if threading.current_thread().name == "atelier-run-watcher":
            counts["statements"] += 1
        return execute(self, *args, **kwargs)

    def counting_tick(self):
        tick(self)
        counts["ticks"] += 1

    monkeypatch.setattr(CursorWrapper, "execute", counting_execute)
    monkeypatch.setattr(lifecycle.RunWatcher, "_tick", counting_tick)
    return counts


def test_a_stop_cancels_that_run_within_a_second_and_no_other(watched):
    runs = watched(20)
    target = runs[7]
    asked = time.monotonic()
    Agent.objects.filter(pk=target.agent.pk).update(stop_requested=True)

    assert target.cancelled.wait(timeout=1.0), "the stop did not reach the run within a second"
    assert time.monotonic() - asked < 1.0
    assert target.watchdog.stop_seen and not target.watchdog.lost
    assert [r for r in runs if r.cancelled.is_set()] == [target]


def test_one_statement_per_tick_for_one_run_or_thirty(watched, watcher_queries, settings):
    settings.AGENT_LEASE_SECONDS = 3600  # no renewal during the test
    per_tick = []
    for count in (1, 29):
        watched(count)
        watcher_queries.update(statements=0, ticks=0)
        wait_for(lambda: watcher_queries["ticks"] >= 5, timeout=10)
        per_tick.append(watcher_queries["statements"] / watcher_queries["ticks"])
    assert lifecycle.watcher.watching() == 30
    assert len([t for t in threading.enumerate() if t.name == "atelier-run-watcher"]) == 1
    assert per_tick[0] == pytest.approx(1.0, abs=0.2)
    assert per_tick[1] == pytest.approx(per_tick[0], abs=0.2), f"statements per tick grew with runs: {per_tick}"


def test_leases_are_renewed_together_and_a_lease_taken_elsewhere_cancels_its_run(watched, settings):
    settings.AGENT_LEASE_SECONDS = 3  # renewed every second
    kept, taken = watched(2)
    before = Agent.objects.get(pk=kept.agent.pk).lease_expires_at
    Agent.objects.filter(pk=taken.agent.pk).update(lease_owner="run-elsewhere")

    assert taken.cancelled.wait(timeout=5)
    assert taken.watchdog.lost and not taken.watchdog.stop_seen
    wait_for(lambda: Agent.objects.get(pk=kept.agent.pk).lease_expires_at > before, timeout=5)
    assert not kept.cancelled.is_set()
    assert Agent.objects.get(pk=kept.agent.pk).lease_owner == kept.owner


@pytest.fixture
def enqueued_runs(settings):
    """Runs are enqueued on django-tasks' dummy backend: their kwargs are recorded, never executed."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    runs = []

    def record(sender, task_result, **kwargs):
        if task_result.task == run_agent:
            runs.append(task_result.kwargs)

    task_enqueued.connect(record)
    yield runs
    task_enqueued.disconnect(record)
    lifecycle.watcher.draining = False


def test_draining_hands_a_generating_run_over_from_durable_state(create_agent, use_model, enqueued_runs):
    server = use_model("openai", offline_responder)
    agent = create_agent()
    server.chunk_delay = 0.02
    Agent.objects.filter(pk=agent.pk).update(generation_requested=True)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(run=pipeline.run(agent_id=agent.pk)))
    worker.start()
    wait_for(lambda: agent.files.filter(complete=True).exists(), timeout=30)

    assert lifecycle.watcher.drain() == 1
    worker.join(timeout=10)

    assert outcome["run"].status == "handed_off"
    agent.refresh_from_db()
    assert agent.status == AgentStatus.GENERATING and agent.generation_requested
    assert agent.lease_owner == "" and agent.error == ""
    assert enqueued_runs == [{"agent_id": str(agent.pk)}]
    assert agent.files.filter(complete=True).exists(), "the files written before the drain are kept"


def test_a_stop_during_a_drain_stops_the_agent(create_agent, use_model, enqueued_runs):
    server = use_model("openai", offline_responder)
    agent = create_agent()
    server.chunk_delay = 0.02
    Agent.objects.filter(pk=agent.pk).update(generation_requested=True)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(run=pipeline.run(agent_id=agent.pk)))
    worker.start()
    wait_for(lambda: agent.files.filter(complete=True).exists(), timeout=30)

    lifecycle.request_stop(agent_id=agent.pk)  # written, but the drain comes first
    lifecycle.watcher.drain()
    worker.join(timeout=10)

    agent.refresh_from_db()
    assert agent.status == AgentStatus.STOPPED
    assert agent.lease_owner == ""
    assert enqueued_runs == []
