"""Deploying an agent's preview: collect its complete files, publish them with `previews`, tell clients.

`previews` only publishes files on an isolated origin; this module is where agents meet it, and the only
emitter of the `deployment_*` and `build_log` events. Deploying unchanged files reuses the live deployment
and emits only `deployment_completed` (nothing is published), so a client that asked over the socket still
gets an answer.

The backend is the template's (`static`, or `build` for react-vite). A build never runs in a web process:
asked from a view or the socket, the deployment is created `building`, `deployment_started` is emitted and
the build is enqueued as a task (`agents.tasks.build_preview`) for a worker; the pipeline, already in a
worker, builds in place so it can feed a build error to a fix.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from django.conf import settings
from django.utils import timezone

from agents import catalog, selectors
from agents.events import emit
from agents.models import Agent, AgentStatus, Phase, Version, VersionKind
from config.errors import InvalidInput
from config.ratelimits import enforce
from previews.models import Deployment, DeploymentStatus
from previews.origins import app_preview_url, preview_url
from previews.services import deployment_prepare, deployment_publish

# build_log: lines are sent in batches (at most one frame per interval), and at most MAX_LOG_LINES per build.
LOG_INTERVAL = 0.25
MAX_LOG_LINES = 400
LINES_PER_FRAME = 50  # 50 lines of at most 500 characters: far below the frame cap


def deploy_rate_enforce(*, user) -> None:
    """Count one deployment a user asked for (HTTP deploy-preview or the socket's `preview`: one counter),
    refused past ATELIER_DEPLOY_RATE. Deployments a run makes itself are not counted."""
    enforce(
        request=SimpleNamespace(user=user),
        group="deploy",
        key="user",
        rate=settings.DEPLOY_RATE,
        message="Too many deployments.",
    )


def backend_for(agent: Agent) -> str:
    return catalog.get(agent.template_name).backend


def agent_deploy_preview(*, agent: Agent, request_host: str | None = None, in_worker: bool = False) -> Deployment:
    """Publish the agent's complete files on a preview origin, or reuse the live one for the same files.

    `request_host` is the Host of the request that asked, if any (for the port of the preview URL).
    `in_worker`: the caller is a task (a run), so a build may run here; otherwise it is enqueued.
    A publishing failure is not raised: the deployment is returned `failed` and `deployment_failed` emitted.
    """
    files = selectors.agent_files(agent=agent)
    if not files:
        raise InvalidInput("Nothing to deploy yet: the app has no files.")
    in_flight = _building(agent=agent, files=files)
    if in_flight is not None and not in_worker:
        return in_flight  # the same files are being built already: their events will follow
    agent.refresh_from_db(fields=["status"])
    missing = sorted(_planned_paths(agent) - set(files))
    incomplete = agent.status != AgentStatus.COMPLETE or bool(missing)
    deployment, reused = deployment_prepare(
        agent_id=agent.pk, files=files, backend=backend_for(agent), missing_files=missing, incomplete=incomplete
    )
    if reused:
        return _completed(agent, deployment, request_host, reused=True)
    emit(
        agent.pk,
        "deployment_started",
        deploymentId=str(deployment.id),
        backend=deployment.backend,
        message="Building the preview…" if deployment.status == DeploymentStatus.BUILDING else "Deploying the preview…",
    )
    if deployment.status == DeploymentStatus.BUILDING and not in_worker:
        from agents.tasks import enqueue_build  # tasks imports the pipeline, which imports this module

        enqueue_build(deployment_id=deployment.id)
        return deployment
    return publish(agent=agent, deployment=deployment, files=files, request_host=request_host)


def publish(
    *, agent: Agent, deployment: Deployment, files: dict[str, str] | None = None, request_host: str | None = None
) -> Deployment:
    """Publish (build) a prepared deployment and emit how it ended."""
    files = selectors.agent_files(agent=agent) if files is None else files
    log = BuildLog(agent.pk, deployment.id) if deployment.status == DeploymentStatus.BUILDING else None
    try:
        deployment = deployment_publish(deployment=deployment, files=files, log=log)
    finally:
        if log is not None:
            log.close()
    if deployment.status == DeploymentStatus.FAILED:
        emit(
            agent.pk,
            "deployment_failed",
            deploymentId=str(deployment.id),
            error=deployment.error,
            message=f"Preview deployment failed: {deployment.error.splitlines()[0] if deployment.error else ''}",
        )
        return deployment
    return _completed(agent, deployment, request_host, reused=False)


def _completed(agent: Agent, deployment: Deployment, request_host: str | None, *, reused: bool) -> Deployment:
    url = preview_url(deployment_id=deployment.id, request_host=request_host)
    emit(
        agent.pk,
        "deployment_completed",
        deploymentId=str(deployment.id),
        previewUrl=url,
        previewURL=url,  # VibeSDK's spelling, for its clients
        appUrl=app_preview_url(agent_id=agent.pk, request_host=request_host),
        incomplete=deployment.incomplete,
        missingFiles=deployment.missing_files,
        message=completed_message(deployment, reused=reused),
    )
    return deployment


def _building(*, agent: Agent, files: dict[str, str]) -> Deployment | None:
    """A build of exactly these files still within its time limit (asking twice builds once)."""
    from previews.services import files_digest

    recent = timezone.now() - timezone.timedelta(seconds=settings.BUILD_TIMEOUT_SECONDS + 60)
    return (
        Deployment.objects.filter(
            agent=agent, status=DeploymentStatus.BUILDING, files_digest=files_digest(files=files), created_at__gt=recent
        )
        .order_by("-created_at")
        .first()
    )


class BuildLog:
    """Sends a build's output as `build_log` frames: batched, each line cut short, at most MAX_LOG_LINES."""

    def __init__(self, agent_id, deployment_id):
        self.agent_id, self.deployment_id = agent_id, str(deployment_id)
        self._pending: list[str] = []
        self._sent = 0
        self._dropped = 0
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            if self._sent + len(self._pending) >= MAX_LOG_LINES:
                self._dropped += 1
                return
            self._pending.append(line)
            if len(self._pending) >= LINES_PER_FRAME or time.monotonic() - self._last >= LOG_INTERVAL:
                self._flush()

    def _flush(self) -> None:
        if self._pending:
            emit(self.agent_id, "build_log", deploymentId=self.deployment_id, lines=self._pending)
            self._sent += len(self._pending)
            self._pending = []
        self._last = time.monotonic()

    def close(self) -> None:
        with self._lock:
            if self._dropped:
                self._pending.append(f"… {self._dropped} more line(s) not shown")
                self._dropped = 0
            self._flush()


def _planned_paths(agent: Agent) -> set[str]:
    """The files the phases planned, unless the app's files are a restored version: the user chose that
    tree, so files a later phase wrote and the restore removed are not "not written yet"."""
    latest_kind = Version.objects.filter(agent=agent).values_list("kind", flat=True).first()
    if latest_kind == VersionKind.RESTORE:
        return set()
    return {f["path"] for files in Phase.objects.filter(agent=agent).values_list("files", flat=True) for f in files}


def completed_message(deployment: Deployment, *, reused: bool = False) -> str:
    """What a deployment holds, in words: an unfinished app is never announced as done."""
    if deployment.incomplete:
        missing = deployment.missing_files
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            lacking = f" {shown} {'is' if len(missing) == 1 else 'are'} not written yet."
        else:
            lacking = " Generation did not finish."
        return "Preview of an incomplete app:" + lacking + " Resume generation to finish it."
    return "Preview is up to date." if reused else "Preview is live."
