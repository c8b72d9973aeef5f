"""The kinds of app the offline model writes, and the files of each (index.html, styles.css, app.js)."""

from __future__ import annotations

from ..spec import AppSpec
from . import calculator, counter, expense, generic, landing, notes, quiz, timer, todo
from .common import AppKind, page, stylesheet

# Order breaks ties when a request names several kinds: the more specific kinds come first.
KINDS: dict[str, AppKind] = {
    kind.name: kind
    for kind in (
        timer.KIND,
        calculator.KIND,
        quiz.KIND,
        expense.KIND,
        landing.KIND,
        todo.KIND,
        notes.KIND,
        counter.KIND,
        generic.KIND,
    )
}
CORE_FILES = ("index.html", "styles.css", "app.js")


def kind_of(spec: AppSpec) -> AppKind:
    return KINDS.get(spec.kind, generic.KIND)


def core_files(spec: AppSpec) -> dict[str, str]:
    """The complete first version of the app."""
    kind = kind_of(spec)
    return {
        "index.html": page(spec, kind.body(spec), layout="landing" if kind.name == "landing" else "app"),
        "styles.css": stylesheet(spec, kind.css(spec)),
        "app.js": kind.js(spec),
    }


def readme(spec: AppSpec) -> str:
    """README.md: what the app does and how to run it (written by the polish phase)."""
    features = "".join(f"- {feature}\n" for feature in kind_of(spec).features)
    return f"""# {spec.title}

{spec.description}

## Features

{features}
## Run it

Open `index.html` in a browser, or serve this folder with any static file server, for example
`python3 -m http.server`. There is no build step and nothing is loaded from the network.

## Files

- `index.html`: the page structure
- `styles.css`: the look; the colours are CSS custom properties at the top
- `app.js`: the behaviour and the saving

## Your data

Everything is saved in this browser's `localStorage`, under keys starting with `{spec.project}:`.
Changes made in one tab show up in the app's other open tabs. Clearing the site's data starts afresh.
"""


__all__ = ["CORE_FILES", "KINDS", "AppKind", "core_files", "kind_of", "readme"]
