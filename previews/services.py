"""Publishing previews: a set of files onto a deployment's own origin.

A leaf: it knows files, digests and deployments, nothing of agents. The caller (`agents.deployments`)
collects the files, calls `deployment_prepare` then `deployment_publish`, and tells clients what happened.
Preparing is idempotent for unchanged files: a ready, unexpired deployment of the same files is reused.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from previews import storage
from previews.backends import DEFAULT_BACKEND, PublishFailed, get_backend
from previews.models import Deployment, DeploymentStatus
from previews.selectors import deployment_get_reusable

logger = logging.getLogger(__name__)


def files_digest(*, files: Mapping[str, str]) -> str:
    """sha256 over the sorted (path, sha256 of content) pairs: equal exactly when the files are."""
    digest = hashlib.sha256()
    for path in sorted(files):
        content_digest = hashlib.sha256(files[path].encode()).hexdigest()
        digest.update(f"{path}\0{content_digest}\n".encode())
    return digest.hexdigest()


def deployment_prepare(
    *,
    agent_id: uuid.UUID | str,
    files: Mapping[str, str],
    backend: str = DEFAULT_BACKEND,
    missing_files: Sequence[str] = (),
    incomplete: bool = False,
) -> tuple[Deployment, bool]:
    """(deployment, reused): the live deployment of exactly these files, or a new one still to publish.

    `backend` names how the files become a site (`static`, `build`); a building deployment starts `building`.
    `incomplete` (with the planned `missing_files`) marks a set the caller knows is unfinished; a reused
    deployment takes the caller's current word for it (the same files may since have become the whole app).
    """
    backend = get_backend(backend)
    digest = files_digest(files=files)
    missing = sorted(missing_files)
    incomplete = incomplete or bool(missing)
    existing = deployment_get_reusable(agent_id=agent_id, files_digest=digest, backend=backend.name)
    if existing is not None and storage.is_published(existing.id):
        # Saved even when nothing else changed: `updated_at` is when these files were last deployed, and
        # the app's stable origin serves the deployment deployed last (an undo reuses an older one).
        existing.incomplete, existing.missing_files = incomplete, missing
        existing.save(update_fields=["incomplete", "missing_files", "updated_at"])
        return existing, True
    deployment = Deployment.objects.create(
        agent_id=agent_id,
        files_digest=digest,
        backend=backend.name,
        status=DeploymentStatus.BUILDING if backend.builds else DeploymentStatus.PENDING,
        incomplete=incomplete,
        missing_files=missing,
    )
    return deployment, False


def deployment_publish(
    *, deployment: Deployment, files: Mapping[str, str], log: Callable[[str], None] | None = None
) -> Deployment:
    """Publish `files` on the deployment's origin: it ends `ready`, or `failed` with the reason in `error`.

    A publishing failure is not raised: the owner reads it in `error`. `log` gets a build's output lines.
    """
    backend = get_backend(deployment.backend)
    try:
        storage.publish(
            deployment_id=deployment.id, fill=lambda folder: backend.fill(files=files, folder=folder, log=log)
        )
    except PublishFailed as exc:
        return _fail(deployment, str(exc))
    except OSError as exc:
        logger.exception("Publishing deployment %s failed", deployment.id)
        return _fail(deployment, f"Could not write the preview files: {exc.strerror or exc}.")
    except Exception:
        logger.exception("Publishing deployment %s failed", deployment.id)
        return _fail(deployment, "Publishing the preview failed unexpectedly.")
    deployment.status = DeploymentStatus.READY
    deployment.save(update_fields=["status", "updated_at"])
    return deployment


def _fail(deployment: Deployment, error: str) -> Deployment:
    deployment.status = DeploymentStatus.FAILED
    deployment.error = error
    deployment.save(update_fields=["status", "error", "updated_at"])
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
