"""A deployment's published folder goes when its row does: deleted on its own, or with its agent (cascade)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from previews import storage
from previews.models import Deployment


@receiver(post_delete, sender=Deployment, dispatch_uid="previews.deployment_folder_deleted")
def delete_deployment_folder(sender, instance: Deployment, **kwargs) -> None:
    # After the commit: a rolled-back delete keeps a folder its row still points at.
    deployment_id = instance.pk
    transaction.on_commit(lambda: storage.remove(deployment_id))
