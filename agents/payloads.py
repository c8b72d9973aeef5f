"""One wire shape per thing, used by HTTP and the socket alike, and frames bounded by construction.

No frame is larger than `settings.MAX_FRAME_BYTES` (agents.frames):
- the snapshot (`agent_snapshot`) always carries the file list (path, size, sha256, status), the phases and
  the newest messages; file contents and drafts ride in it only while it stays under the budget, otherwise
  a file entry has `contentsUrl` (`GET /api/agent/<id>/files/<path>`) instead of `fileContents`, and older
  messages are paged with `GET /api/agent/<id>/messages?before=<id>`;
- a `file_generated` frame carries `fileContents` only while it fits, otherwise `contentsUrl`
  (`frames.bound_event`); `file_chunk_generated` chunks are split by `events.emit` into pieces that fit.
"""

from __future__ import annotations

import json

from django.urls import reverse

from agents import selectors, versions, vibesdk
from agents.frames import FRAME_MARGIN, MESSAGE_CHARS, contents_url, dumps, json_size, max_frame_bytes
from agents.models import File, Message, Phase, SelfCheck, SelfCheckStatus
from modelconfig.selectors import model_info

# The newest messages the snapshot carries at most; older ones are paged over HTTP.
SNAPSHOT_MESSAGES = 50


# ---------------------------------------------------------------------------------------------- things


def phase_payload(phase: Phase) -> dict:
    return {
        "index": phase.index,
        "name": phase.name,
        "description": phase.description,
        "files": [{"path": f["path"], "purpose": f.get("purpose", "")} for f in phase.files],
        "status": phase.status,
    }


def self_check_screenshot_url(check: SelfCheck) -> str | None:
    """Where the check's screenshot is served to the app's owner (a path on Atelier's own origin)."""
    if not check.screenshot:
        return None
    return reverse("agent-self-check-screenshot", kwargs={"agent_id": check.agent_id, "check_id": check.pk})


def self_check_payload(check: SelfCheck) -> dict:
    """One browser check (agents.selfchecks): the `self_check_completed` frame's fields and the snapshot's."""
    return {
        "checkId": str(check.pk),
        "phaseIndex": check.phase.index if check.phase_id else None,
        "round": check.round,
        "final": check.final,
        "status": check.status,
        "problems": list(check.problems),
        "screenshotUrl": self_check_screenshot_url(check),
        "note": check.note,
        "seconds": check.seconds,
    }


def latest_self_checks(agent) -> list[dict]:
    """The last finished check of each phase (and the final one), in order: what the plan shows."""
    latest: dict[tuple, SelfCheck] = {}
    checks = SelfCheck.objects.filter(agent=agent).exclude(status=SelfCheckStatus.RUNNING).select_related("phase")
    for check in checks.order_by("created_at"):
        latest[(check.final, check.phase.index if check.phase_id else -1)] = check
    return [self_check_payload(latest[key]) for key in sorted(latest)]


def file_status(file: File) -> str:
    if file.generating:
        return "generating"
    return "complete" if file.complete else "incomplete"


def file_entry(file: File) -> dict:
    """A file without its contents: what the snapshot and the HTTP detail always list."""
    return {
        "filePath": file.path,
        "filePurpose": file.purpose,
        "size": len(file.content.encode()) if file.complete else 0,
        "sha256": file.sha256 if file.complete else "",
        "status": file_status(file),
        "complete": file.complete and not file.generating,
        "generating": file.generating,
        "phaseIndex": file.phase.index if file.phase_id else None,
    }


def message_payload(message: Message) -> dict:
    text = message.text
    payload = {
        "id": message.pk,
        "role": message.role,
        "text": text[:MESSAGE_CHARS],
        "imageIds": message.image_ids,
        "pending": message.pending,
        "createdAt": message.created_at.isoformat(),
    }
    if len(text) > MESSAGE_CHARS:
        payload["truncated"] = True
    if message.error:
        payload["error"] = message.error  # the request failed; `retry_request {messageId}` sends it again
    return payload


def _agent_fields(agent, request_host: str | None) -> dict:
    return {
        "agentId": str(agent.pk),
        "title": agent.title,
        "query": agent.query,
        "status": agent.status,
        "error": agent.error or None,
        "template": agent.template_name,
        "phases": [phase_payload(p) for p in Phase.objects.filter(agent=agent).order_by("index")],
        "preview": selectors.agent_latest_preview(agent=agent, request_host=request_host),
        "selfChecks": latest_self_checks(agent),
        "model": model_info(user=agent.owner),
        "usage": {"tokensIn": agent.tokens_in, "tokensOut": agent.tokens_out},
        "createdAt": agent.created_at.isoformat(),
        "updatedAt": agent.updated_at.isoformat(),
    }


def _files(agent) -> list[File]:
    return list(File.objects.filter(agent=agent).select_related("phase").order_by("path"))


def agent_payload(agent, *, request_host: str | None = None) -> dict:
    """`GET /api/agent/<id>`: the agent and its file list (contents: `GET /api/agent/<id>/files/<path>`)."""
    payload = _agent_fields(agent, request_host)
    payload["files"] = [{**entry, "bytes": entry["size"]} for entry in map(file_entry, _files(agent))]
    return payload


