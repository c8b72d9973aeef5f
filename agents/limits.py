"""Caps on what a model may write: files per phase and per app, bytes per file and per app, path segments.

A model that runs away (3,000 files in a phase, an 8 MiB file) would otherwise be stored and streamed in
full. The file writer calls `OutputBudget.open` before a file is created and `OutputBudget.add` for each
chunk; past any cap it raises `OutputLimitExceeded`, the run stops writing and fails with a message naming
the cap and its setting, and every file saved before stays as it is. Settings: `ATELIER_MAX_*` in
config/settings.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import Length

from agents.models import File


class OutputLimitExceeded(Exception):
    """Raised inside the parser's callbacks; the pipeline turns it into a failed run (code OUTPUT_LIMIT)."""

    code = "OUTPUT_LIMIT"

    def __init__(self, what: str, limit: int, setting: str):
        self.limit_name = setting
        self.message = (
            f"The model wrote more than {limit:,} {what}, the limit ({setting}). Generation stopped; "
            "the files saved before it are kept."
        )
        super().__init__(self.message)


class OutputBudget:
    """What one writer (one model call within a phase) may still write, counted from the database."""

    def __init__(self, *, agent, phase):
        files = File.objects.filter(agent=agent)
        self.paths = set(files.values_list("path", flat=True))
        self.phase_paths = set(files.filter(phase=phase).values_list("path", flat=True)) if phase else set()
        self.sizes = dict(files.annotate(n=Length("content")).values_list("path", "n"))
        self.app_bytes = files.aggregate(total=Sum(Length("content")))["total"] or 0
        self.file_bytes = 0

    def open(self, path: str) -> None:
        for segment in path.split("/"):
            if len(segment.encode()) > settings.OUTPUT_MAX_PATH_SEGMENT_BYTES:
                raise OutputLimitExceeded(
                    "bytes in one part of a file path",
                    settings.OUTPUT_MAX_PATH_SEGMENT_BYTES,
                    "ATELIER_MAX_PATH_SEGMENT_BYTES",
                )
        if path not in self.phase_paths and len(self.phase_paths) >= settings.OUTPUT_MAX_FILES_PER_PHASE:
            raise OutputLimitExceeded(
                "files in one phase", settings.OUTPUT_MAX_FILES_PER_PHASE, "ATELIER_MAX_FILES_PER_PHASE"
            )
        if path not in self.paths and len(self.paths) >= settings.OUTPUT_MAX_FILES_PER_APP:
            raise OutputLimitExceeded(
                "files in one app", settings.OUTPUT_MAX_FILES_PER_APP, "ATELIER_MAX_FILES_PER_APP"
            )
        self.phase_paths.add(path)
        self.paths.add(path)
        # The file is being rewritten: what it held no longer counts towards the app.
        self.app_bytes -= self.sizes.pop(path, 0)
        self.file_bytes = 0

    def add(self, text: str) -> None:
        size = len(text.encode())
        self.file_bytes += size
        self.app_bytes += size
        if self.file_bytes > settings.OUTPUT_MAX_FILE_BYTES:
            raise OutputLimitExceeded("bytes in one file", settings.OUTPUT_MAX_FILE_BYTES, "ATELIER_MAX_FILE_BYTES")
        if self.app_bytes > settings.OUTPUT_MAX_APP_BYTES:
            raise OutputLimitExceeded("bytes in one app", settings.OUTPUT_MAX_APP_BYTES, "ATELIER_MAX_APP_BYTES")
