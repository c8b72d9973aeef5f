"""A Tasks API backend on Celery: `enqueue()` sends the task to a Redis broker, Celery workers run it.

Ours rather than django-tasks-celery (0.1): that package needs Django 6 / Python 3.12 (`django.tasks`, not
the `django_tasks` backport this project runs on) and registers each task through Celery's private
`_task_from_fun`. Here one Celery task, `atelier.execute`, runs any Tasks API task by its import path, with
the same signals and error recording as the thread backend (agents.taskbackend.execute).

Delivery: acks are late, so the message of a worker that dies is delivered again once the broker's
visibility timeout passes (set to the lease plus a sweep interval in settings). A second delivery of a run
still in progress finds its lease held and ends at once (`busy`); the lease, not the broker, is what keeps
one writer per agent. Runs keep no Celery result (their outcome is the agent row).

Worker process: the sweep for dead runs starts with it (once per interval across the cluster, see
agents.tasks), and a warm shutdown (`SIGTERM`) drains: every run hands its agent over from durable state
and is re-enqueued for another worker, instead of being waited for.
"""

from __future__ import annotations

import logging

from celery import signals
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id

from agents.taskbackend import execute
from config.celery import app

logger = logging.getLogger(__name__)

EXECUTE = "atelier.execute"


class CeleryBackend(BaseTaskBackend):
    supports_defer = True

    def enqueue(self, task: Task, args, kwargs) -> TaskResult:
        self.validate_task(task)
        result = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        options = {"task_id": result.id, "eta": task.run_after}
        if task.queue_name != "default":
            options["queue"] = task.queue_name
        app.send_task(EXECUTE, args=[task.module_path, result.args, result.kwargs], **options)
        task_enqueued.send(type(self), task_result=result)
        return result


@app.task(name=EXECUTE, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def execute_task(self, module_path: str, args: list, kwargs: dict) -> None:
    """Run the Tasks API task at `module_path` in this worker thread."""
    task = import_string(module_path)
    if not isinstance(task, Task):
        raise TypeError(f"{module_path} is not a task")
    result = TaskResult(
        task=task,
        id=self.request.id,
        status=TaskResultStatus.READY,
        enqueued_at=None,
        started_at=None,
        last_attempted_at=None,
        finished_at=None,
        args=args,
        kwargs=kwargs,
        backend=task.backend,
        errors=[],
        worker_ids=[],
    )
    close_old_connections()
    try:
        execute(result, worker_id=self.request.hostname or "celery", sender=CeleryBackend)
    finally:
        # Pool threads are reused: a run's connection goes back (or closes) when the run ends.
        connections.close_all()


@signals.worker_ready.connect
def _start_sweeping(sender=None, **kwargs) -> None:
    if settings.TASKS_BACKEND == "celery":
        from agents.tasks import start_sweeper

        start_sweeper()


@signals.worker_shutting_down.connect
def _drain(sender=None, sig=None, how=None, **kwargs) -> None:
    from agents.lifecycle import watcher

    handed = watcher.drain()
    logger.info("Worker shutting down (%s, %s): handing %d run(s) over to other workers", sig, how, handed)
