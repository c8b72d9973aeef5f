"""The offline model answers Atelier's own prompts like a real model would, and its apps work.

Pure: no database. The answers go through the real pipeline pieces (JSON extraction and validation, the
heredoc parser). The browser tests click through generated apps in Chromium.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from agents import prompts
from agents.offline_model import OfflineClient
from agents.offline_model.answers import heredoc
from agents.offline_model.design import spec_from_blueprint
from agents.offline_model.prompt import read_prompt
from agents.parsing import parse_files
from modelconfig.providers.base import (
    CancelToken,
    ChatMessage,
    GenerationCancelled,
    ModelSettings,
    ProviderError,
)

TEMPLATES = [{"name": "react-vite", "description": "React"}, {"name": "static-web", "description": "Plain"}]
REQUESTS = {
    "todo": "Build a todo list app",
    "notes": "A simple notes app",
    "counter": "a click counter",
    "timer": "A pomodoro timer with stats",
    "calculator": "Make me a calculator",
    "quiz": "a quiz about space",
    "expense": "An expense tracker for my monthly budget",
    "landing": "A landing page for my bakery",
    "generic": "a recipe manager",
}
NODE = shutil.which("node")


def client(action: str, *, delay: float = 0.0) -> OfflineClient:
    settings = ModelSettings(provider="offline", model="atelier-offline", chunk_delay=delay)
    return OfflineClient(action=action, settings=settings)


def ask(action: str, messages: list[ChatMessage]) -> str:
    return client(action).complete(messages)


def make_blueprint(request: str) -> dict:
    answer = ask("blueprint", prompts.blueprint_messages(query=request, templates=TEMPLATES))
    return prompts.validate_blueprint(prompts.extract_json(answer))


def implement(blueprint: dict, phase: dict, files: dict[str, str], requests=(), to_write=None) -> dict[str, str]:
    paths = to_write if to_write is not None else [f["path"] for f in phase["files"]]
    messages = prompts.phase_implementation_messages(
        blueprint=blueprint, phase=phase, files=files, files_to_write=paths, requests=list(requests)
    )
    return parse_files(ask("phase_implementation", messages))


def plan(blueprint: dict, completed: list[dict], files: dict[str, str], pending=(), phases_left=5) -> dict | None:
    messages = prompts.phase_plan_messages(
        blueprint=blueprint,
        completed_phases=completed,
        files=files,
        pending_requests=list(pending),
        phases_left=phases_left,
    )
    return prompts.validate_phase_plan(prompts.extract_json(ask("phase_generation", messages)))


def summary(phase: dict) -> dict:
    return {
        "name": phase["name"],
        "description": phase["description"],
        "files": [f["path"] for f in phase["files"]],
    }


@functools.cache
def first_version(request: str) -> tuple[dict, dict[str, str]]:
    blueprint = make_blueprint(request)
    return blueprint, implement(blueprint, blueprint["initialPhase"], {})


def follow_up(request: str, *follow_ups: str) -> tuple[dict, dict[str, str], dict[str, str]]:
    """The app after a phase applying `follow_ups`: (phase, files before, files after)."""
    blueprint, files = first_version(request)
    completed = [summary(blueprint["initialPhase"])]
    phase = plan(blueprint, completed, files, pending=follow_ups)
    return phase, files, {**files, **implement(blueprint, phase, files, requests=follow_ups)}


def node_check(tmp_path: Path, source: str) -> None:
    if NODE is None:
        pytest.skip("node is not installed")
    script = tmp_path / "app.js"
    script.write_text(source)
    result = subprocess.run([NODE, "--check", str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# --- Blueprints ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(REQUESTS))
def test_blueprint_is_valid_and_plans_the_three_core_files(kind):
    blueprint = make_blueprint(REQUESTS[kind])

    assert blueprint["template"] == "static-web"
    assert [f["path"] for f in blueprint["initialPhase"]["files"]] == ["index.html", "styles.css", "app.js"]
    assert blueprint["initialPhase"]["lastPhase"] is False
    assert spec_from_blueprint(blueprint).kind == kind


def test_blueprint_uses_the_name_and_colour_the_user_asked_for():
    blueprint = make_blueprint('a green notes app called "Task Pad"')

    assert blueprint["title"] == "Task Pad"
    assert blueprint["projectName"] == "task-pad"
    assert blueprint["colorPalette"][0] == "#16a34a"
    assert spec_from_blueprint(blueprint).kind == "notes"


def test_blueprint_picks_the_first_template_when_static_web_is_not_offered():
    answer = ask("blueprint", prompts.blueprint_messages(query="a todo app", templates=TEMPLATES[:1]))

    assert prompts.extract_json(answer)["template"] == "react-vite"


# --- The first version of each kind -------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(REQUESTS))
def test_first_phase_writes_a_complete_static_app(kind, tmp_path):
    blueprint, files = first_version(REQUESTS[kind])
    page = files["index.html"]

    assert list(files) == ["index.html", "styles.css", "app.js"]
    assert re.search(rf"<h1\b[^>]*>{re.escape(blueprint['title'])}</h1>", page)
    assert '<link rel="stylesheet" href="styles.css">' in page
    assert '<script src="app.js" defer></script>' in page
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page), "nothing may load from the network"
    assert blueprint["colorPalette"][0] in files["styles.css"]
    assert "localStorage" in files["app.js"]
    node_check(tmp_path, files["app.js"])


@pytest.mark.parametrize("kind", list(REQUESTS))
def test_every_element_app_js_looks_up_is_in_the_page(kind):
    _blueprint, files = first_version(REQUESTS[kind])

    for element_id in re.findall(r"getElementById\('([^']+)'\)", files["app.js"]):
        assert f'id="{element_id}"' in files["index.html"], element_id


def test_todo_app_has_stable_markup_for_tests():
    _blueprint, files = first_version(REQUESTS["todo"])

    assert '<form id="todo-form"' in files["index.html"]
    assert '<input id="new-todo"' in files["index.html"]
    assert '<ul id="todo-list"' in files["index.html"]
    assert "checkbox.type = 'checkbox'" in files["app.js"]
    assert "remove.className = 'delete'" in files["app.js"]


def test_same_prompt_gives_the_same_answer():
    blueprint, files = first_version(REQUESTS["timer"])
    for messages, action in [
        (prompts.blueprint_messages(query=REQUESTS["timer"], templates=TEMPLATES), "blueprint"),
        (
            prompts.phase_implementation_messages(
                blueprint=blueprint,
                phase=blueprint["initialPhase"],
                files=files,
                files_to_write=["index.html", "styles.css", "app.js"],
                requests=["make it dark"],
            ),
            "phase_implementation",
        ),
        (prompts.code_review_messages(blueprint=blueprint, files=files), "code_review"),
        (
            prompts.conversation_messages(blueprint=blueprint, history=[], message="call it Tomato"),
            "conversation",
        ),
    ]:
        first = list(client(action).stream(messages))
        assert list(client(action).stream(messages)) == first


# --- Planning -----------------------------------------------------------------------------------------


def test_planner_adds_one_polish_phase_then_is_done():
    blueprint, files = first_version(REQUESTS["todo"])
    completed = [summary(blueprint["initialPhase"])]

    polish = plan(blueprint, completed, files)
    files = {**files, **implement(blueprint, polish, files)}
    after = plan(blueprint, [*completed, summary(polish)], files)

    assert polish["lastPhase"] is True
    assert [f["path"] for f in polish["files"]] == ["styles.css", "app.js", "README.md"]
    assert "prefers-reduced-motion" in files["styles.css"]
    assert "addEventListener('storage'" in files["app.js"]
    assert files["README.md"].startswith("# Todo List\n")
    assert after is None


def test_planner_implements_pending_requests_even_after_the_last_phase():
    blueprint, files = first_version(REQUESTS["todo"])
    polish = plan(blueprint, [summary(blueprint["initialPhase"])], files)
    completed = [summary(blueprint["initialPhase"]), summary(polish)]

    phase = plan(blueprint, completed, files, pending=["make it dark"], phases_left=1)

    assert phase["name"] == "Apply: make it dark"
    assert [f["path"] for f in phase["files"]] == ["styles.css"]
    assert phase["lastPhase"] is True


def test_planner_chooses_files_by_request():
    blueprint, files = first_version(REQUESTS["counter"])
    completed = [summary(blueprint["initialPhase"])]

    phase = plan(blueprint, completed, files, pending=["add a reset button", "bigger font"])

    assert [f["path"] for f in phase["files"]] == ["index.html", "styles.css", "app.js"]
    assert phase["name"] == "Apply: add a reset button (+1 more)"
    assert phase["lastPhase"] is False


def test_planner_is_done_when_no_phase_is_left():
    blueprint, files = first_version(REQUESTS["todo"])

    assert plan(blueprint, [summary(blueprint["initialPhase"])], files, pending=["dark"], phases_left=0) is None


# --- Follow-up requests -------------------------------------------------------------------------------


def test_make_it_dark_overrides_the_colours_in_styles_css():
    phase, before, after = follow_up(REQUESTS["todo"], "make it dark")

    assert [f["path"] for f in phase["files"]] == ["styles.css"]
    assert after["styles.css"] != before["styles.css"]
    assert after["styles.css"].startswith(before["styles.css"].rstrip("\n"))
    assert "color-scheme: dark;" in after["styles.css"]
    assert "--bg: #0f172a;" in after["styles.css"]


def test_add_a_reset_button_adds_the_button_and_its_handler(tmp_path):
    _phase, before, after = follow_up(REQUESTS["todo"], "add a reset button")

    assert 'id="reset-button"' not in before["index.html"]
    assert '<button type="button" id="reset-button"' in after["index.html"]
    assert after["index.html"].index('id="reset-button"') < after["index.html"].index("</main>")
    assert "document.getElementById('reset-button')" in after["app.js"]
    assert "resetState();" in after["app.js"]
    node_check(tmp_path, after["app.js"])


def test_requests_are_applied_once_and_keep_earlier_changes():
    blueprint, files = first_version(REQUESTS["generic"])
    completed = [summary(blueprint["initialPhase"])]
    for request in ("make it dark", "add a reset button", "add a reset button", "make it green"):
        phase = plan(blueprint, completed, files, pending=[request])
        files = {**files, **implement(blueprint, phase, files, requests=[request])}
        completed.append(summary(phase))

    assert files["index.html"].count('id="reset-button"') == 1
    assert files["app.js"].count("getElementById('reset-button')") == 1
    assert "color-scheme: dark;" in files["styles.css"]
    assert "--primary: #16a34a;" in files["styles.css"]


def test_bigger_font_and_colour_and_rename():
    _phase, _before, after = follow_up(REQUESTS["notes"], "larger text", "make it purple", "call it Brain Dump")

    assert "font-size: 112.5%;" in after["styles.css"]
    assert "--primary: #9333ea;" in after["styles.css"]
    assert "<title>Brain Dump</title>" in after["index.html"]
    assert "<h1 data-app-title>Brain Dump</h1>" in after["index.html"]


def test_an_unknown_request_still_changes_the_page_visibly():
    phase, before, after = follow_up(REQUESTS["calculator"], "add a scientific mode with <sin> & <cos>")

    assert [f["path"] for f in phase["files"]] == ["index.html"]
    assert after["index.html"] != before["index.html"]
    assert "<li>add a scientific mode with &lt;sin&gt; &amp; &lt;cos&gt;</li>" in after["index.html"]


def test_only_the_files_to_write_are_written_in_that_order():
    blueprint, _files = first_version(REQUESTS["quiz"])

    written = implement(blueprint, blueprint["initialPhase"], {}, to_write=["app.js", "index.html"])

    assert list(written) == ["app.js", "index.html"]


def test_file_regeneration_writes_that_one_file():
    blueprint, files = first_version(REQUESTS["expense"])
    messages = prompts.file_regeneration_messages(
        blueprint=blueprint, phase=blueprint["initialPhase"], files={}, path="styles.css", purpose="look"
    )

    written = parse_files(ask("file_regeneration", messages))

    assert written == {"styles.css": files["styles.css"]}


def test_delimiter_changes_when_a_line_of_the_file_is_eof():
    content = "first\nEOF\nEOF_2 \nlast\n"

    block = heredoc("notes/read me.txt", content)

    assert block.startswith("cat > \"notes/read me.txt\" << 'EOF_3'\n")
    assert parse_files(block) == {"notes/read me.txt": content}


# --- Review and chat ----------------------------------------------------------------------------------


def test_code_review_of_a_working_app_finds_nothing_to_fix():
    blueprint, files = first_version(REQUESTS["landing"])

    answer = ask("code_review", prompts.code_review_messages(blueprint=blueprint, files=files))

    assert "no problems found" in answer
    assert parse_files(answer) == {}


def test_code_review_fixes_a_page_that_does_not_load_its_script():
    blueprint, files = first_version(REQUESTS["todo"])
    broken = {
        **files,
        "index.html": files["index.html"]
        .replace('  <script src="app.js" defer></script>\n', "")
        .replace("</head>", '  <script src="https://cdn.example.com/lib.js"></script>\n</head>'),
    }

    answer = ask("code_review", prompts.code_review_messages(blueprint=blueprint, files=broken))
    fixed = parse_files(answer)

    assert answer.startswith("Review of Todo List: 2 problems.")
    assert list(fixed) == ["index.html"]
    assert '<script src="app.js" defer></script>' in fixed["index.html"]
    assert "cdn.example.com" not in fixed["index.html"]


def _decision(messages) -> prompts.ConversationDecision:
    return prompts.read_conversation_answer(ask("conversation", messages))


def test_conversation_reply_says_what_will_change():
    blueprint, _files = first_version(REQUESTS["todo"])
    messages = prompts.conversation_messages(
        blueprint=blueprint, history=[], message="Please make it dark and add a reset button"
    )

    decision = _decision(messages)

    assert decision.is_change
    assert decision.reply.startswith("Sure! I'll switch to a dark colour scheme and add a Reset button")
    assert "Todo List" in decision.reply
    assert "<" not in decision.reply


def test_conversation_is_honest_about_requests_it_cannot_build():
    messages = prompts.conversation_messages(blueprint=None, history=[], message="sync with my Google calendar")

    decision = _decision(messages)

    assert decision.is_change
    assert "note" in decision.reply and "connect" in decision.reply


@pytest.mark.parametrize(
    "message", ["thanks!", "Thank you so much!", "thanks, looks great!", "hi", "Hello there", "ok"]
)
def test_thanks_and_greetings_are_conversation_not_changes(message):
    blueprint, _files = first_version(REQUESTS["todo"])

    decision = _decision(prompts.conversation_messages(blueprint=blueprint, history=[], message=message))

    assert not decision.is_change
    assert decision.reply


@pytest.mark.parametrize("message", ["What does this app do?", "how do I delete an item?", "Is my data saved?"])
def test_questions_are_answered_not_queued(message):
    blueprint, _files = first_version(REQUESTS["todo"])

    decision = _decision(prompts.conversation_messages(blueprint=blueprint, history=[], message=message))

    assert not decision.is_change
    assert "Todo List" in decision.reply


@pytest.mark.parametrize("message", ["can you add a timer?", "great, now make it dark", "add a search box"])
def test_requests_phrased_as_questions_or_after_thanks_are_changes(message):
    decision = _decision(prompts.conversation_messages(blueprint=None, history=[], message=message))

    assert decision.is_change


def test_a_retry_is_answered_from_the_original_prompt():
    messages = prompts.blueprint_messages(query=REQUESTS["quiz"], templates=TEMPLATES)
    retry = prompts.retry_messages(messages, bad_output="{", error="malformed")

    assert read_prompt(retry).text("user_request") == REQUESTS["quiz"]
    assert ask("blueprint", retry) == ask("blueprint", messages)


def test_a_prompt_without_sections_still_gets_a_chat_answer():
    decision = _decision([ChatMessage(role="user", content="Please make it dark")])

    assert decision == prompts.ConversationDecision(
        intent="change", reply="Sure! I'll switch to a dark colour scheme in your app."
    )


def test_an_unknown_action_is_a_provider_error():
    with pytest.raises(ProviderError, match="does not know the action"):
        client("dance").complete([ChatMessage(role="user", content="hi")])


def test_a_missing_section_is_a_provider_error():
    with pytest.raises(ProviderError, match="<blueprint>"):
        client("phase_implementation").complete([ChatMessage(role="user", content="write the files")])


# --- Streaming ----------------------------------------------------------------------------------------


def test_answer_streams_in_small_chunks_and_counts_usage():
    messages = prompts.blueprint_messages(query=REQUESTS["todo"], templates=TEMPLATES)
    model = client("blueprint")

    chunks = list(model.stream(messages))

    text = "".join(chunks)
    assert len(chunks) > 10
    assert all(1 <= len(chunk) <= 64 for chunk in chunks)
    assert model.usage.output_tokens == (len(text) + 3) // 4
    assert model.usage.input_tokens == (sum(len(m.content) for m in messages) + 3) // 4


def test_stop_interrupts_the_stream_within_the_chunk_delay():
    messages = prompts.blueprint_messages(query=REQUESTS["todo"], templates=TEMPLATES)
    cancel = CancelToken()
    delay = 60.0
    stream = client("blueprint", delay=delay).stream(messages, cancel=cancel)
    first = next(stream)
    threading.Timer(0.05, cancel.set).start()
    started = time.monotonic()

    with pytest.raises(GenerationCancelled):
        next(stream)

    assert first
    # Relative to the delay, not a wall-clock limit: a cancel that waited for the next chunk takes all of it.
    assert time.monotonic() - started < delay / 4


def test_a_cancelled_token_stops_before_the_first_chunk():
    cancel = CancelToken()
    cancel.set()

    with pytest.raises(GenerationCancelled):
        next(client("conversation").stream([ChatMessage(role="user", content="hi")], cancel=cancel))


def test_a_megabyte_answer_streams_whole_without_delay():
    # Throughput is measured against the parser and the offline model alone in bench/pipeline.py.
    blueprint, files = first_version(REQUESTS["todo"])
    big = {
        **files,
        "index.html": files["index.html"].replace("</main>", "<p>filler</p>\n" * 100_000 + "</main>"),
    }
    phase = {"name": "More", "description": "", "files": [{"path": "index.html", "purpose": "page"}]}
    messages = prompts.phase_implementation_messages(
        blueprint=blueprint,
        phase=phase,
        files=big,
        files_to_write=["index.html"],
        requests=["add a reset button"],
    )

    text = client("phase_implementation").complete(messages, cancel=CancelToken())

    assert len(text) > 1_000_000
    assert "<p>filler</p>\n" * 100_000 in text


# --- In a browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Every kind's app (plus a followed-up generic app), served over HTTP like a preview."""
    root = tmp_path_factory.mktemp("apps")
    apps = {kind: first_version(request)[1] for kind, request in REQUESTS.items()}
    apps["reset"] = follow_up(REQUESTS["generic"], "add a reset button", "make it dark")[2]
    for name, files in apps.items():
        for path, content in files.items():
            (root / name).mkdir(exist_ok=True)
            (root / name / path).write_text(content)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def errors() -> list[str]:
    """Script errors, console errors and requests leaving the app's origin, seen by `page`."""
    return []


