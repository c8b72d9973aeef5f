"""The generation pipeline on the offline model, driven through services and the run itself."""

import re
import threading

import pytest

from agents import lifecycle, pipeline, services, versions
from agents.models import Agent, AgentStatus, Event, File, Phase, PhaseStatus, UsageRecord, Version, VersionKind
from agents.offline_model.prompt import read_prompt
from tests.agents import misbehaving
from tests.support.agents import event_types, files_of, generate, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_request_produces_blueprint_phases_and_files_whose_index_loads_its_scripts(create_agent):
    agent = create_agent("a todo list to track my chores")
    assert agent.blueprint["title"]
    assert agent.template_name == "static-web"

    outcome = generate(agent)

    assert outcome.status == "complete"
    assert agent.status == AgentStatus.COMPLETE
    phases = list(agent.phases.order_by("index"))
    assert len(phases) >= 2
    assert all(p.status == PhaseStatus.DONE for p in phases)
    files = files_of(agent)
    index = files["index.html"]
    for ref in re.findall(r'(?:src|href)="([^"#:]+)"', index):
        assert ref in files, f"index.html references {ref} which was not generated"
    assert re.search(r'<script[^>]+src="app.js"', index)
    assert 'href="styles.css"' in index
    assert "todo" in files["app.js"].lower()


def test_event_seqs_strictly_increase_and_durable_events_are_persisted(create_agent):
    agent = create_agent()
    generate(agent)
    seqs = list(Event.objects.filter(agent=agent).order_by("id").values_list("seq", flat=True))
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    types = event_types(agent)
    assert "file_chunk_generated" not in types
    for expected in (
        "generation_started",
        "phase_implementing",
        "file_generating",
        "file_generated",
        "phase_implemented",
        "generation_complete",
    ):
        assert expected in types
    agent.refresh_from_db()
    assert agent.last_seq == seqs[-1]
    assert types.index("generation_started") < types.index("phase_implementing") < types.index("generation_complete")


def test_every_model_call_records_usage(create_agent):
    agent = create_agent(run_planning=True)
    generate(agent)
    actions = set(UsageRecord.objects.filter(agent=agent).values_list("action", flat=True))
    assert {"blueprint", "phase_implementation", "phase_generation", "code_review"} <= actions
    agent.refresh_from_db()
    assert agent.tokens_in > 0 and agent.tokens_out > 0


def test_follow_up_request_adds_a_phase_that_changes_the_files(create_agent):
    agent = create_agent("a counter app")
    generate(agent)
    before = files_of(agent)
    phases_before = agent.phases.count()

    services.agent_user_suggestion(agent=agent, text="make it dark")
    agent.refresh_from_db()
    # The chat reply started generation on the thread pool; run here instead if it has not finished.
    wait_for(
        lambda: (
            Agent.objects.get(pk=agent.pk).status == AgentStatus.COMPLETE
            and not Agent.objects.get(pk=agent.pk).lease_owner
        )
    )
    agent.refresh_from_db()

    assert agent.phases.count() == phases_before + 1
    new_phase = agent.phases.order_by("-index").first()
    assert new_phase.requests == ["make it dark"]
    after = files_of(agent)
    assert after["styles.css"] != before["styles.css"]
    # The previous content is kept so the phase can be diffed and undone.
    *_, previous, latest = Version.objects.filter(agent=agent, kind=VersionKind.PHASE).order_by("number")
    assert versions.version_files(previous)["styles.css"] == before["styles.css"]
    assert versions.version_files(latest)["styles.css"] == after["styles.css"]
    assert "conversation_response" in event_types(agent)


def _start_run_in_thread(agent):
    result = {}

    def work():
        result["outcome"] = pipeline.run(agent_id=agent.pk)
        from django.db import connection

        connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread, result


def _recording_files_asked_for(asked: list[list[str]]):
    """The offline model's answers over the wire, noting the <files_to_write> of every request for files."""

    def respond(body: dict) -> str:
        if misbehaving.action_of(body) in ("phase_implementation", "file_regeneration"):
            asked.append(read_prompt(misbehaving.chat_messages(body)).json("files_to_write"))
        return misbehaving.meant(body)

    return respond


def test_stop_mid_file_then_resume_gives_same_files_as_uninterrupted_run(create_agent, use_model):
    asked: list[list[str]] = []
    server = use_model("openai", _recording_files_asked_for(asked))
    reference = create_agent("a pomodoro timer with stats")
    generate(reference)

    agent = create_agent("a pomodoro timer with stats")
    first_phase = [f["path"] for f in Phase.objects.get(agent=agent, index=0).files]
    asked.clear()
    server.chunk_delay = 0.003
    Agent.objects.filter(pk=agent.pk).update(generation_requested=True)
    thread, result = _start_run_in_thread(agent)
    # Stop while the second file of the first phase is streaming in.
    wait_for(
        lambda: (
            Event.objects.filter(agent=agent, type="file_generated").count() >= 1
            and File.objects.filter(agent=agent, generating=True).exists()
        )
    )
    services.agent_stop(agent=agent)
    thread.join(timeout=10)
    assert result["outcome"].status == "stopped"
    agent.refresh_from_db()
    assert agent.status == AgentStatus.STOPPED
    assert "generation_stopped" in event_types(agent)
    written_before = [p for p in first_phase if File.objects.filter(agent=agent, path=p, complete=True).exists()]
    assert written_before and len(written_before) < len(first_phase)
    assert asked == [first_phase]

    server.chunk_delay = 0
    services.agent_resume(agent=agent)
    wait_for(
        lambda: (
            Agent.objects.get(pk=agent.pk).status == AgentStatus.COMPLETE
            and not Agent.objects.get(pk=agent.pk).lease_owner
        )
    )
    agent.refresh_from_db()
    assert files_of(agent) == files_of(reference)
    # The resumed phase asked the model for the files it did not have, and only for those.
    assert asked[1] == [p for p in first_phase if p not in written_before]


