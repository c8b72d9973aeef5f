"""Pieces every offline app shares: the page shell, the base stylesheet, the JS storage helpers.

The apps are plain HTML + CSS + JS with no inline scripts, handlers or style attributes (the preview's
Content Security Policy may forbid them), colours as CSS custom properties (so follow-up edits such as
"make it dark" override a few variables), and `resetState()` / `reloadState()` in every app.js (so the
"reset button" and "sync tabs" edits work whatever the kind).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..spec import AppSpec, Theme


@dataclass(frozen=True)
class AppKind:
    """One kind of app the offline model can write, and how to recognise a request for it."""

    name: str
    keywords: tuple[str, ...]  # regular expressions, matched on whole words, case-insensitively
    title: str
    palette: tuple[str, ...]
    summary: str  # blueprint description: names the kind, so the kind can be read back from it
    views: tuple[tuple[str, str], ...]
    user_flow: tuple[str, str, str]  # uiLayout, uiDesign, userJourney
    features: tuple[str, ...]  # README bullet points
    body: Callable[[AppSpec], str]
    css: Callable[[AppSpec], str]
    js: Callable[[AppSpec], str]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def js_value(value: object) -> str:
    """A JavaScript literal for `value` (JSON is valid JS; ASCII-only avoids any encoding surprise)."""
    return json.dumps(value, ensure_ascii=True)


_PLACEHOLDER = re.compile(r"%%([A-Z_]+)%%")


def fill(template: str, **values: str) -> str:
    """Replace %%NAME%% placeholders; JS and CSS are full of braces, so str.format would not do."""

    def replace(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return _PLACEHOLDER.sub(replace, template)


def page(spec: AppSpec, body: str, *, layout: str = "app") -> str:
    """index.html: the shell with the title, the stylesheet and the deferred script around `body`."""
    title, description = esc(spec.title), esc(spec.description)
    head = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="description" content="{description}">
  <meta name="theme-color" content="{spec.theme.primary}">
  <title>{title}</title>
  <link rel="stylesheet" href="styles.css">
  <script src="app.js" defer></script>
</head>
<body>
"""
    if layout == "landing":
        return head + body.rstrip("\n") + "\n</body>\n</html>\n"
    return (
        head
        + f"""  <main class="app" id="main">
    <header class="app-header">
      <h1 data-app-title>{title}</h1>
      <p class="tagline">{description}</p>
    </header>
"""
        + body.rstrip("\n")
        + "\n  </main>\n</body>\n</html>\n"
    )


def variables(theme: Theme) -> str:
    return f""":root {{
  --primary: {theme.primary};
  --primary-strong: {theme.primary_strong};
  --primary-contrast: {theme.primary_contrast};
  --accent: {theme.accent};
  --bg: {theme.bg};
  --surface: {theme.surface};
  --text: {theme.text};
  --muted: {theme.muted};
  --border: {theme.border};
  --danger: {"#f87171" if theme.is_dark else "#b91c1c"};
  --radius: 12px;
  --shadow: 0 1px 2px rgb(15 23 42 / 0.06), 0 8px 24px rgb(15 23 42 / 0.08);
  color-scheme: {"dark" if theme.is_dark else "light"};
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}}
"""


