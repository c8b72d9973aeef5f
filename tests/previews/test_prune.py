"""manage.py prune_previews: old and expired deployments go, with their folders."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from agents.models import File
from agents.selectors import agent_files
from previews.models import Deployment
from tests.previews.factories import publish

pytestmark = pytest.mark.django_db


def prune(*args) -> str:
    out = StringIO()
    call_command("prune_previews", *args, stdout=out)
    return out.getvalue()


def age(deployment, **delta):
    Deployment.objects.filter(pk=deployment.pk).update(created_at=timezone.now() - timedelta(**delta))


def test_prune_removes_deployments_older_than_the_cutoff_and_their_folders(agent, preview_root):
    old = publish(agent.pk, agent_files(agent=agent))
    age(old, hours=3)
    File.objects.filter(agent=agent, path="app.js").update(content="// new\n")
    fresh = publish(agent.pk, agent_files(agent=agent))

    output = prune("--older-than", "2h")

    assert output.strip() == "Removed 1 preview deployment."
    assert list(Deployment.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not (preview_root / str(old.id)).exists()
    assert (preview_root / str(fresh.id) / "index.html").is_file()


def test_prune_removes_expired_deployments_whatever_their_age(deployment, preview_root):
    Deployment.objects.filter(pk=deployment.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert prune("--older-than", "30d").strip() == "Removed 1 preview deployment."
    assert not (preview_root / str(deployment.id)).exists()


def test_prune_defaults_to_the_ttl(deployment, settings):
    age(deployment, days=settings.PREVIEW_TTL_DAYS - 1)
    assert prune().strip() == "Removed 0 preview deployments."

    age(deployment, days=settings.PREVIEW_TTL_DAYS + 1)
    assert prune().strip() == "Removed 1 preview deployment."


@pytest.mark.parametrize("value", ["90m", "36h", "2d"])
def test_prune_accepts_minutes_hours_and_days(deployment, value):
    assert prune("--older-than", value).strip() == "Removed 0 preview deployments."


@pytest.mark.parametrize("value", ["7", "7w", "-1d", "d", "1.5h"])
def test_prune_refuses_other_ages(value, db):
    with pytest.raises(CommandError, match="--older-than"):
        prune("--older-than", value)


def test_prune_removes_folders_of_deleted_agents(deployment, agent, preview_root):
    agent.delete()

    prune()

    assert not (preview_root / str(deployment.id)).exists()
