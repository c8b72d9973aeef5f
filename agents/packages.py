"""npm packages of a framework app: the allow-list, and package-lock.json kept in step with package.json.

The model changes `dependencies` in package.json; it never writes package-lock.json. After a phase, a
package outside the allow-list (`ATELIER_NPM_ALLOWED_PACKAGES` plus the template's own) is a problem of
package.json, with a message saying what is allowed, which the phase's fix request shows the model. When
every package is allowed and the lockfile no longer matches, it is resolved again outside the sandbox
(`previews.npm.resolve_lockfile`, `--ignore-scripts`) and saved like any file the run writes; a version
npm cannot resolve is a problem of package.json too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agents import catalog
from agents.events import emit
from agents.models import Agent, File, Phase
from agents.problems import Problem
from previews.npm import NpmFailed, resolve_lockfile

PACKAGE_JSON = "package.json"
LOCKFILE = "package-lock.json"
_SECTIONS = ("dependencies", "devDependencies")


def _declared(manifest: Mapping) -> dict[str, str]:
    found: dict[str, str] = {}
    for section in _SECTIONS:
        values = manifest.get(section) or {}
        if isinstance(values, Mapping):
            found.update({str(name): str(version) for name, version in values.items()})
    return found


def allowed_packages(template: str) -> set[str]:
    """What an app on `template` may depend on: the setting's list and the template's own packages."""
    starter = catalog.get(template)
    own = set(_declared(json.loads(starter.files[PACKAGE_JSON]))) if PACKAGE_JSON in starter.files else set()
    return own | set(settings.NPM_ALLOWED_PACKAGES)


def policy_problems(*, files: Mapping[str, str], template: str) -> list[Problem]:
    """package.json that does not parse, or names a package outside the allow-list."""
    if PACKAGE_JSON not in files:
        return []
    try:
        manifest = json.loads(files[PACKAGE_JSON])
        if not isinstance(manifest, dict):
            raise ValueError("it is not a JSON object")
    except ValueError as exc:
        return [Problem(code="INVALID_PACKAGE_JSON", file=PACKAGE_JSON, message=f"package.json is not valid: {exc}")]
    allowed = allowed_packages(template)
    refused = sorted(set(_declared(manifest)) - allowed)
    if not refused:
        return []
    names = ", ".join(refused)
    return [
        Problem(
            code="PACKAGE_NOT_ALLOWED",
            file=PACKAGE_JSON,
            message=(
                f"package.json depends on {names}, which {'is' if len(refused) == 1 else 'are'} not allowed here. "
                f"Remove {'it' if len(refused) == 1 else 'them'} and write the code yourself, or use one of the "
                f"allowed packages: {', '.join(sorted(allowed))}"
            ),
        )
    ]


def lock_is_current(*, package_json: str, lockfile: str | None) -> bool:
    """Does the lockfile pin exactly the packages package.json declares (names and ranges)?"""
    if not lockfile:
        return False
    try:
        root = json.loads(lockfile).get("packages", {}).get("", {})
        manifest = json.loads(package_json)
    except (ValueError, AttributeError):
        return False
    return all((root.get(section) or {}) == (manifest.get(section) or {}) for section in _SECTIONS)


def dependency_problems(*, agent: Agent, phase: Phase | None, files: Mapping[str, str]) -> list[Problem]:
    """The allow-list check; when it passes, the lockfile brought in step (saved), or why it could not be."""
    problems = policy_problems(files=files, template=agent.template_name)
    if problems or PACKAGE_JSON not in files:
        return problems
    if lock_is_current(package_json=files[PACKAGE_JSON], lockfile=files.get(LOCKFILE)):
        return []
    try:
        lockfile = resolve_lockfile(package_json=files[PACKAGE_JSON], lockfile=files.get(LOCKFILE))
    except NpmFailed as exc:
        return [
            Problem(
                code="PACKAGE_RESOLUTION_FAILED",
                file=PACKAGE_JSON,
                message=f"npm could not install the packages of package.json: {exc}",
            )
        ]
    _save_lockfile(agent=agent, phase=phase, content=lockfile)
    return []


def _save_lockfile(*, agent: Agent, phase: Phase | None, content: str) -> None:
    purpose = "Exact versions of every npm package (written by Atelier, not the model)"
    with transaction.atomic():
        file, _ = File.objects.get_or_create(
            agent=agent, path=LOCKFILE, defaults={"purpose": purpose, "phase": phase, "content": content}
        )
        File.objects.filter(pk=file.pk).update(
            content=content,
            sha256=File.digest(content),
            complete=True,
            generating=False,
            draft="",
            phase=phase,
            purpose=purpose,
            updated_at=timezone.now(),
        )
        emit(
            agent.pk,
            "file_generated",
            message=f"Updated {LOCKFILE}",
            file={"filePath": LOCKFILE, "fileContents": content, "filePurpose": purpose},
        )
