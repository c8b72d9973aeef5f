"""The fix loop's pure parts: which files a fix may change, and the offline model's answer to a fix round."""

from __future__ import annotations

from agents import prompts
from agents.applying import AnswerApplier
from agents.fixes import involved_files
from agents.offline_model.client import answer_for
from agents.offline_model.design import spec_from_request
from agents.offline_model.kinds import core_files
from agents.parsing import HeredocParser, parse_files
from agents.problems import Problem

FILES = {"index.html": "<html>", "styles.css": "a {}", "app.js": "x();", "README.md": "# App"}


def test_a_runtime_error_involves_only_its_file():
    problems = [Problem(code="RUNTIME_ERROR", message="app.js, line 1: Uncaught TypeError", file="app.js", line=1)]
    assert involved_files(problems, FILES) == ["app.js"]


def test_a_missing_file_involves_it_and_the_pages_that_load_it():
    problems = [Problem(code="MISSING_FILE", message="index.html loads chart.js, which answers 404", file="chart.js")]
    assert involved_files(problems, FILES) == ["chart.js", "index.html"]


def test_an_error_without_a_location_involves_the_pages_scripts_and_styles():
    problems = [Problem(code="CONSOLE_ERROR", message="console error: Script error.")]
    assert involved_files(problems, FILES) == ["app.js", "index.html", "styles.css"]


def test_the_offline_model_answers_a_fix_round_with_the_files_rewritten_from_their_template():
    from agents.offline_model.answers import blueprint_for

    spec = spec_from_request("a todo list")
    blueprint = blueprint_for(spec)
    broken = {**core_files(spec), "app.js": "document.getElementById('nope').textContent = 1;\n"}
    messages = prompts.fix_messages(
        blueprint=blueprint,
        phase=blueprint["initialPhase"],
        files=broken,
        files_to_write=["app.js"],
        findings=[{"code": "RUNTIME_ERROR", "message": "app.js, line 1: Uncaught TypeError", "file": "app.js"}],
        source="browser",
    )

    answer = answer_for("phase_implementation", messages)

    assert parse_files(answer) == {"app.js": core_files(spec)["app.js"]}


class _Saved:
    def __init__(self):
        self.closed: dict[str, str] = {}

    def on_open(self, path):
        pass

    def on_chunk(self, path, text):
        pass

    def on_close(self, path, content):
        self.closed[path] = content

    def abandon(self):
        pass


def test_a_fix_answer_changes_only_the_involved_files_and_says_what_it_dropped():
    saved, warnings = _Saved(), []
    applier = AnswerApplier(
        saver=saved, files=FILES, planned=FILES, warn=lambda **w: warnings.append(w), only=["app.js", "chart.js"]
    )
    parser = HeredocParser(**applier.callbacks())
    parser.feed("cat > app.js << 'EOF'\nok();\nEOF\ncat > styles.css << 'EOF'\nb {}\nEOF\n")
    parser.feed("cat > chart.js << 'EOF'\ndraw();\nEOF\n")
    parser.finish()
    applier.finish()

    assert saved.closed == {"app.js": "ok();\n", "chart.js": "draw();\n"}
    assert [(w["code"], w["file_path"]) for w in warnings] == [("OUTSIDE_FIX", "styles.css")]
