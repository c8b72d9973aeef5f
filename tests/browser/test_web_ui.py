"""The web UI in a real browser: sign up, prompt, live workspace, preview, chat, reconnects, apps list.

Everything runs against daphne with the offline model (see conftest.py); nothing is mocked except two
error responses the server cannot be made to send on demand (a rate limit).
"""

from __future__ import annotations

import io
import json
import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS, create_app, sign_up

pytestmark = pytest.mark.browser

WORKSPACE_URL = re.compile(r"/apps/[0-9a-f-]{36}/$")
GENERATION_TIMEOUT = 45_000


def png_bytes(color=(79, 70, 229)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(out, format="PNG")
    return out.getvalue()


def build(page, query: str) -> str:
    page.get_by_label("Describe your app").fill(query)
    page.get_by_role("button", name="Build it").click()
    page.wait_for_url(WORKSPACE_URL)
    return page.url.rstrip("/").rsplit("/", 1)[1]


def wait_until_first_file_is_written(page) -> None:
    expect(page.locator("#file-tree .file-done").first).to_be_visible()
    expect(page.locator("#ws-status")).to_have_text("Generating")


def expect_complete(page) -> None:
    expect(page.locator("#ws-status")).to_have_text("Complete", timeout=GENERATION_TIMEOUT)
    phases = page.locator("#phase-list .phase")
    expect(phases.first).to_be_visible()
    expect(page.locator("#phase-list .phase-done")).to_have_count(phases.count())
    expect(page.locator("#file-tree .file-writing")).to_have_count(0)


def file_names(page) -> list[str]:
    return page.locator("#file-tree .file").evaluate_all("(buttons) => buttons.map((b) => b.dataset.path)")


def preview_report(page, server) -> str:
    """What the preview pane and the server were doing, for the message of a failed preview assertion."""
    frames = "\n".join(f"  frame {frame.url}: {frame.content()[:400]!r}" for frame in page.frames[1:])
    state = page.evaluate("JSON.stringify(window.atelierWorkspace.state.preview)")
    log = server.log.read_text(errors="replace")[-2000:]
    return f"preview state {state}\n{frames}\nserver log tail:\n{log}"


def test_sign_up_lands_on_the_prompt_with_examples_and_navigation(page):
    page.goto("/")
    # A visitor first learns what Atelier is.
    expect(page.get_by_role("heading", name=re.compile("Describe an app"))).to_be_visible()
    expect(page.get_by_role("list", name="How it works").get_by_role("listitem")).to_have_count(3)
    expect(page.get_by_role("main").get_by_role("link", name="Log in")).to_have_attribute("href", "/accounts/login/")
    page.get_by_role("main").get_by_role("link", name=re.compile("^Sign up")).click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    sign_up(page)
    nav = page.get_by_role("navigation", name="Main")
    for name in ("New app", "My apps", "Settings", "Log out"):
        expect(nav.get_by_role("link", name=name).or_(nav.get_by_role("button", name=name))).to_be_visible()
    expect(nav.get_by_role("link", name="Settings")).to_have_attribute("href", "/settings/")
    expect(page.get_by_role("heading", name="What do you want to build?")).to_be_visible()
    page.get_by_role("group", name="Example prompts").get_by_role("button", name="Pomodoro timer with stats").click()
    expect(page.get_by_label("Describe your app")).to_have_value(re.compile("pomodoro timer", re.I))
    expect(page.get_by_label("Describe your app")).to_be_focused()
    expect(page.get_by_text("Your apps will appear here")).to_be_visible()


def test_images_are_checked_before_upload_and_sent_with_the_prompt(signed_in):
    page = signed_in
    api_requests = []
    page.on("request", lambda request: api_requests.append(request.url) if "/api/" in request.url else None)
    picker = page.locator("#prompt-images")
    errors = page.locator("#prompt-error")

    picker.set_input_files(
        [
            {"name": "anim.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"\0" * 32},
            {"name": "huge.png", "mimeType": "image/png", "buffer": b"\0" * (10 * 1024 * 1024 + 1)},
        ]
    )
    expect(errors).to_contain_text("anim.gif: only JPEG, PNG, WebP images can be attached.")
    expect(errors).to_contain_text("huge.png: larger than the 10 MiB limit (10 MiB).")
    expect(page.locator("#prompt-attachments .thumb")).to_have_count(0)

    picker.set_input_files(
        [
            {"name": "sketch.png", "mimeType": "image/png", "buffer": png_bytes()},
            {"name": "colours.png", "mimeType": "image/png", "buffer": png_bytes((245, 158, 11))},
        ]
    )
    expect(page.locator("#prompt-attachments .thumb")).to_have_count(2)
    picker.set_input_files([{"name": "third.png", "mimeType": "image/png", "buffer": png_bytes()}])
    expect(errors).to_contain_text("At most 2 images per request: third.png was not attached.")
    page.get_by_role("button", name="Remove colours.png").click()
    expect(page.locator("#prompt-attachments .thumb")).to_have_count(1)
    expect(page.locator("#prompt-attachments")).to_contain_text("sketch.png")
    assert api_requests == [], "nothing is uploaded before the prompt is sent"

    with page.expect_request("**/api/agent/codegen") as sent:
        build(page, "a todo list like this sketch")
    assert "multipart/form-data" in sent.value.headers["content-type"]
    expect(page.locator("#chat-log .msg-user").first).to_contain_text("1 image attached")
    # The thumbnail is the image that was sent, loaded from the app's own images.
    thumb = page.locator("#chat-log .msg-user").first.get_by_role("img", name="Attached image 1")
    expect(thumb).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 4", arg=thumb.element_handle())


def test_codegen_refusals_are_explained_in_words(signed_in):
    page = signed_in
    page.context.js_errors.allow(r"status of (413|429)")
    prompt = page.get_by_label("Describe your app")
    errors = page.locator("#prompt-error")

    prompt.fill("   ")
    page.get_by_role("button", name="Build it").click()
    expect(errors).to_have_text("Describe the app you want first.")

    # A real 413 from the server: the page's own limit is lifted to send an over-long prompt.
    prompt.evaluate("(textarea) => textarea.removeAttribute('maxlength')")
    prompt.fill("a" * 20_001)
    page.get_by_role("button", name="Build it").click()
    expect(errors).to_have_text("query: at most 20,000 characters.")

    # The rate limit cannot be reached on demand here, so its exact envelope is served instead.
    page.route(
        "**/api/agent/codegen",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "40406"},
            content_type="application/json",
            body=json.dumps(
                {
                    "success": False,
                    "error": {
                        "type": "RATE_LIMITED",
                        "message": "You have created too many apps for now.",
                        "details": {"limit": 20, "period_seconds": 86400, "retry_after_seconds": 40406},
                    },
                }
            ),
        ),
    )
    prompt.fill("a quiz")
    page.get_by_role("button", name="Build it").click()
    expect(errors).to_have_text("You have created too many apps for now. Try again in 11 h 14 min.")
    expect(page.get_by_role("button", name="Build it")).to_be_enabled()


