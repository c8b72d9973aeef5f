"""A new user's experience in a real browser: the chat understands thanks, an unfinished app is said to be
one, a preview keeps its data across a follow-up.

Against daphne and the offline model, nothing mocked (see conftest.py).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_web_ui import build, expect_complete, wait_until_first_file_is_written
from tests.support.browser import sign_up

pytestmark = pytest.mark.browser


def test_thanks_is_answered_in_the_chat_and_adds_no_phase(signed_in):
    page = signed_in
    agent_id = build(page, "a todo list")
    expect_complete(page)
    phases = page.locator("#phase-list .phase").count()
    events_before = page.evaluate(f"fetch('/api/agent/{agent_id}').then((r) => r.json())")["data"]

    page.get_by_label("Ask for a change").fill("thanks!")
    page.get_by_label("Ask for a change").press("Enter")

    expect(page.locator("#chat-log .msg-assistant").last).to_contain_text("You're welcome")
    expect(page.locator("#ws-status")).to_have_text("Complete")
    agent = page.evaluate(f"fetch('/api/agent/{agent_id}').then((r) => r.json())")["data"]
    assert len(agent["phases"]) == len(events_before["phases"]) == phases
    assert page.locator("#phase-list .phase").count() == phases
    assert not any("thanks" in phase["name"].lower() for phase in agent["phases"])


def test_a_stopped_app_deploys_as_incomplete_not_ready(open_page, slow_server):
    page = open_page(slow_server)
    sign_up(page)
    build(page, "a calculator")
    wait_until_first_file_is_written(page)
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#ws-status")).to_have_text("Stopped")

    page.get_by_role("tab", name="Preview").click()
    page.get_by_role("button", name="Deploy preview").click()

    status = page.locator("#preview-status")
    expect(status).to_have_attribute("data-state", "incomplete")
    expect(status).to_contain_text("Incomplete")
    expect(page.locator("#ws-activity")).to_contain_text("incomplete app")
    expect(page.locator("#ws-activity")).not_to_contain_text("ready")


def test_the_preview_keeps_its_local_storage_across_a_follow_up(signed_in):
    page = signed_in
    agent_id = build(page, "a todo list")
    expect_complete(page)
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("#preview-status")).to_have_text("Live")
    first = page.evaluate("window.atelierWorkspace.state.preview.deploymentId")
    app_url = page.get_by_role("link", name="Open in new tab").get_attribute("href")
    assert re.fullmatch(rf"http://app-{agent_id}\.preview\.localhost:\d+/", app_url), app_url
    # In a tab of its own: a test browser context blocks storage in third-party frames, as incognito does.
    # (A top-level tab asks for /favicon.ico, which the generated app does not have.)
    page.context.js_errors.allow(r"^Failed to load resource: the server responded with a status of 404")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Open in new tab").click()
    app = opened.value
    app.locator("#new-todo").fill("Buy oat milk")
    app.locator("#new-todo").press("Enter")
    expect(app.locator("#todo-list li")).to_have_count(1)

    page.get_by_label("Ask for a change").fill("make it dark")
    page.get_by_label("Ask for a change").press("Enter")
    expect(page.locator("#ws-status")).to_have_text("Generating")
    expect_complete(page)
    expect(page.locator("#preview-status")).to_have_text("Live")
    assert page.evaluate("window.atelierWorkspace.state.preview.deploymentId") != first
    expect(page.get_by_role("link", name="Open in new tab")).to_have_attribute("href", app_url)

    app.reload()
    # The redeployed app (dark now) at the same origin reads what the user saved in the first one.
    expect(app.locator("body")).to_have_css("background-color", re.compile(r"rgb\((\d{1,2}), (\d{1,2}), (\d{1,2})\)"))
    expect(app.locator("#todo-list li")).to_have_count(1)
    expect(app.locator("#todo-list li")).to_contain_text("Buy oat milk")


def test_a_key_that_fails_its_check_is_saved_as_not_working_and_switches_nothing(signed_in):
    page = signed_in
    page.goto("/settings/")
    offline = page.locator(".mc-action .badge-offline")
    actions = page.locator(".mc-action").count()
    expect(offline).to_have_count(actions)

    form = page.locator("#add-key")
    form.get_by_label("Provider").select_option("openai")
    form.get_by_label("Name").fill("Typo")
    # No network here: the provider cannot be reached, as with a wrong key the check fails and says why.
    form.get_by_label("API key").fill("sk-typo-0123456789abcdef")
    form.get_by_role("button", name="Add key").click()

    expect(form.locator(".mc-result")).to_contain_text("as not working", timeout=30_000)
    expect(form.locator(".mc-result")).to_contain_text("Nothing was switched to it")
    row = page.locator("tr[data-credential]")
    expect(row.locator(".key-status")).to_have_text("Not working")
    expect(offline).to_have_count(actions)
    assert "sk-typo-0123456789abcdef" not in page.content()
