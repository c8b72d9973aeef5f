"""Reads of agent state. Another user's agent is simply not found (never reveal existence)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import OuterRef, Subquery

from agents import frames, payloads
from agents.models import Agent, Event, File, Message, SelfCheck
from previews.models import Deployment, DeploymentStatus
from previews.origins import app_preview_url, preview_url
from previews.selectors import latest_deployment


def agent_get_for_user(*, user, agent_id: uuid.UUID | str) -> Agent | None:
    """The user's agent, or None: another user's agent and an id that is not a UUID are simply not found."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        # Parsed here: the UUID field raises ValidationError (a 500 in any caller) on a malformed id.
        agent_id = agent_id if isinstance(agent_id, uuid.UUID) else uuid.UUID(str(agent_id))
        return Agent.objects.select_related("owner").get(pk=agent_id, owner=user)
    except (Agent.DoesNotExist, ValueError, TypeError):
        return None


def agent_list_for_user(*, user):
    """The user's apps, newest first, each with `thumbnail_check_id`: its latest self-check screenshot's."""
    shots = SelfCheck.objects.filter(agent=OuterRef("pk")).exclude(screenshot="").order_by("-created_at")
    return (
        Agent.objects.filter(owner=user)
        .annotate(thumbnail_check_id=Subquery(shots.values("pk")[:1]))
        .order_by("-created_at")
    )


def agent_files(*, agent: Agent, complete_only: bool = True) -> dict[str, str]:
    files = File.objects.filter(agent=agent)
    if complete_only:
        files = files.filter(complete=True)
    return dict(files.order_by("path").values_list("path", "content"))


def conversation(*, agent: Agent) -> list[Message]:
    return list(Message.objects.filter(agent=agent, cleared=False).order_by("created_at", "id"))


def preview_payload(deployment: Deployment | None, *, request_host: str | None = None) -> dict | None:
    """A deployment as clients see it: `{deploymentId, status, previewUrl, appUrl, error, incomplete,
    missingFiles}` (null when none)."""
    if deployment is None:
        return None
    ready = deployment.status == DeploymentStatus.READY
    return {
        "deploymentId": str(deployment.pk),
        "status": deployment.status,
        "previewUrl": preview_url(deployment_id=deployment.id, request_host=request_host) if ready else None,
        # The app's stable origin, serving its latest ready deployment: its browser data survives redeploys.
        "appUrl": app_preview_url(agent_id=deployment.agent_id, request_host=request_host) if ready else None,
        "error": deployment.error or None,
        # Published from an unfinished app (stopped or failed): shown as such, never as ready.
        "incomplete": deployment.incomplete,
        "missingFiles": list(deployment.missing_files),
    }


def agent_latest_preview(*, agent: Agent, request_host: str | None = None) -> dict | None:
    return preview_payload(latest_deployment(agent=agent), request_host=request_host)


def messages_before(*, agent: Agent, before: int | None = None, limit: int = 50) -> list[Message]:
    """The `limit` newest visible messages older than message `before` (all when None), newest first."""
    messages = Message.objects.filter(agent=agent, cleared=False)
    if before is not None:
        messages = messages.filter(id__lt=before)
    return list(messages.order_by("-created_at", "-id")[:limit])


def events_after(*, agent: Agent, after: int, limit: int = 200) -> list[Event]:
    """Durable events with seq > after, oldest first."""
    return list(Event.objects.filter(agent=agent, seq__gt=after).order_by("seq")[:limit])


def events_page(*, agent: Agent, after: int, limit: int, budget: int) -> tuple[list[str], bool]:
    """Durable frames after `after` as wire text (each within the frame cap), oldest first: at most `limit`
    of them and, past the first, at most `budget` bytes together. Returns (texts, whether more follow)."""
    rows = Event.objects.filter(agent=agent, seq__gt=after).order_by("seq").values_list("payload", flat=True)
    texts, used = [], 0
    for frame in rows[: limit + 1].iterator():
        if len(texts) == limit:
            return texts, True
        text = frames.bounded_text(agent.pk, frame)
        if texts and used + len(text) > budget:
            return texts, True
        texts.append(text)
        used += len(text) + 1
    return texts, False


def agent_state(*, agent_id, request_host: str | None = None) -> tuple[dict, int]:
    """The bounded snapshot and the seq it reflects, read under the agent's row lock so no durable event is
    half-in: events after the returned seq are not in the state, events up to it are."""
    with transaction.atomic():
        agent = Agent.objects.select_for_update().select_related("owner").get(pk=agent_id)
        return payloads.agent_snapshot(agent, request_host=request_host), agent.last_seq
