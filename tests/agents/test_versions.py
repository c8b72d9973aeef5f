"""The app's git history: one commit per phase (and per restore and edit), crash-safe, restorable, diffable."""

from __future__ import annotations

import pytest
from django.test import Client
from dulwich.object_store import iter_tree_contents
from rest_framework.test import APIClient

from agents import pipeline, services, versions
from agents.models import Agent, AgentStatus, Event, Phase, PhaseStatus, Version, VersionKind
from previews.selectors import latest_deployment
from tests.support.agents import files_of, generate, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def preview_root(settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path / "previews"
    settings.PREVIEW_DOMAIN = "preview.localhost"
    settings.PREVIEW_SCHEME = "http"
    settings.PREVIEW_PORT = ""


def files_after_each_phase(agent) -> list[dict[str, str]]:
    """The files as clients were told they were at each phase_implemented, from the durable event log."""
    files: dict[str, str] = {}
    states = []
    for event in Event.objects.filter(agent=agent).order_by("seq"):
        if event.type == "file_generated":
            files[event.payload["file"]["filePath"]] = event.payload["file"]["fileContents"]
        elif event.type == "file_deleted":
            files.pop(event.payload["filePath"], None)
        elif event.type == "phase_implemented":
            states.append(dict(files))
    return states


def commit_tree_files(agent, sha: str) -> dict[str, str]:
    """Read a commit's tree back with dulwich, independent of the Version rows."""
    repo = versions.repository(agent=agent)
    tree = repo[repo[sha.encode()].tree]
    return {
        entry.path.decode(): repo[entry.sha].data.decode() for entry in iter_tree_contents(repo.object_store, tree.id)
    }


def wait_until_idle(agent):
    wait_for(
        lambda: (
            Agent.objects.get(pk=agent.pk).status == AgentStatus.COMPLETE
            and not Agent.objects.get(pk=agent.pk).lease_owner
        )
    )
    agent.refresh_from_db()


@pytest.fixture
def three_phase_agent(create_agent):
    """Two phases from the blueprint, a third from a follow-up request."""
    agent = create_agent("a todo list to track my chores")
    generate(agent)
    services.agent_user_suggestion(agent=agent, text="make it dark")
    wait_until_idle(agent)
    assert agent.phases.count() == 3
    return agent


def phase_versions(agent) -> list[Version]:
    return list(Version.objects.filter(agent=agent, kind=VersionKind.PHASE).order_by("number"))


def test_three_phases_give_three_commits_whose_trees_equal_the_files_after_each_phase(three_phase_agent):
    agent = three_phase_agent
    commits = phase_versions(agent)
    phases = list(agent.phases.order_by("index"))

    assert [v.phase_id for v in commits] == [p.pk for p in phases]
    assert [commit_tree_files(agent, v.sha) for v in commits] == files_after_each_phase(agent)
    assert [v.parent_sha for v in commits] == ["", commits[0].sha, commits[1].sha]
    assert commit_tree_files(agent, versions.head(agent=agent).sha) == files_of(agent)


def test_a_phase_commit_names_the_phase_its_request_and_the_model(three_phase_agent):
    last = phase_versions(three_phase_agent)[-1]
    repo = versions.repository(agent=three_phase_agent)
    message = repo[last.sha.encode()].message.decode()

    subject, _, rest = message.partition("\n\n")
    assert subject == last.phase.name
    assert last.phase.description in rest
    assert "- make it dark" in rest
    assert message.rstrip().endswith("Model: offline/atelier-offline")


def test_restoring_the_first_version_commits_its_tree_and_redeploys_a_preview_that_serves_it(three_phase_agent):
    agent = three_phase_agent
    first = phase_versions(agent)[0]
    first_files = versions.version_files(first)
    assert first_files != files_of(agent)
    assert agent.versions.count() == 3
    client = APIClient()
    client.force_authenticate(agent.owner)

    response = client.post(f"/api/agent/{agent.pk}/versions/{first.sha}/restore")

    assert response.status_code == 200, response.content
    restored = versions.head(agent=agent)
    assert response.json()["data"]["version"]["id"] == restored.sha
    assert agent.versions.count() == 4
    assert restored.kind == VersionKind.RESTORE and restored.restored_from == first
    assert commit_tree_files(agent, restored.sha) == first_files == files_of(agent)
    deployment = latest_deployment(agent=agent)
    host = f"{deployment.id}.preview.localhost"
    for path, content in first_files.items():
        assert Client().get(f"/{path}", HTTP_HOST=host).content.decode() == content


def test_restoring_the_current_version_adds_no_commit(three_phase_agent):
    tip = versions.head(agent=three_phase_agent)

    again = versions.restore(agent=three_phase_agent, version=tip, user=three_phase_agent.owner)

    assert again == tip
    assert versions.head(agent=three_phase_agent) == tip


def test_a_crash_between_completing_a_phase_and_committing_it_leaves_both_consistent_after_resume(
    create_agent, monkeypatch
):
    agent = create_agent("a todo list to track my chores")
    real_commit = versions.commit_phase
    crashed = []

    def crash_on_second_phase(*, agent, phase):
        if phase.index == 1 and not crashed:
            crashed.append(phase.index)
            raise RuntimeError("the process died here")
        return real_commit(agent=agent, phase=phase)

    monkeypatch.setattr(versions, "commit_phase", crash_on_second_phase)
    with pytest.raises(RuntimeError):
        generate(agent)

    # Nothing of the crashed step is half-in: the phase is not done, and it has no commit.
    assert Phase.objects.get(agent=agent, index=1).status != PhaseStatus.DONE
    assert [v.phase.index for v in phase_versions(agent)] == [0]

    Agent.objects.filter(pk=agent.pk).update(lease_expires_at=None, lease_owner="")  # as the sweep finds it
    assert generate(agent).status == "complete"

    commits = phase_versions(agent)
    assert [v.phase.index for v in commits] == [0, 1]
    assert [commit_tree_files(agent, v.sha) for v in commits] == files_after_each_phase(agent)
    assert commit_tree_files(agent, versions.head(agent=agent).sha) == files_of(agent)


def test_a_crash_right_after_a_committed_phase_does_not_commit_it_twice_on_resume(create_agent, monkeypatch):
    agent = create_agent("a todo list to track my chores")
    real_plan = pipeline.plan_next_phase
    crashed = []

    def crash_before_planning(*, agent, cancel):
        if not crashed:
            crashed.append(True)
            raise RuntimeError("the process died here")
        return real_plan(agent=agent, cancel=cancel)

    monkeypatch.setattr(pipeline, "plan_next_phase", crash_before_planning)
    with pytest.raises(RuntimeError):
        generate(agent)
    assert [v.phase.index for v in phase_versions(agent)] == [0]

    Agent.objects.filter(pk=agent.pk).update(lease_expires_at=None, lease_owner="")
    assert generate(agent).status == "complete"

    assert [v.phase.index for v in phase_versions(agent)] == [0, 1]
    assert commit_tree_files(agent, versions.head(agent=agent).sha) == files_of(agent)


def test_commit_phase_twice_returns_the_same_commit(create_agent):
    agent = create_agent()
    generate(agent)
    phase = agent.phases.order_by("index").first()

    assert versions.commit_phase(agent=agent, phase=phase) == phase_versions(agent)[0]
    assert len(phase_versions(agent)) == agent.phases.count()


def test_every_commit_emits_a_durable_version_created_and_the_snapshot_names_the_head(create_agent):
    agent = create_agent()
    generate(agent)

    created = Event.objects.filter(agent=agent, type="version_created").order_by("seq")
    assert [e.payload["version"]["id"] for e in created] == list(
        agent.versions.order_by("number").values_list("sha", flat=True)
    )
    from agents.selectors import agent_state

    state, _seq = agent_state(agent_id=agent.pk)
    assert state["version"]["id"] == versions.head(agent=agent).sha


def test_a_hand_edit_is_seen_by_the_next_phase_and_commits_name_the_real_model(settings, create_agent):
    from agents import prompts
    from tests.agents.test_generation_on_real_wire import offline_responder
    from tests.fake_llm import FakeLLMServer

    with FakeLLMServer(flavor="openai", responder=offline_responder) as server:
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_API_KEY = server.settings().api_key
        settings.OPENAI_MODEL = "llama3.1:8b"
        agent = create_agent("a todo list to track my chores")
        generate(agent)
        # styles.css, because "make it dark" rewrites it: files a phase does not write are only outlined to it.
        marker = "/* edited by hand: keep this line */"
        edited = versions.edit_file(
            agent=agent, path="styles.css", content=files_of(agent)["styles.css"] + marker + "\n", user=agent.owner
        )
        assert edited.subject == "Edited styles.css" and edited.kind == VersionKind.EDIT
        server.requests.clear()

        services.agent_user_suggestion(agent=agent, text="make it dark")
        wait_until_idle(agent)

    implementation = [
        r for r in server.requests if r.json["messages"][0]["content"] == prompts.PHASE_IMPLEMENTATION_SYSTEM
    ]
    assert implementation, "the follow-up phase asked the model for files"
    assert marker in str(implementation[-1].json["messages"])
    newest = phase_versions(agent)[-1]
    assert newest.number > edited.number and newest.parent_sha != ""
    assert newest.message.rstrip().endswith("Model: openai/llama3.1:8b")
