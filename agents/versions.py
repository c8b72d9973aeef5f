"""An app's history as git: every completed phase, review, restore and hand edit is one commit.

Storage: the git objects of each app (blobs, trees, commits) are rows in the database (`GitObject`), and
every commit has a `Version` row that indexes it. Not a bare repository on disk, because:
- a phase's commit is written in the very transaction that marks the phase done and emits
  `phase_implemented`: a crash can never leave the history and the files disagreeing, and a retried
  completion never commits twice (one `Version` per phase, enforced by a constraint);
- scaled out, runs and web processes on different machines share the database, not a disk;
- deleting an agent deletes its history by cascade, and database backups include it.
dulwich builds the objects (so shas are real git shas) and serves them: `repository()` loads an app's
objects into a `MemoryRepo` for `git clone` over smart HTTP (agents.git_http) and `?format=git` exports.
Apps are small (capped files), so loading them per request is cheap.
"""

from __future__ import annotations

import difflib
import io
import logging
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from dulwich.index import build_index_from_tree, commit_tree
from dulwich.object_store import MemoryObjectStore
from dulwich.objects import Blob, Commit, ShaFile
from dulwich.repo import MemoryRepo, Repo

from agents import deployments  # the module: deployments -> selectors -> payloads -> here
from agents.events import emit
from agents.models import ACTIVE_STATUSES, Agent, File, GitObject, Phase, Version, VersionKind
from agents.parsing import UnsafePath, validate_path
from config.errors import Conflict, InvalidInput, PayloadTooLarge

logger = logging.getLogger(__name__)

BRANCH = b"refs/heads/main"
ATELIER_AUTHOR = b"Atelier <atelier@atelier.invalid>"
FILE_MODE = 0o100644
MAX_EDIT_BYTES = 1024 * 1024  # one file written by hand
MAX_FILES = 500  # files in one app, so a hand edit cannot grow it without bound


# ------------------------------------------------------------------------------------------- objects


def _blob(content: str) -> Blob:
    return Blob.from_string(content.encode())


def _store_objects(*, agent_id, objects: Iterable[ShaFile]) -> None:
    """Insert the objects the agent does not have yet (objects are immutable, so a sha present is done)."""
    by_sha = {obj.id.decode(): obj for obj in objects}
    have = set(GitObject.objects.filter(agent_id=agent_id, sha__in=list(by_sha)).values_list("sha", flat=True))
    GitObject.objects.bulk_create(
        [
            GitObject(agent_id=agent_id, sha=sha, type_num=obj.type_num, data=zlib.compress(obj.as_raw_string()))
            for sha, obj in by_sha.items()
            if sha not in have
        ]
    )


def _load(rows) -> list[ShaFile]:
    return [
        ShaFile.from_raw_string(type_num, zlib.decompress(bytes(data)), sha=sha.encode())
        for sha, type_num, data in rows
    ]


def _blob_texts(*, agent_id, shas: Iterable[str]) -> dict[str, str]:
    rows = GitObject.objects.filter(agent_id=agent_id, sha__in=set(shas)).values_list("sha", "type_num", "data")
    return {obj.id.decode(): obj.as_raw_string().decode() for obj in _load(rows)}


def version_files(version: Version) -> dict[str, str]:
    """The app's files as they were at this version."""
    texts = _blob_texts(agent_id=version.agent_id, shas=version.manifest.values())
    return {path: texts[sha] for path, sha in sorted(version.manifest.items())}


# ------------------------------------------------------------------------------------------- commits


def _line_counts(old: str, new: str) -> tuple[int, int]:
    additions = deletions = 0
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            additions += 1
        elif line.startswith("-") and not line.startswith("---"):
            deletions += 1
    return additions, deletions


def _changes(*, agent_id, old: Mapping[str, str], new: Mapping[str, str], files: Mapping[str, str]) -> list[dict]:
    """What changed between two manifests ({path: blob sha}); `files` holds the new contents."""
    changed = sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))
    previous = _blob_texts(agent_id=agent_id, shas=[old[p] for p in changed if p in old])
    result = []
    for path in changed:
        before = previous[old[path]] if path in old else ""
        after = files[path] if path in new else ""
        additions, deletions = _line_counts(before, after)
        change = "added" if path not in old else "deleted" if path not in new else "modified"
        result.append({"path": path, "change": change, "additions": additions, "deletions": deletions})
    return result


