import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agents.models import Agent

pytestmark = pytest.mark.django_db(transaction=True)


def test_codegen_command_runs_the_whole_pipeline_with_progress(tmp_path, settings):
    settings.PREVIEW_ROOT = tmp_path / "previews"
    out = io.StringIO()
    call_command(
        "codegen",
        "a pomodoro timer with stats",
        "--user",
        "cli-user",
        "--deploy",
        "--out",
        str(tmp_path / "app"),
        stdout=out,
    )
    text = out.getvalue()
    assert "Model: offline / atelier-offline (built-in offline model)" in text
    assert "Phase 1 of " in text and "wrote index.html" in text
    assert "Done: " in text
    assert "Preview: http://" in text
    assert (tmp_path / "app" / "index.html").read_text().startswith("<!doctype html>")
    assert Agent.objects.get(owner__username="cli-user").status == "complete"


def test_codegen_command_refuses_empty_request():
    with pytest.raises(CommandError, match="Describe the app"):
        call_command("codegen", "   ", stdout=io.StringIO())


# ---------------------------------------------------------------------------------------------- misbehaving providers


@pytest.fixture
def provider(settings, tmp_path, monkeypatch):
    from tests.agents.test_generation_on_real_wire import offline_responder

    monkeypatch.chdir(tmp_path)  # the files go into ./<app-name>/ without --out
    from tests.fake_llm import FakeLLMServer

    with FakeLLMServer(flavor="openai", responder=offline_responder) as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, server.api_key
        settings.AUTO_DEPLOY_PREVIEW = False
        yield server


def test_codegen_shows_retries_and_completes_through_a_dropped_stream(provider):
    from tests.fake_llm import Interrupt, Status

    provider.script([Status(429, "Rate limit reached"), Interrupt("disconnect", after=3)])
    out, err = io.StringIO(), io.StringIO()

    call_command("codegen", "a todo list", "--user", "cli-retry", stdout=out, stderr=err)

    assert "Done: " in out.getvalue()
    assert "retrying in" in err.getvalue() and "(attempt 2/4)" in err.getvalue()
    assert "Rate limit reached" in err.getvalue()


def test_codegen_ends_with_the_refusal_after_one_call(provider):
    from tests.fake_llm import insufficient_quota

    provider.always = insufficient_quota()
    err = io.StringIO()

    with pytest.raises(CommandError, match="no credit left") as caught:
        call_command("codegen", "a todo list", "--user", "cli-quota", stdout=io.StringIO(), stderr=err)

    assert provider.calls == 1
    assert "Add credit" in str(caught.value)
    assert provider.api_key not in str(caught.value) + err.getvalue()


def test_codegen_gives_up_on_a_provider_that_is_always_down_after_the_attempts(provider, settings):
    from tests.fake_llm import Status

    provider.always = Status(503, "Service unavailable")
    err = io.StringIO()

    with pytest.raises(CommandError, match="Gave up after 4 attempts"):
        call_command("codegen", "a todo list", "--user", "cli-down", stdout=io.StringIO(), stderr=err)

    assert provider.calls == settings.GENERATION_MAX_ATTEMPTS
    assert err.getvalue().count("retrying in") == settings.GENERATION_MAX_ATTEMPTS - 1


def _run(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command("codegen", *args, stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


def test_without_out_the_files_go_into_a_new_folder_named_after_the_app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "todo-list").mkdir()
    (tmp_path / "todo-list" / "mine.txt").write_text("not to be overwritten")

    text = _run("a todo list")

    assert (tmp_path / "todo-list-2" / "index.html").exists()
    assert (tmp_path / "todo-list" / "mine.txt").read_text() == "not to be overwritten"
    assert f"Files written to {tmp_path / 'todo-list-2'}" in text


def test_phases_are_counted_against_the_plan_and_the_title_is_said_once(tmp_path):
    text = _run("a snake game", "--out", str(tmp_path / "app"))

    assert "Phase 1 of 2: " in text and "Phase 2 of 2: " in text and "Phase 2/2" not in text
    blueprint_line = next(line for line in text.splitlines() if line.startswith("Blueprint:"))
    assert blueprint_line.count("Snake Game") == 1
    assert "no template for “a snake game”" in text  # the offline model's honesty reaches the terminal


def test_the_preview_and_app_urls_carry_the_servers_port_and_the_cli_user_gets_a_login_hint(tmp_path, settings):
    settings.PREVIEW_ROOT = tmp_path / "previews"
    settings.PREVIEW_PORT = ""

    text = _run("a counter", "--deploy", "--port", "8123", "--out", str(tmp_path / "app"))

    agent = Agent.objects.get(owner__username="cli")
    assert f"Open it in Atelier: http://localhost:8123/apps/{agent.pk}/" in text
    assert ".preview.localhost:8123/" in next(line for line in text.splitlines() if line.startswith("Preview: "))
    assert f"http://app-{agent.pk}.preview.localhost:8123/" in text
    assert "python manage.py changepassword cli" in text
