"""Whole generations against fake models that answer the way real models do, over the real wire.

Each test plays one behaviour of real models (sent verbatim by the fake server, in token-sized chunks)
and compares the final files with what the model meant: the offline model's answers, sent cleanly.
"""

from __future__ import annotations

import functools

import pytest
from django.db.models import F

from agents import context
from agents.models import Agent, AgentStatus, Event, Message, MessageRole
from modelconfig import services as modelconfig_services
from tests.agents import misbehaving
from tests.fake_llm import verbatim
from tests.support.agents import files_of, generate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def create_agent(create_agent):
    """The plan is part of what a real model's answers shape: agents are planned by the model, not made by a factory."""
    return functools.partial(create_agent, run_planning=True)


# Reasoning full of what the parsers look for: a heredoc, a stray path, the word EOF, JSON objects.
THOUGHTS = """The user wants an app. Let me draft the page first:
cat > path/to/file << 'EOF'
<h1>draft</h1>
EOF
Maybe the palette {"colorPalette": ["red", "blue"]} or is it {"done": true}? No, go on."""


@pytest.fixture(params=["openai", "anthropic"])
def flavor(request) -> str:
    return request.param


def build(create_agent, query: str = "a todo list"):
    agent = create_agent(query)
    generate(agent)
    return agent


def intended_files(use_model, flavor, create_agent, query: str = "a todo list") -> dict[str, str]:
    """The files the offline model means, sent cleanly."""
    use_model(flavor, lambda body: verbatim(misbehaving.meant(body)))
    return files_of(build(create_agent, query))


def warnings_of(agent) -> list[dict]:
    return list(Event.objects.filter(agent=agent, type="generation_warning").values_list("payload", flat=True))


def errors_of(agent) -> list[dict]:
    return list(Event.objects.filter(agent=agent, type="error").values_list("payload", flat=True))