def test_prompt_to_a_working_app_in_the_preview_then_a_chat_change(signed_in, server):
    page = signed_in
    # Record what the blueprint card shows while the plan streams (the page moves on right after).
    seen = []
    page.expose_binding("reportBlueprint", lambda source, shown: seen.append(shown))
    page.add_init_script("""
        addEventListener("DOMContentLoaded", () => {
            const card = document.getElementById("blueprint");
            if (!card) return;
            new MutationObserver(() => window.reportBlueprint({
                title: document.getElementById("blueprint-title").textContent,
                phases: document.querySelectorAll("#blueprint-phases li").length,
            })).observe(card, {subtree: true, childList: true, characterData: true});
        });
    """)
    page.reload()

    agent_id = build(page, "a todo list")
    titles = [shown["title"] for shown in seen]
    assert "Todo List" in titles
    assert (
        any(title and title != "Todo List" and "Todo List".startswith(title) for title in titles)
        or len(set(titles)) > 1
    ), f"the blueprint should render while it streams, saw {titles}"
    assert max(shown["phases"] for shown in seen) >= 1

    expect(page.locator("#ws-model")).to_contain_text("atelier-offline")
    expect(page.get_by_role("link", name="Offline model")).to_be_visible()
    expect(page.locator("#file-tree .file").first).to_be_visible()
    expect_complete(page)
    assert {"index.html", "styles.css", "app.js"} <= set(file_names(page))
    expect(page.get_by_role("link", name="Download .zip")).to_have_attribute("href", f"/api/agent/{agent_id}/export")

    page.locator("#file-tree").get_by_role("button", name=re.compile(r"^app\.js")).click()
    expect(page.locator("#code-path")).to_have_text("app.js")
    expect(page.locator("#code-text")).to_contain_text("todo")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workspace.png"))

    page.get_by_role("tab", name="Code").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Preview")).to_be_focused()
    expect(page.get_by_role("tab", name="Preview")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#preview-status")).to_have_text("Live")
    frame_url = page.locator("#preview-frame").get_attribute("src")
    assert re.fullmatch(rf"http://app-{agent_id}\.preview\.localhost:\d+/", frame_url), frame_url
    expect(page.get_by_role("link", name="Open in new tab")).to_have_attribute("href", frame_url)
    app = page.frame_locator("#preview-frame")
    app.locator("#new-todo").fill("Buy oat milk")
    app.locator("#new-todo").press("Enter")
    expect(app.locator("#todo-list li")).to_have_count(1)
    expect(app.locator("#todo-list li")).to_contain_text("Buy oat milk")
    page.screenshot(path=str(ARTIFACTS / "workspace-preview.png"))

    phases_before = page.locator("#phase-list .phase").count()
    page.get_by_label("Ask for a change").fill("add a reset button")
    page.get_by_label("Ask for a change").press("Enter")
    expect(page.locator("#chat-log .msg-user").last).to_contain_text("add a reset button")
    expect(page.locator("#chat-log .msg-assistant").last).not_to_be_empty()
    expect(page.locator("#phase-list .phase")).to_have_count(phases_before + 1, timeout=GENERATION_TIMEOUT)
    expect_complete(page)
    expect(page.locator("#preview-status")).to_have_text("Live")
    expect(page.locator("#preview-url")).to_have_text(frame_url)  # the app's stable origin, redeployed
    try:
        expect(app.get_by_role("button", name=re.compile("reset", re.I))).to_be_visible()
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n{preview_report(page, server)}") from None
    page.screenshot(path=str(ARTIFACTS / "workspace-chat.png"))


def test_reload_mid_generation_restores_the_workspace_and_generation_finishes(open_page, slow_server):
    page = open_page(slow_server)
    sign_up(page)
    build(page, "a todo list")
    wait_until_first_file_is_written(page)
    written_before = page.locator("#file-tree .file-done").count()

    page.reload()
    expect(page.locator("#ws-connection")).to_have_text("Live")
    expect(page.locator("#ws-status")).to_have_text("Generating")
    expect(page.locator("#phase-list .phase").first).to_be_visible()
    assert page.locator("#file-tree .file-done").count() >= written_before
    expect(page.locator("#code-text")).not_to_be_empty()
    expect_complete(page)
    assert len(file_names(page)) == len(set(file_names(page)))


def test_a_dropped_socket_reconnects_after_the_last_seq_without_gaps_or_duplicates(open_page, slow_server):
    page = open_page(slow_server)
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    sign_up(page)
    agent_id = build(page, "a todo list")
    wait_until_first_file_is_written(page)

    page.evaluate("window.atelierWorkspace.socket.drop()")
    expect(page.locator("#ws-connection")).to_have_text("Reconnecting…")
    expect(page.locator("#ws-connection")).to_have_text("Live")
    assert len(sockets) == 2
    assert re.search(r"/ws\?after=\d+$", sockets[1]), sockets

    expect_complete(page)
    names = file_names(page)
    assert len(names) == len(set(names))
    phase_names = page.locator("#phase-list .phase-name").all_inner_texts()
    assert len(phase_names) == len(set(phase_names))
    page.locator("#file-tree").get_by_role("button", name=re.compile(r"^app\.js")).click()
    saved = page.evaluate(f"fetch('/api/agent/{agent_id}/files/app.js').then((r) => r.json())")
    assert page.locator("#code-text").text_content() == saved["data"]["fileContents"]


def test_stop_then_resume_finishes_the_app(open_page, slow_server):
    page = open_page(slow_server)
    sign_up(page)
    build(page, "a calculator")
    wait_until_first_file_is_written(page)
    stop, resume = page.get_by_role("button", name="Stop"), page.get_by_role("button", name="Resume")
    expect(resume).to_be_disabled()

    stop.click()
    expect(page.locator("#ws-status")).to_have_text("Stopped")
    expect(page.locator("#ws-activity")).to_contain_text("Generation stopped")
    expect(stop).to_be_disabled()
    resume.click()
    expect_complete(page)
    expect(resume).to_be_disabled()


def test_apps_list_opens_and_deletes_apps(signed_in):
    page = signed_in
    kept = create_app(page, "a pomodoro timer with stats")
    doomed = create_app(page, "an expense tracker")
    page.goto("/")
    expect(page.locator(".app-card")).to_have_count(2)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My apps").click()
    rows = page.locator("#apps-body tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-agent-id", doomed)  # newest first
    expect(rows.first.locator(".status-pill")).to_be_visible()
    expect(rows.first.locator("time")).to_be_visible()

    rows.first.get_by_role("button", name=re.compile("^Delete")).click()
    dialog = page.get_by_role("dialog", name="Delete this app?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(rows).to_have_count(2)

    rows.first.get_by_role("button", name=re.compile("^Delete")).click()
    dialog.get_by_role("button", name="Delete app").click()
    expect(rows).to_have_count(1)
    expect(page.locator("#apps-message")).to_contain_text("Deleted")
    assert page.request.get(f"/api/agent/{doomed}").status == 404

    page.reload()
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name=re.compile("^Open")).click()
    expect(page).to_have_url(re.compile(f"/apps/{kept}/$"))
    expect(page.locator("#ws-connection")).to_have_text("Live")


def test_another_users_app_is_not_found(open_page, server):
    owner = open_page(server)
    sign_up(owner)
    agent_id = create_app(owner, "a notes app")
    stranger = open_page(server)
    stranger.context.js_errors.allow(r"status of 404")
    sign_up(stranger)
    response = stranger.goto(f"/apps/{agent_id}/")
    assert response.status == 404


def test_every_page_loads_without_javascript_errors(open_page, server):
    page = open_page(server)
    for path in ("/", "/accounts/login/", "/accounts/signup/"):
        assert page.goto(path).ok
        expect(page.locator("main h1")).to_be_visible()
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    answer = page.request.get(icon)
    assert answer.ok and answer.headers["content-type"].startswith("image/svg+xml"), icon
    sign_up(page)
    agent_id = create_app(page, "a landing page for a bakery")
    for path in ("/", "/apps/", "/settings/"):
        assert page.goto(path).ok
        expect(page.locator("main h1").first).to_be_visible()
    page.goto(f"/apps/{agent_id}/")
    expect(page.locator("#ws-connection")).to_have_text("Live")
    expect_complete(page)
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("#preview-status")).to_have_text("Live")
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
