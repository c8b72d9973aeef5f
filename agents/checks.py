"""The checks a phase's files pass before the phase is done: syntax, and index.html's references.

Why: a file cut short or mangled by a model ("Unexpected end of input") used to be saved and deployed,
and the run said "completed". HTML, CSS and JavaScript (JSX included) are parsed with tree-sitter's
grammars, which report every error node with its position; `index.html`'s scripts, stylesheets, icons
and images must be files of the project.

`check_phase_files` is the one entry point (the pipeline calls it from one place, so validation events
can wrap it). Pure Python, no Django.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from functools import cache
from html.parser import HTMLParser

import tree_sitter
import tree_sitter_css
import tree_sitter_html
import tree_sitter_javascript

from agents.problems import Problem

_GRAMMARS = {
    ".js": tree_sitter_javascript,
    ".mjs": tree_sitter_javascript,
    ".cjs": tree_sitter_javascript,
    ".jsx": tree_sitter_javascript,
    ".css": tree_sitter_css,
    ".html": tree_sitter_html,
    ".htm": tree_sitter_html,
}
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)
# Files larger than this are not parsed (nothing a model writes for a static app is that big).
MAX_CHECKED_CHARS = 2_000_000


@cache
def _parser(extension: str) -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(_GRAMMARS[extension].language()))


def check_phase_files(files: Mapping[str, str], paths: Iterable[str]) -> list[Problem]:
    """The problems of the files at `paths` (syntax), and of index.html's references if it exists."""
    problems = []
    for path in paths:
        if path in files:
            problem = syntax_problem(path, files[path])
            if problem is not None:
                problems.append(problem)
    for page in sorted(p for p in files if posixpath.basename(p) == "index.html"):
        problems.extend(reference_problems(page, files))
    return problems


def syntax_problem(path: str, content: str) -> Problem | None:
    """The first syntax error in the file, for the languages there is a grammar for."""
    extension = posixpath.splitext(path)[1].lower()
    if extension not in _GRAMMARS or len(content) > MAX_CHECKED_CHARS:
        return None
    source = content.encode("utf-8")
    tree = _parser(extension).parse(source)
    if not tree.root_node.has_error:
        return None
    node = _first_error(tree.root_node)
    if node is None:
        return Problem(code="SYNTAX_ERROR", file=path, message=f"{path} does not parse")
    line, column = node.start_point.row + 1, node.start_point.column + 1
    if node.is_missing:
        what = f"missing {node.type!r}"
    else:
        text = source[node.start_byte : node.end_byte].decode("utf-8", "replace").strip()
        snippet = " ".join(text.split())[:40]
        what = f"unexpected {snippet!r}" if snippet else "unexpected end of input"
    if node.start_byte >= len(source.rstrip()):
        what = f"{what} (unexpected end of input: the file looks cut off)"
    return Problem(code="SYNTAX_ERROR", file=path, message=f"{path}, line {line}, column {column}: {what}")


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    if node.is_error or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing or child.is_error:
            found = _first_error(child)
            if found is not None:
                return found
    return None


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.found.append(values["src"])
        elif tag == "link" and values.get("href"):
            rel = (values.get("rel") or "").lower().split()
            if {"stylesheet", "icon", "manifest", "modulepreload"} & set(rel):
                self.found.append(values["href"])
        elif tag in ("img", "source", "audio", "video") and values.get("src"):
            self.found.append(values["src"])


def reference_problems(page: str, files: Mapping[str, str]) -> list[Problem]:
    """A problem for each local file `page` loads that is not in `files`."""
    reader = _References()
    reader.feed(files[page])
    reader.close()
    problems, seen = [], set()
    for reference in reader.found:
        reference = reference.strip()
        if not reference or _EXTERNAL.match(reference) or reference in seen:
            continue
        seen.add(reference)
        target = reference.split("#", 1)[0].split("?", 1)[0]
        if target.startswith("/"):
            resolved = posixpath.normpath(target.lstrip("/"))
        else:
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), target))
        if resolved not in files:
            problems.append(
                Problem(
                    code="MISSING_REFERENCE",
                    file=page,
                    message=f"{page} loads {reference}, which is not a file of the app",
                )
            )
    return problems
