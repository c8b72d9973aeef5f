"""An app's stable origin, `app-<agent-id>.<PREVIEW_DOMAIN>`: its latest ready deployment, under the same rules."""

import pytest
from django.test import Client

from previews.models import DeploymentStatus
from previews.origins import app_preview_url
from tests.previews.factories import TODO_APP, publish

pytestmark = pytest.mark.django_db


def app_host(agent) -> str:
    return f"app-{agent.pk}.preview.localhost"


def test_the_app_origin_serves_the_latest_deployment_after_a_redeploy(agent, deployment):
    assert Client().get("/", HTTP_HOST=app_host(agent)).content.decode() == TODO_APP["index.html"]

    newer = publish(agent.pk, {**TODO_APP, "index.html": "<!doctype html><p>Version 2</p>\n"})

    response = Client().get("/", HTTP_HOST=app_host(agent))
    assert response.status_code == 200
    assert response.content.decode() == "<!doctype html><p>Version 2</p>\n"
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    # Each deployment keeps its own immutable origin beside it.
    old = Client().get("/", HTTP_HOST=f"{deployment.id}.preview.localhost")
    assert old.content.decode() == TODO_APP["index.html"]
    assert newer.id != deployment.id


def test_a_failed_deployment_leaves_the_app_origin_on_the_last_ready_one(agent, deployment):
    failed = publish(agent.pk, {"app.js": "1;"})  # no index.html: the static backend refuses it
    assert failed.status == DeploymentStatus.FAILED

    assert Client().get("/", HTTP_HOST=app_host(agent)).content.decode() == TODO_APP["index.html"]


@pytest.mark.parametrize(
    "label", ["app-00000000-0000-4000-8000-000000000000", "app-not-a-uuid", "app-", "app-{agent}x"]
)
def test_an_app_without_a_ready_deployment_or_a_malformed_label_is_not_found(agent, label):
    response = Client().get("/", HTTP_HOST=f"{label.format(agent=agent.pk)}.preview.localhost")

    assert response.status_code == 404
    assert response.content == b"Not found.\n"


def test_the_app_url_has_the_readers_port(agent):
    assert app_preview_url(agent_id=agent.pk, request_host="localhost:8123") == (
        f"http://app-{agent.pk}.preview.localhost:8123/"
    )


def test_the_preview_payload_names_both_origins(api_client, agent, deployment):
    data = api_client.get(f"/api/agent/{agent.pk}/preview", HTTP_HOST="localhost:8000").json()["data"]

    assert data["previewUrl"] == f"http://{deployment.id}.preview.localhost:8000/"
    assert data["appUrl"] == f"http://app-{agent.pk}.preview.localhost:8000/"