def head(*, agent: Agent) -> Version | None:
    return Version.objects.filter(agent=agent).order_by("-number").first()


def _model_trailer(agent_id) -> str:
    provider, name = Agent.objects.filter(pk=agent_id).values_list("model_provider", "model_name").get()
    return f"Model: {provider}/{name}" if provider or name else ""


def _commit(
    *,
    agent: Agent,
    files: Mapping[str, str],
    subject: str,
    body: str = "",
    trailers: Iterable[str] = (),
    kind: str,
    phase: Phase | None = None,
    restored_from: Version | None = None,
    author: bytes = ATELIER_AUTHOR,
) -> Version:
    """Write one commit of `files` on top of the head, with its Version row and `version_created` event.

    Runs in the caller's transaction; the agent row lock orders commits (emit() takes it too).
    """
    with transaction.atomic():
        Agent.objects.select_for_update().filter(pk=agent.pk).values_list("pk", flat=True).first()
        parent = head(agent=agent)
        store = MemoryObjectStore()
        blobs = {path: _blob(content) for path, content in files.items()}
        for blob in blobs.values():
            store.add_object(blob)
        tree_id = commit_tree(store, [(p.encode(), b.id, FILE_MODE) for p, b in sorted(blobs.items())])

        now = timezone.now()
        commit = Commit()
        commit.tree = tree_id
        commit.parents = [parent.sha.encode()] if parent else []
        commit.author = commit.committer = author
        commit.author_time = commit.commit_time = int(now.timestamp())
        commit.author_timezone = commit.commit_timezone = 0
        paragraphs = [subject.strip()[:300], body.strip(), "\n".join(t for t in trailers if t)]
        commit.message = ("\n\n".join(p for p in paragraphs if p) + "\n").encode()
        store.add_object(commit)
        _store_objects(agent_id=agent.pk, objects=[store[sha] for sha in store])

        manifest = {path: blob.id.decode() for path, blob in sorted(blobs.items())}
        changes = _changes(agent_id=agent.pk, old=parent.manifest if parent else {}, new=manifest, files=files)
        version = Version.objects.create(
            agent=agent,
            number=parent.number + 1 if parent else 1,
            sha=commit.id.decode(),
            parent_sha=parent.sha if parent else "",
            tree_sha=tree_id.decode(),
            kind=kind,
            phase=phase,
            restored_from=restored_from,
            subject=subject.strip()[:300],
            message=commit.message.decode(),
            manifest=manifest,
            changes=changes,
            additions=sum(c["additions"] for c in changes),
            deletions=sum(c["deletions"] for c in changes),
            created_at=now,
        )
        emit(
            agent.pk,
            "version_created",
            message=f"Version {version.number}: {version.subject}",
            version=version_payload(version),
        )
    return version


def _complete_files(agent_id) -> dict[str, str]:
    return dict(File.objects.filter(agent_id=agent_id, complete=True).order_by("path").values_list("path", "content"))


def commit_phase(*, agent: Agent, phase: Phase) -> Version:
    """Commit the files as this phase left them; call it in the transaction that marks the phase done.

    Idempotent: a phase already committed returns its version.
    """
    existing = Version.objects.filter(phase=phase, kind=VersionKind.PHASE).first()
    if existing is not None:
        return existing
    requests = list(phase.requests) or ([agent.query] if phase.index == 0 else [])
    body = phase.description.strip()
    if requests:
        body += "\n\nRequested:\n" + "\n".join(f"- {r.strip()}" for r in requests)
    return _commit(
        agent=agent,
        files=_complete_files(agent.pk),
        subject=phase.name or f"Phase {phase.index + 1}",
        body=body,
        trailers=[_model_trailer(agent.pk)],
        kind=VersionKind.PHASE,
        phase=phase,
    )


