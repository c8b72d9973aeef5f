"""Deploying an agent's preview (agents.deployments over the previews leaf): snapshot, reuse, events, failures, URLs."""

import pytest

from agents.deployments import agent_deploy_preview as deploy
from agents.models import Event, File
from config.errors import InvalidInput
from previews import storage
from previews.models import Deployment, DeploymentStatus
from previews.origins import preview_url
from previews.services import files_digest
from tests.previews.factories import TODO_APP

pytestmark = pytest.mark.django_db


def test_deploy_publishes_complete_files_under_preview_root(agent, preview_root):
    deployment = deploy(agent=agent)

    assert deployment.status == DeploymentStatus.READY
    assert deployment.backend == "static"
    folder = preview_root / str(deployment.id)
    assert (folder / "index.html").read_text() == TODO_APP["index.html"]
    assert (folder / "about" / "index.html").is_file()
    assert sorted(p.name for p in preview_root.iterdir()) == [str(deployment.id)]  # no staging left behind


def test_deploy_leaves_out_files_still_streaming(agent, preview_root):
    File.objects.create(agent=agent, path="half.js", content="const x =", complete=False)

    deployment = deploy(agent=agent)

    assert not (preview_root / str(deployment.id) / "half.js").exists()
    assert deployment.files_digest == files_digest(files=TODO_APP)


def test_deploy_sets_the_expiry(agent, settings):
    deployment = deploy(agent=agent)

    days = (deployment.expires_at - deployment.created_at).total_seconds() / 86400
    assert round(days) == settings.PREVIEW_TTL_DAYS


def test_deploy_emits_started_then_completed_with_increasing_seq(agent):
    deployment = deploy(agent=agent, request_host="localhost:8000")

    events = list(Event.objects.filter(agent=agent).order_by("seq"))
    assert [e.type for e in events] == ["deployment_started", "deployment_completed"]
    assert events[0].seq < events[1].seq
    assert events[0].payload["deploymentId"] == str(deployment.id)
    assert events[1].payload["previewUrl"] == f"http://{deployment.id}.preview.localhost:8000/"
    assert events[1].payload["message"]


def test_redeploying_unchanged_files_returns_the_same_deployment(agent):
    first = deploy(agent=agent)
    second = deploy(agent=agent)

    assert second.id == first.id
    assert Deployment.objects.count() == 1
    # Only a completion is emitted, so a client that asked over the socket still gets an answer.
    assert list(Event.objects.filter(agent=agent).values_list("type", flat=True)) == [
        "deployment_started",
        "deployment_completed",
        "deployment_completed",
    ]


def test_changed_files_make_a_new_deployment(agent, preview_root):
    first = deploy(agent=agent)
    File.objects.filter(agent=agent, path="styles.css").update(content="body { color: red; }\n")

    second = deploy(agent=agent)

    assert second.id != first.id
    assert (preview_root / str(second.id) / "styles.css").read_text() == "body { color: red; }\n"
    assert (preview_root / str(first.id) / "styles.css").read_text() == TODO_APP["styles.css"]


def test_expired_deployment_is_not_reused(agent):
    first = deploy(agent=agent)
    Deployment.objects.filter(pk=first.pk).update(expires_at=first.created_at)

    assert deploy(agent=agent).id != first.id


def test_deployment_whose_folder_vanished_is_not_reused(agent):
    first = deploy(agent=agent)
    storage.remove(first.id)

    assert deploy(agent=agent).id != first.id


def test_deploy_without_files_is_refused(make_agent, user):
    agent = make_agent(user, files={})

    with pytest.raises(InvalidInput, match="Nothing to deploy yet"):
        deploy(agent=agent)
    assert not Deployment.objects.exists()


def test_app_without_index_fails_with_a_reason_and_event(make_agent, user, preview_root):
    agent = make_agent(user, files={"app.js": "1;"})

    deployment = deploy(agent=agent)

    assert deployment.status == DeploymentStatus.FAILED
    assert "index.html" in deployment.error
    failed = Event.objects.get(agent=agent, type="deployment_failed")
    assert failed.payload["deploymentId"] == str(deployment.id)
    assert failed.payload["error"] == deployment.error
    assert not preview_root.exists() or not any(preview_root.iterdir())


def test_unsafe_stored_path_fails_the_deployment_without_writing_outside(make_agent, user, preview_root, tmp_path):
    agent = make_agent(user, files={"index.html": "<p>hi</p>", "../escape.js": "alert(1)"})

    deployment = deploy(agent=agent)

    assert deployment.status == DeploymentStatus.FAILED
    assert "Unsafe file path" in deployment.error
    assert not (tmp_path / "escape.js").exists()
    assert not any(preview_root.iterdir())


@pytest.mark.parametrize(
    ("setting_port", "host", "expected_suffix"),
    [
        ("", None, ""),
        ("", "localhost", ""),
        ("", "localhost:80", ""),
        ("", "localhost:8000", ":8000"),
        ("", "[::1]:8000", ":8000"),
        ("9000", "localhost:8000", ":9000"),
    ],
)
def test_preview_url_port_comes_from_setting_or_request(settings, setting_port, host, expected_suffix):
    settings.PREVIEW_PORT = setting_port

    url = preview_url(deployment_id="d1", request_host=host)

    assert url == f"http://d1.preview.localhost{expected_suffix}/"


def test_preview_url_leaves_out_https_default_port(settings):
    settings.PREVIEW_SCHEME = "https"
    settings.PREVIEW_DOMAIN = "preview.example.com"

    assert preview_url(deployment_id="d1", request_host="atelier.example.com:443") == "https://d1.preview.example.com/"
