"""The kinds of app the offline model writes, read from `apps/<kind>/` (manifest.json and the app's files).

Each kind is a folder of real files: `index.html` (a Django template: the title, description and
currency are the only variables, plus the `app-config` JSON block that app.js reads its storage keys
and data from), `styles.css` and `app.js` (literal), and `manifest.json` (how a request for it is
recognised and how the blueprint describes it). `apps/shared/` holds the base stylesheet and the JS
helpers every app starts with.

The apps are plain HTML + CSS + JS with no inline scripts, handlers or style attributes (the preview's
Content Security Policy may forbid them; the JSON block is data, not a script), colours as CSS custom
properties (so follow-up edits such as "make it dark" override a few variables), and `resetState()` /
`reloadState()` in every app.js (so the "reset button" and "sync tabs" edits work whatever the kind).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from django.template import Context, Engine

from .spec import AppSpec, Theme

APPS = files(__package__) / "apps"
# Order breaks ties when a request names several kinds: the more specific kinds come first.
KIND_ORDER = ("timer", "calculator", "quiz", "expense", "landing", "todo", "notes", "counter", "generic")
FALLBACK_KIND = "generic"
CORE_FILES = ("index.html", "styles.css", "app.js")

# Autoescaping on: the title and description are the user's words.
_ENGINE = Engine(autoescape=True)


@dataclass(frozen=True)
class AppKind:
    """One kind of app the offline model can write, and how to recognise a request for it."""

    name: str
    keywords: tuple[str, ...]  # regular expressions, matched on whole words, case-insensitively
    title: str
    palette: tuple[str, ...]
    summary: str  # blueprint description: names the kind, so the kind can be read back from it
    script_summary: str  # what app.js's first comment calls the app
    layout: str  # "app" (header card column) or "landing"
    storage_keys: tuple[str, ...]  # names under the project's localStorage prefix
    views: tuple[dict[str, str], ...]
    user_flow: dict[str, str]  # uiLayout, uiDesign, userJourney
    features: tuple[str, ...]  # README bullet points

    def file(self, name: str) -> str:
        return (APPS / self.name / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Topic:
    """A question bank of the quiz, and how a request for it is recognised."""

    pattern: str
    title: str
    phrase: str  # completes "A multiple-choice quiz ..."
    questions: tuple[dict, ...]


def _kind(name: str) -> AppKind:
    manifest = json.loads((APPS / name / "manifest.json").read_text(encoding="utf-8"))
    return AppKind(
        name=manifest["name"],
        keywords=tuple(manifest["keywords"]),
        title=manifest["title"],
        palette=tuple(manifest["palette"]),
        summary=manifest["summary"],
        script_summary=manifest["scriptSummary"],
        layout=manifest["layout"],
        storage_keys=tuple(manifest["storageKeys"]),
        views=tuple(manifest["views"]),
        user_flow=manifest["userFlow"],
        features=tuple(manifest["features"]),
    )


KINDS: dict[str, AppKind] = {name: _kind(name) for name in KIND_ORDER}
TOPICS: dict[str, Topic] = {
    name: Topic(
        pattern=topic["pattern"], title=topic["title"], phrase=topic["phrase"], questions=tuple(topic["questions"])
    )
    for name, topic in json.loads((APPS / "quiz" / "topics.json").read_text(encoding="utf-8")).items()
}
DEFAULT_TOPIC = "general"


def kind_of(spec: AppSpec) -> AppKind:
    return KINDS.get(spec.kind, KINDS[FALLBACK_KIND])


@cache
def _shared(name: str) -> str:
    return (APPS / "shared" / name).read_text(encoding="utf-8")


def app_config(spec: AppSpec, kind: AppKind) -> dict:
    """The data app.js reads from the page's `app-config` block."""
    config: dict[str, object] = {"storageKeys": {key: spec.storage_key(key) for key in kind.storage_keys}}
    if kind.name == "expense":
        config["currency"] = spec.currency
    if kind.name == "quiz":
        config["questions"] = list((TOPICS.get(spec.topic) or TOPICS[DEFAULT_TOPIC]).questions)
    return config


def theme_variables(theme: Theme) -> str:
    """The `:root` block of colour variables for `theme` (the only generated part of styles.css)."""
    variables = {
        "primary": theme.primary,
        "primary-strong": theme.primary_strong,
        "primary-contrast": theme.primary_contrast,
        "accent": theme.accent,
        "bg": theme.bg,
        "surface": theme.surface,
        "text": theme.text,
        "muted": theme.muted,
        "border": theme.border,
        "danger": "#f87171" if theme.is_dark else "#b91c1c",
        "radius": "12px",
        "shadow": "0 1px 2px rgb(15 23 42 / 0.06), 0 8px 24px rgb(15 23 42 / 0.08)",
    }
    lines = [f"  --{name}: {value};" for name, value in variables.items()]
    lines.append(f"  color-scheme: {'dark' if theme.is_dark else 'light'};")
    lines.append('  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;')
    return ":root {\n" + "\n".join(lines) + "\n}\n"


