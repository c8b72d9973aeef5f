"""Reads of agent state. Another user's agent is simply not found (never reveal existence)."""

from __future__ import annotations

import uuid

from agents.models import Agent, File, Message


def agent_get_for_user(*, user, agent_id: uuid.UUID | str) -> Agent | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return Agent.objects.select_related("owner").get(pk=agent_id, owner=user)
    except (Agent.DoesNotExist, ValueError, TypeError):
        return None


def agent_list_for_user(*, user):
    return Agent.objects.filter(owner=user).order_by("-created_at")


def agent_files(*, agent: Agent, complete_only: bool = True) -> dict[str, str]:
    files = File.objects.filter(agent=agent)
    if complete_only:
        files = files.filter(complete=True)
    return dict(files.order_by("path").values_list("path", "content"))


def conversation(*, agent: Agent) -> list[Message]:
    return list(Message.objects.filter(agent=agent, cleared=False).order_by("created_at", "id"))