def commit_review(*, agent: Agent) -> Version | None:
    """Commit what the final review changed, if anything; call it in the transaction that completes the run."""
    files = _complete_files(agent.pk)
    tip = head(agent=agent)
    if tip is not None and tip.manifest == {p: _blob(c).id.decode() for p, c in files.items()}:
        return None
    return _commit(
        agent=agent,
        files=files,
        subject="Review fixes",
        body="Fixes from the final review of the whole app.",
        trailers=[_model_trailer(agent.pk)],
        kind=VersionKind.REVIEW,
    )


# ------------------------------------------------------------------------------------------- changes by users


def _lock_idle(agent: Agent) -> Agent:
    """The agent row, locked; Conflict while a run works on it (its files would race ours)."""
    from agents.lifecycle import lease_is_live

    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if agent.status in ACTIVE_STATUSES or lease_is_live(agent):
        raise Conflict("The app is being generated; wait until it finishes (or stop it) and try again.")
    return agent


def _user_author(user) -> bytes:
    name = (user.get_full_name() or user.username).replace("<", "").replace(">", "").strip() or "user"
    email = (user.email or f"{user.username}@atelier.invalid").replace("<", "").replace(">", "")
    return f"{name} <{email}>".encode()


def _write_files(*, agent: Agent, files: Mapping[str, str], remove_others: bool) -> None:
    """Write `files` to the agent's File rows (and remove all others when asked), telling clients each change."""
    current = {f.path: f for f in File.objects.filter(agent=agent)}
    for path, file in current.items():
        if remove_others and path not in files:
            file.delete()
            emit(agent.pk, "file_deleted", message=f"Removed {path}", filePath=path)
    for path, content in files.items():
        file = current.get(path)
        if file is not None and file.complete and not file.generating and file.content == content:
            continue
        if file is None:
            file = File(agent=agent, path=path)
        file.content, file.sha256, file.complete, file.generating, file.draft = (
            content,
            File.digest(content),
            True,
            False,
            "",
        )
        file.save()
        emit(
            agent.pk,
            "file_generated",
            message=f"Wrote {path}",
            file={"filePath": path, "fileContents": content, "filePurpose": file.purpose},
        )


def restore(*, agent: Agent, version: Version, user) -> Version:
    """A new commit whose tree is `version`'s, with the files updated, then a redeploy.

    Restoring the version that is already current changes nothing and returns it.
    """
    with transaction.atomic():
        agent = _lock_idle(agent)
        tip = head(agent=agent)
        if tip is not None and tip.tree_sha == version.tree_sha:
            return tip
        files = version_files(version)
        _write_files(agent=agent, files=files, remove_others=True)
        restored = _commit(
            agent=agent,
            files=files,
            subject=f"Restore version {version.number}: {version.subject}"[:300],
            body=f"Restores the files of version {version.number} ({version.sha[:12]}).",
            trailers=[f"Restored-From: {version.sha}"],
            kind=VersionKind.RESTORE,
            restored_from=version,
            author=_user_author(user),
        )
    redeploy(agent)
    return restored


def edit_file(*, agent: Agent, path: str, content: str, user) -> Version:
    """Write one file by hand as a commit "Edited <path>", then redeploy; the next phase sees it."""
    try:
        path = validate_path(path)
    except UnsafePath as exc:
        raise InvalidInput(f"path: {exc}.")
    if ".git" in path.split("/"):
        raise InvalidInput("path: .git is reserved.")
    if len(content.encode()) > MAX_EDIT_BYTES:
        raise PayloadTooLarge(f"fileContents: at most {MAX_EDIT_BYTES // 1024} KiB.")
    with transaction.atomic():
        agent = _lock_idle(agent)
        files = _complete_files(agent.pk)
        if path not in files and len(files) >= MAX_FILES:
            raise PayloadTooLarge(f"An app has at most {MAX_FILES} files.")
        tip = head(agent=agent)
        if files.get(path) == content and tip is not None and tip.manifest.get(path) == _blob(content).id.decode():
            return tip
        files[path] = content
        _write_files(agent=agent, files={path: content}, remove_others=False)
        edited = _commit(
            agent=agent, files=files, subject=f"Edited {path}"[:300], kind=VersionKind.EDIT, author=_user_author(user)
        )
    redeploy(agent)
    return edited


