"""What the assistant says in the chat on its own: a summary after each build, notes before one.

Written from durable state (phases, their requests and files), not by a model: it costs nothing, cannot
invent work that was not done, and is in the past tense because it is posted after the work.
"""

from __future__ import annotations

import uuid

from agents.events import emit
from agents.modelcalls import model_settings_for
from agents.models import Agent, Message, MessageRole, Phase
from agents.problems import warn

MAX_FILES_NAMED = 6
MAX_REQUEST_CHARS = 120


def assistant_say(*, agent_id, text: str) -> Message:
    """Post `text` as an assistant message: saved, then sent as a final `conversation_response`."""
    message = Message.objects.create(agent_id=agent_id, role=MessageRole.ASSISTANT, text=text)
    emit(
        agent_id,
        "conversation_response",
        message=text,
        conversationId=f"a-{uuid.uuid4().hex[:12]}",
        isStreaming=False,
    )
    return message


def _names(paths: list[str]) -> str:
    shown = paths[:MAX_FILES_NAMED]
    more = len(paths) - len(shown)
    text = ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1] if shown else ""
    return text + (f" and {more} more" if more else "")


def _quoted(request: str) -> str:
    request = " ".join(request.split())
    if len(request) > MAX_REQUEST_CHARS:
        request = request[: MAX_REQUEST_CHARS - 1] + "…"
    return f"\u201c{request}\u201d"


def build_summary(*, agent: Agent, phases: list[Phase], first: bool, problems: int = 0) -> str:
    """One short paragraph: what was built (first build) or which requests were done and which files changed."""
    blueprint = agent.blueprint or {}
    title = agent.title or blueprint.get("title") or "your app"
    changed = sorted({f["path"] for phase in phases for f in phase.files})
    if first:
        description = str(blueprint.get("description") or "").strip().rstrip(".")
        what = f" {description}." if description else ""
        text = (
            f"I built {title}.{what} It has {len(changed)} file{'s' if len(changed) != 1 else ''} "
            f"({_names(changed)}). Try it in the Preview tab, and ask me here for changes."
        )
    else:
        requests = [request for phase in phases for request in phase.requests]
        done = ", ".join(_quoted(r) for r in requests) if requests else ", ".join(p.name for p in phases)
        text = f"Done: {done}. I changed {_names(changed)}." if changed else f"Done: {done}."
    if blueprint.get("closestTemplate"):
        text += (
            " This was built with the offline model's closest template, not exactly what you asked for: connect a "
            "model in Settings to build it for real."
        )
    if problems:
        text += f" {problems} problem{'s' if problems != 1 else ''} remain{'s' if problems == 1 else ''}: see the Plan."
    return text


def before_build(*, agent_id, blueprint: dict) -> None:
    """Say what the blueprint will not do before anything is built (the offline model's closest template)."""
    note = blueprint.get("note")
    if blueprint.get("closestTemplate") and isinstance(note, str) and note.strip():
        assistant_say(agent_id=agent_id, text=note.strip())


def after_build(*, agent: Agent, phases: list[Phase], first: bool, problems: int = 0) -> None:
    """The assistant's short account of the build that just finished (nothing when it built nothing)."""
    if phases:
        assistant_say(agent_id=agent.pk, text=build_summary(agent=agent, phases=phases, first=first, problems=problems))


def warn_if_images_unseen(*, agent: Agent, action: str, count: int) -> None:
    """Images sent to a model that cannot see them are reported as unused, never silently dropped."""
    if count and model_settings_for(agent, action).provider == "offline":
        warn(
            agent.pk,
            code="IMAGES_UNUSED",
            message=(
                f"The built-in offline model cannot see images: the {count} attached "
                f"image{'s were' if count > 1 else ' was'} not used. Connect a model that reads images in Settings."
            ),
        )
