"""Durable state of an agent: what was asked, what was planned, what was written, what was said."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models


class AgentStatus(models.TextChoices):
    PLANNING = "planning"
    GENERATING = "generating"
    COMPLETE = "complete"
    STOPPED = "stopped"
    FAILED = "failed"


# A run should be working on an agent in these states; an expired lease here means a crashed run.
ACTIVE_STATUSES = (AgentStatus.PLANNING, AgentStatus.GENERATING)


class Agent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agents")
    title = models.CharField(max_length=200, blank=True)
    query = models.TextField()
    status = models.CharField(max_length=16, choices=AgentStatus.choices, default=AgentStatus.PLANNING)
    blueprint = models.JSONField(null=True, blank=True)
    template_name = models.CharField(max_length=64, blank=True)
    current_phase_index = models.IntegerField(default=0)
    # Phases allowed in total: the blueprint's budget plus more for each user request.
    phase_budget = models.IntegerField(default=0)
    last_seq = models.BigIntegerField(default=0)
    # Single writer: the run holding an unexpired lease is the only one working on the agent.
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    stop_requested = models.BooleanField(default=False)
    # Set when the user wants generation; cleared by stop. The sweep only resumes wanted runs.
    generation_requested = models.BooleanField(default=False)
    # When a run was last asked for: a wanted run that never took the lease is re-enqueued by the sweep.
    run_requested_at = models.DateTimeField(null=True, blank=True)
    # Runs that died (lease expired, task lost) since the last success; at AGENT_MAX_CRASHES the agent fails.
    crash_count = models.IntegerField(default=0)
    error = models.TextField(blank=True)
    # [{code, message, file?}]: what a complete app still has wrong ("Complete with problems").
    problems = models.JSONField(default=list, blank=True)
    model_provider = models.CharField(max_length=32, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    tokens_in = models.BigIntegerField(default=0)
    tokens_out = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
        ]

    def __str__(self) -> str:
        return self.title or self.query[:60]

    @property
    def group_name(self) -> str:
        from agents.events import group_name

        return group_name(self.id)


class PhaseStatus(models.TextChoices):
    PLANNED = "planned"
    IMPLEMENTING = "implementing"
    DONE = "done"
    FAILED = "failed"


class Phase(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="phases")
    index = models.IntegerField()
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # [{"path": …, "purpose": …}] as planned.
    files = models.JSONField(default=list)
    # User requests this phase implements.
    requests = models.JSONField(default=list, blank=True)
    last_phase = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=PhaseStatus.choices, default=PhaseStatus.PLANNED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["agent", "index"], name="unique_phase_index")]

    def __str__(self) -> str:
        return f"{self.index}: {self.name}"


class File(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=255)
    purpose = models.CharField(max_length=500, blank=True)
    content = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.SET_NULL, related_name="written")
    # `content` is always a complete version; False until the file was written in full once.
    complete = models.BooleanField(default=True)
    # While the file streams in, the partial text is saved to `draft` with every chunk event sent (~50 ms);
    # a run that dies regenerates the file from scratch.
    generating = models.BooleanField(default=False)
    draft = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["agent", "path"], name="unique_file_path")]

    def __str__(self) -> str:
        return self.path

    @staticmethod
    def digest(content: str) -> str:
        return hashlib.sha256(content.encode()).hexdigest()


class MessageRole(models.TextChoices):
    USER = "user"
    ASSISTANT = "assistant"


class Message(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=MessageRole.choices)
    text = models.TextField()
    image_ids = models.JSONField(default=list, blank=True)
    # A user request waiting for a phase to implement it.
    pending = models.BooleanField(default=False)
    # Why the run that took this request failed; empty unless it failed (the user may retry it).
    error = models.TextField(blank=True)
    # Hidden by "clear conversation"; kept so phases keep their history.
    cleared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        text = " ".join(self.text.split())
        return f"{self.role}: {text[:60]}{'…' if len(text) > 60 else ''}"


class Event(models.Model):
    """A durable event, persisted before it is broadcast; replayed by seq on reconnect."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["agent", "seq"], name="unique_event_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}"


