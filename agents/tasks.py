"""Agent runs as tasks of Django's Tasks API, and the sweep that resumes runs that died.

The code only ever calls `enqueue_run()`; settings decide whether the run happens on the in-process
thread pool, in a `manage.py db_worker` process or on a Celery worker (agents.celerybackend).
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.utils import timezone
from django_tasks import task

from agents import pipeline
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
    """Re-enqueue agents whose run died: active status, expired lease, and work still wanted.

    Each candidate is claimed with a conditional UPDATE (pushing its expiry forward a little), so when
    several workers sweep at once only one of them enqueues it.
    """
    now = timezone.now()
    candidates = Agent.objects.filter(status__in=ACTIVE_STATUSES, lease_expires_at__lt=now).exclude(lease_owner="")
    resumed = 0
    for agent_id, expires in candidates.values_list("pk", "lease_expires_at"):
        agent = Agent.objects.filter(pk=agent_id).values("generation_requested", "blueprint").first()
        if agent is None or not (agent["generation_requested"] or agent["blueprint"] is None):
            continue
        claimed = Agent.objects.filter(pk=agent_id, lease_expires_at=expires).update(
            lease_owner="sweep", lease_expires_at=now + timezone.timedelta(seconds=1)
        )
        if claimed:
            logger.info("Resuming agent %s whose run stopped renewing its lease", agent_id)
            Agent.objects.filter(pk=agent_id).update(lease_owner="", lease_expires_at=None)
            run_agent.enqueue(agent_id=str(agent_id))
            resumed += 1
    return resumed


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