@pytest.fixture
def page(browser, errors):
    context = browser.new_context()
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    def refuse(route):
        errors.append(f"request to {route.request.url}")
        route.abort()

    page.route(re.compile(r"^(?!http://127\.0\.0\.1:)"), refuse)
    page.route(re.compile(r"/favicon\.ico$"), lambda route: route.fulfill(status=204))
    yield page
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("kind", list(REQUESTS))
def test_each_app_loads_without_errors(kind, served, page, errors):
    page.goto(f"{served}/{kind}/index.html")

    assert page.locator("h1").count() == 1
    assert page.evaluate("typeof resetState === 'function' && typeof reloadState === 'function'")
    assert errors == []


@pytest.mark.browser
def test_todo_app_adds_completes_persists_and_deletes(served, page, errors):
    page.goto(f"{served}/todo/index.html")
    page.fill("#new-todo", "Buy milk")
    page.press("#new-todo", "Enter")
    page.fill("#new-todo", "Walk the dog")
    page.click("#todo-form button[type=submit]")
    page.check("#todo-list li:first-child input[type=checkbox]")
    page.reload()

    assert page.locator("#todo-list li label").all_inner_texts() == ["Buy milk", "Walk the dog"]
    assert page.is_checked("#todo-list li:first-child input[type=checkbox]")
    assert page.inner_text("#todo-count") == "1 task left"
    page.click("#todo-list li:first-child button.delete")
    assert page.locator("#todo-list li label").all_inner_texts() == ["Walk the dog"]
    assert errors == []


@pytest.mark.browser
def test_calculator_respects_precedence_and_rounding(served, page, errors):
    page.goto(f"{served}/calculator/index.html")
    for key in "12+3*4=":
        page.click(f"[data-key='{key}']")
    assert page.inner_text("#display") == "24"
    page.keyboard.type("0.1+0.2")
    page.keyboard.press("Enter")
    assert page.inner_text("#display") == "0.3"
    assert errors == []


@pytest.mark.browser
def test_reset_button_from_a_follow_up_clears_the_saved_data(served, page, errors):
    page.goto(f"{served}/reset/index.html")
    page.fill("#item-name", "Pancakes")
    page.click("#item-form button[type=submit]")
    assert page.inner_text("#item-count") == "(1)"

    page.click("#reset-button")
    page.reload()

    assert page.inner_text("#item-count") == "(0)"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(15, 23, 42)"
    assert errors == []
