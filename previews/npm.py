"""npm outside the sandbox: resolving a lockfile and filling the shared download cache.

Both talk to the registry, so they run outside the sandbox, and both pass `--ignore-scripts`: no code
from a package ever runs here. Everything that runs the app's own code (`npm ci` from the cache, the
build) happens in `previews.sandbox`. The cache is npm's own (cacache, under `NPM_CACHE_DIR`): a tarball
whose integrity is in it is never fetched again, so a second build of the same lockfile needs no network.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

RESOLVE_TIMEOUT_SECONDS = 180
# Variables npm may need to reach the registry (proxies, certificates); nothing else of Atelier's
# environment (keys, database URLs) is passed on.
_PASSED_ON = ("PATH", "HOME", "LANG", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


class NpmFailed(Exception):
    """npm could not do it; the message is npm's own error, short, for the owner and the model."""


def _env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name in _PASSED_ON or name.startswith("npm_config_")}
    env["npm_config_update_notifier"] = "false"
    return env


def _npm(args: list[str], *, cwd: Path, on_line: Callable[[str], None] | None = None) -> None:
    argv = [
        settings.NPM_BINARY,
        *args,
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        f"--cache={settings.NPM_CACHE_DIR}",
        f"--registry={settings.NPM_REGISTRY}",
        # Lockfiles name each tarball's URL, so an install from the cache never asks the registry (a
        # user's npmrc may say otherwise).
        "--omit-lockfile-registry-resolved=false",
    ]
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=RESOLVE_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise NpmFailed(f"npm {args[0]} took longer than {RESOLVE_TIMEOUT_SECONDS} s.") from exc
    except OSError as exc:
        raise NpmFailed(f"npm could not be started: {exc}") from exc
    output = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if on_line is not None:
        for line in output[-40:]:
            on_line(line)
    if done.returncode != 0:
        errors = [line.removeprefix("npm error ").strip() for line in output if line.startswith("npm error")]
        useful = [line for line in errors if line and not line.startswith(("A complete log", "Log files"))]
        raise NpmFailed(" ".join(useful[:6])[:1000] or f"npm {args[0]} failed (exit status {done.returncode}).")


def resolve_lockfile(*, package_json: str, lockfile: str | None) -> str:
    """The lockfile for `package_json` (keeping the versions `lockfile` already pins), from the registry."""
    settings.NPM_CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="atelier-npm-") as folder:
        work = Path(folder)
        (work / "package.json").write_text(package_json, encoding="utf-8")
        if lockfile:
            (work / "package-lock.json").write_text(lockfile, encoding="utf-8")
        _npm(["install", "--package-lock-only"], cwd=work)
        return (work / "package-lock.json").read_text(encoding="utf-8")


def _cache_path(integrity: str) -> Path | None:
    """Where cacache keeps the content of `integrity` (its strongest hash), or None if unreadable."""
    hashes = {}
    for item in integrity.split():
        algorithm, _, digest = item.partition("-")
        hashes[algorithm] = digest
    for algorithm in ("sha512", "sha384", "sha256", "sha1"):
        if algorithm in hashes:
            try:
                hexdigest = base64.b64decode(hashes[algorithm]).hex()
            except ValueError:
                return None
            return (
                settings.NPM_CACHE_DIR
                / "_cacache"
                / "content-v2"
                / algorithm
                / hexdigest[:2]
                / hexdigest[2:4]
                / hexdigest[4:]
            )
    return None


def uncached(*, lockfile: str) -> list[str]:
    """Tarballs of the lockfile that are not in the cache yet (their URLs, or name@version)."""
    try:
        packages = json.loads(lockfile).get("packages", {})
    except (json.JSONDecodeError, AttributeError) as exc:
        raise NpmFailed(f"package-lock.json is not valid JSON: {exc}") from exc
    missing = []
    for location, entry in packages.items():
        if not location or not isinstance(entry, dict) or entry.get("link") or "integrity" not in entry:
            continue
        path = _cache_path(str(entry["integrity"]))
        if path is None or not path.is_file():
            name = location.rsplit("node_modules/", 1)[-1]
            missing.append(entry.get("resolved") or f"{name}@{entry.get('version')}")
    return missing


def fill_cache(*, lockfile: str, on_line: Callable[[str], None] | None = None) -> int:
    """Download what the lockfile needs and the cache lacks; returns how many tarballs were fetched."""
    missing = uncached(lockfile=lockfile)
    if not missing:
        return 0
    settings.NPM_CACHE_DIR.mkdir(parents=True, exist_ok=True)
    if on_line is not None:
        on_line(f"Downloading {len(missing)} package(s) into the shared npm cache…")
    with tempfile.TemporaryDirectory(prefix="atelier-npm-") as folder:
        for start in range(0, len(missing), 50):
            _npm(["cache", "add", *missing[start : start + 50]], cwd=Path(folder))
    return len(missing)
