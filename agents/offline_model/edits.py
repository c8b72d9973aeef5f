"""Follow-up requests the offline model understands, and how each changes the current files.

Every change is applied to the files as they are (so earlier changes survive), mostly through marked
blocks (`/* atelier:NAME */ ... /* /atelier:NAME */`, `// atelier:NAME`) that a later request replaces
instead of piling up. A request it does not understand still changes something the user can see: a
"Requested features" note in index.html.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .spec import COLOUR_WORDS, DARK_WORDS, NAMED_COLOURS, Theme

STYLE_FILE = "styles.css"
PAGE_FILE = "index.html"
SCRIPT_FILE = "app.js"
README_FILE = "README.md"
FILE_ORDER = (PAGE_FILE, STYLE_FILE, SCRIPT_FILE, README_FILE)

FONT_STEP = 12.5
FONT_MIN, FONT_MAX = 75.0, 200.0
MAX_NOTE_CHARS = 200

_LIGHT = re.compile(
    r"\blight(?:er)?\s+(?:mode|theme|colou?rs?|background)\b|\bmake it (?:light|bright)(?:er)?\b|\bno dark\b",
    re.IGNORECASE,
)
_FONT_WORDS = re.compile(r"\b(?:fonts?|text|type|typography|letters|writing|everything)\b", re.IGNORECASE)
_BIGGER = re.compile(r"\b(?:bigger|larger|increase|enlarge|big|large|huge)\b", re.IGNORECASE)
_SMALLER = re.compile(r"\b(?:smaller|decrease|reduce|shrink|small|tiny)\b", re.IGNORECASE)
_RESET = re.compile(r"\breset\b|\bstart over\b|\bclear (?:all|everything)\b", re.IGNORECASE)
_RENAME = re.compile(
    r"\b(?:call it|name it|title it|rename(?: it| the app| this app| the title| this)?(?: to| as)?|"
    r"change the (?:title|name)(?: of the app)? to)\s+(.+)$",
    re.IGNORECASE | re.DOTALL,
)
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»"}
_NAME_END = re.compile(r"\s+and\s+|[.!?;,\n]")


@dataclass(frozen=True)
class Change:
    """One understood change: `what` is dark | light | bigger | smaller | colour | reset | rename | note."""

    what: str
    value: str = ""


FILES_FOR = {
    "dark": (STYLE_FILE,),
    "light": (STYLE_FILE,),
    "bigger": (STYLE_FILE,),
    "smaller": (STYLE_FILE,),
    "colour": (STYLE_FILE,),
    "reset": (PAGE_FILE, SCRIPT_FILE),
    "rename": (PAGE_FILE, README_FILE),
    "note": (PAGE_FILE,),
}


def _new_name(request: str) -> str:
    match = _RENAME.search(request)
    if not match:
        return ""
    rest = match.group(1).strip()
    if rest[:1] in _QUOTES:
        end = rest.find(_QUOTES[rest[0]], 1)
        return rest[1:end].strip() if end > 1 else ""
    return _NAME_END.split(rest, maxsplit=1)[0].strip()[:80]


def changes_in(request: str) -> list[Change]:
    """The changes a request asks for, in a fixed order; a `note` when none is understood."""
    changes: list[Change] = []
    name = _new_name(request)
    # The new name is the user's words, not instructions: "call it Dark Sky" is no dark theme.
    rest = request.replace(name, " ") if name else request
    if _LIGHT.search(rest):
        changes.append(Change("light"))
    elif DARK_WORDS.search(rest):
        changes.append(Change("dark"))
    colour = COLOUR_WORDS.search(rest)
    if colour:
        changes.append(Change("colour", colour.group(1).lower()))
    if _FONT_WORDS.search(rest):
        if _BIGGER.search(rest):
            changes.append(Change("bigger"))
        elif _SMALLER.search(rest):
            changes.append(Change("smaller"))
    if _RESET.search(rest):
        changes.append(Change("reset"))
    if name:
        changes.append(Change("rename", name))
    return changes or [Change("note", " ".join(request.split())[:MAX_NOTE_CHARS])]


def files_for(requests: list[str], existing: dict[str, str] | None = None) -> list[str]:
    """The files a phase implementing `requests` rewrites, in a stable order."""
    wanted: set[str] = set()
    for request in requests:
        for change in changes_in(request):
            wanted.update(FILES_FOR[change.what])
    # README.md is only renamed when there is one.
    if README_FILE in wanted and existing is not None and README_FILE not in existing:
        wanted.discard(README_FILE)
    return [path for path in FILE_ORDER if path in wanted]


def describe(change: Change) -> str:
    """What the change does, for the chat reply."""
    return {
        "dark": "switch to a dark colour scheme",
        "light": "switch to a light colour scheme",
        "bigger": "make the text larger",
        "smaller": "make the text smaller",
        "colour": f"make the main colour {change.value}",
        "reset": "add a Reset button that clears the app's saved data",
        "rename": f"rename the app to \u201c{change.value}\u201d",
        "note": f"note your request \u201c{change.value}\u201d on the page",
    }[change.what]


# --- Marked blocks ------------------------------------------------------------------------------------


def _css_block_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\n*/\* atelier:{re.escape(name)} \*/\n.*?/\* /atelier:{re.escape(name)} \*/\n?", re.DOTALL)


def set_css_block(css: str, name: str, body: str) -> str:
    """Add or replace the marked block `name` (at the end, so it overrides the base rules)."""
    block = f"\n\n/* atelier:{name} */\n{body.strip()}\n/* /atelier:{name} */\n"
    pattern = _css_block_pattern(name)
    if pattern.search(css):
        return pattern.sub(lambda _m: block, css, count=1)
    return css.rstrip("\n") + block


def remove_css_block(css: str, name: str) -> str:
    return _css_block_pattern(name).sub("\n", css, count=1).rstrip("\n") + "\n"


def set_js_block(js: str, name: str, body: str) -> str:
    block = f"\n\n// atelier:{name}\n{body.strip()}\n// /atelier:{name}\n"
    pattern = re.compile(rf"\n*// atelier:{re.escape(name)}\n.*?// /atelier:{re.escape(name)}\n?", re.DOTALL)
    if pattern.search(js):
        return pattern.sub(lambda _m: block, js, count=1)
    return js.rstrip("\n") + block


def _insert_before_main_end(page: str, snippet: str) -> str:
    for closing in ("</main>", "</body>"):
        index = page.rfind(closing)
        if index != -1:
            line_start = page.rfind("\n", 0, index) + 1
            if page[line_start:index].strip():
                line_start = index
            return page[:line_start] + snippet + page[line_start:]
    return page.rstrip("\n") + "\n" + snippet


# --- The changes --------------------------------------------------------------------------------------

DARK_VARIABLES = """:root {
  color-scheme: dark;
  --bg: #0f172a;
  --surface: #1e293b;
  --text: #e2e8f0;
  --muted: #94a3b8;
  --border: #334155;
  --danger: #f87171;
}"""

LIGHT_VARIABLES = """:root {
  color-scheme: light;
  --bg: #f8fafc;
  --surface: #ffffff;
  --text: #0f172a;
  --muted: #475569;
  --border: #e2e8f0;
  --danger: #b91c1c;
}"""

_BASE_FONT = re.compile(r"/\* atelier:font-size \*/\nhtml \{\n  font-size: ([\d.]+)%;")


def _font_size(css: str, step: float) -> str:
    current = _BASE_FONT.search(css)
    size = float(current.group(1)) if current else 100.0
    size = min(FONT_MAX, max(FONT_MIN, size + step))
    if size == 100.0:
        return remove_css_block(css, "font-size")
    text = f"{size:.2f}".rstrip("0").rstrip(".")
    return set_css_block(css, "font-size", f"html {{\n  font-size: {text}%;\n}}")


def _colour(css: str, name: str) -> str:
    theme = Theme.from_palette([NAMED_COLOURS[name][0]])
    body = (
        f":root {{\n  --primary: {theme.primary};\n  --primary-strong: {theme.primary_strong};\n"
        f"  --primary-contrast: {theme.primary_contrast};\n  --accent: {theme.primary};\n}}"
    )
    return set_css_block(css, "primary-colour", body)


def _base_is_dark(css: str) -> bool:
    first_scheme = re.search(r"color-scheme:\s*(dark|light)", css)
    return bool(first_scheme and first_scheme.group(1) == "dark")


def _rename_page(page: str, name: str) -> str:
    escaped = html.escape(name, quote=False)
    title = re.compile(r"(<title>)(.*?)(</title>)", re.DOTALL)
    page = title.sub(lambda m: m.group(1) + escaped + m.group(3), page, count=1)
    marked = re.compile(r"(<(\w+)\b[^>]*\bdata-app-title\b[^>]*>)(.*?)(</\2>)", re.DOTALL)
    if marked.search(page):
        return marked.sub(lambda m: m.group(1) + escaped + m.group(4), page)
    heading = re.compile(r"(<h1\b[^>]*>)(.*?)(</h1>)", re.DOTALL)
    return heading.sub(lambda m: m.group(1) + escaped + m.group(3), page, count=1)


def _rename_readme(readme: str, name: str) -> str:
    lines = readme.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            lines[index] = f"# {name}"
            return "\n".join(lines)
    return f"# {name}\n\n{readme}"


RESET_BUTTON = """    <div class="app-actions">
      <button type="button" id="reset-button" class="secondary">Reset</button>
    </div>