# ---------------------------------------------------------------------------------------------- snapshot


def agent_snapshot(agent, *, request_host: str | None = None, budget: int | None = None) -> dict:
    """The state a client needs to draw the workspace, at most `budget` bytes as JSON.

    The file list, phases and agent fields always come; then the newest messages (up to half of what is
    left); then file contents and drafts, smallest first, while they fit. What does not fit is named:
    `contentsUrl` on a file, `conversationHasMore` with `conversationBefore` for the messages.
    This is the one place the snapshot is built: add fields here (and only here).
    """
    budget = (budget or max_frame_bytes()) - FRAME_MARGIN
    state = _agent_fields(agent, request_host)
    state.update(
        {
            "blueprint": agent.blueprint,
            "currentPhaseIndex": agent.current_phase_index,
            "version": _current_version(agent),
            # The model that wrote the app (the chip shows it rather than today's configuration) and what a
            # complete app still has wrong ("Complete with problems").
            "builtWith": {"provider": agent.model_provider, "name": agent.model_name} if agent.model_name else None,
            "problems": agent.problems or [],
        }
    )
    files = _files(agent)
    entries = {f.path: file_entry(f) for f in files}
    state["files"] = list(entries.values())
    state["conversation"] = []
    used = json_size(state)
    if used > budget:  # only agents made before output caps existed can get here: list what fits
        state["files"] = _fitting_prefix(state["files"], budget - (used - json_size(state["files"])))
        state["filesTotal"] = len(entries)
        used = json_size(state)

    messages = list(
        Message.objects.filter(agent=agent, cleared=False).order_by("-created_at", "-id")[: SNAPSHOT_MESSAGES + 1]
    )
    allowance = (budget - used) // 2
    kept: list[dict] = []
    for message in messages[:SNAPSHOT_MESSAGES]:
        payload = message_payload(message)
        size = json_size(payload) + 1
        if size > allowance:
            break
        kept.append(payload)
        allowance -= size
        used += size
    state["conversation"] = kept[::-1]
    state["conversationHasMore"] = len(kept) < len(messages)
    state["conversationBefore"] = kept[-1]["id"] if kept else None

    listed = {entry["filePath"] for entry in state["files"]}
    # Contents get half of what is left: VibeSDK's generatedFilesMap may repeat them (_vibesdk_fields).
    total, budget = budget, used + (budget - used) // 2
    for file in sorted((f for f in files if f.path in listed), key=lambda f: len(f.content) + len(f.draft)):
        entry = entries[file.path]
        text = file.content if file.complete else ""
        draft = file.draft if file.generating else ""
        size = json_size(text) + json_size(draft) + 32
        if len(text) + len(draft) <= budget - used and size <= budget - used:
            entry["fileContents"] = text
            entry["draft"] = draft
            used += size
        else:
            entry["contentsUrl"] = contents_url(agent.pk, file.path)
            if not file.complete:
                entry["fileContents"] = ""
            entry["draft"] = ""
    state.update(_vibesdk_fields(agent, state, budget=total - json_size(state)))
    return json.loads(dumps(state))


def _vibesdk_fields(agent, state: dict, *, budget: int) -> dict:
    """VibeSDK's AgentState fields (agents/vibesdk.py). Its `generatedFilesMap` repeats the contents, so it
    is filled only when every complete file is inline in this snapshot and the copy fits; otherwise it is
    empty, `generatedFilesInline` is false and the contents follow as `file_generated` frames."""
    files = state["files"]
    inline = all("fileContents" in f for f in files if f["complete"]) and "filesTotal" not in state
    preview = state["preview"]["previewUrl"] if state["preview"] else None
    fields = vibesdk.snapshot_fields(
        query=agent.query,
        title=agent.title,
        blueprint=agent.blueprint,
        template=agent.template_name,
        status=agent.status,
        generation_requested=agent.generation_requested,
        phases=state["phases"],
        files=files if inline else [],
        preview_url=preview,
    )
    if not inline or json_size(fields) > budget:
        fields.update(generatedFilesMap={}, generatedFilesInline=False)
    return fields


def _current_version(agent) -> dict | None:
    version = versions.head(agent=agent)
    return None if version is None else versions.version_payload(version)


def _fitting_prefix(items: list, budget: int) -> list:
    kept, used = [], 2
    for item in items:
        size = json_size(item) + 1
        if used + size > budget:
            break
        kept.append(item)
        used += size
    return kept


def conversation_page(messages: list[Message], *, budget: int | None = None) -> list[dict]:
    """Message payloads, newest last, as many of the given (newest first) as fit in `budget` bytes."""
    budget = (budget or max_frame_bytes()) - FRAME_MARGIN
    kept, used = [], 2
    for message in messages:
        payload = message_payload(message)
        size = json_size(payload) + 1
        if used + size > budget:
            break
        kept.append(payload)
        used += size
    return kept[::-1]
