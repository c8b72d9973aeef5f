"""POST /api/agent/<id>/deploy-preview and GET /api/agent/<id>/preview."""

import uuid

import pytest
from rest_framework.test import APIClient

from previews.models import Deployment

pytestmark = pytest.mark.django_db


def deploy_url(agent_id):
    return f"/api/agent/{agent_id}/deploy-preview"


def preview_url(agent_id):
    return f"/api/agent/{agent_id}/preview"


def test_deploy_returns_202_with_the_ready_deployment(api_client, agent):
    response = api_client.post(deploy_url(agent.id), HTTP_HOST="localhost:8000")

    assert response.status_code == 202
    body = response.json()
    deployment = Deployment.objects.get()
    assert body == {
        "success": True,
        "data": {
            "deploymentId": str(deployment.id),
            "status": "ready",
            "previewUrl": f"http://{deployment.id}.preview.localhost:8000/",
            "appUrl": f"http://app-{agent.id}.preview.localhost:8000/",
            "incomplete": False,
            "missingFiles": [],
        },
    }


def test_a_stopped_app_is_deployed_as_incomplete_naming_the_files_not_written(api_client, make_agent, user):
    from agents.models import Event, Phase

    agent = make_agent(user, status="stopped")
    Phase.objects.create(
        agent=agent,
        index=0,
        name="Core",
        files=[{"path": p, "purpose": ""} for p in ("index.html", "styles.css", "app.js", "extra.js")],
    )

    body = api_client.post(deploy_url(agent.id)).json()["data"]

    assert body["status"] == "ready" and body["incomplete"] is True and body["missingFiles"] == ["extra.js"]
    frame = Event.objects.filter(agent=agent, type="deployment_completed").last().payload
    assert frame["incomplete"] is True and frame["missingFiles"] == ["extra.js"]
    assert frame["message"] == (
        "Preview of an incomplete app: extra.js is not written yet. Resume generation to finish it."
    )
    assert api_client.get(preview_url(agent.id)).json()["data"]["incomplete"] is True


def test_the_same_files_deployed_again_once_the_app_is_complete_are_no_longer_incomplete(api_client, make_agent, user):
    agent = make_agent(user, status="failed")
    first = api_client.post(deploy_url(agent.id)).json()["data"]
    agent.status = "complete"
    agent.save(update_fields=["status"])

    second = api_client.post(deploy_url(agent.id)).json()["data"]

    assert first["incomplete"] is True and second["incomplete"] is False
    assert second["deploymentId"] == first["deploymentId"]


def test_deploy_is_idempotent_for_unchanged_files(api_client, agent):
    first = api_client.post(deploy_url(agent.id)).json()["data"]["deploymentId"]
    second = api_client.post(deploy_url(agent.id)).json()["data"]["deploymentId"]

    assert first == second


def test_deploy_without_files_is_invalid_input(api_client, make_agent, user):
    agent = make_agent(user, files={})

    response = api_client.post(deploy_url(agent.id))

    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "INVALID_INPUT",
        "message": "Nothing to deploy yet: the app has no files.",
    }


def test_failed_deploy_is_still_202_with_status_failed(api_client, make_agent, user):
    agent = make_agent(user, files={"app.js": "1;"})

    response = api_client.post(deploy_url(agent.id))

    assert response.status_code == 202
    assert response.json()["data"]["status"] == "failed"
    assert response.json()["data"]["previewUrl"] is None


def test_preview_returns_the_latest_deployment(api_client, agent):
    deployment_id = api_client.post(deploy_url(agent.id)).json()["data"]["deploymentId"]

    response = api_client.get(preview_url(agent.id))

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["deploymentId"] == deployment_id
    assert data["status"] == "ready"
    assert data["previewUrl"].startswith(f"http://{deployment_id}.preview.localhost")
    assert data["error"] is None


def test_preview_before_any_deploy_is_404(api_client, agent):
    response = api_client.get(preview_url(agent.id))

    assert response.status_code == 404
    assert response.json()["error"] == {"type": "NOT_FOUND", "message": "No preview deployed yet."}


@pytest.mark.parametrize("url", [deploy_url, preview_url])
def test_another_users_agent_is_not_found(url, make_agent, make_user, api_client):
    stranger_agent = make_agent(make_user("eve"))
    method = api_client.post if url is deploy_url else api_client.get

    response = method(url(stranger_agent.id))

    assert response.status_code == 404
    assert response.json()["error"]["type"] == "NOT_FOUND"
    assert not Deployment.objects.exists()


@pytest.mark.parametrize("url", [deploy_url, preview_url])
def test_unknown_agent_is_not_found(url, api_client):
    method = api_client.post if url is deploy_url else api_client.get

    response = method(url(uuid.uuid4()))

    assert response.status_code == 404
    assert response.json()["error"]["type"] == "NOT_FOUND"


@pytest.mark.parametrize("url", [deploy_url, preview_url])
def test_unauthenticated_is_401(url, agent):
    client = APIClient()
    method = client.post if url is deploy_url else client.get

    response = method(url(agent.id))

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "UNAUTHORIZED"


def test_deploys_are_rate_limited_per_user(api_client, agent, settings):
    settings.DEPLOY_RATE = "2/m"
    for _ in range(2):
        assert api_client.post(deploy_url(agent.id)).status_code == 202

    response = api_client.post(deploy_url(agent.id))

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    error = response.json()["error"]
    assert error["type"] == "RATE_LIMITED"
    assert error["message"].startswith("Too many deployments.")
    assert error["details"]["limit"] == 2
    assert error["details"]["period_seconds"] == 60


def test_endpoints_are_in_the_openapi_schema(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    paths = response.json()["paths"] if "paths" in response.json() else response.json()["data"]["paths"]
    assert "/api/agent/{agent_id}/deploy-preview" in paths
    assert "/api/agent/{agent_id}/preview" in paths
