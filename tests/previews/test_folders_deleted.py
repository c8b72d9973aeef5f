"""A deployment's published folder leaves the disk with its row, and with its agent."""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from previews.models import Deployment
from tests.previews.factories import publish

pytestmark = pytest.mark.django_db(transaction=True)


def test_deleting_a_deployment_deletes_its_folder(agent, preview_root):
    deployment = publish(agent.pk)
    folder = preview_root / str(deployment.id)
    assert (folder / "index.html").is_file()
    deployment.delete()
    assert not folder.exists()


def test_deleting_an_app_deletes_every_deployment_folder(agent, user, preview_root):
    first = publish(agent.pk)
    second = publish(agent.pk, {"index.html": "<p>changed</p>\n"})
    client = APIClient()
    client.force_authenticate(user)
    assert client.delete(f"/api/apps/{agent.pk}").status_code == 200
    assert not Deployment.objects.exists()
    assert not (preview_root / str(first.id)).exists()
    assert not (preview_root / str(second.id)).exists()


def test_a_rolled_back_delete_keeps_the_folder(agent, preview_root):
    deployment = publish(agent.pk)
    folder = preview_root / str(deployment.id)
    with pytest.raises(RuntimeError), transaction.atomic():
        deployment.delete()
        raise RuntimeError("rolled back")
    assert (folder / "index.html").is_file()