def redeploy(agent: Agent) -> None:
    """Publish the files as they are now; a failed deploy reports itself as an event."""
    try:
        deployments.agent_deploy_preview(agent=agent)
    except Exception:  # noqa: BLE001 - the version is committed either way; the deploy emits its own failure
        logger.exception("Redeploying agent %s after a version change failed", agent.pk)


# ------------------------------------------------------------------------------------------- reads


def version_payload(version: Version) -> dict:
    return {
        "id": version.sha,
        "number": version.number,
        "kind": version.kind,
        "message": version.subject,
        "body": version.message,
        "parent": version.parent_sha or None,
        "phaseIndex": version.phase.index if version.phase_id else None,
        "restoredFrom": version.restored_from.sha if version.restored_from_id else None,
        "created": version.created_at.isoformat(),
        "filesChanged": len(version.changes),
        "additions": version.additions,
        "deletions": version.deletions,
        "files": version.changes,
    }


def version_list(*, agent: Agent):
    return Version.objects.filter(agent=agent).select_related("phase", "restored_from").order_by("-number")


def version_get(*, agent: Agent, version_id: str) -> Version | None:
    """A version by its commit sha (full, or a unique prefix of at least 7 hex digits)."""
    version_id = (version_id or "").lower()
    if not 7 <= len(version_id) <= 40 or any(c not in "0123456789abcdef" for c in version_id):
        return None
    matches = list(version_list(agent=agent).filter(sha__startswith=version_id)[:2])
    return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True)
class FileDiff:
    path: str
    change: str
    additions: int
    deletions: int
    diff: str


def version_diff(*, version: Version) -> list[FileDiff]:
    """A unified diff per changed file, against the version's parent."""
    parent = Version.objects.filter(agent_id=version.agent_id, sha=version.parent_sha).first()
    old_manifest = parent.manifest if parent else {}
    texts = _blob_texts(agent_id=version.agent_id, shas=[*old_manifest.values(), *version.manifest.values()])
    diffs = []
    for change in version.changes:
        path = change["path"]
        before = texts[old_manifest[path]] if path in old_manifest else ""
        after = texts[version.manifest[path]] if path in version.manifest else ""
        lines = difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}" if path in old_manifest else "/dev/null",
            tofile=f"b/{path}" if path in version.manifest else "/dev/null",
        )
        text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
        diffs.append(
            FileDiff(
                path=path,
                change=change["change"],
                additions=change["additions"],
                deletions=change["deletions"],
                diff=text,
            )
        )
    return diffs


def repository(*, agent: Agent) -> MemoryRepo:
    """The app's git repository in memory: all its objects, `main` at the head, HEAD pointing to `main`."""
    rows = GitObject.objects.filter(agent=agent).values_list("sha", "type_num", "data")
    tip = head(agent=agent)
    repo = MemoryRepo.init_bare(_load(rows.iterator()), {BRANCH: tip.sha.encode()} if tip else {})
    repo.refs.set_symbolic_ref(b"HEAD", BRANCH)
    return repo


def export_git_zip(*, agent: Agent, folder: str) -> bytes:
    """A zip of `folder/` holding a checkout of the head with its `.git`: unzip, then `git log` works."""
    source = repository(agent=agent)
    tip = head(agent=agent)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR) as tmp:
        target = Repo.init(tmp)
        target.object_store.add_objects([(source.object_store[sha], None) for sha in source.object_store])
        if tip is not None:
            target.refs[BRANCH] = tip.sha.encode()
            build_index_from_tree(tmp, target.index_path(), target.object_store, tip.tree_sha.encode())
        target.refs.set_symbolic_ref(b"HEAD", BRANCH)
        target.close()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for root, _dirs, names in os.walk(tmp):
                for name in names:
                    full = os.path.join(root, name)
                    archive.write(full, f"{folder}/{os.path.relpath(full, tmp)}")
    return buffer.getvalue()
