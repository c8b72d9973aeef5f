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
