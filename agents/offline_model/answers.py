"""The offline model's answer for each agent action, in exactly the format a real model is asked for.

blueprint and phase_generation answer JSON; phase_implementation, file_regeneration and code_review
answer heredoc blocks (`cat > path << 'EOF'` ... `EOF`); conversation answers a JSON decision. Answers depend
only on the prompt's sections, so the same prompt always gives the same answer.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from collections.abc import Mapping

from modelconfig.providers.base import ProviderError

from . import edits
from .design import spec_from_blueprint, spec_from_request
from .kinds import CORE_FILES, FALLBACK_KIND, REACT_TEMPLATE, core_files, kind_of, react_files, react_readme, readme
from .prompt import Prompt
from .spec import AppSpec

CORE_PHASE = "Core app"
POLISH_PHASE = "Polish and persistence"
APPLY_PREFIX = "Apply: "
MAX_PHASE_NAME = 80
PREFERRED_TEMPLATE = "static-web"
_POLISH_DESCRIPTION = (
    "Refine the look (transitions, focus rings, reduced motion, print styles), keep open tabs in sync "
    "through localStorage events, and document the app in a README"
)

_SAFE_PATH = re.compile(r"[^\s<>'\";&|]+")


# --- Heredocs -----------------------------------------------------------------------------------------


def heredoc(path: str, content: str) -> str:
    """One file as a heredoc block, with a delimiter that is on no line of the content."""
    if not content.endswith("\n"):
        content += "\n"
    lines = {line.rstrip(" \t") for line in content.split("\n")}
    delimiter, number = "EOF", 1
    while delimiter in lines:
        number += 1
        delimiter = f"EOF_{number}"
    shown = path if _SAFE_PATH.fullmatch(path) else f'"{path}"'
    return f"cat > {shown} << '{delimiter}'\n{content}{delimiter}\n"


def heredocs(files: Mapping[str, str]) -> str:
    return "\n".join(heredoc(path, content) for path, content in files.items())


# --- Blueprint ----------------------------------------------------------------------------------------


def _template_name(templates: object) -> str | None:
    names = [str(t.get("name")) for t in templates or [] if isinstance(t, Mapping) and t.get("name")]
    if PREFERRED_TEMPLATE in names:
        return PREFERRED_TEMPLATE
    return names[0] if names else None


def blueprint_for(spec: AppSpec, *, templates: object = ()) -> dict:
    """The blueprint of the app the offline model writes for `spec`."""
    kind = kind_of(spec)
    blueprint: dict = {
        "title": spec.title,
        "projectName": spec.project,
        "description": spec.description,
        "colorPalette": list(spec.palette),
        "views": [dict(view) for view in kind.views],
        "userFlow": dict(kind.user_flow),
        "implementationRoadmap": [
            {"phase": CORE_PHASE, "description": f"A complete, working first version of {spec.title}"},
            {"phase": POLISH_PHASE, "description": _POLISH_DESCRIPTION},
        ],
        "initialPhase": {
            "name": CORE_PHASE,
            "description": f"A complete, working first version of {spec.title}, saved in localStorage",
            "files": [
                {"path": "index.html", "purpose": "Page structure, the title and every control"},
                {"path": "styles.css", "purpose": "Layout, palette, responsive and accessible styles"},
                {"path": "app.js", "purpose": "Behaviour, rendering and localStorage persistence"},
            ],
            "lastPhase": False,
        },
    }
    template = _template_name(templates)
    if template:
        blueprint["template"] = template
    if template == REACT_TEMPLATE:
        blueprint["initialPhase"]["description"] = f"A complete, working first version of {spec.title} in React"
        blueprint["initialPhase"]["files"] = [
            {"path": path, "purpose": _REACT_PURPOSES.get(path, "A component of the app")} for path in react_files(spec)
        ]
    return blueprint


_REACT_PURPOSES = {
    "index.html": "The page: its title and the root the app renders into",
    "src/config.ts": "The app's title, description and storage keys",
    "src/index.css": "Layout, palette, responsive and accessible styles",
    "src/lib/storage.ts": "Reading and writing localStorage safely",
    "src/App.tsx": "The app: state, behaviour and layout",
}


def _is_react(blueprint: Mapping[str, object]) -> bool:
    return blueprint.get("template") == REACT_TEMPLATE


def blueprint_answer(prompt: Prompt) -> str:
    query = prompt.text("user_request") or prompt.raw
    spec = spec_from_request(query)
    blueprint = blueprint_for(spec, templates=prompt.json("templates", []))
    if kind_of(spec).name == FALLBACK_KIND:
        # Said before anything is built, in the blueprint the user reads first (and the pipeline posts).
        blueprint["closestTemplate"] = True
        blueprint["note"] = closest_template_note(query, spec.title)
    return json.dumps(blueprint, indent=2, ensure_ascii=False)


MAX_NOTE_REQUEST_CHARS = 80


def closest_template_note(query: str, title: str) -> str:
    """The offline model saying it has no app of this kind, what it builds instead, and how to get the real one."""
    request = " ".join(query.split())
    if len(request) > MAX_NOTE_REQUEST_CHARS:
        request = request[: MAX_NOTE_REQUEST_CHARS - 1] + "…"
    return (
        f"The built-in offline model has no template for \u201c{request}\u201d; it will build a generic list app "
        f"titled {title} instead. Connect a model in Settings to build what you asked."
    )


# --- Phase plans --------------------------------------------------------------------------------------


def _existing(files: Mapping[str, str], preferred: str, extension: str) -> str:
    if preferred in files:
        return preferred
    return next((path for path in sorted(files) if path.endswith(extension)), preferred)


def _polish_phase(files: Mapping[str, str], *, react: bool = False) -> dict:
    if react:
        return {
            "name": POLISH_PHASE,
            "description": "Refine the look (transitions, focus rings, reduced motion, print styles) and "
            "document the app in a README",
            "files": [
                {"path": "src/index.css", "purpose": "Transitions, focus, motion, print"},
                {"path": "README.md", "purpose": "What the app does and how to run and build it"},
            ],
            "lastPhase": True,
        }
    return {
        "name": POLISH_PHASE,
        "description": _POLISH_DESCRIPTION,
        "files": [
            {"path": _existing(files, "styles.css", ".css"), "purpose": "Transitions, focus, motion, print"},
            {"path": _existing(files, "app.js", ".js"), "purpose": "Keep open tabs in sync"},
            {"path": "README.md", "purpose": "What the app does and how to run it"},
        ],
        "lastPhase": True,
    }


def _clean_requests(requests: object) -> list[str]:
    if not isinstance(requests, list):
        return []
    return [" ".join(str(r).split()) for r in requests if str(r).strip()]


# A React app's counterparts of the static files an edit changes (its behaviour lives in components).
_REACT_PATHS = {"styles.css": "src/index.css", "index.html": "index.html", "README.md": "README.md"}


def _apply_phase(requests: list[str], files: Mapping[str, str], *, last: bool, react: bool = False) -> dict:
    first = requests[0]
    name = APPLY_PREFIX + (first if len(first) <= 60 else first[:57].rstrip() + "...")
    if len(requests) > 1:
        name += f" (+{len(requests) - 1} more)"
    purposes = {
        "index.html": "Markup for the requested changes",
        "styles.css": "Styles for the requested changes",
        "app.js": "Behaviour for the requested changes",
        "README.md": "Keep the README in step",
    }
    return {
        "name": name[:MAX_PHASE_NAME],
        "description": "Implement the user's requests:\n" + "\n".join(f"- {r}" for r in requests),
        "files": _phase_files(requests, files, purposes, react=react),
        "lastPhase": last,
    }


def _phase_files(requests: list[str], files: Mapping[str, str], purposes: dict, *, react: bool) -> list[dict]:
    paths = edits.files_for(requests, dict(files))
    if not react:
        return [{"path": p, "purpose": purposes[p]} for p in paths]
    mapped = [(_REACT_PATHS[p], purposes[p]) for p in paths if p in _REACT_PATHS]
    return [{"path": path, "purpose": purpose} for path, purpose in mapped] or [
        {"path": "index.html", "purpose": purposes["index.html"]}
    ]


def _phases_left(prompt: Prompt) -> int:
    text = prompt.text("phases_left", "1").strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else 1


def plan_answer(prompt: Prompt) -> str:
    blueprint = prompt.require_dict("blueprint")
    completed = [p for p in prompt.json("completed_phases", []) or [] if isinstance(p, Mapping)]
    pending = _clean_requests(prompt.json("pending_requests", []))
    phases_left = _phases_left(prompt)
    polish_done = any(p.get("name") == POLISH_PHASE for p in completed)
    phase: dict | None
    if phases_left <= 0:
        phase = None
    elif pending:
        phase = _apply_phase(pending, prompt.files, last=polish_done or phases_left <= 1, react=_is_react(blueprint))
    elif not completed and isinstance(blueprint.get("initialPhase"), Mapping):
        phase = dict(blueprint["initialPhase"])
        phase["lastPhase"] = bool(phase.get("lastPhase")) or phases_left <= 1
    elif not polish_done:
        phase = _polish_phase(prompt.files, react=_is_react(blueprint))
    else:
        phase = None
    return json.dumps(phase if phase is not None else {"done": True}, indent=2, ensure_ascii=False)


# --- Phase implementation -----------------------------------------------------------------------------

POLISH_CSS = """button,
.button,
input,
select,
textarea {
  transition: background-color 150ms ease, border-color 150ms ease, box-shadow 150ms ease,
    transform 150ms ease;
}

