"""A phase's files are parsed (HTML, CSS, JavaScript) and index.html's references resolved. No database."""

from __future__ import annotations

import pytest

from agents.checks import check_phase_files, reference_problems, syntax_problem

PAGE = '<!doctype html>\n<link rel="stylesheet" href="styles.css">\n<script src="app.js" defer></script>\n'


@pytest.mark.parametrize(
    "path,content",
    [
        ("app.js", "const a = [1, 2];\nfunction f() { return a.map((x) => x * 2); }\n"),
        ("ui/list.jsx", "export const List = () => <ul><li>One</li></ul>;\n"),
        ("styles.css", ":root { --bg: #fff; }\n@media (min-width: 40rem) { body { margin: 0 auto; } }\n"),
        ("index.html", PAGE),
        ("README.md", "# Anything {\n"),
    ],
)
def test_well_formed_files_pass(path, content):
    assert syntax_problem(path, content) is None


@pytest.mark.parametrize(
    "path,content,expected",
    [
        ("app.js", "function f() {\n  if (x) {\n", "app.js, line"),
        ("app.js", "const a = ;\n", "unexpected"),
        ("styles.css", "body { color: red;\n.card { padding: 1rem; }\n", "styles.css, line"),
    ],
)
def test_broken_files_are_named_with_line_and_error(path, content, expected):
    problem = syntax_problem(path, content)
    assert problem is not None and problem.code == "SYNTAX_ERROR" and problem.file == path
    assert expected in problem.message


def test_a_cut_off_file_says_so():
    assert "cut off" in syntax_problem("app.js", "function f() {\n  return 1;\n").message


def test_index_html_references_must_be_files_of_the_app():
    page = PAGE + '<img src="img/logo.svg"><script src="https://example.com/x.js"></script><a href="other.html">'
    problems = reference_problems("index.html", {"index.html": page, "styles.css": ""})

    assert [p.message for p in problems] == [
        "index.html loads app.js, which is not a file of the app",
        "index.html loads img/logo.svg, which is not a file of the app",
    ]


def test_root_relative_and_query_references_resolve():
    page = '<script type="module" src="/src/main.js?v=2"></script>'
    assert reference_problems("index.html", {"index.html": page, "src/main.js": ""}) == []


def test_check_phase_files_checks_the_given_paths_and_index_html():
    files = {"index.html": PAGE, "styles.css": "a {", "app.js": "ok();\n", "old.js": "broken("}

    problems = check_phase_files(files, ["styles.css", "app.js"])

    assert [(p.code, p.file) for p in problems] == [("SYNTAX_ERROR", "styles.css")]
