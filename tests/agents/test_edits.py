"""Edit blocks, appends and diffs applied to files as they are; elided files recognised. No database."""

from __future__ import annotations

import pytest

from agents.edits import EditFailed, PatchFailed, apply_append, apply_edit, apply_patch, elision

CSS = "body {\n  color: black;\n}\n\n.card {\n    padding: 1rem;\n}\n"


def test_an_exact_search_is_replaced_once():
    assert apply_edit("a\nb\na\n", "a\n", "A\n") == "A\nb\na\n"


def test_trailing_whitespace_differences_still_match():
    assert apply_edit("x = 1;   \ny = 2;\n", "x = 1;\ny = 2;\n", "x = 3;\ny = 2;\n") == "x = 3;\ny = 2;\n"


def test_indentation_differences_still_match():
    result = apply_edit(CSS, ".card {\n  padding: 1rem;\n}\n", ".card {\n    padding: 2rem;\n}\n")
    assert result == CSS.replace("1rem", "2rem")


def test_a_search_that_is_not_in_the_file_fails_saying_which():
    with pytest.raises(EditFailed, match="'nothing like it'"):
        apply_edit(CSS, "nothing like it\n", "x\n")


def test_an_empty_search_appends_or_creates():
    assert apply_edit("", "", "new\n") == "new\n"
    assert apply_edit("old", "", "new\n") == "old\nnew\n"


def test_append_adds_a_newline_when_the_file_lacks_one():
    assert apply_append("a {}", ".b {}\n") == "a {}\n.b {}\n"


def test_a_diff_with_wrong_line_numbers_still_applies():
    diff = (
        "--- a/styles.css\n+++ b/styles.css\n@@ -40,3 +40,3 @@\n"
        " .card {\n-    padding: 1rem;\n+    padding: 2rem;\n }\n"
    )
    assert apply_patch(diff, {"styles.css": CSS}) == {"styles.css": CSS.replace("1rem", "2rem")}


def test_a_diff_that_does_not_apply_names_its_file():
    diff = "--- a/app.js\n+++ b/app.js\n@@ -1,1 +1,1 @@\n-missing();\n+found();\n"
    with pytest.raises(PatchFailed) as caught:
        apply_patch(diff, {"app.js": "other();\n"})
    assert caught.value.path == "app.js"


@pytest.mark.parametrize(
    "line",
    [
        "// ... rest of the file unchanged ...",
        "/* ... existing styles ... */",
        "<!-- ... rest unchanged -->",
        "  // ...",
        "// rest of the code unchanged",
        "# … remaining sections as before",
    ],
)
def test_elision_comments_are_recognised(line):
    assert elision(f"const a = 1;\n{line}\n") == line.strip()


@pytest.mark.parametrize(
    "content",
    ["const s = '...';\n", "// Loading...\n", "/* spread: ...args */ f(...args);\n", "<p>Wait...</p>\n"],
)
def test_ordinary_ellipses_are_not_elisions(content):
    assert elision(content) is None
