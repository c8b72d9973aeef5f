"""What VibeSDK's client (`@cf-vibesdk/sdk`, sdk/src of cloudflare/vibesdk) makes of the frames it receives.

Written in Python from the SDK's documented behaviour, not copied: its WorkspaceStore keeps files only from
`agent_connected.state.generatedFilesMap` (reset on every connect) and from `file_generated.file`; its
session state takes `previewUrl` from the `agent_connected` frame itself and from
`deployment_completed.previewURL`, the phase timeline from `state.generatedPhases` (phasic agents only) and
then from phase events by name, and `conversation_state.state`. Anything else it ignores, so a field Atelier
sends only under its own name is, for the SDK, missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _is_file(value) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("filePath"), str)
        and isinstance(value.get("fileContents"), str)
    )


# The timeline status each phase event sets (state.ts: updateOrAddPhase).
PHASE_EVENT_STATUS = {
    "phase_generating": "generating",
    "phase_generated": "implementing",
    "phase_implementing": "implementing",
    "phase_implemented": "validating",
    "phase_validating": "validating",
    "phase_validated": "completed",
}


@dataclass
class SdkSession:
    behavior_type: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    phases: list[dict] = field(default_factory=list)
    preview_url: str | None = None
    state_fields: dict = field(default_factory=dict)
    conversation_state: dict | None = None
    last_error: str | None = None
    generation: str = "idle"
    seen: list[str] = field(default_factory=list)

    def apply(self, frame: dict) -> None:
        kind = frame.get("type")
        self.seen.append(kind)
        if kind == "agent_connected":
            self._connected(frame)
        elif kind in ("file_generated", "file_regenerated") and _is_file(frame.get("file")):
            self.files[frame["file"]["filePath"]] = frame["file"]["fileContents"]
        elif kind in PHASE_EVENT_STATUS:
            self._phase(frame.get("phase") or {}, PHASE_EVENT_STATUS[kind])
        elif kind == "deployment_completed":
            self.preview_url = frame.get("previewURL")
        elif kind == "conversation_state":
            self.conversation_state = frame.get("state")
        elif kind == "generation_started":
            self.generation = "running"
        elif kind == "generation_complete":
            self.generation = "complete"
            self.preview_url = frame.get("previewURL") or self.preview_url
        elif kind == "error":
            self.last_error = str(frame.get("error"))

    def _connected(self, frame: dict) -> None:
        state = frame.get("state") or {}
        files_map = state.get("generatedFilesMap") or {}
        self.files = {f["filePath"]: f["fileContents"] for f in files_map.values() if _is_file(f)}
        self.preview_url = frame.get("previewUrl")
        self.state_fields = {
            k: state.get(k) for k in ("behaviorType", "projectType", "query", "shouldBeGenerating", "projectName")
        }
        self.phases = []
        if state.get("behaviorType") == "phasic" and "generatedPhases" in state:
            generating = state.get("shouldBeGenerating") is True
            for index, phase in enumerate(state["generatedPhases"]):
                status = "completed" if phase["completed"] else ("generating" if generating else "cancelled")
                self.phases.append(
                    {
                        "id": f"phase-{index}",
                        "name": phase["name"],
                        "status": status,
                        "files": [f["path"] for f in phase["files"]],
                    }
                )
        if state.get("shouldBeGenerating"):
            self.generation = "running"

    def _phase(self, phase: dict, status: str) -> None:
        for existing in self.phases:
            if existing["name"] == phase.get("name"):
                existing["status"] = status
                return
        if phase.get("name"):
            self.phases.append(
                {
                    "id": f"phase-{len(self.phases)}",
                    "name": phase["name"],
                    "status": status,
                    "files": [f["path"] for f in phase.get("files", [])],
                }
            )
