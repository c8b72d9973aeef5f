"""The starter catalog: `agents/starters/<name>/` holds a manifest, the starter files and the prompt rules.

A starter whose manifest says `"requires": "toolchain"` builds with npm and Vite: it is offered only when
this server has Node, npm and bubblewrap (`previews.toolchain`); `offered()` is what the model may choose
from, `unavailable()` what Settings and /healthz explain.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from previews.toolchain import toolchain

STARTERS_DIR = Path(__file__).resolve().parent / "starters"
DEFAULT_TEMPLATE = "static-web"


@dataclass(frozen=True)
class Starter:
    name: str
    description: str
    frameworks: tuple[str, ...]
    preview: dict
    files: dict[str, str]
    rules: str  # how an app on this template is written (rules.md), for the prompts; empty: the default rules
    requires_toolchain: bool = False
    seed: bool = False  # its files are the app's first files (a framework project), not only an example

    @property
    def backend(self) -> str:
        return self.preview.get("backend", "static")

    def summary(self) -> dict:
        return {"name": self.name, "description": self.description, "frameworks": list(self.frameworks)}


@cache
def starters() -> dict[str, Starter]:
    """Every starter shipped, offered here or not (an app made on one keeps its template)."""
    found = {}
    for manifest_path in sorted(STARTERS_DIR.glob("*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        folder = manifest_path.parent
        files = {name: (folder / name).read_text() for name in manifest["files"]}
        rules = folder / "rules.md"
        found[manifest["name"]] = Starter(
            name=manifest["name"],
            description=manifest["description"],
            frameworks=tuple(manifest.get("frameworks", ())),
            preview=manifest.get("preview", {}),
            files=files,
            rules=rules.read_text() if rules.is_file() else "",
            requires_toolchain=manifest.get("requires") == "toolchain",
            seed=bool(manifest.get("seed", False)),
        )
    return found


def get(name: str | None) -> Starter:
    """The starter of an app by its template name; the default for an unknown or empty name."""
    catalog = starters()
    return catalog.get(name or "", catalog[DEFAULT_TEMPLATE])


def offered() -> dict[str, Starter]:
    """The starters this server can preview: those needing the build toolchain only when it works."""
    usable = toolchain().available
    return {name: s for name, s in starters().items() if usable or not s.requires_toolchain}


def unavailable() -> dict[str, str]:
    """Template name -> why it is not offered here."""
    tools = toolchain()
    if tools.available:
        return {}
    why = " ".join(tools.reasons)
    return {name: why for name, s in starters().items() if s.requires_toolchain}


def choose(*, requested: str | None, query: str) -> Starter:
    """The template the model asked for when it is offered; otherwise a deterministic choice by keywords."""
    catalog = offered()
    if requested and requested in catalog:
        return catalog[requested]
    words = set(re.findall(r"[a-z]+", query.lower()))
    for starter in catalog.values():
        if words & set(starter.frameworks) - {"html", "css"}:
            return starter
    return catalog[DEFAULT_TEMPLATE]