button:active:not(:disabled),
.button:active {
  transform: translateY(1px);
}

input:focus,
select:focus,
textarea:focus {
  border-color: var(--primary);
  box-shadow: 0 0 0 3px color-mix(in srgb, var(--primary) 25%, transparent);
}

.card {
  animation: card-in 240ms ease-out both;
}

@keyframes card-in {
  from {
    opacity: 0;
    transform: translateY(6px);
  }

  to {
    opacity: 1;
    transform: none;
  }
}

::selection {
  background: var(--primary);
  color: var(--primary-contrast);
}

@media (prefers-reduced-motion: reduce) {
  *,
  *::before,
  *::after {
    animation: none !important;
    transition: none !important;
    scroll-behavior: auto !important;
  }
}

@media print {
  button,
  form,
  .app-actions {
    display: none !important;
  }

  body {
    background: #ffffff;
    color: #000000;
  }

  .card {
    box-shadow: none;
  }
}"""

SYNC_TABS_JS = """// Another open tab changed the saved data: show the same data here.
window.addEventListener('storage', (event) => {
  const ours = typeof STORAGE_KEYS === 'undefined' || event.key === null || STORAGE_KEYS.includes(event.key);
  if (ours && typeof reloadState === 'function') reloadState();
});"""


def _is_phase(phase: Mapping[str, object], name: object) -> bool:
    return isinstance(name, str) and str(phase.get("name", "")).strip().lower() == name.strip().lower()


def _is_initial(blueprint: Mapping[str, object], phase: Mapping[str, object]) -> bool:
    initial = blueprint.get("initialPhase")
    return isinstance(initial, Mapping) and _is_phase(phase, initial.get("name"))


def _phase_requests(phase: Mapping[str, object]) -> list[str]:
    """Requests for a phase planned without them at hand (a regenerated file, another model's plan)."""
    name = str(phase.get("name", ""))
    description = str(phase.get("description", ""))
    if name.startswith(APPLY_PREFIX):
        listed = [line[2:].strip() for line in description.split("\n") if line.startswith("- ")]
        return listed or [name[len(APPLY_PREFIX) :]]
    return [f"{name}: {description}".strip(": ")]


def _placeholder(spec: AppSpec, path: str, purpose: str) -> str:
    """A small, valid file for a path the offline apps do not have (e.g. planned by another model)."""
    about = " ".join((purpose or f"Part of {spec.title}").split())
    extension = posixpath.splitext(path)[1].lower()
    if extension in (".html", ".htm"):
        title = html.escape(spec.title, quote=False)
        return (
            f'<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
            f'  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'  <title>{title}</title>\n  <link rel="stylesheet" href="styles.css">\n</head>\n<body>\n'
            f'  <main class="app">\n    <h1>{title}</h1>\n    <p>{html.escape(about, quote=False)}</p>\n'
            f'    <p><a href="index.html">Back to the app</a></p>\n  </main>\n</body>\n</html>\n'
        )
    if extension == ".css":
        return f"/* {about.replace('*/', '* /')} */\n"
    if extension in (".js", ".mjs"):
        return f"// {about}\n'use strict';\n"
    if extension in (".ts", ".tsx"):
        return f"// {about}\nexport {{}};\n"
    if extension == ".json":
        return "{}\n"
    if extension == ".md":
        return f"# {spec.title}\n\n{about}\n"
    return about + "\n"


def _polish(path: str, content: str) -> str:
    if path.endswith(".css"):
        return edits.set_css_block(content, "polish", POLISH_CSS)
    if path.endswith(".js"):
        return edits.set_js_block(content, "sync-tabs", SYNC_TABS_JS)
    return content


def implement_file(
    *,
    spec: AppSpec,
    blueprint: Mapping[str, object],
    phase: Mapping[str, object],
    files: Mapping[str, str],
    path: str,
    requests: list[str],
    purpose: str = "",
) -> str:
    """The new content of `path` in `phase`: built fresh for the first phase, else edited in place."""
    initial = _is_initial(blueprint, phase)
    polish = _is_phase(phase, POLISH_PHASE)
    react = _is_react(blueprint)
    if react and initial and path in files and path not in react_files(spec):
        content = files[path]  # a file of the template (package.json, ...): the offline model keeps it
    elif initial or path not in files:
        if react:
            fresh = react_files(spec)
        else:
            fresh = core_files(spec) if path in CORE_FILES else {}
        if path in fresh:
            content = fresh[path]
        elif path == edits.README_FILE:
            content = react_readme(spec) if react else readme(spec)
        else:
            content = _placeholder(spec, path, purpose)
    else:
        content = files[path]
    if polish:
        content = _polish(path, content)
    if not requests and not initial and not polish:
        requests = _phase_requests(phase)
    # A React app's global stylesheet takes the edits the static app's styles.css would.
    edited_as = {"src/index.css": "styles.css"}.get(path, path) if react else path
    for request in requests:
        for change in edits.changes_in(request):
            content = edits.apply(change, edited_as, content)
    return content


def _purposes(phase: Mapping[str, object]) -> dict[str, str]:
    return {str(f.get("path")): str(f.get("purpose", "")) for f in phase.get("files") or [] if isinstance(f, Mapping)}


def implementation_answer(prompt: Prompt) -> str:
    if "findings" in prompt.sections:
        return fix_answer(prompt)
    blueprint = prompt.require_dict("blueprint")
    phase = prompt.require_dict("phase")
    purposes = _purposes(phase)
    to_write = prompt.json("files_to_write")
    paths = [str(p) for p in to_write] if isinstance(to_write, list) else list(purposes)
    requests = _clean_requests(prompt.json("pending_requests", []))
    spec = spec_from_blueprint(blueprint)
    written = {
        path: implement_file(
            spec=spec,
            blueprint=blueprint,
            phase=phase,
            files=prompt.files,
            path=path,
            requests=requests,
            purpose=purposes.get(path, ""),
        )
        for path in paths
    }
    return heredocs(written)


def fix_answer(prompt: Prompt) -> str:
    """A fix round (prompts.fix_messages): each file in <files_to_write> rewritten from its template, whole.

    The offline model's own files do not break, so whatever a check found in them came from elsewhere (a
    hand edit, another model's phase): its template, with the polish it had, is the known-good version.
    """
    blueprint = prompt.require_dict("blueprint")
    to_write = prompt.json("files_to_write")
    if not isinstance(to_write, list) or not to_write:
        raise ProviderError("The offline model needs <files_to_write> naming the files to fix.")
    spec = spec_from_blueprint(blueprint)
    initial = blueprint.get("initialPhase") if isinstance(blueprint.get("initialPhase"), Mapping) else {}
    purposes = _purposes(initial)
    written = {}
    for path in map(str, to_write):
        content = implement_file(
            spec=spec,
            blueprint=blueprint,
            phase=initial,
            files=prompt.files,
            path=path,
            requests=[],
            purpose=purposes.get(path, ""),
        )
        current = prompt.files.get(path, "")
        if _polish(path, current) == current and current:  # the current file has had the polish phase
            content = _polish(path, content)
        written[path] = content
    return heredocs(written)


def regeneration_answer(prompt: Prompt) -> str:
    blueprint = prompt.require_dict("blueprint")
    phase = prompt.require_dict("phase")
    to_write = prompt.json("files_to_write")
    if not isinstance(to_write, list) or not to_write:
        raise ProviderError("The offline model needs <files_to_write> naming the file to regenerate.")
    path = str(to_write[0])
    purpose = prompt.text("file_purpose") or _purposes(phase).get(path, "")
    spec = spec_from_blueprint(blueprint)
    fresh = react_files(spec) if _is_react(blueprint) else {}
    if prompt.text("problem") and path in fresh:
        # A React file that fails the build: written again from the offline model's own version.
        return heredoc(path, fresh[path])
    content = implement_file(
        spec=spec,
        blueprint=blueprint,
        phase=phase,
        files=prompt.files,
        path=path,
        requests=[],
        purpose=purpose,
    )
    return heredoc(path, content)


# --- Code review --------------------------------------------------------------------------------------

_EXTERNAL_TAG = re.compile(
    r"[ \t]*<(script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"'](?:https?:)?//[^\"']*[\"'][^>]*>"
    r"(?:\s*</script>)?[ \t]*\n?",
    re.IGNORECASE,
)
_LOCAL_REF = re.compile(r"\b(?:src|href)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_NOT_A_FILE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)
_JS_IDS = re.compile(r"getElementById\(\s*['\"]([^'\"]+)['\"]\s*\)")


def _references(page: str, path: str) -> bool:
    return bool(re.search(rf"\b(?:src|href)\s*=\s*[\"'](?:\./)?{re.escape(path)}[\"']", page, re.IGNORECASE))


def _insert_in_head(page: str, line: str) -> str:
    index = page.lower().find("</head>")
    if index == -1:
        return line + "\n" + page
    return page[:index] + "  " + line + "\n" + page[index:]


def review(spec: AppSpec, files: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """Problems found (sentences) and the files fixed; only what surely breaks the app is fixed."""
    problems: list[str] = []
    page = files.get("index.html")
    if page is None:
        problems.append("index.html is missing, so the app has no entry point: I wrote it.")
        return problems, {"index.html": core_files(spec)["index.html"]}
    fixed_page = page
    for match in _EXTERNAL_TAG.finditer(page):
        problems.append(f"index.html loads a {match.group(1).lower()} from the network; I removed it.")
    fixed_page = _EXTERNAL_TAG.sub("", fixed_page)
    if '<meta name="viewport"' not in fixed_page.lower().replace("'", '"'):
        problems.append("index.html has no viewport meta tag, so phones zoom out; I added it.")
        viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
        fixed_page = _insert_in_head(fixed_page, viewport)
    if "styles.css" in files and not _references(fixed_page, "styles.css"):
        problems.append("index.html does not load styles.css; I linked it.")
        fixed_page = _insert_in_head(fixed_page, '<link rel="stylesheet" href="styles.css">')
    if "app.js" in files and not _references(fixed_page, "app.js"):
        problems.append("index.html does not load app.js; I added it as a deferred script.")
        fixed_page = _insert_in_head(fixed_page, '<script src="app.js" defer></script>')
    for match in _LOCAL_REF.finditer(fixed_page):
        target = re.split(r"[?#]", match.group(1), maxsplit=1)[0]
        if not target or _NOT_A_FILE.match(target):
            continue
        normalised = posixpath.normpath(target.lstrip("/"))
        if normalised not in files:
            problems.append(f"index.html refers to {target}, which does not exist.")
    script = files.get("app.js", "")
    for element_id in sorted(set(_JS_IDS.findall(script))):
        if not re.search(rf"\bid\s*=\s*[\"']{re.escape(element_id)}[\"']", fixed_page):
            problems.append(f"app.js looks up #{element_id}, which index.html does not have.")
    return problems, ({"index.html": fixed_page} if fixed_page != page else {})


def review_answer(prompt: Prompt) -> str:
    blueprint = prompt.json("blueprint")
    spec = spec_from_blueprint(blueprint if isinstance(blueprint, dict) else {})
    problems, fixed = review(spec, prompt.files)
    if not problems:
        return (
            f"Review of {spec.title}: no problems found. index.html loads its stylesheet and script, every "
            "file it refers to exists, every element app.js looks up is in the page, and nothing is loaded "
            "from the network.\n"
        )
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    text = f"Review of {spec.title}: {count}.\n" + "".join(f"- {p}\n" for p in problems)
    return text + ("\n" + heredocs(fixed) if fixed else "")


# --- Conversation -------------------------------------------------------------------------------------


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


_THANKS = re.compile(
    r"^(?:(?:thanks?|thank you|thx|ty|cheers|great|awesome|perfect|nice|cool|lovely|wonderful|amazing|brilliant|"
    r"excellent|good job|well done|love it|looks (?:great|good|nice)|ok(?:ay)?|got it|sounds good)"
    r"(?:\s+(?:so much|a lot|very much|again|you|man|mate|buddy))*[\s!.,:;)]*)+$",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|yo|good (?:morning|afternoon|evening)|greetings)(?:\s+there)?[\s!.,]*$",
    re.IGNORECASE,
)
_QUESTION_WORDS = re.compile(
    r"^(?:what|why|how|who|when|where|which|is|are|was|were|does|do|did|will it|can i|could i|should i)\b",
    re.IGNORECASE,
)
# "Can you add a timer?" is a question in form and a change request in meaning.
_ASKS_FOR_WORK = re.compile(
    r"^(?:please|can you|could you|would you|will you|pls|i want|i'd like|i would like|let's|make|add|remove|"
    r"change|put|use|show|hide|give|turn|rename|call it)\b",
    re.IGNORECASE,
)


def conversation_intent(message: str) -> str:
    """ "chat" for thanks, greetings and questions the offline model cannot act on; "change" otherwise."""
    text = " ".join(message.split())
    if _THANKS.match(text) or _GREETING.match(text):
        return "chat"
    understood = any(change.what != "note" for change in edits.changes_in(text))
    if understood or _ASKS_FOR_WORK.search(text):
        return "change"
    if text.endswith("?") or _QUESTION_WORDS.match(text):
        return "chat"
    return "change"


def _chat_reply(message: str, title: str, blueprint: object) -> str:
    text = " ".join(message.split())
    if _THANKS.match(text):
        return f"You're welcome! Ask me for another change to {title} whenever you like."
    if _GREETING.match(text):
        return f"Hi! Tell me what you would like to change in {title}, for example \u201cmake it dark\u201d."
    description = blueprint.get("description") if isinstance(blueprint, dict) else None
    about = f" {title}: {description.rstrip('.')}." if isinstance(description, str) and description else ""
    return (
        "I'm the built-in offline model, so I can't answer questions in depth." + about + " Its files are in the "
        "Code tab. Ask me for a change and I'll build it, or connect a model in Settings for real answers."
    )


def _change_reply(message: str, title: str) -> str:
    changes = edits.changes_in(message)
    if all(change.what == "note" for change in changes):
        return (
            f"I'll queue that for {title}. The built-in offline model cannot build new features by itself, so "
            "it will add a visible note of your request to the page; connect an AI provider in the model "
            "settings to have it built for real."
        )
    return f"Sure! I'll {_join([edits.describe(c) for c in changes])} in {title}."


def conversation_answer(prompt: Prompt) -> str:
    """The decision object the conversation prompt asks for: `{"intent", "reply"}`."""
    message = (prompt.text("message") if "message" in prompt.sections else prompt.raw).strip()
    blueprint = prompt.json("blueprint")
    has_title = isinstance(blueprint, dict) and blueprint.get("title")
    title = str(blueprint["title"]) if has_title else "your app"
    if not message:
        intent, reply = "chat", f"Hi! Tell me what you would like to change in {title}."
    else:
        intent = conversation_intent(message)
        reply = _chat_reply(message, title, blueprint) if intent == "chat" else _change_reply(message, title)
    return json.dumps({"intent": intent, "reply": reply}, ensure_ascii=False)
