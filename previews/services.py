"""Deploying previews: snapshot an agent's complete files onto a deployment's own origin.

`deploy()` is idempotent for unchanged files: a ready, unexpired deployment of the same files is returned
as it is. It then emits only `deployment_completed` (no `deployment_started`, since nothing is published),
so a client that asked over the socket (`preview`) still gets its answer.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from agents.events import emit
from agents.models import Agent, File
from config.errors import InvalidInput
from previews import storage
from previews.backends import PublishFailed, get_backend
from previews.models import Deployment, DeploymentStatus
from previews.selectors import deployment_get_reusable

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": "80", "https": "443"}


def files_digest(*, files: Mapping[str, str]) -> str:
    """sha256 over the sorted (path, sha256 of content) pairs: equal exactly when the files are."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\0{File.digest(files[path])}\n".encode())
    return digest.hexdigest()


def preview_url_for(deployment: Deployment, port: str | None = None) -> str:
    """`<scheme>://<id>.<domain>[:port]/`; settings.PREVIEW_PORT wins over `port`, default ports are left out."""
    scheme = settings.PREVIEW_SCHEME
    port = str(settings.PREVIEW_PORT or port or "")
    suffix = f":{port}" if port and port != DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{deployment.id}.{settings.PREVIEW_DOMAIN}{suffix}/"


def deploy(*, agent: Agent, base_port: str | None = None) -> Deployment:
    """Publish the agent's complete files on a new preview origin, or return the live one for the same files.

    `base_port` is the port of the request that asked (used in the preview URL unless PREVIEW_PORT is set).
    A publishing failure is not raised: the deployment is returned `failed`, with the reason in `error`,
    and `deployment_failed` is emitted.
    """
    files = dict(File.objects.filter(agent=agent, complete=True).values_list("path", "content"))
    if not files:
        raise InvalidInput("Nothing to deploy yet: the app has no files.")
    backend = get_backend()
    digest = files_digest(files=files)

    existing = deployment_get_reusable(agent=agent, files_digest=digest, backend=backend.name)
    if existing is not None and storage.is_published(existing.id):
        return _reuse(existing, base_port=base_port)

    deployment = Deployment.objects.create(
        agent=agent,
        files_digest=digest,
        backend=backend.name,
        status=DeploymentStatus.BUILDING if backend.builds else DeploymentStatus.PENDING,
    )
    emit(agent.id, "deployment_started", deploymentId=str(deployment.id), message="Deploying the preview…")
    try:
        storage.publish(deployment_id=deployment.id, fill=lambda folder: backend.fill(files=files, folder=folder))
    except PublishFailed as exc:
        return _fail(deployment, str(exc))
    except OSError as exc:
        logger.exception("Publishing deployment %s failed", deployment.id)
        return _fail(deployment, f"Could not write the preview files: {exc.strerror or exc}.")
    except Exception:
        logger.exception("Publishing deployment %s failed", deployment.id)
        return _fail(deployment, "Publishing the preview failed unexpectedly.")

    deployment.status = DeploymentStatus.READY
    deployment.preview_url = preview_url_for(deployment, base_port)
    deployment.save(update_fields=["status", "preview_url", "updated_at"])
    emit(
        agent.id,
        "deployment_completed",
        deploymentId=str(deployment.id),
        previewUrl=deployment.preview_url,
        previewURL=deployment.preview_url,  # VibeSDK's spelling, for its clients
        message="Preview is live.",
    )
    return deployment


def _reuse(deployment: Deployment, *, base_port: str | None) -> Deployment:
    # A deployment made without a request (the pipeline) may lack the port; a request that knows it fixes that.
    if base_port or settings.PREVIEW_PORT:
        url = preview_url_for(deployment, base_port)
        if url != deployment.preview_url:
            deployment.preview_url = url
            deployment.save(update_fields=["preview_url", "updated_at"])
    emit(
        deployment.agent_id,
        "deployment_completed",
        deploymentId=str(deployment.id),
        previewUrl=deployment.preview_url,
        previewURL=deployment.preview_url,  # VibeSDK's spelling, for its clients
        message="Preview is up to date.",
    )
    return deployment


def _fail(deployment: Deployment, error: str) -> Deployment:
    deployment.status = DeploymentStatus.FAILED
    deployment.error = error
    deployment.save(update_fields=["status", "error", "updated_at"])
    emit(
        deployment.agent_id,
        "deployment_failed",
        deploymentId=str(deployment.id),
        error=error,
        message=f"Preview deployment failed: {error}",
    )
    return deployment


def deployment_delete(*, deployment: Deployment) -> None:
    """Remove the published folder first: a row without a folder is redeployed, never served half-gone."""
    storage.remove(deployment.id)
    deployment.delete()


def deployments_prune(*, cutoff: datetime) -> int:
    """Delete deployments created before `cutoff` or already expired, with their folders. Returns how many."""
    stale = Deployment.objects.filter(Q(created_at__lt=cutoff) | Q(expires_at__lte=timezone.now()))
    count = 0
    for deployment in stale.iterator():
        deployment_delete(deployment=deployment)
        count += 1
    # Folders whose row is gone (an agent deleted with its deployments) and staging left by a crash.
    # List folders before rows: a row is created before its folder, so a deploy in flight is never taken for one.
    on_disk = storage.published_ids()
    known = {str(pk) for pk in Deployment.objects.filter(pk__in=on_disk).values_list("pk", flat=True)}
    for orphan in on_disk - known:
        storage.remove(orphan)
    storage.remove_stale_staging(older_than=cutoff.timestamp())
    return count
