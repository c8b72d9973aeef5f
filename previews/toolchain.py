"""Is the `build` backend usable here? Node, npm and bubblewrap, found and working.

Checked once per process (at start-up, from `PreviewsConfig.ready`, and cached): the catalog offers the
templates that build only when this says yes, and Settings and `/healthz` show `reasons` when it says no.
A bubblewrap that is installed but cannot create namespaces (a container without user namespaces) counts
as missing: a build there would fail every time.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

from django.conf import settings

logger = logging.getLogger(__name__)

INSTALL_HINT = "Install them (Debian/Ubuntu: apt-get install nodejs npm bubblewrap) and restart Atelier."


@dataclass(frozen=True)
class Toolchain:
    node: str | None
    npm: str | None
    bwrap: str | None
    reasons: tuple[str, ...]  # one sentence per missing or broken tool; empty when all is well

    @property
    def available(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict:
        return {
            "available": self.available,
            "reasons": list(self.reasons),
            "hint": "" if self.available else INSTALL_HINT,
        }


def _found(name: str) -> str | None:
    return shutil.which(name)


def _works(argv: list[str]) -> str | None:
    """None when the command runs and succeeds, else why not (one line)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


@cache
def toolchain() -> Toolchain:
    """The tools the build backend needs, as configured (`ATELIER_NODE_BINARY`, ... ), checked once."""
    reasons = []
    node, npm, bwrap = _found(settings.NODE_BINARY), _found(settings.NPM_BINARY), _found(settings.BWRAP_BINARY)
    for label, configured, path in (
        ("Node.js", settings.NODE_BINARY, node),
        ("npm", settings.NPM_BINARY, npm),
        ("bubblewrap", settings.BWRAP_BINARY, bwrap),
    ):
        if path is None:
            reasons.append(f"{label} was not found ({configured!r} is not an executable on PATH).")
    if _found("prlimit") is None:
        reasons.append("prlimit was not found (it sets the build's limits; Debian: apt-get install util-linux).")
    if bwrap is not None:
        broken = _works([bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"])
        if broken:
            reasons.append(f"bubblewrap cannot create a sandbox here: {broken}")
    result = Toolchain(node=node, npm=npm, bwrap=bwrap, reasons=tuple(reasons))
    if reasons:
        logger.warning("Framework apps (react-vite) are not offered: %s %s", " ".join(reasons), INSTALL_HINT)
    return result