BASE_CSS = """
*,
*::before,
*::after {
  box-sizing: border-box;
}

html {
  scroll-behavior: smooth;
}

body {
  margin: 0;
  min-height: 100vh;
  background: var(--bg);
  color: var(--text);
  line-height: 1.5;
}

.app {
  width: min(100% - 2rem, 42rem);
  margin: 0 auto;
  padding: 2rem 0 3rem;
}

.app-header {
  margin-bottom: 1.5rem;
}

h1 {
  margin: 0 0 0.25rem;
  font-size: clamp(1.75rem, 6vw, 2.5rem);
  line-height: 1.15;
  letter-spacing: -0.02em;
}

h1::after {
  content: "";
  display: block;
  width: 3rem;
  height: 0.25rem;
  margin-top: 0.5rem;
  border-radius: 999px;
  background: var(--primary);
}

h2 {
  margin: 0 0 0.75rem;
  font-size: 1.15rem;
}

.tagline {
  margin: 0.5rem 0 0;
  color: var(--muted);
}

.card {
  margin-bottom: 1rem;
  padding: 1.25rem;
  border: 1px solid var(--border);
  border-radius: var(--radius);
  background: var(--surface);
  box-shadow: var(--shadow);
}

.row {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 0.5rem;
}

.row > input,
.row > select {
  flex: 1 1 12rem;
}

label {
  font-weight: 600;
}

input,
select,
textarea,
button {
  font: inherit;
  color: inherit;
}

input,
select,
textarea {
  width: 100%;
  min-height: 2.75rem;
  padding: 0.55rem 0.75rem;
  border: 1px solid var(--border);
  border-radius: 8px;
  background: var(--surface);
  font-weight: 400;
}

textarea {
  min-height: 6rem;
  resize: vertical;
}

input[type="checkbox"],
input[type="radio"] {
  width: 1.25rem;
  height: 1.25rem;
  min-height: 0;
  padding: 0;
  flex: none;
  accent-color: var(--primary);
}

button,
.button {
  display: inline-flex;
  align-items: center;
  justify-content: center;
  gap: 0.4rem;
  min-height: 2.75rem;
  padding: 0.55rem 1.1rem;
  border: 1px solid transparent;
  border-radius: 8px;
  background: var(--primary);
  color: var(--primary-contrast);
  font-weight: 600;
  text-decoration: none;
  cursor: pointer;
}

button:hover,
.button:hover {
  background: var(--primary-strong);
}

button:disabled {
  opacity: 0.5;
  cursor: not-allowed;
}

button.secondary,
button.delete,
button.link {
  background: transparent;
  color: var(--text);
  border-color: var(--border);
}

button.secondary:hover,
button.link:hover {
  background: var(--border);
}

button.delete {
  min-height: 2.25rem;
  padding: 0.3rem 0.7rem;
  color: var(--danger);
  border-color: currentColor;
}

button.delete:hover {
  background: var(--danger);
  color: #ffffff;
}

button.link {
  min-height: 0;
  padding: 0.2rem 0.4rem;
  border-color: transparent;
  text-decoration: underline;
}

:focus-visible {
  outline: 3px solid var(--accent);
  outline-offset: 2px;
}

.visually-hidden {
  position: absolute;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
}

.muted,
.status {
  color: var(--muted);
}

.empty {
  margin: 0;
  padding: 1rem 0;
  color: var(--muted);
  text-align: center;
}

.list {
  margin: 1rem 0 0;
  padding: 0;
  list-style: none;
}

.list > li {
  display: flex;
  align-items: center;
  gap: 0.75rem;
  padding: 0.65rem 0;
  border-bottom: 1px solid var(--border);
}

.list > li:last-child {
  border-bottom: 0;
}

.app-actions {
  display: flex;
  justify-content: flex-end;
  gap: 0.5rem;
  margin-top: 1rem;
}

.request-note {
  margin-top: 1rem;
  padding: 1rem 1.25rem;
  border: 1px dashed var(--primary);
  border-radius: var(--radius);
  background: var(--surface);
}

.request-note h2 {
  font-size: 1rem;
}

.request-note ul {
  margin: 0;
  padding-left: 1.25rem;
}

[hidden] {
  display: none !important;
}

@media (max-width: 30rem) {
  .app {
    padding-top: 1.25rem;
  }

  .card {
    padding: 1rem;
  }
}
"""


def stylesheet(spec: AppSpec, kind_css: str) -> str:
    """styles.css: a header naming the app, the colour variables, the base rules, the kind's rules."""
    title = spec.title.replace("*/", "* /")
    header = f"/* {title}: styles. Colours are CSS variables so a theme is a few overrides. */\n"
    return header + variables(spec.theme) + BASE_CSS + "\n" + kind_css.strip("\n") + "\n"


JS_PRELUDE = """'use strict';

function readJson(key, fallback) {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch (error) {
    return fallback;
  }
}

function writeJson(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (error) {
    // Storage may be full or disabled (private browsing): the app still works for this visit.
  }
}

function removeKeys(keys) {
  for (const key of keys) {
    try {
      localStorage.removeItem(key);
    } catch (error) {
      // Nothing to clear when storage is disabled.
    }
  }
}

function newId() {
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
}
"""


def script(spec: AppSpec, summary: str, body: str) -> str:
    """app.js: a comment saying what it is, the shared helpers, then the kind's code."""
    comment = f"// {spec.title}: {summary}".replace("\n", " ")
    return f"{comment}\n// Data stays in this browser's localStorage.\n{JS_PRELUDE}\n{body.strip()}\n"
