"""A deployment: one published snapshot of an agent's files, served on its own origin."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class DeploymentStatus(models.TextChoices):
    PENDING = "pending"
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


def default_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.PREVIEW_TTL_DAYS)


class Deployment(models.Model):
    # The id is also the preview host's first label, so it must be unguessable: uuid4.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="deployments")
    # sha256 over the sorted (path, content sha256) pairs of the files published.
    files_digest = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=DeploymentStatus.choices, default=DeploymentStatus.PENDING)
    backend = models.CharField(max_length=32)
    error = models.TextField(blank=True)
    # Published from an unfinished set of files (the caller says so): served, but never presented as done.
    incomplete = models.BooleanField(default=False)
    # The files the caller planned that the set lacks, for "app.js is not written yet".
    missing_files = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(default=default_expiry)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agent", "-created_at"]),
            models.Index(fields=["agent", "files_digest", "status"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
