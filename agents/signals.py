"""Files that belong to rows: an uploaded image's file, or a self-check's screenshot, goes when its row does
(with its agent, by cascade)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from agents.models import Image, SelfCheck


@receiver(post_delete, sender=Image, dispatch_uid="agents.image_file_deleted")
def delete_image_file(sender, instance: Image, **kwargs) -> None:
    # After the commit: a rolled-back delete must keep its file.
    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: storage.delete(name))


@receiver(post_delete, sender=SelfCheck, dispatch_uid="agents.self_check_screenshot_deleted")
def delete_self_check_screenshot(sender, instance: SelfCheck, **kwargs) -> None:
    if instance.screenshot:
        storage, name = instance.screenshot.storage, instance.screenshot.name
        transaction.on_commit(lambda: storage.delete(name))
