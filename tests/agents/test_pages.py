"""The server-rendered pages of agents.views."""

import uuid

import pytest

pytestmark = pytest.mark.django_db


def test_a_deleted_apps_page_is_a_friendly_404(client, user):
    client.force_login(user)
    response = client.get(f"/apps/{uuid.uuid4()}/")

    assert response.status_code == 404
    assert "This app is not here" in response.content.decode()
    assert "Your apps" in response.content.decode()


def test_the_workspace_error_banner_carries_a_hidden_link_to_settings(client, user, create_agent):
    # Shown by the reducer when a run fails with a refused key, no credit or a missing model.
    agent = create_agent(owner=user)
    client.force_login(user)
    page = client.get(f"/apps/{agent.id}/").content.decode()

    assert '<a id="ws-error-settings" href="/settings/" hidden>Open Settings</a>' in page