"""

RESET_HANDLER = """// The Reset button clears everything this app saved and starts afresh.
const resetAppButton = document.getElementById('reset-button');
if (resetAppButton) {
  resetAppButton.addEventListener('click', () => {
    if (typeof resetState === 'function') {
      resetState();
    } else {
      localStorage.clear();
      window.location.reload();
    }
  });
}"""


def _note(page: str, text: str) -> str:
    item = f"        <li>{html.escape(text, quote=False)}</li>\n"
    if item in page:
        return page
    marker = '<ul id="requested-list">\n'
    index = page.find(marker)
    if index != -1:
        end = page.find("      </ul>", index)
        if end != -1:
            return page[:end] + item + page[end:]
    note = (
        '    <aside class="request-note" id="requested-features" aria-labelledby="requested-title">\n'
        '      <h2 id="requested-title">Requested features</h2>\n'
        f"      {marker}{item}      </ul>\n"
        "    </aside>\n"
    )
    return _insert_before_main_end(page, note)


def apply(change: Change, path: str, content: str) -> str:
    """`content` of `path` with `change` made (unchanged when the change does not touch that file)."""
    if path not in FILES_FOR[change.what]:
        return content
    what = change.what
    if what == "dark":
        content = remove_css_block(content, "light-mode")
        return content if _base_is_dark(content) else set_css_block(content, "dark-mode", DARK_VARIABLES)
    if what == "light":
        content = remove_css_block(content, "dark-mode")
        return set_css_block(content, "light-mode", LIGHT_VARIABLES) if _base_is_dark(content) else content
    if what in ("bigger", "smaller"):
        return _font_size(content, FONT_STEP if what == "bigger" else -FONT_STEP)
    if what == "colour":
        return _colour(content, change.value)
    if what == "reset":
        if path == PAGE_FILE:
            has_button = 'id="reset-button"' in content
            return content if has_button else _insert_before_main_end(content, RESET_BUTTON)
        has_handler = "reset-button" in content
        return content if has_handler else set_js_block(content, "reset-button", RESET_HANDLER)
    if what == "rename":
        if path == PAGE_FILE:
            return _rename_page(content, change.value)
        return _rename_readme(content, change.value)
    return _note(content, change.value)