def image_upload_to(instance: Image, filename: str) -> str:
    return f"images/{instance.owner_id}/{uuid.uuid4().hex}.{instance.extension}"


class Image(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images")
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="images")
    file = models.ImageField(upload_to=image_upload_to)
    mime_type = models.CharField(max_length=32)
    width = models.IntegerField(default=0)
    height = models.IntegerField(default=0)
    bytes = models.IntegerField(default=0)
    original_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def extension(self) -> str:
        return {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}[self.mime_type]

    def __str__(self) -> str:
        return f"{self.original_name or 'image'} ({self.mime_type}, {self.width}×{self.height})"


class UsageRecord(models.Model):
    """Tokens one model call used, for per-agent and per-user totals."""

    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="usage")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="usage")
    action = models.CharField(max_length=32)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=200)
    tokens_in = models.IntegerField(default=0)
    tokens_out = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.action} on {self.provider}/{self.model}: {self.tokens_in} in, {self.tokens_out} out"


class VersionKind(models.TextChoices):
    PHASE = "phase"
    REVIEW = "review"
    RESTORE = "restore"
    EDIT = "edit"


class Version(models.Model):
    """One commit of the app's git history (agents.versions): a completed phase, a review, a restore or an edit.

    The commit itself and its tree live in `GitObject`; this row indexes it for the API and the UI.
    """

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="versions")
    number = models.IntegerField()  # 1, 2, … per agent, in commit order
    sha = models.CharField(max_length=40)
    parent_sha = models.CharField(max_length=40, blank=True)
    tree_sha = models.CharField(max_length=40)
    kind = models.CharField(max_length=16, choices=VersionKind.choices)
    phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.SET_NULL, related_name="versions")
    restored_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    subject = models.CharField(max_length=300)
    message = models.TextField()  # the whole commit message: subject, body, trailers
    # {path: blob sha} of the tree, so reads need no tree walk.
    manifest = models.JSONField(default=dict)
    # [{"path", "change": added|modified|deleted, "additions", "deletions"}] against the parent.
    changes = models.JSONField(default=list)
    additions = models.IntegerField(default=0)
    deletions = models.IntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "number"], name="unique_version_number"),
            models.UniqueConstraint(fields=["agent", "sha"], name="unique_version_sha"),
            # A phase is committed once, however often its completion is retried.
            models.UniqueConstraint(
                fields=["phase"], condition=models.Q(kind="phase"), name="unique_version_per_phase"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.subject}"


class GitObject(models.Model):
    """A git object (blob, tree or commit) of one agent's repository, zlib-compressed raw content."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="git_objects")
    sha = models.CharField(max_length=40)
    type_num = models.PositiveSmallIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "sha"], name="unique_git_object")]


class SelfCheckStatus(models.TextChoices):
    RUNNING = "running"
    PASSED = "passed"
    PROBLEMS = "problems"
    SKIPPED = "skipped"


def self_check_upload_to(instance: SelfCheck, filename: str) -> str:
    return f"self-checks/{instance.agent_id}/{uuid.uuid4().hex}.png"


class SelfCheck(models.Model):
    """One opening of the app's preview in a browser (agents.selfchecks): what broke, and a screenshot.

    `round` is how many fix rounds of the phase came before it (0: the phase as written). `files_digest`
    says which files it saw, so a final check of unchanged files reuses it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="self_checks")
    phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.SET_NULL, related_name="self_checks")
    round = models.IntegerField(default=0)
    final = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=SelfCheckStatus.choices, default=SelfCheckStatus.RUNNING)
    problems = models.JSONField(default=list, blank=True)  # [{code, message, file?, line?, column?}]
    note = models.TextField(blank=True)
    screenshot = models.FileField(upload_to=self_check_upload_to, blank=True)
    files_digest = models.CharField(max_length=64, blank=True)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["agent", "created_at"], name="selfcheck_agent_created")]
