"""VibeSDK's names for Atelier's wire shapes, so VibeSDK's own client (`@cf-vibesdk/sdk`) works unmodified.

Pure functions over Atelier's payloads (no Django imports): the snapshot fields the SDK's workspace and
session state read (`generatedFilesMap`, `generatedPhases`, ...), its app list items and its conversation
state. Atelier's own fields stay as they are; these are added beside them. docs/vibesdk.md lists every
difference and where it is bridged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import quote

BEHAVIOR_TYPE = "phasic"
PROJECT_TYPE = "app"
# File contents ride in `generatedFilesMap` only while all of them fit in this many bytes of JSON; a bigger
# app's snapshot carries an empty map and its contents follow as `file_generated` frames (bounded frames).
FILES_MAP_MAX_BYTES = 128 * 1024

_ACTIVE = {"planning", "generating"}
_FINISHED = {"complete", "stopped", "failed"}


def project_name(*, blueprint: dict | None, title: str) -> str:
    name = (blueprint or {}).get("projectName")
    if isinstance(name, str) and name:
        return name
    return re.sub(r"[^a-z0-9]+", "-", (title or "app").lower()).strip("-") or "app"


def generated_files_map(files: Iterable[dict], *, max_bytes: int = FILES_MAP_MAX_BYTES) -> dict | None:
    """`{path: {filePath, fileContents, filePurpose}}` of the complete files, or None when they do not fit."""
    out, size = {}, 0
    for file in files:
        if not file.get("complete"):
            continue
        entry = {
            "filePath": file["filePath"],
            "fileContents": file["fileContents"],
            "filePurpose": file.get("filePurpose", ""),
        }
        size += len(json.dumps(entry))
        if size > max_bytes:
            return None
        out[file["filePath"]] = entry
    return out


def generated_phases(phases: Iterable[dict]) -> list[dict]:
    return [
        {
            "name": p["name"],
            "description": p.get("description", ""),
            "files": p.get("files", []),
            "completed": p.get("status") == "done",
        }
        for p in phases
    ]


def should_be_generating(*, status: str, generation_requested: bool) -> bool:
    return status == "generating" or (generation_requested and status not in _FINISHED)


def snapshot_fields(
    *,
    query: str,
    title: str,
    blueprint: dict | None,
    template: str,
    status: str,
    generation_requested: bool,
    phases: list[dict],
    files: list[dict],
    preview_url: str | None,
) -> dict:
    """The fields of VibeSDK's `AgentState` its client reads from `agent_connected.state`."""
    files_map = generated_files_map(files)
    return {
        "behaviorType": BEHAVIOR_TYPE,
        "projectType": PROJECT_TYPE,
        "projectName": project_name(blueprint=blueprint, title=title),
        "templateName": template,
        "shouldBeGenerating": should_be_generating(status=status, generation_requested=generation_requested),
        "generatedPhases": generated_phases(phases),
        "generatedFilesMap": files_map or {},
        # False when the contents did not fit: they follow the snapshot as `file_generated` frames.
        "generatedFilesInline": files_map is not None,
        "mvpGenerated": any(p.get("status") == "done" for p in phases),
        "previewUrl": preview_url,
    }


def conversation_state(*, agent_id: str, messages: list[dict]) -> dict:
    """VibeSDK's ConversationState from Atelier's conversation (`{id, role, text, ...}` per message)."""
    history = [{"role": m["role"], "content": m["text"], "conversationId": f"m-{m['id']}"} for m in messages]
    return {"id": f"conversation-{agent_id}", "runningHistory": history, "fullHistory": history}


def app_status(status: str) -> str:
    return "completed" if status == "complete" else "generating"


def app_item(
    *,
    agent_id: str,
    title: str,
    query: str,
    status: str,
    user_id: int,
    created_at: str,
    updated_at: str,
    preview_url: str | None,
    deployment_id: str | None,
    last_deployed_at: str | None,
    framework: str,
) -> dict:
    """One app as VibeSDK's `AppWithFavoriteStatus`, plus Atelier's `agentId` and `previewUrl`."""
    return {
        "id": agent_id,
        "agentId": agent_id,
        "title": title or query[:60],
        "description": None,
        "iconUrl": None,
        "originalPrompt": query,
        "finalPrompt": None,
        "framework": framework or None,
        "userId": str(user_id),
        "visibility": "private",  # Atelier's apps are their owner's only
        "status": app_status(status),
        "deploymentId": deployment_id,
        "githubRepositoryUrl": None,
        "githubRepositoryVisibility": None,
        "isArchived": False,
        "isFeatured": False,
        "version": 1,
        "parentAppId": None,
        "screenshotUrl": None,
        "screenshotCapturedAt": None,
        "createdAt": created_at,
        "updatedAt": updated_at,
        "updatedAtFormatted": updated_at,
        "lastDeployedAt": last_deployed_at,
        "isFavorite": False,
        "previewUrl": preview_url,
    }


# A follow-up frame carries one file's contents while they stay this small as JSON (frames are bounded).
FOLLOW_UP_MAX_BYTES = 192 * 1024


def follow_up_file(*, agent_id: str, path: str, contents: str, purpose: str) -> dict:
    """The `file` of a `file_generated` frame sent after a snapshot whose files did not fit; contents too big
    for a frame are named by URL instead (`GET /api/agent/<id>/files/<path>`)."""
    file = {"filePath": path, "filePurpose": purpose, "fileContents": contents}
    if len(json.dumps(file)) > FOLLOW_UP_MAX_BYTES:
        del file["fileContents"]
        file["contentsUrl"] = f"/api/agent/{agent_id}/files/{quote(path)}"
    return file
