"""A new user's experience in a real browser: the chat understands thanks, an unfinished app is said to be one.

Against daphne and the offline model, nothing mocked (see conftest.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_up
from tests.browser.test_web_ui import build, expect_complete, wait_until_first_file_is_written

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
