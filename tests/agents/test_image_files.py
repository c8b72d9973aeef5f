"""An uploaded image's file leaves the disk with its agent."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from agents.images import image_store
from agents.models import Agent

pytestmark = pytest.mark.django_db(transaction=True)


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 8), "red").save(out, format="PNG")
    return SimpleUploadedFile("dot.png", out.getvalue(), content_type="image/png")


def test_image_files_are_deleted_with_their_agent(user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    agent = Agent.objects.create(owner=user, query="a todo list")
    image = image_store(owner=user, upload=_png(), agent=agent)
    path = Path(image.file.path)
    assert path.exists()
    agent.delete()
    assert not path.exists()


def test_image_uploads_are_rate_limited_per_user(user, settings, tmp_path):
    from rest_framework.test import APIClient

    settings.MEDIA_ROOT = tmp_path
    settings.IMAGE_RATE = "2/h"
    agent = Agent.objects.create(owner=user, query="a todo list")
    client = APIClient()
    client.force_authenticate(user)
    statuses = [
        client.post(f"/api/agent/{agent.pk}/images", {"images": [_png()]}, format="multipart").status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 429]
    response = client.post(f"/api/agent/{agent.pk}/images", {"images": [_png()]}, format="multipart")
    assert response.json()["error"]["type"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) > 0
