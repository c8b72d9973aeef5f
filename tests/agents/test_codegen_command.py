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
    assert "Phase 1/" in text and "wrote index.html" in text
    assert "Done: " in text
    assert "Preview: http://" in text
    assert (tmp_path / "app" / "index.html").read_text().startswith("<!doctype html>")
    assert Agent.objects.get(owner__username="cli-user").status == "complete"


def test_codegen_command_refuses_empty_request():
    with pytest.raises(CommandError, match="Describe the app"):
        call_command("codegen", "   ", stdout=io.StringIO())


# ---------------------------------------------------------------------------------------------- misbehaving providers


@pytest.fixture
def provider(settings):
    from tests.agents.test_generation_on_real_wire import offline_responder
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
