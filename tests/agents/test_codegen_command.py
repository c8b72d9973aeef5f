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
