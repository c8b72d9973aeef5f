"""Where published previews live on disk: `settings.PREVIEW_ROOT/<deployment-id>/`, outside the code tree.

A deployment folder appears whole or not at all: it is filled under a staging name in the same parent
folder and renamed into place, so the preview middleware never serves a half-written deployment.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from previews.paths import clean_file_path

STAGING_PREFIX = ".staging-"


def deployment_dir(deployment_id: uuid.UUID | str) -> Path:
    return Path(settings.PREVIEW_ROOT) / str(uuid.UUID(str(deployment_id)))


def is_published(deployment_id: uuid.UUID | str) -> bool:
    return deployment_dir(deployment_id).is_dir()


def publish(*, deployment_id: uuid.UUID | str, fill: Callable[[Path], None]) -> Path:
    """Let `fill` write the site into an empty staging folder, then move it into place atomically."""
    root = Path(settings.PREVIEW_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    target = deployment_dir(deployment_id)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{target.name}-", dir=root))
    try:
        fill(staging)
        staging.chmod(0o755)
        # rename() of a folder onto an existing one fails (unless empty), so a deployment is never overwritten.
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def write_files(folder: Path, files: dict[str, str]) -> None:
    """Write text files under `folder`; a path that is not a safe relative path raises ValueError."""
    for path, content in files.items():
        if clean_file_path(path) is None:
            raise ValueError(f"Unsafe file path: {path!r}")
        destination = folder / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(content, encoding="utf-8")


def resolve(*, deployment_id: uuid.UUID | str, relative_path: str) -> Path | None:
    """The published file at `relative_path`, or None if it is missing or resolves outside the deployment."""
    if clean_file_path(relative_path) is None:
        return None
    root = deployment_dir(deployment_id).resolve()
    candidate = (root / relative_path).resolve()
    # resolve() follows symlinks: whatever a link points at must still be inside this deployment.
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def remove(deployment_id: uuid.UUID | str) -> None:
    shutil.rmtree(deployment_dir(deployment_id), ignore_errors=True)


def published_ids() -> set[str]:
    """Ids of every deployment folder on disk (staging folders excluded)."""
    root = Path(settings.PREVIEW_ROOT)
    if not root.is_dir():
        return set()
    return {folder.name for folder in root.iterdir() if folder.is_dir() and _is_uuid(folder.name)}


def _is_uuid(name: str) -> bool:
    try:
        return str(uuid.UUID(name)) == name
    except ValueError:
        return False


def remove_stale_staging(*, older_than: float) -> int:
    """Delete staging folders left by a crashed publish whose mtime is before `older_than` (epoch seconds)."""
    root = Path(settings.PREVIEW_ROOT)
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.glob(f"{STAGING_PREFIX}*"):
        if folder.is_dir() and folder.stat().st_mtime < older_than:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
