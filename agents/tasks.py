"""Agent runs as tasks of Django's Tasks API, and the sweep that resumes runs that died.

The code only ever calls `enqueue_run()`; settings decide whether the run happens on the in-process
thread pool, in a `manage.py db_worker` process or on a Celery worker (agents.celerybackend).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from agents import lifecycle, pipeline
from agents.models import ACTIVE_STATUSES, Agent

logger = logging.getLogger(__name__)


@task()
def run_agent(agent_id: str) -> str:
    """Work on one agent until it is complete, stopped or failed (or another run holds it)."""
    return pipeline.run(agent_id=agent_id).status


def enqueue_run(*, agent_id) -> None:
    """Enqueue a run once the current transaction (if any) has committed."""
    transaction.on_commit(lambda: run_agent.enqueue(agent_id=str(agent_id)))


def sweep() -> int:
    """Resume what died, count what keeps dying, and tidy up after killed workers. Returns the runs enqueued.

    A plain function, safe to call from several processes at once (each recovery is claimed with a conditional
    UPDATE in agents.lifecycle), on a thread (`start_sweeper`) or as a periodic task.
    - A run that stopped renewing its lease with work still wanted: its crash is counted, and it is resumed
      from durable state, or after AGENT_MAX_CRASHES the agent fails with a message saying so.
    - A run that was wanted but never took the lease (its task was lost before it started) is enqueued again
      after AGENT_RUN_START_GRACE_SECONDS.
    - Task rows a killed `db_worker` left RUNNING are marked FAILED.
    """
    now = timezone.now()
    wanted = Q(generation_requested=True) | Q(blueprint__isnull=True)
    resumed = 0
    dead = Agent.objects.filter(wanted, status__in=ACTIVE_STATUSES, lease_expires_at__lt=now).exclude(lease_owner="")
    for agent_id, expires in dead.values_list("pk", "lease_expires_at"):
        recovered = lifecycle.recover_dead_run(agent_id=agent_id, expires=expires)
        if recovered:
            fail_lost_task_rows(now=now, agent_id=agent_id)  # the dead run's row, before the next one exists
        if recovered == "resume":
            logger.info("Resuming agent %s whose run stopped renewing its lease", agent_id)
            run_agent.enqueue(agent_id=str(agent_id))
            resumed += 1
    grace = now - timedelta(seconds=settings.AGENT_RUN_START_GRACE_SECONDS)
    unstarted = Agent.objects.filter(
        wanted, status__in=ACTIVE_STATUSES, lease_owner="", stop_requested=False, run_requested_at__lt=grace
    )
    for agent_id, requested_at in unstarted.values_list("pk", "run_requested_at"):
        if lifecycle.reclaim_unstarted_run(agent_id=agent_id, requested_at=requested_at):
            logger.info("Enqueueing agent %s again: its run was wanted but never started", agent_id)
            run_agent.enqueue(agent_id=str(agent_id))
            resumed += 1
    fail_lost_task_rows(now=now)
    return resumed


def fail_lost_task_rows(*, now, agent_id=None) -> int:
    """Mark FAILED the `run_agent` rows left RUNNING by a worker that died. With `agent_id` (its dead run was
    just recovered, and the next not yet enqueued): all of that agent's. Otherwise those RUNNING for longer
    than a lease whose agent no run holds: a live run renews its lease, so nobody is left to finish them."""
    if settings.TASKS_BACKEND != "database":
        return 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, task_path=run_agent.module_path)
    if agent_id is None:
        rows = rows.filter(started_at__lt=now - timedelta(seconds=settings.AGENT_LEASE_SECONDS))
    lost = []
    for row_id, args in rows.values_list("id", "args_kwargs"):
        row_agent = (args or {}).get("kwargs", {}).get("agent_id")
        if agent_id is not None:
            if row_agent == str(agent_id):
                lost.append(row_id)
            continue
        agent = Agent.objects.filter(pk=row_agent).only("lease_owner", "lease_expires_at").first()
        if agent is None or not lifecycle.lease_is_live(agent):
            lost.append(row_id)
    if lost:
        DBTaskResult.objects.filter(id__in=lost, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="agents.tasks.WorkerLost",
            traceback="The worker running this task stopped (killed or crashed) before finishing it; the sweep "
            "resumed or failed its agent.",
        )
        logger.info("Marked %d task row(s) of dead workers failed", len(lost))
    return len(lost)


_sweeper_lock = threading.Lock()
_sweeper: threading.Thread | None = None


def start_sweeper(interval: float | None = None) -> None:
    """Sweep now and then every `interval` seconds on a daemon thread (once per process)."""
    global _sweeper
    with _sweeper_lock:
        if _sweeper is not None and _sweeper.is_alive():
            return
        _sweeper = threading.Thread(
            target=_sweep_forever,
            args=(interval or settings.AGENT_SWEEP_INTERVAL,),
            name="atelier-sweeper",
            daemon=True,
        )
        _sweeper.start()


def _my_turn_to_sweep(interval: float) -> bool:
    """Whether this process sweeps now: one process per interval across all that share the cache (Redis)."""
    return cache.add("atelier:sweep-turn", 1, timeout=max(1, int(interval)))


def _sweep_forever(interval: float) -> None:
    stop = threading.Event()
    while True:
        try:
            close_old_connections()
            if _my_turn_to_sweep(interval):
                sweep()
        except Exception:  # noqa: BLE001 - the sweeper must outlive a database hiccup
            logger.warning("Agent sweep failed", exc_info=True)
        finally:
            close_old_connections()
        stop.wait(interval)


@task()
def build_preview(deployment_id: str) -> str:
    """Build and publish a deployment prepared by a web process (the build never runs there)."""
    from agents.deployments import publish
    from previews.models import Deployment, DeploymentStatus

    deployment = Deployment.objects.filter(pk=deployment_id, status=DeploymentStatus.BUILDING).first()
    if deployment is None:
        return "gone"
    agent = Agent.objects.get(pk=deployment.agent_id)
    return publish(agent=agent, deployment=deployment).status


def enqueue_build(*, deployment_id) -> None:
    """Enqueue a preview build once the current transaction (if any) has committed."""
    transaction.on_commit(lambda: build_preview.enqueue(deployment_id=str(deployment_id)))
