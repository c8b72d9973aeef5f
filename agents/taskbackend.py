"""The embedded default's task backend: agent runs on a bounded thread pool inside the process.

A small `BaseTaskBackend` for django-tasks (Django's Tasks API backport). Results live in memory for
this process only, which is all the embedded default needs; `ATELIER_TASKS_BACKEND=database` switches
to django-tasks-db and `manage.py db_worker` processes.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskContext, TaskError, TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks.signals import task_enqueued, task_finished, task_started
from django_tasks.utils import get_exception_traceback, get_module_path, get_random_id, normalize_json

logger = logging.getLogger(__name__)


class ThreadPoolBackend(BaseTaskBackend):
    supports_get_result = True

    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        self.max_workers = int(self.options.get("max_workers", 4))
        self.worker_id = get_random_id()
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._results: dict[str, TaskResult] = {}

    @property
    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.max_workers, thread_name_prefix="atelier-run")
            return self._executor

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
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        self._results[result.id] = result
        task_enqueued.send(type(self), task_result=result)
        self.executor.submit(self._execute, result)
        return result

    def get_result(self, result_id: str) -> TaskResult:
        try:
            return self._results[result_id]
        except KeyError:
            raise TaskResultDoesNotExist(result_id) from None

    def _execute(self, result: TaskResult) -> None:
        close_old_connections()
        try:
            execute(result, worker_id=self.worker_id, sender=type(self))
        finally:
            # Threads are reused: never leave a connection open across tasks.
            connections.close_all()
            # Keep memory bounded: finished results are only useful briefly.
            if len(self._results) > 1000:
                for key in [k for k, r in self._results.items() if r.is_finished][:500]:
                    self._results.pop(key, None)

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=wait, cancel_futures=True)
                self._executor = None


def execute(result: TaskResult, *, worker_id: str, sender: type) -> None:
    """Run one task on this thread, recording it on `result` and sending the Tasks API's signals.

    Shared with the Celery backend (agents.celerybackend), whose workers run tasks the same way.
    """
    now = timezone.now()
    object.__setattr__(result, "status", TaskResultStatus.RUNNING)
    object.__setattr__(result, "started_at", now)
    object.__setattr__(result, "last_attempted_at", now)
    result.worker_ids.append(worker_id)
    task_started.send(sender, task_result=result)
    try:
        task = result.task
        if task.takes_context:
            value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
        else:
            value = task.call(*result.args, **result.kwargs)
        object.__setattr__(result, "_return_value", normalize_json(value))
        object.__setattr__(result, "status", TaskResultStatus.SUCCESSFUL)
    except BaseException as exc:  # noqa: BLE001 - recorded on the result, like the other backends
        logger.exception("Task %s failed", result.task.name)
        result.errors.append(
            TaskError(exception_class_path=get_module_path(type(exc)), traceback=get_exception_traceback(exc))
        )
        object.__setattr__(result, "status", TaskResultStatus.FAILED)
    finally:
        object.__setattr__(result, "finished_at", timezone.now())
        task_finished.send(sender, task_result=result)
