"""The starter catalog: `agents/starters/<name>/` holds a manifest and the starter files of a template."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STARTERS_DIR = Path(__file__).resolve().parent / "starters"
DEFAULT_TEMPLATE = "static-web"


@dataclass(frozen=True)
class Starter:
    name: str
    description: str
    frameworks: tuple[str, ...]
    preview: dict
    files: dict[str, str]

    def summary(self) -> dict:
        return {"name": self.name, "description": self.description, "frameworks": list(self.frameworks)}


@cache
def starters() -> dict[str, Starter]:
    found = {}
    for manifest_path in sorted(STARTERS_DIR.glob("*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        folder = manifest_path.parent
        files = {name: (folder / name).read_text() for name in manifest["files"]}
        found[manifest["name"]] = Starter(
            name=manifest["name"],
            description=manifest["description"],
            frameworks=tuple(manifest.get("frameworks", ())),
            preview=manifest.get("preview", {}),
            files=files,
        )
    return found


def choose(*, requested: str | None, query: str) -> Starter:
    """The template the model asked for when it exists; otherwise a deterministic choice by keywords."""
    catalog = starters()
    if requested and requested in catalog:
        return catalog[requested]
    words = set(re.findall(r"[a-z]+", query.lower()))
    for starter in catalog.values():
        if words & set(starter.frameworks) - {"html", "css"}:
            return starter
    return catalog[DEFAULT_TEMPLATE]
