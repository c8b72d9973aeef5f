"""GET /api/agent/<id>/images/<image_id>: an attached image, for its owner only (the chat's thumbnails)."""

import io
import uuid

import pytest
from PIL import Image as PILImage
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploaded(api_client, create_agent, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    agent = create_agent("a counter")
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 6), (79, 70, 229)).save(buffer, format="PNG")
    upload = SimpleUploadedFile("sketch.png", buffer.getvalue(), content_type="image/png")
    response = api_client.post(f"/api/agent/{agent.pk}/images", {"images": [upload]}, format="multipart")
    assert response.status_code == 201
    return agent, response.json()["data"]["images"][0]["id"]


def test_the_owner_gets_the_image_as_an_image_that_is_never_sniffed(api_client, uploaded):
    agent, image_id = uploaded
    response = api_client.get(f"/api/agent/{agent.pk}/images/{image_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    picture = PILImage.open(io.BytesIO(b"".join(response.streaming_content)))
    assert picture.size == (8, 6)


def test_another_user_and_unknown_ids_get_404(uploaded, make_user, create_agent, api_client):
    agent, image_id = uploaded
    stranger = APIClient()
    stranger.force_authenticate(make_user("mallory"))
    assert stranger.get(f"/api/agent/{agent.pk}/images/{image_id}").status_code == 404
    assert api_client.get(f"/api/agent/{agent.pk}/images/{uuid.uuid4()}").status_code == 404
    other = create_agent("a quiz")
    assert api_client.get(f"/api/agent/{other.pk}/images/{image_id}").status_code == 404


def test_without_a_session_the_image_is_refused(uploaded):
    agent, image_id = uploaded
    assert APIClient().get(f"/api/agent/{agent.pk}/images/{image_id}").status_code in (401, 403)
