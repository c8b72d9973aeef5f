"""Model output past each cap on what a model may write (agents/limits.py) stops the run with an error that
names the cap and its setting, and keeps every file saved before it, over the real wire."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from agents.models import AgentStatus, Event, File
from tests.agents import misbehaving
from tests.fake_llm import verbatim
from tests.support.agents import generate

pytestmark = pytest.mark.django_db(transaction=True)


def runaway(files: list[tuple[str, str]], arm):
    """A model that builds the first phase as meant, then plans `files` as the next phase and writes them
    (only planned files are ever written). `arm()` runs when that phase is planned: it sets the cap."""

    def respond(body: dict):
        action = misbehaving.action_of(body)
        if action == "phase_generation":
            arm()
            plan = {"name": "More", "description": "More files", "files": [], "lastPhase": True}
            plan["files"] = [{"path": path, "purpose": "more"} for path, _ in files]
            return verbatim(json.dumps(plan))
        if action == "phase_implementation" and files[0][0] in json.dumps(body, ensure_ascii=False):
            return verbatim("".join(misbehaving.heredoc(path, content) for path, content in files))
        return verbatim(misbehaving.meant(body))

    return respond


def _saved(agent) -> dict[str, str]:
    return dict(File.objects.filter(agent=agent, complete=True).values_list("path", "content"))


def _set_cap(cap: str, agent, settings) -> None:
    """Sets `cap` just above what the app holds when the runaway phase starts."""
    files = File.objects.filter(agent=agent)
    if cap == "ATELIER_MAX_FILES_PER_PHASE":
        settings.OUTPUT_MAX_FILES_PER_PHASE = 3
    elif cap == "ATELIER_MAX_FILES_PER_APP":
        settings.OUTPUT_MAX_FILES_PER_APP = files.count() + 2
    elif cap == "ATELIER_MAX_FILE_BYTES":
        settings.OUTPUT_MAX_FILE_BYTES = 10_000
    elif cap == "ATELIER_MAX_APP_BYTES":
        settings.OUTPUT_MAX_APP_BYTES = sum(len(c.encode()) for c in files.values_list("content", flat=True)) + 5_000


# What the runaway phase writes, and which of it is kept, per cap.
CASES = {
    "ATELIER_MAX_FILES_PER_PHASE": (
        [(f"extra/n{i}.txt", f"note {i}\n") for i in range(6)],
        ["extra/n0.txt", "extra/n1.txt", "extra/n2.txt"],
    ),
    "ATELIER_MAX_FILES_PER_APP": (
        [(f"extra/n{i}.txt", f"note {i}\n") for i in range(6)],
        ["extra/n0.txt", "extra/n1.txt"],
    ),
    "ATELIER_MAX_FILE_BYTES": (
        [("extra/ok.txt", "fine\n"), ("extra/huge.txt", ("y" * 99 + "\n") * 200), ("extra/after.txt", "late\n")],
        ["extra/ok.txt"],
    ),
    "ATELIER_MAX_APP_BYTES": (
        [("extra/a.txt", "a" * 2_999 + "\n"), ("extra/b.txt", "b" * 2_999 + "\n")],
        ["extra/a.txt"],
    ),
    # 60 two-byte characters: 120 bytes in one segment, past the default of 100.
    "ATELIER_MAX_PATH_SEGMENT_BYTES": (
        [("extra/ok.txt", "fine\n"), ("extra/" + "é" * 60 + ".txt", "too long a name\n")],
        ["extra/ok.txt"],
    ),
}


@pytest.mark.parametrize("cap", list(CASES))
def test_output_past_a_cap_stops_the_run_names_the_cap_and_keeps_what_was_saved(use_model, create_agent, settings, cap):
    agent = create_agent("a todo list")
    files, kept = CASES[cap]
    before: dict[str, str] = {}

    def arm():
        before.update(_saved(agent))
        _set_cap(cap, agent, settings)
        connection.close()  # the fake server's thread: leave no connection behind

    use_model("openai", runaway(files, arm))

    generate(agent)

    assert before, "the first phase was not built: this test proves nothing"
    assert agent.status == AgentStatus.FAILED
    assert cap in agent.error and "Generation stopped" in agent.error
    error = Event.objects.filter(agent=agent, type="error").last().payload
    assert error["code"] == "OUTPUT_LIMIT" and cap in error["error"]
    written = dict(files)
    assert _saved(agent) == {**before, **{path: written[path] for path in kept}}
    assert not File.objects.filter(agent=agent, generating=True).exists()