def test_stop_cancels_the_call_in_flight_before_its_file_is_finished(create_agent, settings):
    settings.OFFLINE_CHUNK_DELAY = 0.5  # a slow model: one chunk every half second, a file takes minutes
    agent = create_agent("a notes app")
    Agent.objects.filter(pk=agent.pk).update(generation_requested=True)
    thread, result = _start_run_in_thread(agent)
    writing = wait_for(lambda: File.objects.filter(agent=agent, generating=True).first())
    services.agent_stop(agent=agent)
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert result["outcome"].status == "stopped"
    # The model was not waited for: the file it was writing was never finished.
    assert not File.objects.filter(pk=writing.pk, complete=True).exists()
    assert not Event.objects.filter(agent=agent, type="file_generated").exists()


def test_run_whose_lease_expired_mid_phase_is_resumed_by_another_with_nothing_lost(create_agent, settings):
    from agents.tasks import sweep

    reference = create_agent("an expense tracker")
    generate(reference)

    settings.OFFLINE_CHUNK_DELAY = 0.003
    settings.AGENT_LEASE_SECONDS = 3
    agent = create_agent("an expense tracker")
    Agent.objects.filter(pk=agent.pk).update(generation_requested=True)
    thread, result = _start_run_in_thread(agent)
    wait_for(
        lambda: (
            File.objects.filter(agent=agent, generating=True).exists()
            and Event.objects.filter(agent=agent, type="file_generated").exists()
        )
    )
    # The runner "dies": its lease is gone and expired, as if its process had been killed.
    from django.utils import timezone

    Agent.objects.filter(pk=agent.pk).update(
        lease_owner="dead-worker", lease_expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )
    thread.join(timeout=10)
    assert result["outcome"].status == "lease_lost"
    agent.refresh_from_db()
    assert agent.status == AgentStatus.GENERATING

    settings.OFFLINE_CHUNK_DELAY = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert sweep() == 1
    agent.refresh_from_db()
    assert agent.status == AgentStatus.COMPLETE
    assert files_of(agent) == files_of(reference)
    assert not File.objects.filter(agent=agent, generating=True).exists()


def test_sweep_leaves_live_and_idle_agents_alone(create_agent, settings):
    from django.utils import timezone

    from agents.tasks import sweep

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    live = create_agent()
    Agent.objects.filter(pk=live.pk).update(
        status=AgentStatus.GENERATING,
        generation_requested=True,
        lease_owner="x",
        lease_expires_at=timezone.now() + timezone.timedelta(60),
    )
    idle = create_agent()  # planned, waiting for generate_all: nothing to resume
    Agent.objects.filter(pk=idle.pk).update(lease_owner="y", lease_expires_at=timezone.now() - timezone.timedelta(1))
    assert sweep() == 0


def test_only_one_run_works_on_an_agent(create_agent):
    agent = create_agent()
    assert lifecycle.take_lease(agent_id=agent.pk, owner="a")
    assert not lifecycle.take_lease(agent_id=agent.pk, owner="b")
    assert pipeline.run(agent_id=agent.pk, owner="c").status == "busy"


def test_thread_pool_backend_completes_a_run(create_agent, settings):
    settings.TASKS = {"default": {"BACKEND": "agents.taskbackend.ThreadPoolBackend", "OPTIONS": {"max_workers": 2}}}
    agent = create_agent("a calculator")
    assert services.agent_start_generation(agent=agent)
    wait_for(
        lambda: (
            Agent.objects.get(pk=agent.pk).status == AgentStatus.COMPLETE
            and not Agent.objects.get(pk=agent.pk).lease_owner
        )
    )
    assert "index.html" in files_of(agent)


def test_unsafe_paths_in_model_output_are_refused_and_the_stream_goes_on(create_agent):
    from agents.models import Phase as PhaseModel

    agent = create_agent()
    phase = PhaseModel.objects.get(agent=agent, index=0)
    writer = pipeline._FileWriter(agent=agent, phase=phase)
    from agents.parsing import HeredocParser

    parser = HeredocParser(
        on_open=writer.on_open, on_chunk=writer.on_chunk, on_close=writer.on_close, on_error=writer.on_error
    )
    parser.feed("cat > ../../etc/passwd << 'EOF'\nroot\nEOF\ncat > index.html << 'EOF'\n<h1>ok</h1>\nEOF\n")
    parser.finish()
    assert files_of(agent) == {"index.html": "<h1>ok</h1>\n"}
    errors = Event.objects.filter(agent=agent, type="error")
    assert errors.count() == 1
    assert errors.first().payload["code"] == "UNSAFE_PATH"
    assert "../../etc/passwd" in errors.first().payload["error"]
