"""The self-check in the web UI: each phase's browser check is a step of the plan with its screenshot, and
the screenshot is the app's thumbnail in the apps list. Daphne with the offline model and the check on."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_web_ui import GENERATION_TIMEOUT, build
from tests.support.browser import ARTIFACTS, sign_up

pytestmark = pytest.mark.browser


@pytest.fixture
def checked_page(open_page, self_check_server):
    page = open_page(self_check_server)
    page.js_errors = page.context.js_errors
    return page


def test_each_phase_shows_its_browser_check_with_a_screenshot_and_the_app_gets_a_thumbnail(checked_page):
    page = checked_page
    sign_up(page)
    build(page, "a todo list")

    expect(page.locator("#ws-status")).to_have_text("Complete", timeout=GENERATION_TIMEOUT)
    steps = page.locator("#phase-list .check-step")
    expect(steps).to_have_count(page.locator("#phase-list .phase").count())
    expect(steps.first.locator(".phase-status")).to_have_text("No errors")
    shot = steps.first.locator(".check-shot img")
    expect(shot).to_be_visible()
    assert shot.evaluate("(img) => img.complete && img.naturalWidth") == 1024
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "self-check-plan.png"))

    page.goto("/apps/")
    thumb = page.locator("#apps-body .app-thumb").first
    expect(thumb).to_be_visible()
    assert thumb.evaluate("(img) => img.complete && img.naturalWidth") == 1024