def page(spec: AppSpec, kind: AppKind) -> str:
    """index.html: the kind's page template filled with the app's title, description and config."""
    template = _ENGINE.from_string(kind.file("index.html"))
    context = {
        "title": spec.title,
        "description": spec.description,
        "theme_color": spec.theme.primary,
        "currency": spec.currency,
        "config": app_config(spec, kind),
    }
    return template.render(Context(context))


def stylesheet(spec: AppSpec, kind: AppKind) -> str:
    """styles.css: a header naming the app, the colour variables, the base rules, the kind's rules."""
    title = spec.title.replace("*/", "* /")
    header = f"/* {title}: styles. Colours are CSS variables so a theme is a few overrides. */\n"
    return header + theme_variables(spec.theme) + "\n" + _shared("base.css") + "\n" + kind.file("styles.css")


def script(spec: AppSpec, kind: AppKind) -> str:
    """app.js: a comment saying what it is, the shared helpers, then the kind's code."""
    comment = f"// {spec.title}: {kind.script_summary}".replace("\n", " ")
    prelude = _shared("prelude.js")
    return f"{comment}\n// Data stays in this browser's localStorage.\n{prelude}\n{kind.file('app.js')}"


def core_files(spec: AppSpec) -> dict[str, str]:
    """The complete first version of the app."""
    kind = kind_of(spec)
    return {"index.html": page(spec, kind), "styles.css": stylesheet(spec, kind), "app.js": script(spec, kind)}


# --- React (the react-vite template) -------------------------------------------------------------------
# A kind with a `react/` folder has a React version: App.tsx (and components/) written literally, using the
# same class names as its static page, so src/index.css is the very stylesheet of the static version.
REACT_TEMPLATE = "react-vite"
REACT_FALLBACK_KIND = "generic"
REACT_SHARED = {"src/lib/storage.ts": "storage.ts"}


def react_kind(spec: AppSpec) -> AppKind:
    """The kind whose React version is written: the spec's own when it has one, else the generic one."""
    kind = kind_of(spec)
    return kind if (APPS / kind.name / "react").is_dir() else KINDS[REACT_FALLBACK_KIND]


def _react_sources(kind: AppKind) -> dict[str, str]:
    found = {}
    root = APPS / kind.name / "react"
    folders = [(root, "src")]
    while folders:
        folder, prefix = folders.pop()
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_dir():
                folders.append((entry, f"{prefix}/{entry.name}"))
            else:
                found[f"{prefix}/{entry.name}"] = entry.read_text(encoding="utf-8")
    return found


def react_files(spec: AppSpec) -> dict[str, str]:
    """The complete first version of the app as a React project's own files (the template has the rest)."""
    kind = react_kind(spec)
    config = {"title": spec.title, "description": spec.description, **app_config(spec, kind)}
    page_context = {"title": spec.title, "description": spec.description, "theme_color": spec.theme.primary}
    files = {
        "index.html": _ENGINE.from_string(_shared("react/index.html")).render(Context(page_context)),
        "src/config.ts": (
            "// What Atelier wrote for this app: its title, description and storage keys.\n"
            f"export const config = {json.dumps(config, indent=2, ensure_ascii=False)} as const;\n"
        ),
        "src/index.css": stylesheet(spec, kind),
    }
    files.update({path: _shared(f"react/{name}") for path, name in REACT_SHARED.items()})
    files.update(_react_sources(kind))
    return files


def react_readme(spec: AppSpec) -> str:
    """README.md of a React app: what it does, how to run and build it."""
    features = "".join(f"- {feature}\n" for feature in react_kind(spec).features)
    return f"""# {spec.title}

{spec.description}

## Features

{features}
## Run it

A React + TypeScript app built with Vite. With Node.js 20 or later:

```
npm ci
npm run dev      # a development server with hot reload
npm run build    # the static site in dist/
```

## Files

- `index.html`: the page that loads `src/main.tsx`
- `src/App.tsx`: the app; `src/components/`: its parts
- `src/index.css`: the look; the colours are CSS custom properties at the top
- `src/config.ts`: the title and the storage keys

## Your data

Everything is saved in this browser's `localStorage`, under keys starting with `{spec.project}:`.
"""


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
