"""The self-check end to end: a model writes an app that throws on load, the browser finds it, a fix round
runs with the error in its prompt. Real wire (tests/fake_llm.py), real Chromium, real previews."""

from __future__ import annotations

import pytest

from agents import prompts
from agents.models import AgentStatus, Event, SelfCheck
from tests.agents import misbehaving
from tests.fake_llm import verbatim
from tests.support.agents import event_types, files_of, generate

pytestmark = pytest.mark.django_db(transaction=True)

BROKEN_LINE = "document.getElementById('welcome-banner').textContent = 'Welcome back';\n"
ERROR_TEXT = "Cannot set properties of null (setting 'textContent')"


def _prompt(body: dict) -> str:
    return "\n".join(m.content for m in misbehaving.chat_messages(body))


def _broken(answer: str) -> str:
    assert "cat > app.js << 'EOF'\n" in answer
    return answer.replace("cat > app.js << 'EOF'\n", "cat > app.js << 'EOF'\n" + BROKEN_LINE, 1)


def writes_a_runtime_error(*, fixes: bool):
    """The offline model's app, with app.js throwing on load; a fix round fixes it only when the error text
    is in its prompt (and `fixes`). The review finds nothing, so only the self-check can fix it."""

    def respond(body: dict):
        system = misbehaving.chat_messages(body)[0].content
        if system == prompts.CODE_REVIEW_SYSTEM:
            return verbatim("The app looks right; nothing to change.\n")
        answer = misbehaving.meant(body)
        if system == prompts.PHASE_IMPLEMENTATION_SYSTEM:
            return verbatim(_broken(answer))
        if system == prompts.FIX_SYSTEM:
            return verbatim(answer if fixes and ERROR_TEXT in _prompt(body) else _broken(answer))
        return verbatim(answer)

    return respond


@pytest.fixture
def self_check(settings, tmp_path):
    settings.SELF_CHECK = True
    settings.SELF_CHECK_CHROMIUM = "/usr/bin/chromium"
    settings.SELF_CHECK_MAX_FIX_ROUNDS = 2
    settings.AGENT_MAX_PHASES = 1  # one phase: its check, then the final one
    settings.PREVIEW_ROOT = tmp_path / "previews"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


def completed_checks(agent) -> list[dict]:
    return [e.payload for e in Event.objects.filter(agent=agent, type="self_check_completed").order_by("seq")]


def fix_requests(server) -> list[dict]:
    return [r.json for r in server.requests if misbehaving.chat_messages(r.json)[0].content == prompts.FIX_SYSTEM]


@pytest.mark.browser
def test_a_runtime_error_is_found_fixed_in_one_round_and_the_app_loads_clean(
    self_check, use_model, create_agent, client, user, make_user
):
    server = use_model("openai", writes_a_runtime_error(fixes=True))
    agent = create_agent("a todo list")

    generate(agent)

    assert agent.status == AgentStatus.COMPLETE and agent.problems == []
    first, second = completed_checks(agent)
    assert first["status"] == "problems" and first["round"] == 0
    assert [p["code"] for p in first["problems"]] == ["RUNTIME_ERROR"]
    assert first["problems"][0]["file"] == "app.js" and first["problems"][0]["line"] == 1
    assert ERROR_TEXT in first["problems"][0]["message"]
    assert second["status"] == "passed" and second["round"] == 1 and second["problems"] == []
    (request,) = fix_requests(server)
    assert ERROR_TEXT in _prompt(request) and '"app.js"' in _prompt(request)
    assert BROKEN_LINE not in files_of(agent)["app.js"]
    types = event_types(agent)
    assert types.count("fix_round_started") == 1
    assert types.index("self_check_completed") < types.index("fix_round_started") < types.index("phase_implemented")
    assert types.index("phase_implemented") < types.index("generation_complete")
    assert Event.objects.get(agent=agent, type="generation_complete").payload["problems"] == []

    # The screenshot: served to the owner, the app's thumbnail in the list, hidden from anyone else.
    client.force_login(user)
    response = client.get(second["screenshotUrl"])
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    listed = client.get("/api/agents").json()["data"]
    assert listed["results"][0]["thumbnailUrl"] == second["screenshotUrl"]
    client.force_login(make_user("eve"))
    assert client.get(second["screenshotUrl"]).status_code == 404


@pytest.mark.browser
def test_a_model_that_never_fixes_ends_complete_with_problems_after_two_rounds(self_check, use_model, create_agent):
    server = use_model("anthropic", writes_a_runtime_error(fixes=False))
    agent = create_agent("a todo list")

    generate(agent)

    assert agent.status == AgentStatus.COMPLETE
    assert [p["code"] for p in agent.problems] == ["RUNTIME_ERROR"]
    assert ERROR_TEXT in agent.problems[0]["message"] and agent.problems[0]["file"] == "app.js"
    assert [c["round"] for c in completed_checks(agent)] == [0, 1, 2]
    assert {c["status"] for c in completed_checks(agent)} == {"problems"}
    assert len(fix_requests(server)) == 2
    assert Event.objects.get(agent=agent, type="generation_complete").payload["problems"] == agent.problems


def test_without_chromium_the_check_is_skipped_with_a_note_and_the_run_completes(self_check, create_agent):
    self_check.SELF_CHECK_CHROMIUM = "/nowhere/chromium"
    agent = create_agent("a todo list")

    generate(agent)

    assert agent.status == AgentStatus.COMPLETE and agent.problems == []
    (check,) = completed_checks(agent)
    assert check["status"] == "skipped" and check["screenshotUrl"] is None
    assert check["note"] == (
        "Chromium was not found at /nowhere/chromium, so the app was not opened in a browser. The static checks stand."
    )
    assert "fix_round_started" not in event_types(agent)
    assert SelfCheck.objects.filter(agent=agent).count() == 1