@pytest.mark.parametrize("tag", ["think", "thinking"])
def test_think_blocks_never_reach_the_files_the_plan_or_the_chat(use_model, flavor, create_agent, tag):
    expected = intended_files(use_model, flavor, create_agent)
    use_model(flavor, misbehaving.thinking_first(THOUGHTS, tag=tag))

    agent = build(create_agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    assert files_of(agent) == expected
    assert errors_of(agent) == []
    reply = Event.objects.filter(agent=agent, type="conversation_response").last()
    assert reply is None or "draft" not in reply.payload["message"]


def test_an_answer_cut_at_the_output_limit_is_continued_and_the_user_told(use_model, flavor, create_agent):
    expected = intended_files(use_model, flavor, create_agent)
    use_model(flavor, misbehaving.cut_at_limit())

    agent = build(create_agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    assert files_of(agent) == expected
    assert errors_of(agent) == []
    assert {w["code"] for w in warnings_of(agent)} == {"OUTPUT_LIMIT"}
    assert not agent.files.filter(generating=True).exists()


def test_sloppy_json_is_read_without_a_retry_and_cosmetic_fields_normalised(use_model, flavor, create_agent):
    server = use_model(flavor, misbehaving.sloppy_json)

    agent = build(create_agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    assert agent.blueprint["projectName"] == "todo-list-app"
    assert agent.blueprint["colorPalette"] == ["#000080", "#ffffff", "#daa520"]
    assert agent.phases.count() >= 2
    assert not [r for r in server.requests if misbehaving.is_retry(r.json)]


FOLLOW_UP = "make it dark"


def follow_up(agent, text: str = FOLLOW_UP):
    """A chat request, then the run it starts (here, in this thread)."""
    Message.objects.create(agent=agent, role=MessageRole.USER, text=text, pending=True)
    Agent.objects.filter(pk=agent.pk).update(phase_budget=F("phase_budget") + 2)
    generate(agent)
    return agent


def intended_after_follow_up(use_model, flavor, create_agent) -> dict[str, str]:
    use_model(flavor, lambda body: verbatim(misbehaving.meant(body)))
    return files_of(follow_up(build(create_agent)))


def regeneration_requests(server) -> list:
    return [r for r in server.requests if misbehaving.action_of(r.json) == "file_regeneration"]


@pytest.mark.parametrize("kind", ["edits", "diff"])
def test_changes_written_as_edit_blocks_or_diffs_are_applied(use_model, flavor, create_agent, kind):
    expected = intended_after_follow_up(use_model, flavor, create_agent)
    server = use_model(flavor, misbehaving.changes_as(kind))

    agent = follow_up(build(create_agent))

    assert agent.status == AgentStatus.COMPLETE, agent.error
    assert files_of(agent) == expected
    assert errors_of(agent) == [] and warnings_of(agent) == []
    assert regeneration_requests(server) == []


def test_cat_append_adds_to_the_file_instead_of_replacing_it(use_model, flavor, create_agent):
    expected = intended_after_follow_up(use_model, flavor, create_agent)
    use_model(flavor, misbehaving.changes_as("append"))

    agent = follow_up(build(create_agent))

    assert files_of(agent) == expected
    assert len(files_of(agent)["styles.css"]) > 1000


def test_a_file_with_elided_content_is_never_saved_and_is_asked_for_whole(use_model, flavor, create_agent):
    expected = intended_after_follow_up(use_model, flavor, create_agent)
    server = use_model(flavor, misbehaving.changes_as("elided"))

    agent = follow_up(build(create_agent))

    assert agent.status == AgentStatus.COMPLETE, agent.error
    assert files_of(agent) == expected
    assert all("unchanged" not in content for content in files_of(agent).values())
    assert regeneration_requests(server)
    assert {w["code"] for w in warnings_of(agent)} == {"EDIT_NOT_APPLIED"}
    assert errors_of(agent) == []


def test_an_edit_that_does_not_apply_asks_for_the_whole_file(use_model, flavor, create_agent):
    expected = intended_after_follow_up(use_model, flavor, create_agent)

    def wrong_search(body):
        item = misbehaving.changes_as("edits")(body)
        text = "".join(item.chunks).replace("<<<<<<< SEARCH\n", "<<<<<<< SEARCH\nthis line is not in the file\n", 1)
        return verbatim(text)

    server = use_model(flavor, wrong_search)
    agent = follow_up(build(create_agent))

    assert files_of(agent) == expected
    assert regeneration_requests(server)
    assert "EDIT_NOT_APPLIED" in {w["code"] for w in warnings_of(agent)}


def test_files_written_as_markdown_blocks_are_read(use_model, flavor, create_agent):
    expected = intended_files(use_model, flavor, create_agent)
    use_model(flavor, misbehaving.changes_as("markdown"))

    agent = build(create_agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    assert files_of(agent) == expected


def test_unplanned_paths_are_mapped_by_name_or_dropped(use_model, flavor, create_agent):
    expected = intended_files(use_model, flavor, create_agent)
    use_model(flavor, misbehaving.unplanned_paths)

    agent = build(create_agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    assert files_of(agent) == expected
    assert not agent.files.filter(path__startswith="src/").exists()
    assert not agent.files.filter(path="path/to/file").exists()
    dropped = [w for w in warnings_of(agent) if w.get("filePath") == "path/to/file"]
    assert dropped and dropped[0]["code"] == "UNPLANNED_PATH"


def test_a_file_that_does_not_parse_is_regenerated_with_its_error(use_model, flavor, create_agent):
    expected = intended_files(use_model, flavor, create_agent)
    server = use_model(flavor, misbehaving.broken_script(fixed_on_retry=True))

    agent = build(create_agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    assert agent.problems == []
    assert files_of(agent) == expected
    retries = regeneration_requests(server)
    assert retries and "app.js, line" in retries[0].json["messages"][-1]["content"]
    assert "CHECK_FAILED" in {w["code"] for w in warnings_of(agent)}
    assert errors_of(agent) == []


def test_a_file_still_broken_after_its_retry_completes_with_problems(use_model, flavor, create_agent):
    use_model(flavor, misbehaving.broken_script(fixed_on_retry=False))

    agent = build(create_agent)

    assert agent.status == AgentStatus.COMPLETE
    assert [(p["code"], p["file"]) for p in agent.problems] == [("SYNTAX_ERROR", "app.js")]
    assert "missing '}'" in agent.problems[0]["message"]
    warned = [w for w in warnings_of(agent) if w["code"] == "SYNTAX_ERROR"]
    assert warned and warned[0]["filePath"] == "app.js"
    complete = Event.objects.filter(agent=agent, type="generation_complete").last().payload
    assert complete["problems"] == agent.problems


# -- context windows ------------------------------------------------------------------------------------


def implementation_requests(server) -> list:
    return [r for r in server.requests if misbehaving.action_of(r.json) == "phase_implementation"]


def request_tokens(request) -> int:
    return context.estimate_tokens(misbehaving.chat_messages(request.json))


def test_a_prompt_over_the_window_outlines_the_files_the_phase_does_not_touch(use_model, create_agent, user):
    clean = use_model("openai", lambda body: verbatim(misbehaving.meant(body)))
    expected = files_of(follow_up(build(create_agent)))
    full = request_tokens(implementation_requests(clean)[-1])
    window = int(full * 0.9 / 0.75)  # the prompt may take 3/4 of it: less than the full prompt needs
    server = use_model("openai", lambda body: verbatim(misbehaving.meant(body)))
    modelconfig_services.model_config_set(
        user=user,
        action="phase_implementation",
        provider="openai",
        model="local-model",
        max_tokens=1024,
        context_window=window,
    )

    agent = follow_up(build(create_agent))

    assert agent.status == AgentStatus.COMPLETE, agent.error
    assert files_of(agent) == expected
    request = implementation_requests(server)[-1]
    prompt = request.json["messages"][-1]["content"]
    assert request_tokens(request) <= window * 0.75
    assert "[Outline only" in prompt
    assert expected["styles.css"].splitlines()[5] in prompt  # the file the phase changes, in full


def test_a_prompt_that_cannot_fit_is_never_sent(use_model, create_agent, user):
    server = use_model("openai", lambda body: verbatim(misbehaving.meant(body)))
    modelconfig_services.model_config_set(
        user=user,
        action="phase_implementation",
        provider="openai",
        model="local-model",
        max_tokens=512,
        context_window=1024,
    )

    agent = build(create_agent)

    assert agent.status == AgentStatus.FAILED
    assert "context window" in agent.error
    assert implementation_requests(server) == []
