"""Deploying an agent's preview: collect its complete files, publish them with `previews`, tell clients.

`previews` only publishes files on an isolated origin; this module is where agents meet it, and the only
emitter of the `deployment_*` events. Deploying unchanged files reuses the live deployment and emits only
`deployment_completed` (nothing is published), so a client that asked over the socket still gets an answer.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings

from agents import selectors
from agents.events import emit
from agents.models import Agent
from config.errors import InvalidInput
from config.ratelimits import enforce
from previews.models import Deployment, DeploymentStatus
from previews.origins import preview_url
from previews.services import deployment_prepare, deployment_publish


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


def agent_deploy_preview(*, agent: Agent, request_host: str | None = None) -> Deployment:
    """Publish the agent's complete files on a preview origin, or reuse the live one for the same files.

    `request_host` is the Host of the request that asked, if any (for the port of the preview URL).
    A publishing failure is not raised: the deployment is returned `failed` and `deployment_failed` emitted.
    """
    files = selectors.agent_files(agent=agent)
    if not files:
        raise InvalidInput("Nothing to deploy yet: the app has no files.")
    deployment, reused = deployment_prepare(agent_id=agent.pk, files=files)
    if not reused:
        emit(agent.pk, "deployment_started", deploymentId=str(deployment.id), message="Deploying the preview…")
        deployment = deployment_publish(deployment=deployment, files=files)
    if deployment.status == DeploymentStatus.FAILED:
        emit(
            agent.pk,
            "deployment_failed",
            deploymentId=str(deployment.id),
            error=deployment.error,
            message=f"Preview deployment failed: {deployment.error}",
        )
        return deployment
    url = preview_url(deployment_id=deployment.id, request_host=request_host)
    emit(
        agent.pk,
        "deployment_completed",
        deploymentId=str(deployment.id),
        previewUrl=url,
        previewURL=url,  # VibeSDK's spelling, for its clients
        message="Preview is up to date." if reused else "Preview is live.",
    )
    return deployment
