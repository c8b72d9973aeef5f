"""Reads of deployments."""

from __future__ import annotations

import uuid

from django.utils import timezone

from previews.models import Deployment, DeploymentStatus


def latest_deployment(*, agent) -> Deployment | None:
    """The newest deployment of `agent` (an agent row or its id: previews does not import the model)."""
    return Deployment.objects.filter(agent=agent).order_by("-created_at").first()


def deployment_get_served(*, deployment_id: uuid.UUID | str) -> Deployment | None:
    """The deployment a preview host may serve: ready and not expired. Anything else is not found."""
    return Deployment.objects.filter(
        pk=deployment_id, status=DeploymentStatus.READY, expires_at__gt=timezone.now()
    ).first()


def deployment_get_latest_served(*, agent_id: uuid.UUID | str) -> Deployment | None:
    """The deployment an app's stable origin serves: the one deployed last (a reused deployment counts as
    deployed again, see deployment_prepare) that is ready and not expired."""
    return (
        Deployment.objects.filter(agent_id=agent_id, status=DeploymentStatus.READY, expires_at__gt=timezone.now())
        .order_by("-updated_at", "-created_at")
        .first()
    )


def deployment_get_reusable(*, agent_id: uuid.UUID | str, files_digest: str, backend: str) -> Deployment | None:
    """A ready, unexpired deployment of exactly these files by this backend, newest first."""
    return (
        Deployment.objects.filter(
            agent_id=agent_id,
            files_digest=files_digest,
            backend=backend,
            status=DeploymentStatus.READY,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
